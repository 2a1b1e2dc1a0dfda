"""The synthetic shift target with the hashing embedder: 10% of traffic on a new harmful topic is flagged
within one window of 2,000 events, and unshifted windows raise at most 5% false alarms."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from alignloop.monitor import Window, behaviour_drift, input_drift

N = 2000


@pytest.fixture(scope="module")
def pools() -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    from alignloop.data import seed_prompts
    from alignloop.guard import HashEmbedder

    base = [r.prompt for r in seed_prompts(split="train") if r.label in ("benign", "borderline")]
    new = [r.prompt for r in seed_prompts(split="train", label="harmful", category="cbrn")]
    emb = HashEmbedder().encode(base + new)
    return emb[: len(base)], emb[len(base) :], base, new


def _window(
    pools: tuple[np.ndarray, np.ndarray, list[str], list[str]], rng: np.random.Generator, shift: float
) -> tuple[np.ndarray, list[str]]:
    eb, en, base, new = pools
    k = round(N * shift)
    ib, ine = rng.integers(0, len(base), N - k), rng.integers(0, len(new), k)
    return np.vstack([eb[ib], en[ine]]), [base[i] for i in ib] + [new[i] for i in ine]


def test_ten_percent_shift_is_flagged_and_explained(pools: tuple[np.ndarray, np.ndarray, list[str], list[str]]) -> None:
    rng = np.random.default_rng(7)
    ref, _ = _window(pools, rng, 0.0)
    cur, texts = _window(pools, rng, 0.1)
    res = input_drift(ref, cur, texts, alpha=0.01)
    assert res is not None and res.detected and res.auc > res.threshold > 0.5
    new = set(pools[3])
    assert sum(p["prompt"] in new for p in res.top_prompts) >= 4  # the separating prompts are the new topic


def test_unshifted_windows_rarely_alarm(pools: tuple[np.ndarray, np.ndarray, list[str], list[str]]) -> None:
    rng = np.random.default_rng(11)
    ref, _ = _window(pools, rng, 0.0)
    alarms = 0
    for _ in range(20):
        cur, texts = _window(pools, rng, 0.0)
        res = input_drift(ref, cur, texts, alpha=0.01)
        assert res is not None and abs(res.threshold - 0.52) < 0.01
        alarms += res.detected
    assert alarms <= 1


def test_too_small_windows_are_not_judged() -> None:
    x = np.zeros((5, 4))
    assert input_drift(x, x, ["a"] * 5) is None


def test_behaviour_drift_is_holm_corrected() -> None:
    t = datetime(2025, 1, 1, tzinfo=timezone.utc)
    ref = Window(
        t,
        t + timedelta(hours=1),
        "all",
        n=2000,
        counts={"refusal": [100, 2000], "loop": [2, 2000], "pii_leak": [0, 2000]},
    )
    same = Window(
        t,
        t + timedelta(hours=1),
        "all",
        n=2000,
        counts={"refusal": [110, 2000], "loop": [3, 2000], "pii_leak": [0, 2000]},
    )
    moved = Window(
        t,
        t + timedelta(hours=1),
        "all",
        n=2000,
        counts={"refusal": [200, 2000], "loop": [3, 2000], "pii_leak": [0, 2000]},
    )
    assert not behaviour_drift(ref, same)["detected"]
    out = behaviour_drift(ref, moved)
    assert out["detected"] and out["changed"] == ["refusal"] and out["correction"] == "holm"
    assert [t["metric"] for t in out["tests"]] == ["refusal", "loop"]  # rates at zero on both sides are not tested
