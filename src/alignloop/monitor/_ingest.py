"""Store traces fast: batched, idempotent inserts into the shared ``traces`` table.

Each batch is one transaction and counts as stored only once it commits, so a process killed mid-file
loses nothing it reported and, rerun on the same file, stores nothing twice (ids are content hashes).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Engine, delete, select

from alignloop._util.errors import DataError
from alignloop.monitor._events import trace_from_row, traces_from_otlp
from alignloop.store import TraceRow
from alignloop.store._monitor_tables import ReviewItemRow, TraceScoreRow

BATCH = 2000
"""Rows per transaction: large enough that commit cost vanishes, small enough to bound a lost batch."""


@dataclass
class IngestResult:
    """What one ingest call read and stored."""

    read: int
    stored: int
    seconds: float

    @property
    def rate(self) -> float:
        """Rows read per second."""
        return self.read / self.seconds if self.seconds > 0 else float("inf")


def _insert_sql(engine: Engine) -> tuple[str, list[Any]]:
    """The driver-level INSERT ... ON CONFLICT DO NOTHING and each column's bind processor.

    Bypassing SQLAlchemy's per-row parameter handling (while using the same type processors, so rows
    read back exactly as ORM-written ones) triples ingest throughput.
    """
    cols = list(TraceRow.__table__.columns)
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(c.name for c in cols)
    sql = f"INSERT INTO traces ({names}) VALUES ({', '.join([mark] * len(cols))}) ON CONFLICT (id) DO NOTHING"
    procs: list[tuple[str, Any]] = [(c.name, c.type.bind_processor(engine.dialect)) for c in cols]
    if engine.dialect.name == "postgresql":
        # SQLAlchemy leaves JSON to psycopg's adapters there; at the driver level they need a wrapper
        from psycopg.types.json import Json

        procs = [(n, Json if isinstance(c.type, JSON) else p) for (n, p), c in zip(procs, cols, strict=True)]
    return sql, procs


def insert_traces(engine: Engine, rows: list[dict[str, Any]]) -> int:
    """Insert ``rows`` in one transaction, skipping ids already stored; returns how many were new."""
    unique = list({r["id"]: r for r in rows}.values())
    if not unique:
        return 0
    sql, procs = _insert_sql(engine)
    params = [
        tuple(v if (v := r.get(name)) is None or proc is None else proc(v) for name, proc in procs) for r in unique
    ]
    with engine.begin() as conn:
        return int(conn.exec_driver_sql(sql, params).rowcount)


def iter_file(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Trace rows from a JSONL file of exchanges or OTLP exports, or one OTLP/JSON document."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"file not found: {p}", hint="give a .jsonl file of exchanges or an OTLP/JSON export")
    now = datetime.now(timezone.utc)
    with p.open("rb") as f:
        head = f.read(1 << 16).lstrip()
    if head.startswith(b"{") and b"resourceSpans" in head[:200] and _single_document(p):
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise DataError(f"{p}: broken OTLP/JSON ({e.msg} at line {e.lineno})") from None
        yield from traces_from_otlp(doc, now)
        return
    loads = json.loads
    with p.open("rb") as f:
        for n, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                obj = loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise DataError(f"{p}:{n}: broken JSON ({e})", hint="fix or delete that line and rerun") from None
            if not isinstance(obj, dict):
                raise DataError(f"{p}:{n}: expected a JSON object, got {type(obj).__name__}")
            if "resourceSpans" in obj:  # an OTLP file exporter writes one export request per line
                yield from traces_from_otlp(obj, now)
            else:
                yield trace_from_row(obj, f"{p}:{n}", now, raw)


def _single_document(p: Path) -> bool:
    # a pretty-printed OTLP export spans many lines; a JSONL of exports has one object per line
    with p.open("rb") as f:
        first = f.readline()
    try:
        json.loads(first)
        return False
    except json.JSONDecodeError:
        return True


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for r in rows:
        batch.append(r)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def ingest_rows(engine: Engine, rows: Iterable[dict[str, Any]], batch: int = BATCH) -> IngestResult:
    """Store trace rows in batches; returns counts and the time taken."""
    t0 = time.perf_counter()
    read = stored = 0
    for chunk in _batches(rows, batch):
        stored += insert_traces(engine, chunk)
        read += len(chunk)
    return IngestResult(read=read, stored=stored, seconds=time.perf_counter() - t0)


def ingest_file(engine: Engine, path: str | os.PathLike[str], batch: int = BATCH) -> IngestResult:
    """Store every exchange of ``path`` (JSONL rows or OTLP/JSON GenAI spans).

    A broken line stops the file with a :class:`DataError` naming ``file:line``; the batches before it
    stay stored, so fixing the line and rerunning completes the file without duplicates.
    """
    return ingest_rows(engine, iter_file(path), batch)


def apply_retention(engine: Engine, older_than: timedelta) -> int:
    """Delete traces stored more than ``older_than`` ago, with their scores and pending review items.

    Returns how many traces were deleted. Reviewed items are kept: they are training data now.
    """
    cutoff = datetime.now(timezone.utc) - older_than
    with engine.begin() as conn:
        old = select(TraceRow.id).where(TraceRow.created_at < cutoff)
        conn.execute(delete(TraceScoreRow).where(TraceScoreRow.trace_id.in_(old)))
        conn.execute(delete(ReviewItemRow).where(ReviewItemRow.status == "pending", ReviewItemRow.trace_id.in_(old)))
        return int(conn.execute(delete(TraceRow).where(TraceRow.created_at < cutoff)).rowcount or 0)
