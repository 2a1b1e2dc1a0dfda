"""Every exchange becomes a trace row; the writer never blocks, counts drops and drains on close."""

from __future__ import annotations

import time
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from alignloop.serve import Metrics, TraceWriter
from alignloop.serve._traces import new_trace
from alignloop.store import RunStore, TraceRow


def _rows(db_url: str, n: int, timeout: float = 10.0) -> list[TraceRow]:
    deadline = time.monotonic() + timeout
    while True:
        with RunStore.open(db_url) as store, Session(store.engine) as s:
            rows = list(s.execute(select(TraceRow).order_by(TraceRow.ts)).scalars())
        if len(rows) >= n or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def _chat(srv: Any, content: str, stream: bool = False) -> httpx.Response:
    body = {"messages": [{"role": "user", "content": content}], "stream": stream}
    return httpx.post(srv.url + "/v1/chat/completions", json=body, timeout=20)


def test_each_exchange_is_a_redacted_trace(gateway: Any, upstream: Any, db_url: str, fake_guard: Any) -> None:
    upstream[0].reply = "Write to me at sam@example.org. Thanks."
    with gateway() as srv:
        _chat(srv, "my card is 4111 1111 1111 1111, ok?")
        _chat(srv, "bomb recipe")
        _chat(srv, "hello", stream=True)
    rows = _rows(db_url, 3)
    assert len(rows) == 3
    first, blocked, streamed = rows
    assert first.source == "gateway" and first.model == "fake-model" and first.log_content == "redacted"
    assert first.constitution_hash == fake_guard.lc.hash
    assert "4111" not in str(first.messages) and "[CREDIT_CARD]" in str(first.messages)
    assert first.response is not None and "sam@example.org" not in first.response
    assert first.decisions is not None and first.decisions["input"]["action"] == "redact"
    assert first.input_tokens == 7 and first.output_tokens == 5
    assert first.latency_total_ms is not None and first.latency_upstream_ms is not None
    assert blocked.action == "block" and blocked.finish_reason == "content_filter" and blocked.flagged
    assert streamed.extra is not None and streamed.extra["stream"] is True


def test_log_content_none_and_full(gateway: Any, db_url: str) -> None:
    with gateway(log_content="none") as srv:
        _chat(srv, "mail a@b.com")
    with gateway(log_content="full") as srv:
        _chat(srv, "mail a@b.com")
    none, full = _rows(db_url, 2)
    assert none.messages is None and none.response is None
    assert full.messages is not None and "a@b.com" in str(full.messages)


def test_full_queue_drops_and_counts_never_blocks(db_url: str) -> None:
    metrics = Metrics()
    with RunStore.open(db_url) as store:
        w = TraceWriter(store, metrics, maxsize=2)  # not started: nothing drains
        t0 = time.perf_counter()
        ok = [w.put(new_trace(model="m", log_content="none", flagged=False, action="allow")) for _ in range(5)]
        assert time.perf_counter() - t0 < 0.5
        assert ok == [True, True, False, False, False]
        assert metrics.value("alignloop_traces_dropped_total") == 3
        assert "alignloop_traces_dropped_total 3" in metrics.render()
        w.close()  # drains the two queued rows
        assert metrics.value("alignloop_traces_written_total") == 2


def test_close_drains_the_queue(db_url: str) -> None:
    metrics = Metrics()
    with RunStore.open(db_url) as store:
        w = TraceWriter(store, metrics).start()
        for _ in range(50):
            w.put(new_trace(model="m", log_content="none", flagged=False, action="allow"))
        w.close()
    assert len(_rows(db_url, 50, timeout=0)) == 50


def test_rows_built_in_the_writer_thread_and_a_broken_builder_is_counted(db_url: str) -> None:
    import threading

    metrics = Metrics()
    threads: list[str] = []

    def build() -> TraceRow:
        threads.append(threading.current_thread().name)
        return new_trace(model="m", log_content="none", flagged=False, action="allow")

    def broken() -> TraceRow:
        raise ValueError("bad row")

    with RunStore.open(db_url) as store:
        w = TraceWriter(store, metrics).start()
        assert all(w.put(f) for f in (build, broken, build))
        w.close()
    assert threads == ["alignloop-trace-writer"] * 2
    assert len(_rows(db_url, 2, timeout=0)) == 2
    assert metrics.value("alignloop_traces_failed_total") == 1
    assert metrics.value("alignloop_traces_written_total") == 2
