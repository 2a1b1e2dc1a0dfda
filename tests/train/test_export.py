"""Decoding defaults written into a model folder reach transformers' ``generate``."""

from __future__ import annotations

import json
import os
from pathlib import Path

from alignloop.train._export import set_decoding_defaults


def test_decoding_defaults_are_merged_removed_and_never_written_through_a_link(tmp_path: Path) -> None:
    shared = tmp_path / "original.json"
    shared.write_text(json.dumps({"eos_token_id": 2, "pad_token_id": 2}))
    model = tmp_path / "model"
    model.mkdir()
    os.link(shared, model / "generation_config.json")  # as decoding_dev.py links a run's files

    cfg = set_decoding_defaults(model, repetition_penalty=1.1)
    assert cfg == {"eos_token_id": 2, "pad_token_id": 2, "repetition_penalty": 1.1}
    assert json.loads((model / "generation_config.json").read_text()) == cfg
    assert json.loads(shared.read_text()) == {"eos_token_id": 2, "pad_token_id": 2}  # the linked file is untouched

    assert set_decoding_defaults(model, repetition_penalty=None) == {"eos_token_id": 2, "pad_token_id": 2}
    assert not list(model.glob("*.tmp"))


def test_a_written_penalty_changes_greedy_generation(tiny_model_dir: Path, tmp_path: Path) -> None:
    import shutil

    from alignloop.models import load_model
    from alignloop.models._base import GenerationConfig

    model = tmp_path / "m"
    shutil.copytree(tiny_model_dir, model)
    conv = [[{"role": "user", "content": "say something"}]]
    cfg = GenerationConfig(max_new_tokens=24)
    plain = load_model(str(model)).generate(conv, cfg)
    set_decoding_defaults(model, repetition_penalty=50.0)  # large enough to change a random model's argmax
    penalised = load_model(str(model)).generate(conv, cfg)
    assert penalised != plain
