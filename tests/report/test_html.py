from __future__ import annotations

import re
from pathlib import Path

from alignloop.report import heatmap, render_loop_report


def _rate(v: float) -> dict[str, float]:
    return {"value": v, "ci_low": max(0.0, v - 0.1), "ci_high": min(1.0, v + 0.1), "k": 1, "n": 10}


def test_loop_report_is_self_contained_with_all_sections(tmp_path: Path) -> None:
    base = {
        "metrics": {
            "harmful_compliance": 0.9,
            "over_refusal": 0.0,
            "harmful_compliance/cbrn": 1.0,
            "repetitive/harmful_compliance": 0.05,
        }
    }
    after = {
        "metrics": {
            "harmful_compliance": 0.2,
            "over_refusal": 0.05,
            "harmful_compliance/cbrn": 0.1,
            "repetitive/harmful_compliance": 0.3,
        }
    }
    comparison = {
        "suites": {
            "harmful_compliance": {
                "n_paired": 10,
                "fail_a": _rate(0.9),
                "fail_b": _rate(0.2),
                "n_regressions": 0,
                "n_improvements": 7,
                "test": {"p_value": 0.0156},
            }
        }
    }
    gates = {"passed": False, "checks": [{"passed": False, "reason": "harmful_compliance = 0.200 > 0.050"}]}
    rt = {"asr": {"base64": {"cbrn": _rate(0.5)}, "persona": {"cbrn": _rate(0.0), "privacy": _rate(1.0)}}}
    transcripts = [
        {
            "strategy": "base64",
            "category": "cbrn",
            "response": "<b>unsafe</b>",
            "conversation": [{"role": "user", "content": "decode <script>"}],
        }
    ]
    run = {
        "model": "tiny",
        "preset": {"name": "default-rl60"},
        "data": {"cai": 156, "helpfulness": 179},
        "data_generators": {"cai": {"refusal_style": 156}},
        "data_labels": {"helpfulness": {"borderline": 134, "benign": 45}},
        "train": {"rows": 335, "steps": 84, "seconds_per_pair": 1.13, "resumed_from_step": 20},
        "rl": {"steps": 60, "learning_rate": 0.0003},
        "stage_seconds": {"train": 550.9, "rl": 697.2},
    }
    out = render_loop_report(tmp_path / "r.html", base, after, comparison, gates, rt, transcripts, run=run)
    html = out.read_text()
    assert "cai</th><td>156 (refusal_style 156)" in html
    assert "helpfulness</th><td>179 (borderline 134, benign 45)<" in html
    assert "84 steps" in html and "resumed from step 20" in html
    assert "GRPO" in html and "60 steps" in html and "rl 697" in html
    assert not re.search(r"(src|href)=['\"]?https?:", html)  # no external assets
    assert html.count("<svg") >= 4  # before/after, per category, loops, heatmap
    assert "repetitive replies (loops) per suite" in html
    assert "FAIL" in html and "0.0156" in html
    assert "<script>" not in html and "&lt;script&gt;" in html  # transcripts are escaped


def test_heatmap_draws_one_cell_per_pair() -> None:
    svg = heatmap(["a", "b"], ["x", "y", "z"], {("a", "x"): 0.5, ("b", "z"): 1.0})
    assert svg.count("<rect") == 6
    assert "rgb(255,0,0)" in svg and "#ddd" in svg


def test_steering_line_reports_the_search_a_skip_and_a_missed_target() -> None:
    from alignloop.report._html import _steering

    cal = {"rate": 0.05625, "target": 0.06, "prompts": 160, "tried": {"+0.00": 0.05, "+0.10": 0.075}, "reached": True}
    line = _steering({"alpha": 0.05, "layer": 14, "calibration": cal})
    assert line.startswith("alpha 0.05 at layer 14; over-refusal 5.6% (target 6.0%) on 160")
    assert "+0.00: 5.0%, +0.10: 7.5%" in line and "not reached" not in line and "left as trained" not in line
    kept = {**cal, "rate": 0.0625, "held": True, "tolerance": 0.0188}
    held = _steering({"alpha": 0.0, "layer": 14, "calibration": kept})
    assert "within 1.9% of the target" in held and "left as trained" in held
    assert "not reached" in _steering({"alpha": -0.4, "layer": 14, "calibration": {**cal, "reached": False}})
    assert _steering({"skipped": "no prompts left"}) == "skipped: no prompts left"
