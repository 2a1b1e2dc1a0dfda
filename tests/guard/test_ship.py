"""The ship rule: a new guard build must beat the shipped one by more than dev's noise."""

from __future__ import annotations

import numpy as np

from alignloop.guard._heads import threshold_at_fpr
from alignloop.guard._ship import recall_at_cap, recall_gain_interval, ship_verdict


def _dev(n: int = 600, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(int)
    return rng.normal(0, 1, n) + 1.5 * y, y


def test_recall_at_cap_reads_the_safe_rows_quantile() -> None:
    y = np.array([0] * 20 + [1] * 4)
    s = np.array([i / 100 for i in range(20)] + [0.185, 0.5, 0.6, 0.01])
    # one false alarm of 20 is allowed: the threshold sits just above the second-highest safe score (0.18)
    assert recall_at_cap(s, y) == 0.75


def test_a_clearly_better_build_ships() -> None:
    old, y = _dev()
    new = old + 1.0 * y  # every harmful row scores higher, safe rows unchanged
    ok, why = ship_verdict(new, old, y)
    assert ok, why
    gain, low, high = recall_gain_interval(new, old, y, resamples=300)
    assert low > 0 and low <= gain <= high


def test_a_build_a_few_rows_apart_does_not_ship() -> None:
    old, y = _dev()
    new = old.copy()
    harmful = np.flatnonzero(y == 1)[:4]
    new[harmful] += 3.0  # four more harmful rows over the threshold: a gain, but within noise
    gain, low, _ = recall_gain_interval(new, old, y, resamples=300)
    assert gain > 0 and low <= 0
    ok, why = ship_verdict(new, old, y)
    assert not ok and why.startswith("keep the shipped build")


def test_a_recall_gain_bought_with_auprc_does_not_ship() -> None:
    old, y = _dev()
    missed = np.flatnonzero((y == 1) & (old < threshold_at_fpr(old, y, 0.05)))
    new = old.copy()
    new[missed[: len(missed) // 2]] += 3.0  # half the missed harmful rows now caught: a clear recall gain
    new[missed[len(missed) // 2 :]] = -10.0  # the other half ranked below every safe row: AUPRC falls
    _, low, _ = recall_gain_interval(new, old, y, resamples=300)
    assert low > 0
    ok, why = ship_verdict(new, old, y)
    assert not ok and "AUPRC change -0.0" in why
