"""Write generated training data resumably, with the constitution hash and provenance."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from alignloop._util.atomic import write_text_atomic
from alignloop._util.hashing import sha256_text
from alignloop.data import JsonlAppender, PreferencePair, PromptRecord
from alignloop.data import split_of as data_split_of


def row_id(source: str, *parts: str) -> str:
    """A stable id for a generated row: the same input always gives the same id (resume skips it)."""
    return f"{source}-{sha256_text('|'.join(parts))[:16]}"


def split_of(record: PromptRecord) -> str:
    """The record's split by the one rule in ``alignloop.data.split_of``."""
    return data_split_of(record.id, record.split)


def train_prompts(records: Iterable[PromptRecord]) -> list[PromptRecord]:
    """Only the ``train`` split: dev and test prompts are never trained on."""
    return [r for r in records if split_of(r) == "train"]


def pair_row(
    *,
    source: str,
    generator: str,
    constitution_hash: str,
    record: PromptRecord,
    chosen: str,
    rejected: str,
    extra: dict[str, Any] | None = None,
    chosen_cut: bool = False,
    rejected_cut: bool = False,
) -> dict[str, Any] | None:
    """A validated PreferencePair row with provenance, or None when chosen/rejected are empty or equal.

    ``chosen_cut`` / ``rejected_cut`` mark a reply that generation cut at its token budget: the row
    gets ``chosen_truncated`` / ``rejected_truncated`` so training does not end the turn there.
    """
    if not chosen.strip() or not rejected.strip() or chosen.strip() == rejected.strip():
        return None
    row = {
        "id": row_id(source, record.id, generator),
        "prompt": record.conversation(),
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
        "category": record.category,
        "source": source,
        "generator": generator,
        "constitution_hash": constitution_hash,
        "prompt_id": record.id,
        "label": record.label,
        **(extra or {}),
    }
    if chosen_cut:
        row["chosen_truncated"] = True
    if rejected_cut:
        row["rejected_truncated"] = True
    PreferencePair.model_validate(row)
    return row


class DatasetWriter:
    """A resumable JSONL file plus a ``<name>.meta.json`` sidecar with hash, provenance and counts."""

    def __init__(self, path: str | os.PathLike[str], *, source: str, constitution_hash: str, model: str) -> None:
        self.path = Path(path)
        self.meta: dict[str, Any] = {
            "source": source,
            "constitution_hash": constitution_hash,
            "model": model,
            "generators": {},
            "skipped": {},
        }
        self._app = JsonlAppender(self.path)

    @property
    def done(self) -> set[str]:
        """Ids already written (a rerun skips them)."""
        return self._app.done

    def add(self, row: dict[str, Any] | None, skip_reason: str = "invalid") -> None:
        """Append ``row``; None counts as skipped under ``skip_reason``."""
        if row is None:
            self.skip(skip_reason)
            return
        self._app.append(row)
        gens = self.meta["generators"]
        gens[row.get("generator", "?")] = gens.get(row.get("generator", "?"), 0) + 1

    def skip(self, reason: str) -> None:
        """Count one prompt that produced no row, by reason."""
        self.meta["skipped"][reason] = self.meta["skipped"].get(reason, 0) + 1

    @property
    def rows(self) -> list[dict[str, Any]]:
        """All rows, including those written before a restart."""
        return self._app.rows

    def close(self) -> dict[str, Any]:
        """Close the file and write the sidecar; returns the metadata."""
        self._app.close()
        rows = self._app.rows
        self.meta["generators"] = dict(Counter(r.get("generator", "?") for r in rows))
        # the prompt mix (e.g. borderline vs benign helpful prompts) is a knob, so it is recorded
        self.meta["labels"] = dict(Counter(r["label"] for r in rows if r.get("label")))
        self.meta["rows"] = len(rows)
        write_text_atomic(meta_path(self.path), json.dumps(self.meta, indent=2, sort_keys=True))
        return self.meta


def meta_path(path: str | os.PathLike[str]) -> Path:
    """The provenance sidecar of a dataset file."""
    p = Path(path)
    return p.with_name(p.name + ".meta.json")
