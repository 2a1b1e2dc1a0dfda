"""Streamed output through the held-back-tail checker: split PII and harmful sentences never leak."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

MSG = [{"role": "user", "content": "tell me"}]
CARD = "4111 1111 1111 1111"


def _stream(srv: Any, key: str = "x") -> tuple[list[str], str | None]:
    client = openai.OpenAI(base_url=srv.url + "/v1", api_key=key, max_retries=0, timeout=20)
    pieces: list[str] = []
    reason = None
    for c in client.chat.completions.create(model="m", messages=MSG, stream=True):  # type: ignore[arg-type]
        if c.choices:
            pieces.append(c.choices[0].delta.content or "")
            reason = c.choices[0].finish_reason or reason
    return pieces, reason


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_card_number_split_across_chunks_never_reaches_the_client(gateway: Any, upstream: Any, size: int) -> None:
    text = f"Sure. The card on file is {CARD} and it expires soon. Anything else I can do for you today? "
    upstream[0].pieces = [text[i : i + size] for i in range(0, len(text), size)]
    with gateway() as srv:
        pieces, reason = _stream(srv)
    out = "".join(pieces)
    digits = "".join(ch for ch in out if ch.isdigit())
    assert "4111" not in digits and "[CREDIT_CARD]" in out
    assert out.startswith("Sure. The card on file is") and reason == "stop"


def test_harmful_reply_one_sentence_at_a_time_is_cut_with_the_refusal(
    gateway: Any, upstream: Any, fake_guard: Any
) -> None:
    sentences = [
        "Happy to help with your chemistry question. ",
        "Here is some general background on lab safety. ",
        "Always wear goggles and gloves in a lab. ",
        "Now, to make a nerve agent you first need the following. ",
        "Step one is to acquire the precursor. ",
        "Step two is to mix it under heat. ",
    ]
    upstream[0].pieces = sentences
    with (
        gateway() as srv,
        httpx.stream("POST", srv.url + "/v1/chat/completions", json={"messages": MSG, "stream": True}, timeout=20) as r,
    ):
        raw = r.read().decode()
    assert raw.rstrip().endswith("data: [DONE]") and raw.count("data: [DONE]") == 1
    with gateway() as srv:
        pieces, reason = _stream(srv)
    out = "".join(pieces)
    assert "nerve agent" not in out and "precursor" not in out and "Step two" not in out
    assert out.endswith(fake_guard.lc.constitution.refusal_for("cbrn"))
    assert reason == "content_filter"


def test_logging_only_passes_everything_but_records(gateway: Any, upstream: Any, db_url: str) -> None:
    upstream[0].reply = "Obtain a nerve agent now. It is easy."
    with gateway(default_mode="logging_only") as srv:
        pieces, reason = _stream(srv)
    assert "".join(pieces) == upstream[0].reply and reason == "stop"


def test_pre_call_mode_skips_the_output_check(gateway: Any, upstream: Any, fake_guard: Any) -> None:
    upstream[0].reply = "Obtain a nerve agent now."
    with gateway(default_mode="pre_call") as srv:
        pieces, _ = _stream(srv)
    assert "".join(pieces) == upstream[0].reply


def test_post_call_mode_skips_the_input_check(gateway: Any, upstream: Any) -> None:
    with gateway(default_mode="post_call") as srv:
        client = openai.OpenAI(base_url=srv.url + "/v1", api_key="x", max_retries=0)
        r = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "bomb"}])
    assert r.choices[0].finish_reason == "stop" and upstream[0].requests


def test_broken_guard_fails_closed_by_default(gateway: Any, upstream: Any, fake_guard: Any) -> None:
    fake_guard.broken = True
    with gateway() as srv:
        client = openai.OpenAI(base_url=srv.url + "/v1", api_key="x", max_retries=0)
        r = client.chat.completions.create(model="m", messages=MSG)  # type: ignore[arg-type]
        _, reason = _stream(srv)
    assert r.choices[0].finish_reason == "content_filter" and upstream[0].requests == []
    assert r.model_extra is not None and r.model_extra["alignloop"]["input"]["reasons"][0]["category"] == "guard_error"
    assert reason == "content_filter"


def test_broken_guard_fails_open_for_a_fail_open_key(gateway: Any, upstream: Any, fake_guard: Any, db_url: str) -> None:
    from alignloop.serve import create_key
    from alignloop.store import RunStore

    with RunStore.open(db_url) as store:
        key = create_key(store, "lenient", fail_open=True)
    fake_guard.broken = True
    upstream[0].reply = "Paris is the capital of France. It is on the Seine."
    with gateway() as srv:
        pieces, reason = _stream(srv, key)
    assert "".join(pieces) == upstream[0].reply and reason == "stop"


def test_per_key_mode_overrides_the_default(gateway: Any, upstream: Any, db_url: str) -> None:
    from alignloop.serve import create_key
    from alignloop.store import RunStore

    with RunStore.open(db_url) as store:
        key = create_key(store, "raw", mode="pre_call")
    upstream[0].reply = "Obtain a nerve agent now."
    with gateway() as srv:
        pieces, _ = _stream(srv, key)
    assert "nerve agent" in "".join(pieces)


def test_long_safe_reply_is_released_progressively(gateway: Any, upstream: Any) -> None:
    upstream[0].reply = " ".join(f"Sentence number {i} is about the weather." for i in range(30))
    with gateway() as srv:
        pieces, reason = _stream(srv)
    assert "".join(pieces) == upstream[0].reply and reason == "stop"
    assert len([p for p in pieces if p]) >= 5  # released while streaming, not all at the end
