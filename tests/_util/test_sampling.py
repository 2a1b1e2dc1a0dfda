"""Deterministic category-spread samples: in turn, or in proportion to the pool."""

from __future__ import annotations

from collections import Counter

import pytest

from alignloop._util.sampling import spread

POOL = [(f"{cat}-{i}", cat) for cat, n in (("a", 60), ("b", 30), ("c", 9), ("d", 1)) for i in range(n)]


def _take(limit: int, *, proportional: bool, items: list[tuple[str, str]] = POOL) -> list[tuple[str, str]]:
    return spread(items, limit, id_of=lambda t: t[0], category_of=lambda t: t[1], proportional=proportional)


@pytest.mark.parametrize("limit", [1, 3, 10, 45, 99])
def test_a_proportional_sample_keeps_each_category_within_one_of_its_share(limit: int) -> None:
    picked = _take(limit, proportional=True)
    counts = Counter(cat for _, cat in picked)
    assert len(picked) == limit == len({i for i, _ in picked})
    for cat, n in Counter(cat for _, cat in POOL).items():
        assert abs(counts[cat] - limit * n / len(POOL)) < 1, (cat, counts)


def test_largest_remainders_get_the_seats_left() -> None:
    # 45 of 100: exact shares 27 / 13.5 / 4.05 / 0.45; the one seat left goes to b (0.5 > 0.45)
    assert Counter(cat for _, cat in _take(45, proportional=True)) == {"a": 27, "b": 14, "c": 4}


def test_in_turn_sampling_gives_categories_equal_counts_until_one_runs_out() -> None:
    assert Counter(cat for _, cat in _take(4, proportional=False)) == {"a": 1, "b": 1, "c": 1, "d": 1}
    assert Counter(cat for _, cat in _take(10, proportional=False)) == {"a": 3, "b": 3, "c": 3, "d": 1}


@pytest.mark.parametrize("proportional", [False, True])
def test_the_sample_does_not_depend_on_the_input_order(proportional: bool) -> None:
    assert _take(20, proportional=proportional) == _take(20, proportional=proportional, items=POOL[::-1])


def test_a_limit_at_or_over_the_pool_returns_everything_in_hash_order() -> None:
    assert sorted(_take(100, proportional=True)) == sorted(POOL)
    assert _take(200, proportional=True) == _take(100, proportional=False)
