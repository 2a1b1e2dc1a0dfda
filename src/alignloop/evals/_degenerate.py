"""Checks for degenerate text: empty answers, repetition loops, answers cut off by the token limit."""

from __future__ import annotations

import re

_END = tuple(".!?)]}\"'`*:;>")


def is_empty(text: str) -> bool:
    """No visible content."""
    return not text.strip()


def is_repetitive(text: str, n: int = 4, min_ngrams: int = 16, max_unique_share: float = 0.35) -> bool:
    """A loop: few distinct word ``n``-grams, or one line repeated at least four times."""
    words = text.split()
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if len(grams) >= min_ngrams and len(set(grams)) / len(grams) < max_unique_share:
        return True
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return any(lines.count(ln) >= 4 for ln in set(lines))


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
        "repetitive": is_repetitive(text),
        "truncated": is_truncated(text, max_new_tokens),
    }
