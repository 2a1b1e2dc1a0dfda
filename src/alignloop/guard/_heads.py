"""Linear heads on shared embeddings: fitted with scikit-learn, stored as plain arrays (no pickle)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class LinearHead:
    """Softmax/sigmoid over ``x @ coef.T + intercept``; one row per output."""

    coef: np.ndarray
    intercept: np.ndarray
    multiclass: bool = False

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probabilities: ``(n, k)`` per-output sigmoids, or a softmax when ``multiclass``."""
        z = x @ self.coef.T + self.intercept
        if self.multiclass:
            z = z - z.max(axis=1, keepdims=True)
            e = np.exp(z)
            out: np.ndarray = e / e.sum(axis=1, keepdims=True)
            return out
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def fit_binary(x: np.ndarray, y: np.ndarray, c: float = 4.0) -> LinearHead:
    """Balanced logistic regression for one yes/no output."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    lr.fit(x, y.astype(int))
    return LinearHead(lr.coef_.astype(np.float32), lr.intercept_.astype(np.float32))


def fit_multi_binary(x: np.ndarray, y: np.ndarray, c: float = 4.0) -> LinearHead:
    """One balanced logistic regression per column of the 0/1 matrix ``y``."""
    heads = [fit_binary(x, y[:, j], c) for j in range(y.shape[1])]
    return LinearHead(np.vstack([h.coef for h in heads]), np.concatenate([h.intercept for h in heads]))


def fit_multiclass(x: np.ndarray, y: np.ndarray, c: float = 4.0) -> LinearHead:
    """Multinomial logistic regression; ``y`` holds class indices ``0..k-1`` (all must occur)."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    lr.fit(x, y)
    return LinearHead(lr.coef_.astype(np.float32), lr.intercept_.astype(np.float32), multiclass=True)


def pick_threshold(scores: np.ndarray, y: np.ndarray, max_fpr: float = 0.05) -> float:
    """The threshold with the best F1 among those whose false-positive rate is at most ``max_fpr``."""
    best_t, best_f1 = 0.5, -1.0
    pos, neg = y == 1, y == 0
    for t in np.unique(np.round(scores, 4)):
        pred = scores >= t
        tp = float((pred & pos).sum())
        fp = float((pred & neg).sum())
        fpr = fp / max(neg.sum(), 1)
        if fpr > max_fpr or tp == 0:
            continue
        prec, rec = tp / (tp + fp), tp / max(pos.sum(), 1)
        f1 = 2 * prec * rec / (prec + rec)
        if f1 > best_f1:
            best_t, best_f1 = float(t), f1
    return best_t
