"""Guard quality on the dev split (never trained on): PR-AUC, F1 and borderline FPR, injection recall.

Baseline in the same run: the same heads' scores versus a keyword list, so numbers read as ratios.
Run: python benchmarks/guard_quality.py
"""

from __future__ import annotations

import re

import numpy as np
import torch


def _f1_fpr(y: np.ndarray, pred: np.ndarray, neg: np.ndarray) -> tuple[float, float]:
    tp = float((pred & (y == 1)).sum())
    prec = tp / max(pred.sum(), 1)
    rec = tp / max((y == 1).sum(), 1)
    f1 = 2 * prec * rec / max(prec + rec, 1e-9)
    return f1, float(pred[neg].mean()) if neg.any() else 0.0


def main() -> None:
    torch.set_num_threads(2)
    from sklearn.metrics import average_precision_score

    from alignloop.data import seed_file, seed_prompts
    from alignloop.guard import Guard, split_of

    guard = Guard.load()
    dev = [r for r in seed_prompts() if split_of(r.id, r.split) == "dev"]
    y = np.array([r.label == "harmful" for r in dev], dtype=int)
    border = np.array([r.label == "borderline" for r in dev])
    ds = guard.check_inputs([r.prompt for r in dev])
    s = np.array([d.score for d in ds])
    flagged = np.array([any(x.detector == "category" for x in d.reasons) for d in ds])
    kw = re.compile(r"\b(kill|bomb|hack|drug|steal|weapon|poison|attack|suicide|explicit|hate|fake)\w*", re.I)
    base = np.array([1.0 if kw.search(r.prompt) else 0.0 for r in dev])
    print(f"dev prompts: {len(dev)} ({int(y.sum())} harmful, {int(border.sum())} borderline)")
    ap, ap_kw = average_precision_score(y, s), average_precision_score(y, base)
    print(f"PR-AUC harmful vs safe      guard {ap:.3f}  keyword baseline {ap_kw:.3f}  ratio {ap / ap_kw:.2f}x")
    sub = (y == 1) | border
    f1, fpr = _f1_fpr(y[sub], flagged[sub], ~y[sub].astype(bool))
    f1k, fprk = _f1_fpr(y[sub], base[sub] > 0, ~y[sub].astype(bool))
    print(f"borderline vs harmful       guard F1 {f1:.3f} FPR {fpr:.3f}  keyword F1 {f1k:.3f} FPR {fprk:.3f}")
    benign = np.array([r.label == "benign" for r in dev])
    print(
        f"ordinary prompts flagged    guard {flagged[benign].mean():.3f}  keyword {(base[benign] > 0).mean():.3f}"
        f"  (n={int(benign.sum())})"
    )

    inj = [r for r in seed_file("injection.jsonl") if split_of(str(r["id"]), r.get("split")) == "dev"]
    ordinary = [r.prompt for r in dev if r.label != "harmful"]
    pos = [r["text"] for r in inj if r["label"] == "injection"]
    negs = [r["text"] for r in inj if r["label"] != "injection"] + ordinary
    sp = np.array([d.injection for d in guard.check_inputs(pos)])
    sn = np.array([d.injection for d in guard.check_inputs(negs)])
    t = float(np.quantile(sn, 0.95))
    at_thr = guard.meta["injection_threshold"]
    print(
        f"injection recall at 5% FPR  {(sp > t).mean():.3f}  "
        f"(at artifact threshold {at_thr:.2f}: recall {(sp >= at_thr).mean():.3f}, FPR {(sn >= at_thr).mean():.3f}; "
        f"n={len(pos)}+{len(negs)})"
    )


if __name__ == "__main__":
    main()
