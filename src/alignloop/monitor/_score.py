"""Score stored traces with the guard, asynchronously from ingestion, once per constitution hash.

A trace is pending until it has a score row for the current constitution's hash; a changed
constitution therefore makes every trace pending again (``alignloop monitor score --rescore`` walks
them all), while old scores stay for comparison.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

from sqlalchemy import Engine, and_, func, select

from alignloop.store import TraceRow
from alignloop.store._monitor_tables import TraceScoreRow

SCORE_BATCH = 256


class GuardLike(Protocol):
    """What scoring needs from :class:`alignloop.guard.Guard`."""

    def check_inputs(self, texts: Any) -> list[Any]: ...

    def check_outputs(self, prompts: Any, responses: Any) -> list[Any]: ...


@dataclass
class ScoreResult:
    """How many traces one scoring pass scored, and how far behind ingestion it is."""

    scored: int
    pending: int
    seconds: float
    lag_s: float | None
    """Seconds between storing the oldest trace this pass scored and scoring it (None when idle)."""


def prompt_of(messages: list[dict[str, Any]] | None) -> str:
    """The last user message (what the response answers); empty when nothing was logged."""
    for m in reversed(messages or []):
        if m.get("role") == "user":
            return str(m.get("content") or "")
    return str((messages or [{}])[-1].get("content") or "") if messages else ""


def _fired(decision: Any) -> list[str]:
    from alignloop.guard import VIOLATION_DETECTORS

    return sorted({r.category for r in decision.reasons if r.detector in VIOLATION_DETECTORS})


def score_row(trace: Any, din: Any, dout: Any, constitution_hash: str, now: datetime) -> dict[str, Any]:
    """The ``monitor_scores`` row for one trace from its input and output decisions."""
    from alignloop.guard import is_loop

    response = trace.response or ""
    cats = _fired(dout) if response else []
    refusal = bool(response) and dout.refusal is not None and dout.refusal.label == "refusal"
    return {
        "trace_id": trace.id,
        "constitution_hash": constitution_hash,
        "ts": trace.ts,
        "model": trace.model,
        "key_name": trace.key_name,
        "input_flagged": bool(_fired(din)),
        "violation": bool(cats),
        "categories": cats,
        "refusal": refusal,
        "injection": any(r.detector == "injection" for r in din.reasons),
        "pii_leak": bool(response) and bool(dout.pii),
        "loop": bool(response) and is_loop(response),
        "latency_ms": trace.latency_total_ms,
        "scores": {
            "output": {k: round(float(v), 4) for k, v in dout.categories.items() if v >= 0.01},
            "input_max": round(float(din.score), 4),
            "injection": round(float(din.injection), 4),
            "p_refusal": None if dout.refusal is None else round(float(dout.refusal.p_refusal), 4),
        },
        "scored_at": now,
    }


def _pending_query(constitution_hash: str) -> Any:
    joined = and_(TraceScoreRow.trace_id == TraceRow.id, TraceScoreRow.constitution_hash == constitution_hash)
    return select(TraceRow).outerjoin(TraceScoreRow, joined).where(TraceScoreRow.trace_id.is_(None))


def count_pending(engine: Engine, constitution_hash: str) -> int:
    """Traces without a score under ``constitution_hash``."""
    q = select(func.count()).select_from(_pending_query(constitution_hash).subquery())
    with engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


def score_pending(
    engine: Engine,
    guard: GuardLike,
    constitution_hash: str,
    *,
    limit: int | None = None,
    batch: int = SCORE_BATCH,
) -> ScoreResult:
    """Score traces that have no score under ``constitution_hash`` (oldest stored first).

    Each batch's scores commit together, so an interrupted pass resumes where it stopped.
    """
    t0 = time.perf_counter()
    done = 0
    lag: float | None = None
    while limit is None or done < limit:
        take = batch if limit is None else min(batch, limit - done)
        q = _pending_query(constitution_hash).order_by(TraceRow.created_at, TraceRow.id).limit(take)
        with engine.connect() as conn:
            traces = list(conn.execute(q).all())
        if not traces:
            break
        prompts = [prompt_of(t.messages) for t in traces]
        din = guard.check_inputs(prompts)
        dout = guard.check_outputs(prompts, [t.response or "" for t in traces])
        now = datetime.now(timezone.utc)
        rows = [score_row(t, i, o, constitution_hash, now) for t, i, o in zip(traces, din, dout, strict=True)]
        oldest = min(_aware(t.created_at) for t in traces)
        lag = max(lag or 0.0, (now - oldest).total_seconds())
        _insert_scores(engine, rows)
        done += len(rows)
    return ScoreResult(
        scored=done, pending=count_pending(engine, constitution_hash), seconds=time.perf_counter() - t0, lag_s=lag
    )


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt


COUNTS = ("n", "violation", "refusal", "over_refusal", "safe", "injection", "pii_leak", "loop")


def _hour(ts: datetime) -> datetime:
    ts = _aware(ts).astimezone(timezone.utc)
    return ts.replace(minute=0, second=0, microsecond=0)


def hourly_counts(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Score rows counted per (hash, hour, model, key): rows for ``monitor_hourly`` and its categories."""
    agg: dict[tuple[str, datetime, str, str], dict[str, Any]] = {}
    cats: dict[tuple[str, datetime, str, str, str], int] = {}
    for r in rows:
        key = (r["constitution_hash"], _hour(r["ts"]), str(r["model"])[:255], (r["key_name"] or "")[:255])
        a = agg.get(key)
        if a is None:
            a = agg[key] = dict(zip(("constitution_hash", "hour", "model", "key_name"), key, strict=True))
            a.update(dict.fromkeys(COUNTS, 0))
        a["n"] += 1
        safe = not r["input_flagged"]
        for name, hit in (
            ("violation", r["violation"]),
            ("refusal", r["refusal"]),
            ("over_refusal", r["refusal"] and safe),
            ("safe", safe),
            ("injection", r["injection"]),
            ("pii_leak", r["pii_leak"]),
            ("loop", r["loop"]),
        ):
            a[name] += int(bool(hit))
        for c in r["categories"]:
            cats[(*key, c)] = cats.get((*key, c), 0) + 1
    names = ("constitution_hash", "hour", "model", "key_name", "category")
    return list(agg.values()), [{**dict(zip(names, k, strict=True)), "k": v} for k, v in cats.items()]


def _insert(engine: Engine) -> Any:
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    return insert


def _insert_scores(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Store scores and add the new ones to the hourly counts, in one transaction.

    DO NOTHING plus RETURNING: a second scorer racing on the same batch leaves the first one's rows,
    and only rows this call stored are counted, so the hourly table never double-counts.
    """
    from alignloop.store._monitor_tables import HourlyCategoryRow, HourlyRow

    insert = _insert(engine)
    with engine.begin() as conn:
        stmt = insert(TraceScoreRow).on_conflict_do_nothing().returning(TraceScoreRow.trace_id)
        new = {r[0] for r in conn.execute(stmt, rows).all()}
        hourly, cats = hourly_counts([r for r in rows if r["trace_id"] in new])
        for table, data, pk, cols in (
            (HourlyRow, hourly, ("constitution_hash", "hour", "model", "key_name"), COUNTS),
            (HourlyCategoryRow, cats, ("constitution_hash", "hour", "model", "key_name", "category"), ("k",)),
        ):
            if data:
                up = insert(table)
                up = up.on_conflict_do_update(
                    index_elements=list(pk), set_={c: getattr(table, c) + getattr(up.excluded, c) for c in cols}
                )
                conn.execute(up, data)
