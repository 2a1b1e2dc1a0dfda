from __future__ import annotations

import pytest

from alignloop.monitor import benjamini_hochberg, holm, two_proportion_p, wilson


def test_wilson_matches_known_values() -> None:
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = wilson(5, 10)
    assert (lo, hi) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    assert wilson(0, 0) == (0.0, 1.0)


def test_two_proportion_test() -> None:
    assert two_proportion_p(10, 100, 10, 100) == pytest.approx(1.0)
    assert two_proportion_p(10, 1000, 60, 1000) < 1e-8
    assert two_proportion_p(0, 100, 0, 100) == 1.0


def test_holm_and_bh_adjustments() -> None:
    p = [0.01, 0.04, 0.03, 0.5]
    assert holm(p) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert benjamini_hochberg(p) == pytest.approx([0.04, 0.0533333, 0.0533333, 0.5], abs=1e-6)
