"""Deterministic subsets that spread evenly over categories (eval items, training prompts)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TypeVar

from alignloop._util.hashing import sha256_text

T = TypeVar("T")


def spread(
    items: Sequence[T],
    limit: int | None,
    *,
    id_of: Callable[[T], str],
    category_of: Callable[[T], str | None],
    salt: str = "",
) -> list[T]:
    """At most ``limit`` items, taken in turn from each category, the same ones on every run.

    Items are ordered by a hash of ``salt + id`` (stable across runs and input orders); with a
    limit, categories take turns so a small sample covers all of them about equally.
    """
    ordered = sorted(items, key=lambda it: sha256_text(salt + id_of(it)))
    if limit is None or limit >= len(ordered):
        return ordered
    by_cat: dict[str, list[T]] = defaultdict(list)
    for it in ordered:
        by_cat[category_of(it) or ""].append(it)
    queues = [by_cat[c] for c in sorted(by_cat)]
    out: list[T] = []
    i = 0
    while len(out) < limit:
        q = queues[i % len(queues)]
        if q:
            out.append(q.pop(0))
        i += 1
    return out
