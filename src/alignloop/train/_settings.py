"""Training settings shared by every trainer, turned into TRL config arguments for this hardware.

:class:`TrainSettings` is the one place trainer defaults live: ``alignloop train`` takes its flags'
defaults from it (:data:`TRAIN_DEFAULTS`), the Python API uses it when no settings are given, and the
loop's presets override only the fields they tuned (each with a note on where the value came from).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from alignloop._util.errors import UserError
from alignloop._util.hardware import Hardware, detect


@dataclass
class TrainSettings:
    """What a training run needs beyond the data; the defaults suit a 135M model on a laptop CPU."""

    seed: int = 0
    epochs: float = 1.0
    max_steps: int = -1
    """Stop after this many optimizer steps (-1: run ``epochs``)."""
    batch_size: int = 4
    """Pairs (or prompts) per optimizer step per device; 4 is what the loop's LoRA rate was tuned at."""
    grad_accum: int = 1
    learning_rate: float | None = None
    """None: the trainer's tuned default (LoRA trains at a much higher rate than full fine-tuning)."""
    max_length: int = 128
    """Prompt + reply tokens; rows whose prompt leaves under ``MIN_REPLY_TOKENS`` are dropped and counted."""
    lora: bool = True
    lora_r: int = 16
    lora_alpha: int | None = None
    """None: ``2 * lora_r`` (keeps the effective step size when r changes; 32 at the default r=16)."""
    lora_dropout: float = 0.0
    save_steps: int = 10
    """Checkpoint interval: a kill loses at most this many steps (10: under a minute of the loop's DPO
    on 2 CPU cores; a checkpoint of a LoRA adapter costs about a second)."""
    logging_steps: int = 5
    warmup_steps: int = 0
    merge_scale: float = 1.0
    """The merged model adds the LoRA update times this (the saved adapter is as trained); above 1
    extrapolates along the direction training took. LoRA only."""
    beta: float = 0.1
    """Preference methods (DPO, IPO, KTO, ORPO): the strength of the pull towards the reference (ORPO:
    the weight of its odds-ratio term). TRL's default."""
    sft_weight: float = 1.0
    """DPO/IPO: weight of the NLL term on ``chosen`` (0 disables it). With 1.0 the refusal itself is
    learned, not only the contrast (the loop's preset value, now every entry point's default)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Any other TRL config field, passed through unchanged (e.g. ``{"lr_scheduler_type": "constant"}``)."""

    def __post_init__(self) -> None:
        if self.lora_alpha is None:
            self.lora_alpha = 2 * self.lora_r

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for run records."""
        return asdict(self)


TRAIN_DEFAULTS = TrainSettings()
"""The defaults every entry point shares (CLI flags, Python API, loop presets)."""


def training_args(s: TrainSettings, output_dir: str, default_lr: float, hw: Hardware | None = None) -> dict[str, Any]:
    """Keyword arguments common to TRL's configs (they all extend ``TrainingArguments``).

    On CPU: fp32 and no gradient checkpointing (bf16 without native support is ~10x slower, and
    checkpointing re-runs the forward pass to save memory we do not need to save). On GPU:
    bf16/fp16 and checkpointing. The same arguments work under ``accelerate launch``.
    """
    if s.merge_scale != 1.0 and not s.lora:
        # checked here, before any work, because every trainer builds its config through this
        raise UserError(
            f"merge scale {s.merge_scale} scales a LoRA update, but this run fine-tunes every weight",
            hint="drop --full or leave --merge-scale at 1",
        )
    hw = hw or detect()
    kw: dict[str, Any] = {
        "output_dir": output_dir,
        "seed": s.seed,
        "data_seed": s.seed,
        "num_train_epochs": s.epochs,
        "max_steps": s.max_steps,
        "per_device_train_batch_size": s.batch_size,
        "gradient_accumulation_steps": s.grad_accum,
        "learning_rate": s.learning_rate if s.learning_rate is not None else default_lr,
        "lr_scheduler_type": "linear",
        "warmup_steps": s.warmup_steps,
        "bf16": hw.dtype == "bfloat16",
        "fp16": hw.dtype == "float16",
        "activation_checkpointing": hw.gradient_checkpointing,  # transformers 5 name of gradient checkpointing
        "save_strategy": "steps",
        "save_steps": s.save_steps,
        "save_total_limit": 2,
        "logging_steps": s.logging_steps,
        "report_to": [],
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
        "use_cpu": hw.device == "cpu",
    }
    kw.update(s.extra)
    return kw
