"""Keep library noise out of a command's output, so a run shows alignloop's own progress and results.

The first ``alignloop run`` builds the guard's int8 MiniLM (an ONNX export, then quantization), and the
libraries involved print advice meant for their own developers: torch's ``TracerWarning`` about
tracing a Python boolean, its advisory on how ``aten::index`` maps to opset 17, and onnxruntime's
"Please consider to run pre-processing before quantization" (logged on the root logger). Hugging Face
progress bars ("Loading weights", "Map", "Saving the dataset", the first run's GGUF dequantization) would
sit between alignloop's own bars (rich, not tqdm).
None of these is actionable for a user; the export is tested to match the PyTorch model.

:func:`quiet_libraries` is called once by the CLI entry point. ``ALIGNLOOP_VERBOSE=1`` keeps everything.
"""

from __future__ import annotations

import logging
import os
import warnings

NOISY_WARNINGS = (
    # torch.jit.TracerWarning during the guard's ONNX export (matched by text: importing torch here is slow)
    r"Converting a tensor to a Python (boolean|index|number|float|integer) might cause the trace to be incorrect",
    r"Exporting aten::\w+ operator .* in opset \d+",  # torch.onnx's opset advisory
    r"The feature will be removed\. Please remove usage of this function",  # torch.onnx's own logging setup
)
NOISY_LOG_PREFIXES = ("Please consider to run pre-processing before quantization",)
QUIET_ENV = {
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # transformers' "Loading weights" and hub downloads
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",  # "Map", "Saving the dataset", TRL's tokenizing passes
    "TQDM_DISABLE": "1",  # plain tqdm bars, e.g. transformers' one-time "de-quantizing GGUF tensors"
}


class _DropNoise(logging.Filter):
    """Drops log records whose message starts with one of ``NOISY_LOG_PREFIXES``."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(NOISY_LOG_PREFIXES)


_installed = False


def quiet_libraries() -> bool:
    """Silence the library messages above (idempotent); returns False when ``ALIGNLOOP_VERBOSE`` is set.

    Progress-bar variables are only set when the user has not set them, and before the libraries
    that read them are imported (the CLI calls this first).
    """
    global _installed
    if os.environ.get("ALIGNLOOP_VERBOSE", "").lower() in ("1", "true", "yes"):
        return False
    if _installed:
        return True
    _installed = True
    for pattern in NOISY_WARNINGS:
        warnings.filterwarnings("ignore", message=pattern)
    # onnxruntime logs through the root logger (logging.warning), so the filter sits on the root logger
    logging.getLogger().addFilter(_DropNoise())
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    return True
