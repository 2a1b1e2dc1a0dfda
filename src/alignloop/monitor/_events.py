"""Turn logged exchanges into rows of the shared ``traces`` table: JSONL rows and OTLP GenAI spans.

A row's ``id`` is its idempotency key: a content hash for JSONL rows, the trace and span ids for OTLP
spans, so replaying a file or a batch after a crash stores nothing twice.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from alignloop._util.errors import DataError

_TS_KEYS = ("timestamp", "ts", "time", "created_at")


def parse_time(value: Any, where: str) -> datetime:
    """An ISO 8601 string or Unix seconds (milli/micro/nanoseconds detected by size) as aware UTC."""
    if isinstance(value, bool) or value is None:
        raise DataError(
            f"{where}: missing timestamp", hint=f"add one of {', '.join(_TS_KEYS)} (ISO 8601 or Unix seconds)"
        )
    if isinstance(value, (int, float)):
        x = float(value)
        while x > 1e11:  # ms, us or ns since the epoch
            x /= 1000.0
        return datetime.fromtimestamp(x, tz=timezone.utc)
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise DataError(
                f"{where}: timestamp {value!r} is not ISO 8601", hint="write e.g. 2025-01-31T12:00:00Z"
            ) from None
        return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)
    raise DataError(f"{where}: timestamp must be a string or a number, got {type(value).__name__}")


def _content(value: Any) -> str:
    # OpenAI content may be a list of parts; only the text parts are kept
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(p.get("text") or p.get("content") or "" for p in value if isinstance(p, dict))
    return "" if value is None else str(value)


def normalise_messages(messages: Any, where: str) -> list[dict[str, Any]]:
    """``[{"role", "content"}]`` with text content, or a :class:`DataError` naming the row."""
    if isinstance(messages, str):
        return [{"role": "user", "content": messages}]
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise DataError(f"{where}: messages must be a list of {{role, content}} objects")
    return [{"role": str(m.get("role", "user")), "content": _content(m.get("content"))} for m in messages]


def trace_from_row(row: dict[str, Any], where: str, now: datetime, raw: bytes | None = None) -> dict[str, Any]:
    """A ``traces`` row from ``{"messages", "response", "model", "timestamp"}`` (+ key, latency_ms, id).

    Without an ``id`` the row's is a hash of its line as read (``raw``; else of its canonical JSON):
    replaying the same file stores nothing twice.
    """
    if "messages" not in row and "prompt" not in row:
        raise DataError(
            f"{where}: no messages",
            hint='rows look like {"messages": [...], "response": "...", "model": "...", "timestamp": "..."}',
        )
    messages = normalise_messages(row.get("messages", row.get("prompt")), where)
    ts_value = next((row[k] for k in _TS_KEYS if k in row), None)
    ts = parse_time(ts_value, where)
    response = row.get("response")
    if response is not None and not isinstance(response, str):
        response = _content(response)
    rid = row.get("id")
    if not isinstance(rid, str) or not rid or len(rid) > 64:
        data = raw.strip() if raw is not None else json.dumps(row, sort_keys=True, ensure_ascii=False).encode()
        rid = hashlib.sha256(data).hexdigest()
    latency = row.get("latency_ms")
    return {
        "id": rid,
        "ts": ts,
        "source": "file",
        "key_name": row.get("key") or row.get("key_name"),
        "model": str(row.get("model") or "unknown"),
        "constitution_hash": None,
        "messages": messages,
        "response": response,
        "log_content": "full",
        "flagged": False,
        "action": "allow",
        "finish_reason": row.get("finish_reason"),
        "status_code": None,
        "decisions": None,
        "latency_guard_in_ms": None,
        "latency_upstream_ms": None,
        "latency_guard_out_ms": None,
        "latency_total_ms": float(latency) if isinstance(latency, (int, float)) else None,
        "input_tokens": None,
        "output_tokens": None,
        "extra": None,
        "created_at": now,
    }


# -- OTLP ------------------------------------------------------------------------------------------


def _any_value(v: dict[str, Any]) -> Any:
    for k in ("stringValue", "boolValue", "doubleValue"):
        if k in v:
            return v[k]
    if "intValue" in v:
        return int(v["intValue"])
    if "arrayValue" in v:
        return [_any_value(x) for x in v["arrayValue"].get("values", [])]
    if "kvlistValue" in v:
        return {kv["key"]: _any_value(kv.get("value", {})) for kv in v["kvlistValue"].get("values", [])}
    return None


def _attrs(items: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {a["key"]: _any_value(a.get("value", {})) for a in items or [] if "key" in a}


def _parts_text(parts: Any) -> str:
    if isinstance(parts, str):
        return parts
    if isinstance(parts, list):
        return "".join(
            str(p.get("content", "")) for p in parts if isinstance(p, dict) and p.get("type", "text") == "text"
        )
    return ""


def _semconv_messages(value: Any) -> list[dict[str, Any]]:
    """``gen_ai.input.messages`` / ``gen_ai.output.messages``: a JSON string or structured value of
    ``[{"role", "parts": [{"type": "text", "content"}]}]`` (older exporters write ``content``)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return [{"role": "user", "content": value}]
    if isinstance(value, dict):
        value = [value]
    out = []
    for m in value if isinstance(value, list) else []:
        if isinstance(m, dict):
            text = _parts_text(m["parts"]) if "parts" in m else _content(m.get("content"))
            out.append({"role": str(m.get("role", "user")), "content": text})
    return out


def _indexed(attrs: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    # the deprecated flat form: gen_ai.prompt.0.role, gen_ai.prompt.0.content, ...
    out: dict[int, dict[str, Any]] = {}
    for k, v in attrs.items():
        if k.startswith(prefix + "."):
            idx, _, field = k[len(prefix) + 1 :].partition(".")
            if idx.isdigit() and field in ("role", "content"):
                out.setdefault(int(idx), {"role": "user", "content": ""})[field] = str(v)
    return [out[i] for i in sorted(out)]


def _hex_id(value: str) -> str:
    # OTLP/JSON writes ids in hex; protobuf decoded with MessageToDict gives base64
    if len(value) in (16, 32) and all(c in "0123456789abcdefABCDEF" for c in value):
        return value.lower()
    try:
        return base64.b64decode(value).hex()
    except ValueError:
        return value


def traces_from_otlp(doc: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """``traces`` rows for the GenAI spans of an OTLP/JSON export (other spans are skipped)."""
    rows = []
    for rs in doc.get("resourceSpans", []) or []:
        res_attrs = _attrs((rs.get("resource") or {}).get("attributes"))
        for ss in rs.get("scopeSpans", rs.get("instrumentationLibrarySpans", [])) or []:
            for span in ss.get("spans", []) or []:
                row = _span_row(span, res_attrs, now)
                if row is not None:
                    rows.append(row)
    return rows


def _span_row(span: dict[str, Any], res_attrs: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    a = {**res_attrs, **_attrs(span.get("attributes"))}
    if "gen_ai.input.messages" in a:
        messages = _semconv_messages(a["gen_ai.input.messages"])
    elif "gen_ai.prompt" in a:
        messages = _semconv_messages(a["gen_ai.prompt"])
    else:
        messages = _indexed(a, "gen_ai.prompt")
    if "gen_ai.output.messages" in a:
        outputs = _semconv_messages(a["gen_ai.output.messages"])
    elif "gen_ai.completion" in a:
        outputs = _semconv_messages(a["gen_ai.completion"])
    else:
        outputs = _indexed(a, "gen_ai.completion")
    if not messages:
        return None
    start = int(span.get("startTimeUnixNano") or 0)
    end = int(span.get("endTimeUnixNano") or 0)
    if not start:
        return None
    tid, sid = _hex_id(str(span.get("traceId", ""))), _hex_id(str(span.get("spanId", "")))
    rid = (tid + sid)[:64] if tid or sid else hashlib.sha256(json.dumps(span, sort_keys=True).encode()).hexdigest()
    model = a.get("gen_ai.response.model") or a.get("gen_ai.request.model") or "unknown"
    in_tok, out_tok = a.get("gen_ai.usage.input_tokens"), a.get("gen_ai.usage.output_tokens")
    reasons = a.get("gen_ai.response.finish_reasons")
    return {
        "id": rid,
        "ts": datetime.fromtimestamp(start / 1e9, tz=timezone.utc),
        "source": "otlp",
        "key_name": a.get("alignloop.key") or a.get("service.name"),
        "model": str(model),
        "constitution_hash": None,
        "messages": messages,
        "response": "\n".join(m["content"] for m in outputs) if outputs else None,
        "log_content": "full",
        "flagged": False,
        "action": "allow",
        "finish_reason": reasons[0] if isinstance(reasons, list) and reasons else None,
        "status_code": None,
        "decisions": None,
        "latency_guard_in_ms": None,
        "latency_upstream_ms": None,
        "latency_guard_out_ms": None,
        "latency_total_ms": (end - start) / 1e6 if end > start else None,
        "input_tokens": int(in_tok) if isinstance(in_tok, (int, float)) else None,
        "output_tokens": int(out_tok) if isinstance(out_tok, (int, float)) else None,
        "extra": {"span_name": span.get("name")},
        "created_at": now,
    }


def otlp_protobuf_to_json(body: bytes) -> dict[str, Any]:
    """Decode an OTLP/HTTP protobuf ``ExportTraceServiceRequest`` into the OTLP/JSON shape."""
    from google.protobuf.json_format import MessageToDict
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    req = ExportTraceServiceRequest()
    try:
        req.ParseFromString(body)
    except Exception as e:  # DecodeError: a client sent something else
        raise DataError(f"not an OTLP protobuf ExportTraceServiceRequest: {e}") from None
    doc: dict[str, Any] = MessageToDict(req)
    return doc
