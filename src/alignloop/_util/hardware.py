"""Pick numeric settings from the hardware: bf16 only where the device runs it natively."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Hardware:
    """What the training and inference code should use on this machine."""

    device: str
    """``cuda``, ``mps`` or ``cpu``."""
    dtype: str
    """``bfloat16`` on GPUs that support it, else ``float32`` (CPUs without native bf16 are 10x slower in bf16)."""
    n_gpus: int
    gradient_checkpointing: bool
    """Only on GPUs: on CPU it costs a second forward pass for memory we do not need to save."""

    @property
    def bf16(self) -> bool:
        """Whether to train in bfloat16."""
        return self.dtype == "bfloat16"


@lru_cache(maxsize=1)
def detect() -> Hardware:
    """Inspect torch once and return the settings for this machine."""
    import torch

    if torch.cuda.is_available():
        bf16 = torch.cuda.is_bf16_supported()
        return Hardware("cuda", "bfloat16" if bf16 else "float16", torch.cuda.device_count(), True)
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return Hardware("mps", "float32", 0, False)
    return Hardware("cpu", "float32", 0, False)


def launched_sharded() -> bool:
    """Whether ``accelerate launch`` started this process under FSDP or DeepSpeed.

    It sets ``ACCELERATE_USE_FSDP`` or ``ACCELERATE_USE_DEEPSPEED`` in the environment of each process.
    """
    return any(
        os.environ.get(var, "").strip().lower() in ("1", "true", "yes")
        for var in ("ACCELERATE_USE_FSDP", "ACCELERATE_USE_DEEPSPEED")
    )


def is_main_process() -> bool:
    """False in the processes ``accelerate launch``/``torchrun`` start with a rank other than 0.

    Those train their share and take part in collectives, but leave output, run records and
    progress bars to rank 0, so a run prints and records itself once.
    """
    return os.environ.get("RANK", "0").strip() in ("", "0")


def close_distributed() -> None:
    """Tear down the process group of an ``accelerate launch`` run once every rank has finished.

    Without it the workers exit with the group still open, and gloo's threads occasionally abort a
    process at exit ("terminate called without an active exception"), failing a run that finished.
    A no-op outside distributed runs (torch is not even imported for them if it was not already).
    """
    import sys

    torch = sys.modules.get("torch")
    if torch is None:
        return
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
