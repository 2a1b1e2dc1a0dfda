"""The HTTP endpoints: chat completions, models, moderations, health, readiness, metrics."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

from alignloop.serve._app import Gateway
from alignloop.serve._errors import GatewayError, rate_limited, too_large
from alignloop.serve._exchange import Exchange
from alignloop.serve._guarding import Policy
from alignloop.serve._keys import ApiKey
from alignloop.serve._modes import parse_rate
from alignloop.serve._ratelimit import retry_after

router = APIRouter()


def _gw(request: Request) -> Gateway:
    gw: Gateway = request.app.state.gateway
    return gw


async def _admit(request: Request) -> tuple[Gateway, ApiKey | None, Any]:
    """Authenticate, rate-limit and size-check a request; return its parsed JSON body."""
    gw = _gw(request)
    key = await gw.keys.authenticate(request.headers.get("authorization"))
    if key is not None and key.rate:
        wait = gw.limiter.acquire(key.name, parse_rate(key.rate))
        if wait > 0:
            raise rate_limited(retry_after(wait))
    limit = gw.config.max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large(f"body of {declared} bytes; this gateway takes at most {limit}")
    raw = await request.body()
    if len(raw) > limit:
        raise too_large(f"body of {len(raw)} bytes; this gateway takes at most {limit}")
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise GatewayError(400, "the body is not valid JSON") from None
    return gw, key, body


def _policy(gw: Gateway, key: ApiKey | None) -> Policy:
    if key is None:
        return Policy(gw.config.default_mode, gw.config.fail_open, None)
    return Policy(key.mode or gw.config.default_mode, key.fail_open or gw.config.fail_open, key.name)


@router.post("/v1/chat/completions", response_model=None)
async def chat_completions(request: Request) -> JSONResponse | StreamingResponse:
    """OpenAI chat completions, plain or ``stream: true``, guarded per the key's mode."""
    from alignloop.serve._chat import complete, parse_request, stream

    gw, key, body = await _admit(request)
    messages, body = parse_request(body, gw.config.max_messages)
    ex = Exchange(_policy(gw, key), messages, bool(body.get("stream")))
    if ex.stream:
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(gw, body, ex), media_type="text/event-stream", headers=headers)
    return JSONResponse(await complete(gw, body, ex))


@router.get("/v1/models")
async def models(request: Request) -> dict[str, Any]:
    """The one model this gateway serves."""
    gw = _gw(request)
    await gw.keys.authenticate(request.headers.get("authorization"))
    return {
        "object": "list",
        "data": [{"id": gw.backend.model, "object": "model", "created": 0, "owned_by": gw.backend.provider}],
    }


@router.post("/v1/moderations")
async def moderations(request: Request) -> dict[str, Any]:
    """The input guard as an OpenAI-compatible moderation endpoint."""
    from alignloop.serve._moderation import moderation_result

    gw, _key, body = await _admit(request)
    raw = body.get("input") if isinstance(body, dict) else None
    texts = [raw] if isinstance(raw, str) else raw
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise GatewayError(400, "'input' must be a string or a list of strings")
    if len(texts) > gw.config.max_messages:
        raise too_large(f"{len(texts)} inputs; this gateway takes at most {gw.config.max_messages}")
    guard = gw.checks.guard
    batched = getattr(guard, "check_inputs", None)
    t0 = time.perf_counter()
    ds = await gw.checks.run(lambda: batched(texts) if batched else [guard.check_input(t) for t in texts])
    gw.metrics.inc("alignloop_requests_total", endpoint="moderations", status="200")
    gw.metrics.observe("alignloop_request_duration_seconds", time.perf_counter() - t0, endpoint="moderations")
    return {
        "id": f"modr-{time.time_ns()}",
        "model": f"alignloop-guard-{gw.constitution.short_hash}",
        "results": [moderation_result(d) for d in ds],
    }


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """The model, guard and trace writer are ready to take traffic."""
    gw = _gw(request)
    ok = gw.ready
    return JSONResponse({"status": "ready" if ok else "starting"}, status_code=200 if ok else 503)


@router.get("/metrics")
async def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text format."""
    return PlainTextResponse(_gw(request).metrics.render(), media_type="text/plain; version=0.0.4")
