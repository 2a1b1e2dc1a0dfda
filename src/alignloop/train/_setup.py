"""The setup every trainer shares: settings, output folder, model and tokenizer, TRL config args, trainer.

A trainer module (``_dpo``, ``_kto``, ``_orpo``, ``_sft``, ``_grpo``, ``_reward``) keeps only what is
specific to its method: which rows it trains on, its learning rates and TRL config, and its trainer
class. Everything around that (resolving ``default``, the tokenizer's pad token and chat template,
checkpoints under ``OUT/checkpoints``, the LoRA-or-full learning rate, LoRA on every linear layer,
the on-disk dataset, resume, the adapter save and merge) is here or in :func:`~alignloop.train._run.run_trainer`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alignloop.train._common import load_tokenizer, resolve_model_path
from alignloop.train._run import TrainResult, checkpoint_dir, run_trainer, shared_dataset
from alignloop.train._settings import TrainSettings, training_args


@dataclass
class TrainerSetup:
    """One training call's shared state, built by :meth:`load` before the method-specific part."""

    settings: TrainSettings
    output_dir: Path
    model_path: str
    """The resolved model (``default`` -> the embedded model's folder)."""
    tokenizer: Any
    merge: bool = True
    progress_factory: Callable[[int], Any] | None = None

    @classmethod
    def load(
        cls,
        model: str,
        output_dir: str | os.PathLike[str],
        settings: TrainSettings | None = None,
        *,
        merge: bool = True,
        progress_factory: Callable[[int], Any] | None = None,
    ) -> TrainerSetup:
        """Resolve ``model`` and load its tokenizer; ``settings`` None means :class:`TrainSettings` defaults."""
        path = resolve_model_path(model)
        return cls(
            settings=settings or TrainSettings(),
            output_dir=Path(output_dir),
            model_path=path,
            tokenizer=load_tokenizer(path),
            merge=merge,
            progress_factory=progress_factory,
        )

    def config_args(self, lora_lr: float, full_lr: float | None = None) -> dict[str, Any]:
        """TRL config arguments checkpointing under ``OUT/checkpoints``.

        The default learning rate is ``lora_lr`` with LoRA and ``full_lr`` without (``full_lr`` None:
        ``lora_lr`` either way); ``settings.learning_rate`` overrides both.
        """
        lr = full_lr if full_lr is not None and not self.settings.lora else lora_lr
        return training_args(self.settings, str(checkpoint_dir(self.output_dir)), lr)

    def fit(
        self,
        trainer_cls: Any,
        kind: str,
        args: Any,
        rows: list[dict[str, Any]],
        dropped: int,
        **trainer_kw: Any,
    ) -> TrainResult:
        """Build a TRL causal-LM trainer the way every alignloop trainer does, then :func:`run_trainer`.

        The model loads in this hardware's dtype with LoRA from the settings, and trains on ``rows``
        saved under ``OUT/dataset``, with TRL's fused head scoring completion tokens only on a CPU
        (``compact_lm_head_on_cpu``); ``trainer_kw`` carries trainer-specific arguments (e.g. GRPO's
        ``reward_funcs``).
        """
        from alignloop.train._common import compact_lm_head_on_cpu, load_causal_lm, lora_config

        # the constructor runs DPO's precomputed reference pass, so it is inside the block too
        with compact_lm_head_on_cpu():
            trainer = trainer_cls(
                model=load_causal_lm(self.model_path),
                args=args,
                train_dataset=shared_dataset(rows, self.output_dir, args),
                processing_class=self.tokenizer,
                peft_config=lora_config(self.settings),
                **trainer_kw,
            )
            return self.run(trainer, kind, rows=len(rows), dropped=dropped)

    def run(
        self,
        trainer: Any,
        kind: str,
        *,
        rows: int,
        dropped: int,
        extra_metrics: Callable[[Any], dict[str, float]] | None = None,
    ) -> TrainResult:
        """:func:`run_trainer` on a trainer built here or by the caller (the reward model builds its own)."""
        return run_trainer(
            trainer,
            kind=kind,
            settings=self.settings,
            output_dir=self.output_dir,
            tokenizer=self.tokenizer,
            rows=rows,
            dropped=dropped,
            merge=self.merge,
            progress_factory=self.progress_factory,
            extra_metrics=extra_metrics,
        )
