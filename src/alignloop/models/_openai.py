"""Any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, hosted APIs)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from alignloop._util.errors import ModelError
from alignloop.models._base import ChatModel, Completion, Conversation, GenerationConfig, ProgressFn


class EndpointError(ModelError):
    """The endpoint failed for one request after all retries."""


class EndpointUnreachable(EndpointError):
    """No request can succeed: no connection, unauthorised, or no such route. Not retried row by row."""


class OpenAIChatModel(ChatModel):
    """Chat completions over HTTP with timeouts, retries with backoff, and parallel requests.

    Args:
        base_url: e.g. ``http://localhost:8000/v1``.
        model: the served model name.
        api_key_env: environment variable holding the API key (never stored or printed).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str = "ALIGNLOOP_API_KEY",
        timeout: float = 60.0,
        retries: int = 3,
        concurrency: int = 4,
    ) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"{self.base_url}#{model}"
        self.retries = retries
        self.concurrency = concurrency
        key = os.environ.get(api_key_env) or os.environ.get("OPENAI_API_KEY") or ""
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout, headers=headers)

    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        import httpx

        delay = 0.5
        last = ""
        for attempt in range(self.retries + 1):
            try:
                r = self._client.post("/chat/completions", json=payload)
            except httpx.ConnectError:
                raise EndpointUnreachable(
                    f"cannot connect to {self.base_url}",
                    hint="check the URL and that the server is running",
                ) from None
            except httpx.TimeoutException:
                last = "timed out"
            else:
                if r.status_code in (401, 403):
                    raise EndpointUnreachable(
                        f"{self.base_url} answered {r.status_code} (unauthorised)",
                        hint="set the API key in ALIGNLOOP_API_KEY (or OPENAI_API_KEY)",
                    )
                if r.status_code == 404:
                    raise EndpointUnreachable(
                        f"{self.base_url}/chat/completions answered 404",
                        hint="the base URL usually ends in /v1; check the model name",
                    )
                if r.status_code < 400:
                    return r.json()  # type: ignore[no-any-return]
                last = f"HTTP {r.status_code}: {r.text[:200]}"
                if r.status_code < 500 and r.status_code != 429:
                    break
            if attempt < self.retries:
                time.sleep(delay)
                delay *= 2
        raise EndpointError(f"{self.base_url} failed after {self.retries + 1} tries: {last}")

    def complete(
        self,
        conversations: Sequence[Conversation],
        config: GenerationConfig | None = None,
        progress: ProgressFn | None = None,
    ) -> list[Completion]:
        """One chat completion per conversation, ``concurrency`` requests at a time; ``finished`` comes
        from the endpoint's ``finish_reason`` (``length``: cut)."""
        cfg = config or GenerationConfig()

        def one(conv: Conversation) -> Completion:
            payload: dict[str, Any] = {
                "model": self.model,
                "messages": list(conv),
                "max_tokens": cfg.max_new_tokens,
                "temperature": cfg.temperature,
                "top_p": cfg.top_p,
            }
            if cfg.seed is not None:
                payload["seed"] = cfg.seed
            if cfg.stop:
                payload["stop"] = list(cfg.stop)
            data = self._post(payload)
            try:
                choice = data["choices"][0]
                text = choice["message"]["content"] or ""
            except (KeyError, IndexError, TypeError):
                raise EndpointError(f"{self.base_url} returned an unexpected body: {str(data)[:200]}") from None
            if progress:
                progress(1)
            reason = choice.get("finish_reason") if isinstance(choice, dict) else None
            return Completion(str(text).strip(), None if reason is None else reason != "length")

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(one, conversations))

    def check_reachable(self) -> None:
        """Send one 1-token request; raise :class:`EndpointUnreachable` if the endpoint cannot be used.

        Commands call this before writing anything, so a wrong URL or a stopped server exits with
        one message instead of a run folder whose every row failed.
        """
        self._post({"model": self.model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1})

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()
