"""TrainerSetup: the settings, paths and learning rate every trainer starts from."""

from __future__ import annotations

from pathlib import Path

import pytest

from alignloop._util.errors import UserError
from alignloop.train._settings import TrainSettings
from alignloop.train._setup import TrainerSetup


def test_load_resolves_the_model_and_defaults_the_settings(tiny_model_dir: Path, tmp_path: Path) -> None:
    run = TrainerSetup.load(str(tiny_model_dir), tmp_path / "out")
    assert run.settings == TrainSettings()
    assert run.output_dir == tmp_path / "out"
    assert run.model_path == str(tiny_model_dir)
    assert run.tokenizer.pad_token is not None
    assert run.merge is True and run.progress_factory is None


@pytest.mark.parametrize(
    ("settings", "full_lr", "expected"),
    [
        (TrainSettings(), 5e-6, 5e-4),  # LoRA: the LoRA rate
        (TrainSettings(lora=False), 5e-6, 5e-6),  # full fine-tuning: the full rate
        (TrainSettings(lora=False), None, 5e-4),  # no full rate given: the one rate either way
        (TrainSettings(lora=False, learning_rate=1e-3), 5e-6, 1e-3),  # the user's rate wins
    ],
)
def test_config_args_pick_the_rate_and_checkpoint_under_out(
    tmp_path: Path, settings: TrainSettings, full_lr: float | None, expected: float
) -> None:
    run = TrainerSetup(settings, tmp_path, "unused", tokenizer=None)
    kw = run.config_args(5e-4, full_lr)
    assert kw["learning_rate"] == expected
    assert kw["output_dir"] == str(tmp_path / "checkpoints")
    assert kw["save_steps"] == settings.save_steps


def test_config_args_refuse_a_merge_scale_without_lora(tmp_path: Path) -> None:
    run = TrainerSetup(TrainSettings(lora=False, merge_scale=1.5), tmp_path, "unused", tokenizer=None)
    with pytest.raises(UserError, match="merge scale"):
        run.config_args(5e-4, 5e-6)
