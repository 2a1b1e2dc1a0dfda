from __future__ import annotations

from pathlib import Path
from typing import Any

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


def test_fallback_chat_template(tiny_hf_model: HFChatModel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tiny_hf_model.tokenizer, "chat_template", None)  # the tokenizer is shared by the session
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
    import torch

    prompt = tiny_hf_model.tokenizer(tiny_hf_model.render(convs[0]), return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():  # the greedy first token (its text may be empty: a special token decodes to "")
        first_token = int(tiny_hf_model.model(**prompt).logits[0, -1].argmax())
    tiny_hf_model.model.generation_config.eos_token_id = first_token
    again = tiny_hf_model.complete(convs[:1], cfg)
    assert again[0].finished is True and not again[0].cut
    assert tiny_hf_model.generate(convs[:1], cfg) == [again[0].text]


def _oom_above(monkeypatch: pytest.MonkeyPatch, model: HFChatModel, method: str, limit: int) -> list[int]:
    """Make ``model.model.<method>`` raise torch's OOM for batches larger than ``limit``; return sizes seen."""
    import torch

    seen: list[int] = []
    target = model.model
    original = getattr(target, method)

    def guarded(*args: Any, **kw: Any) -> Any:
        n = int(kw["input_ids"].shape[0])
        seen.append(n)
        if n > limit:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return original(*args, **kw)

    if method == "__call__":
        monkeypatch.setattr(type(target), "__call__", lambda self, *a, **k: guarded(*a, **k))
    else:
        monkeypatch.setattr(target, method, guarded)
    return seen


def test_generation_out_of_memory_halves_the_batch_and_keeps_every_answer(
    tiny_hf_model: HFChatModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    convs = [[{"role": "user", "content": f"question number {i} " + "x " * i}] for i in range(7)]
    cfg = GenerationConfig(max_new_tokens=3)
    expected = tiny_hf_model.generate(convs, cfg)  # batch size 4, no memory limit
    seen = _oom_above(monkeypatch, tiny_hf_model, "generate", 2)
    got = tiny_hf_model.generate(convs, cfg)
    assert got == expected  # greedy: the same answers, in input order, whatever the batching
    assert seen[:3] == [4, 2, 2] and max(seen[1:]) <= 2
    assert tiny_hf_model.batch_size == 2  # the smaller size sticks for the next call
    tiny_hf_model.generate(convs[:3], cfg)
    assert max(seen[-2:]) == 2


def test_logprobs_out_of_memory_halves_the_batch(tiny_hf_model: HFChatModel, monkeypatch: pytest.MonkeyPatch) -> None:
    convs = [[{"role": "user", "content": f"q{i}"}] for i in range(5)]
    conts = [f"answer {i}" for i in range(5)]
    expected = tiny_hf_model.logprobs(convs, conts)
    _oom_above(monkeypatch, tiny_hf_model, "__call__", 1)
    assert tiny_hf_model.logprobs(convs, conts) == pytest.approx(expected, abs=1e-4)
    assert tiny_hf_model.batch_size == 1


def test_out_of_memory_at_batch_one_is_a_user_error(
    tiny_hf_model: HFChatModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    _oom_above(monkeypatch, tiny_hf_model, "generate", 0)
    with pytest.raises(ModelError, match="out of memory generating with tiny even one prompt at a time"):
        tiny_hf_model.generate([[{"role": "user", "content": "hi"}]] * 3, GenerationConfig(max_new_tokens=2))
    _oom_above(monkeypatch, tiny_hf_model, "__call__", 0)
    with pytest.raises(ModelError, match="out of memory scoring log-probabilities with tiny"):
        tiny_hf_model.logprobs([[{"role": "user", "content": "hi"}]], ["hello"])


def test_other_runtime_errors_are_not_retried(tiny_hf_model: HFChatModel, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*a: Any, **k: Any) -> Any:
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    monkeypatch.setattr(tiny_hf_model.model, "generate", broken)
    with pytest.raises(RuntimeError, match="shapes"):
        tiny_hf_model.generate([[{"role": "user", "content": "hi"}]] * 3, GenerationConfig(max_new_tokens=2))
    assert tiny_hf_model.batch_size == 4


def test_templates_that_reject_a_system_turn_get_it_folded_into_the_user_turn(
    tiny_hf_model: HFChatModel, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jinja2

    tok = tiny_hf_model.tokenizer  # shared by the session: monkeypatch puts its template back
    gemma_like = "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    monkeypatch.setattr(tok, "chat_template", gemma_like + tok.chat_template)
    conv = [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"}]
    with caplog.at_level("WARNING", logger="alignloop.models"):
        text = tiny_hf_model.render(conv)  # type: ignore[arg-type]
        again = tiny_hf_model.render(conv)  # type: ignore[arg-type]
    assert text == again == tiny_hf_model.render([{"role": "user", "content": "Be kind.\n\nHi"}])
    assert sum("rejects a system turn" in r.message for r in caplog.records) == 1
    assert len(tiny_hf_model.complete([conv], GenerationConfig(max_new_tokens=2))) == 1
    monkeypatch.setattr(tok, "chat_template", "{{ raise_exception('broken template') }}")  # raised as is
    with pytest.raises(jinja2.TemplateError, match="broken template"):
        tiny_hf_model.render([{"role": "user", "content": "Hi"}])
