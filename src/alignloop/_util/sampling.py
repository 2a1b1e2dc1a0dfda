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
    proportional: bool = False,
) -> list[T]:
    """At most ``limit`` items spread over categories (in turn, or in proportion), the same ones on every run.

    Items are ordered by a hash of ``salt + id`` (stable across runs and input orders); with a
    limit, categories take turns so a small sample covers all of them about equally. With
    ``proportional``, each category instead gets a quota in proportion to its share of ``items``
    (largest remainders), so the sample keeps the pool's mix with less noise than a random draw.
    """
    ordered = sorted(items, key=lambda it: sha256_text(salt + id_of(it)))
    if limit is None or limit >= len(ordered):
        return ordered
    by_cat: dict[str, list[T]] = defaultdict(list)
    for it in ordered:
        by_cat[category_of(it) or ""].append(it)
    queues = [by_cat[c] for c in sorted(by_cat)]
    if proportional:
        return _proportional(queues, limit, len(ordered))
    out: list[T] = []
    i = 0
    while len(out) < limit:
        q = queues[i % len(queues)]
        if q:
            out.append(q.pop(0))
        i += 1
    return out


def _proportional(queues: list[list[T]], limit: int, total: int) -> list[T]:
    quotas = [len(q) * limit // total for q in queues]
    # the seats left go to the largest remainders; ties to the larger category, then by name order
    by_remainder = sorted(range(len(queues)), key=lambda i: (-(len(queues[i]) * limit % total), -len(queues[i]), i))
    for i in by_remainder[: limit - sum(quotas)]:
        quotas[i] += 1
    # categories take turns in the output too, so any prefix of it is spread as well
    out: list[T] = []
    for k in range(max(quotas)):
        out.extend(q[k] for q, n in zip(queues, quotas, strict=True) if k < n)
    return out
