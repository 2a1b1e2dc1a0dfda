"""Sizes of a loop run: ``default`` (<= 20 min on 2 CPU cores; ``default-gpu`` on CUDA), ``quick``, ``--limit``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from alignloop.train._calibrate import CALIBRATION_PROMPTS
from alignloop.train._recipe import BORDER_SHARE


@dataclass(frozen=True)
class Preset:
    """How much of each stage to run."""

    name: str
    eval_limit: int | None
    """Items per eval suite (dev split)."""
    eval_suites: tuple[str, ...]
    eval_tokens: int
    redteam_budget: int
    data_limit: int | None
    """Harmful and helpful train prompts each."""
    data_tokens: int
    epochs: float
    max_steps: int
    batch_size: int
    learning_rate: float
    """LoRA rate for models under ``SMALL_MODEL_PARAMS``; larger models train at ``LARGE_MODEL_LR``."""
    max_length: int
    border_share: float = BORDER_SHARE
    """Share of borderline-safe prompts among the helpful train prompts (the rest are ordinary ones)."""
    sft_weight: float = 1.0
    """Weight of DPO's NLL term on ``chosen``: with 1.0 the refusal itself is learned, not only the contrast."""
    merge_scale: float = 1.0
    """The LoRA update's multiplier in the merged model (``TrainSettings.merge_scale``)."""
    rl_steps: int = 0
    """GRPO steps after DPO, rewarded by the guard (0: no online RL stage)."""
    steer_target: float | None = None
    """Over-refusal, on held-out borderline train prompts, the trained model is steered to (``train/_steer``).
    None: ``STEER_GATE_SHARE`` of the constitution's over-refusal gate; 0: no steering stage."""
    steer_prompts: int = CALIBRATION_PROMPTS
    """Held-out borderline train prompts the steering target is measured on."""
    steer_tokens: int = 24
    """Reply tokens generated per calibration prompt (a refusal shows in its opening words)."""
    steer_direction_prompts: int = 100
    """Harmful train prompts (and as many safe ones) that define the refusal direction."""
    rl_learning_rate: float = 3e-4
    """GRPO's LoRA rate under ``SMALL_MODEL_PARAMS`` (larger models: TRL-scale ``GRPO_LORA_LR``). On
    SmolLM2-135M, 1e-4 left the model unchanged after 60 steps and 1e-3 drifted into off-topic personas."""

    def to_dict(self) -> dict[str, Any]:
        """For state.json and the run record."""
        return asdict(self)


STEER_GATE_SHARE = 0.6
"""Default steering target as a share of ``release_gates.max_over_refusal`` (6% for the default
constitution's 10%): the margin covers the difference between calibration and eval prompts."""
SMALL_MODEL_PARAMS = 1_000_000_000
LARGE_MODEL_LR = 2e-4
"""LoRA rate for models of 1B parameters and more, where the small-model rate would diverge."""

_SUITES = ("harmful_compliance", "over_refusal", "helpfulness")

PRESETS = {
    # sized for a 2-core CPU: ~340 pairs x 1 epoch of DPO is over half of it. 180 harmful prompts (15 per
    # category). With generation chunks of 32 the loop took 16m32s (with 16: 19m05s and 20m58s for
    # identical work, so these machines vary by ~10%).
    # lr 2e-3 with batch 4: on SmolLM2-135M + LoRA r=16, 1e-3 / 5e-4 left most harmful prompts answered.
    # merge_scale 1.5: the merged model takes 1.5x the LoRA update. With label-balanced batches, four
    # seeds gave 0.114 less harmful compliance on average at 1.5x than as trained, for 1.3 points more
    # over-refusal (means 0.242 / 8.1%); at 2x one seed jumped to 22% (dev, n=130; docs/design.md).
    "default": Preset("default", eval_limit=40, eval_suites=_SUITES, eval_tokens=48, redteam_budget=32,
                      data_limit=180, data_tokens=48, epochs=1.0, max_steps=-1, batch_size=4,
                      learning_rate=2e-3, max_length=128, merge_scale=1.5),
    # quick calibrates on 64 prompts: with 32 one refusal is 3.1 points, and two of them (6.2%) sent a
    # smoke model to alpha -0.4 chasing a 6% target; 96 cost 102 s when a barely trained model (0%
    # over-refusal) walked up to +0.4, a third of the smoke run
    "quick": Preset("quick", eval_limit=12, eval_suites=_SUITES, eval_tokens=48, redteam_budget=8,
                    data_limit=24, data_tokens=40, epochs=2.0, max_steps=-1, batch_size=4,
                    learning_rate=2e-3, max_length=128, steer_prompts=64, steer_tokens=16,
                    steer_direction_prompts=40),
}


def preset(
    quick: bool,
    limit: int | None = None,
    *,
    device: str = "cpu",
    data_limit: int | None = None,
    rl_steps: int | None = None,
    steer_target: float | None = None,
    border_share: float | None = None,
) -> Preset:
    """The preset for the flags and the machine.

    ``limit`` shrinks every stage to about ``limit`` items (smoke runs). On a CUDA device the default
    preset trains on every train prompt and evaluates every dev item (``default-gpu``): a linear probe
    on SmolLM2-135M separates harmful from borderline prompts at 95% with all 1,168 train prompts
    against 87% with the CPU preset's 180 per side (``benchmarks/refusal_ceiling.py``); trained
    on all of them on CPU (44 min), DPO kept refusal and cut over-refusal from 8-14% to 2.3%; on one H100 the whole
    ``default-gpu`` loop took about 7.5 minutes. ``data_limit`` overrides the prompts per side (0: all of them);
    ``rl_steps`` adds that many GRPO steps after DPO; ``steer_target`` sets the over-refusal the
    steering stage aims at (0 turns it off); ``border_share`` sets the share of borderline-safe
    prompts on the helpful side (the rest are ordinary ones).
    """
    p = PRESETS["quick" if quick else "default"]
    if limit is None and not quick and device == "cuda":
        # 192 keeps the long-context and multi-turn harmful prompts that 128 drops (~5% of pairs); on
        # CPU that cost 22% more DPO time per pair for no measurable gain; on a GPU it is noise
        # merge_scale was measured on the CPU preset only; on all prompts the trained model is used as is
        # steering is calibrated on borderline train prompts the model did not train on, and here it trains on all
        p = replace(
            p, name="default-gpu", eval_limit=None, data_limit=None, max_length=192, merge_scale=1.0, steer_target=0.0
        )
    if limit is not None:
        p = replace(
            p,
            name=f"{p.name}-limit{limit}",
            eval_limit=limit,
            redteam_budget=limit,
            data_limit=limit,
            eval_tokens=min(p.eval_tokens, 32),
            data_tokens=min(p.data_tokens, 32),
            epochs=1.0,
            max_steps=max(2, limit // 4),
            steer_prompts=limit,
            steer_tokens=min(p.steer_tokens, 16),
            steer_direction_prompts=limit,
        )
    if data_limit is not None:
        p = replace(p, name=f"{p.name}-data{data_limit or 'all'}", data_limit=data_limit or None)
    if rl_steps:
        p = replace(p, name=f"{p.name}-rl{rl_steps}", rl_steps=rl_steps)
    if steer_target is not None:
        p = replace(p, name=f"{p.name}-steer{steer_target:g}", steer_target=steer_target)
    if border_share is not None:
        p = replace(p, name=f"{p.name}-border{border_share:g}", border_share=border_share)
    return p
