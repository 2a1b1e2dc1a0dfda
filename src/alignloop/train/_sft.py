"""Supervised fine-tuning through TRL's SFTTrainer (loss on the assistant reply only), LoRA by default."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alignloop.train._common import load_tokenizer, resolve_model_path
from alignloop.train._prepare import Rows, conversation_rows
from alignloop.train._run import TrainResult, fit
from alignloop.train._settings import TrainSettings, training_args
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

    s = settings or TrainSettings()
    out = Path(output_dir)
    path = resolve_model_path(model)
    tok = load_tokenizer(path)
    rows, dropped = conversation_rows(data, tok, s.max_length)
    cfg = SFTConfig(
        **training_args(s, str(out / "checkpoints"), SFT_LORA_LR if s.lora else SFT_FULL_LR),
        max_length=s.max_length,
        completion_only_loss=True,  # rows are prompt/completion: learn the reply, not the prompt
    )
    return fit(
        sft_trainer_class(),
        kind="sft",
        path=path,
        args=cfg,
        rows=rows,
        dropped=dropped,
        tokenizer=tok,
        settings=s,
        output_dir=out,
        merge=merge,
        progress_factory=progress_factory,
    )
