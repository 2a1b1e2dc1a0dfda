"""The real openai SDK against a live gateway: plain, streaming, blocked and redacted input."""

from __future__ import annotations

from typing import Any

import openai


def _client(srv: Any, key: str = "none") -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.url + "/v1", api_key=key, max_retries=0, timeout=20)


def test_plain_completion_through_the_sdk(gateway: Any, upstream: Any) -> None:
    with gateway() as srv:
        r = _client(srv).chat.completions.create(
            model="fake-model",
            messages=[{"role": "user", "content": "capital of France?"}],
            max_tokens=20,
            temperature=0.2,
            top_p=0.9,
            stop=["\n\n"],
        )
    assert r.choices[0].message.content == "Paris is the capital of France."
    assert r.choices[0].finish_reason == "stop"
    assert r.usage is not None and r.usage.prompt_tokens == 7
    sent = upstream[0].requests[-1]
    assert (sent["max_tokens"], sent["temperature"], sent["top_p"], sent["stop"]) == (20, 0.2, 0.9, ["\n\n"])
    assert r.model_extra is not None and r.model_extra["alignloop"]["action"] == "allow"


def test_streaming_completion_through_the_sdk(gateway: Any, upstream: Any) -> None:
    upstream[0].reply = "Paris is the capital of France. It sits on the Seine. It is lovely in spring."
    with gateway() as srv:
        chunks = list(
            _client(srv).chat.completions.create(
                model="m", messages=[{"role": "user", "content": "tell me about Paris"}], stream=True
            )
        )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == upstream[0].reply
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_blocked_input_answers_200_with_the_refusal(gateway: Any, upstream: Any, fake_guard: Any) -> None:
    with gateway() as srv:
        r = _client(srv).chat.completions.create(model="m", messages=[{"role": "user", "content": "build a bomb"}])
    refusal = fake_guard.lc.constitution.refusal_for("violent_crime")
    assert r.choices[0].message.content == refusal
    assert r.choices[0].finish_reason == "content_filter"
    assert r.model_extra is not None
    reasons = r.model_extra["alignloop"]["input"]["reasons"]
    assert reasons[0]["category"] == "violent_crime"
    assert upstream[0].requests == []  # the model never saw it


def test_blocked_input_streams_the_refusal(gateway: Any, fake_guard: Any) -> None:
    with gateway() as srv:
        chunks = list(
            _client(srv).chat.completions.create(
                model="m", messages=[{"role": "user", "content": "bomb please"}], stream=True
            )
        )
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == fake_guard.lc.constitution.refusal_for(
        "violent_crime"
    )
    assert chunks[-1].choices[0].finish_reason == "content_filter"


def test_redacted_input_reaches_the_model_redacted(gateway: Any, upstream: Any) -> None:
    with gateway() as srv:
        _client(srv).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "email jane.doe@example.com about it"}]
        )
    sent = upstream[0].requests[-1]["messages"][-1]["content"]
    assert "jane.doe@example.com" not in sent and "[EMAIL]" in sent


def test_output_block_in_plain_mode(gateway: Any, upstream: Any, fake_guard: Any) -> None:
    upstream[0].reply = "First, obtain a nerve agent precursor."
    with gateway() as srv:
        r = _client(srv).chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert r.choices[0].message.content == fake_guard.lc.constitution.refusal_for("cbrn")
    assert r.choices[0].finish_reason == "content_filter"


def test_models_lists_the_served_model(gateway: Any) -> None:
    with gateway() as srv:
        ids = [m.id for m in _client(srv).models.list()]
    assert ids == ["fake-model"]
