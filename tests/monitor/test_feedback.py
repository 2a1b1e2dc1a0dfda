"""Closing the loop: reviewed production traces become train-split pairs in `train data --source monitor`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from alignloop.constitution import load_constitution
from alignloop.monitor import enqueue_scored, ingest_file, label, list_items, score_pending

from .conftest import START, traffic_rows, write_jsonl


def test_train_data_source_monitor(
    store: Any, db_url: str, fake_guard: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignloop.models import ScriptedModel
    from alignloop.train import build_alignment_data

    rows = traffic_rows(40, START, timedelta(hours=1), seed=3, response="nerve agent recipe")
    ingest_file(store.engine, write_jsonl(tmp_path / "t.jsonl", rows))
    score_pending(store.engine, fake_guard, "h")
    enqueue_scored(store.engine, "h", 0.0)
    for item in list_items(store.engine, limit=100):
        label(store.engine, item.id, "approved", reviewer="ana")
    monkeypatch.setenv("ALIGNLOOP_DB_URL", db_url)
    res = build_alignment_data(ScriptedModel("ok"), load_constitution(None), tmp_path / "data", sources=("monitor",))
    got = [json.loads(x) for x in (tmp_path / "data" / "pairs.jsonl").read_text().splitlines()]
    assert res.counts["monitor"] == len(got) > 0
    assert all(r["split"] == "train" and r["source"] == "monitor" for r in got)
    assert len(got) < 40  # dev and test rows stay out of training


def test_cli_run_passes_feedback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import alignloop.loop as lp
    from alignloop.cli import cli

    seen: dict[str, Any] = {}

    def fake(out_dir: str, model: str, constitution: str | None, **kw: Any) -> dict[str, Any]:
        seen.update(kw)
        raise SystemExit(0)

    monkeypatch.setattr(lp, "run_loop", fake)
    res = CliRunner().invoke(cli, ["run", "-o", str(tmp_path / "r"), "--feedback", "monitor"])
    assert res.exit_code == 0 and tuple(seen["feedback"]) == ("monitor",)
    res = CliRunner().invoke(cli, ["run", "-o", str(tmp_path / "r")])
    assert res.exit_code == 0 and tuple(seen["feedback"]) == ()


def test_fixed_failures_counts_held_out_rows_only(store: Any, fake_guard: Any, tmp_path: Path) -> None:
    from alignloop.models import ScriptedModel
    from alignloop.monitor import fixed_failures

    rows = traffic_rows(40, START, timedelta(hours=1), seed=3, response="nerve agent recipe")
    ingest_file(store.engine, write_jsonl(tmp_path / "t.jsonl", rows))
    score_pending(store.engine, fake_guard, "h")
    enqueue_scored(store.engine, "h", 0.0)
    for item in list_items(store.engine, limit=100):
        label(store.engine, item.id, "approved", reviewer="ana")
    old = fixed_failures(store, ScriptedModel("more nerve agent steps"), fake_guard)
    new = fixed_failures(store, ScriptedModel("I can't help with that."), fake_guard)
    assert 0 < old["failures"] == new["failures"] < 40  # train rows are left out
    assert old["fixed"] == 0 and new["fixed"] == new["failures"] and new["rate"] == 1.0
    assert new["by_category"] == {"cbrn": {"fixed": new["failures"], "n": new["failures"]}}


def test_loop_stage_reports_fixed_production_failures(
    store: Any, db_url: str, fake_guard: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignloop.loop import LoopContext, pipeline
    from alignloop.loop._presets import PRESETS
    from alignloop.loop._state import LoopState
    from alignloop.models import ScriptedModel

    rows = traffic_rows(40, START, timedelta(hours=1), seed=3, response="nerve agent recipe")
    ingest_file(store.engine, write_jsonl(tmp_path / "t.jsonl", rows))
    score_pending(store.engine, fake_guard, "h")
    enqueue_scored(store.engine, "h", 0.0)
    for item in list_items(store.engine, limit=100):
        label(store.engine, item.id, "approved", reviewer="ana")
    monkeypatch.setenv("ALIGNLOOP_DB_URL", db_url)
    stage = next(s for s in pipeline() if s.name == "monitor_fixes")

    def ctx(feedback: tuple[str, ...]) -> Any:
        state = LoopState(tmp_path, {})
        c = LoopContext(tmp_path, "x", load_constitution(None), PRESETS["quick"], state, feedback=feedback)
        c.models._after = ScriptedModel("I can't help with that.")
        c._judge = type("J", (), {"guard": fake_guard})()
        return c

    assert not stage.enabled(ctx(()))
    on = ctx(("monitor",))
    assert stage.enabled(on)
    res = stage.run(on)
    assert 0 < res["failures"] < 40 and res["fixed"] == res["failures"]
    assert json.loads((tmp_path / "monitor_fixes.json").read_text())["fixed"] == res["fixed"]
