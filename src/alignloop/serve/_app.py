"""The gateway: its configuration, its state (guard, model, store, keys, limits), and the FastAPI app."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from alignloop.constitution import LoadedConstitution
from alignloop.serve._auth import KeyRing
from alignloop.serve._backends import Backend
from alignloop.serve._errors import GatewayError, error_body
from alignloop.serve._guarding import Checks, GuardLike
from alignloop.serve._metrics import Metrics
from alignloop.serve._modes import Mode
from alignloop.serve._ratelimit import RateLimiter
from alignloop.serve._traces import LogContent, TraceWriter
from alignloop.store import RunStore

if TYPE_CHECKING:
    from alignloop.guard import LlmJudge
    from alignloop.guard._judge import JudgeSide, JudgeStyle

log = logging.getLogger("alignloop.serve")
JUDGE_PROBE = "What is the capital of France?"
"""The plainly safe request a ``--judge-model`` must answer ``safe`` to before the gateway starts."""
CONFIG_ENV = "ALIGNLOOP_SERVE_CONFIG"
"""JSON of :class:`ServeConfig`, for worker processes that build their own app (``--workers``)."""


@dataclass
class ServeConfig:
    """Everything ``alignloop serve`` takes."""

    model: str = "default"
    constitution: str = "default"
    db_url: str | None = None
    log_content: LogContent = "redacted"
    default_mode: Mode = "both"
    """Guard mode for keys that set none (and anonymous loopback access)."""
    fail_open: bool = False
    """Fault policy for keys that set none."""
    max_body_bytes: int = 1_000_000
    max_messages: int = 256
    timeout_s: float = 60.0
    """Upstream (or local generation) time limit; past it the client gets 504."""
    trace_queue: int = 10_000
    require_keys: bool = False
    """Refuse anonymous requests even when no key exists (set for non-loopback hosts)."""
    guard_heads: bool | None = None
    """Combine the guard's classifier with the embedding heads: None keeps the guard's default
    (``Guard.load``), False runs the classifier alone (``--no-guard-heads``)."""
    judge_model: str | None = None
    """A second-opinion LLM judge (any ``--model`` spec, e.g. Llama Guard behind ``http://host/v1#name``), asked
    about what the classifier lets through (``guard._detectors.JudgeStep``); None: no judge."""
    judge_on: JudgeSide = "input"
    """Which side the judge checks: ``input``, ``output`` (every held-back stream check asks it) or ``both``."""
    judge_style: JudgeStyle = "rubric"
    """``rubric``: the constitution's safety rubric (any instruction model); ``conversation``: the bare
    conversation, for moderation models with their own policy (``guard.LlmJudge``)."""
    guard_threads: int = 1
    """Threads per guard model run. One: checks of concurrent requests then run in parallel, one per
    core, and no idle model thread busy-waits on a core the event loop or the model needs."""


class Gateway:
    """The state every request handler shares."""

    def __init__(
        self,
        config: ServeConfig,
        backend: Backend,
        guard: GuardLike,
        constitution: LoadedConstitution,
        store: RunStore | None,
        tracer: Any = None,
        tracer_provider: Any = None,
    ) -> None:
        self.config = config
        self.backend = backend
        self.constitution = constitution
        self.store = store
        self.metrics = Metrics()
        workers = max(1, (os.cpu_count() or 1) // max(1, config.guard_threads))
        self.checks = Checks(guard, constitution.constitution.refusal_for(None), workers=workers)
        self.keys = KeyRing(store, required=config.require_keys)
        self.limiter = RateLimiter()
        self.writer = TraceWriter(store, self.metrics, config.trace_queue) if store is not None else None
        self.tracer = tracer
        self.tracer_provider = tracer_provider
        self.ready = False

    async def start(self) -> None:
        """Start the trace writer; the gateway is ready after."""
        if self.writer is not None:
            self.writer.start()
        self.ready = True

    async def stop(self) -> None:
        """Drain traces, flush spans, close the model client (runs on SIGTERM through uvicorn's shutdown)."""
        self.ready = False
        if self.writer is not None:
            self.writer.close()
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()
        await self.backend.aclose()


def build_gateway(config: ServeConfig) -> Gateway:
    """Load the constitution, guard, model and store that ``config`` names."""
    from alignloop.constitution import load_constitution
    from alignloop.guard import Guard
    from alignloop.serve._backends import backend_for
    from alignloop.serve._otel import tracer_from_env

    lc = load_constitution(None if config.constitution == "default" else config.constitution)
    opts: dict[str, Any] = {"threads": config.guard_threads}
    if config.judge_model:  # first: a judge that cannot be reached stops the start before anything loads
        opts["judge"] = load_judge(config.judge_model, lc, config.judge_style, config.timeout_s)
        opts["judge_on"] = config.judge_on
    if config.guard_heads is not None:
        opts["with_heads"] = config.guard_heads
    guard = Guard.load(lc, **opts)
    store = RunStore.open(config.db_url)
    backend = backend_for(config.model, timeout=config.timeout_s)
    otel = tracer_from_env()
    tracer, provider = otel if otel else (None, None)
    return Gateway(config, backend, guard, lc, store, tracer, provider)


def load_judge(spec: str, lc: LoadedConstitution, style: JudgeStyle, timeout_s: float) -> LlmJudge:
    """The gateway's second-opinion judge from a model spec, checked usable before the server starts.

    The check asks the judge about one plainly safe request: a judge that cannot be reached, answers
    outside the safe/unsafe format, or flags that request would refuse every request under the default
    fail-closed policy, so the server does not start with it.

    Raises:
        ModelError: the model cannot be loaded or reached, or fails the check.
    """
    from alignloop._util.errors import ModelError
    from alignloop.guard import LlmJudge
    from alignloop.guard._judge import JudgeParseError
    from alignloop.models import load_model

    remote = spec.startswith(("http://", "https://"))
    # one retry at most: a request waits on the judge, and past that the fail policy decides
    model = load_model(spec, timeout=timeout_s, retries=1) if remote else load_model(spec)
    judge = LlmJudge(model, lc.constitution, style=style)
    try:
        verdict = judge.categories([JUDGE_PROBE])[0]
    except JudgeParseError as e:
        raise ModelError(
            f"the judge {spec} does not answer in the safe/unsafe format ({e})",
            hint="use a moderation or instruction model that answers 'safe' or 'unsafe' (try --judge-style "
            "conversation for the Llama Guard family); small chat models such as the embedded default cannot judge",
        ) from None
    if verdict is not None:
        raise ModelError(
            f"the judge {spec} calls a plainly safe request unsafe ({JUDGE_PROBE!r}: {verdict})",
            hint="check the judge model and --judge-style; it would refuse every request",
        )
    return judge


def create_app(gw: Gateway) -> FastAPI:
    """The FastAPI app serving ``gw`` under ``/v1``, plus health, readiness and metrics."""
    from alignloop.serve._routes import router

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await gw.start()
        try:
            yield
        finally:
            await gw.stop()

    app = FastAPI(title="alignloop gateway", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.gateway = gw
    app.include_router(router)
    if gw.store is not None:
        # OTLP/HTTP receiver, so spans exported by other services land in the monitor's traces too;
        # behind the same API keys as the chat endpoints (exporters send OTEL_EXPORTER_OTLP_HEADERS)
        from fastapi import Depends

        from alignloop.monitor._otlp_http import otlp_router

        async def _key(request: Request) -> None:
            await gw.keys.authenticate(request.headers.get("authorization"))

        app.include_router(otlp_router(gw.store.engine), dependencies=[Depends(_key)])

    @app.exception_handler(GatewayError)
    async def _gateway_error(_req: Request, e: GatewayError) -> JSONResponse:
        gw.metrics.inc("alignloop_requests_total", endpoint="error", status=str(e.status))
        return JSONResponse(e.body(), status_code=e.status, headers=e.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, e: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body(str(e.errors())[:500], "invalid_request_error"), status_code=400)

    @app.exception_handler(Exception)
    async def _bug(_req: Request, e: Exception) -> JSONResponse:
        log.exception("unexpected error")
        gw.metrics.inc("alignloop_requests_total", endpoint="error", status="500")
        return JSONResponse(error_body(f"internal error: {type(e).__name__}", "server_error"), status_code=500)

    return app


def app_from_env() -> FastAPI:
    """App factory for uvicorn worker processes: the config comes from ``$ALIGNLOOP_SERVE_CONFIG``."""
    cfg = ServeConfig(**json.loads(os.environ[CONFIG_ENV]))
    return create_app(build_gateway(cfg))


def config_env(cfg: ServeConfig) -> str:
    """The config as the JSON :func:`app_from_env` reads."""
    return json.dumps(asdict(cfg))
