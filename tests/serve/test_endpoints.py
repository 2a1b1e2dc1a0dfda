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
