"""The bundled seed data written by the team: harmful, borderline-safe and benign prompts, and guard data."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from alignloop.data._schema import PromptRecord
from alignloop.data._splits import Split, split_of


def seed_dir() -> Path:
    """Folder holding the bundled JSONL files."""
    return Path(str(resources.files("alignloop.data").joinpath("seed")))


def _read(name: str) -> list[dict[str, Any]]:
    p = seed_dir() / name
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


@lru_cache(maxsize=1)
def _all_prompts() -> tuple[PromptRecord, ...]:
    rows: list[PromptRecord] = []
    files = [*sorted(seed_dir().glob("harmful_*.jsonl")), seed_dir() / "borderline.jsonl", seed_dir() / "benign.jsonl"]
    for p in files:
        if p.exists():
            rows += [PromptRecord.model_validate(r) for r in _read(p.name)]
    return tuple(rows)


def seed_prompts(
    split: Split | None = None,
    label: str | None = None,
    category: str | None = None,
) -> list[PromptRecord]:
    """Bundled prompts filtered by split (``train``/``dev``/``test``), label and category."""
    return [
        r
        for r in _all_prompts()
        if (split is None or split_of(r.id, r.split) == split)
        and (label is None or r.label == label)
        and (category is None or r.category == category)
    ]


def seed_file(name: str) -> list[dict[str, Any]]:
    """Rows of another bundled file: ``injection.jsonl``, ``responses.jsonl``, ``truthfulness.jsonl``."""
    return _read(name)
