"""What the gateway calls: an upstream OpenAI-compatible endpoint (proxied with httpx) or a local model.

Both give :meth:`Backend.complete` (one reply) and :meth:`Backend.stream` (text deltas, then the
finish reason). Faults become :class:`GatewayError`: a timeout 504, anything else 502.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from alignloop.models import ChatModel, GenerationConfig, Message
from alignloop.serve._errors import GatewayError, upstream_failed, upstream_timeout


@dataclass
class Reply:
    """A finished model reply."""

    text: str
    finish_reason: str = "stop"
    input_tokens: int | None = None
    output_tokens: int | None = None
    upstream_ms: float = 0.0


@dataclass
class StreamEnd:
    """The last item of a stream: how it ended and the usage when the model reported it."""

    finish_reason: str = "stop"
    input_tokens: int | None = None
    output_tokens: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Backend:
    """A model the gateway can call."""

    model: str = "model"
    provider: str = "alignloop"

    async def complete(self, body: dict[str, Any]) -> Reply:
        """One reply to the request ``body`` (OpenAI chat format, already guarded)."""
        raise NotImplementedError

    def stream(self, body: dict[str, Any]) -> AsyncIterator[str | StreamEnd]:
        """Text deltas, then one :class:`StreamEnd`."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release connections and threads."""


class UpstreamBackend(Backend):
    """Proxy to ``base_url`` (``.../v1``) serving ``model``, over aiohttp.

    aiohttp rather than httpx for this hop: proxying one request cost httpx's pool about 1.6 ms of
    event-loop CPU alone and 6 ms with 32 requests in flight, against 0.3 ms for aiohttp
    (docs/serve.md); the event loop's CPU is what caps a gateway on a small machine.
    """

    def __init__(self, base_url: str, model: str, timeout: float = 60.0, api_key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.provider = "openai_compatible"
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._session: Any = None  # made on first use: an aiohttp session belongs to a running event loop

    def _client(self) -> Any:
        import aiohttp

        if self._session is None or self._session.closed:
            # a stream may run as long as tokens keep coming; each wait for data is bounded instead
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.timeout, sock_read=self.timeout)
            conn = aiohttp.TCPConnector(limit=256, limit_per_host=256, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=timeout, connector=conn)
        return self._session

    def _payload(self, body: dict[str, Any], stream: bool) -> dict[str, Any]:
        payload = {**body, "model": self.model, "stream": stream}
        payload.pop("alignloop", None)
        return payload

    async def _post(self, url: str, payload: dict[str, Any]) -> tuple[int, bytes]:
        async with self._client().post(url, json=payload) as r:
            return r.status, await r.read()

    async def complete(self, body: dict[str, Any]) -> Reply:
        import aiohttp

        url = f"{self.base_url}/chat/completions"
        t0 = time.perf_counter()
        try:
            status, raw = await asyncio.wait_for(self._post(url, self._payload(body, False)), self.timeout)
        except (asyncio.TimeoutError, TimeoutError):
            raise upstream_timeout(self.timeout) from None
        except aiohttp.ClientError as e:
            raise upstream_failed(f"{type(e).__name__}: {e}") from None
        ms = (time.perf_counter() - t0) * 1000
        text_body = raw.decode("utf-8", errors="replace")
        _raise_for_status(status, text_body)
        try:
            data = json.loads(raw)
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise upstream_failed(f"unexpected body: {text_body[:200]}") from None
        usage = data.get("usage") or {}
        return Reply(
            text=text,
            finish_reason=choice.get("finish_reason") or "stop",
            input_tokens=usage.get("prompt_tokens"),
            output_tokens=usage.get("completion_tokens"),
            upstream_ms=ms,
        )

    async def stream(self, body: dict[str, Any]) -> AsyncIterator[str | StreamEnd]:
        import aiohttp

        payload = self._payload(body, True)
        payload["stream_options"] = {"include_usage": True}
        end = StreamEnd()
        done = False
        try:
            async with self._client().post(f"{self.base_url}/chat/completions", json=payload) as r:
                if r.status >= 400:
                    _raise_for_status(r.status, (await r.read()).decode("utf-8", errors="replace"))
                async for raw in r.content:  # one SSE line at a time
                    line = raw.decode("utf-8", errors="replace").strip()
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        done = True
                        break
                    delta, reason, usage = _parse_chunk(data)
                    if delta:
                        yield delta
                    if reason:
                        end.finish_reason = reason
                    if usage:
                        end.input_tokens = usage.get("prompt_tokens")
                        end.output_tokens = usage.get("completion_tokens")
        except (asyncio.TimeoutError, TimeoutError):
            raise upstream_timeout(self.timeout) from None
        except (aiohttp.ClientError, ValueError) as e:  # ValueError: an SSE line over aiohttp's line limit
            raise upstream_failed(f"the stream broke: {type(e).__name__}: {e}") from None
        if not done:
            raise upstream_failed("the stream ended without [DONE]")
        yield end

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


def _raise_for_status(status: int, text: str) -> None:
    if status < 400:
        return
    if 400 <= status < 500 and status not in (401, 403, 404, 429):
        # the caller's request was bad (e.g. an unknown parameter): pass the upstream's verdict on
        try:
            msg = json.loads(text)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            msg = text[:300]
        raise GatewayError(status, f"the model rejected the request: {msg}", "invalid_request_error")
    raise upstream_failed(f"HTTP {status}: {text[:200]}")


def _parse_chunk(data: str) -> tuple[str, str | None, dict[str, Any] | None]:
    try:
        obj = json.loads(data)
    except ValueError:
        raise upstream_failed(f"not JSON in the stream: {data[:100]}") from None
    if "error" in obj:
        raise upstream_failed(str(obj["error"])[:200])
    choices = obj.get("choices") or []
    delta = ""
    reason = None
    if choices:
        delta = (choices[0].get("delta") or {}).get("content") or ""
        reason = choices[0].get("finish_reason")
    return delta, reason, obj.get("usage")


_PIECES = re.compile(r"\S+\s*|\s+")


class LocalBackend(Backend):
    """A :class:`ChatModel` run in one worker thread (local models are not thread-safe).

    The reply is generated whole, then streamed word by word: the output check is the same either way.
    """

    def __init__(self, model: ChatModel, timeout: float = 120.0) -> None:
        self.chat_model = model
        self.model = model.name
        self.provider = "alignloop"
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alignloop-model")

    def _config(self, body: dict[str, Any]) -> GenerationConfig:
        stop = body.get("stop")
        stops = (stop,) if isinstance(stop, str) else tuple(stop or ())
        return GenerationConfig(
            max_new_tokens=int(body.get("max_tokens") or body.get("max_completion_tokens") or 256),
            temperature=float(body.get("temperature") or 0.0),
            top_p=float(body.get("top_p") or 1.0),
            seed=body.get("seed"),
            stop=stops,
        )

    def _count(self, text: str) -> int:
        tok = getattr(self.chat_model, "tokenizer", None)
        if tok is not None:
            return len(tok(text, add_special_tokens=False)["input_ids"])
        return len(text.split())

    async def complete(self, body: dict[str, Any]) -> Reply:
        msgs: list[Message] = [{"role": m["role"], "content": m["content"]} for m in body["messages"]]
        cfg = self._config(body)
        loop = asyncio.get_running_loop()
        t0 = time.perf_counter()
        try:
            out = await asyncio.wait_for(
                loop.run_in_executor(self._pool, lambda: self.chat_model.complete([msgs], cfg)[0]), self.timeout
            )
        except asyncio.TimeoutError:
            raise upstream_timeout(self.timeout) from None
        except Exception as e:  # a model crash is an upstream error to the client, never a 500
            raise upstream_failed(f"{type(e).__name__}: {e}") from None
        ms = (time.perf_counter() - t0) * 1000
        prompt = "\n".join(m["content"] for m in msgs)
        return Reply(
            text=out.text,
            finish_reason="length" if out.finished is False else "stop",
            input_tokens=self._count(prompt),
            output_tokens=self._count(out.text),
            upstream_ms=ms,
        )

    async def stream(self, body: dict[str, Any]) -> AsyncIterator[str | StreamEnd]:
        reply = await self.complete(body)
        for piece in _PIECES.findall(reply.text):
            yield piece
        yield StreamEnd(reply.finish_reason, reply.input_tokens, reply.output_tokens)

    async def aclose(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def backend_for(spec: str, timeout: float = 60.0) -> Backend:
    """The backend for a ``--model`` value: an endpoint URL is proxied, anything else loaded locally."""
    import os

    if spec.startswith(("http://", "https://")):
        from alignloop._util.errors import ModelError

        url, _, name = spec.partition("#")
        name = name or os.environ.get("ALIGNLOOP_ENDPOINT_MODEL", "")
        if not name:
            raise ModelError(
                f"no model name for endpoint {url}", hint="write it after '#', e.g. http://localhost:8000/v1#my-model"
            )
        key = os.environ.get("ALIGNLOOP_API_KEY") or os.environ.get("OPENAI_API_KEY")
        return UpstreamBackend(url, name, timeout=timeout, api_key=key)
    from alignloop.models import load_model

    return LocalBackend(load_model(spec), timeout=timeout)
