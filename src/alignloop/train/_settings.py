"""Training settings shared by every trainer, turned into TRL config arguments for this hardware."""

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
    batch_size: int = 8
    grad_accum: int = 1
    learning_rate: float | None = None
    """None: the trainer's tuned default (LoRA trains at a much higher rate than full fine-tuning)."""
    max_length: int = 128
    """Prompt + reply tokens; rows whose prompt leaves under ``MIN_REPLY_TOKENS`` are dropped and counted."""
    lora: bool = True
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    save_steps: int = 25
    """Checkpoint interval: a kill loses at most this many steps."""
    logging_steps: int = 5
    warmup_steps: int = 0
    merge_scale: float = 1.0
    """The merged model adds the LoRA update times this (the saved adapter is as trained); above 1
    extrapolates along the direction training took. LoRA only."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Any other TRL config field, passed through unchanged (e.g. ``{"lr_scheduler_type": "constant"}``)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for run records."""
        return asdict(self)


def training_args(
    s: TrainSettings, output_dir: str, default_lr: float, hw: Hardware | None = None
) -> dict[str, Any]:
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
