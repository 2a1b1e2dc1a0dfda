"""Auth, rate and size limits, and upstream faults, each with its OpenAI-shaped error and status."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from alignloop.serve import create_key, revoke_key
from alignloop.store import RunStore

MSG = [{"role": "user", "content": "hi"}]


def _post(srv: Any, body: Any, key: str | None = None, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(srv.url + "/v1/chat/completions", json=body, headers=headers, timeout=20, **kw)


def test_keys_required_once_one_exists(gateway: Any, db_url: str) -> None:
    with RunStore.open(db_url) as store:
        key = create_key(store, "alice")
    with gateway() as srv:
        assert _post(srv, {"messages": MSG}).status_code == 401
        bad = _post(srv, {"messages": MSG}, key="alk-wrong")
        assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_api_key"
        assert _post(srv, {"messages": MSG}, key=key).status_code == 200
        with RunStore.open(db_url) as store:
            revoke_key(store, "alice")
        srv.gateway.keys.refresh()  # instead of waiting REFRESH_S
        assert _post(srv, {"messages": MSG}, key=key).status_code == 401


def test_sdk_sees_authentication_error(gateway: Any, db_url: str) -> None:
    with RunStore.open(db_url) as store:
        create_key(store, "alice")
    with gateway() as srv:
        client = openai.OpenAI(base_url=srv.url + "/v1", api_key="nope", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            client.chat.completions.create(model="m", messages=MSG)  # type: ignore[arg-type]


def test_rate_limit_answers_429_with_retry_after(gateway: Any, db_url: str) -> None:
    with RunStore.open(db_url) as store:
        key = create_key(store, "bob", rate="2/min")
    with gateway() as srv:
        codes = [_post(srv, {"messages": MSG}, key=key) for _ in range(3)]
    assert [r.status_code for r in codes] == [200, 200, 429]
    assert int(codes[2].headers["Retry-After"]) >= 1
    assert codes[2].json()["error"]["type"] == "rate_limit_error"


def test_body_and_message_count_limits_answer_413(gateway: Any) -> None:
    with gateway(max_body_bytes=2000, max_messages=3) as srv:
        big = _post(srv, {"messages": [{"role": "user", "content": "x" * 5000}]})
        many = _post(srv, {"messages": MSG * 4})
        ok = _post(srv, {"messages": MSG * 3})
    assert big.status_code == 413 and big.json()["error"]["code"] == "request_too_large"
    assert many.status_code == 413
    assert ok.status_code == 200


def test_slow_upstream_answers_504(gateway: Any, upstream: Any) -> None:
    upstream[0].mode, upstream[0].delay = "slow", 3.0
    with gateway(timeout_s=0.5) as srv:
        r = _post(srv, {"messages": MSG})
    assert r.status_code == 504 and r.json()["error"]["code"] == "upstream_timeout"


def test_upstream_500_answers_502(gateway: Any, upstream: Any) -> None:
    upstream[0].mode = "error"
    with gateway() as srv:
        r = _post(srv, {"messages": MSG})
        client = openai.OpenAI(base_url=srv.url + "/v1", api_key="x", max_retries=0)
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="m", messages=MSG)  # type: ignore[arg-type]
    assert r.status_code == 502 and r.json()["error"]["type"] == "upstream_error"


def test_upstream_500_on_a_stream_is_502(gateway: Any, upstream: Any) -> None:
    upstream[0].mode = "error"
    with (
        gateway() as srv,
        httpx.stream("POST", srv.url + "/v1/chat/completions", json={"messages": MSG, "stream": True}, timeout=20) as r,
    ):
        body = r.read().decode()
    assert r.status_code == 200  # headers went out before the model answered
    assert '"upstream_error"' in body and body.rstrip().endswith("data: [DONE]")


def test_upstream_drop_mid_stream_is_an_error_event(gateway: Any, upstream: Any) -> None:
    upstream[0].mode = "drop"
    upstream[0].reply = "One. Two. Three. Four. Five. Six. Seven. Eight."
    with gateway() as srv:
        client = openai.OpenAI(base_url=srv.url + "/v1", api_key="x", max_retries=0)
        got = []
        with pytest.raises(openai.APIError, match=r"stream broke|without"):
            for c in client.chat.completions.create(model="m", messages=MSG, stream=True):  # type: ignore[arg-type]
                got.append(c.choices[0].delta.content or "")
    # held-back text is not released when the stream breaks (fail-closed)
    assert "Eight" not in "".join(got)


def test_bad_json_is_400(gateway: Any) -> None:
    with gateway() as srv:
        r = httpx.post(srv.url + "/v1/chat/completions", content=b"{nope", timeout=20)
        r2 = _post(srv, {"messages": []})
    assert r.status_code == 400 and "error" in r.json()
    assert r2.status_code == 400
