"""kill -9 during ingest: no acknowledged event is lost and rerunning the file duplicates nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from alignloop.store import TraceRow

from .conftest import START, traffic_rows, write_jsonl

SCRIPT = """
import sys
from alignloop.monitor import ingest_file
from alignloop.store import RunStore
from alignloop.monitor._ingest import iter_file, insert_traces, _batches
store = RunStore.open(sys.argv[1])
done = 0
for chunk in _batches(iter_file(sys.argv[2]), 500):
    insert_traces(store.engine, chunk)
    done += len(chunk)
    print(done, flush=True)  # acknowledged: committed before it is printed
"""


def test_kill_9_mid_ingest(db_url: str, store: Any, tmp_path: Path) -> None:
    n = 20_000
    path = write_jsonl(tmp_path / "t.jsonl", traffic_rows(n, START, timedelta(days=1)))
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, db_url, str(path)], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    assert proc.stdout is not None
    acked = 0
    deadline = time.monotonic() + 60
    while acked < 2_000 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acked = int(line)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    with store.engine.connect() as c:
        stored = int(c.execute(select(func.count()).select_from(TraceRow)).scalar_one())
    assert 2_000 <= acked <= stored < n  # nothing acknowledged was lost; the kill landed mid-file
    from alignloop.monitor import ingest_file

    rest = ingest_file(store.engine, path)
    assert rest.stored == n - stored
    with store.engine.connect() as c:
        assert int(c.execute(select(func.count()).select_from(TraceRow)).scalar_one()) == n
