"""Check a response while it streams: release only text that can no longer change the decision.

Text is released up to the last sentence end that lies at least ``hold`` characters before the
end of what has arrived, and never through a PII item. So a sentence or an item split across
chunks is always seen whole before any of it leaves.
"""

from __future__ import annotations

import re
from typing import Protocol

from alignloop.guard._pii import redact
from alignloop.guard._types import Decision, PiiSpan

_SENTENCE_END = re.compile(r"[.!?\n]\s")
CONTEXT_CHARS = 400
"""Released text kept as context when checking what is pending."""


class OutputChecker(Protocol):
    """What the streaming checker needs from a guard (a protocol, so this module does not import the guard)."""

    def check_output(self, prompt: str | bytes, response: str | bytes) -> Decision:
        """Check one response to ``prompt``."""
        ...


class StreamingChecker:
    """Feed chunks with :meth:`feed`; each call returns the text that is now safe to show."""

    def __init__(self, guard: OutputChecker, prompt: str, hold: int = 96) -> None:
        self.guard = guard
        self.prompt = prompt
        self.hold = hold
        self.buffer = ""
        self.released = 0
        self.decision: Decision | None = None
        self.stopped = False

    def _check(self, final: bool) -> tuple[Decision, int]:
        start = max(0, self.released - CONTEXT_CHARS)
        window = self.buffer[start:]
        d = self.guard.check_output(self.prompt, window)
        if final:
            return d, len(self.buffer)
        limit = len(self.buffer) - self.hold
        cut = self.released
        for m in _SENTENCE_END.finditer(self.buffer, self.released):
            if m.end() > limit:
                break
            cut = m.end()
        for sp in d.pii:  # never cut through an item
            if start + sp.start < cut < start + sp.end:
                cut = max(self.released, start + sp.start)
        return d, cut

    def _emit(self, d: Decision, cut: int) -> str:
        if d.action == "block":
            self.stopped = True
            self.decision = d
            return "\n" + d.text
        start = max(0, self.released - CONTEXT_CHARS)
        piece_spans = [sp for sp in d.pii if start + sp.start >= self.released and start + sp.end <= cut]
        piece = self.buffer[self.released : cut]
        if d.action == "redact" and piece_spans:
            shift = self.released
            piece = redact(
                piece, [PiiSpan(s.type, start + s.start - shift, start + s.end - shift) for s in piece_spans]
            )
        self.released = cut
        self.decision = d
        return piece

    def feed(self, chunk: str) -> str:
        """Add ``chunk``; return the newly released text (the refusal, once, if the response is blocked)."""
        if self.stopped:
            return ""
        self.buffer += chunk
        d, cut = self._check(final=False)
        if d.action != "block" and cut <= self.released:
            self.decision = d
            return ""
        return self._emit(d, cut)

    def finish(self) -> str:
        """The stream ended: check and release the rest."""
        if self.stopped:
            return ""
        d, cut = self._check(final=True)
        out = self._emit(d, cut)
        self.stopped = True
        return out
