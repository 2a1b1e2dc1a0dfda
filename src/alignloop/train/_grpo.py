"""Online RL through TRL's GRPOTrainer, rewarded by the judge/guard and optionally a reward model."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from alignloop.guard._loops import is_degenerate
from alignloop.guard._verdict import Judge, KeywordJudge
from alignloop.train._prepare import Rows, prompt_rows
from alignloop.train._run import TrainResult
from alignloop.train._settings import TrainSettings
from alignloop.train._setup import TrainerSetup

GRPO_LORA_LR = 1e-4
"""Default LoRA rate of `train grpo`; the loop trains models under 1B parameters at 3e-4 (`Preset.rl_learning_rate`)."""


def _text(x: Any) -> str:
    if isinstance(x, str):
        return x
    return str(x[-1]["content"]) if x else ""


class ConstitutionReward:
    """Reward from the judge: +1 for refusing a harmful request or answering a safe one, -1 otherwise.

    A plain callable over completions (TRL's reward-function interface). With label probabilities the
    reward is graded: ``2 P(refusal) - 1`` on harmful prompts and ``2 P(compliance) - 1`` on the rest, so
    a partial refusal earns nothing either way (``alignloop.guard._verdict``'s partial rule); the unsafe
    probability is subtracted. Degenerate replies (empty, loops) get -1 whatever the label.
    """

    __name__ = "constitution"

    def __init__(self, judge: Judge | None = None) -> None:
        self.judge = judge or KeywordJudge()

    def __call__(
        self, prompts: Sequence[Any], completions: Sequence[Any], label: Sequence[str] | None = None, **_: Any
    ) -> list[float]:
        texts = [_text(c) for c in completions]
        ptexts = [_text(p) for p in prompts]
        verdicts = self.judge.judge(ptexts, texts)
        labels = list(label) if label is not None else ["benign"] * len(texts)
        out = []
        for t, v, lab in zip(texts, verdicts, labels, strict=True):
            if is_degenerate(t):
                out.append(-1.0)
            else:
                good = v.prob("refusal") if lab == "harmful" else v.prob("compliance")
                out.append(2.0 * good - 1.0 - v.unsafe)
        return out


RELEVANCE_FLOOR = 0.25
"""Prompt-answer cosine (MiniLM) below which an answer counts as off-topic. On the embedded model's own
answers to benign prompts the 5th percentile is 0.37; answers to other prompts have a median of 0.01
and a 95th percentile of 0.15."""


class RelevanceReward:
    """Penalty for answers that do not address the prompt: 0 on topic, down to -1 with no relation.

    Refusals are exempt (the constitution reward scores them). Without it, GRPO from a model that
    never samples refusals learned off-topic personas ("I'm a 21st-century art historian..."): the
    constitution reward scores them like real answers to benign prompts and above harmful ones.
    Needs a judge with ``relevance`` (the guard judge).
    """

    __name__ = "relevance"

    def __init__(self, judge: Any, floor: float = RELEVANCE_FLOOR) -> None:
        self.judge, self.floor = judge, floor

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **_: Any) -> list[float]:
        texts = [_text(c) for c in completions]
        ptexts = [_text(p) for p in prompts]
        refusal = [v.prob("refusal") for v in self.judge.judge(ptexts, texts)]
        cos = self.judge.relevance(ptexts, texts)
        return [0.0 if r >= 0.5 else -max(0.0, self.floor - c) / self.floor for r, c in zip(refusal, cos, strict=True)]


def train_grpo(
    model: str,
    prompts: Rows,
    output_dir: str | os.PathLike[str],
    settings: TrainSettings | None = None,
    *,
    judge: Judge | None = None,
    reward_model: str | os.PathLike[str] | None = None,
    num_generations: int = 4,
    max_completion_length: int = 48,
    merge: bool = True,
    progress_factory: Callable[[int], Any] | None = None,
) -> TrainResult:
    """GRPO on PromptRecord rows (with ``label``), rewards from the judge and an optional reward model.

    Rewards (summed): :class:`ConstitutionReward`; :class:`RelevanceReward` when the judge can embed
    (the guard judge); the reward model's score when ``reward_model`` is given.
    """
    from trl import GRPOConfig, GRPOTrainer

    run = TrainerSetup.load(model, output_dir, settings, merge=merge, progress_factory=progress_factory)
    s = run.settings
    rows, dropped = prompt_rows(prompts, run.tokenizer, s.max_length - max_completion_length + 16)
    rewards: list[Any] = [ConstitutionReward(judge)]
    if hasattr(judge, "relevance"):
        rewards.append(RelevanceReward(judge))
    if reward_model is not None:
        from alignloop.train._reward import RewardModelScorer

        rewards.append(RewardModelScorer(reward_model))
    kw = run.config_args(GRPO_LORA_LR)
    # GRPO needs the batch to hold whole groups of generations
    kw["per_device_train_batch_size"] = max(num_generations, s.batch_size - s.batch_size % num_generations)
    cfg = GRPOConfig(**kw, num_generations=num_generations, max_completion_length=max_completion_length)
    return run.fit(GRPOTrainer, "grpo", cfg, rows, dropped, reward_funcs=rewards)
