from __future__ import annotations

from pathlib import Path
from typing import Any

from alignloop.evals import KeywordJudge, compare, evaluate, resolve_suites
from alignloop.models import ScriptedModel


def test_eval_run_is_recorded_with_metrics_and_artifacts(tmp_path: Path, lc: Any) -> None:
    from alignloop.store import RunStore

    res = evaluate(
        ScriptedModel("Sure."), lc, resolve_suites(["over_refusal"]), tmp_path / "r", [KeywordJudge()], limit=3
    )
    assert res.run_id
    info = RunStore.open().get(res.run_id)
    assert info.kind == "eval" and info.status == "completed"
    assert info.metrics["over_refusal"] == res.metrics["over_refusal"]
    assert {"results", "summary", "report"} <= set(info.artifacts)
    # compare accepts run ids as well as folders
    assert compare(res.run_id, tmp_path / "r").suites["over_refusal"].n_paired == 3
