from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from alignloop.monitor import compute_windows, ingest_file, score_pending
from alignloop.monitor._windows import floor_time

from .conftest import START, traffic_rows, write_jsonl


def test_floor_time_aligns_to_epoch() -> None:
    t = datetime(2025, 3, 1, 10, 37, tzinfo=timezone.utc)
    assert floor_time(t, timedelta(hours=1)) == datetime(2025, 3, 1, 10, tzinfo=timezone.utc)
    assert floor_time(t, timedelta(minutes=15)) == datetime(2025, 3, 1, 10, 30, tzinfo=timezone.utc)


def test_windows_follow_event_time_with_wilson_intervals(store: Any, fake_guard: Any, tmp_path: Path) -> None:
    # written out of order: windows must come back in event time order
    late = traffic_rows(40, START + timedelta(hours=2), timedelta(hours=1), shift=0.5, seed=2)
    early = traffic_rows(60, START, timedelta(hours=1), seed=1)
    ingest_file(store.engine, write_jsonl(tmp_path / "t.jsonl", late + early))
    score_pending(store.engine, fake_guard, "h")
    ws = compute_windows(store.engine, "h", timedelta(hours=1), ["cbrn"])
    assert [w.start for w in ws] == [START, START + timedelta(hours=2)]
    assert [w.n for w in ws] == [60, 40]
    r0, r1 = ws[0].rate("refusal"), ws[1].rate("refusal")
    assert r0["k"] == 0 and r0["lo"] == 0.0 and 0 < r0["hi"] < 0.07
    assert r1["k"] > 10 and r1["lo"] < r1["rate"] < r1["hi"]
    # shifted prompts are flagged on input, so their refusals are not over-refusals
    nerve = sum("nerve" in r["messages"][0]["content"] for r in late)
    assert ws[1].rate("over_refusal")["n"] == 40 - nerve
    assert ws[0].latency()["p50"] is not None
    d = ws[1].to_dict()
    assert d["start"] == "2025-03-01T02:00:00+00:00" and d["end"] == "2025-03-01T03:00:00+00:00"
    by_model = compute_windows(store.engine, "h", timedelta(days=1), ["cbrn"], by="model")
    assert [(w.scope, w.n) for w in by_model] == [("model=prod", 100)]


def test_database_aggregation_matches_the_exact_windows(store: Any, fake_guard: Any, tmp_path: Path) -> None:
    from alignloop.monitor._windows import aggregate_windows, hourly_windows

    rows = traffic_rows(50, START, timedelta(hours=3), seed=1, response="nerve agent recipe")
    rows += traffic_rows(70, START + timedelta(minutes=20), timedelta(hours=3), seed=2, shift=0.4)
    ingest_file(store.engine, write_jsonl(tmp_path / "t.jsonl", rows))
    score_pending(store.engine, fake_guard, "h")
    exact = compute_windows(store.engine, "h", timedelta(hours=1), ["cbrn"])
    fast = aggregate_windows(store.engine, "h", timedelta(hours=1), ["cbrn"])
    for f, e in zip(fast, exact, strict=True):
        assert (f.start, f.n) == (e.start, e.n)
        assert f.counts == e.counts, {k: (v, e.counts[k]) for k, v in f.counts.items() if v != e.counts[k]}
    for width in (timedelta(hours=1), timedelta(hours=2), timedelta(minutes=30)):
        exact = compute_windows(store.engine, "h", width, ["cbrn"])
        hourly = hourly_windows(store.engine, "h", width, ["cbrn"])
        assert [(w.start, w.n, w.counts) for w in hourly] == [(w.start, w.n, w.counts) for w in exact]
    score_pending(store.engine, fake_guard, "h")  # nothing new: the hourly counts must not grow
    assert [w.n for w in hourly_windows(store.engine, "h", timedelta(days=1), [])] == [120]
    exact = compute_windows(store.engine, "h", timedelta(hours=1), ["cbrn"])
    later = aggregate_windows(store.engine, "h", timedelta(hours=1), ["cbrn"], since=START + timedelta(hours=1))
    assert [w.start for w in later] == [w.start for w in exact[1:]]
