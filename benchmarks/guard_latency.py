"""Guard latency: full check_input p50/p99 and batched throughput, as ratios to a bare MiniLM encode.

Texts: 400 of the bundle's seed prompts, a third each harmful, borderline and benign; then the
default guard again on 400 harmful ones (every text reaches the heads: the cascade's worst case).

Run: python benchmarks/guard_latency.py   (uses the cached default guard artifact; builds it once)
"""

from __future__ import annotations

import statistics
import time

import torch


def _pct(xs: list[float], q: float) -> float:
    return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))]


def _clear(guard: object) -> None:
    guard.embedder.clear_cache()  # type: ignore[attr-defined]
    clf = getattr(guard, "classifier", None)
    if clf is not None:
        clf.clear_cache()


def _measure(guard: object, texts: list[str], n: int) -> tuple[float, float, float]:
    """p50 and p99 of check_input over ``n`` distinct texts, and batched texts/s, from cold caches."""
    _clear(guard)
    lat = []
    for t in texts[:n]:
        t0 = time.perf_counter()
        guard.check_input(t + " ")  # type: ignore[attr-defined]
        lat.append((time.perf_counter() - t0) * 1000)
    _clear(guard)
    t0 = time.perf_counter()
    guard.check_inputs(texts)  # type: ignore[attr-defined]
    return statistics.median(lat), _pct(lat, 0.99), len(texts) / (time.perf_counter() - t0)


def main() -> None:
    torch.set_num_threads(2)
    from alignloop.data import seed_prompts
    from alignloop.guard import Guard
    from alignloop.models import load_embedder

    rows = seed_prompts()
    # every 4th prompt: the bundle's mix of harmful, borderline and benign (a third each), which sends
    # about two thirds of texts to the heads; the harmful-only set below is the cascade's worst case
    texts = [r.prompt[:512] for r in rows[::4]][:400]
    harmful = [r.prompt[:512] for r in rows if r.label == "harmful"][:400]
    st = load_embedder()
    guard = Guard.load()
    guard.check_inputs(texts[:8])
    st.encode(texts[:8])
    n = 200
    base = []
    for t in texts[:n]:
        t0 = time.perf_counter()
        st.encode([t])
        base.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    st.encode(texts, batch_size=64)
    base_tp = len(texts) / (time.perf_counter() - t0)
    b50, b99 = statistics.median(base), _pct(base, 0.99)
    print(f"bare encode      p50 {b50:6.1f} ms  p99 {b99:6.1f} ms  batched {base_tp:6.0f} texts/s")
    # the same guard without the heads next to the classifier (with_heads=False): the combination's cost
    alone = Guard.load(with_heads=False)
    alone.check_inputs(texts[:8])
    a50, a99, atp = _measure(alone, texts, n)
    g50, g99, tp = _measure(guard, texts, n)
    print(f"guard, classifier only p50 {a50:6.1f} ms  p99 {a99:6.1f} ms  batched {atp:6.0f} texts/s")
    print(f"guard check_input p50 {g50:6.1f} ms  p99 {g99:6.1f} ms  batched {tp:6.0f} texts/s")
    print(f"ratio guard/bare  p50 {g50 / b50:.2f}x  p99 {g99 / b99:.2f}x  throughput {tp / base_tp:.2f}x")
    print(f"ratio default/classifier only  p50 {g50 / a50:.2f}x  p99 {g99 / a99:.2f}x  throughput {tp / atp:.2f}x")
    h50, h99, htp = _measure(guard, harmful, n)
    print(f"guard on harmful prompts only  p50 {h50:6.1f} ms  p99 {h99:6.1f} ms  batched {htp:6.0f} texts/s")
    _layouts(texts, n)


def _layouts(texts: list[str], n: int) -> None:
    """The classifier's ONNX layouts: one 2-thread session vs two 1-thread sessions sharing a batch."""
    from alignloop.guard import GuardClassifier, shipped_model_dir

    res = {}
    for name, kw in {"1 session x 2 threads": {"threads": 2, "sessions": 1}, "2 sessions x 1 thread": {}}.items():
        clf = GuardClassifier(shipped_model_dir(), **kw)  # type: ignore[arg-type]
        clf.logits(texts[:8])
        clf.clear_cache()
        lat = []
        for t in texts[:n]:
            t0 = time.perf_counter()
            clf.logits([t + " "])
            lat.append((time.perf_counter() - t0) * 1000)
        clf.clear_cache()
        t0 = time.perf_counter()
        clf.logits(texts)
        res[name] = (statistics.median(lat), _pct(lat, 0.99), len(texts) / (time.perf_counter() - t0))
        p50, p99, tp = res[name]
        print(f"classifier {name}: one text p50 {p50:5.1f} ms p99 {p99:5.1f} ms, batched {tp:5.0f}/s")
    (a50, _, atp), (b50, _, btp) = res.values()
    print(f"ratio two sessions / one: one-text p50 {b50 / a50:.2f}x  throughput {btp / atp:.2f}x")


if __name__ == "__main__":
    main()
