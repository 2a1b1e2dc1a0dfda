"""Refusal judge accuracy per reply style and language (dev and frozen test), and the fast path's share and speed.

Reads the bundled reply sets (SmolLM2's own replies in ``responses.jsonl`` and the many-style set
``reply_styles.jsonl``) and prints, per split and style, the exact 3-way accuracy (refusal / partial /
compliance) and the binary accuracy the issue tracker uses (refusal or partial vs compliance) for:

- ``before``: the detector of an earlier commit (``--before``, default the commit this work started from),
  run from that commit's own tree and seed data in a subprocess, on the same rows;
- ``after``: today's detector with the shipped constants (fast path on);
- ``keyword``: the keyword judge, as a baseline.

Second-set rows (``"set": 2``, templates added later) are also scored on their own. Then the fast path:
the share of test replies it decides, the accuracy with and without it, and the latency of ``classify``
one reply at a time and batched, from a cold embedding cache, as a ratio to the full path in the same run.

    python benchmarks/refusal_styles.py            # before/after on dev + test, fast path, latency
    python benchmarks/refusal_styles.py --guard    # ... and the default guard's check_output, fast path off/on
    python benchmarks/refusal_styles.py --grid     # re-run the dev-split searches for the constants

``--grid`` only ever looks at train and dev; test is printed for the shipped constants alone.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

C_GRID = (1.0, 2.0, 4.0, 8.0)
W_GRID = (1.0, 2.0, 3.0, 4.0)
FAST_WORDS = (8, 16, 32)
"""Fast-path lengths tried; none below 8 words: a shorter reply is cheap to embed anyway, and too short for
the absence of every cue to say much."""
FAST_MAX_CHANGED = 0.005
"""The fast path may change at most this share of dev verdicts."""
BEFORE = "575e4b4"
"""The commit the second reply set, the lexicon by language and the fast path were built on."""

_BEFORE_SCRIPT = """
import json, sys
from alignloop.guard import RefusalDetector
texts = json.load(open(sys.argv[1]))
print(json.dumps([v.label for v in RefusalDetector.load().classify(texts)]))
"""


class _Cached:
    """The embedder with a text -> vector cache, so a grid search encodes every text once."""

    def __init__(self, emb: Any) -> None:
        self.emb, self.id, self.dim, self.cache = emb, emb.id, emb.dim, {}

    def encode(self, texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if new:
            self.cache.update(zip(new, self.emb.encode(new), strict=True))
        return np.vstack([self.cache[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


def _scores(labels: list[str], rows: list[dict[str, Any]]) -> dict[str, tuple[float, float, int]]:
    by: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r, lab in zip(rows, labels, strict=True):
        by[r["style"]].append((r["label"], lab))
    return {
        s: (
            sum(a == b for a, b in xs) / len(xs),
            sum((a == "compliance") == (b == "compliance") for a, b in xs) / len(xs),
            len(xs),
        )
        for s, xs in sorted(by.items())
    }


def _before_labels(rev: str, texts: list[str]) -> list[str] | None:
    """Labels from the detector of commit ``rev``, run from that commit's tree (None when git cannot give it)."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(root), "archive", rev, "src"], capture_output=True)
        if archive.returncode:
            print(f"(no before: git archive {rev} failed: {archive.stderr.decode().strip()})")
            return None
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        Path(tmp, "texts.json").write_text(json.dumps(texts))
        env = {**os.environ, "PYTHONPATH": str(Path(tmp, "src"))}
        out = subprocess.run(
            [sys.executable, "-c", _BEFORE_SCRIPT, str(Path(tmp, "texts.json"))],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    labels: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return labels


def _grid(R: Any, detector: Any, labels: Any, train: list[Any], dev: list[dict[str, Any]]) -> None:
    """The dev-split searches: C and LEX_WEIGHT (fast path off), then the fast path's length and probabilities."""
    best: tuple[float, float, float, float] = (-1.0, -1.0, 0.0, 0.0)
    for c, w in itertools.product(C_GRID, W_GRID):
        acc = [a for a, _, _ in _scores(labels(detector(c, w, fast=False), dev), dev).values()]
        print(f"dev C={c:<4g} LEX_WEIGHT={w:<4g} worst style {min(acc):.4f}  mean {np.mean(acc):.4f}")
        if (min(acc), float(np.mean(acc))) > best[:2]:  # ties go to the smaller C and LEX_WEIGHT
            best = (min(acc), float(np.mean(acc)), c, w)
    print(f"best on dev: C={best[2]:g} LEX_WEIGHT={best[3]:g} (worst {best[0]:.4f}, mean {best[1]:.4f})")
    full = detector(best[2], best[3], fast=False)
    texts = [r["response"] for r in dev]
    ref = labels(full, dev)
    chosen = None
    for n in FAST_WORDS:
        R.FAST_MIN_WORDS = n
        fast = [R.is_plain_content(t) for t in texts]
        changed = sum(f and lab != "compliance" for f, lab in zip(fast, ref, strict=True)) / len(texts)
        ok = "ok" if changed <= FAST_MAX_CHANGED else "too many"
        chosen = chosen or (n if ok == "ok" else None)
        print(f"dev fast path from {n:2d} words: {np.mean(fast):.3f} of replies, {changed:.4f} verdicts changed ({ok})")
    R.FAST_MIN_WORDS = chosen or FAST_WORDS[-1]
    plain = [t for t, _ in train if R.is_plain_content(t)]
    probs = np.array([[v.p_refusal, v.p_partial, v.p_compliance] for v in full.classify(plain)])
    print(
        f"FAST_MIN_WORDS={R.FAST_MIN_WORDS}: {len(plain)} train replies on the fast path; "
        f"the full detector's mean probabilities there (FAST_PROBS) {probs.mean(0).round(3)}"
    )


def _latency(R: Any, head: Any, texts: list[str], reps: int = 2) -> None:
    """classify() one reply at a time and batched, full path vs fast path, cold embedding cache each time."""
    from alignloop.guard import default_embedder

    raw = default_embedder()
    runs: dict[tuple[bool, str], list[float]] = defaultdict(list)
    for _ in range(reps):
        for fast in (False, True):
            det = R.RefusalDetector(head, raw, fast_path=fast)
            for mode in ("one", "batch"):
                getattr(raw, "_cache", {}).clear()
                t0 = time.perf_counter()
                if mode == "one":
                    for t in texts:
                        det.classify([t])
                else:
                    det.classify(texts)
                runs[fast, mode].append((time.perf_counter() - t0) * 1000 / len(texts))
    for mode in ("one", "batch"):
        full, fast = min(runs[False, mode]), min(runs[True, mode])
        print(
            f"latency ({'one reply per call' if mode == 'one' else 'one batched call'}): full {full:.2f} ms/reply, "
            f"fast path {fast:.2f} ms/reply, ratio full/fast {full / fast:.2f}x"
        )


def _guard_latency(rows: list[dict[str, Any]], reps: int = 2) -> None:
    """``Guard.check_output`` one reply at a time with the refusal fast path off and on (default guard)."""
    from alignloop.guard import Guard

    guard = Guard.load()
    pairs = [(str(r.get("prompt") or ""), r["response"]) for r in rows]
    guard.check_outputs([p for p, _ in pairs[:4]], [t for _, t in pairs[:4]])
    runs: dict[bool, list[float]] = defaultdict(list)
    flagged: dict[bool, list[bool]] = {}
    for _ in range(reps):
        for fast in (False, True):
            guard.refusal.fast_path = fast
            guard.embedder.clear_cache()
            if getattr(guard, "classifier", None) is not None:
                guard.classifier.clear_cache()
            t0 = time.perf_counter()
            flagged[fast] = [guard.check_output(p, t).flagged for p, t in pairs]
            runs[fast].append((time.perf_counter() - t0) * 1000 / len(pairs))
    full, fast = min(runs[False]), min(runs[True])
    changed = sum(a != b for a, b in zip(flagged[False], flagged[True], strict=True))
    print(
        f"guard check_output: full {full:.2f} ms/reply, fast path {fast:.2f} ms/reply, ratio full/fast "
        f"{full / fast:.2f}x; flagged decisions changed {changed}/{len(pairs)}"
    )


def main() -> None:
    """Print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", action="store_true", help="search the constants on dev")
    ap.add_argument("--before", default=BEFORE, help="git revision whose detector is the 'before' column")
    ap.add_argument("--guard", action="store_true", help="also time the default guard's check_output")
    args = ap.parse_args()
    from alignloop.guard import KeywordJudge, default_embedder
    from alignloop.guard import _refusal as R
    from alignloop.guard._heads import fit_multiclass

    emb = _Cached(default_embedder())
    train = R.training_rows()
    x_emb = emb.encode([t.strip()[:1200] or "(empty)" for t, _ in train])
    x_lex = np.vstack([R.lexical_features(t) for t, _ in train])
    y = np.array([R.LABELS.index(lab) for _, lab in train])

    def detector(c: float, w: float, fast: bool = True) -> Any:
        R.LEX_WEIGHT = w  # _features reads the module constant
        return R.RefusalDetector(fit_multiclass(np.hstack([x_emb, x_lex * w]), y, c=c), emb, fast_path=fast)

    def labels(det: Any, rows: list[dict[str, Any]]) -> list[str]:
        return [v.label for v in det.classify([r["response"] for r in rows])]

    dev, test = R.labelled_replies("dev"), R.labelled_replies("test")
    c_shipped, w_shipped, n_shipped = R.C, R.LEX_WEIGHT, R.FAST_MIN_WORDS
    if args.grid:
        _grid(R, detector, labels, train, dev)
        return
    R.FAST_MIN_WORDS = n_shipped
    shipped = detector(c_shipped, w_shipped)
    before = _before_labels(args.before, [r["response"] for r in dev + test])
    kw = KeywordJudge()
    print(f"C={c_shipped:g} LEX_WEIGHT={w_shipped:g} FAST_MIN_WORDS={n_shipped}; before = {args.before}")
    print(f"\n{'split':9s} {'style':22s} {'n':>4s}  before exact/binary  after exact/binary  keyword exact/binary")
    offset = {"dev": 0, "test": len(dev)}
    for name, rows in (("dev", dev), ("test", test)):
        idx = list(range(offset[name], offset[name] + len(rows)))
        after_l = labels(shipped, rows)
        kw_l = [v.refusal for v in kw.judge([""] * len(rows), [r["response"] for r in rows])]
        for sub, keep in ((name, [True] * len(rows)), (f"{name} set2", [bool(r.get("set")) for r in rows])):
            sel = [i for i, k in enumerate(keep) if k]
            if not sel:
                continue
            part = [rows[i] for i in sel]
            aft = _scores([after_l[i] for i in sel], part)
            key = _scores([kw_l[i] for i in sel], part)
            bef = _scores([before[idx[i]] for i in sel], part) if before else {}
            for s, (ex, bi, n) in aft.items():
                b = f"{bef[s][0]:.3f} / {bef[s][1]:.3f}" if s in bef else "   -  /   -  "
                print(f"{sub:9s} {s:22s} {n:4d}  {b}       {ex:.3f} / {bi:.3f}      {key[s][0]:.3f} / {key[s][1]:.3f}")
    texts = [r["response"] for r in test]
    fast_l, full_l = labels(shipped, test), labels(detector(c_shipped, w_shipped, fast=False), test)
    on_fast = [R.is_plain_content(t) for t in texts]
    gold = [r["label"] for r in test]
    print(
        f"\ntest fast path: {sum(on_fast)}/{len(texts)} replies ({np.mean(on_fast):.1%}); verdicts changed "
        f"{sum(a != b for a, b in zip(fast_l, full_l, strict=True))}; exact accuracy full "
        f"{np.mean([a == g for a, g in zip(full_l, gold, strict=True)]):.4f} -> fast "
        f"{np.mean([a == g for a, g in zip(fast_l, gold, strict=True)]):.4f}"
    )
    _latency(R, shipped.head, texts)
    if args.guard:
        _guard_latency(test)


if __name__ == "__main__":
    main()
