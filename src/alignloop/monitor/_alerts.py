"""Evaluate the constitution's monitoring rules on windows; store, send and escalate what fires.

An alert's id hashes its rule, window and scope, so rerunning a report raises nothing twice. Each new
alert is stored with its incident (when the rule opens one) and audit entry in one transaction, then
sent to its channels; delivery results are written back to the alert.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from alignloop.constitution._monitoring import Channel, Monitoring, Rule
from alignloop.govern import append_audit, open_incident
from alignloop.monitor._incidents import incident_category
from alignloop.monitor._windows import Window
from alignloop.store._monitor_tables import AlertRow

log = logging.getLogger("alignloop.monitor")


@dataclass
class Firing:
    """A rule that fired on a window, before it is stored."""

    rule: Rule
    window: Window
    value: float | None
    message: str
    trace_ids: list[str]

    @property
    def id(self) -> str:
        """Stable id: the same rule on the same window and scope is the same alert."""
        key = f"{self.rule.name}|{self.window.start.isoformat()}|{self.window.scope}"
        return hashlib.sha256(key.encode()).hexdigest()[:32]


def evaluate(rules: list[Rule], window: Window) -> list[Firing]:
    """The rules that fire on ``window`` (drift rules need ``window.drift`` filled in)."""
    out: list[Firing] = []
    ids: list[str]
    for rule in rules:
        if window.n < rule.min_n:
            continue
        if rule.metric is not None:
            value = window.value(rule.metric)
            if value is None or rule.above is None or value <= rule.above:
                continue
            shown = "95% lower bound " if not rule.metric.startswith("latency_") else ""
            msg = (
                f"{rule.metric} {shown}{value:.4g} > {rule.above:g} in {window.start.isoformat()} .. "
                f"{window.end.isoformat()} ({window.scope}, n={window.n})"
            )
            out.append(Firing(rule, window, value, msg, window.examples.get(rule.metric, [])))
        else:
            drift = window.drift
            kinds: tuple[str, ...] = ("input", "behaviour") if rule.drift in ("any", None) else (rule.drift,)
            hit = [k for k in kinds if (drift.get(k) or {}).get("detected")]
            if not hit:
                continue
            parts = []
            ids = []
            if "input" in hit:
                d = drift["input"]
                parts.append(f"input drift AUC {d['auc']:.3f} > {d['threshold']:.3f}")
                ids += [p["trace_id"] for p in d.get("top_prompts", []) if "trace_id" in p]
            if "behaviour" in hit:
                changed = drift["behaviour"]["changed"]
                parts.append("behaviour drift in " + ", ".join(changed))
                for m in changed:
                    ids += window.examples.get(m, [])
            msg = f"{'; '.join(parts)} in {window.start.isoformat()} .. {window.end.isoformat()} ({window.scope})"
            value = drift.get("input", {}).get("auc") if "input" in hit else None
            out.append(Firing(rule, window, value, msg, list(dict.fromkeys(ids))))
    return out


def alert_dict(row: AlertRow) -> dict[str, Any]:
    """An alert as ``monitor report --json`` and webhooks show it."""

    def iso(dt: datetime) -> str:
        return (dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt).isoformat()

    return {
        "id": row.id,
        "rule": row.rule,
        "metric": row.metric,
        "severity": row.severity,
        "window_start": iso(row.window_start),
        "window_end": iso(row.window_end),
        "scope": row.scope,
        "value": row.value,
        "threshold": row.threshold,
        "message": row.message,
        "trace_ids": row.trace_ids,
        "incident_id": row.incident_id,
        "deliveries": row.deliveries,
        "created_at": iso(row.created_at),
    }


def store_firings(engine: Engine, firings: list[Firing], monitoring: Monitoring) -> list[AlertRow]:
    """Store new alerts (skipping ones already raised), open their incidents, queue their examples, send them."""
    from alignloop.monitor._review import enqueue

    new: list[AlertRow] = []
    for f in firings:
        with Session(engine, expire_on_commit=False) as s, s.begin():
            if s.get(AlertRow, f.id) is not None:
                continue
            metric = f.rule.metric or f"drift.{f.rule.drift}"
            row = AlertRow(
                id=f.id,
                rule=f.rule.name,
                metric=metric,
                severity=f.rule.severity,
                window_start=f.window.start,
                window_end=f.window.end,
                scope=f.window.scope,
                value=f.value,
                threshold=f.rule.above,
                message=f.message,
                trace_ids=f.trace_ids,
                incident_id=None,
                deliveries={},
                created_at=datetime.now(timezone.utc),
            )
            s.add(row)
            s.flush()
            append_audit(
                s,
                actor="alignloop",
                action="alert.raise",
                subject=f.id,
                details={"rule": f.rule.name, "message": f.message},
            )
            if f.rule.incident:
                # the one incident record (govern's), committed with the alert in this transaction
                row.incident_id = open_incident(
                    s,
                    title=f"{f.rule.name}: {f.message}",
                    category=incident_category(metric),
                    severity=f.rule.severity,
                    actor="alignloop",
                    source="alert",
                    alert_id=f.id,
                    trace_ids=f.trace_ids,
                ).id
        enqueue(engine, f.trace_ids[: monitoring.review_per_alert], f"alert:{f.id}")
        new.append(row)
    channels = {c.name: c for c in monitoring.channels}
    for row in new:
        rule = next(r for r in monitoring.rules if r.name == row.rule)
        deliveries = {name: send(channels[name], alert_dict(row)) for name in rule.channels}
        with engine.begin() as conn:
            conn.execute(update(AlertRow).where(AlertRow.id == row.id).values(deliveries=deliveries))
        row.deliveries = deliveries
    return new


def list_alerts(engine: Engine, since: datetime | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Stored alerts in window order."""
    q = select(AlertRow).order_by(AlertRow.window_start, AlertRow.rule).limit(limit)
    if since is not None:
        q = q.where(AlertRow.window_start >= since)
    with Session(engine) as s:
        return [alert_dict(r) for r in s.scalars(q).all()]


def send(channel: Channel, alert: dict[str, Any]) -> str:
    """Deliver one alert; returns ``ok`` or the last error (never raises: the alert is stored already)."""
    if channel.type == "stdout":
        print(f"[{alert['severity']}] alert {alert['rule']}: {alert['message']}", file=sys.stdout, flush=True)
        return "ok"
    if channel.type == "log":
        level = logging.ERROR if alert["severity"] in ("high", "critical") else logging.WARNING
        log.log(level, "alert %s: %s", alert["rule"], alert["message"], extra={"alert": alert})
        return "ok"
    return _post(channel, alert)


def _post(channel: Channel, alert: dict[str, Any]) -> str:
    import httpx

    url = os.path.expandvars(channel.url or "")
    body = json.dumps({"type": "alignloop.alert", "alert": alert}, default=str)
    error = "not sent"
    for attempt in range(channel.retries + 1):
        if attempt:
            time.sleep(min(0.2 * 2 ** (attempt - 1), 5.0))
        try:
            r = httpx.post(url, content=body, headers={"content-type": "application/json"}, timeout=channel.timeout_s)
            if r.status_code < 300:
                return "ok"
            error = f"HTTP {r.status_code}"
            if 400 <= r.status_code < 500 and r.status_code not in (408, 429):
                break  # the receiver rejects this alert: retrying cannot help
        except httpx.HTTPError as e:
            error = f"{type(e).__name__}: {e}"
    log.warning("webhook %s failed after %d attempt(s): %s", channel.name, attempt + 1, error)
    return error
