"""Gateway fixtures: a fake upstream and the gateway itself, both live on 127.0.0.1 in threads."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from alignloop.constitution import load_constitution
from alignloop.guard import Decision, PiiDetector, Reason, StreamingChecker, redact


class LiveServer:
    """Run an ASGI app with uvicorn on a free loopback port in a daemon thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    @property
    def url(self) -> str:
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)


@dataclass
class Upstream:
    """What the fake upstream does: ``mode`` ok | slow | error | drop; ``reply`` the text; ``pieces`` the stream."""

    mode: str = "ok"
    reply: str = "Paris is the capital of France."
    pieces: list[str] | None = None
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)


def make_upstream_app(up: Upstream) -> Any:
    app = FastAPI()

    @app.post("/v1/chat/completions", response_model=None)
    async def chat(request: Request) -> Any:
        body = await request.json()
        up.requests.append(body)
        if up.mode == "slow":
            await asyncio.sleep(up.delay or 5.0)
        if up.mode == "error":
            return JSONResponse({"error": {"message": "boom", "type": "server_error"}}, status_code=500)
        base = {"id": "x", "created": 0, "model": body["model"]}
        if not body.get("stream"):
            return {
                **base,
                "object": "chat.completion",
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": up.reply}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12},
            }
        pieces = up.pieces if up.pieces is not None else re.findall(r"\S+\s*", up.reply)

        async def gen() -> Any:
            import json

            for i, p in enumerate(pieces):
                if up.mode == "drop" and i == len(pieces) // 2:
                    raise RuntimeError("connection dropped")  # uvicorn closes the socket mid-body
                chunk = {
                    **base,
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}],
                }
                yield f"data: {json.dumps(chunk)}\n\n"
                if up.delay:
                    await asyncio.sleep(up.delay)
            end = {
                **base,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
            yield f"data: {json.dumps(end)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(gen(), media_type="text/event-stream")

    return app


class FakeGuard:
    """Keyword guard on the real PII detector and the real streaming checker.

    Blocks input with 'bomb' (violent_crime) and output with 'nerve agent' (cbrn); redacts PII.
    ``broken`` makes every check raise.
    """

    def __init__(self) -> None:
        self.lc = load_constitution(None)
        self.pii = PiiDetector()
        self.broken = False
        self.calls = 0

    def _decide(self, text: str, word: str, cat: str) -> Decision:
        self.calls += 1
        if self.broken:
            raise RuntimeError("guard is down")
        spans = self.pii.find(text)
        probs = {cid: 0.0 for cid in self.lc.constitution.category_ids}
        if word in text.lower():
            probs[cat] = 0.99
            r = Reason("category", cat, 0.99, 0.5, action="block")
            return Decision("block", True, 0.99, probs, 0.0, spans, [r], self.lc.constitution.refusal_for(cat))
        if spans:
            r = Reason("pii", "pii", 1.0, 1.0, spans=spans, action="redact")
            return Decision("redact", True, 0.0, probs, 0.0, spans, [r], redact(text, spans))
        return Decision("allow", False, 0.0, probs, 0.0, [], [], text)

    def check_input(self, text: str) -> Decision:
        return self._decide(text, "bomb", "violent_crime")

    def check_output(self, prompt: str, response: str) -> Decision:
        return self._decide(response, "nerve agent", "cbrn")

    def stream(self, prompt: str) -> StreamingChecker:
        return StreamingChecker(self, prompt)  # type: ignore[arg-type]


@pytest.fixture
def upstream() -> Iterator[tuple[Upstream, str]]:
    up = Upstream()
    with LiveServer(make_upstream_app(up)) as srv:
        yield up, srv.url + "/v1"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gw.db'}"


@pytest.fixture
def fake_guard() -> FakeGuard:
    return FakeGuard()


@pytest.fixture
def gateway(upstream: tuple[Upstream, str], db_url: str, fake_guard: FakeGuard) -> Callable[..., Any]:
    """``gateway(**config)`` starts a gateway on the fake upstream; use it as a context manager."""
    from alignloop.serve import Gateway, ServeConfig, UpstreamBackend, create_app
    from alignloop.store import RunStore

    def start(tracer: Any = None, guard: Any = None, backend: Any = None, **cfg: Any) -> LiveServer:
        config = ServeConfig(db_url=db_url, **cfg)
        be = backend or UpstreamBackend(upstream[1], "fake-model", timeout=config.timeout_s)
        gw = Gateway(config, be, guard or fake_guard, fake_guard.lc, RunStore.open(db_url), tracer)
        srv = LiveServer(create_app(gw))
        srv.gateway = gw  # type: ignore[attr-defined]
        return srv

    return start


@pytest.fixture
def serve_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``serve_config(*flags)`` runs ``alignloop serve`` with ``flags`` (no server starts) and returns the
    :class:`ServeConfig` it built the gateway from."""
    import uvicorn
    from click.testing import CliRunner

    import alignloop.serve as serve
    from alignloop.cli import cli

    seen: list[Any] = []
    monkeypatch.setattr(serve, "build_gateway", lambda cfg: seen.append(cfg))
    monkeypatch.setattr(serve, "create_app", lambda gw: None)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)

    def run(*flags: str) -> Any:
        url = f"sqlite:///{tmp_path / 'k.db'}"
        r = CliRunner().invoke(cli, ["serve", "--model", "http://127.0.0.1:9/v1#m", "--db", url, *flags])
        assert r.exit_code == 0, r.output
        return seen[-1]

    return run
