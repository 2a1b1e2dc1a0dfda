"""``POST /v1/chat/completions``: guard the input, call the model, guard the output (streamed or not)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from alignloop.guard import Decision
from alignloop.serve._backends import StreamEnd
from alignloop.serve._errors import GatewayError, error_body
from alignloop.serve._exchange import Exchange, record
from alignloop.serve._guarding import strongest
from alignloop.serve._modes import checks_input, checks_output

if TYPE_CHECKING:
    from alignloop.serve._app import Gateway

FEED_CHARS = 128
"""Upstream deltas are fed to the streaming checker in pieces of at least this many characters. Each feed
costs one guard pass over the pending window, and the checker holds back the last 96 characters anyway,
so feeding smaller pieces would add passes without releasing text sooner (measured: 4 passes -> 1-2
for a 100-character reply, see docs/serve.md)."""


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return "" if content is None else str(content)


def parse_request(body: Any, max_messages: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Validate a chat request: its messages (content as text) and the generation parameters."""
    if not isinstance(body, dict):
        raise GatewayError(400, "the body must be a JSON object")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise GatewayError(400, "'messages' must be a non-empty list")
    if len(msgs) > max_messages:
        msg = f"{len(msgs)} messages; this gateway takes at most {max_messages}"
        raise GatewayError(413, msg, code="too_many_messages")
    out = []
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise GatewayError(400, f"messages[{i}] must be an object with a 'role'")
        out.append({"role": m["role"], "content": _text_of(m.get("content"))})
    if body.get("n", 1) not in (1, None):
        raise GatewayError(400, "only n=1 is supported")
    return out, body


def _last_user(msgs: list[dict[str, Any]]) -> str:
    return next((m["content"] for m in reversed(msgs) if m["role"] == "user"), "")


def _base(model: str, cid: str) -> dict[str, Any]:
    return {"id": cid, "created": int(time.time()), "model": model}


def _completion(model: str, text: str, reason: str, ex: Exchange) -> dict[str, Any]:
    usage = None
    if ex.input_tokens is not None or ex.output_tokens is not None:
        i, o = ex.input_tokens or 0, ex.output_tokens or 0
        usage = {"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o}
    return {
        **_base(model, f"chatcmpl-{uuid.uuid4().hex[:24]}"),
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": reason}],
        "usage": usage,
        "alignloop": ex.alignloop_field(),
    }


async def guard_input(gw: Gateway, ex: Exchange) -> Decision | None:
    """Check the user messages; apply a redaction to ``ex.messages`` when the mode acts on input.

    Returns the strongest decision, or None when the mode skips the input check.
    """
    if not (checks_input(ex.policy.mode) or ex.policy.mode == "logging_only"):
        return None
    idx = [i for i, m in enumerate(ex.messages) if m["role"] == "user" and m["content"].strip()]
    if not idx:
        return None
    t0 = time.perf_counter()
    ds = await gw.checks.inputs([ex.messages[i]["content"] for i in idx], ex.policy)
    ex.guard_in_ms = (time.perf_counter() - t0) * 1000
    top = strongest(ds)
    assert top is not None
    ex.decisions["input"] = top
    if checks_input(ex.policy.mode):
        for i, d in zip(idx, ds, strict=True):
            if d.action == "redact":
                ex.upstream_messages[i] = {**ex.messages[i], "content": d.text}
    return top


async def complete(gw: Gateway, body: dict[str, Any], ex: Exchange) -> dict[str, Any]:
    """A non-streamed chat completion."""
    model = str(body.get("model") or gw.backend.model)
    try:
        d_in = await guard_input(gw, ex)
        if d_in is not None and d_in.action == "block" and checks_input(ex.policy.mode):
            ex.response, ex.finish_reason = d_in.text, "content_filter"
            return _completion(model, d_in.text, "content_filter", ex)
        reply = await gw.backend.complete({**body, "messages": ex.upstream_messages})
        ex.upstream_ms = reply.upstream_ms
        ex.input_tokens, ex.output_tokens = reply.input_tokens, reply.output_tokens
        text, reason = reply.text, reply.finish_reason
        if checks_output(ex.policy.mode) or ex.policy.mode == "logging_only":
            t0 = time.perf_counter()
            d = await gw.checks.output(_last_user(ex.messages), text, ex.policy)
            ex.guard_out_ms = (time.perf_counter() - t0) * 1000
            ex.decisions["output"] = d
            if checks_output(ex.policy.mode) and d.action in ("block", "redact"):
                text = d.text
                reason = "content_filter" if d.action == "block" else reason
        ex.response, ex.finish_reason = text, reason
        return _completion(model, text, reason, ex)
    except GatewayError as e:
        ex.status_code, ex.error = e.status, e.message
        raise
    finally:
        record(gw, ex)


def _sse(obj: dict[str, Any] | str) -> bytes:
    data = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)
    return f"data: {data}\n\n".encode()


class _Chunks:
    """Builds ``chat.completion.chunk`` events of one stream."""

    def __init__(self, model: str) -> None:
        self.base = {**_base(model, f"chatcmpl-{uuid.uuid4().hex[:24]}"), "object": "chat.completion.chunk"}
        self.first = True

    def delta(self, text: str) -> bytes:
        d: dict[str, Any] = {"content": text}
        if self.first:
            d["role"] = "assistant"
            self.first = False
        return _sse({**self.base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]})

    def end(self, reason: str, ex: Exchange) -> bytes:
        return _sse(
            {
                **self.base,
                "choices": [{"index": 0, "delta": {}, "finish_reason": reason}],
                "alignloop": ex.alignloop_field(),
            }
        )

    def usage(self, ex: Exchange) -> bytes:
        i, o = ex.input_tokens or 0, ex.output_tokens or 0
        usage = {"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o}
        return _sse({**self.base, "choices": [], "usage": usage})


async def stream(gw: Gateway, body: dict[str, Any], ex: Exchange) -> AsyncIterator[bytes]:
    """A streamed chat completion: SSE chunks ending in ``data: [DONE]``.

    In ``post_call``/``both`` the reply goes through the held-back-tail checker, so only text that
    can no longer change the decision leaves; a block ends the stream with the refusal.
    """
    model = str(body.get("model") or gw.backend.model)
    chunks = _Chunks(model)
    want_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    shown: list[str] = []
    try:
        d_in = await guard_input(gw, ex)
        if d_in is not None and d_in.action == "block" and checks_input(ex.policy.mode):
            ex.response, ex.finish_reason = d_in.text, "content_filter"
            yield chunks.delta(d_in.text)
            yield chunks.end("content_filter", ex)
            yield _sse("[DONE]")
            return
        acting = checks_output(ex.policy.mode)
        checker = _Checker(gw, ex) if acting else None
        full: list[str] = []
        pending = ""
        end = StreamEnd()
        t_up = time.perf_counter()
        upstream = gw.backend.stream({**body, "messages": ex.upstream_messages})
        try:
            async for item in upstream:
                if isinstance(item, StreamEnd):
                    end = item
                    continue
                full.append(item)
                if checker is None:
                    shown.append(item)
                    yield chunks.delta(item)
                    continue
                pending += item
                if len(pending) >= FEED_CHARS:
                    out = await checker.feed(pending)
                    pending = ""
                    if out:
                        shown.append(out)
                        yield chunks.delta(out)
                    if checker.blocked:
                        break
        finally:
            await upstream.aclose()  # type: ignore[attr-defined]  # a block stops the model's stream at once
        ex.upstream_ms = (time.perf_counter() - t_up) * 1000 - ex.guard_out_ms
        ex.input_tokens, ex.output_tokens = end.input_tokens, end.output_tokens
        reason = end.finish_reason
        if checker is not None:
            if not checker.blocked:
                out = (await checker.feed(pending) if pending else "") + await checker.finish()
                if out:
                    shown.append(out)
                    yield chunks.delta(out)
            if checker.blocked:
                reason = "content_filter"
        elif ex.policy.mode == "logging_only":
            t0 = time.perf_counter()
            ex.decisions["output"] = await gw.checks.output(_last_user(ex.messages), "".join(full), ex.policy)
            ex.guard_out_ms = (time.perf_counter() - t0) * 1000
        ex.response, ex.finish_reason = "".join(shown), reason
        yield chunks.end(reason, ex)
        if want_usage:
            yield chunks.usage(ex)
        yield _sse("[DONE]")
    except GatewayError as e:
        # headers are gone: the error travels as an SSE event, which the openai SDK raises as APIError
        ex.status_code, ex.error = e.status, e.message
        ex.response, ex.finish_reason = "".join(shown), "error"
        yield _sse(json.dumps(error_body(e.message, e.type, e.code)))
        yield _sse("[DONE]")
    finally:
        if ex.response is None:  # the client went away mid-stream
            ex.response, ex.finish_reason = "".join(shown), "client_disconnected"
        record(gw, ex)


class _Checker:
    """The guard's streaming checker, run in a worker thread, under the key's fault policy."""

    def __init__(self, gw: Gateway, ex: Exchange) -> None:
        self.gw = gw
        self.ex = ex
        self.blocked = False
        self.broken = False
        self.pending = ""
        """Text fed but not yet released: a fail-open fault releases it unchecked."""
        self.inner: Any = None
        try:
            self.inner = gw.checks.stream(_last_user(ex.messages))
        except Exception as e:
            self._fault(e)

    def _fault(self, e: BaseException, text: str = "") -> str:
        from alignloop.serve._guarding import fault_decision

        d = fault_decision("", e, self.ex.policy.fail_open, self.gw.checks.refusal)
        self.ex.decisions["output"] = d
        self.broken = True
        if d.action == "block":
            self.blocked = True
            return "\n" + d.text
        out, self.pending = self.pending + text, ""
        return out

    async def _call(self, fn: Any, *args: Any) -> str:
        t0 = time.perf_counter()
        try:
            out = str(await self.gw.checks.run(fn, *args))
        except Exception as e:
            return self._fault(e, *args)
        finally:
            self.ex.guard_out_ms += (time.perf_counter() - t0) * 1000
        buf, released = getattr(self.inner, "buffer", None), getattr(self.inner, "released", None)
        self.pending = buf[released:] if isinstance(buf, str) and isinstance(released, int) else ""
        d = getattr(self.inner, "decision", None)
        if d is not None:
            self.ex.decisions["output"] = d
            if d.action == "block":
                self.blocked = True
        return out

    async def feed(self, text: str) -> str:
        if self.broken:
            return "" if self.blocked else text  # fail-open: the rest passes unchecked
        return await self._call(self.inner.feed, text)

    async def finish(self) -> str:
        if self.broken:
            return ""
        return await self._call(self.inner.finish)
