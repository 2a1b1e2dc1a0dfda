"""Bradley-Terry reward model through TRL's RewardTrainer, with pairwise accuracy on held-out pairs."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from alignloop._util.hashing import sha256_text
from alignloop.train._common import load_causal_lm, load_tokenizer, lora_config
from alignloop.train._prepare import Rows, preference_rows
from alignloop.train._run import TrainResult
from alignloop.train._settings import TrainSettings
from alignloop.train._setup import TrainerSetup

RM_LORA_LR = 1e-3
RM_FULL_LR = 1e-5


def _held_out(row: dict[str, Any], fraction: float) -> bool:
    key = repr(row["prompt"]) + row["chosen"][-1]["content"]
    return int(sha256_text(key)[:8], 16) % 1000 < fraction * 1000


def score_texts(
    model: Any, tokenizer: Any, conversations: Sequence[list[dict[str, str]]], batch: int = 16
) -> list[float]:
    """Reward of each full conversation (prompt + assistant reply) under a sequence-classifier RM."""
    import torch

    texts = [tokenizer.apply_chat_template(c, tokenize=False) for c in conversations]
    out: list[float] = []
    side = tokenizer.padding_side
    tokenizer.padding_side = "right"
    try:
        model.eval()
        for i in range(0, len(texts), batch):
            enc = tokenizer(texts[i : i + batch], return_tensors="pt", padding=True, truncation=True, max_length=512)
            enc = {k: v.to(next(model.parameters()).device) for k, v in enc.items()}
            with torch.inference_mode():
                out += model(**enc).logits[:, 0].float().tolist()
    finally:
        tokenizer.padding_side = side
    return out


def pairwise_accuracy(model: Any, tokenizer: Any, rows: Sequence[dict[str, Any]]) -> float:
    """Share of pairs where the RM scores ``chosen`` above ``rejected``."""
    if not rows:
        return float("nan")
    ch = score_texts(model, tokenizer, [r["prompt"] + r["chosen"] for r in rows])
    rj = score_texts(model, tokenizer, [r["prompt"] + r["rejected"] for r in rows])
    return sum(c > r for c, r in zip(ch, rj, strict=True)) / len(rows)


def train_reward_model(
    model: str,
    data: Rows,
    output_dir: str | os.PathLike[str],
    settings: TrainSettings | None = None,
    *,
    eval_fraction: float = 0.1,
    merge: bool = True,
    progress_factory: Callable[[int], Any] | None = None,
) -> TrainResult:
    """Train a Bradley-Terry reward model; ``metrics`` holds ``pairwise_accuracy`` on held-out pairs.

    The held-out ``eval_fraction`` is chosen by a hash of each pair (stable across runs).
    """
    from trl import RewardConfig, RewardTrainer

    from alignloop.data import to_hf_dataset

    run = TrainerSetup.load(model, output_dir, settings, merge=merge, progress_factory=progress_factory)
    s, tok = run.settings, run.tokenizer
    rows, dropped = preference_rows(data, tok, s.max_length, cut_flags=False)
    held = [r for r in rows if _held_out(r, eval_fraction)]
    train = [r for r in rows if not _held_out(r, eval_fraction)] or rows
    net = load_causal_lm(run.model_path, kind="reward")
    if net.config.pad_token_id is None:
        net.config.pad_token_id = tok.pad_token_id
    cfg = RewardConfig(**run.config_args(RM_LORA_LR, RM_FULL_LR), max_length=s.max_length)
    trainer = RewardTrainer(
        model=net,
        args=cfg,
        train_dataset=to_hf_dataset(train),
        processing_class=tok,
        peft_config=lora_config(s, task_type="SEQ_CLS"),
    )

    def _acc(tr: Any) -> dict[str, float]:
        return {
            "pairwise_accuracy": pairwise_accuracy(tr.model, tok, held),
            "held_out_pairs": float(len(held)),
        }

    return run.run(trainer, "reward", rows=len(train), dropped=dropped, extra_metrics=_acc)


class RewardModelScorer:
    """A saved reward model as a TRL reward function: ``(prompts, completions) -> list[float]``."""

    def __init__(self, model_dir: str | os.PathLike[str]) -> None:
        from transformers import AutoModelForSequenceClassification

        self.tokenizer = load_tokenizer(str(model_dir))
        self.model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), num_labels=1)
        self.__name__ = "reward_model"

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **_: Any) -> list[float]:
        convs = [list(p) + list(c) for p, c in zip(prompts, completions, strict=True)]
        return score_texts(self.model, self.tokenizer, convs)
