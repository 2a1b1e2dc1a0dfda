"""The documented ``accelerate launch`` configs, run for real with two CPU processes (gloo).

Each run trains a tiny random model with ``alignloop train`` under the config from
``docs/accelerate`` (CPU overrides only), then checks the merged export against the adapter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "accelerate"


def _cpu_config(name: str, tmp_path: Path) -> Path:
    import yaml

    cfg = yaml.safe_load((DOCS / name).read_text(encoding="utf-8"))
    # the same strategy on this machine: two CPU processes, fp32
    cfg.update(num_processes=2, mixed_precision="no", use_cpu=True)
    cfg.pop("gpu_ids", None)
    out = tmp_path / name
    out.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return out


def _launch(config: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    alignloop = shutil.which("alignloop", path=os.path.dirname(sys.executable))
    assert alignloop, "the alignloop console script is not installed next to this Python"
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(config), alignloop, *args]
    tmp = cwd / "tmp"  # torch elastic leaves a torchelastic_* folder per launch in the temp dir
    tmp.mkdir(exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "TMPDIR": str(tmp)}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _result(stdout: str) -> dict[str, Any]:
    """The ``--json`` result: rank 0 alone prints one (DeepSpeed may log a line on stdout before it)."""
    lines = stdout.splitlines()
    start = lines.index("{")
    return json.loads("\n".join(lines[start:]))


def _same_outputs(base: Path, run: Path) -> float:
    """Max |logit change| of the merged model over the base, after checking it equals base + adapter."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    ids = torch.tensor([[1, 5, 9, 30, 2, 17]])
    with torch.no_grad():
        merged = AutoModelForCausalLM.from_pretrained(run / "model")(input_ids=ids).logits
        before = AutoModelForCausalLM.from_pretrained(base)(input_ids=ids).logits
        if (run / "adapter").exists():
            lora = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), str(run / "adapter"))
            torch.testing.assert_close(lora(input_ids=ids).logits, merged, atol=1e-4, rtol=1e-4)
    return float((merged - before).abs().max())


@pytest.mark.parametrize(
    ("config", "command"),
    [
        # DPO: every process reads the reference log-probs the main process cached next to the data
        ("ddp.yaml", ["train", "dpo"]),
        # FSDP: the sharded weights are gathered for the export
        ("fsdp.yaml", ["train", "dpo"]),
        ("fsdp.yaml", ["train", "sft", "--full"]),
        # ZeRO-3 where DeepSpeed is installed (it is not a dependency)
        ("deepspeed_zero3.yaml", ["train", "dpo"]),
    ],
)
def test_two_process_runs_train_and_export_a_loadable_model(
    config: str, command: list[str], tiny_model_dir: Path, make_pairs: Any, tmp_path: Path
) -> None:
    if config.startswith("deepspeed"):
        pytest.importorskip("deepspeed")
    rows = make_pairs(16)
    data = tmp_path / "data.jsonl"
    if command[1] == "sft":
        rows = [{"id": r["id"], "messages": r["prompt"] + r["chosen"]} for r in rows]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "run"
    args = [
        *command,
        "-m",
        str(tiny_model_dir),
        "-d",
        str(data),
        "-o",
        str(out),
        "--batch-size",
        "2",
        "--max-steps",
        "4",
        "--save-steps",
        "2",
        "--json",
    ]
    res = _launch(_cpu_config(config, tmp_path), args, tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    printed = _result(res.stdout)
    assert printed["steps"] == 4 and printed["resumed_from"] is None
    assert _same_outputs(tiny_model_dir, out) > 0  # trained weights, not the initial ones
    # a rerun with more steps resumes every process from the last checkpoint
    args[args.index("--max-steps") + 1] = "6"
    res = _launch(_cpu_config(config, tmp_path), args, tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    printed = _result(res.stdout)
    assert printed["steps"] == 6 and str(printed["resumed_from"]).endswith("checkpoint-4")
