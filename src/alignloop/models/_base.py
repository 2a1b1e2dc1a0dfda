"""The one interface every model backend implements: batched chat completion (+ log-probs)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict


class Message(TypedDict):
    """One chat turn."""

    role: str
    content: str


Conversation = Sequence[Message]


def as_conversation(prompt: str | Conversation, system: str | None = None) -> list[Message]:
    """Turn a plain prompt (or a conversation) into a message list, optionally with a system turn."""
    msgs: list[Message] = (
        [{"role": "user", "content": prompt}] if isinstance(prompt, str) else [dict(m) for m in prompt]  # type: ignore[misc]
    )
    if system is not None:
        msgs = [m for m in msgs if m["role"] != "system"]
        msgs.insert(0, {"role": "system", "content": system})
    return msgs


@dataclass(frozen=True)
class GenerationConfig:
    """How to sample. The defaults are greedy decoding, which evals rely on for repeatability."""

    max_new_tokens: int = 128
    temperature: float = 0.0
    """0 means greedy."""
    top_p: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = field(default_factory=tuple)

    @property
    def greedy(self) -> bool:
        """Whether decoding is greedy."""
        return self.temperature <= 0.0


ProgressFn = Callable[[int], None]
"""Called with the number of conversations just finished, for progress bars."""


@dataclass(frozen=True)
class Completion:
    """A reply and whether it ended on its own."""

    text: str
    finished: bool | None = None
    """False: cut at ``max_new_tokens``; None: the backend cannot tell."""

    @property
    def cut(self) -> bool:
        """Whether the reply is known to stop mid-way (training must not teach stopping there)."""
        return self.finished is False


class ChatModel(ABC):
    """A chat model: ``complete``/``generate`` for batches of conversations, ``logprobs`` where available."""

    #: Identifier recorded in runs (``default``, a path, a hub id, or an endpoint).
    name: str = "model"
    #: Whether :meth:`logprobs` works for this backend.
    supports_logprobs: bool = False
    #: Conversations per generation batch; callers that save results chunk by chunk use it as the chunk.
    batch_size: int = 16

    @abstractmethod
    def complete(
        self,
        conversations: Sequence[Conversation],
        config: GenerationConfig | None = None,
        progress: ProgressFn | None = None,
    ) -> list[Completion]:
        """One reply per conversation, in input order, with whether it finished (see :class:`Completion`)."""

    def generate(
        self,
        conversations: Sequence[Conversation],
        config: GenerationConfig | None = None,
        progress: ProgressFn | None = None,
    ) -> list[str]:
        """Return one completion per conversation, in input order."""
        return [c.text for c in self.complete(conversations, config, progress)]

    def generate_one(self, prompt: str | Conversation, config: GenerationConfig | None = None) -> str:
        """Answer a single prompt or conversation."""
        return self.generate([as_conversation(prompt)], config)[0]

    def logprobs(self, conversations: Sequence[Conversation], continuations: Sequence[str]) -> list[float]:
        """Sum of token log-probabilities of each continuation as the assistant's reply.

        Raises:
            NotImplementedError: the backend has no log-probabilities.
        """
        raise NotImplementedError(f"{type(self).__name__} has no log-probabilities")

    def fingerprint(self) -> str | None:
        """A short hash that changes when the weights change; None when the backend cannot tell.

        Resumable runs store it so rows made by other weights under the same name are never mixed in.
        """
        return None

    def describe(self) -> dict[str, Any]:
        """What a run record stores about this model."""
        return {"name": self.name, "backend": type(self).__name__, "logprobs": self.supports_logprobs}

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release resources (HTTP clients, GPU memory)."""
