"""One exchange as it happens: timings, decisions, outcome; recorded once as trace, metrics and span."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING, Any

from alignloop.guard import Decision
from alignloop.serve._guarding import Policy, summary
from alignloop.serve._traces import LogContent, logged_messages, logged_text, new_trace
from alignloop.store import TraceRow

if TYPE_CHECKING:
    from alignloop.serve._app import Gateway


@dataclass
class Exchange:
    """What happened to one chat request."""

    policy: Policy
    messages: list[dict[str, Any]]
    stream: bool
    start: float = field(default_factory=time.perf_counter)
    start_ns: int = field(default_factory=time.time_ns)
    decisions: dict[str, Decision] = field(default_factory=dict)
    response: str | None = None
    finish_reason: str | None = None
    status_code: int = 200
    guard_in_ms: float = 0.0
    upstream_ms: float = 0.0
    guard_out_ms: float = 0.0
    input_tokens: int | None = None
    output_tokens: int | None = None
    error: str | None = None
    upstream_messages: list[dict[str, Any]] = field(default_factory=list)
    """What the model is sent: ``messages`` with input redactions applied."""

    def __post_init__(self) -> None:
        if not self.upstream_messages:
            self.upstream_messages = [dict(m) for m in self.messages]

    @property
    def action(self) -> str:
        """The strongest action any applied check took."""
        order = {"allow": 0, "flag": 1, "redact": 2, "block": 3}
        acts = [d.action for d in self.decisions.values()] or ["allow"]
        return max(acts, key=lambda a: order[a])

    def alignloop_field(self) -> dict[str, Any]:
        """The ``alignloop`` field of a response: mode and each check's verdict and reasons."""
        return {
            "mode": self.policy.mode,
            "action": self.action if self.policy.mode != "logging_only" else "allow",
            "input": summary(self.decisions.get("input")),
            "output": summary(self.decisions.get("output")),
        }


def _row(ex: Exchange, model: str, constitution_hash: str, how: LogContent, total_ms: float, ts: datetime) -> TraceRow:
    """The trace row of a finished exchange."""
    extra: dict[str, Any] = {"mode": ex.policy.mode, "stream": ex.stream, "fail_open": ex.policy.fail_open}
    if ex.error:
        extra["error"] = ex.error
    return new_trace(
        ts=ts,
        key_name=ex.policy.key_name,
        model=model,
        constitution_hash=constitution_hash,
        messages=logged_messages(ex.messages, how),
        response=logged_text(ex.response, how),
        log_content=how,
        flagged=any(d.flagged for d in ex.decisions.values()),
        action=ex.action,
        finish_reason=ex.finish_reason,
        status_code=ex.status_code,
        decisions={k: summary(d) for k, d in ex.decisions.items()},
        latency_guard_in_ms=round(ex.guard_in_ms, 3),
        latency_upstream_ms=round(ex.upstream_ms, 3),
        latency_guard_out_ms=round(ex.guard_out_ms, 3),
        latency_total_ms=round(total_ms, 3),
        input_tokens=ex.input_tokens,
        output_tokens=ex.output_tokens,
        extra=extra,
    )


def record(gw: Gateway, ex: Exchange) -> None:
    """Queue the trace, count metrics and export the span; never raises into the response path."""
    total_ms = (time.perf_counter() - ex.start) * 1000
    how = gw.config.log_content
    m = gw.metrics
    m.inc("alignloop_requests_total", endpoint="chat_completions", status=str(ex.status_code))
    m.observe("alignloop_request_duration_seconds", total_ms / 1000, endpoint="chat_completions")
    for stage, d in ex.decisions.items():
        m.inc("alignloop_guard_actions_total", stage=stage, action=d.action)
        if any(r.category == "guard_error" for r in d.reasons):
            m.inc("alignloop_guard_errors_total", stage=stage)
    m.observe("alignloop_guard_duration_seconds", ex.guard_in_ms / 1000, stage="input")
    m.observe("alignloop_guard_duration_seconds", ex.guard_out_ms / 1000, stage="output")
    if gw.writer is not None:
        # the row is built (PII redaction, ORM object) in the writer's thread, not on the request path
        gw.writer.put(
            partial(_row, ex, gw.backend.model, gw.constitution.hash, how, total_ms, datetime.now(timezone.utc))
        )
    if gw.tracer is not None:
        from alignloop.serve._otel import export_span

        try:
            export_span(
                gw.tracer,
                model=gw.backend.model,
                provider=gw.backend.provider,
                start_ns=ex.start_ns,
                end_ns=ex.start_ns + int(total_ms * 1e6),
                input_tokens=ex.input_tokens,
                output_tokens=ex.output_tokens,
                finish_reason=ex.finish_reason,
                decisions=ex.decisions,
                status_code=ex.status_code,
                key_name=ex.policy.key_name,
            )
        except Exception:  # telemetry must never fail a request
            m.inc("alignloop_otel_errors_total")
