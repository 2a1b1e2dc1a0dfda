"""Drift from the reference window: a domain classifier on prompt embeddings, and two-proportion tests on rates.

Input drift: a logistic regression learns to tell the current window's prompts from the reference's;
its cross-validated ROC AUC is compared with the (1 - alpha) quantile of AUCs under permuted labels.
A fixed cut such as Evidently's 0.55 cannot see a shift of 10% of traffic: even a perfect classifier of
the new prompts reaches only 0.5 + 0.1 / 2 = 0.55 then, while the permutation threshold at 2,000 events
a window sits near 0.515. Permuting the out-of-fold scores' labels (rather than refitting) is exact under
the null, where scores are independent of labels, and costs milliseconds.

Behaviour drift: each rate against the reference's by a two-proportion z-test, Holm-adjusted.
The two families share ``alpha`` (input ``alpha / 5``, behaviour the rest), so a window's false alarm rate
stays at or below ``alpha``. The input test gets the smaller share because repeated prompts make it run
above its nominal level: 5 false alarms in 100 unshifted windows at a nominal 2.5% (hashing embedder,
benchmarks/monitor_drift.py on train-split seed prompts), 2 in 100 at 1% while still flagging 93 of
100 shifted windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from alignloop.monitor._stats import holm, two_proportion_p
from alignloop.monitor._windows import Window

MAX_PER_WINDOW = 2000
"""Prompts per window the classifier sees (a seeded sample beyond it)."""
PERMUTATIONS = 400
FOLDS = 5
MIN_PER_SIDE = 20


class Embedder(Protocol):
    """Anything with ``encode(texts) -> (n, d) array`` (the guard's embedders)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass
class InputDrift:
    """The domain classifier's verdict on one window."""

    auc: float
    threshold: float
    p_value: float
    detected: bool
    n_reference: int
    n_current: int
    top_prompts: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "auc": round(self.auc, 4),
            "threshold": round(self.threshold, 4),
            "p_value": round(self.p_value, 4),
            "detected": self.detected,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "top_prompts": self.top_prompts,
        }


def _auc_from_ranks(ranks: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """ROC AUC of one or many label vectors (rows) against fixed scores, via the Mann-Whitney U."""
    n1 = labels.sum(axis=-1)
    n0 = labels.shape[-1] - n1
    u = (labels * ranks).sum(axis=-1) - n1 * (n1 + 1) / 2
    out: np.ndarray = u / (n1 * n0)
    return out


def sample(items: Sequence[Any], k: int, seed: int = 0) -> list[Any]:
    """A seeded sample of at most ``k`` items, in their original order."""
    if len(items) <= k:
        return list(items)
    idx = np.sort(np.random.default_rng(seed).choice(len(items), size=k, replace=False))
    return [items[i] for i in idx]


def input_drift(
    reference: np.ndarray,
    current: np.ndarray,
    current_texts: Sequence[str],
    *,
    alpha: float = 0.025,
    seed: int = 0,
    top: int = 5,
    current_ids: Sequence[str] | None = None,
) -> InputDrift | None:
    """Domain-classifier drift between two windows' prompt embeddings (None when either is too small).

    Prompts are not de-duplicated: with a small pool of repeated prompts, one copy per window leaves
    mostly prompts seen in both windows, and the cross-validated AUC collapses far below 0.5.
    """
    from scipy.stats import rankdata
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    n_ref, n_cur = len(reference), len(current)
    if min(n_ref, n_cur) < MIN_PER_SIDE:
        return None
    x = np.vstack([reference, current]).astype(np.float64)
    y = np.r_[np.zeros(n_ref, dtype=int), np.ones(n_cur, dtype=int)]
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    # liblinear: 0.42 s against lbfgs's 1.69 s for five folds of 4,000 x 256 on 2 busy cores
    clf = LogisticRegression(C=0.5, solver="liblinear", class_weight="balanced")
    scores = cross_val_predict(clf, x, y, cv=folds, method="decision_function")
    ranks = rankdata(scores)
    auc = float(_auc_from_ranks(ranks, y))
    # labels are permuted within each test fold: each fold's model has its own score offset, and the
    # folds' class shares differ a little, so shuffling across folds would misstate the null
    rng = np.random.default_rng(seed + 1)
    perms = np.tile(y, (PERMUTATIONS, 1))
    for _, test in folds.split(x, y):
        perms[:, test] = rng.permuted(perms[:, test], axis=1)
    null = _auc_from_ranks(ranks, perms)
    threshold = float(np.quantile(null, 1 - alpha))
    p_value = float((1 + (null >= auc).sum()) / (1 + PERMUTATIONS))
    cur_scores = scores[n_ref:]
    order = np.argsort(-cur_scores)
    shown: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i in order:
        text = current_texts[i]
        if text in seen:
            continue
        seen.add(text)
        item: dict[str, Any] = {"prompt": text[:300], "score": round(float(cur_scores[i]), 3)}
        if current_ids is not None:
            item["trace_id"] = current_ids[i]
        shown.append(item)
        if len(shown) >= top:
            break
    return InputDrift(auc, threshold, p_value, auc > threshold, n_ref, n_cur, shown)


def behaviour_drift(reference: Window, current: Window, alpha: float = 0.025) -> dict[str, Any]:
    """Two-proportion tests of every rate against the reference, Holm-adjusted at ``alpha``."""
    names = [
        n
        for n in sorted(current.counts)
        if current.counts[n][1]
        and reference.counts.get(n, [0, 0])[1]
        and (current.counts[n][0] or reference.counts[n][0])
    ]
    raw = [two_proportion_p(*reference.counts[n], *current.counts[n]) for n in names]
    adjusted = holm(raw)
    tests: list[dict[str, Any]] = []
    for name, p, q in zip(names, raw, adjusted, strict=True):
        (k0, n0), (k1, n1) = reference.counts[name], current.counts[name]
        tests.append(
            {
                "metric": name,
                "reference": round(k0 / n0, 6),
                "current": round(k1 / n1, 6),
                "p_value": round(p, 6),
                "p_adjusted": round(q, 6),
                "significant": q < alpha,
            }
        )
    tests.sort(key=lambda t: t["p_adjusted"])
    return {
        "detected": any(t["significant"] for t in tests),
        "alpha": alpha,
        "correction": "holm",
        "changed": [t["metric"] for t in tests if t["significant"]],
        "tests": tests,
    }
