"""The monitor's own tables: trace scores, alerts, the review queue and probe runs (migration 0004).

Traces themselves live in the shared ``traces`` table (``alignloop.store.TraceRow``); incidents in the
shared ``incidents`` tables. Scores copy a trace's ``ts``, ``model`` and ``key_name`` so windows are
computed from one indexed table without a join.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alignloop.store._tables import Base


class TraceScoreRow(Base):
    """What the judgement core said about one trace under one constitution (rescoring adds rows)."""

    __tablename__ = "monitor_scores"

    trace_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    constitution_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    model: Mapped[str] = mapped_column(Text)
    key_name: Mapped[str | None] = mapped_column(String(255))
    input_flagged: Mapped[bool] = mapped_column(Boolean)
    """The guard calls the prompt unsafe (some category fired on the input)."""
    violation: Mapped[bool] = mapped_column(Boolean)
    """Some category fired on the response."""
    categories: Mapped[list[str]] = mapped_column(JSON)
    """Categories that fired on the response."""
    refusal: Mapped[bool] = mapped_column(Boolean)
    injection: Mapped[bool] = mapped_column(Boolean)
    pii_leak: Mapped[bool] = mapped_column(Boolean)
    """The response contains personal data or a secret."""
    loop: Mapped[bool] = mapped_column(Boolean)
    """The response repeats itself (``alignloop.guard.is_loop``)."""
    latency_ms: Mapped[float | None] = mapped_column(Float)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Raw probabilities: output categories, injection, refusal."""
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_monitor_scores_hash_ts", "constitution_hash", "ts"),)


class AlertRow(Base):
    """One alert a monitoring rule raised on one window; stored before any channel is tried."""

    __tablename__ = "monitor_alerts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """Hash of rule, window and scope: re-running a report never raises the same alert twice."""
    rule: Mapped[str] = mapped_column(String(128))
    metric: Mapped[str] = mapped_column(String(128))
    severity: Mapped[str] = mapped_column(String(16))
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    window_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    scope: Mapped[str] = mapped_column(String(255))
    """``all`` or ``model=<name>`` / ``key=<name>``."""
    value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)
    trace_ids: Mapped[list[str]] = mapped_column(JSON)
    incident_id: Mapped[str | None] = mapped_column(String(32))
    deliveries: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Per channel: ``ok`` or the last error after retries."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_monitor_alerts_window", "window_start"),)


class ReviewItemRow(Base):
    """One trace waiting for (or given) a person's verdict."""

    __tablename__ = "monitor_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trace_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(96))
    """``flagged``, ``sample`` (random unflagged) or ``alert:<id>``."""
    priority: Mapped[int] = mapped_column(Integer)
    """Lower first: alert examples, then flagged traces, then the random sample."""
    status: Mapped[str] = mapped_column(String(16))
    """``pending``, ``approved``, ``relabelled``, ``corrected`` or ``dismissed``."""
    category: Mapped[str | None] = mapped_column(String(64))
    """The category a reviewer relabelled the trace with (or the guard's, when approved)."""
    correction: Mapped[str | None] = mapped_column(Text)
    """The reply the reviewer wrote (``corrected``)."""
    reviewer: Mapped[str | None] = mapped_column(String(255))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("trace_id", name="uq_monitor_review_trace"),
        Index("ix_monitor_review_status", "status", "priority", "id"),
    )


class ProbeRunRow(Base):
    """One run of the fixed probe set against an endpoint, with how far it moved from the last run."""

    __tablename__ = "monitor_probes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target: Mapped[str] = mapped_column(Text)
    """The endpoint URL and model name probed."""
    probe_hash: Mapped[str] = mapped_column(String(64))
    replies: Mapped[list[str]] = mapped_column(JSON)
    changed: Mapped[float | None] = mapped_column(Float)
    """Share of probes whose reply changed materially since the previous run (None on the first)."""
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_monitor_probes_target_ts", "target", "ts"),)


class HourlyRow(Base):
    """Scored traces counted per hour, model and key: the dashboard reads these, not the scores.

    The scorer adds each batch's counts in the transaction that stores its scores, so the two agree;
    any window that is a whole number of hours is a sum of these rows.
    """

    __tablename__ = "monitor_hourly"

    constitution_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    model: Mapped[str] = mapped_column(String(255), primary_key=True)
    key_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    """The key, or "" for traces without one."""
    n: Mapped[int] = mapped_column(Integer)
    violation: Mapped[int] = mapped_column(Integer)
    refusal: Mapped[int] = mapped_column(Integer)
    over_refusal: Mapped[int] = mapped_column(Integer)
    safe: Mapped[int] = mapped_column(Integer)
    """Traces whose prompt the guard calls safe (over-refusal's denominator)."""
    injection: Mapped[int] = mapped_column(Integer)
    pii_leak: Mapped[int] = mapped_column(Integer)
    loop: Mapped[int] = mapped_column(Integer)


class HourlyCategoryRow(Base):
    """Violations per category in one hour, model and key (only categories that fired)."""

    __tablename__ = "monitor_hourly_categories"

    constitution_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    model: Mapped[str] = mapped_column(String(255), primary_key=True)
    key_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    k: Mapped[int] = mapped_column(Integer)
