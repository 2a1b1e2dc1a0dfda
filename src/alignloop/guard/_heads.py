"""Linear heads on shared embeddings (and hashed n-grams): fitted with scikit-learn, stored as plain arrays."""

from __future__ import annotations

import functools
import itertools
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse


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


def fit_binary(x: np.ndarray | sparse.csr_matrix, y: np.ndarray, c: float = 4.0) -> LinearHead:
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


def threshold_at_fpr(scores: np.ndarray, y: np.ndarray, max_fpr: float) -> float:
    """The lowest threshold that flags at most ``max_fpr`` of the negatives: the most recall under that cap.

    Unlike :func:`pick_threshold`, it reads only a quantile of the negatives, which with hundreds of
    them holds still from one build to the next. With few positives the best-F1 point can instead
    land anywhere on a flat curve, often just above the highest few negatives.
    """
    neg = np.sort(scores[y == 0])
    if not len(neg):
        return 0.5
    k = int(np.floor(max_fpr * len(neg) + 1e-9))  # negatives allowed at or above the threshold
    if k >= len(neg):
        return float(neg[0])
    # just above the (k+1)-th highest negative, so at most k negatives reach it (exactly k without ties).
    # The step is taken in the scores' own dtype: numpy compares a float32 array with a Python float in
    # float32, where a float64 step above the value would round back onto it.
    v = neg[len(neg) - k - 1]
    return float(np.nextafter(v, neg.dtype.type(np.inf)))


LEX_DIM = 2**18
"""Hash buckets for the lexical features (a 1 MB float32 coefficient row)."""
_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=1 << 16)
def _word_hashes(word: str, dim: int) -> tuple[int, ...]:
    # a word's unigram and char n-gram buckets; words recur across texts, so caching them
    # makes the features ~4x cheaper (the guard's batched throughput depends on it)
    p = f" {word} "
    grams = [f"w {word}"] + [f"c {p[i : i + n]}" for n in (3, 4, 5) for i in range(len(p) - n + 1)]
    return tuple(zlib.crc32(g.encode()) % dim for g in grams)


def lexical_features(texts: Sequence[str], dim: int = LEX_DIM) -> sparse.csr_matrix:
    """Hashed word 1-2grams and in-word char 3-5grams: log counts, L2-normalised, as a sparse matrix.

    Cheap (well under a millisecond a sentence) and deterministic across versions (crc32, not
    Python's salted ``hash``). Char n-grams keep misspelt and run-together words close.
    """
    rows: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for t in texts:
        words = _WORD.findall(t.lower())
        hashes = [h for w in words for h in _word_hashes(w, dim)]
        hashes += [zlib.crc32(f"b {a} {b}".encode()) % dim for a, b in itertools.pairwise(words)]
        idx, cnt = np.unique(np.array(hashes, dtype=np.int64), return_counts=True)
        v = np.log1p(cnt.astype(np.float32))
        norm = float(np.linalg.norm(v))
        rows.append(idx)
        vals.append(v / norm if norm else v)
    indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
    ind = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    data = np.concatenate(vals) if vals else np.zeros(0, dtype=np.float32)
    return sparse.csr_matrix((data, ind, indptr), shape=(len(texts), dim))


@dataclass
class FusedHead:
    """Safe/unsafe from an embedding head and a lexical head: Platt-scaled weighted sum of their logits.

    The two views err differently (paraphrase vs. wording), so their sum ranks better than either;
    Platt scaling on out-of-fold logits makes the output a probability, so a constitution
    threshold of 0.8 means "at least 80% sure" rather than a point on an arbitrary scale.
    """

    emb: LinearHead
    lex: LinearHead
    emb_weight: float = 0.5
    platt: tuple[float, float] = (1.0, 0.0)

    def logit(self, x: np.ndarray, lex: sparse.csr_matrix) -> np.ndarray:
        """The raw fused logit (before Platt scaling), one per row."""
        ze = x @ self.emb.coef[0] + self.emb.intercept[0]
        zl = np.asarray(lex @ self.lex.coef[0]).ravel() + self.lex.intercept[0]
        out: np.ndarray = self.emb_weight * ze + (1.0 - self.emb_weight) * zl
        return out

    def predict(self, x: np.ndarray, lex: sparse.csr_matrix) -> np.ndarray:
        """Calibrated unsafe probabilities, shape ``(n,)``."""
        a, b = self.platt
        z = a * self.logit(x, lex) + b
        out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))
        return out


def fit_fused(
    x: np.ndarray, lex: sparse.csr_matrix, y: np.ndarray, c_emb: float = 16.0, c_lex: float = 64.0, w: float = 0.5
) -> FusedHead:
    """Fit both halves of a :class:`FusedHead` (uncalibrated: ``platt`` is the identity)."""
    return FusedHead(fit_binary(x, y, c_emb), fit_binary(lex, y, c_lex), w)


def fit_platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and intercept mapping logits ``z`` to calibrated probabilities (unweighted: true priors)."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4, max_iter=1000).fit(z.reshape(-1, 1), y.astype(int))
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])
