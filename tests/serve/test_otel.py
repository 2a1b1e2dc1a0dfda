"""GenAI spans with guard verdicts as evaluation events (in-memory exporter)."""

from __future__ import annotations

from typing import Any

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from alignloop.serve._otel import tracer_from_env


def test_exchange_exports_a_genai_span(gateway: Any) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with gateway(tracer=provider.get_tracer("test")) as srv:
        body = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
        httpx.post(srv.url + "/v1/chat/completions", json=body, timeout=20)
    (span,) = exporter.get_finished_spans()
    a = span.attributes or {}
    assert a["gen_ai.operation.name"] == "chat" and a["gen_ai.request.model"] == "fake-model"
    assert a["gen_ai.provider.name"] == "openai_compatible"
    assert a["gen_ai.usage.input_tokens"] == 7 and a["gen_ai.usage.output_tokens"] == 5
    assert tuple(a["gen_ai.response.finish_reasons"]) == ("stop",)  # type: ignore[arg-type]
    events = [e for e in span.events if e.name == "gen_ai.evaluation.result"]
    names = sorted(str((e.attributes or {})["gen_ai.evaluation.name"]) for e in events)
    assert names == ["alignloop.guard.input", "alignloop.guard.output"]
    assert all((e.attributes or {})["gen_ai.evaluation.score.label"] == "allow" for e in events)


def test_no_exporter_without_the_endpoint_variable(monkeypatch: Any) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    assert tracer_from_env() is None
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    got = tracer_from_env()
    assert got is not None
    got[1].shutdown()
