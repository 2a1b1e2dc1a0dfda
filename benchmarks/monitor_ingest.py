"""Ingest throughput and scoring lag: rows stored per second, against just reading and parsing the file.

Baseline (same run): iterate the file and build the rows without storing them. The ratio shows what the
database costs. Then scores a sample with the guard (default artifact; --hash for the hashing embedder)
to give the scoring rate, i.e. how far scoring lags ingestion at a given traffic rate.

Run: python benchmarks/monitor_ingest.py [--n 50000] [--db URL] [--score 500] [--hash]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path


def write_traffic(path: Path, n: int) -> None:
    from alignloop.data import seed_prompts

    prompts = [r.prompt for r in seed_prompts(split="train")]
    rng = random.Random(0)
    t0 = datetime(2025, 3, 1, tzinfo=timezone.utc)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            row = {
                "messages": [
                    {"role": "system", "content": "You are helpful."},
                    {"role": "user", "content": rng.choice(prompts)},
                ],
                "response": "Here is a helpful answer. " * rng.randint(1, 8),
                "model": rng.choice(["prod-a", "prod-b"]),
                "timestamp": (t0 + timedelta(seconds=i * 0.5)).isoformat(),
                "latency_ms": rng.uniform(50, 900),
                "key": f"team-{i % 5}",
                "request": i,
            }
            f.write(json.dumps(row) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--score", type=int, default=500, help="traces to score (0: skip)")
    ap.add_argument("--hash", action="store_true", help="score with a hashing-embedder guard instead of MiniLM")
    args = ap.parse_args()
    from alignloop.constitution import load_constitution
    from alignloop.monitor import ingest_file, score_pending
    from alignloop.monitor._ingest import iter_file
    from alignloop.store import RunStore

    d = Path(tempfile.mkdtemp())
    path = d / "traffic.jsonl"
    write_traffic(path, args.n)
    t = time.perf_counter()
    n_parsed = sum(1 for _ in iter_file(path))
    parse_rate = n_parsed / (time.perf_counter() - t)
    store = RunStore.open(args.db or f"sqlite:///{d / 'bench.db'}")
    res = ingest_file(store.engine, path)
    replay = ingest_file(store.engine, path)
    print(f"database: {store.url.split('@')[-1]}")
    print(f"parse only: {parse_rate:,.0f} rows/s (baseline)")
    print(f"ingest: {res.stored:,} stored at {res.rate:,.0f} rows/s ({res.rate / parse_rate:.2f}x baseline)")
    print(f"replay: {replay.stored} new of {replay.read:,} at {replay.rate:,.0f} rows/s")
    if args.score:
        from alignloop.guard import Guard

        lc = load_constitution(None)
        if args.hash:
            from alignloop.guard import HashEmbedder, train_artifact

            guard = Guard.load(lc, artifact=train_artifact(d / "art", lc, embedder=HashEmbedder()))
        else:
            guard = Guard.load(lc)
        s = score_pending(store.engine, guard, lc.hash, limit=args.score)
        rate = s.scored / s.seconds
        lag_min = res.stored / rate / 60
        print(f"scoring: {s.scored} traces at {rate:,.1f}/s (ingest is {res.rate / rate:,.0f}x faster)")
        print(f"  scoring {res.stored:,} traces lags their ingestion by {lag_min:,.1f} minutes on this machine")


if __name__ == "__main__":
    main()
