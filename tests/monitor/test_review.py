from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from alignloop._util.errors import UserError
from alignloop.constitution import load_constitution
from alignloop.data import PreferencePair
from alignloop.monitor import (
    enqueue_scored,
    export,
    feedback_pairs,
    ingest_file,
    label,
    list_items,
    next_item,
    score_pending,
)
from alignloop.monitor._review import sampled
from alignloop.store import AuditRow

from .conftest import START, traffic_rows, write_jsonl


@pytest.fixture
def queued(store: Any, fake_guard: Any, tmp_path: Path) -> Any:
    rows = traffic_rows(300, START, timedelta(hours=1), seed=1)
    rows += traffic_rows(10, START + timedelta(hours=1), timedelta(hours=1), seed=2, response="nerve agent recipe")
    ingest_file(store.engine, write_jsonl(tmp_path / "t.jsonl", rows))
    score_pending(store.engine, fake_guard, "h")
    enqueue_scored(store.engine, "h", 0.1)
    return store


def test_flagged_traces_and_a_sample_enter_the_queue(queued: Any) -> None:
    items = list_items(queued.engine, limit=1000)
    reasons = [i.reason for i in items]
    assert reasons.count("flagged") == 10 and reasons[:10] == ["flagged"] * 10
    assert 10 <= reasons.count("sample") <= 60  # about 10% of 300
    assert enqueue_scored(queued.engine, "h", 0.1) == 0
    assert sampled("x", 1.0) and not sampled("x", 0.0)


def test_label_flow_is_audited_and_validated(queued: Any) -> None:
    first = next_item(queued.engine)
    assert first is not None and first.guard_categories == ["cbrn"] and "nerve" in (first.response or "")
    done = label(queued.engine, first.id, "approved", reviewer="ana")
    assert (done.status, done.reviewer) == ("approved", "ana") and done.reviewed_at is not None
    second = next_item(queued.engine)
    assert second is not None and second.id != first.id
    with pytest.raises(UserError, match="needs --category"):
        label(queued.engine, second.id, "relabelled", reviewer="ana", categories=["cbrn"])
    with pytest.raises(UserError, match="unknown category"):
        label(queued.engine, second.id, "relabelled", reviewer="ana", category="nope", categories=["cbrn"])
    with pytest.raises(UserError, match="corrected needs"):
        label(queued.engine, second.id, "corrected", reviewer="ana")
    with pytest.raises(UserError, match="no review item"):
        label(queued.engine, 99999, "approved", reviewer="ana")
    label(queued.engine, second.id, "corrected", reviewer="bo", correction="I won't help with nerve agents.")
    with queued.engine.connect() as c:
        audit = c.execute(select(AuditRow.actor, AuditRow.action)).all()
    assert audit == [("ana", "review.label"), ("bo", "review.label")]


def test_exports_close_the_loop(queued: Any, tmp_path: Path) -> None:
    lc = load_constitution(None)
    items = list_items(queued.engine, limit=12)
    label(queued.engine, items[0].id, "approved", reviewer="ana")
    label(queued.engine, items[1].id, "corrected", reviewer="ana", correction="A safe, helpful reply.")
    label(queued.engine, items[2].id, "relabelled", reviewer="ana", category="none")
    label(queued.engine, items[3].id, "dismissed", reviewer="ana")
    n = export(queued.engine, "pairs", tmp_path / "pairs.jsonl", lc)
    rows = [json.loads(x) for x in (tmp_path / "pairs.jsonl").read_text().splitlines()]
    assert n == len(rows) == 2
    approved = next(r for r in rows if r["trace_id"] == items[0].trace_id)
    assert approved["chosen"][0]["content"] == lc.constitution.refusal_for("cbrn")
    assert approved["rejected"][0]["content"] == items[0].response and approved["source"] == "monitor"
    corrected = next(r for r in rows if r["trace_id"] == items[1].trace_id)
    assert corrected["chosen"][0]["content"] == "A safe, helpful reply."
    for r in rows:
        PreferencePair.model_validate(r)
    assert export(queued.engine, "eval", tmp_path / "eval.jsonl", lc) == 3
    evals = [json.loads(x) for x in (tmp_path / "eval.jsonl").read_text().splitlines()]
    assert {e["label"] for e in evals} == {"harmful", "benign"} and all(e["private"] for e in evals)
    assert export(queued.engine, "guard", tmp_path / "guard.jsonl", lc) == 3
    from alignloop.guard import read_user_data

    data = read_user_data(tmp_path / "guard.jsonl")
    assert len(data.texts) == 3
    pairs = feedback_pairs(queued, lc)
    assert {p.id for p in pairs} == {r["id"] for r in rows if r["split"] == "train"}
