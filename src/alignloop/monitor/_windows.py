"""Cut scored traces into fixed windows of event time and compute each window's rates with Wilson intervals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, select

from alignloop.monitor._stats import quantile, wilson
from alignloop.store._monitor_tables import TraceScoreRow

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
BASE_RATES = ("violation", "refusal", "over_refusal", "injection", "pii_leak", "loop")


@dataclass
class Window:
    """One window of traffic: its bounds, size, rates and the traces behind them."""

    start: datetime
    end: datetime
    scope: str
    n: int = 0
    counts: dict[str, list[int]] = field(default_factory=dict)
    """Per rate: ``[k, n]``."""
    latencies: list[float] = field(default_factory=list)
    trace_ids: list[str] = field(default_factory=list)
    examples: dict[str, list[str]] = field(default_factory=dict)
    """Per rate: the first traces that count towards it (alert examples)."""
    drift: dict[str, Any] = field(default_factory=lambda: {"detected": False})

    def rate(self, name: str) -> dict[str, Any]:
        """``{"rate", "k", "n", "lo", "hi"}`` for one rate (95% Wilson interval)."""
        k, n = self.counts.get(name, [0, 0])
        lo, hi = wilson(k, n)
        return {"rate": round(k / n, 6) if n else None, "k": k, "n": n, "lo": round(lo, 6), "hi": round(hi, 6)}

    def latency(self) -> dict[str, float | None]:
        """Median and 95th percentile of the total latency (ms), where logged."""
        p50, p95 = quantile(self.latencies, 0.5), quantile(self.latencies, 0.95)
        return {"p50": None if p50 is None else round(p50, 3), "p95": None if p95 is None else round(p95, 3)}

    def value(self, metric: str) -> float | None:
        """A rule's value: a rate's Wilson lower bound, or a latency percentile."""
        if metric.startswith("latency_"):
            return self.latency()["p50" if "p50" in metric else "p95"]
        r = self.rate(metric)
        return None if r["n"] == 0 else float(r["lo"])

    def to_dict(self) -> dict[str, Any]:
        """The window as ``monitor report --json`` prints it."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "scope": self.scope,
            "n": self.n,
            "rates": {name: self.rate(name) for name in sorted(self.counts)},
            "latency_ms": self.latency(),
            "drift": self.drift,
        }


def floor_time(ts: datetime, width: timedelta) -> datetime:
    """The start of the window of length ``width`` (aligned to the Unix epoch) that holds ``ts``."""
    ts = ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts.astimezone(timezone.utc)
    steps = (ts - _EPOCH) // width
    return _EPOCH + steps * width


_EXAMPLES = 20


def _count(w: Window, name: str, hit: bool, tid: str, eligible: bool = True) -> None:
    if not eligible:
        w.counts.setdefault(name, [0, 0])
        return
    c = w.counts.setdefault(name, [0, 0])
    c[1] += 1
    if hit:
        c[0] += 1
        ex = w.examples.setdefault(name, [])
        if len(ex) < _EXAMPLES:
            ex.append(tid)


def add_score(w: Window, s: Any, categories: list[str]) -> None:
    """Count one score row into its window."""
    w.n += 1
    w.trace_ids.append(s.trace_id)
    tid = s.trace_id
    _count(w, "violation", s.violation, tid)
    fired = set(s.categories or [])
    for c in categories:
        _count(w, f"violation.{c}", c in fired, tid)
    _count(w, "refusal", s.refusal, tid)
    # over-refusal: refusals of prompts the guard calls safe, out of those prompts
    _count(w, "over_refusal", s.refusal, tid, eligible=not s.input_flagged)
    _count(w, "injection", s.injection, tid)
    _count(w, "pii_leak", s.pii_leak, tid)
    _count(w, "loop", s.loop, tid)
    if s.latency_ms is not None:
        w.latencies.append(float(s.latency_ms))


def compute_windows(
    engine: Engine,
    constitution_hash: str,
    width: timedelta,
    categories: list[str],
    *,
    by: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Window]:
    """Windows of ``width`` in time order (per model or key with ``by``), from scores under the hash.

    Only windows holding at least one scored trace are returned.
    """
    cols = (
        TraceScoreRow.trace_id,
        TraceScoreRow.ts,
        TraceScoreRow.model,
        TraceScoreRow.key_name,
        TraceScoreRow.input_flagged,
        TraceScoreRow.violation,
        TraceScoreRow.categories,
        TraceScoreRow.refusal,
        TraceScoreRow.injection,
        TraceScoreRow.pii_leak,
        TraceScoreRow.loop,
        TraceScoreRow.latency_ms,
    )
    q = select(*cols).where(TraceScoreRow.constitution_hash == constitution_hash)
    if since is not None:
        q = q.where(TraceScoreRow.ts >= since)
    if until is not None:
        q = q.where(TraceScoreRow.ts < until)
    windows: dict[tuple[str, datetime], Window] = {}
    with engine.connect() as conn:
        for s in conn.execute(q.order_by(TraceScoreRow.ts, TraceScoreRow.trace_id)):
            scope = "all" if by is None else f"{by}={s.model if by == 'model' else s.key_name}"
            start = floor_time(s.ts, width)
            w = windows.get((scope, start))
            if w is None:
                w = windows[(scope, start)] = Window(start=start, end=start + width, scope=scope)
            add_score(w, s, categories)
    return sorted(windows.values(), key=lambda w: (w.start, w.scope))


def _bucket(engine: Engine, width: timedelta) -> Any:
    from sqlalchemy import Integer, cast, func

    secs = int(width.total_seconds())
    if engine.dialect.name == "postgresql":
        return func.floor(func.extract("epoch", TraceScoreRow.ts) / secs)
    return cast(func.strftime("%s", TraceScoreRow.ts), Integer) // secs


def aggregate_windows(
    engine: Engine,
    constitution_hash: str,
    width: timedelta,
    categories: list[str],
    *,
    since: datetime | None = None,
) -> list[Window]:
    """The same windows as :func:`compute_windows` (scope ``all``), counted by the database.

    A GROUP BY over the ``(constitution_hash, ts)`` index instead of a row-by-row scan in Python: what
    the dashboard uses. Windows carry no examples and no latency percentiles (``monitor report`` has them).
    """
    from sqlalchemy import Integer, and_, cast, func

    def total(cond: Any) -> Any:
        return func.sum(cast(cond, Integer))

    s = TraceScoreRow
    bucket = _bucket(engine, width).label("bucket")
    where = [s.constitution_hash == constitution_hash] + ([s.ts >= since] if since is not None else [])
    q = (
        select(
            bucket,
            func.count(),
            total(s.violation),
            total(s.refusal),
            total(and_(s.refusal, ~s.input_flagged)),
            total(~s.input_flagged),
            total(s.injection),
            total(s.pii_leak),
            total(s.loop),
        )
        .where(*where)
        .group_by(bucket)
        .order_by(bucket)
    )
    out: dict[int, Window] = {}
    with engine.connect() as conn:
        for b, n, viol, refusal, over, safe, inj, pii, loop in conn.execute(q):
            start = _EPOCH + int(b) * width
            w = Window(start=start, end=start + width, scope="all", n=int(n))
            w.counts = {
                "violation": [int(viol or 0), int(n)],
                "refusal": [int(refusal or 0), int(n)],
                "over_refusal": [int(over or 0), int(safe or 0)],
                "injection": [int(inj or 0), int(n)],
                "pii_leak": [int(pii or 0), int(n)],
                "loop": [int(loop or 0), int(n)],
            }
            for c in categories:
                w.counts[f"violation.{c}"] = [0, int(n)]
            out[int(b)] = w
        # per-category counts from the (few) violating rows only
        vq = select(bucket, s.categories).where(*where, s.violation)
        for b, cats in conn.execute(vq):
            hit = out.get(int(b))
            for c in cats or []:
                if hit is not None and f"violation.{c}" in hit.counts:
                    hit.counts[f"violation.{c}"][0] += 1
    return [out[b] for b in sorted(out)]


def hourly_windows(
    engine: Engine,
    constitution_hash: str,
    width: timedelta,
    categories: list[str],
    *,
    since: datetime | None = None,
) -> list[Window]:
    """Windows (scope ``all``) summed from the scorer's hourly counts; widths that are not whole hours
    fall back to :func:`aggregate_windows`. Reads one row per hour, model and key, whatever the traffic."""
    from alignloop.store._monitor_tables import HourlyCategoryRow, HourlyRow

    hour = timedelta(hours=1)
    if width % hour:
        return aggregate_windows(engine, constitution_hash, width, categories, since=since)
    out: dict[datetime, Window] = {}
    h, hc = HourlyRow, HourlyCategoryRow
    q = select(h).where(h.constitution_hash == constitution_hash)
    cq = select(hc.hour, hc.category, hc.k).where(hc.constitution_hash == constitution_hash)
    if since is not None:
        q, cq = q.where(h.hour >= since), cq.where(hc.hour >= since)
    with engine.connect() as conn:
        for r in conn.execute(q):
            start = floor_time(r.hour, width)
            w = out.get(start)
            if w is None:
                w = out[start] = Window(start=start, end=start + width, scope="all")
                w.counts = {name: [0, 0] for name in BASE_RATES} | {f"violation.{c}": [0, 0] for c in categories}
            w.n += r.n
            for name in BASE_RATES:
                k = getattr(r, name)
                w.counts[name][0] += k
                w.counts[name][1] += r.safe if name == "over_refusal" else r.n
            for c in categories:
                w.counts[f"violation.{c}"][1] += r.n
        for hr, cat, k in conn.execute(cq):
            w = out.get(floor_time(hr, width))
            if w is not None and f"violation.{cat}" in w.counts:
                w.counts[f"violation.{cat}"][0] += k
    return [out[s] for s in sorted(out)]
