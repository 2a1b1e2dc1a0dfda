"""Training under accelerate's sharded strategies (FSDP, DeepSpeed), simulated in one CPU process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


class _Engine:
    """Stands in for DeepSpeed's engine, which holds the module and alone can gather ZeRO-3 shards."""

    def __init__(self, module: Any) -> None:
        self.module = module


class _FakeAccelerator:
    def __init__(self, model: Any) -> None:
        self.model = model
        self.asked: list[Any] = []

    def get_state_dict(self, model: Any) -> dict[str, Any]:
        self.asked.append(model)
        module = model.module if isinstance(model, _Engine) else model
        return {k: v.detach().clone() for k, v in module.state_dict().items()}

    def unwrap_model(self, model: Any) -> Any:
        return model


class _FakeTrainer:
    def __init__(self, model: Any, *, fsdp: bool = True, deepspeed: bool = False, main: bool = True) -> None:
        self.model = model
        self.model_wrapped = _Engine(model) if deepspeed else model
        self.accelerator = _FakeAccelerator(model)
        self.is_fsdp_enabled = fsdp and not deepspeed
        self.is_deepspeed_enabled = deepspeed
        self._main = main

    def is_world_process_zero(self) -> bool:
        return self._main


def _trained_lora(model: Any) -> Any:
    import torch
    from peft import LoraConfig, get_peft_model

    # emulate FSDP2, which swaps the model's class for a generated FSDP<Class> subclass
    model.__class__ = type("FSDPLlamaForCausalLM", (type(model),), {})
    peft = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    with torch.no_grad():  # LoRA B starts at zero: make the adapter change the outputs
        for name, p in peft.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    return peft


def test_gathered_lora_model_merges_to_the_trained_weights(
    tiny_hf_model: Any, tiny_tokenizer: Any, tmp_path: Path
) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from alignloop.train._export import gathered_model, save_merged

    trained = _trained_lora(tiny_hf_model.model)
    ids = torch.tensor([[1, 5, 9, 30, 2]])
    with torch.no_grad():
        want = trained(input_ids=ids).logits
    fresh = gathered_model(_FakeTrainer(trained))
    assert fresh is not fresh.get_base_model()  # PEFT-wrapped like the trained model
    assert not type(fresh.get_base_model()).__name__.startswith("FSDP")
    out = save_merged(fresh, tiny_tokenizer, tmp_path / "model")
    loaded = AutoModelForCausalLM.from_pretrained(out)
    with torch.no_grad():
        got = loaded(input_ids=ids).logits
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


def test_zero3_weights_are_gathered_through_the_deepspeed_engine(tiny_hf_model: Any) -> None:
    import torch

    from alignloop.train._export import gathered_model

    trained = _trained_lora(tiny_hf_model.model)
    trainer = _FakeTrainer(trained, deepspeed=True)
    fresh = gathered_model(trainer)
    # accelerate gathers ZeRO-3 parameters only from the engine, not from the module inside it
    assert trainer.accelerator.asked == [trainer.model_wrapped]
    ids = torch.tensor([[1, 5, 9, 30, 2]])
    with torch.no_grad():
        torch.testing.assert_close(fresh(input_ids=ids).logits, trained(input_ids=ids).logits)


def test_gathered_model_only_when_sharded_and_only_on_the_main_process(tiny_hf_model: Any) -> None:
    from alignloop.train._export import gathered_model

    trained = _trained_lora(tiny_hf_model.model)
    assert gathered_model(_FakeTrainer(trained, fsdp=False)) is None
    assert gathered_model(_FakeTrainer(trained, main=False)) is None


def test_gathered_weights_that_do_not_fit_raise(tiny_hf_model: Any) -> None:
    from alignloop.train._export import gathered_model

    trained = _trained_lora(tiny_hf_model.model)
    trainer = _FakeTrainer(trained)
    full = trainer.accelerator.get_state_dict(trained)
    trainer.accelerator.get_state_dict = lambda m: {k: v for k, v in full.items() if "lora_A" not in k}  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="missing"):
        gathered_model(trainer)


@pytest.mark.parametrize(
    ("env", "sharded"),
    [({}, False), ({"ACCELERATE_USE_FSDP": "true"}, True), ({"ACCELERATE_USE_DEEPSPEED": "true"}, True)],
)
def test_sharded_launches_are_recognised(env: dict[str, str], sharded: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from alignloop._util.hardware import launched_sharded

    for var in ("ACCELERATE_USE_FSDP", "ACCELERATE_USE_DEEPSPEED"):
        monkeypatch.delenv(var, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert launched_sharded() is sharded


@pytest.mark.parametrize(("sharded", "precompute"), [(False, True), (True, False)])
def test_dpo_scores_the_reference_during_training_when_sharded(
    sharded: bool, precompute: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # TRL precomputes before the model is placed: FSDP leaves it on the CPU until training starts,
    # and ZeRO-3's second (inference) engine breaks the training engine's prefetch. The launch
    # variables are not set here: under them TrainingArguments sets up DeepSpeed itself.
    from alignloop.train._dpo import dpo_config
    from alignloop.train._settings import TrainSettings

    monkeypatch.setattr("alignloop.train._dpo.launched_sharded", lambda: sharded)
    assert dpo_config(TrainSettings(), str(tmp_path)).precompute_ref_log_probs is precompute


def test_a_finished_distributed_run_closes_its_process_group() -> None:
    import torch.distributed as dist

    from alignloop._util.hardware import close_distributed

    close_distributed()  # nothing to close: a no-op
    dist.init_process_group("gloo", rank=0, world_size=1, store=dist.HashStore())
    assert dist.is_initialized()
    close_distributed()
    assert not dist.is_initialized()
