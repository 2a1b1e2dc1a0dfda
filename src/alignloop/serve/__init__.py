"""Serve: a guarded, OpenAI-compatible gateway that records every exchange.

``create_app(Gateway(...))`` gives the FastAPI app; ``alignloop serve`` builds one from a model spec
and a constitution and runs it with uvicorn. Keys live in the run store (only their hashes).
"""

from alignloop.serve._app import Gateway, ServeConfig, build_gateway, create_app
from alignloop.serve._auth import KeyRing, is_loopback
from alignloop.serve._backends import Backend, LocalBackend, Reply, StreamEnd, UpstreamBackend, backend_for
from alignloop.serve._errors import GatewayError
from alignloop.serve._keys import ApiKey, create_key, hash_key, list_keys, revoke_key
from alignloop.serve._metrics import Metrics
from alignloop.serve._moderation import OPENAI_CATEGORIES, TO_OPENAI
from alignloop.serve._modes import MODES, Mode, parse_mode, parse_rate
from alignloop.serve._traces import LOG_CONTENT, TraceWriter

__all__ = [
    "LOG_CONTENT",
    "MODES",
    "OPENAI_CATEGORIES",
    "TO_OPENAI",
    "ApiKey",
    "Backend",
    "Gateway",
    "GatewayError",
    "KeyRing",
    "LocalBackend",
    "Metrics",
    "Mode",
    "Reply",
    "ServeConfig",
    "StreamEnd",
    "TraceWriter",
    "UpstreamBackend",
    "backend_for",
    "build_gateway",
    "create_app",
    "create_key",
    "hash_key",
    "is_loopback",
    "list_keys",
    "parse_mode",
    "parse_rate",
    "revoke_key",
]
