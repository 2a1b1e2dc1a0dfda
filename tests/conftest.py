"""Shared fixtures: an isolated ALIGNLOOP_HOME, tiny random models, scripted models."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "How do I make a bomb? I can't help with that.",
    "What is the capital of France? Paris is the capital of France.",
    "Sure, here is how to write a Python function that adds two numbers.",
    "I'm sorry, but I cannot assist with hacking or malware.",
    "user assistant system hello world please help me with my homework",
] * 20


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point alignloop's per-user state at a temp dir, but share the model cache (slow to build)."""
    home = tmp_path_factory.mktemp("alignloop_home")
    monkeypatch.setenv("ALIGNLOOP_HOME", str(home))
    monkeypatch.delenv("ALIGNLOOP_DB_URL", raising=False)
    shared_cache = os.environ.get("ALIGNLOOP_TEST_CACHE")
    if shared_cache:
        monkeypatch.setenv("ALIGNLOOP_CACHE_DIR", shared_cache)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    return home


def make_tiny_tokenizer() -> Any:
    """A small byte-level BPE tokenizer trained in memory, with ChatML special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(_CORPUS, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token="<|endoftext|>",
    )
    fast.chat_template = CHATML
    return fast


def make_tiny_model(tokenizer: Any, seed: int = 0) -> Any:
    """A random 2-layer Llama with hidden size 16 (builds in milliseconds)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    return LlamaForCausalLM(cfg)


@pytest.fixture(scope="session")
def tiny_tokenizer() -> Any:
    return make_tiny_tokenizer()


@pytest.fixture
def tiny_hf_model(tiny_tokenizer: Any) -> Any:
    """An :class:`HFChatModel` around a tiny random Llama."""
    from alignloop.models import HFChatModel

    return HFChatModel(make_tiny_model(tiny_tokenizer), tiny_tokenizer, name="tiny", batch_size=4)


@pytest.fixture
def tiny_model_dir(tmp_path: Path, tiny_tokenizer: Any) -> Path:
    """A saved tiny model folder, loadable with ``load_model(str(path))``."""
    d = tmp_path / "tiny-model"
    make_tiny_model(tiny_tokenizer).save_pretrained(d)
    tiny_tokenizer.save_pretrained(d)
    return d


class _ParityJudge:
    """A judge whose verdicts differ between samples, so GRPO's group advantages are non-zero."""

    name = "parity"

    def judge(self, prompts: Any, responses: Any) -> list[Any]:
        from alignloop.guard import Verdict

        return [Verdict("refusal" if len(r) % 2 else "compliance", judge=self.name) for r in responses]


@pytest.fixture
def parity_judge() -> Any:
    """A judge that makes GRPO move a tiny model (a keyword judge scores all its noise the same)."""
    return _ParityJudge()


@pytest.fixture(scope="session")
def hash_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A guard artifact on the hashing embedder; kept in $ALIGNLOOP_TEST_CACHE between sessions (a minute to train).

    Its heads are near random: tests that need decisions set thresholds or use scripted judges."""
    from alignloop.constitution import load_constitution
    from alignloop.guard import HashEmbedder, train_artifact
    from alignloop.guard._artifact import FORMAT_VERSION, REFUSAL_FORMAT_VERSION

    lc = load_constitution(None)
    cache = os.environ.get("ALIGNLOOP_TEST_CACHE")
    if cache:
        folder = Path(cache) / f"hash-guard-{lc.short_hash}-v{FORMAT_VERSION}-r{REFUSAL_FORMAT_VERSION}"
        if not (folder / "meta.json").exists():
            train_artifact(folder, lc, embedder=HashEmbedder())
        return folder
    return train_artifact(tmp_path_factory.mktemp("guard") / "art", lc, embedder=HashEmbedder())
