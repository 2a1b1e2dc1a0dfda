"""Trace records: what a request's trace holds, and a background writer that never blocks a response.

Requests put rows on a bounded queue (``put_nowait``); one thread drains it into the store in
batches at least every ``FLUSH_S``. A request may queue a function that builds its row instead: the
writer thread then does the redaction and the ORM work, off the request path. A full queue drops
the row and counts it (``/metrics``), it never waits. :meth:`TraceWriter.close` (run on SIGTERM
through the server's shutdown) drains what is left; a ``kill -9`` loses what was queued but not
yet flushed: at most about one second of traffic.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Literal

from sqlalchemy.orm import Session

from alignloop.serve._metrics import Metrics
from alignloop.store import RunStore, TraceRow

log = logging.getLogger("alignloop.serve")

LogContent = Literal["full", "redacted", "none"]
LOG_CONTENT: tuple[LogContent, ...] = ("full", "redacted", "none")
FLUSH_S = 0.5
"""Longest a queued row waits before it is written (so kill -9 loses at most ~1 s with a batch in flight)."""
BATCH = 256


def redact_pii(text: str) -> str:
    """``text`` with every PII item the guard's model-free detector finds replaced by its type."""
    from alignloop.guard import PiiDetector, redact

    return redact(text, PiiDetector().find(text))


def logged_messages(messages: list[dict[str, Any]], how: LogContent) -> list[dict[str, Any]] | None:
    """Messages as ``--log-content`` says to keep them."""
    if how == "none":
        return None
    if how == "full":
        return messages
    return [{**m, "content": redact_pii(str(m.get("content") or ""))} for m in messages]


def logged_text(text: str | None, how: LogContent) -> str | None:
    """A response as ``--log-content`` says to keep it."""
    if text is None or how == "none":
        return None
    return text if how == "full" else redact_pii(text)


def new_trace(**fields: Any) -> TraceRow:
    """A gateway trace row stamped now, with a random id."""
    now = datetime.now(timezone.utc)
    fields.setdefault("ts", now)
    return TraceRow(id=uuid.uuid4().hex, source="gateway", created_at=now, **fields)


Pending = TraceRow | Callable[[], TraceRow]
"""A row, or a function the writer thread calls to build it."""


class TraceWriter:
    """Drains a bounded queue of :class:`TraceRow` into the store from one background thread."""

    def __init__(self, store: RunStore, metrics: Metrics, maxsize: int = 10_000) -> None:
        self.store = store
        self.metrics = metrics
        self.queue: queue.Queue[Pending | None] = queue.Queue(maxsize=maxsize)
        self._thread = threading.Thread(target=self._run, name="alignloop-trace-writer", daemon=True)
        self._closed = False
        for outcome in ("written", "dropped", "failed"):  # shown as 0 from the start, never missing
            metrics.inc(f"alignloop_traces_{outcome}_total", 0.0)
        metrics.gauge("alignloop_trace_queue_depth", lambda: float(self.queue.qsize()))

    def start(self) -> TraceWriter:
        """Start the writer thread."""
        self._thread.start()
        return self

    def put(self, row: Pending) -> bool:
        """Queue a row (or its builder) without waiting; False (and counted) when the queue is full or closed."""
        if self._closed:
            self.metrics.inc("alignloop_traces_dropped_total")
            return False
        try:
            self.queue.put_nowait(row)
            return True
        except queue.Full:
            self.metrics.inc("alignloop_traces_dropped_total")
            return False

    def _build(self, items: list[Pending]) -> list[TraceRow]:
        rows = []
        for it in items:
            try:
                rows.append(it if isinstance(it, TraceRow) else it())
            except Exception as e:  # one bad row must not lose the batch; the loss is counted
                self.metrics.inc("alignloop_traces_failed_total")
                log.warning("lost a trace row: %s", e)
        return rows

    def _write(self, items: list[Pending]) -> None:
        rows = self._build(items)
        if not rows:
            return
        try:
            with Session(self.store.engine) as s, s.begin():
                s.add_all(rows)
            self.metrics.inc("alignloop_traces_written_total", len(rows))
        except Exception as e:  # a database outage must not kill the writer; the loss is counted
            self.metrics.inc("alignloop_traces_failed_total", len(rows))
            log.warning("lost %d trace rows: %s", len(rows), e)

    def _run(self) -> None:
        stop = False
        while not stop:
            batch: list[Pending] = []
            deadline = time.monotonic() + FLUSH_S
            while len(batch) < BATCH:
                try:
                    item = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._write(batch)
        rest: list[Pending] = []
        while True:  # whatever arrived between the sentinel and now
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                rest.append(item)
        self._write(rest)

    def close(self, timeout: float = 30.0) -> None:
        """Stop taking rows, write everything queued, and stop the thread."""
        if self._closed:
            return
        self._closed = True
        if self._thread.is_alive():
            self.queue.put(None)
            self._thread.join(timeout)
        else:
            self._run_remaining()

    def _run_remaining(self) -> None:
        rows: list[Pending] = []
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                rows.append(item)
        self._write(rows)
