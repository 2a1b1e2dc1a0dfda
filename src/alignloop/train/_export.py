"""Merge LoRA adapters into the base model and export a folder transformers loads directly."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alignloop._util.atomic import atomic_path
from alignloop._util.errors import ModelError


def save_merged(model: Any, tokenizer: Any, out_dir: str | os.PathLike[str]) -> Path:
    """Merge ``model``'s adapters (if any) and save model + tokenizer atomically to ``out_dir``.

    The result loads with ``AutoModelForCausalLM.from_pretrained`` and ``AutoTokenizer.from_pretrained``.
    """
    merged = model.merge_and_unload() if hasattr(model, "merge_and_unload") else model
    out = Path(out_dir)
    with atomic_path(out) as tmp:
        merged.save_pretrained(str(tmp), safe_serialization=True)
        tokenizer.save_pretrained(str(tmp))
    return out


def merge_adapter(
    adapter_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], base: str | None = None
) -> Path:
    """Load the base model named in ``adapter_dir``'s adapter config (or ``base``), merge and save.

    Raises:
        ModelError: ``adapter_dir`` holds no PEFT adapter.
    """
    import json

    from alignloop.train._common import load_causal_lm, load_tokenizer, resolve_model_path

    a = Path(adapter_dir)
    cfg = a / "adapter_config.json"
    if not cfg.exists():
        raise ModelError(
            f"{a} holds no LoRA adapter (no adapter_config.json)",
            hint="point at the 'adapter' folder a training run wrote",
        )
    base_path = resolve_model_path(base) if base else json.loads(cfg.read_text())["base_model_name_or_path"]
    from peft import PeftModel

    model = PeftModel.from_pretrained(load_causal_lm(base_path), str(a))
    tok = load_tokenizer(str(a)) if (a / "tokenizer_config.json").exists() else load_tokenizer(base_path)
    return save_merged(model, tok, out_dir)
