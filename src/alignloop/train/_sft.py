"""Supervised fine-tuning through TRL's SFTTrainer (loss on the assistant reply only), LoRA by default."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from alignloop.train._prepare import Rows, conversation_rows
from alignloop.train._run import TrainResult
from alignloop.train._settings import TrainSettings
from alignloop.train._setup import TrainerSetup
from alignloop.train._trainers import sft_trainer_class

SFT_LORA_LR = 2e-4
SFT_FULL_LR = 2e-5


def train_sft(
    model: str,
    data: Rows,
    output_dir: str | os.PathLike[str],
    settings: TrainSettings | None = None,
    *,
    merge: bool = True,
    progress_factory: Callable[[int], Any] | None = None,
) -> TrainResult:
    """Fine-tune ``model`` on ConversationRecord rows (e.g. CAI revisions from ``alignloop train data``)."""
    from trl import SFTConfig

    run = TrainerSetup.load(model, output_dir, settings, merge=merge, progress_factory=progress_factory)
    rows, dropped = conversation_rows(data, run.tokenizer, run.settings.max_length)
    cfg = SFTConfig(
        **run.config_args(SFT_LORA_LR, SFT_FULL_LR),
        max_length=run.settings.max_length,
        completion_only_loss=True,  # rows are prompt/completion: learn the reply, not the prompt
    )
    return run.fit(sft_trainer_class(), "sft", cfg, rows, dropped)
