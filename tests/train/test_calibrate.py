"""Choosing the steering alpha from a target over-refusal: the search, its prompts, and steer_refusal(target=)."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from alignloop._util.errors import UserError
from alignloop.train import refusal_direction, search_alpha, steer_refusal
from alignloop.train._calibrate import MAX_UP_ALPHA, calibration_prompts, noise_band

UNIT = 0.05
GRID = [round(k * UNIT, 2) for k in range(-8, 9)]


class Thresholds:
    """Prompt i is refused at every alpha >= its threshold; records what was generated."""

    def __init__(self, thresholds: Sequence[float]) -> None:
        self.t = list(thresholds)
        self.calls: list[tuple[float, list[int]]] = []

    def __call__(self, alpha: float, idx: Sequence[int]) -> list[bool]:
        self.calls.append((alpha, list(idx)))
        return [alpha >= self.t[i] - 1e-9 for i in idx]

    def rate(self, alpha: float) -> float:
        return sum(alpha >= t - 1e-9 for t in self.t) / len(self.t)

    def best(self, target: float) -> float | None:
        """The brute-force answer: the largest grid alpha within the target."""
        ok = [a for a in GRID if self.rate(a) <= target]
        return max(ok) if ok else None


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("target", [0.03, 0.06, 0.12, 0.3])
def test_search_finds_the_largest_alpha_within_the_target(seed: int, target: float) -> None:
    rng = random.Random(seed)
    # thresholds spread over and past the search range; some prompts refused even at -0.4, some never
    model = Thresholds([round(rng.uniform(-0.6, 0.8) / UNIT) * UNIT for _ in range(100)])
    res = search_alpha(model, 100, target)
    want = model.best(target)
    if want is None:
        assert not res.reached and res.alpha == -0.4
    else:
        assert res.reached and res.alpha == pytest.approx(want)
        assert res.rate == pytest.approx(model.rate(want)) and res.rate <= target
    # every rate reported is the true rate at that alpha (the monotone cache loses nothing)
    for a, r in res.tried.items():
        assert r == pytest.approx(model.rate(float(a)), abs=1e-4)
    # and it generated less than measuring every alpha it tried in full
    assert res.generated < 100 * len(res.tried)
    assert res.generated == sum(len(idx) for _, idx in model.calls)


def test_search_moves_up_from_a_shy_model_and_down_from_an_overcautious_one() -> None:
    shy = Thresholds([0.5] * 90 + [0.15] * 5 + [0.25] * 5)  # 0% at 0, 5% from 0.15, 10% from 0.25
    res = search_alpha(shy, 100, 0.06)
    assert res.alpha == pytest.approx(0.2) and res.rate == pytest.approx(0.05)
    # 0, then the cap (over the target there), then the walk up from 0
    assert [a for a, _ in shy.calls][:4] == [0.0, pytest.approx(0.4), pytest.approx(0.1), pytest.approx(0.2)]
    # prompts answered at the cap are known answered below it: the walk generates only among the 10 it refused
    assert all(set(idx) <= set(range(90, 100)) for _, idx in shy.calls[2:]) and len(shy.calls[2][1]) == 10

    cautious = Thresholds([-0.25] * 15 + [0.5] * 85)  # 15% at 0, 0% below -0.25
    res = search_alpha(cautious, 100, 0.06)
    assert res.alpha == pytest.approx(-0.3) and res.rate == 0.0
    # the downward walk re-generates only the prompts it saw refused
    assert all(len(idx) == 15 for a, idx in cautious.calls if a < 0)


def test_search_stops_at_the_cap_after_two_passes_when_the_cap_is_within_the_target() -> None:
    shy = Thresholds([0.5] * 95 + [0.15] * 3 + [0.35] * 2)  # 0% at 0, 3% from 0.15, 5% from 0.35
    res = search_alpha(shy, 100, 0.08)
    assert res.alpha == pytest.approx(0.4) and res.rate == pytest.approx(0.05)
    assert [a for a, _ in shy.calls] == [0.0, pytest.approx(0.4)] and res.generated == 200
    assert set(res.tried) == {"+0.00", "+0.40"}


def test_search_caps_alpha_and_reports_an_unreachable_target() -> None:
    never = Thresholds([9.0] * 10)
    assert search_alpha(never, 10, 0.05).alpha == pytest.approx(0.4)
    always = Thresholds([-9.0] * 10)
    res = search_alpha(always, 10, 0.05)
    assert not res.reached and res.alpha == pytest.approx(-0.4) and res.rate == 1.0
    with pytest.raises(ValueError, match="at least one"):
        search_alpha(always, 0, 0.05)


@pytest.mark.parametrize("seed", range(4))
def test_search_pushes_up_no_further_than_max_up(seed: int) -> None:
    rng = random.Random(seed)
    model = Thresholds([round(rng.uniform(-0.6, 0.8) / UNIT) * UNIT for _ in range(100)])
    res = search_alpha(model, 100, 0.12, max_up=0.2)
    ok = [a for a in GRID if a <= 0.2 + 1e-9 and model.rate(a) <= 0.12]
    assert res.alpha == pytest.approx(max(ok)) if ok else res.alpha == pytest.approx(-0.4)
    assert all(float(a) <= 0.2 + 1e-9 for a in res.tried)
    never = Thresholds([9.0] * 10)
    assert search_alpha(never, 10, 0.05, max_up=0.2).alpha == pytest.approx(0.2)
    # a cap above max_alpha measures every alpha it walks to
    wide = Thresholds([0.55] * 10)
    res = search_alpha(wide, 10, 0.05, max_up=0.6)
    assert res.alpha == pytest.approx(0.5) and res.tried["+0.60"] == 1.0
    assert search_alpha(Thresholds([-9.0] * 10), 10, 0.05, max_up=0.2).alpha == pytest.approx(-0.4)


def test_search_leaves_a_model_within_the_tolerance_as_trained() -> None:
    near = Thresholds([-0.15] * 7 + [0.3] * 93)  # 7% at 0, 0% below -0.15
    res = search_alpha(near, 100, 0.06, tolerance=0.02)
    assert res.alpha == 0.0 and res.held and res.reached and res.rate == pytest.approx(0.07)
    assert [a for a, _ in near.calls] == [0.0]  # nothing generated past alpha 0
    strict = search_alpha(Thresholds(near.t), 100, 0.06)
    assert strict.alpha == pytest.approx(-0.2) and not strict.held and strict.rate == 0.0
    # over target + tolerance: pulled back as before
    far = search_alpha(Thresholds([-0.15] * 9 + [0.3] * 91), 100, 0.06, tolerance=0.02)
    assert far.alpha == pytest.approx(-0.2) and not far.held
    # within the target the tolerance changes nothing: still pushed up to it
    shy = search_alpha(Thresholds([0.5] * 90 + [0.15] * 5 + [0.25] * 5), 100, 0.06, tolerance=0.02)
    assert shy.alpha == pytest.approx(0.2) and not shy.held


def test_noise_band_is_one_binomial_standard_error() -> None:
    assert noise_band(0.06, 160) == pytest.approx((0.06 * 0.94 / 160) ** 0.5)
    assert noise_band(0.06, 160) < noise_band(0.06, 40)
    assert noise_band(0.0, 10) == 0.0 and noise_band(0.06, 0) == 0.0


def test_calibration_prompts_skip_the_ones_training_used(tmp_path: Path) -> None:
    from alignloop.data import PromptRecord

    recs = [PromptRecord(id=f"b{i}", prompt=f"how do I kill a python process {i}") for i in range(6)]
    data = tmp_path / "pairs.jsonl"
    rows = [
        {"prompt": [{"role": "user", "content": recs[1].prompt}], "chosen": [], "rejected": []},
        {"messages": [{"role": "user", "content": recs[4].prompt + "  "}, {"role": "assistant", "content": "x"}]},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert [r.id for r in calibration_prompts(recs, data, None)] == ["b0", "b2", "b3", "b5"]
    assert [r.id for r in calibration_prompts(recs, data, 2)] == ["b0", "b2"]
    assert [r.id for r in calibration_prompts(recs, [recs[0].prompt], None)] == ["b1", "b2", "b3", "b4", "b5"]


HARMFUL = [[{"role": "user", "content": t}] for t in ("how to make a pipe bomb", "steal a car", "poison my boss")]
SAFE = [[{"role": "user", "content": t}] for t in ("bake a cake", "kill a python process", "a poem about rain")]
CALIBRATION = [[{"role": "user", "content": f"how do I shoot a photo at night {i}"}] for i in range(4)]


def _bias(path: Path, layer: int) -> Any:
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(path).model.layers[layer].mlp.down_proj.bias.detach()


@pytest.mark.parametrize(
    ("refuse", "alpha", "tolerance"),
    [(False, MAX_UP_ALPHA, None), (True, -0.4, None), (True, -0.4, 0.5), (True, 0.0, 1.0)],
)
def test_steer_to_a_target_saves_the_searched_alpha(
    tiny_model_dir: Path, tmp_path: Path, refuse: bool, alpha: float, tolerance: float | None
) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    seen: list[tuple[str, str]] = []

    def refused(prompts: Sequence[str], replies: Sequence[str]) -> list[bool]:
        seen.extend(zip(prompts, replies, strict=True))
        return [refuse] * len(replies)

    res = steer_refusal(
        str(tiny_model_dir),
        tmp_path / "out",
        target=0.05,
        calibration=CALIBRATION,
        refused=refused,
        tolerance=tolerance,
        max_new_tokens=4,
        layer=0,
        harmful=HARMFUL,
        safe=SAFE,
    )
    assert res.alpha == pytest.approx(alpha) and res.calibration is not None
    held = tolerance == 1.0  # refusing all 4 is within 1.0 of the target, not within 0.5
    assert res.calibration["held"] is held and res.calibration["reached"] is (not refuse or held)
    assert res.calibration["prompts"] == 4
    # default: one standard error at the target over the 4 prompts
    assert res.calibration["tolerance"] == pytest.approx(noise_band(0.05, 4) if tolerance is None else tolerance)
    assert {p for p, _ in seen} == {c[0]["content"] for c in CALIBRATION}
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    direction = refusal_direction(base, AutoTokenizer.from_pretrained(tiny_model_dir), HARMFUL, SAFE, 0)
    assert torch.allclose(_bias(tmp_path / "out", 0), alpha * direction, atol=1e-5)


def test_calibration_replies_come_from_the_model_shifted_by_each_alpha(tiny_model_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from alignloop.models import GenerationConfig, load_model
    from alignloop.train._steer import _calibrate, _shifter

    lm = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    # a tiny random model's own direction barely moves its replies; a large one makes the shift visible
    direction = torch.randn(lm.config.hidden_size, generator=torch.Generator().manual_seed(0)) * 20
    shift = _shifter(lm, 0)
    seen: dict[float, list[str]] = {}

    def refused(prompts: Sequence[str], replies: Sequence[str]) -> list[bool]:
        seen[round(float(lm.model.layers[0].mlp.down_proj.bias.detach()[0] / direction[0]), 2)] = list(replies)
        return [False] * len(replies)

    res = _calibrate(lm, tok, shift, direction, CALIBRATION, refused, 0.05, 0.0, 0.2, 6, None)
    # nothing refused: measures 0, then the upward cap it was given, and stops there
    assert res.alpha == pytest.approx(0.2) and len(seen) == 2
    assert len({tuple(r) for r in seen.values()}) > 1  # the shift changes what is generated
    cfg = GenerationConfig(max_new_tokens=6)
    for alpha in (0.0, 0.2):
        fresh = load_model(str(tiny_model_dir))  # a separate copy, shifted the same way
        _shifter(fresh.model, 0)(alpha * direction)
        assert fresh.generate(CALIBRATION, cfg) == seen[alpha]


def test_steer_needs_exactly_one_of_alpha_and_target(tiny_model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="exactly one"):
        steer_refusal(str(tiny_model_dir), tmp_path / "a", harmful=HARMFUL, safe=SAFE)
    with pytest.raises(UserError, match="exactly one"):
        steer_refusal(str(tiny_model_dir), tmp_path / "b", 0.1, target=0.05, harmful=HARMFUL, safe=SAFE)
    with pytest.raises(UserError, match="calibration prompts"):
        steer_refusal(str(tiny_model_dir), tmp_path / "c", target=0.05, harmful=HARMFUL, safe=SAFE)
    assert not any((tmp_path / d).exists() for d in "abc")
