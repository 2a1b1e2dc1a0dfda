"""Synthetic shift: does the input-drift test flag 10% of traffic moving to a new harmful topic within one
window of 2,000 events, and how often does it fire on unshifted windows?

Traffic is the bundled train-split benign and borderline seed prompts (sampled with replacement); the
shift replaces 10% of a window with harmful prompts of one category (cbrn) the reference never saw.
Each trial draws a fresh reference and current window. Reports detection rate, false alarm rate and AUCs.

Run: python benchmarks/monitor_drift.py [--embedder hash|minilm] [--trials 20] [--n 2000] [--shift 0.1]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--embedder", choices=["hash", "minilm"], default="hash")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--shift", type=float, default=0.1)
    ap.add_argument("--alpha", type=float, default=0.01, help="the input family's share of drift_alpha 0.05")
    args = ap.parse_args()
    from alignloop.data import seed_prompts
    from alignloop.guard import HashEmbedder, default_embedder
    from alignloop.monitor import input_drift

    base = [r.prompt for r in seed_prompts(split="train") if r.label in ("benign", "borderline")]
    new = [r.prompt for r in seed_prompts(split="train", label="harmful", category="cbrn")]
    emb = HashEmbedder() if args.embedder == "hash" else default_embedder()
    pool = emb.encode(base + new)
    eb, en = pool[: len(base)], pool[len(base) :]
    rng = np.random.default_rng(0)

    def window(shift: float) -> tuple[np.ndarray, list[str]]:
        k = round(args.n * shift)
        ib = rng.integers(0, len(base), args.n - k)
        ine = rng.integers(0, len(new), k)
        return np.vstack([eb[ib], en[ine]]), [base[i] for i in ib] + [new[i] for i in ine]

    t0 = time.perf_counter()
    hits, alarms, auc_s, auc_n = 0, 0, [], []
    for _ in range(args.trials):
        ref, _ = window(0.0)
        cur, texts = window(args.shift)
        res = input_drift(ref, cur, texts, alpha=args.alpha)
        assert res is not None
        hits += res.detected
        auc_s.append(res.auc)
        null, ntexts = window(0.0)
        res0 = input_drift(ref, null, ntexts, alpha=args.alpha)
        assert res0 is not None
        alarms += res0.detected
        auc_n.append(res0.auc)
    dt = time.perf_counter() - t0
    print(f"embedder={args.embedder} n={args.n} shift={args.shift} trials={args.trials} alpha={args.alpha}")
    print(f"detected {hits}/{args.trials} shifted windows; AUC mean {statistics.mean(auc_s):.4f}")
    print(f"false alarms {alarms}/{args.trials} unshifted windows; AUC mean {statistics.mean(auc_n):.4f}")
    print(f"{dt / (2 * args.trials):.2f} s per window comparison (embedding excluded)")


if __name__ == "__main__":
    main()
