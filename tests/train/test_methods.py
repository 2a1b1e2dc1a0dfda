"""Training methods by name: every preference method trains the tiny model; defaults come from one place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alignloop._util.errors import UserError
from alignloop.train import METHODS, TRAIN_DEFAULTS, TrainSettings, method_names

FAST = TrainSettings(batch_size=4, max_steps=2, save_steps=2, learning_rate=1e-2, logging_steps=1)


def _changed(a: Path, b: Path) -> bool:
    from safetensors.torch import load_file

    wa, wb = load_file(str(a / "model.safetensors")), load_file(str(b / "model.safetensors"))
    return any(not (wa[k] == wb[k]).all() for k in wa if k in wb)


def test_the_issue_s_methods_are_registered() -> None:
    assert {"dpo", "ipo", "kto", "orpo", "grpo"} <= set(method_names())
    assert METHODS.get("kto").data == "pairs" and METHODS.get("grpo").data == "prompts"
    with pytest.raises(UserError, match="unknown train_method 'ppo'"):
        METHODS.get("ppo")


@pytest.mark.parametrize("name", ["kto", "orpo"])
def test_trl_preference_methods_change_weights(tiny_model_dir: Path, tmp_path: Path, pairs: Any, name: str) -> None:
    import json

    res = METHODS.get(name).train(str(tiny_model_dir), pairs, tmp_path / name, FAST)
    assert res.kind == name and res.steps == 2 and res.rows == len(pairs)
    assert res.model_dir is not None and _changed(tiny_model_dir, res.model_dir)
    assert json.loads((tmp_path / name / "train.json").read_text())["settings"]["beta"] == FAST.beta


def test_trainer_defaults_have_one_source() -> None:
    """The CLI flags, the Python API and the loop's preset read the same defaults."""
    from click.testing import CliRunner

    from alignloop.cli import cli
    from alignloop.loop import preset

    assert TRAIN_DEFAULTS.lora_alpha == 2 * TRAIN_DEFAULTS.lora_r
    assert TrainSettings(lora_r=4).lora_alpha == 8 and TrainSettings(lora_r=4, lora_alpha=4).lora_alpha == 4
    helptext = CliRunner().invoke(cli, ["train", "dpo", "--help"]).output
    for flag, value in (
        ("--batch-size", TRAIN_DEFAULTS.batch_size),
        ("--save-steps", TRAIN_DEFAULTS.save_steps),
        ("--sft-weight", TRAIN_DEFAULTS.sft_weight),
    ):
        after = helptext.split(flag, 1)[1].split("--", 1)[0]
        assert f"default: {value}" in after, (flag, after)
    p = preset(False)
    # what the preset does not tune, it takes from the shared defaults
    assert p.sft_weight == TRAIN_DEFAULTS.sft_weight
    assert p.train_settings(small=True).save_steps == TRAIN_DEFAULTS.save_steps


def test_train_kto_command_trains_and_records(tiny_model_dir: Path, tmp_path: Path, pairs: Any) -> None:
    import json

    from alignloop.cli import main

    data = tmp_path / "pairs.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in pairs))
    out = tmp_path / "kto"
    main(["train", "kto", "-m", str(tiny_model_dir), "-d", str(data), "-o", str(out), "--max-steps", "1", "--json"])
    train_json = json.loads((out / "train.json").read_text())
    assert train_json["kind"] == "kto" and train_json["settings"]["lora_alpha"] == 2 * train_json["settings"]["lora_r"]
    assert (out / "model" / "config.json").exists()
