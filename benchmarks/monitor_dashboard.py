"""Dashboard first paint with many traces: the monitoring and leadership pages, from the hourly counts,
against a GROUP BY over the score rows (the baseline, measured in the same run).

Score rows are written directly (no guard), spread over 48 hours, with their hourly counts as the
scorer writes them. Run: python benchmarks/monitor_dashboard.py [--n 1000000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    args = ap.parse_args()
    from fastapi.testclient import TestClient

    from alignloop.constitution import load_constitution
    from alignloop.monitor._score import _insert_scores
    from alignloop.monitor._windows import aggregate_windows
    from alignloop.monitor.dashboard import create_app
    from alignloop.store import RunStore

    d = Path(tempfile.mkdtemp())
    store = RunStore.open(f"sqlite:///{d / 'dash.db'}")
    lc = load_constitution(None)
    t0 = datetime(2025, 3, 1, tzinfo=timezone.utc)
    rng = random.Random(0)
    now = datetime.now(timezone.utc)
    rows = []
    start = time.perf_counter()
    for i in range(args.n):
        v = rng.random() < 0.02
        rows.append(
            {
                "trace_id": f"t{i}",
                "constitution_hash": lc.hash,
                "ts": t0 + timedelta(seconds=i * 172_800 / args.n),
                "model": "prod",
                "key_name": None,
                "input_flagged": rng.random() < 0.1,
                "violation": v,
                "categories": ["cbrn"] if v else [],
                "refusal": rng.random() < 0.05,
                "injection": False,
                "pii_leak": False,
                "loop": False,
                "latency_ms": 100.0,
                "scores": {},
                "scored_at": now,
            }
        )
        if len(rows) == 5000:
            _insert_scores(store.engine, rows)
            rows = []
    if rows:
        _insert_scores(store.engine, rows)
    print(f"{args.n:,} scored traces written in {time.perf_counter() - start:.0f} s")
    since = t0
    t = time.perf_counter()
    aggregate_windows(store.engine, lc.hash, timedelta(hours=1), lc.constitution.category_ids, since=since)
    base = time.perf_counter() - t
    print(f"baseline: GROUP BY over the scores: {base:.2f} s")
    client = TestClient(create_app(store, lc))
    for page in ("/monitoring", "/leadership", "/", "/review", "/incidents"):
        t = time.perf_counter()
        r = client.get(page)
        dt = time.perf_counter() - t
        print(f"{page}: HTTP {r.status_code} in {dt:.3f} s ({dt / base:.3f}x baseline)")


if __name__ == "__main__":
    main()
