from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from alignloop._util.errors import DataError
from alignloop.monitor import apply_retention, ingest_file
from alignloop.store import TraceRow

from .conftest import START, traffic_rows, write_jsonl


def _count(store: Any) -> int:
    with store.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(TraceRow)).scalar_one())


def test_ingest_stores_each_row_once(store: Any, tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "t.jsonl", traffic_rows(250, START, timedelta(hours=1)))
    first = ingest_file(store.engine, p, batch=100)
    assert (first.read, first.stored) == (250, 250)
    again = ingest_file(store.engine, p, batch=100)
    assert (again.read, again.stored) == (250, 0)
    assert _count(store) == 250


def test_broken_line_keeps_committed_batches_and_resumes(store: Any, tmp_path: Path) -> None:
    rows = traffic_rows(30, START, timedelta(hours=1))
    p = tmp_path / "t.jsonl"
    lines = [json.dumps(r) for r in rows]
    lines.insert(25, "{broken")
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"t\.jsonl:26: broken JSON"):
        ingest_file(store.engine, p, batch=10)
    assert _count(store) == 20  # two whole batches committed before the broken line
    lines.pop(25)
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert ingest_file(store.engine, p, batch=10).stored == 10
    assert _count(store) == 30


def test_otlp_json_file(store: Any, tmp_path: Path) -> None:
    span = {
        "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
        "spanId": "00f067aa0ba902b7",
        "startTimeUnixNano": "1740823200000000000",
        "attributes": [{"key": "gen_ai.prompt", "value": {"stringValue": "hi"}}],
    }
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}
    p = tmp_path / "otlp.json"
    p.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    assert ingest_file(store.engine, p).stored == 1
    assert ingest_file(store.engine, p).stored == 0


def test_retention_deletes_by_storage_age(store: Any, tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "t.jsonl", traffic_rows(10, START, timedelta(hours=1)))
    ingest_file(store.engine, p)
    assert apply_retention(store.engine, timedelta(days=90)) == 0  # old events, but stored just now
    with store.engine.begin() as c:
        c.execute(update(TraceRow).values(created_at=TraceRow.created_at - timedelta(days=91)))
    assert apply_retention(store.engine, timedelta(days=90)) == 10
    assert _count(store) == 0
