"""Library advice from the guard's ONNX export stays out of a command's output; other warnings do not."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import logging, warnings
    from alignloop._util.quiet import quiet_libraries
    quiet_libraries()
    class TracerWarning(Warning):  # torch.jit's, without importing torch
        pass
    warnings.warn("Converting a tensor to a Python boolean might cause the trace to be incorrect.", TracerWarning)
    warnings.warn("Exporting aten::index operator of advanced indexing in opset 17 is achieved by ...", UserWarning)
    logging.warning("Please consider to run pre-processing before quantization. Refer to example: ...")
    warnings.warn("a warning alignloop users should see", UserWarning)
    logging.warning("a log line users should see")
    import os
    print(os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS"))
    """
)


def _run(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env={**os.environ, **env}, check=True
    )


def test_export_noise_is_dropped_and_other_messages_kept() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_DISABLE_PROGRESS_BARS", "ALIGNLOOP_VERBOSE")}
    res = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, check=True)
    assert "trace to be incorrect" not in res.stderr and "opset 17" not in res.stderr
    assert "pre-processing before quantization" not in res.stderr
    assert "alignloop users should see" in res.stderr and "a log line users should see" in res.stderr
    assert res.stdout.strip() == "1"  # Hugging Face progress bars off unless the user set the variable


def test_alignloop_verbose_keeps_everything() -> None:
    res = _run(ALIGNLOOP_VERBOSE="1")
    assert "trace to be incorrect" in res.stderr and "pre-processing before quantization" in res.stderr
