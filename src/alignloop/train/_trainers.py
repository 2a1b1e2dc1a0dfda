"""TRL's trainers as alignloop runs them: replies cut at the generation budget stay open-ended."""

from __future__ import annotations

from typing import Any

from alignloop._util.hardware import launched_sharded
from alignloop.train._batches import GROUP_COLUMN, InterleavedSampler
from alignloop.train._open_end import open_preference_ends, open_sft_ends
from alignloop.train._packed import add_packing


def _tokenizer(processing_class: Any) -> Any:
    return getattr(processing_class, "tokenizer", processing_class)


def dpo_trainer_class(pack: bool = True) -> Any:
    """TRL's ``DPOTrainer`` that honours ``chosen_truncated`` / ``rejected_truncated`` and balances batches.

    Rows with a ``group`` column holding more than one kind train in :class:`InterleavedSampler`
    order (each batch holds the kinds in proportion); otherwise the Trainer's seeded shuffle.
    With ``pack`` (not under FSDP or DeepSpeed, whose wrappers are not tested with it), the training
    passes encode each pair's prompt once (``_packed.add_packing``). The precomputed reference pass
    stays padded: its batches are sorted by length (``_dpo.by_length``), so packing saves it little,
    while its longer attention rows and the first batch's check (run padded and packed) cost more. On
    ``benchmarks/dpo_throughput.py``'s 29 pairs (1 thread) it took 37.7 s packed against 20.1 s padded,
    with the same loss; on the loop's pairs it was 133 s against 129 s (docs/design.md).
    """
    from trl import DPOTrainer

    class AlignloopDPOTrainer(DPOTrainer):  # type: ignore[misc]
        _packing_ready = False

        def _use_packing(self) -> None:
            # TRL adds its fused LM head inside __init__; packing wraps it at the first training step
            if self._packing_ready:
                return
            self._packing_ready = True
            if not pack or launched_sharded():
                return
            model: Any = self.model
            base = model.get_base_model() if hasattr(model, "get_base_model") else model
            for m in (base, self.ref_model):
                if m is not None:
                    add_packing(m)

        def compute_loss(self, model: Any, inputs: Any, *args: Any, **kwargs: Any) -> Any:
            self._use_packing()
            return super().compute_loss(model, inputs, *args, **kwargs)

        def _prepare_dataset(self, dataset: Any, processing_class: Any, args: Any, dataset_name: str) -> Any:
            ds = super()._prepare_dataset(dataset, processing_class, args, dataset_name)
            return open_preference_ends(ds, _tokenizer(processing_class))

        def _get_train_sampler(self, train_dataset: Any = None) -> Any:
            # the dataloader's copy has lost the non-model columns; the rows are the same, in order
            ds = self.train_dataset
            if ds is not None and GROUP_COLUMN in (getattr(ds, "column_names", None) or []):
                groups = ds[GROUP_COLUMN]
                if len(set(groups)) > 1:
                    return InterleavedSampler(groups, self.args.seed)
            return super()._get_train_sampler(train_dataset)

    return AlignloopDPOTrainer


def sft_trainer_class() -> Any:
    """TRL's ``SFTTrainer`` that honours ``truncated``."""
    from trl import SFTTrainer

    class AlignloopSFTTrainer(SFTTrainer):  # type: ignore[misc]
        def _prepare_dataset(self, dataset: Any, processing_class: Any, *args: Any, **kw: Any) -> Any:
            ds = super()._prepare_dataset(dataset, processing_class, *args, **kw)
            return open_sft_ends(ds, _tokenizer(processing_class))

    return AlignloopSFTTrainer
