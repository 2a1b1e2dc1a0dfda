"""Shared-prompt packing gives TRL's DPO loss the same per-token outputs and gradients as the padded batch."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import make_tiny_model


def _batch(tokenizer: Any, lengths: list[tuple[int, int, int]], max_length: int | None = None) -> dict[str, Any]:
    """TRL's own collator over random ids: ``(prompt, chosen, rejected)`` lengths per pair."""
    import torch
    from trl.trainer.dpo_trainer import DataCollatorForPreference

    rng = random.Random(0)
    vocab = len(tokenizer)

    def ids(n: int) -> list[int]:
        return [rng.randrange(3, vocab) for _ in range(n)]

    examples = [{"prompt_ids": ids(p), "chosen_ids": ids(c), "rejected_ids": ids(r)} for p, c, r in lengths]
    batch = DataCollatorForPreference(pad_token_id=tokenizer.pad_token_id, max_length=max_length)(examples)
    batch["labels"] = batch["input_ids"].masked_fill(batch["completion_mask"] == 0, -100)
    assert isinstance(batch["input_ids"], torch.Tensor)
    return batch


def _run(model: Any, batch: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """TRL's fused forward as DPO calls it, and the gradient of a loss that weights every token differently."""
    import torch

    model.zero_grad()
    out = model(
        input_ids=batch["input_ids"],
        attention_mask=batch["attention_mask"],
        labels=batch["labels"],
        fused_lm_head=True,
        use_cache=False,
    )
    weights = torch.linspace(0.5, 1.5, out.log_probs.numel()).view_as(out.log_probs)
    (out.log_probs * weights).sum().backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return out, grads


def _models(tokenizer: Any, attn: str, lora: bool, row_tokens: int) -> tuple[Any, Any]:
    """The same tiny model twice, as TRL sets it up (PEFT around it, fused head on the base), one packed."""
    from peft import LoraConfig, get_peft_model
    from trl.trainer.utils import add_fused_lm_head

    from alignloop.train._packed import add_packing

    plain = make_tiny_model(tokenizer)
    plain.config._attn_implementation = attn
    if lora:
        plain = get_peft_model(plain, LoraConfig(r=4, target_modules="all-linear", init_lora_weights=False))
    packed = copy.deepcopy(plain)
    for m in (plain, packed):
        add_fused_lm_head(m.get_base_model() if lora else m, outputs=("log_probs", "entropy", "mean_logits", "is_top1"))
    assert add_packing(packed.get_base_model() if lora else packed, row_tokens=row_tokens)
    return plain, packed


@pytest.fixture
def packed_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Shapes of the packed rows each forward ran on: an empty list means nothing was packed."""
    from alignloop.train import _packed

    calls: list[Any] = []
    pack = _packed.pack_pairs

    def spy(*args: Any, **kw: Any) -> Any:
        out = pack(*args, **kw)
        calls.append(None if out is None else tuple(out.input_ids.shape))
        return out

    monkeypatch.setattr(_packed, "pack_pairs", spy)
    return calls


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
@pytest.mark.parametrize("row_tokens", [1, 512])
@pytest.mark.parametrize("lora", [False, True])
def test_packed_forward_matches_padded(
    tiny_tokenizer: Any, attn: str, row_tokens: int, lora: bool, packed_calls: list[Any]
) -> None:
    import torch

    # varied prompt and reply lengths, one reply much longer than its partner, one pair cut at max length
    lengths = [(5, 3, 9), (12, 7, 2), (1, 4, 4), (20, 30, 25)]
    batch = _batch(tiny_tokenizer, lengths, max_length=40)
    plain, packed = _models(tiny_tokenizer, attn, lora, row_tokens)

    want, want_grads = _run(plain, batch)
    got, got_grads = _run(packed, batch)

    # it really ran packed: one pair per row, or every pair in one row without padding
    sizes = [min(p + c, 40) + min(p + r, 40) - p + 1 for p, c, r in lengths]  # prompt once, one token repeated
    rows = (4, max(sizes)) if row_tokens == 1 else (1, sum(sizes))
    assert packed_calls and set(packed_calls) == {rows}

    assert got.log_probs.shape == want.log_probs.shape
    # every scored position is filled, and nothing else
    assert torch.equal(got.log_probs != 0, batch["completion_mask"][:, 1:].bool())
    torch.testing.assert_close(got.log_probs, want.log_probs, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(got.entropy, want.entropy, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(got.mean_logits, want.mean_logits, atol=1e-5, rtol=1e-5)
    assert torch.equal(got.is_top1, want.is_top1)
    assert torch.equal(got.label_mask, want.label_mask)
    torch.testing.assert_close(got.loss, want.loss, atol=1e-5, rtol=1e-5)
    assert want_grads.keys() == got_grads.keys()
    for name, g in want_grads.items():
        torch.testing.assert_close(got_grads[name], g, atol=1e-5, rtol=1e-4, msg=name)


def test_pack_pairs_encodes_each_prompt_once(tiny_tokenizer: Any) -> None:
    from alignloop.train._packed import pack_pairs

    batch = _batch(tiny_tokenizer, [(10, 4, 6), (8, 5, 5)])
    packed = pack_pairs(batch["input_ids"], batch["attention_mask"], batch["labels"], row_tokens=512)
    assert packed is not None
    # one row: each pair is its prompt, both replies and one repeated prompt token
    assert packed.input_ids.shape == (1, (10 + 4 + 6 + 1) + (8 + 5 + 5 + 1))
    assert packed.position_ids[0, :21].tolist() == list(range(14)) + list(range(9, 16))
    mask = packed.attention_mask[0, 0]
    assert not mask[20, 10:14].any()  # the rejected reply does not see the chosen one
    assert mask[20, :9].all()  # but sees the shared prompt
    assert not mask[21:, :21].any()  # the second pair sees nothing of the first


def test_unpackable_batches_fall_back(tiny_tokenizer: Any) -> None:
    from alignloop.train._packed import add_packing, pack_pairs

    batch = _batch(tiny_tokenizer, [(5, 3, 9), (12, 7, 2)])
    ids, att, labels = batch["input_ids"], batch["attention_mask"], batch["labels"]
    assert pack_pairs(ids[:3], att[:3], labels[:3]) is None  # odd number of rows
    other = ids.clone()
    other[2, 0] = (other[2, 0] + 1) % len(tiny_tokenizer)  # the rejected row's prompt differs
    assert pack_pairs(other, att, labels) is None
    assert pack_pairs(ids.flip(1), att.flip(1), labels.flip(1)) is None  # padded on the left

    model = make_tiny_model(tiny_tokenizer)
    model.config._attn_implementation = "flash_attention_2"
    assert not add_packing(model)


def test_packing_turns_itself_off_when_the_model_reads_it_differently(
    tiny_tokenizer: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import torch
    from trl.trainer.utils import add_fused_lm_head

    from alignloop.train import _packed

    # stands in for an architecture that ignores the custom mask: every token sees every other
    monkeypatch.setattr(_packed, "_mask_for", lambda attn, mask, dtype: torch.ones_like(mask))
    batch = _batch(tiny_tokenizer, [(5, 3, 9), (12, 7, 2)])
    plain = make_tiny_model(tiny_tokenizer)
    add_fused_lm_head(plain)
    packed = copy.deepcopy(plain)
    assert _packed.add_packing(packed)
    want, _ = _run(plain, batch)
    with caplog.at_level("WARNING", logger="alignloop.train"):
        first, _ = _run(packed, batch)
        second, _ = _run(packed, batch)
    assert "training without it" in caplog.text
    torch.testing.assert_close(first.log_probs, want.log_probs)
    torch.testing.assert_close(second.log_probs, want.log_probs)


def test_packed_dpo_trains_to_the_same_weights(
    tiny_model_dir: Path, tmp_path: Path, pairs: Any, packed_calls: list[Any]
) -> None:
    import torch
    from safetensors.torch import load_file

    from alignloop.train import TrainSettings, train_dpo

    s = TrainSettings(batch_size=4, max_steps=2, save_steps=10, learning_rate=1e-2, logging_steps=1)
    padded = train_dpo(str(tiny_model_dir), pairs, tmp_path / "padded", s, pack=False, merge=False)
    assert packed_calls == []
    packed = train_dpo(str(tiny_model_dir), pairs, tmp_path / "packed", s, merge=False)
    # both training steps ran packed; the precomputed reference pass stays padded (_trainers)
    assert len([c for c in packed_calls if c is not None]) == 2
    assert padded.adapter_dir and packed.adapter_dir
    want = load_file(str(padded.adapter_dir / "adapter_model.safetensors"))
    got = load_file(str(packed.adapter_dir / "adapter_model.safetensors"))
    assert want.keys() == got.keys()
    assert any((w != 0).any() for w in want.values())
    for k, w in want.items():
        torch.testing.assert_close(got[k], w, atol=1e-4, rtol=1e-3, msg=k)
