"""OpenTelemetry GenAI spans: one ``chat`` span per exchange, guard verdicts as evaluation events.

Export is on when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (OTLP over HTTP); tests hand in a tracer
provider with an in-memory exporter instead.
"""

from __future__ import annotations

import os
from typing import Any

from alignloop.guard import Decision

PROVIDER = "alignloop"


def tracer_from_env() -> tuple[Any, Any] | None:
    """``(tracer, provider)`` exporting to ``$OTEL_EXPORTER_OTLP_ENDPOINT``, or None when it is unset."""
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    service = os.environ.get("OTEL_SERVICE_NAME", "alignloop-serve")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider.get_tracer("alignloop.serve"), provider


def _event(stage: str, d: Decision) -> dict[str, Any]:
    top = max(d.categories.items(), key=lambda kv: kv[1])[0] if d.categories else ""
    reasons = "; ".join(f"{r.detector}:{r.category}->{r.action}" for r in d.reasons)
    return {
        "gen_ai.evaluation.name": f"alignloop.guard.{stage}",
        "gen_ai.evaluation.score.value": float(d.score),
        "gen_ai.evaluation.score.label": d.action,
        "gen_ai.evaluation.explanation": reasons or f"top category {top}",
    }


def export_span(
    tracer: Any,
    *,
    model: str,
    provider: str,
    start_ns: int,
    end_ns: int,
    input_tokens: int | None,
    output_tokens: int | None,
    finish_reason: str | None,
    decisions: dict[str, Decision],
    status_code: int,
    key_name: str | None,
) -> None:
    """Record one finished exchange as a GenAI ``chat`` span."""
    from opentelemetry.trace import SpanKind, Status, StatusCode

    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": model,
        "http.response.status_code": status_code,
    }
    if input_tokens is not None:
        attrs["gen_ai.usage.input_tokens"] = input_tokens
    if output_tokens is not None:
        attrs["gen_ai.usage.output_tokens"] = output_tokens
    if finish_reason:
        attrs["gen_ai.response.finish_reasons"] = [finish_reason]
    if key_name:
        attrs["alignloop.key_name"] = key_name
    span = tracer.start_span(f"chat {model}", kind=SpanKind.SERVER, start_time=start_ns, attributes=attrs)
    for stage, d in decisions.items():
        span.add_event("gen_ai.evaluation.result", attributes=_event(stage, d), timestamp=end_ns)
    if status_code >= 500:
        span.set_status(Status(StatusCode.ERROR))
    span.end(end_time=end_ns)
