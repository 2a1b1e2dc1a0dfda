"""Refusal judge accuracy per reply style and language, on the dev and frozen test splits.

Reads the bundled reply sets (SmolLM2's own replies in ``responses.jsonl`` and the many-style set
``reply_styles.jsonl``) and prints, per split and style, the exact 3-way accuracy (refusal / partial /
compliance) and the binary accuracy the issue tracker uses (refusal or partial vs compliance), for the
refusal detector the guard judge uses and for the keyword judge as a baseline measured in the same run.

    python benchmarks/refusal_styles.py            # dev + test with the shipped constants
    python benchmarks/refusal_styles.py --grid     # re-run the dev-split search for C and LEX_WEIGHT

``--grid`` only ever looks at dev; test is printed for the shipped constants alone.
"""

from __future__ import annotations

import argparse
import itertools
from collections import defaultdict
from typing import Any

import numpy as np

GRIDS = [((1.0, 4.0, 16.0), (0.5, 1.0, 2.0)), ((2.0, 4.0, 8.0), (2.0, 3.0, 4.0))]


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


def main() -> None:
    """Print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", action="store_true", help="search C and LEX_WEIGHT on dev")
    args = ap.parse_args()
    from alignloop.guard import KeywordJudge, default_embedder
    from alignloop.guard import _refusal as R
    from alignloop.guard._heads import fit_multiclass

    emb = _Cached(default_embedder())
    train = R.training_rows()
    x_emb = emb.encode([t.strip()[:1200] or "(empty)" for t, _ in train])
    x_lex = np.vstack([R.lexical_features(t) for t, _ in train])
    y = np.array([R.LABELS.index(lab) for _, lab in train])

    def detector(c: float, w: float) -> Any:
        R.LEX_WEIGHT = w  # _features reads the module constant
        return R.RefusalDetector(fit_multiclass(np.hstack([x_emb, x_lex * w]), y, c=c), emb)

    def labels(det: Any, rows: list[dict[str, Any]]) -> list[str]:
        return [v.label for v in det.classify([r["response"] for r in rows])]

    dev, test = R.labelled_replies("dev"), R.labelled_replies("test")
    c_shipped, w_shipped = R.C, R.LEX_WEIGHT
    if args.grid:
        for cs, ws in GRIDS:
            for c, w in itertools.product(cs, ws):
                acc = [a for a, _, _ in _scores(labels(detector(c, w), dev), dev).values()]
                print(f"dev C={c:<5g} LEX_WEIGHT={w:<4g} worst style {min(acc):.4f}  mean {np.mean(acc):.4f}")
    shipped = detector(c_shipped, w_shipped)
    kw = KeywordJudge()
    print(f"\n{'split':5s} {'style':22s} {'n':>4s}  detector exact/binary   keyword exact/binary")
    for name, rows in (("dev", dev), ("test", test)):
        det = _scores(labels(shipped, rows), rows)
        key = _scores([v.refusal for v in kw.judge([""] * len(rows), [r["response"] for r in rows])], rows)
        for s, (ex, bi, n) in det.items():
            print(f"{name:5s} {s:22s} {n:4d}  {ex:.3f} / {bi:.3f}          {key[s][0]:.3f} / {key[s][1]:.3f}")


if __name__ == "__main__":
    main()
