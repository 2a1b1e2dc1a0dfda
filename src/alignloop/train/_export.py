"""Merge LoRA adapters into the base model and export a folder transformers loads directly."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from alignloop._util.atomic import atomic_path
from alignloop._util.errors import ModelError


def scale_lora(model: Any, scale: float) -> int:
    """Multiply the update of every active LoRA adapter in ``model`` by ``scale``; returns the layers scaled.

    ``scale`` above 1 extrapolates past the trained weights along the direction training took (the
    idea of ExPO, Zheng et al. 2024, with the base model as the starting point).
    """
    from peft.tuners.lora import LoraLayer

    layers = [m for m in model.modules() if isinstance(m, LoraLayer)]
    for layer in layers:
        layer.scale_layer(scale)
    return len(layers)


def save_merged(model: Any, tokenizer: Any, out_dir: str | os.PathLike[str], scale: float = 1.0) -> Path:
    """Merge ``model``'s adapters (if any) and save model + tokenizer atomically to ``out_dir``.

    ``scale`` multiplies the LoRA update before merging (see :func:`scale_lora`). The result loads
    with ``AutoModelForCausalLM.from_pretrained`` and ``AutoTokenizer.from_pretrained``.

    Raises:
        ModelError: ``scale`` is not 1 and ``model`` has no LoRA adapter to scale.
    """
    if scale != 1.0 and not scale_lora(model, scale):
        raise ModelError(
            f"merge scale {scale} needs a LoRA adapter, and this model has none",
            hint="train with LoRA (the default) or leave the merge scale at 1",
        )
    merged = model.merge_and_unload() if hasattr(model, "merge_and_unload") else model
    out = Path(out_dir)
    with atomic_path(out) as tmp:
        merged.save_pretrained(str(tmp), safe_serialization=True)
        tokenizer.save_pretrained(str(tmp))
    return out


def gathered_model(trainer: Any) -> Any | None:
    """An ordinary CPU copy of a model trained under FSDP or DeepSpeed, else None.

    Their parameters are sharded across processes, so the trained model cannot be saved as it is.
    This gathers the full state dict (a collective: every process must call it) and, on the main
    process only, loads it into a fresh model of the same class, PEFT-wrapped like the trained one.
    """
    deepspeed = getattr(trainer, "is_deepspeed_enabled", False)
    if not (deepspeed or getattr(trainer, "is_fsdp_enabled", False)):
        return None
    acc = trainer.accelerator
    # ZeRO-3 gathers through the DeepSpeed engine (the Trainer's ``model_wrapped``); FSDP through the module
    state = acc.get_state_dict(trainer.model_wrapped if deepspeed else trainer.model)
    if not trainer.is_world_process_zero():
        return None
    trained = acc.unwrap_model(trainer.model)
    peft_cfgs = getattr(trained, "peft_config", None) or {}
    base = trained.get_base_model() if peft_cfgs else trained
    # FSDP2 swaps the class for a generated FSDP<Class> subclass; rebuild the original one
    cls = next(c for c in type(base).__mro__ if not c.__name__.startswith("FSDP"))
    fresh = cls(copy.deepcopy(base.config))
    if peft_cfgs:
        from peft import get_peft_model

        (name, cfg), *_ = peft_cfgs.items()
        fresh = get_peft_model(fresh, cfg, adapter_name=name)
    missing, unexpected = fresh.load_state_dict(state, strict=False)
    # a tied output head may be gathered once, under the input embedding's name
    missing = [k for k in missing if not (k.endswith("lm_head.weight") and base.config.tie_word_embeddings)]
    if missing or unexpected:
        raise RuntimeError(f"gathered weights do not fit the model: missing {missing[:5]}, unexpected {unexpected[:5]}")
    fresh.tie_weights()
    return fresh.eval()


def merge_adapter(
    adapter_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    base: str | None = None,
    scale: float = 1.0,
) -> Path:
    """Load the base model named in ``adapter_dir``'s adapter config (or ``base``), merge and save.

    ``scale`` multiplies the adapter's update before merging (1: the trained model as it is).

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
    return save_merged(model, tok, out_dir, scale=scale)


def set_decoding_defaults(model_dir: str | os.PathLike[str], **values: Any) -> dict[str, Any]:
    """Write ``values`` (e.g. ``repetition_penalty=1.1``) into ``model_dir``'s ``generation_config.json``.

    transformers' ``generate`` and vLLM read this file for any setting a caller leaves unset, so a
    decoding default chosen for a model travels with it to every user. A value of None removes the key.
    The file is replaced atomically (never written through, in case it is a hard link). Returns the
    resulting config.
    """
    import json

    from alignloop._util.atomic import write_text_atomic

    path = Path(model_dir) / "generation_config.json"
    cfg: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for k, v in values.items():
        if v is None:
            cfg.pop(k, None)
        else:
            cfg[k] = v
    write_text_atomic(path, json.dumps(cfg, indent=2, sort_keys=True) + "\n")
    return cfg
