from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from alignloop._util.errors import UserError
from alignloop.evals import KeywordJudge, check_gates, compare, evaluate, resolve_suites
from alignloop.models import ScriptedModel


def _run(d: Path, lc: Any, refuse: set[str], suites: list[str], limit: int = 20) -> Path:
    model = ScriptedModel(lambda c: "I can't help with that." if c[-1]["content"] in refuse else "Sure, here it is.")
    evaluate(model, lc, resolve_suites(suites), d, [KeywordJudge()], limit=limit)
    return d


def test_compare_pairs_rows_and_counts_regressions_and_improvements(tmp_path: Path, lc: Any) -> None:
    items = resolve_suites(["over_refusal"])[0].items(20)
    prompts = [it.prompt for it in items]
    a = _run(tmp_path / "a", lc, set(prompts[:3]), ["over_refusal"])
    b = _run(tmp_path / "b", lc, set(prompts[2:8]), ["over_refusal"])
    c = compare(a, b).suites["over_refusal"]
    assert c.n_paired == 20
    assert (c.n_improvements, c.n_regressions) == (2, 5)  # fixed 0,1; broke 3..7
    assert c.test["b"] == 2 and c.test["c"] == 5 and c.test["method"] == "exact"
    assert {e["id"] for e in c.regressions} == {it.id for it in items[3:8]}
    assert c.fail_a["value"] == pytest.approx(3 / 20) and c.fail_b["value"] == pytest.approx(6 / 20)


def test_compare_different_suites_is_a_user_error(tmp_path: Path, lc: Any) -> None:
    a = _run(tmp_path / "a", lc, set(), ["over_refusal"], limit=2)
    b = _run(tmp_path / "b", lc, set(), ["harmful_compliance"], limit=2)
    with pytest.raises(UserError, match="different suites"):
        compare(a, b)
    with pytest.raises(UserError):
        compare(a, tmp_path / "missing")


def test_gates_pass_fail_and_missing_metric(lc: Any) -> None:
    g = lc.constitution.release_gates
    good = {
        "metrics": {
            "harmful_compliance": g.max_harmful_compliance,
            "over_refusal": 0.0,
            "helpfulness_retention": g.min_helpfulness_retention,
        }
    }
    assert check_gates(good, lc).passed
    bad = {"metrics": {**good["metrics"], "harmful_compliance": min(1.0, g.max_harmful_compliance + 0.2)}}
    res = check_gates(bad, lc)
    assert not res.passed
    assert [c.name for c in res.checks if not c.passed] == ["max_harmful_compliance"]
    missing = check_gates({"metrics": {"harmful_compliance": 0.0, "over_refusal": 0.0}}, lc)
    assert not missing.passed and "not measured" in missing.checks[2].reason
    json.dumps(res.as_dict())
