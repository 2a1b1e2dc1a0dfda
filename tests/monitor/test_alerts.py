from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import Request, Response
from sqlalchemy import select

from alignloop.constitution._monitoring import Channel, Monitoring, Rule
from alignloop.monitor import compute_windows, evaluate, ingest_file, list_alerts, score_pending, send, store_firings
from alignloop.store import AuditRow, IncidentEventRow, IncidentRow
from alignloop.store._monitor_tables import ReviewItemRow

from .conftest import START, traffic_rows, write_jsonl


def _windows(store: Any, guard: Any, tmp_path: Path) -> list[Any]:
    rows = traffic_rows(100, START, timedelta(hours=1), seed=1)
    rows += traffic_rows(100, START + timedelta(hours=1), timedelta(hours=1), seed=2, response="nerve agent recipe")
    ingest_file(store.engine, write_jsonl(tmp_path / "t.jsonl", rows))
    score_pending(store.engine, guard, "h")
    return compute_windows(store.engine, "h", timedelta(hours=1), ["cbrn"])


def test_rate_rule_fires_once_opens_incident_and_queues_examples(
    store: Any, fake_guard: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _windows(store, fake_guard, tmp_path)
    rule = Rule(name="harm", metric="violation.cbrn", above=0.5, severity="high", channels=["stdout"])
    mon = Monitoring(rules=[rule], review_per_alert=3)
    assert evaluate([rule], ws[0]) == []
    (firing,) = evaluate([rule], ws[1])
    assert firing.value is not None and firing.value > 0.9 and len(firing.trace_ids) == 20
    (alert,) = store_firings(store.engine, [firing], mon)
    assert "harm" in capsys.readouterr().out
    assert store_firings(store.engine, evaluate([rule], ws[1]), mon) == []  # a rerun raises nothing twice
    (stored,) = list_alerts(store.engine)
    assert stored["deliveries"] == {"stdout": "ok"} and stored["incident_id"] == alert.incident_id
    with store.engine.connect() as c:
        inc = c.execute(select(IncidentRow)).one()
        assert (inc.status, inc.source, inc.alert_id, inc.category) == ("open", "alert", alert.id, "harmful_output")
        assert inc.trace_ids == firing.trace_ids
        assert inc.id == alert.incident_id and inc.id.startswith("inc-")  # opened by alignloop.govern
        assert c.execute(select(IncidentEventRow.kind)).scalars().all() == ["open"]  # govern's timeline
        actions = c.execute(select(AuditRow.action).order_by(AuditRow.seq)).scalars().all()
        assert actions == ["alert.raise", "incident.open"]
        queued = c.execute(select(ReviewItemRow.reason)).scalars().all()
        assert queued == [f"alert:{alert.id}"] * 3


def test_small_windows_and_latency_rules() -> None:
    from alignloop.monitor import Window

    w = Window(start=START, end=START + timedelta(hours=1), scope="all", n=5, counts={"violation": [5, 5]})
    assert evaluate([Rule(name="r", metric="violation", above=0.1)], w) == []  # min_n 20
    w.n = 30
    w.latencies = [100.0] * 29 + [9000.0]
    assert evaluate([Rule(name="lat", metric="latency_p95_ms", above=200, min_n=1)], w) == []
    w.latencies = [9000.0] * 30
    assert len(evaluate([Rule(name="lat", metric="latency_p95_ms", above=200, min_n=1)], w)) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A webhook receiver on 127.0.0.1 that fails its first request with a 503."""
    import uvicorn
    from fastapi import FastAPI

    got: list[dict[str, Any]] = []
    calls = {"n": 0}
    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return Response(status_code=503)
        got.append(await request.json())
        return Response(status_code=204)

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/hook", got
    server.should_exit = True
    t.join(timeout=5)


def test_webhook_retries_then_delivers(receiver: tuple[str, list[dict[str, Any]]]) -> None:
    url, got = receiver
    alert = {"id": "a1", "rule": "r", "severity": "high", "message": "m"}
    assert send(Channel(name="hook", type="webhook", url=url, retries=2), alert) == "ok"
    assert got == [{"type": "alignloop.alert", "alert": alert}]


def test_webhook_failure_is_reported_not_raised() -> None:
    url = f"http://127.0.0.1:{_free_port()}/nothing"
    out = send(
        Channel(name="hook", type="webhook", url=url, retries=1, timeout_s=0.5),
        {"rule": "r", "severity": "low", "message": "m"},
    )
    assert out != "ok" and "Connect" in out
