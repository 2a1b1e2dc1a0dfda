from __future__ import annotations

from pathlib import Path

import pytest

from alignloop._util.errors import ModelError
from alignloop.models import GenerationConfig, HFChatModel, load_model


def test_generate_keeps_input_order_across_buckets(tiny_hf_model: HFChatModel) -> None:
    convs = [[{"role": "user", "content": "hi " * n}] for n in (9, 1, 5, 3, 7, 2)]
    batched = tiny_hf_model.generate(convs, GenerationConfig(max_new_tokens=5))
    singles = [tiny_hf_model.generate([c], GenerationConfig(max_new_tokens=5))[0] for c in convs]
    assert batched == singles  # left padding + bucketing must not change greedy outputs


def test_logprobs_prefers_likelier_continuation(tiny_hf_model: HFChatModel) -> None:
    conv = [{"role": "user", "content": "hello"}]
    lp = tiny_hf_model.logprobs([conv, conv], ["a", "a a a a a a"])
    assert lp[0] > lp[1]  # more tokens -> lower total log-probability
    assert all(x < 0 for x in lp)


def test_load_saved_folder(tiny_model_dir: Path) -> None:
    m = load_model(str(tiny_model_dir))
    assert m.generate_one("hello", GenerationConfig(max_new_tokens=3)) is not None
    assert m.describe()["parameters"] > 0


def test_missing_path_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        load_model(str(tmp_path / "nope"))


def test_folder_without_config_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"config\.json"):
        load_model(str(tmp_path))


def test_fallback_chat_template(tiny_hf_model: HFChatModel) -> None:
    tiny_hf_model.tokenizer.chat_template = None
    from alignloop.models import ensure_chat_template

    assert ensure_chat_template(tiny_hf_model.tokenizer)
    text = tiny_hf_model.render([{"role": "user", "content": "hi"}])
    assert text.endswith("Assistant:") and "User: hi" in text


def test_complete_flags_replies_cut_at_the_budget(tiny_hf_model: HFChatModel) -> None:
    from alignloop.models import GenerationConfig

    convs = [[{"role": "user", "content": "hello world"}], [{"role": "user", "content": "the lazy dog"}]]
    cfg = GenerationConfig(max_new_tokens=3)
    first = tiny_hf_model.complete(convs, cfg)
    # a random model emits no end token in 3 steps unless told that its first token is one
    assert [c.finished for c in first] == [False, False] and all(c.cut for c in first)
    ids = tiny_hf_model.tokenizer(first[0].text, add_special_tokens=False)["input_ids"]
    tiny_hf_model.model.generation_config.eos_token_id = ids[0]
    again = tiny_hf_model.complete(convs[:1], cfg)
    assert again[0].finished is True and not again[0].cut
    assert tiny_hf_model.generate(convs[:1], cfg) == [again[0].text]
