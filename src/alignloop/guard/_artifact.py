"""Train and store guard artifacts: category and injection heads, thresholds, refusal head, metadata.

An artifact is a folder (written atomically) holding ``meta.json`` (format version, categories,
thresholds, constitution hash, data hash, embedder id, created time, metrics), ``heads.npz`` and
``refusal.npz``. Plain arrays, no pickle, so loading one never runs code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from alignloop._util.atomic import atomic_path
from alignloop._util.errors import DataError, UserError
from alignloop._util.hashing import sha256_json
from alignloop._util.paths import cache_dir
from alignloop.constitution import LoadedConstitution
from alignloop.data import split_of
from alignloop.guard._embed import Embedder, default_embedder
from alignloop.guard._heads import (
    LEX_DIM,
    FusedHead,
    LinearHead,
    fit_binary,
    fit_fused,
    fit_multi_binary,
    fit_platt,
    lexical_features,
    pick_threshold,
)
from alignloop.guard._meta import FORMAT_VERSION, embedder_for, read_meta
from alignloop.guard._refusal import FORMAT_VERSION as REFUSAL_FORMAT_VERSION
from alignloop.guard._refusal import RefusalDetector, training_rows
from alignloop.guard._sources import Row, SourceInfo

__all__ = ["FORMAT_VERSION", "TrainingData", "default_artifact", "embedder_for", "read_meta", "train_artifact"]
POSITIVE = frozenset({"harmful", "unsafe", "violating", "injection", "positive"})
NEGATIVE = frozenset({"benign", "borderline", "safe", "allowed", "negative"})


@dataclass
class TrainingData:
    """Texts for the category heads (``category`` set on positives) and for the injection head."""

    texts: list[str] = field(default_factory=list)
    categories: list[str | None] = field(default_factory=list)
    """The violated category, or ``None`` for an allowed text."""
    hard: list[bool] = field(default_factory=list)
    """Allowed texts that sound unsafe (borderline): the default threshold keeps false alarms on them rare."""
    inj_texts: list[str] = field(default_factory=list)
    inj_labels: list[int] = field(default_factory=list)

    def add(self, text: str, category: str | None, hard: bool = False) -> None:
        """Append one text; ``hard`` marks an allowed text that sounds unsafe."""
        self.texts.append(text)
        self.categories.append(category)
        self.hard.append(hard and category is None)

    def extend(self, other: TrainingData) -> None:
        """Append every text of ``other``."""
        self.texts += other.texts
        self.categories += other.categories
        self.hard += other.hard or [False] * len(other.texts)
        self.inj_texts += other.inj_texts
        self.inj_labels += other.inj_labels


def rows_to_training_data(rows: list[Row]) -> TrainingData:
    """Source rows as head training data (unsafe rows need a category: the heads are per category).

    Raises:
        DataError: an unsafe row has no category.
    """
    data = TrainingData()
    for r in rows:
        if r.injection == 1:
            data.inj_texts.append(r.text)
            data.inj_labels.append(1)
        elif r.unsafe == 1:
            if not r.category:
                raise DataError(
                    f"{r.source}: row {r.id}: unsafe but no category",
                    hint="map a category column (--category-column), or use --default to train the classifier",
                )
            data.add(r.text, r.category)
        elif r.unsafe == 0:
            data.add(r.text, None, hard=r.hard)
    return data


def rows_from_user_file(path: str | Path) -> tuple[SourceInfo, list[Row]]:
    """A user JSONL file (the ``read_user_data`` format) as a classifier training source."""
    data = read_user_data(path)
    stem = Path(path).name
    rows = [
        Row(f"{stem}-{i}", t, stem, int(c is not None), c, 0, h)
        for i, (t, c, h) in enumerate(zip(data.texts, data.categories, data.hard, strict=True))
    ]
    rows += [Row(f"{stem}-inj-{i}", t, stem, None, None, 1) for i, t in enumerate(data.inj_texts)]
    info = SourceInfo(stem, f"user file {path}", "user-supplied", files=[str(path)], count=len(rows))
    return info, rows


def seed_data(split: str = "train") -> TrainingData:
    """Bundled seed prompts and injection rows of ``split``."""
    from alignloop.data import seed_file, seed_prompts

    data = TrainingData()
    for r in seed_prompts():
        if split_of(r.id, r.split) == split:
            data.add(r.prompt, r.category if r.label == "harmful" else None, hard=r.label == "borderline")
    try:
        inj = seed_file("injection.jsonl")
    except FileNotFoundError:
        inj = []
    for row in inj:
        if split_of(str(row["id"]), row.get("split")) == split:
            data.inj_texts.append(row["text"])
            data.inj_labels.append(1 if row["label"] == "injection" else 0)
    return data


def read_user_data(path: str | Path) -> TrainingData:
    """Rows ``{"id", "text"|"prompt", "label", "category"?}`` from a JSONL file.

    ``label`` is harmful/unsafe/violating (needs ``category``), benign/borderline/safe/allowed,
    or ``injection`` (trains the injection head). ``borderline`` rows also set the default threshold.
    """
    from alignloop.data import iter_jsonl

    data = TrainingData()
    for n, row in iter_jsonl(path):
        text = row.get("text", row.get("prompt"))
        label = row.get("label")
        if not isinstance(text, str) or not text.strip():
            raise DataError(f"{path}:{n}: field 'text' (or 'prompt'): missing or empty", hint="give each row a text")
        if label == "injection":
            data.inj_texts.append(text)
            data.inj_labels.append(1)
        elif label in POSITIVE:
            cat = row.get("category")
            if not isinstance(cat, str) or not cat:
                raise DataError(
                    f"{path}:{n}: field 'category': missing for a {label} row",
                    hint="name the constitution category this row violates",
                )
            data.add(text, cat)
        elif label in NEGATIVE:
            data.add(text, None, hard=label == "borderline")
        else:
            raise DataError(
                f"{path}:{n}: field 'label': {label!r} is not one of {sorted(POSITIVE | NEGATIVE)}",
                hint="fix the label",
            )
    return data


def _folds(n: int) -> np.ndarray:
    folds = np.arange(n) % 5
    np.random.default_rng(0).shuffle(folds)
    return folds


def _oof_scores(x: np.ndarray, y: np.ndarray, fit: Callable[[np.ndarray, np.ndarray], LinearHead]) -> np.ndarray:
    """Out-of-fold predictions (5 folds) to pick thresholds on data the head did not see."""
    n = len(x)
    folds = _folds(n)
    out: np.ndarray | None = None
    for k in range(5):
        tr, te = folds != k, folds == k
        if len(np.unique(y[tr] if y.ndim == 1 else y[tr].max(1))) < 2:
            continue
        pred = fit(x[tr], y[tr]).predict(x[te])
        if out is None:
            out = np.zeros((n, pred.shape[1]), dtype=np.float32)
        out[te] = pred
    return out if out is not None else np.zeros((n, 1), dtype=np.float32)


def _oof_fused_logits(x: np.ndarray, lex: sparse.csr_matrix, y: np.ndarray) -> np.ndarray:
    """Out-of-fold fused logits (5 folds): what the head says about texts it has not seen."""
    folds = _folds(len(y))
    out = np.zeros(len(y), dtype=np.float64)
    for k in range(5):
        tr, te = folds != k, folds == k
        if len(np.unique(y[tr])) < 2:
            continue
        out[te] = fit_fused(x[tr], lex[tr], y[tr]).logit(x[te], lex[te])
    return out


def fit_unsafe_head(
    x: np.ndarray, texts: list[str], y: np.ndarray, hard: np.ndarray
) -> tuple[FusedHead, float, dict[str, float]]:
    """The calibrated fused safe/unsafe head, its default threshold and out-of-fold metrics.

    Embedding C=16, n-gram C=64 and equal logit weights were chosen by 5-fold cross-validation on
    the train split (PR-AUC and borderline F1). The threshold is the best out-of-fold F1 of harmful
    versus hard (borderline) negatives with at most 5% of them flagged; benign texts are easy, so
    counting them would let the false-alarm rate on borderline texts drift well above 5%.
    """
    from sklearn.metrics import average_precision_score

    lex = lexical_features(texts)
    head = fit_fused(x, lex, y)
    z = _oof_fused_logits(x, lex, y)
    head.platt = fit_platt(z, y)
    a, b = head.platt
    oof = 1.0 / (1.0 + np.exp(-np.clip(a * z + b, -40, 40)))
    sub = (y == 1) | hard if hard.any() else np.ones(len(y), dtype=bool)
    t = pick_threshold(oof[sub], y[sub], max_fpr=0.05)
    neg = (y == 0) & sub
    metrics = {
        "oof_pr_auc": float(average_precision_score(y, oof)),
        "oof_unsafe_recall_at_threshold": float((oof[y == 1] >= t).mean()),
        "oof_fpr_at_threshold": float((oof[y == 0] >= t).mean()),
        "oof_borderline_fpr_at_threshold": float((oof[neg] >= t).mean()),
    }
    return head, t, metrics


def train_artifact(
    out_dir: str | Path,
    constitution: LoadedConstitution,
    extra: TrainingData | None = None,
    use_seed: bool = True,
    embedder: Embedder | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Train every head and write a guard artifact to ``out_dir`` atomically.

    Raises:
        UserError: a constitution category has no violating examples in any source.
    """
    say = progress or (lambda _m: None)
    c = constitution.constitution
    ids = c.category_ids
    data = seed_data("train") if use_seed else TrainingData()
    for cat in c.categories:
        for t in cat.violating_examples:
            data.add(t, cat.id)
        for t in cat.allowed_examples:
            data.add(t, None, hard=True)  # allowed examples sit close to the boundary by design
    if extra is not None:
        data.extend(extra)
    # rows for categories this constitution lacks are dropped, not turned into negatives: they may be harmful
    keep = [i for i, cat in enumerate(data.categories) if cat is None or cat in ids]
    texts = [data.texts[i] for i in keep]
    cats = [data.categories[i] for i in keep]
    hard = np.array([data.hard[i] for i in keep], dtype=bool)
    empty = [cid for cid in ids if cid not in cats]
    if empty:
        raise UserError(
            f"constitution {constitution.path}: categor{'y' if len(empty) == 1 else 'ies'} "
            f"{', '.join(empty)} ha{'s' if len(empty) == 1 else 've'} no violating examples "
            "and no training data",
            hint="add violating_examples (and allowed_examples) to each category, or pass --data with rows for it",
        )
    if all(cat is not None for cat in cats):
        raise UserError("no allowed (negative) examples to train on", hint="add allowed_examples or benign rows")

    emb = embedder or default_embedder()  # after the data checks: a user mistake must not cost an export
    say(f"embedding {len(texts)} category texts")
    x = emb.encode(texts)
    y = np.array([[1 if cat == cid else 0 for cid in ids] for cat in cats], dtype=np.int64)
    say("fitting category heads")
    # one safe/unsafe head ranks far better than the max of per-category heads (train-CV PR-AUC .94 vs .89);
    # the category heads then only say which category an unsafe text belongs to
    cat_head = fit_multi_binary(x, y, c=16.0)
    unsafe = (y.max(1) == 1).astype(int)
    unsafe_head, default_t, oof_metrics = fit_unsafe_head(x, texts, unsafe, hard)
    thresholds = {cat.id: (cat.threshold if cat.threshold is not None else default_t) for cat in c.categories}

    inj_head: LinearHead | None = None
    inj_t = 0.5
    if len(set(data.inj_labels)) == 2:
        say(f"fitting injection head on {len(data.inj_texts)} texts")
        # ordinary prompts are the injection head's negatives too: false alarms there cost most
        neg = [t for t, cat in zip(texts, cats, strict=True) if cat is None]
        xi = np.vstack([emb.encode(data.inj_texts), x[[i for i, cat in enumerate(cats) if cat is None]]])
        yi = np.array(data.inj_labels + [0] * len(neg))
        inj_head = fit_binary(xi, yi)
        inj_t = pick_threshold(_oof_scores(xi, yi, fit_binary)[:, 0], yi, max_fpr=0.03)

    rows = training_rows()
    say(f"fitting refusal head on {len(rows)} responses")
    refusal = RefusalDetector.train(rows, emb)

    meta: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "categories": ids,
        "thresholds": thresholds,
        "default_threshold": default_t,
        "injection_threshold": inj_t,
        "constitution_hash": constitution.hash,
        "data_hash": sha256_json([texts, cats, hard.tolist(), data.inj_texts, data.inj_labels, rows]),
        "embedder_id": emb.id,
        "unsafe_head": {"emb_weight": unsafe_head.emb_weight, "platt": list(unsafe_head.platt), "lex_dim": LEX_DIM},
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "metrics": {
            "n_texts": len(texts),
            "n_unsafe": int(unsafe.sum()),
            "n_injection": len(data.inj_texts),
            "n_borderline": int(hard.sum()),
            **oof_metrics,
        },
    }
    out = Path(out_dir)
    with atomic_path(out) as tmp:
        tmp.mkdir(parents=True)
        arrays = {
            "cat_coef": cat_head.coef,
            "cat_intercept": cat_head.intercept,
            "uns_coef": unsafe_head.emb.coef,
            "uns_intercept": unsafe_head.emb.intercept,
            "lex_coef": unsafe_head.lex.coef,
            "lex_intercept": unsafe_head.lex.intercept,
        }
        if inj_head is not None:
            arrays |= {"inj_coef": inj_head.coef, "inj_intercept": inj_head.intercept}
        np.savez(tmp / "heads.npz", **arrays)  # type: ignore[arg-type]
        refusal.save(tmp)
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return out


def default_artifact(constitution: LoadedConstitution) -> Path:
    """The cached artifact for ``constitution``, trained on first use.

    Its folder name hashes everything it is trained from (constitution, seed data, refusal data,
    embedder, format), so edited seed data or a new release retrains instead of reusing stale heads.
    """
    from alignloop.guard._embed import EMBEDDER_ID

    seed = seed_data("train")
    key = sha256_json(
        [
            FORMAT_VERSION,
            REFUSAL_FORMAT_VERSION,
            EMBEDDER_ID,
            seed.texts,
            seed.categories,
            seed.hard,
            seed.inj_texts,
            seed.inj_labels,
            training_rows(),
        ]
    )
    folder = cache_dir() / "guard" / f"{constitution.hash[:12]}-{key[:12]}"
    if not (folder / "meta.json").exists():
        train_artifact(folder, constitution)
    return folder
