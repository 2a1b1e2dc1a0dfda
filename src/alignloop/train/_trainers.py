"""TRL's trainers as alignloop runs them: replies cut at the generation budget stay open-ended."""

from __future__ import annotations

from typing import Any

from alignloop.train._open_end import open_preference_ends, open_sft_ends


def _tokenizer(processing_class: Any) -> Any:
    return getattr(processing_class, "tokenizer", processing_class)


def dpo_trainer_class() -> Any:
    """TRL's ``DPOTrainer`` that honours ``chosen_truncated`` / ``rejected_truncated``."""
    from trl import DPOTrainer

    class AlignloopDPOTrainer(DPOTrainer):  # type: ignore[misc]
        def _prepare_dataset(self, dataset: Any, processing_class: Any, args: Any, dataset_name: str) -> Any:
            ds = super()._prepare_dataset(dataset, processing_class, args, dataset_name)
            return open_preference_ends(ds, _tokenizer(processing_class))

    return AlignloopDPOTrainer


def sft_trainer_class() -> Any:
    """TRL's ``SFTTrainer`` that honours ``truncated``."""
    from trl import SFTTrainer

    class AlignloopSFTTrainer(SFTTrainer):  # type: ignore[misc]
        def _prepare_dataset(self, dataset: Any, processing_class: Any, *args: Any, **kw: Any) -> Any:
            ds = super()._prepare_dataset(dataset, processing_class, *args, **kw)
            return open_sft_ends(ds, _tokenizer(processing_class))

    return AlignloopSFTTrainer
