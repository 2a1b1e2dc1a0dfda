from __future__ import annotations

import time

import pytest

from alignloop.models import GenerationConfig, embedded_model_dir, load_embedder, load_model


@pytest.mark.slow
def test_default_model_answers_offline_and_reloads_fast() -> None:
    d = embedded_model_dir()  # builds the safetensors cache on first use
    assert (d / "model.safetensors").exists()
    t = time.perf_counter()
    m = load_model("default")
    load_s = time.perf_counter() - t
    assert load_s < 5.0, load_s
    answer = m.generate_one("What is the capital of France?", GenerationConfig(max_new_tokens=20))
    assert "Paris" in answer


@pytest.mark.slow
def test_cached_model_loads_with_plain_transformers() -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    d = embedded_model_dir()
    model = AutoModelForCausalLM.from_pretrained(d)
    tok = AutoTokenizer.from_pretrained(d)
    assert model.config.num_hidden_layers == 30 and tok.chat_template


@pytest.mark.slow
def test_bundled_embedder() -> None:
    emb = load_embedder()
    v = emb.encode(["kill a python process", "terminate a running program", "bake a cake"])
    import numpy as np

    sims = v @ v.T / np.outer(np.linalg.norm(v, axis=1), np.linalg.norm(v, axis=1))
    assert sims[0, 1] > sims[0, 2]
