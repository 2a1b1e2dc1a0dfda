"""ORPO through TRL's (experimental) ORPOTrainer: preference and SFT in one loss, no reference model."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

from alignloop.train._prepare import Rows, preference_rows
from alignloop.train._run import TrainResult
from alignloop.train._settings import TrainSettings
from alignloop.train._setup import TrainerSetup

ORPO_LORA_LR = 5e-4
"""The DPO LoRA rate; not tuned for ORPO separately."""
ORPO_FULL_LR = 8e-6


def train_orpo(
    model: str,
    data: Rows,
    output_dir: str | os.PathLike[str],
    settings: TrainSettings | None = None,
    *,
    merge: bool = True,
    progress_factory: Callable[[int], Any] | None = None,
) -> TrainResult:
    """Train ``model`` with ORPO on PreferencePair rows; ``settings.beta`` weighs the odds-ratio term.

    ORPO adds the odds-ratio preference term to the NLL of ``chosen``, so it needs no reference
    pass (cheaper than DPO per step) and no separate ``sft_weight``.
    """
    with warnings.catch_warnings():  # TRL warns that its experimental namespace may change
        warnings.simplefilter("ignore")
        from trl.experimental.orpo import ORPOConfig, ORPOTrainer

    run = TrainerSetup.load(model, output_dir, settings, merge=merge, progress_factory=progress_factory)
    s = run.settings
    rows, dropped = preference_rows(data, run.tokenizer, s.max_length, cut_flags=False)
    cfg = ORPOConfig(**run.config_args(ORPO_LORA_LR, ORPO_FULL_LR), beta=s.beta, max_length=s.max_length)
    return run.fit(ORPOTrainer, "orpo", cfg, rows, dropped)
