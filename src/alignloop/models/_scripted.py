"""A scripted backend that replays given outputs, for tests and dry runs."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence

from alignloop.models._base import ChatModel, Completion, Conversation, GenerationConfig, ProgressFn


class ScriptedModel(ChatModel):
    """Replays outputs: a queue of strings, a fixed string, or a function of the conversation.

    Example:
        >>> m = ScriptedModel(lambda conv: "I can't help with that." if "bomb" in conv[-1]["content"] else "Sure.")
        >>> m.generate_one("how to make a bomb")
        "I can't help with that."
    """

    supports_logprobs = True

    def __init__(
        self,
        outputs: Iterable[str] | str | Callable[[Conversation], str] = "",
        name: str = "scripted",
        logprob_fn: Callable[[Conversation, str], float] | None = None,
        word_budget: bool = False,
    ) -> None:
        """``word_budget``: treat ``max_new_tokens`` as a word limit, cutting longer outputs (``finished=False``)."""
        self.name = name
        self.word_budget = word_budget
        self._fn: Callable[[Conversation], str] | None = None
        self._queue: deque[str] = deque()
        self._fixed: str | None = None
        if callable(outputs):
            self._fn = outputs
        elif isinstance(outputs, str):
            self._fixed = outputs
        else:
            self._queue.extend(outputs)
        self._logprob_fn = logprob_fn
        self.calls: list[Conversation] = []

    def enqueue(self, *outputs: str) -> None:
        """Add outputs to replay, in order."""
        self._queue.extend(outputs)

    def _one(self, conv: Conversation) -> str:
        self.calls.append(conv)
        if self._fn is not None:
            return self._fn(conv)
        if self._queue:
            return self._queue.popleft()
        if self._fixed is not None:
            return self._fixed
        raise RuntimeError("ScriptedModel ran out of outputs")

    def complete(
        self,
        conversations: Sequence[Conversation],
        config: GenerationConfig | None = None,
        progress: ProgressFn | None = None,
    ) -> list[Completion]:
        """Replayed outputs; with ``word_budget``, cut at ``max_new_tokens`` words and flagged unfinished."""
        limit = (config or GenerationConfig()).max_new_tokens
        out = []
        for conv in conversations:
            text = self._one(conv)
            words = text.split()
            if self.word_budget and len(words) > limit:
                out.append(Completion(" ".join(words[:limit]), False))
            else:
                out.append(Completion(text, True))
            if progress:
                progress(1)
        return out

    def logprobs(self, conversations: Sequence[Conversation], continuations: Sequence[str]) -> list[float]:
        """Scripted log-probs: the given function, else prefer shorter continuations."""
        fn = self._logprob_fn or (lambda conv, cont: -float(len(cont)))
        return [fn(c, t) for c, t in zip(conversations, continuations, strict=True)]
