"""Pieces every trainer shares: loading the model, LoRA, progress, resume, out-of-memory errors."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from alignloop._util.errors import ModelError, UserError, is_oom
from alignloop.train._settings import TrainSettings

log = logging.getLogger("alignloop.train")

# PEFT and TRL read transformers 5's deprecated ``is_gradient_checkpointing``; users cannot act on it
warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)

MIN_REPLY_TOKENS = 16
"""A row whose rendered prompt leaves fewer tokens than this for the reply is dropped (and counted)."""


def resolve_model_path(spec: str) -> str:
    """``default`` -> the embedded model's folder; anything else is a folder or hub id."""
    if spec == "default":
        from alignloop.models import embedded_model_dir

        return str(embedded_model_dir())
    p = Path(os.path.expanduser(spec))
    if (spec.startswith((".", "/", "~")) or p.exists()) and not (p / "config.json").exists():
        raise ModelError(
            f"{spec} is not a model folder (no config.json)", hint="give a folder written by save_pretrained"
        )
    return str(p) if p.exists() else spec


def load_tokenizer(path: str) -> Any:
    """The model's tokenizer with a pad token; a model without a chat template gets a fallback (warned)."""
    from transformers import AutoTokenizer

    from alignloop.models import ensure_chat_template

    try:
        tok = AutoTokenizer.from_pretrained(path)
    except OSError as e:
        raise ModelError(f"cannot load tokenizer {path!r}: {str(e).splitlines()[0]}") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    if ensure_chat_template(tok):
        log.warning("%s has no chat template; using the plain 'User:/Assistant:' fallback template", path)
    return tok


def load_causal_lm(path: str, kind: str = "causal") -> Any:
    """The model in this hardware's dtype (fp32 on CPU). ``kind='reward'`` gives a 1-logit classifier."""
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    from alignloop._util.hardware import detect

    dtype = getattr(torch, detect().dtype)
    try:
        if kind == "reward":
            return AutoModelForSequenceClassification.from_pretrained(path, num_labels=1, dtype=dtype)
        return AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    except OSError as e:
        raise ModelError(f"cannot load model {path!r}: {str(e).splitlines()[0]}") from None


@contextlib.contextmanager
def compact_lm_head_on_cpu() -> Iterator[bool]:
    """Within the block, TRL's fused LM head scores only the completion tokens on CPU too; yields whether it applied.

    TRL 1.16 scores every position (prompt and padding included) off Triton devices, to keep tile
    shapes fixed for compilers such as Neuron's. CPU eager mode has no such constraint, and skipping
    the prompt positions makes a DPO step on SmolLM2-135M about 27% faster with identical losses
    (tested). If TRL drops the private hook, this does nothing and training is only slower.

    The switch is TRL's module-level function, so it is set for alignloop's trainers only and restored
    on exit. Until 2026-12-07 it stayed set for the rest of the process: a TRL ``DPOTrainer`` run after
    an alignloop one in the same process took 1.07 s per pair instead of 1.75 (29 pairs, 2 cores),
    which made same-process comparisons with TRL unfair in TRL's favour.
    """
    try:
        from trl.trainer import utils as trl_utils
    except ImportError:
        yield False
        return
    original = getattr(trl_utils, "_use_triton", None)
    if original is None or getattr(original, "_alignloop_cpu", False):  # absent, or already inside a block
        yield original is not None
        return

    def _compact(device: Any) -> bool:
        return bool(device.type == "cpu" or original(device))

    _compact._alignloop_cpu = True  # type: ignore[attr-defined]
    trl_utils._use_triton = _compact
    try:
        yield True
    finally:
        trl_utils._use_triton = original


def lora_config(s: TrainSettings, task_type: str = "CAUSAL_LM") -> Any:
    """LoRA on every linear layer (attention and MLP): small models need the MLP to change behaviour."""
    if not s.lora:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=s.lora_r,
        lora_alpha=s.lora_alpha or 2 * s.lora_r,
        lora_dropout=s.lora_dropout,
        target_modules="all-linear",
        task_type=task_type,
    )


def last_checkpoint(output_dir: str | os.PathLike[str]) -> str | None:
    """The newest complete ``checkpoint-N`` folder in ``output_dir``, to resume from after a kill.

    The Trainer writes ``trainer_state.json`` last, so a folder without it was cut off mid-save (a
    kill, a full disk). Resuming from it would fail, so such folders are removed and the previous
    checkpoint is used: at most one more checkpoint interval is lost.
    """
    d = Path(output_dir)
    if not d.is_dir():
        return None
    found = sorted(
        ((int(m.group(1)), p) for p in d.iterdir() if p.is_dir() and (m := re.fullmatch(r"checkpoint-(\d+)", p.name))),
        reverse=True,
    )
    for _step, p in found:
        if (p / "trainer_state.json").is_file():
            return str(p)
        log.warning("removing incomplete checkpoint %s (no trainer_state.json: cut off while saving)", p)
        shutil.rmtree(p, ignore_errors=True)
    return None


LOG_NOTES = (("loss", "loss"), ("rewards/margins", "margin"), ("reward", "reward"))
"""Trainer log keys shown next to the progress bar (DPO logs a margin, GRPO a reward), with their labels."""


def log_note(logs: dict[str, Any]) -> str:
    """A short live summary of one trainer log entry, e.g. ``loss 0.412 · margin 1.73``."""
    parts = []
    for key, label in LOG_NOTES:
        v = logs.get(key)
        if isinstance(v, int | float):
            parts.append(f"{label} {v:.3g}")
    return " · ".join(parts)


def progress_callback(progress: Callable[[int], None] | None) -> Any:
    """A TrainerCallback that advances ``progress`` once per optimizer step.

    When ``progress`` also has a ``status(text)`` method (the CLI's bars do), each log entry's loss
    (and DPO margin or GRPO reward) is shown next to the bar instead of printed as a dict.
    """
    from transformers import TrainerCallback

    status = getattr(progress, "status", None)

    class _Progress(TrainerCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            self.seen = 0

        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if progress is not None:
                # a resumed run starts at the checkpoint's step; report the jump once
                progress(max(state.global_step - self.seen, 0))
            self.seen = state.global_step

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any) -> None:
            # step entries only: the closing summary logs ``train_loss`` and would replace the last loss
            if status is not None and logs and "loss" in logs:
                status(log_note(logs))

    return _Progress()


@contextlib.contextmanager
def oom_as_user_error(s: TrainSettings) -> Iterator[None]:
    """Turn out-of-memory errors into a UserError that suggests smaller settings."""
    try:
        yield
    except Exception as e:
        if not is_oom(e):
            raise
        raise UserError(
            f"out of memory while training (batch size {s.batch_size}, max length {s.max_length})",
            hint=f"rerun with --batch-size {max(1, s.batch_size // 2)} and --grad-accum {s.grad_accum * 2}, "
            f"or a smaller --max-length; the run resumes from its last checkpoint",
        ) from None


def prompt_tokens(tokenizer: Any, messages: list[dict[str, str]]) -> int:
    """Length in tokens of ``messages`` rendered with the generation prompt."""
    ids = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
    if isinstance(ids, dict) or hasattr(ids, "keys"):
        ids = ids["input_ids"]
    return len(ids)


def fits(tokenizer: Any, messages: list[dict[str, str]], max_length: int) -> bool:
    """Whether the prompt leaves at least ``MIN_REPLY_TOKENS`` for the reply."""
    return prompt_tokens(tokenizer, messages) <= max_length - MIN_REPLY_TOKENS
