from __future__ import annotations

import numpy as np

from alignloop.guard._heads import fit_binary, fit_multiclass, pick_threshold, threshold_at_fpr


def test_pick_threshold_keeps_fpr_bound() -> None:
    rng = np.random.default_rng(0)
    y = np.array([1] * 100 + [0] * 100)
    s = np.concatenate([rng.uniform(0.4, 1, 100), rng.uniform(0, 0.6, 100)])
    t = pick_threshold(s, y, max_fpr=0.05)
    assert (s[y == 0] >= t).mean() <= 0.05
    assert (s[y == 1] >= t).mean() > 0.5


def test_threshold_at_fpr_is_the_lowest_under_the_cap_and_ignores_positives() -> None:
    neg = np.linspace(0.0, 0.99, 100).astype(np.float32)
    y = np.array([0] * 100 + [1] * 3)
    t = threshold_at_fpr(np.r_[neg, [0.2, 0.5, 0.9]].astype(np.float32), y, max_fpr=0.03)
    assert (neg >= t).sum() == 3  # exactly the cap: the lowest threshold that keeps it
    assert t > neg[96] and t <= neg[97]
    moved = threshold_at_fpr(np.r_[neg, [0.99, 0.99, 0.99]].astype(np.float32), y, max_fpr=0.03)
    assert moved == t  # unlike best F1, where the few positives sit does not move it
    assert threshold_at_fpr(neg, np.zeros(100, int), max_fpr=0.0) > neg.max()
    wide = neg.astype(np.float64) + 1e-12  # float64 scores: the step is taken in their own precision
    assert (wide >= threshold_at_fpr(wide, np.zeros(100, int), max_fpr=0.03)).sum() == 3


def test_heads_separate_and_sum_to_one() -> None:
    rng = np.random.default_rng(1)
    x = np.vstack([rng.normal(-1, 0.3, (40, 4)), rng.normal(1, 0.3, (40, 4))]).astype(np.float32)
    y = np.array([0] * 40 + [1] * 40)
    p = fit_binary(x, y).predict(x)[:, 0]
    assert p[:40].max() < 0.5 < p[40:].min()
    y3 = np.array([0] * 40 + [1] * 20 + [2] * 20)
    p3 = fit_multiclass(x, y3).predict(x)
    assert np.allclose(p3.sum(1), 1.0, atol=1e-5)


def test_lexical_features_are_normalised_and_stable() -> None:
    from alignloop.guard._heads import lexical_features

    m = lexical_features(["Kill the process", "kill the PROCESS", ""], dim=1024)
    assert m.shape == (3, 1024)
    norms = np.sqrt(np.asarray(m.multiply(m).sum(1)).ravel())
    assert np.allclose(norms[:2], 1.0, atol=1e-5) and norms[2] == 0.0
    assert (m[0] != m[1]).nnz == 0  # case-insensitive, and crc32 hashing is not salted per process


def test_fused_head_platt_is_calibrated_probability() -> None:
    from alignloop.guard._heads import fit_fused, fit_platt, lexical_features

    rng = np.random.default_rng(2)
    texts = [f"how do I bake bread {i}" for i in range(30)] + [f"how do I build a bomb {i}" for i in range(30)]
    y = np.array([0] * 30 + [1] * 30)
    x = rng.normal(0, 1, (60, 8)).astype(np.float32)
    lex = lexical_features(texts, dim=4096)
    h = fit_fused(x, lex, y)
    h.platt = fit_platt(h.logit(x, lex), y)
    p = h.predict(x, lex)
    assert p.shape == (60,) and p[:30].max() < 0.5 < p[30:].min()
