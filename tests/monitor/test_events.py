from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from alignloop._util.errors import DataError
from alignloop.monitor import otlp_protobuf_to_json, trace_from_row, traces_from_otlp

NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)


def test_jsonl_row_keeps_event_time_and_hashes_content() -> None:
    row = {
        "messages": [{"role": "user", "content": "hi"}],
        "response": "hello",
        "model": "m",
        "timestamp": "2025-03-01T10:00:00Z",
    }
    t = trace_from_row(row, "f:1", NOW)
    assert t["ts"] == datetime(2025, 3, 1, 10, tzinfo=timezone.utc)
    assert t["created_at"] == NOW and t["source"] == "file" and len(t["id"]) == 64
    assert trace_from_row(dict(row), "f:1", NOW)["id"] == t["id"]
    assert trace_from_row({**row, "response": "other"}, "f:1", NOW)["id"] != t["id"]
    assert trace_from_row({**row, "timestamp": 1740823200}, "f:1", NOW)["ts"] == t["ts"]


def test_jsonl_row_without_timestamp_names_the_line() -> None:
    with pytest.raises(DataError, match=r"f\.jsonl:3: missing timestamp"):
        trace_from_row({"messages": [{"role": "user", "content": "x"}]}, "f.jsonl:3", NOW)


def _attr(key: str, value: object) -> dict[str, object]:
    v = {"stringValue": value} if isinstance(value, str) else {"intValue": str(value)}
    return {"key": key, "value": v}


def _span(attrs: list[dict[str, object]], span_id: str = "00f067aa0ba902b7") -> dict[str, object]:
    return {
        "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
        "spanId": span_id,
        "name": "chat",
        "startTimeUnixNano": "1740823200000000000",
        "endTimeUnixNano": "1740823200500000000",
        "attributes": attrs,
    }


def _doc(*spans: dict[str, object]) -> dict[str, object]:
    return {
        "resourceSpans": [
            {"resource": {"attributes": [_attr("service.name", "shop")]}, "scopeSpans": [{"spans": list(spans)}]}
        ]
    }


def test_otlp_semconv_messages_are_mapped() -> None:
    inp = [{"role": "user", "parts": [{"type": "text", "content": "What is 2+2?"}]}]
    out = [{"role": "assistant", "parts": [{"type": "text", "content": "4"}], "finish_reason": "stop"}]
    span = _span(
        [
            _attr("gen_ai.request.model", "gpt-x"),
            _attr("gen_ai.input.messages", json.dumps(inp)),
            _attr("gen_ai.output.messages", json.dumps(out)),
            _attr("gen_ai.usage.input_tokens", 7),
        ]
    )
    (t,) = traces_from_otlp(_doc(span, {"name": "db", "attributes": []}), NOW)
    assert t["messages"] == [{"role": "user", "content": "What is 2+2?"}]
    assert t["response"] == "4" and t["model"] == "gpt-x" and t["input_tokens"] == 7
    assert t["id"] == "4bf92f3577b34da6a3ce929d0e0e4736" + "00f067aa0ba902b7"
    assert t["ts"] == datetime(2025, 3, 1, 10, tzinfo=timezone.utc)
    assert t["latency_total_ms"] == pytest.approx(500.0)
    assert t["key_name"] == "shop"


def test_otlp_deprecated_prompt_and_completion() -> None:
    flat = _span(
        [
            _attr("gen_ai.prompt.0.role", "user"),
            _attr("gen_ai.prompt.0.content", "hello"),
            _attr("gen_ai.completion.0.content", "hi there"),
        ]
    )
    plain = _span(
        [_attr("gen_ai.prompt", "tell me a joke"), _attr("gen_ai.completion", "no")], span_id="00f067aa0ba902b8"
    )
    a, b = traces_from_otlp(_doc(flat, plain), NOW)
    assert a["messages"] == [{"role": "user", "content": "hello"}] and a["response"] == "hi there"
    assert b["messages"] == [{"role": "user", "content": "tell me a joke"}] and b["response"] == "no"


def test_otlp_protobuf_decodes_to_the_same_rows() -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    req = ExportTraceServiceRequest()
    span = req.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id = bytes.fromhex("4bf92f3577b34da6a3ce929d0e0e4736")
    span.span_id = bytes.fromhex("00f067aa0ba902b7")
    span.start_time_unix_nano = 1740823200000000000
    span.attributes.append(KeyValue(key="gen_ai.prompt", value=AnyValue(string_value="hi")))
    span.attributes.append(KeyValue(key="gen_ai.completion", value=AnyValue(string_value="hello")))
    (t,) = traces_from_otlp(otlp_protobuf_to_json(req.SerializeToString()), NOW)
    assert t["id"] == "4bf92f3577b34da6a3ce929d0e0e4736" + "00f067aa0ba902b7"
    assert t["response"] == "hello"
    with pytest.raises(DataError):
        otlp_protobuf_to_json(b"\xff\xff\xff")
