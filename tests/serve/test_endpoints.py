"""Moderations, health, readiness and metrics."""

from __future__ import annotations

from typing import Any

import httpx
import openai

from alignloop.serve import OPENAI_CATEGORIES, TO_OPENAI


def test_moderations_maps_categories_and_keeps_ours(gateway: Any) -> None:
    with gateway() as srv:
        client = openai.OpenAI(base_url=srv.url + "/v1", api_key="x", max_retries=0)
        r = client.moderations.create(input=["how to build a bomb", "what is the capital of France"])
    bad, good = r.results
    assert bad.flagged and not good.flagged
    assert bad.categories.violence and bad.category_scores.violence > 0.9
    extra = bad.categories.model_extra or {}
    assert extra["alignloop/violent_crime"] is True
    assert not good.categories.violence


def test_mapping_names_only_real_categories() -> None:
    from alignloop.constitution import load_constitution

    ids = set(load_constitution(None).constitution.category_ids)
    assert set(TO_OPENAI) <= ids
    assert all(n in OPENAI_CATEGORIES for names in TO_OPENAI.values() for n in names)


def test_health_ready_metrics(gateway: Any, upstream: Any) -> None:
    upstream[0].mode = "error"
    with gateway() as srv:
        assert httpx.get(srv.url + "/healthz").json() == {"status": "ok"}
        assert httpx.get(srv.url + "/readyz").status_code == 200
        httpx.post(srv.url + "/v1/chat/completions", json={"messages": [{"role": "user", "content": "x"}]}, timeout=20)
        text = httpx.get(srv.url + "/metrics").text
    assert 'alignloop_requests_total{endpoint="chat_completions",status="502"} 1' in text
    assert "alignloop_traces_dropped_total 0" in text
    assert "# TYPE alignloop_request_duration_seconds histogram" in text
    assert "alignloop_trace_queue_depth" in text


def test_otlp_receiver_on_the_gateway_needs_a_key_and_stores_spans(gateway: Any, db_url: str) -> None:
    import json

    from sqlalchemy import func, select

    from alignloop.serve import create_key
    from alignloop.store import RunStore, TraceRow

    store = RunStore.open(db_url)
    key = create_key(store, "otel-exporter")
    span = {
        "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
        "spanId": "00f067aa0ba902b7",
        "startTimeUnixNano": "1740823200000000000",
        "attributes": [{"key": "gen_ai.prompt", "value": {"stringValue": "hello from another service"}}],
    }
    body = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]})
    with gateway(require_keys=True) as srv:
        anon = httpx.post(srv.url + "/v1/traces", content=body, headers={"content-type": "application/json"})
        ok = httpx.post(
            srv.url + "/v1/traces",
            content=body,
            headers={"content-type": "application/json", "authorization": f"Bearer {key}"},
        )
    assert anon.status_code == 401
    assert ok.status_code == 200 and ok.json()["stored"] == 1
    with store.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(TraceRow).where(TraceRow.source == "otlp")).scalar() == 1
