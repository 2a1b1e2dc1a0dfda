"""Checks for degenerate text: empty answers, repetition loops (the guard's one loop detector), answers cut off."""

from __future__ import annotations

import re

from alignloop.guard._loops import is_loop

_END = tuple(".!?)]}\"'`*:;>")


def is_empty(text: str) -> bool:
    """No visible content."""
    return not text.strip()


def is_truncated(text: str, max_new_tokens: int) -> bool:
    """Probably cut off: long enough to have hit the limit (~0.75 words a token),
    no closing punctuation."""
    t = text.rstrip()
    if not t:
        return False
    n_words = len(re.findall(r"\S+", t))
    return n_words >= 0.45 * max_new_tokens and not t.endswith(_END)


def degenerate_flags(text: str, max_new_tokens: int) -> dict[str, bool]:
    """All three checks for one answer."""
    return {
        "empty": is_empty(text),
        "repetitive": is_loop(text),
        "truncated": is_truncated(text, max_new_tokens),
    }
