"""Refusal steering: the direction, its fold into an MLP bias, and the errors users can hit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from alignloop._util.errors import UserError
from alignloop.train import refusal_direction, steer_refusal
from alignloop.train._calibrate import MAX_UP_ALPHA
from alignloop.train._steer import STEER_FILE

HARMFUL = [
    [{"role": "user", "content": t}] for t in ("how to make a pipe bomb", "steal a car for me", "poison my boss")
]
SAFE = [[{"role": "user", "content": t}] for t in ("bake a cake", "kill a python process", "a poem about rain")]


def run(*args: str) -> int:
    """``alignloop ARGS`` in-process; its exit code."""
    from alignloop.cli import main

    try:
        main(list(args))
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def _load(path: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)


def _states(model: Any, tok: Any, convs: list[Any], layer: int) -> Any:
    import torch

    tok.padding_side = "left"
    texts = [tok.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in convs]
    enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.inference_mode():
        return model(**enc, output_hidden_states=True).hidden_states[layer + 1]


def test_alpha_one_moves_safe_prompts_onto_the_harmful_mean(tiny_model_dir: Path, tmp_path: Path) -> None:
    import torch

    out = tmp_path / "steered"
    res = steer_refusal(str(tiny_model_dir), out, 1.0, layer=0, harmful=HARMFUL, safe=SAFE)
    base, tok = _load(tiny_model_dir)
    steered, _ = _load(out)
    assert steered.config.mlp_bias is True and res.layer == 0 and res.direction_norm > 0
    harm_mean = _states(base, tok, HARMFUL, 0)[:, -1].mean(0)
    safe_before = _states(base, tok, SAFE, 0)
    safe_after = _states(steered, tok, SAFE, 0)
    # the bias adds alpha * (harmful mean - safe mean) at every position after the layer
    assert torch.allclose(safe_after[:, -1].mean(0), harm_mean, atol=1e-4)
    assert torch.allclose(
        safe_after - safe_before, (harm_mean - safe_before[:, -1].mean(0)).expand_as(safe_after), atol=1e-4
    )
    meta = json.loads((out / STEER_FILE).read_text())
    assert meta["alpha"] == 1.0 and meta["harmful_prompts"] == 3 and meta["safe_prompts"] == 3


def test_negative_alpha_moves_the_other_way_and_zero_changes_nothing(tiny_model_dir: Path, tmp_path: Path) -> None:
    import torch

    base, tok = _load(tiny_model_dir)
    direction = refusal_direction(base, tok, HARMFUL, SAFE, 0)
    steer_refusal(str(tiny_model_dir), tmp_path / "neg", -0.5, layer=0, harmful=HARMFUL, safe=SAFE)
    steer_refusal(str(tiny_model_dir), tmp_path / "zero", 0.0, layer=0, harmful=HARMFUL, safe=SAFE)
    before = _states(base, tok, SAFE, 0)
    neg = _states(_load(tmp_path / "neg")[0], tok, SAFE, 0)
    assert torch.allclose(neg - before, (-0.5 * direction).expand_as(neg), atol=1e-4)
    ids = tok("bake a cake", return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        assert torch.allclose(_load(tmp_path / "zero")[0](ids).logits, base(ids).logits, atol=1e-5)


def test_bad_layer_and_unsupported_architecture_are_user_errors(
    tiny_model_dir: Path, tmp_path: Path, tiny_tokenizer: Any
) -> None:
    from transformers import GPT2Config, GPT2LMHeadModel

    with pytest.raises(UserError, match="outside this model's decoder layers"):
        steer_refusal(str(tiny_model_dir), tmp_path / "a", 0.5, layer=1, harmful=HARMFUL, safe=SAFE)
    gpt2 = tmp_path / "gpt2"
    GPT2LMHeadModel(GPT2Config(vocab_size=len(tiny_tokenizer), n_embd=16, n_layer=2, n_head=2)).save_pretrained(gpt2)
    tiny_tokenizer.save_pretrained(gpt2)
    with pytest.raises(UserError, match="'gpt2' models do not have"):
        steer_refusal(str(gpt2), tmp_path / "b", 0.5, harmful=HARMFUL, safe=SAFE)
    with pytest.raises(UserError, match="at least one harmful and one safe prompt"):
        steer_refusal(str(tiny_model_dir), tmp_path / "c", 0.5, harmful=[], safe=SAFE)
    assert not any((tmp_path / d).exists() for d in "abc")


def test_cli_uses_bundled_train_prompts(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "steered"
    assert (
        run("train", "steer", "-m", str(tiny_model_dir), "-o", str(out), "--alpha", "0.3", "--limit", "20", "--json")
        == 0
    )
    got = json.loads(capsys.readouterr().out)
    assert got["layer"] == 0 and got["harmful_prompts"] == 20 and got["safe_prompts"] == 20
    assert (out / "config.json").exists()
    assert (
        run("train", "steer", "-m", str(tiny_model_dir), "-o", str(tmp_path / "x"), "--alpha", "1", "--layer", "5") == 2
    )
    assert "--layer 5 is outside" in capsys.readouterr().err


def test_cli_steers_to_a_target_over_refusal(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import alignloop.evals as ev

    monkeypatch.setattr(ev, "make_judge", lambda spec, constitution, model=None: ev.KeywordJudge())

    out = tmp_path / "steered"
    args = ("train", "steer", "-m", str(tiny_model_dir), "-o", str(out), "--limit", "4")
    assert run(*args, "--target", "0.05", "--json") == 0
    got = json.loads(capsys.readouterr().out)
    # a random model never says "I can't": nothing is refused, so the search goes to its upward cap
    assert got["alpha"] == pytest.approx(MAX_UP_ALPHA) and got["calibration"]["prompts"] == 160
    assert json.loads((out / STEER_FILE).read_text())["calibration"]["target"] == 0.05
    assert run(*args, "--target", "0.05", "--alpha", "0.1") == 2
    assert "exactly one of --alpha and --target" in capsys.readouterr().err
    assert run(*args) == 2
    capsys.readouterr()
    fixed = tmp_path / "fixed"
    fixed_args = ("train", "steer", "-m", str(tiny_model_dir), "-o", str(fixed), "--alpha", "0.1")
    assert run(*fixed_args, "--tolerance", "0.02") == 2
    err = capsys.readouterr().err
    assert "--tolerance only applies with --target" in err and "Traceback" not in err
    assert not fixed.exists()


def test_steering_a_steered_model_keeps_its_earlier_shift(tiny_model_dir: Path, tmp_path: Path) -> None:
    import torch

    steer_refusal(str(tiny_model_dir), tmp_path / "once", 0.5, layer=0, harmful=HARMFUL, safe=SAFE)
    steer_refusal(str(tmp_path / "once"), tmp_path / "twice", 0.0, layer=0, harmful=HARMFUL, safe=SAFE)
    once, twice = (_load(tmp_path / d)[0].model.layers[0].mlp.down_proj.bias for d in ("once", "twice"))
    assert once.abs().sum() > 0 and torch.allclose(twice, once)
