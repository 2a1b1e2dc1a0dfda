"""Open an incident for an alert, in the shared ``incidents`` tables, with its audit entry."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from alignloop.govern import append_audit
from alignloop.store import IncidentEventRow, IncidentRow

# which incident category an alert on a metric belongs to (the shared incidents' vocabulary)
_CATEGORY = {
    "violation": "harmful_output",
    "pii_leak": "data_leak",
    "loop": "denial_of_service",
    "latency": "denial_of_service",
}


def incident_category(metric: str) -> str:
    """The incident category for an alert on ``metric``."""
    return _CATEGORY.get(metric.split(".", 1)[0].split("_p", 1)[0], "other")


def open_incident(
    session: Session,
    *,
    title: str,
    metric: str,
    severity: str,
    alert_id: str,
    trace_ids: list[str],
    actor: str = "alignloop",
) -> str:
    """Insert an ``open`` incident for an alert with its first timeline event and audit entry; returns its id.

    Runs inside the caller's transaction (the alert row commits with it).
    """
    now = datetime.now(timezone.utc)
    iid = uuid.uuid4().hex
    session.add(
        IncidentRow(
            id=iid,
            title=title,
            category=incident_category(metric),
            severity=severity,
            status="open",
            source="alert",
            alert_id=alert_id,
            trace_ids=list(trace_ids),
            note=None,
            opened_at=now,
            updated_at=now,
            closed_at=None,
        )
    )
    session.flush()
    session.add(
        IncidentEventRow(incident_id=iid, ts=now, actor=actor, kind="opened", text=title, data={"alert_id": alert_id})
    )
    append_audit(
        session,
        actor=actor,
        action="incident.open",
        subject=iid,
        details={"alert_id": alert_id, "metric": metric, "severity": severity, "traces": len(trace_ids)},
    )
    return iid
