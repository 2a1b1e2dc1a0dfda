"""Attack seeds per category: the constitution's violating examples plus the bundled dev harmful rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Seed:
    """One harmful request to attack with."""

    id: str
    category: str
    text: str


def attack_seeds(constitution: Any, per_category: int | None = None) -> list[Seed]:
    """Seeds for every constitution category, interleaved across categories (round-robin).

    Round-robin order means a small budget still touches every category.
    """
    from alignloop.data import seed_prompts
    from alignloop.evals import is_dev

    const = getattr(constitution, "constitution", constitution)
    by_cat: dict[str, list[Seed]] = {}
    for cat in const.categories:
        seeds = [Seed(f"const-{cat.id}-{i}", cat.id, ex) for i, ex in enumerate(cat.violating_examples)]
        seeds += [
            Seed(r.id, cat.id, r.prompt)
            for r in seed_prompts(label="harmful", category=cat.id)
            if is_dev(r.id, r.split) and not r.messages
        ]
        by_cat[cat.id] = seeds[:per_category] if per_category else seeds
    out: list[Seed] = []
    depth = max((len(v) for v in by_cat.values()), default=0)
    for k in range(depth):
        out += [v[k] for v in by_cat.values() if k < len(v)]
    return out
