"""AI incidents: opened by an alert or by hand, with a timeline, linked traces and a post-incident note.

Every function takes an open SQLAlchemy session on the run store and leaves committing to the caller,
so a monitor alert and the incident it opens commit together. Each change adds a timeline event
(``incident_events``) and an audit entry (``incident.open|update|close``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alignloop._util.errors import UserError
from alignloop.govern._audit import append_audit
from alignloop.store._ops_tables import IncidentEventRow, IncidentRow

CATEGORIES = {
    "harmful_output": "harmful output that reached users",
    "data_leak": "data leaked through prompts or replies",
    "harmful_hallucination": "a hallucination that caused harm",
    "denial_of_service": "denial of service through prompt complexity",
    "other": "any other AI incident",
}
SEVERITIES = ("low", "medium", "high", "critical")
STATUSES = ("open", "acknowledged", "resolved")


@dataclass(frozen=True)
class Incident:
    """One incident with its timeline, detached from the database."""

    id: str
    title: str
    category: str
    severity: str
    status: str
    source: str
    alert_id: str | None
    trace_ids: list[str]
    note: str | None
    opened_at: str
    updated_at: str
    closed_at: str | None
    events: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict."""
        return asdict(self)


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return (dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt).astimezone(timezone.utc).isoformat()


def _incident(s: Session, row: IncidentRow, events: bool = True) -> Incident:
    evs = []
    if events:
        q = select(IncidentEventRow).where(IncidentEventRow.incident_id == row.id).order_by(IncidentEventRow.id)
        evs = [
            {"ts": _iso(e.ts), "actor": e.actor, "kind": e.kind, "text": e.text, "data": e.data} for e in s.scalars(q)
        ]
    return Incident(
        id=row.id,
        title=row.title,
        category=row.category,
        severity=row.severity,
        status=row.status,
        source=row.source,
        alert_id=row.alert_id,
        trace_ids=list(row.trace_ids or []),
        note=row.note,
        opened_at=_iso(row.opened_at) or "",
        updated_at=_iso(row.updated_at) or "",
        closed_at=_iso(row.closed_at),
        events=evs,
    )


def _check(value: str, allowed: Iterable[str], what: str) -> str:
    allowed = list(allowed)
    if value not in allowed:
        raise UserError(f"unknown incident {what} {value!r}", hint=f"use one of: {', '.join(allowed)}")
    return value


def _event(s: Session, row: IncidentRow, actor: str, kind: str, text: str | None, data: dict[str, Any]) -> None:
    now = datetime.now(timezone.utc)
    row.updated_at = now
    s.add(IncidentEventRow(incident_id=row.id, ts=now, actor=actor, kind=kind, text=text, data=data or None))
    append_audit(s, actor=actor, action=f"incident.{kind}", subject=row.id, details={"text": text, **data})


def open_incident(
    session: Session,
    *,
    title: str,
    category: str,
    severity: str = "medium",
    actor: str,
    source: str = "manual",
    alert_id: str | None = None,
    trace_ids: Iterable[str] = (),
    text: str | None = None,
) -> Incident:
    """Open an incident (``source`` is ``manual`` or ``alert``); returns it with its first event.

    Raises:
        UserError: an unknown category, severity or source, or an empty title.
    """
    if not title.strip():
        raise UserError("an incident needs a non-empty title")
    _check(category, CATEGORIES, "category")
    _check(severity, SEVERITIES, "severity")
    _check(source, ("manual", "alert"), "source")
    now = datetime.now(timezone.utc)
    row = IncidentRow(
        id=f"inc-{now:%Y%m%d}-{uuid.uuid4().hex[:6]}",
        title=title,
        category=category,
        severity=severity,
        status="open",
        source=source,
        alert_id=alert_id,
        trace_ids=list(dict.fromkeys(trace_ids)),
        note=None,
        opened_at=now,
        updated_at=now,
        closed_at=None,
    )
    session.add(row)
    session.flush()
    data = {"category": category, "severity": severity, "source": source, "alert_id": alert_id}
    _event(session, row, actor, "open", text or title, {**data, "trace_ids": row.trace_ids})
    session.flush()
    return _incident(session, row)


def _get_row(session: Session, incident_id: str) -> IncidentRow:
    row = session.get(IncidentRow, incident_id)
    if row is None:
        ids = session.scalars(
            select(IncidentRow.id).where(IncidentRow.id.startswith(incident_id, autoescape=True)).limit(2)
        ).all()
        if len(ids) == 1:
            row = session.get(IncidentRow, ids[0])
    if row is None:
        raise UserError(f"no incident {incident_id!r}", hint="see `alignloop incident list`")
    return row


def update_incident(
    session: Session,
    incident_id: str,
    *,
    actor: str,
    text: str | None = None,
    status: str | None = None,
    severity: str | None = None,
    trace_ids: Iterable[str] = (),
) -> Incident:
    """Add a comment, link traces, change severity or acknowledge; one timeline event per call.

    Raises:
        UserError: no such incident, it is resolved, nothing to change, or a bad status/severity
            (closing goes through :func:`close_incident`, which needs the post-incident note).
    """
    row = _get_row(session, incident_id)
    if row.status == "resolved":
        raise UserError(f"incident {row.id} is resolved", hint="open a new incident that refers to it")
    data: dict[str, Any] = {}
    if status is not None and status != row.status:
        _check(status, ("open", "acknowledged"), "status (use `incident close` to resolve)")
        data["status"] = {"from": row.status, "to": status}
        row.status = status
    if severity is not None and severity != row.severity:
        _check(severity, SEVERITIES, "severity")
        data["severity"] = {"from": row.severity, "to": severity}
        row.severity = severity
    new = [t for t in dict.fromkeys(trace_ids) if t not in (row.trace_ids or [])]
    if new:
        row.trace_ids = [*(row.trace_ids or []), *new]
        data["traces_linked"] = new
    if not data and not (text and text.strip()):
        raise UserError("nothing to update", hint="give --note, --status, --severity or --trace")
    kind = "acknowledge" if data.get("status", {}).get("to") == "acknowledged" else "update"
    _event(session, row, actor, kind, text, data)
    session.flush()
    return _incident(session, row)


def close_incident(session: Session, incident_id: str, *, actor: str, note: str) -> Incident:
    """Resolve the incident with its post-incident note (what happened, why, what changed).

    Raises:
        UserError: no such incident, it is already resolved, or the note is empty.
    """
    if not note.strip():
        raise UserError("closing an incident needs the post-incident note", hint="--note 'what happened, why, fix'")
    row = _get_row(session, incident_id)
    if row.status == "resolved":
        raise UserError(f"incident {row.id} is already resolved")
    prev = row.status
    row.status, row.note = "resolved", note
    row.closed_at = datetime.now(timezone.utc)
    _event(session, row, actor, "close", note, {"status": {"from": prev, "to": "resolved"}})
    session.flush()
    return _incident(session, row)


def get_incident(session: Session, incident_id: str) -> Incident:
    """One incident (id or unique prefix) with its timeline."""
    return _incident(session, _get_row(session, incident_id))


def list_incidents(
    session: Session, *, status: str | None = None, limit: int = 50, events: bool = False
) -> list[Incident]:
    """Incidents, newest first, optionally of one status (``open`` includes ``acknowledged``: not resolved)."""
    q = select(IncidentRow).order_by(IncidentRow.opened_at.desc()).limit(limit)
    if status == "open":
        q = q.where(IncidentRow.status != "resolved")
    elif status is not None:
        q = q.where(IncidentRow.status == _check(status, STATUSES, "status"))
    return [_incident(session, r, events) for r in session.scalars(q)]
