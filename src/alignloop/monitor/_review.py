"""The review queue: flagged traces, a random sample of unflagged ones, and the traces behind alerts.

Items are ``pending`` until a person gives one verdict: ``approved`` (the guard was right),
``relabelled`` (with the right category, or ``none`` for a false alarm), ``corrected`` (with the reply
the model should have given) or ``dismissed``. Every verdict is audited in its own transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from alignloop._util.errors import UserError
from alignloop.govern import append_audit
from alignloop.store import TraceRow
from alignloop.store._monitor_tables import ReviewItemRow, TraceScoreRow

STATUSES = ("pending", "approved", "relabelled", "corrected", "dismissed")
VERDICTS = STATUSES[1:]
PRIORITY = {"alert": 0, "flagged": 1, "sample": 2}


def sampled(trace_id: str, share: float) -> bool:
    """Whether an unflagged trace falls in the review sample: a hash rule, so reruns pick the same ones."""
    h = int(hashlib.sha256(b"review:" + trace_id.encode()).hexdigest()[:8], 16)
    return h < share * 0x100000000


def _insert(engine: Engine, items: list[dict[str, Any]]) -> int:
    if not items:
        return 0
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(ReviewItemRow).on_conflict_do_nothing(index_elements=["trace_id"]).returning(ReviewItemRow.id)
    with engine.begin() as conn:
        return len(conn.execute(stmt, items).all())


def enqueue(engine: Engine, trace_ids: Iterable[str], reason: str) -> int:
    """Put traces in the queue (a trace already queued keeps its first reason); returns how many were new."""
    kind = reason.split(":", 1)[0]
    now = datetime.now(timezone.utc)
    items = [
        {"trace_id": t, "reason": reason, "priority": PRIORITY.get(kind, 2), "status": "pending", "created_at": now}
        for t in dict.fromkeys(trace_ids)
    ]
    return _insert(engine, items)


def enqueue_scored(engine: Engine, constitution_hash: str, share: float) -> int:
    """Queue every flagged trace (violation, PII leak, injection, loop) and a ``share`` of the rest."""
    flagged: list[str] = []
    sample: list[str] = []
    q = select(
        TraceScoreRow.trace_id,
        TraceScoreRow.violation,
        TraceScoreRow.pii_leak,
        TraceScoreRow.injection,
        TraceScoreRow.loop,
    ).where(
        TraceScoreRow.constitution_hash == constitution_hash,
        ~TraceScoreRow.trace_id.in_(select(ReviewItemRow.trace_id)),
    )
    with engine.connect() as conn:
        for r in conn.execute(q):
            if r.violation or r.pii_leak or r.injection or r.loop:
                flagged.append(r.trace_id)
            elif sampled(r.trace_id, share):
                sample.append(r.trace_id)
    return enqueue(engine, flagged, "flagged") + enqueue(engine, sample, "sample")


@dataclass
class ReviewItem:
    """One queue item with the trace it is about."""

    id: int
    trace_id: str
    reason: str
    status: str
    category: str | None
    correction: str | None
    reviewer: str | None
    reviewed_at: datetime | None
    prompt: str
    messages: list[dict[str, Any]]
    response: str | None
    model: str
    ts: datetime
    guard_categories: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.id,
            "trace_id": self.trace_id,
            "reason": self.reason,
            "status": self.status,
            "category": self.category,
            "correction": self.correction,
            "reviewer": self.reviewer,
            "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else None,
            "model": self.model,
            "ts": self.ts.isoformat(),
            "prompt": self.prompt,
            "response": self.response,
            "guard_categories": self.guard_categories,
        }


def _item(row: ReviewItemRow, trace: TraceRow | None, cats: list[str]) -> ReviewItem:
    from alignloop.monitor._score import prompt_of

    messages = (trace.messages if trace else None) or []
    return ReviewItem(
        id=row.id,
        trace_id=row.trace_id,
        reason=row.reason,
        status=row.status,
        category=row.category,
        correction=row.correction,
        reviewer=row.reviewer,
        reviewed_at=row.reviewed_at,
        prompt=prompt_of(messages),
        messages=messages,
        response=trace.response if trace else None,
        model=trace.model if trace else "?",
        ts=trace.ts if trace else row.created_at,
        guard_categories=cats,
    )


def list_items(engine: Engine, status: str | None = "pending", limit: int = 50) -> list[ReviewItem]:
    """Queue items (highest priority, then oldest first), with their traces."""
    if status is not None and status not in STATUSES:
        raise UserError(f"unknown review status {status!r}", hint=f"use one of {', '.join(STATUSES)}")
    q = select(ReviewItemRow, TraceRow).outerjoin(TraceRow, TraceRow.id == ReviewItemRow.trace_id)
    if status is not None:
        q = q.where(ReviewItemRow.status == status)
    q = q.order_by(ReviewItemRow.priority, ReviewItemRow.id).limit(limit)
    with Session(engine) as s:
        pairs = s.execute(q).all()
        cats = _guard_categories(s, [p[0].trace_id for p in pairs])
        return [_item(r, t, cats.get(r.trace_id, [])) for r, t in pairs]


def _guard_categories(s: Session, trace_ids: list[str]) -> dict[str, list[str]]:
    if not trace_ids:
        return {}
    q = (
        select(TraceScoreRow.trace_id, TraceScoreRow.categories)
        .where(TraceScoreRow.trace_id.in_(trace_ids))
        .order_by(TraceScoreRow.scored_at)
    )
    return {tid: list(c or []) for tid, c in s.execute(q).all()}


def next_item(engine: Engine) -> ReviewItem | None:
    """The pending item to review next, or None when the queue is empty."""
    items = list_items(engine, "pending", limit=1)
    return items[0] if items else None


def count_items(engine: Engine) -> dict[str, int]:
    """Items per status."""
    with engine.connect() as conn:
        rows = conn.execute(select(ReviewItemRow.status, func.count()).group_by(ReviewItemRow.status)).all()
    return {s: int(n) for s, n in rows}


def label(
    engine: Engine,
    item_id: int,
    verdict: str,
    *,
    reviewer: str,
    category: str | None = None,
    correction: str | None = None,
    categories: Iterable[str] | None = None,
) -> ReviewItem:
    """Record a reviewer's verdict on one item (audited as ``review.label``).

    Raises:
        UserError: unknown item or verdict, a relabel without a category, a correction without text.
    """
    if verdict not in VERDICTS:
        raise UserError(f"unknown verdict {verdict!r}", hint=f"use one of {', '.join(VERDICTS)}")
    if not reviewer.strip():
        raise UserError("a verdict needs the reviewer's name", hint="pass --by NAME")
    if verdict == "relabelled":
        known = set(categories or []) | {"none"}
        if not category:
            raise UserError("relabelled needs --category", hint=f"one of {', '.join(sorted(known))}")
        if categories is not None and category not in known:
            raise UserError(f"unknown category {category!r}", hint=f"use one of {', '.join(sorted(known))}")
    if verdict == "corrected" and not (correction or "").strip():
        raise UserError("corrected needs the reply the model should have given", hint="pass --correction TEXT")
    with Session(engine) as s, s.begin():
        row = s.get(ReviewItemRow, item_id)
        if row is None:
            raise UserError(f"no review item {item_id}", hint="see `alignloop review list`")
        row.status = verdict
        row.category = category if verdict == "relabelled" else row.category
        row.correction = correction if verdict == "corrected" else None
        if verdict == "corrected" and category:
            row.category = category
        row.reviewer = reviewer
        row.reviewed_at = datetime.now(timezone.utc)
        append_audit(
            s,
            actor=reviewer,
            action="review.label",
            subject=row.trace_id,
            details={"item": item_id, "verdict": verdict, "category": row.category, "corrected": bool(row.correction)},
        )
    item = get_item(engine, item_id)
    assert item is not None
    return item


def get_item(engine: Engine, item_id: int) -> ReviewItem | None:
    """One queue item by id, with its trace."""
    q = (
        select(ReviewItemRow, TraceRow)
        .outerjoin(TraceRow, TraceRow.id == ReviewItemRow.trace_id)
        .where(ReviewItemRow.id == item_id)
    )
    with Session(engine) as s:
        pair = s.execute(q).first()
        if pair is None:
            return None
        return _item(pair[0], pair[1], _guard_categories(s, [pair[0].trace_id]).get(pair[0].trace_id, []))
