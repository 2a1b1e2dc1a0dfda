"""Gateway overhead: the same requests to a fast fake upstream directly and through `alignloop serve`.

Both guards are on (mode ``both``, the default guard and constitution, traces written to SQLite).
Prints the added p50/p99 latency and the throughput ratio (gateway / direct) at concurrency 1 and 32.
Every request has a distinct prompt and reply, so the guard's embedding cache does not help
(``--same`` sends one request over and over: then the cache answers and what remains is the
gateway's own plumbing).

``--classifier-only`` serves with ``--no-guard-heads`` (the guard's classifier alone, one model pass
less per check); the in-process "guard alone" line then uses the same guard.

Run: python benchmarks/gateway_overhead.py [--requests 200] [--stream] [--classifier-only]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _upstream(port: int) -> None:
    """A bare ASGI chat endpoint: answers at once, echoing a varied sentence (plain or SSE)."""
    import uvicorn

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        if scope["method"] != "POST":  # readiness probe
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
            return
        req = json.loads(body)
        prompt = req["messages"][-1]["content"]
        reply = f"Here is a short answer about {prompt[:60].strip()}. I hope it helps you today."
        base = {"id": "x", "created": 0, "model": req.get("model", "fake")}
        if req.get("stream"):
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]}
            )
            for w in reply.split(" "):
                c = {
                    **base,
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {"content": w + " "}}],
                }
                await send(
                    {"type": "http.response.body", "body": f"data: {json.dumps(c)}\n\n".encode(), "more_body": True}
                )
            end = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            tail = f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode()
            await send({"type": "http.response.body", "body": tail})
            return
        out = {
            **base,
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 16, "total_tokens": 26},
        }
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps(out).encode()})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _wait(url: str, timeout: float = 180.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


async def _run(base: str, prompts: list[str], concurrency: int, stream: bool) -> tuple[list[float], float]:
    import httpx

    lat: list[float] = []
    queue = list(enumerate(prompts))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def worker() -> None:
            while queue:
                _, p = queue.pop()
                body = {"model": "fake", "messages": [{"role": "user", "content": p}], "stream": stream}
                t0 = time.perf_counter()
                r = await client.post("/chat/completions", json=body)
                r.raise_for_status()
                lat.append((time.perf_counter() - t0) * 1000)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return lat, len(prompts) / wall


def _pct(xs: list[float], q: float) -> float:
    return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))]


def _split(db: str, skip: int, n: int) -> str:
    """Medians of the latency split the gateway's traces record for requests ``skip .. skip + n``."""
    import sqlite3

    time.sleep(1.0)  # the trace writer flushes every 0.5 s
    cols = ("latency_guard_in_ms", "latency_upstream_ms", "latency_guard_out_ms", "latency_total_ms")
    with sqlite3.connect(db) as c:
        rows = c.execute(f"SELECT {', '.join(cols)} FROM traces ORDER BY ts").fetchall()[skip : skip + n]
    if not rows:
        return "no traces"
    med = [statistics.median(r[i] or 0.0 for r in rows) for i in range(4)]
    return "guard in {:.1f}ms, upstream {:.1f}ms, guard out {:.1f}ms, total {:.1f}ms".format(*med)


def _guard_alone(pool: list[str], heads: bool | None, n: int = 50) -> float:
    """p50 of the two checks alone, so the gateway's own share of the added latency shows.

    The guard is built and called as the gateway does: single-threaded model runs (``ServeConfig``),
    the output checked without refusal verdicts (``Guard.check_outputs(..., verdicts=False)``), in a
    worker thread (on the main thread the same checks took about 1.7 times as long on this machine).
    """
    from concurrent.futures import ThreadPoolExecutor

    from alignloop.guard import Guard

    g = Guard.load(threads=1) if heads is None else Guard.load(threads=1, with_heads=heads)

    def both(i: int) -> float:
        p = f"{pool[i % len(pool)]} (alone {i})"
        t0 = time.perf_counter()
        g.check_input(p)
        g.check_outputs([p], [f"Here is a short answer about {p[:60].strip()}. I hope it helps you today."], False)
        return (time.perf_counter() - t0) * 1000

    with ThreadPoolExecutor(1) as worker:
        worker.submit(g.check_input, "warm up").result()
        return statistics.median(worker.submit(both, i).result() for i in range(n))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=200, help="Requests per concurrency level and target.")
    ap.add_argument("--stream", action="store_true", help="Streamed requests (output through the stream checker).")
    ap.add_argument(
        "--same",
        action="store_true",
        help="Send one identical request (the guard's embedding cache answers: the gateway's own overhead).",
    )
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    ap.add_argument(
        "--classifier-only", action="store_true", help="Serve with --no-guard-heads (the classifier alone)."
    )
    args = ap.parse_args()

    from alignloop.data import seed_prompts

    pool = [r.prompt for r in seed_prompts(label="benign")]
    up_port, gw_port = _free_port(), _free_port()
    up = multiprocessing.Process(target=_upstream, args=(up_port,), daemon=True)
    up.start()
    tmp = tempfile.mkdtemp(prefix="gw-bench-")
    cmd = [
        sys.executable,
        "-c",
        "from alignloop.cli import main; main()",
        "serve",
        "--model",
        f"http://127.0.0.1:{up_port}/v1#fake",
        "--port",
        str(gw_port),
        "--db",
        f"sqlite:///{tmp}/gw.db",
        *(["--no-guard-heads"] if args.classifier_only else []),
    ]
    env = {**os.environ, "ALIGNLOOP_HOME": os.environ.get("ALIGNLOOP_HOME", tmp)}
    # the server's log goes to a file: an unread pipe fills up and would stall the server mid-run
    log = open(os.path.join(tmp, "serve.log"), "wb")  # noqa: SIM115  # closed in finally
    gw = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        _wait(f"http://127.0.0.1:{up_port}/v1/chat/completions")
        _wait(f"http://127.0.0.1:{gw_port}/readyz")
        direct, via = f"http://127.0.0.1:{up_port}/v1", f"http://127.0.0.1:{gw_port}/v1"
        asyncio.run(_run(via, [f"warm up {i}" for i in range(20)], 4, args.stream))
        print(
            f"{'conc':>4} {'direct p50':>10} {'gw p50':>8} {'added p50':>9} {'added p99':>9} "
            f"{'direct rps':>10} {'gw rps':>7} {'ratio':>6}"
        )
        done, splits = 20, []
        for c in args.concurrency:
            n = args.requests if c == 1 else max(args.requests, 8 * c)
            prompts = [pool[0] if args.same else f"{pool[i % len(pool)]} (request {c}-{i})" for i in range(n)]
            d_lat, d_rps = asyncio.run(_run(direct, prompts, c, args.stream))
            g_lat, g_rps = asyncio.run(_run(via, prompts, c, args.stream))
            d50, g50 = statistics.median(d_lat), statistics.median(g_lat)
            add99 = _pct(g_lat, 0.99) - _pct(d_lat, 0.99)
            print(
                f"{c:>4} {d50:>8.1f}ms {g50:>6.1f}ms {g50 - d50:>7.1f}ms {add99:>7.1f}ms "
                f"{d_rps:>10.0f} {g_rps:>7.0f} {g_rps / d_rps:>6.2f}"
            )
            splits.append(f"concurrency {c}: {_split(f'{tmp}/gw.db', done, n)}")
            done += n
        print("inside the gateway (medians from its traces):", *splits, sep="\n  ")
        alone = _guard_alone(pool, False if args.classifier_only else None)
        print(f"guard alone (the gateway's two checks in-process, same kind of text): p50 {alone:.1f}ms")
        metrics = __import__("httpx").get(f"http://127.0.0.1:{gw_port}/metrics").text
        dropped = [ln for ln in metrics.splitlines() if ln.startswith("alignloop_traces_dropped_total")]
        print("trace rows dropped:", dropped[0].split()[-1] if dropped else "?", f"(cpus: {os.cpu_count()})")
    finally:
        gw.terminate()
        gw.wait(30)
        log.close()
        up.terminate()


if __name__ == "__main__":
    main()
