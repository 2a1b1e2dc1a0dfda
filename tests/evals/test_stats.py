from __future__ import annotations

import math

import pytest

from alignloop.evals import mcnemar, rate, wilson


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (48, 50), (1, 1000)])
def test_wilson_contains_estimate_and_stays_in_unit_interval(k: int, n: int) -> None:
    lo, hi = wilson(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_wilson_narrows_with_more_data() -> None:
    lo1, hi1 = wilson(5, 10)
    lo2, hi2 = wilson(500, 1000)
    assert hi2 - lo2 < (hi1 - lo1) / 5


def test_rate_of_nothing_is_unknown() -> None:
    r = rate(0, 0)
    assert r["value"] is None and (r["ci_low"], r["ci_high"]) == (0.0, 1.0)


def test_mcnemar_exact_matches_binomial_tail() -> None:
    res = mcnemar(0, 10)
    assert res["method"] == "exact"
    assert math.isclose(res["p_value"], 2 / 2**10)
    assert mcnemar(5, 5)["p_value"] == 1.0


def test_mcnemar_chi2_for_many_discordant_pairs() -> None:
    res = mcnemar(10, 40)
    assert res["method"] == "chi2"
    assert math.isclose(res["statistic"], (30 - 1) ** 2 / 50)
    assert res["p_value"] < 0.001
    assert mcnemar(40, 10)["p_value"] == res["p_value"]
