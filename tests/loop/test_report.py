"""The loop's summary: precision notes on small test splits, per-strategy red-team before/after, stage order."""

from __future__ import annotations

from typing import Any

from alignloop.evals import rate
from alignloop.loop import STAGES, pipeline
from alignloop.loop._report import needed_n, precision, redteam_by_strategy


def _summary(**suites: tuple[int, int]) -> dict[str, Any]:
    return {"suites": {name: {"overall": rate(k, n)} for name, (k, n) in suites.items()}}


def test_wide_intervals_say_why_and_narrow_ones_do_not() -> None:
    p = precision(_summary(harmful_compliance=(25, 82), big=(300, 1000)), "test")
    small, big = p["harmful_compliance"], p["big"]
    assert small["n"] == 82 and 0.09 < small["half_width"] < 0.11
    assert "bundled test split has 82" in small["why_wider"] and str(needed_n(25 / 82)) in small["why_wider"]
    assert big["half_width"] <= 0.05 and "why_wider" not in big


def test_needed_n_matches_the_normal_approximation() -> None:
    assert needed_n(0.5) == 385 and needed_n(0.3) == 323
    assert needed_n(0.0) == needed_n(0.05)  # planned for a modest rate, not for zero


def test_helpfulness_precision_is_on_retention() -> None:
    s = {"suites": {"helpfulness": {"overall": rate(10, 66), "retention": rate(56, 66)}}}
    assert precision(s, "test")["helpfulness"]["value"] == 56 / 66


def test_redteam_rates_per_strategy_for_both_models() -> None:
    base = {"per_strategy": {"direct": rate(3, 4), "rot13": rate(1, 2)}}
    after = {"per_strategy": {"direct": rate(0, 4)}}
    both = redteam_by_strategy(base, after)
    assert both["direct"]["base"]["value"] == 0.75 and both["direct"]["after"]["n"] == 4
    assert both["rot13"]["after"] is None


def test_pipeline_is_the_built_ins_in_order() -> None:
    names = [s.name for s in pipeline()]
    assert tuple(n for n in names if n in STAGES) == STAGES
    assert STAGES.index("after_eval") < STAGES.index("redteam_after") < STAGES.index("report")
