"""The one split rule."""

from __future__ import annotations

from collections import Counter

from alignloop.data import split_of


def test_explicit_split_wins() -> None:
    assert split_of("anything", "test") == "test"
    assert split_of("anything", "dev") == "dev"
    assert split_of("anything", "train") == "train"


def test_hash_rule_shares_and_stability() -> None:
    ids = [f"row-{i}" for i in range(20_000)]
    counts = Counter(split_of(i) for i in ids)
    # 80 / 10 / 10 within sampling noise of 20k draws (sd of a 10% share is about 0.2 points)
    assert abs(counts["train"] / len(ids) - 0.8) < 0.01
    assert abs(counts["dev"] / len(ids) - 0.1) < 0.01
    assert abs(counts["test"] / len(ids) - 0.1) < 0.01
    assert [split_of(i) for i in ids[:50]] == [split_of(i, None) for i in ids[:50]]
