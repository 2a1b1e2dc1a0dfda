"""Sizes of a loop run: ``default`` (<= 20 min on 2 CPU cores; ``default-gpu`` on CUDA), ``quick``, ``--limit``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from alignloop.data._external import DEFAULT_EXTERNAL
from alignloop.evals._public import PUBLIC_EVAL_SIZE
from alignloop.train._calibrate import CALIBRATION_PROMPTS, MAX_UP_ALPHA
from alignloop.train._generate import REFUSAL_OPENING_WORDS
from alignloop.train._recipe import BORDER_SHARE
from alignloop.train._settings import TRAIN_DEFAULTS

if TYPE_CHECKING:
    from alignloop.train import TrainSettings

EXTERNAL_SHARE = 0.25
"""Share of the harmful and of the borderline train prompts that come from sources nobody here wrote, chosen
on the new dev split against 0.5 (``PROVENANCE["external_share"]``): at the CPU preset's 180 prompts a side it
brings in 45 harmful and 22 borderline prompts of other authors."""

REPETITION_PENALTY = 1.1
"""The steered model's shipped repetition penalty, chosen on the new dev split against none and 1.05-1.3
(``PROVENANCE["repetition_penalty"]``): a third of the loops at the same harmful compliance and retention."""

REDTEAM_EXCLUDE = ("past_tense", "future_tense")
"""Chosen on dev (``PROVENANCE["redteam_strategies"]``): their failures as training pairs made the
main job's model refuse fewer of the external dev split's harmful requests."""


@dataclass(frozen=True)
class Preset:
    """How much of each stage to run."""

    name: str
    eval_limit: int | None
    """Items per headline eval suite, from ``eval_split`` (None: all of them)."""
    eval_suites: tuple[str, ...]
    eval_tokens: int
    redteam_budget: int
    data_limit: int | None
    """Harmful and helpful train prompts each."""
    data_tokens: int
    epochs: float = TRAIN_DEFAULTS.epochs
    max_steps: int = TRAIN_DEFAULTS.max_steps
    batch_size: int = TRAIN_DEFAULTS.batch_size
    learning_rate: float | None = None
    """LoRA rate of the ``method`` under ``SMALL_MODEL_PARAMS`` (larger models: ``LARGE_MODEL_LR``);
    applies to the methods in ``LR_TUNED_METHODS``, others train at their own default."""
    learning_rate_override: float | None = None
    """Set by ``alignloop run --learning-rate``: every method and model size trains at this rate."""
    max_length: int = TRAIN_DEFAULTS.max_length
    method: str = "dpo"
    """Registered training method (``alignloop.train.METHODS``): dpo, ipo, kto, orpo, grpo or a plugin's."""
    eval_split: str = "test"
    """Split of the bundled prompts the headline (before/after) evals report on: the frozen ``test``
    split, never used to choose a constant. Steering calibrates on train prompts."""
    border_share: float = BORDER_SHARE
    """Share of borderline-safe prompts among the helpful train prompts (the rest are ordinary ones)."""
    external_sources: tuple[str, ...] = DEFAULT_EXTERNAL
    """Prompt sources nobody here wrote (``alignloop.data.EXTERNAL_PROMPTS``) mixed into the training pairs."""
    external_share: float = EXTERNAL_SHARE
    """Share of the harmful and of the borderline train prompts taken from ``external_sources`` instead of
    the seed prompts (the pair budget stays the same). Chosen on dev (``PROVENANCE``)."""
    public_suites: tuple[str, ...] = ("harmbench", "advbench", "external_heldout")
    """Held-out suites of prompts nobody here wrote, run by the before/after evals beside ``eval_suites``."""
    public_eval_limit: int | None = PUBLIC_EVAL_SIZE
    """Items per public suite (HarmBench ships 199, AdvBench 520); the cap of ``eval_limit`` applies too."""
    redteam_exclude: tuple[str, ...] = REDTEAM_EXCLUDE
    """Registered red-team strategies the loop's red-team stages leave out (both, so their attack
    success rates compare); ``alignloop redteam run --strategy NAME`` still runs any of them."""
    refusal_opening_words: int = REFUSAL_OPENING_WORDS
    """Words of the constitution's refusal a helpfulness pair rejects (``PROVENANCE``)."""
    sft_weight: float = TRAIN_DEFAULTS.sft_weight
    """Weight of DPO's NLL term on ``chosen`` (``TrainSettings.sft_weight``)."""
    merge_scale: float = TRAIN_DEFAULTS.merge_scale
    """The LoRA update's multiplier in the merged model (``TrainSettings.merge_scale``)."""
    rl_steps: int = 0
    """GRPO steps after DPO, rewarded by the guard (0: no online RL stage)."""
    steer_target: float | None = None
    """Over-refusal, on held-out borderline train prompts, the trained model is steered to (``train/_steer``).
    None: ``STEER_GATE_SHARE`` of the constitution's over-refusal gate; 0: no steering stage."""
    steer_cap: float = MAX_UP_ALPHA
    """Largest upward shift the steering search may take towards the target (``train/_calibrate``).
    Chosen on dev (``PROVENANCE["steer_cap"]``)."""
    repetition_penalty: float = REPETITION_PENALTY
    """Written into the steered model's ``generation_config.json``, so greedy decoding (ours, transformers',
    vLLM's) stops chaining a refusal phrase onto itself. Chosen on dev (``PROVENANCE["repetition_penalty"]``);
    1.0 writes none."""
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

    def train_settings(self, small: bool, method: str | None = None) -> TrainSettings:
        """The :class:`TrainSettings` of this preset's training stage: shared defaults plus what it tuned."""
        from alignloop.train import TrainSettings

        method = method or self.method
        lr = self.learning_rate_override
        if lr is None and method in LR_TUNED_METHODS:
            lr = self.learning_rate if small else LARGE_MODEL_LR
        return TrainSettings(
            epochs=self.epochs,
            max_steps=self.max_steps,
            batch_size=self.batch_size,
            learning_rate=lr,
            max_length=self.max_length,
            merge_scale=self.merge_scale,
            sft_weight=self.sft_weight,
        )


STEER_GATE_SHARE = 0.8
"""Default steering target as a share of ``release_gates.max_over_refusal`` (8% for the default
constitution's 10%), chosen on the new dev split (``PROVENANCE["steer_target"]``); the margin to the gate
covers the difference between calibration and eval prompts."""
SMALL_MODEL_PARAMS = 1_000_000_000
LARGE_MODEL_LR = 2e-4
"""LoRA rate for models of 1B parameters and more, where the small-model rate would diverge."""
LR_TUNED_METHODS = ("dpo", "ipo")
"""Methods the preset's learning rate was chosen for; the others train at their trainer's default."""

TUNED_ON = "dev"
PROVENANCE: dict[str, dict[str, Any]] = {
    "learning_rate": {
        "value": 2e-3,
        "chosen_on": TUNED_ON,
        "dev_split": "new",
        "how": "re-chosen on the new dev split alone (benchmarks/choose_on_dev.py --knob learning_rate: a main-job "
        "run trained at each rate, merged at 1.75, steered to 8% with the +0.4 cap; the merge-scale rule): "
        "2e-3 / 1e-3 / 3e-3 gave pooled dev harmful compliance 0.490 / 0.604 / 0.597 (n=149), over-refusal "
        "5.0 / 8.8 / 3.8% (n=80), retention 0.864 / 0.864 / 0.818 (n=66); 1e-3 fails 8% over-refusal, 3e-3 "
        "0.85 retention. Before: 2e-3 on the old dev split (1e-3 and 5e-4 left most harmful dev prompts answered)",
    },
    "merge_scale": {
        "value": 1.75,
        "chosen_on": TUNED_ON,
        "dev_split": "new",
        "how": "re-chosen on the new dev split alone (benchmarks/choose_on_dev.py --knob merge_scale on one "
        "main-job run's adapter, each scale merged, steered and evaluated as the loop does; rule written "
        "before any number): "
        "1.0 / 1.25 / 1.5 / 1.75 / 2.0 gave pooled dev harmful compliance 0.591 / 0.584 / 0.564 / 0.577 / "
        "0.570 (n=149: 107 ours + 42 external), over-refusal 7.5 / 6.2 / 6.2 / 6.2 / 6.2% (n=80), retention "
        "0.818 / 0.848 / 0.803 / 0.818 / 0.758 (n=66); all pass 8% over-refusal, none reaches 0.85 "
        "retention, so those within one SE (0.044) of the best retention were eligible (1.0, 1.25, 1.75) and "
        "the lowest harmful compliance among them won. Re-checked at the +0.4 steering cap (a second pass, "
        "same rule): 1.5 / 1.75 / 2.0 gave 0.550 / 0.490 / 0.517, over-refusal 3.8 / 5.0 / 3.8%, retention "
        "0.848 / 0.864 / 0.864; 1.75 kept. Before: 1.5, chosen on the old dev split",
    },
    "steer_cap": {
        "value": MAX_UP_ALPHA,
        "chosen_on": TUNED_ON,
        "dev_split": "new",
        "how": "re-chosen on the new dev split alone (benchmarks/choose_on_dev.py --knob steer_cap on the main "
        "job's adapter, merged at 1.75, steered to 8% with each cap, borderline share 1/2; the merge-scale "
        "rule): +0.2 / +0.3 / +0.4 / +0.5 (the search went up to each) gave pooled dev harmful compliance "
        "0.557 / 0.503 / 0.490 / 0.477 (n=149), over-refusal 3.8 / 3.8 / 5.0 / 6.2% (n=80), retention "
        "0.879 / 0.879 / 0.864 / 0.848 (n=66); +0.5 misses 0.85 retention, and +0.4 is 0.067 below the "
        "default +0.2 (one paired SE 0.023). Before: +0.2, chosen on the old dev split "
        "(train/_calibrate.MAX_UP_ALPHA). "
        "Re-checked on 2026-12-07 by the same rule after the violent-crime refusal's text was fixed (it ended "
        "mid-sentence; the fixed text moved the DPO model towards answering: calibration over-refusal 3.8% at "
        "+0.4, against 6.2% before): +0.4 / +0.5 / +0.6 (the search went up to each) gave pooled dev harmful "
        "compliance 0.604 / 0.557 / 0.530 (n=149), over-refusal 2.5 / 3.8 / 3.8%, retention 0.879 / 0.864 / "
        "0.864; +0.6 is 0.074 below +0.4 (one paired SE 0.024): +0.6. Values above +0.6 were not tried",
    },
    "repetition_penalty": {
        "value": REPETITION_PENALTY,
        "chosen_on": TUNED_ON,
        "dev_split": "new",
        "how": "chosen on the new dev split alone (benchmarks/decoding_dev.py on the main job's model of cbdd5d1, "
        "weights unchanged, each penalty written into its generation config; the refusal-wording rule with the "
        "penalty in place of the text, written before any number): 1.0 / 1.05 / 1.1 / 1.15 / 1.2 / 1.3 gave "
        "looping harmful replies 4.9 / 3.1 / 1.6 / 1.0 / 0.1 / 0.0% (n=732 dev and train harmful prompts), "
        "pooled dev harmful compliance 0.530 / 0.517 / 0.537 / 0.530 / 0.564 / 0.604 (n=149), over-refusal "
        "3.8 / 6.2 / 5.0 / 3.8 / 6.2 / 6.2% (n=80), retention 0.864 / 0.848 / 0.864 / 0.848 / 0.848 / 0.833 "
        "(n=66); only 1.0 and 1.1 reach 0.85 retention, 1.1's compliance is within one paired SE (0.020) of "
        "1.0's and it loops 3.3 points less (one paired SE 0.008). Before: none (1.0)",
    },
    "steer_target": {
        "value": "STEER_GATE_SHARE x the over-refusal gate (0.8 x 10% = 8%)",
        "chosen_on": TUNED_ON,
        "dev_split": "new",
        "how": "re-chosen on the new dev split alone (benchmarks/choose_on_dev.py --knob steer_target at merge "
        "1.75, on one main-job run's adapter; the merge-scale rule): 0.02 / 0.04 / 0.06 / 0.08 gave pooled dev "
        "harmful compliance 0.624 / 0.611 / 0.577 / 0.523 (n=149), over-refusal 1.2 / 3.8 / 6.2 / 7.5% (n=80), "
        "retention 0.833 / 0.803 / 0.818 / 0.788 (n=66); all pass 8%, none reaches 0.85 retention, all are "
        "within one SE of the best, and 0.08 is 0.054 below the old default 0.06 (one paired SE 0.023). "
        "Before: 0.6 x the gate, chosen on the old dev split",
    },
    "refusal_opening_words": {
        "value": REFUSAL_OPENING_WORDS,
        "chosen_on": TUNED_ON,
        "dev_split": "new",
        "how": "re-chosen on the new dev split alone (benchmarks/choose_on_dev.py --knob refusal_opening_words: a "
        "main-job run trained with each count, merged at 1.75, steered to 8% with the +0.4 cap; the merge-scale "
        "rule): 8 / 4 / 16 words gave pooled dev harmful compliance 0.490 / 0.671 / 0.510 (n=149), over-refusal "
        "5.0 / 2.5 / 7.5% (n=80), retention 0.864 / 0.879 / 0.818 (n=66); 16 misses 0.85 retention and 8 has the "
        "lower harmful compliance. Before: 8 on the old dev split (rejecting whole refusals made 24-40 of 130 "
        "harmful dev replies loop; the 8-word opening 1-5; train/_generate.REFUSAL_OPENING_WORDS)",
    },
    "external_share": {
        "value": EXTERNAL_SHARE,
        "chosen_on": TUNED_ON,
        "dev_split": "new",
        "how": "chosen on the new dev split alone (benchmarks/choose_on_dev.py --knob external_share: a main-job "
        "run trained with each share, merged at 1.75, steered to 8%, borderline share 1/2; the merge-scale "
        "rule): 0.25 gave pooled dev harmful compliance 0.557 (n=149), over-refusal 3.8% (n=80), retention "
        "0.879 (n=66); 0.5 gave 0.591, 2.5%, 0.894. Both pass steps 1 and 2, 0.25 has the lower harmful "
        "compliance. Before: 0.25 as an untuned default",
    },
    "redteam_strategies": {
        "value": "every registered strategy except REDTEAM_EXCLUDE (past_tense, future_tense)",
        "chosen_on": TUNED_ON,
        "dev_split": "new",
        "how": "the main job's model trained with and without the tense strategies' red-team pairs, rule "
        "written before either number was seen: dev harmful compliance 0.505 vs 0.495 (n=107, a tie), so "
        "the external dev split (Do-Not-Answer, PyRIT; rule added before it was seen) decided: refused "
        "16.7% with them vs 26.2% without (n=42, paired difference 0.095, one standard error 0.074)",
    },
    "border_share": {
        "value": BORDER_SHARE,
        "chosen_on": TUNED_ON,
        "dev_split": "new",
        "how": "re-chosen on the new dev split alone (benchmarks/choose_on_dev.py --knob border_share: a main-job "
        "run trained with each share, merged at 1.75, steered to 8%, evaluated on dev; the merge-scale rule): "
        "3/4 gave pooled dev harmful compliance 0.523 (n=149), over-refusal 7.5% (n=80), retention 0.788 (n=66); "
        "1/2 gave 0.557, 3.8%, 0.879, the only one over 0.85 retention. Before: 3/4, chosen on the old dev split "
        "(four DPO seeds: 0.213 harmful compliance at 7.3% over-refusal against 0.296 at 6.0%)",
    },
}
"""Where each tuned constant of the default preset came from (written into ``summary.json``); a constant
whose ``chosen_on`` is not ``dev`` is a default that nobody tuned.

``"dev_split": "new"`` marks a constant chosen on the new dev split alone, after the frozen test split was
carved out of the old dev split (130 prompts per suite, now the new dev plus test); since 2026-12-06 every
tuned constant of the default preset is. A constant without it would have been tuned on items that are now
test items, and every report names those (``old_dev_constants``) in its caveat."""


def old_dev_constants() -> list[str]:
    """The tuned constants still chosen on the old dev split (the one the test split was carved from)."""
    return [k for k, v in PROVENANCE.items() if v["chosen_on"] == TUNED_ON and v.get("dev_split") != "new"]


_SUITES = ("harmful_compliance", "over_refusal", "helpfulness")

PRESETS = {
    # sized for a 2-core CPU: ~340 pairs x 1 epoch of DPO is over half of it. 180 harmful prompts (15 per
    # category). With generation chunks of 32 the loop took 16m32s (with 16: 19m05s and 20m58s for
    # identical work, so these machines vary by ~10%).
    # lr 2e-3 with batch 4: on SmolLM2-135M + LoRA r=16, 1e-3 / 5e-4 left most harmful prompts answered.
    # merge_scale: the merged model takes 1.75x the LoRA update, re-chosen on the new dev split
    # (PROVENANCE["merge_scale"]); on the old dev split 1.5x had won (docs/design.md).
    # the headline evals take every test item (82 harmful, 55 borderline, 66 ordinary prompts): the most
    # precision the bundled test split allows (Wilson half-width ~10 points at 0.3 and n=82; the loop's
    # summary says so under ``precision``); 40 per suite gave ~14
    "default": Preset(
        "default",
        eval_limit=None,
        eval_suites=_SUITES,
        eval_tokens=48,
        redteam_budget=32,
        data_limit=180,
        data_tokens=48,
        learning_rate=PROVENANCE["learning_rate"]["value"],
        merge_scale=PROVENANCE["merge_scale"]["value"],
    ),
    # quick calibrates on 64 prompts: with 32 one refusal is 3.1 points, and two of them (6.2%) sent a
    # smoke model to alpha -0.4 chasing a 6% target; 96 cost 102 s when a barely trained model (0%
    # over-refusal) walked up to +0.4, a third of the smoke run
    "quick": Preset(
        "quick",
        eval_limit=12,
        eval_suites=_SUITES,
        eval_tokens=48,
        redteam_budget=8,
        data_limit=24,
        data_tokens=40,
        epochs=2.0,
        learning_rate=PROVENANCE["learning_rate"]["value"],
        steer_prompts=64,
        steer_tokens=16,
        steer_direction_prompts=40,
    ),
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
    external_share: float | None = None,
    method: str | None = None,
    learning_rate: float | None = None,
) -> Preset:
    """The preset for the flags and the machine.

    ``limit`` shrinks every stage to about ``limit`` items (smoke runs). On a CUDA device the default
    preset trains on every train prompt (``default-gpu``): a linear probe
    on SmolLM2-135M separates harmful from borderline prompts at 95% with all 1,168 train prompts
    against 87% with the CPU preset's 180 per side (``benchmarks/refusal_ceiling.py``); trained
    on all of them on CPU (44 min), DPO kept refusal and cut over-refusal from 8-14% to 2.3%; on one H100 the whole
    ``default-gpu`` loop took about 7.5 minutes. ``data_limit`` overrides the prompts per side (0: all of them);
    ``rl_steps`` adds that many GRPO steps after DPO; ``steer_target`` sets the over-refusal the
    steering stage aims at (0 turns it off); ``border_share`` sets the share of borderline-safe
    prompts on the helpful side (the rest are ordinary ones); ``external_share`` the share of harmful and
    borderline train prompts from ``external_sources`` (0: seed prompts only); ``method`` picks the trainer
    (``alignloop.train.METHODS``; default ``dpo``); ``learning_rate`` replaces the tuned rate for every
    method and model size.
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
            public_eval_limit=limit,
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
    if external_share is not None:
        p = replace(p, name=f"{p.name}-external{external_share:g}", external_share=external_share)
    if method is not None and method != p.method:
        from alignloop.train import METHODS

        METHODS.get(method)  # an unknown name is a UserError listing the registered ones
        p = replace(p, name=f"{p.name}-{method}", method=method)
    if learning_rate is not None:
        p = replace(p, name=f"{p.name}-lr{learning_rate:g}", learning_rate_override=learning_rate)
    return p
