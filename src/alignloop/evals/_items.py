"""Eval items: prompts from the bundled dev split or from a user's file, chosen deterministically."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignloop._util.errors import DataError
from alignloop._util.sampling import spread


@dataclass
class EvalItem:
    """One thing to ask the model."""

    id: str
    prompt: str
    messages: list[dict[str, str]] = field(default_factory=list)
    label: str | None = None
    category: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def conversation(self) -> list[Any]:
        """``messages`` followed by the prompt as the user's turn."""
        return [*self.messages, {"role": "user", "content": self.prompt}]


def _hash01(key: str) -> float:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def is_dev(row_id: str, split: str | None) -> bool:
    """Whether the row is in the dev split, by the one rule in ``alignloop.data.split_of``."""
    from alignloop.data import split_of

    return split_of(row_id, split) == "dev"


def dev_items(label: str, split: str = "dev") -> list[EvalItem]:
    """Bundled prompts with ``label`` (harmful / borderline / benign) from ``split`` (dev by default)."""
    from alignloop.data import seed_prompts

    return [
        EvalItem(r.id, r.prompt, [t.model_dump() for t in r.messages], r.label, r.category)
        for r in seed_prompts(label=label, split=split)  # type: ignore[arg-type]
    ]


def select(items: Sequence[EvalItem], limit: int | None) -> list[EvalItem]:
    """At most ``limit`` items, spread evenly over categories, the same ones on every run."""
    return spread(items, limit, id_of=lambda it: it.id, category_of=lambda it: it.category, salt="select:")


def file_items(path: str | Path) -> list[EvalItem]:
    """Prompts from a user's file: ``{"prompt"}`` + optional ``id``/``label``/``category``/``messages``.

    A row without an id gets one made from its content (stable, so paired comparisons still match).

    Raises:
        DataError: a duplicate id or repeated row, a missing prompt, or a broken line (with file:line).
    """
    from alignloop.data import PromptRecord, read_rows

    p = Path(path)
    rows = read_rows(p, PromptRecord)
    if not rows:
        raise DataError(f"{p}: no rows", hint='add rows like {"id": "q1", "prompt": "..."}')
    return [EvalItem(r.id, r.prompt, [t.model_dump() for t in r.messages], r.label, r.category) for r in rows]
