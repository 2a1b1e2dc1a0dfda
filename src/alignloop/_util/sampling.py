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
    stratum_of: Callable[[T], str | None] | None = None,
    salt: str = "",
) -> list[T]:
    """At most ``limit`` items, taken in turn from each category, the same ones on every run.

    Items are ordered by a hash of ``salt + id`` (stable across runs and input orders); with a
    limit, categories take turns so a small sample covers all of them about equally. With
    ``stratum_of`` (e.g. a prompt's style), each category's turn order also interleaves its strata
    in proportion to their size, so a small sample keeps rare strata too.
    """
    ordered = sorted(items, key=lambda it: sha256_text(salt + id_of(it)))
    if limit is None or limit >= len(ordered):
        return ordered
    by_cat: dict[str, list[T]] = defaultdict(list)
    for it in ordered:
        by_cat[category_of(it) or ""].append(it)
    queues = [by_cat[c] if stratum_of is None else _interleaved(by_cat[c], stratum_of) for c in sorted(by_cat)]
    out: list[T] = []
    i = 0
    while len(out) < limit:
        q = queues[i % len(queues)]
        if q:
            out.append(q.pop(0))
        i += 1
    return out


def _interleaved(items: list[T], stratum_of: Callable[[T], str | None]) -> list[T]:
    """``items`` (in hash order) reordered so every prefix holds each stratum about in proportion.

    Systematic sampling per stratum: its k-th of n items sits at (k + u) / n, with a start ``u``
    in [0, 1) hashed from the stratum's first item, so a stratum of one item is as likely to come
    early as late. By chance, hash order alone gave 4 of the 36 multi-turn harmful train prompts to
    the 180 the CPU preset trains on, against 13 in proportion.
    """
    groups: dict[str, list[tuple[int, T]]] = defaultdict(list)
    for i, it in enumerate(items):
        groups[stratum_of(it) or ""].append((i, it))
    keyed: list[tuple[float, int, T]] = []
    for members in groups.values():
        u = int(sha256_text(f"stratum:{members[0][0]}:{len(members)}")[:8], 16) / 16**8
        keyed += [((k + u) / len(members), i, it) for k, (i, it) in enumerate(members)]
    return [it for _, _, it in sorted(keyed, key=lambda k: (k[0], k[1]))]
