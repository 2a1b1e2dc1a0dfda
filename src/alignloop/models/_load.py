"""Resolve a model spec string to a backend: ``default``, a path, a hub id, or an endpoint URL."""

from __future__ import annotations

import os
from typing import Any

from alignloop.models._base import ChatModel

DEFAULT = "default"


def load_model(spec: str, **kwargs: Any) -> ChatModel:
    """Load the model named by ``spec``.

    - ``default``: the embedded SmolLM2-135M-Instruct (offline);
    - ``http(s)://host/v1#model-name``: an OpenAI-compatible endpoint (the model name may
      also come from ``ALIGNLOOP_ENDPOINT_MODEL``; the key from ``ALIGNLOOP_API_KEY``);
    - a local folder or a hub id: a transformers causal LM.
    """
    if spec == DEFAULT:
        from alignloop.models._embedded import embedded_model_dir
        from alignloop.models._hf import load_hf

        m = load_hf(str(embedded_model_dir()), **kwargs)
        m.name = DEFAULT
        return m
    if spec.startswith(("http://", "https://")):
        from alignloop._util.errors import ModelError
        from alignloop.models._openai import OpenAIChatModel

        url, _, name = spec.partition("#")
        name = name or os.environ.get("ALIGNLOOP_ENDPOINT_MODEL", "")
        if not name:
            raise ModelError(
                f"no model name for endpoint {url}",
                hint="write it after '#', e.g. http://localhost:8000/v1#my-model",
            )
        return OpenAIChatModel(url, name, **kwargs)
    from alignloop.models._hf import load_hf

    return load_hf(spec, **kwargs)
