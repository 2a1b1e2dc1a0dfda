"""Run a TRL trainer with resume, progress, out-of-memory handling, and the final save/merge."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from alignloop._util.atomic import write_text_atomic
from alignloop.train._common import last_checkpoint, oom_as_user_error, progress_callback
from alignloop.train._export import gathered_model, save_merged
from alignloop.train._settings import TrainSettings


@dataclass
class TrainResult:
    """What a training run produced."""

    kind: str
    output_dir: Path
    adapter_dir: Path | None
    """The LoRA adapter (None for full fine-tuning)."""
    model_dir: Path | None
    """The merged, exported model (None when ``merge=False``)."""
    steps: int
    rows: int
    dropped_too_long: int
    resumed_from: str | None
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in d.items()}


def checkpoint_dir(output_dir: Path) -> Path:
    """Where a run into ``output_dir`` checkpoints, and resumes from after a kill."""
    return output_dir / "checkpoints"


def total_steps(trainer: Any) -> int:
    """Optimizer steps the trainer will run (for the progress bar)."""
    import math

    a = trainer.args
    if a.max_steps and a.max_steps > 0:
        return int(a.max_steps)
    n = len(trainer.get_train_dataloader())
    return max(1, math.ceil(n / a.gradient_accumulation_steps) * math.ceil(a.num_train_epochs))


def shared_dataset(rows: list[dict[str, Any]], output_dir: Path, args: Any) -> Any:
    """``rows`` as a ``datasets.Dataset`` saved under ``output_dir/dataset/<hash>``.

    TRL's DPO writes its reference log-probs to a cache file next to the dataset, named from the
    dataset's fingerprint and a hash of the reference weights. On disk that fingerprint is stable, so
    a run resumed after a kill reads the cache instead of scoring every pair again (about 150 s of
    the loop's DPO stage on 2 CPU cores), and under ``accelerate launch`` every process reads the
    file the main process wrote. An in-memory dataset gets a new fingerprint and a per-process
    temporary cache folder each time.
    """
    import datasets

    from alignloop._util.hashing import sha256_text
    from alignloop.data import write_rows

    key = sha256_text(json.dumps(rows, sort_keys=True, ensure_ascii=False, default=str))[:16]
    path = output_dir / "dataset" / key
    with args.main_process_first(desc="training dataset"):
        if args.local_process_index == 0 and not (path / "state.json").exists():
            for stale in path.parent.glob("*"):  # data of an earlier run into the same folder
                shutil.rmtree(stale, ignore_errors=True)
            write_rows(path, rows)  # a folder name: an atomic datasets save_to_disk
        return datasets.load_from_disk(str(path))


def run_trainer(
    trainer: Any,
    *,
    kind: str,
    settings: TrainSettings,
    output_dir: Path,
    tokenizer: Any,
    rows: int,
    dropped: int,
    merge: bool,
    progress_factory: Callable[[int], Any] | None = None,
    extra_metrics: Callable[[Any], dict[str, float]] | None = None,
) -> TrainResult:
    """Train (resuming from the newest checkpoint), save the adapter, merge, and write ``train.json``.

    ``progress_factory(total)`` returns a context manager yielding ``advance(n)`` (the CLI's
    progress bar); at most ``settings.save_steps`` steps are lost to a kill.
    """
    import contextlib

    resume = last_checkpoint(checkpoint_dir(output_dir))
    t0 = time.perf_counter()
    cm = progress_factory(total_steps(trainer)) if progress_factory else contextlib.nullcontext(None)
    with cm as advance:
        trainer.add_callback(progress_callback(advance))
        if getattr(advance, "status", None) is not None:
            # the bar shows the loss; the full log stays in train.json's history and the checkpoints
            from transformers.trainer_callback import PrinterCallback

            trainer.remove_callback(PrinterCallback)
        with oom_as_user_error(settings):
            out = trainer.train(resume_from_checkpoint=resume)
    seconds = time.perf_counter() - t0
    metrics = {k: float(v) for k, v in (out.metrics or {}).items() if isinstance(v, int | float)}
    if extra_metrics is not None:
        metrics.update(extra_metrics(trainer))
    gathered = gathered_model(trainer)  # FSDP/DeepSpeed shards: every process takes part in the gather
    model = gathered if gathered is not None else trainer.model
    main = trainer.is_world_process_zero()  # under accelerate launch only rank 0 writes the export
    adapter_dir: Path | None = None
    if main and hasattr(model, "peft_config"):
        adapter_dir = output_dir / "adapter"
        from alignloop._util.atomic import atomic_path

        with atomic_path(adapter_dir) as tmp:
            model.save_pretrained(str(tmp))
            tokenizer.save_pretrained(str(tmp))
    model_dir: Path | None = None
    if main and merge:
        model_dir = save_merged(model, tokenizer, output_dir / "model", scale=settings.merge_scale)
    res = TrainResult(
        kind=kind,
        output_dir=output_dir,
        adapter_dir=adapter_dir,
        model_dir=model_dir,
        steps=int(trainer.state.global_step),
        rows=rows,
        dropped_too_long=dropped,
        resumed_from=resume,
        seconds=round(seconds, 2),
        metrics=metrics,
    )
    if main:
        write_text_atomic(
            output_dir / "train.json",
            json.dumps(
                {**res.to_dict(), "settings": settings.to_dict(), "history": trainer.state.log_history},
                indent=2,
                default=str,
            ),
        )
    return res
