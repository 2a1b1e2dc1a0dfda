"""Errors in OpenAI's JSON shape, with the status each case calls for."""

from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    """A request the gateway answers with an error status; rendered as ``{"error": {...}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        type_: str = "invalid_request_error",
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """OpenAI's error object."""
        return error_body(self.message, self.type, self.code)


def error_body(message: str, type_: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """``{"error": {"message", "type", "param", "code"}}`` as OpenAI sends it."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def unauthorized(message: str = "missing or invalid API key") -> GatewayError:
    """401."""
    return GatewayError(401, message, "invalid_request_error", "invalid_api_key")


def rate_limited(retry_after_s: int) -> GatewayError:
    """429 with ``Retry-After``."""
    return GatewayError(
        429,
        f"rate limit reached for this key; retry in {retry_after_s} s",
        "rate_limit_error",
        "rate_limit_exceeded",
        {"Retry-After": str(retry_after_s)},
    )


def too_large(message: str) -> GatewayError:
    """413."""
    return GatewayError(413, message, "invalid_request_error", "request_too_large")


def upstream_timeout(seconds: float) -> GatewayError:
    """504."""
    return GatewayError(504, f"the model did not answer within {seconds:g} s", "upstream_error", "upstream_timeout")


def upstream_failed(detail: str) -> GatewayError:
    """502."""
    return GatewayError(502, f"the model failed: {detail}", "upstream_error", "upstream_error")
