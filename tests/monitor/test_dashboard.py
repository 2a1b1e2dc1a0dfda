"""Dashboard pages and API with a real HTTP client (FastAPI's TestClient on httpx)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from alignloop.constitution import load_constitution
from alignloop.monitor import build_report, enqueue_scored, ingest_file, score_pending

from .conftest import START, traffic_rows, write_jsonl


def populate(store: Any, guard: Any, tmp_path: Path) -> None:
    """Three hours of traffic (the last one harmful), two eval runs (the second regresses), alerts, a queue."""
    rows = traffic_rows(80, START, timedelta(hours=1), seed=1)
    rows += traffic_rows(80, START + timedelta(hours=1), timedelta(hours=1), seed=2)
    rows += traffic_rows(80, START + timedelta(hours=2), timedelta(hours=1), seed=3, response="the nerve agent recipe")
    ingest_file(store.engine, write_jsonl(tmp_path / "traffic.jsonl", rows))
    lc = load_constitution(None)
    score_pending(store.engine, guard, lc.hash)
    enqueue_scored(store.engine, lc.hash, 0.05)
    build_report(store.engine, lc, embedder=None)
    for hc, orr in ((0.04, 0.05), (0.12, 0.06)):
        rid = store.start_run("eval", "prod", lc.hash, {})
        store.log_metrics(rid, {"harmful_compliance": hc, "over_refusal": orr, "helpfulness_retention": 0.9})
        store.finish_run(rid)


@pytest.fixture
def client(store: Any, fake_guard: Any, tmp_path: Path) -> Any:
    from fastapi.testclient import TestClient

    from alignloop.monitor.dashboard import create_app

    populate(store, fake_guard, tmp_path)
    return TestClient(create_app(store, load_constitution(None)))


def test_every_page_renders(client: Any) -> None:
    pages = {
        "/": ["regression", "harmful_compliance", "<svg"],
        "/gates": ["blocked", "release"],
        "/monitoring": ["<svg", "harmful_outputs", "Wilson"],
        "/review": ["data-id=", "Reviewer"],
        "/incidents": ["harmful_outputs", "open"],
        "/leadership": ["CBRN", "legal risk", "<svg"],
    }
    for path, needles in pages.items():
        r = client.get(path)
        assert r.status_code == 200, path
        for n in needles:
            assert n.lower() in r.text.lower(), (path, n)


def test_review_api_labels_and_reports_errors(client: Any) -> None:
    page = client.get("/review").text
    item_id = int(page.split('data-id="')[1].split('"')[0])
    bad = client.post(f"/api/review/{item_id}", json={"verdict": "relabelled", "reviewer": "ana"})
    assert bad.status_code == 400 and "category" in bad.json()["error"]["message"]
    missing = client.post("/api/review/99999", json={"verdict": "approved", "reviewer": "ana"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == 404
    ok = client.post(f"/api/review/{item_id}", json={"verdict": "relabelled", "category": "cbrn", "reviewer": "ana"})
    assert ok.status_code == 200 and ok.json()["status"] == "relabelled"
    assert f'data-id="{item_id}"' not in client.get("/review").text


def test_report_api_and_bad_window(client: Any) -> None:
    rep = client.get("/api/report").json()
    assert [w["n"] for w in rep["windows"]] == [80, 80, 80]
    assert client.get("/api/report?window=soon").status_code == 400


def test_otlp_receiver_json_and_protobuf(client: Any, store: Any) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    span = {
        "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
        "spanId": "00f067aa0ba902b7",
        "startTimeUnixNano": "1740823200000000000",
        "attributes": [{"key": "gen_ai.prompt", "value": {"stringValue": "hi"}}],
    }
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [span, {"spanId": "01", "name": "db"}]}]}]}
    r = client.post("/v1/traces", content=json.dumps(doc), headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["stored"] == 1 and r.json()["partialSuccess"]["rejectedSpans"] == "1"
    req = ExportTraceServiceRequest()
    s = req.resource_spans.add().scope_spans.add().spans.add()
    s.trace_id, s.span_id, s.start_time_unix_nano = bytes(16), bytes.fromhex("0000000000000001"), 1740823200000000000
    s.attributes.append(KeyValue(key="gen_ai.prompt", value=AnyValue(string_value="x")))
    r = client.post("/v1/traces", content=req.SerializeToString(), headers={"content-type": "application/x-protobuf"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-protobuf"
    assert client.post("/v1/traces", content=b"{", headers={"content-type": "application/json"}).status_code == 400
    assert client.post("/v1/traces", content=b"x", headers={"content-type": "text/plain"}).status_code == 415
