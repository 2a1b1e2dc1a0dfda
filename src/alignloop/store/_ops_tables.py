"""Tables shared by the operational stages: gateway traces, the audit log and incidents.

``serve`` writes traces and ``monitor`` ingests and reads them; every stage appends to the audit log
through ``alignloop.govern.append_audit``; alerts (``monitor``) and people (``incident`` commands) open
incidents. Each stage's private tables live beside its own migration; these three are the contract
between them. Migration ``0002`` creates them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alignloop.store._tables import Base


class TraceRow(Base):
    """One exchange with a model: from the gateway, a JSONL file or an OTLP span.

    ``id`` is an idempotency key: the gateway uses a random id, ingestion a content hash (or the span
    id), so replaying a file after a crash stores nothing twice.
    """

    __tablename__ = "traces"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """When the exchange happened (the event's own time, never the ingestion time)."""
    source: Mapped[str] = mapped_column(String(16))
    """``gateway``, ``file`` or ``otlp``."""
    key_name: Mapped[str | None] = mapped_column(String(255))
    model: Mapped[str] = mapped_column(Text)
    constitution_hash: Mapped[str | None] = mapped_column(String(64))
    messages: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    """The request's messages as logged (``--log-content``: full, redacted, or None)."""
    response: Mapped[str | None] = mapped_column(Text)
    log_content: Mapped[str] = mapped_column(String(16), default="redacted")
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    action: Mapped[str] = mapped_column(String(16), default="allow")
    """The strongest guard action taken: allow, flag, redact or block."""
    finish_reason: Mapped[str | None] = mapped_column(String(32))
    status_code: Mapped[int | None] = mapped_column(Integer)
    decisions: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Guard decisions as logged: ``{"input": {...}, "output": {...}}`` with scores and reasons."""
    latency_guard_in_ms: Mapped[float | None] = mapped_column(Float)
    latency_upstream_ms: Mapped[float | None] = mapped_column(Float)
    latency_guard_out_ms: Mapped[float | None] = mapped_column(Float)
    latency_total_ms: Mapped[float | None] = mapped_column(Float)
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """When the row was stored (for lag and retention, never for windows)."""

    __table_args__ = (
        Index("ix_traces_ts", "ts"),
        Index("ix_traces_model_ts", "model", "ts"),
        Index("ix_traces_key_ts", "key_name", "ts"),
    )


class AuditRow(Base):
    """One consequential act, chained to the previous entry by ``prev_hash`` -> ``hash``."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    """Dotted verb: ``constitution.change``, ``run.finish``, ``release.approve``, ``key.create`` ..."""
    subject: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    keyed: Mapped[bool] = mapped_column(Boolean, default=False)
    """Whether ``hash`` is an HMAC (a key was configured) rather than a plain SHA-256."""

    __table_args__ = (Index("ix_audit_log_ts", "ts"), Index("ix_audit_log_action", "action"))


class IncidentRow(Base):
    """An AI incident: opened by an alert or by hand, with linked traces and a post-incident note."""

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64))
    """``harmful_output``, ``data_leak``, ``harmful_hallucination``, ``denial_of_service`` or ``other``."""
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    """``open``, ``acknowledged`` or ``resolved``."""
    source: Mapped[str] = mapped_column(String(16))
    """``alert`` or ``manual``."""
    alert_id: Mapped[str | None] = mapped_column(String(64))
    trace_ids: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_incidents_status_opened", "status", "opened_at"),)


class IncidentEventRow(Base):
    """One entry of an incident's timeline (opened, acknowledged, comment, traces linked, resolved)."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(String(32), ForeignKey("incidents.id", ondelete="CASCADE"))
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_incident_events_incident", "incident_id", "id"),)
