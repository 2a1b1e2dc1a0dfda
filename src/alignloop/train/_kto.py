"""KTO through TRL's KTOTrainer: each preference pair becomes a desirable and an undesirable reply."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from alignloop.train._prepare import Rows, preference_rows
from alignloop.train._run import TrainResult
from alignloop.train._settings import TrainSettings
from alignloop.train._setup import TrainerSetup

KTO_LORA_LR = 5e-4
"""The DPO LoRA rate (same loss scale on the same data); not tuned for KTO separately."""
KTO_FULL_LR = 5e-6


def train_kto(
    model: str,
    data: Rows,
    output_dir: str | os.PathLike[str],
    settings: TrainSettings | None = None,
    *,
    merge: bool = True,
    progress_factory: Callable[[int], Any] | None = None,
) -> TrainResult:
    """Train ``model`` with KTO on PreferencePair rows (TRL unpairs them: chosen desirable, rejected not).

    KTO needs no pairs, only a thumbs-up or -down per reply, so the same ``pairs.jsonl`` feeds it;
    ``settings.beta`` is KTO's beta. LoRA by default; the reference is the model with its adapter off.
    """
    from trl import KTOConfig, KTOTrainer

    run = TrainerSetup.load(model, output_dir, settings, merge=merge, progress_factory=progress_factory)
    s = run.settings
    # KTO scores whole replies: the open-end flags of the DPO path do not apply
    rows, dropped = preference_rows(data, run.tokenizer, s.max_length, cut_flags=False)
    kw = run.config_args(KTO_LORA_LR, KTO_FULL_LR)
    # KTO estimates its KL term from mismatched replies within a batch, so a batch needs two rows
    kw["per_device_train_batch_size"] = max(2, s.batch_size)
    cfg = KTOConfig(**kw, beta=s.beta, max_length=s.max_length)
    return run.fit(KTOTrainer, "kto", cfg, rows, dropped)
