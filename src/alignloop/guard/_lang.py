"""A cheap English-or-not check: the classifiers are English-first and should say so."""

from __future__ import annotations

import re

_COMMON_WORDS = (
    "the a an and or of to in is are was were be it that this for on with as at by from you i we "
    "they he she what how why when where which who can do does did not no yes my your me please will "
    "would should could have has had if about there their them our us so but all any some"
)
_COMMON = frozenset(_COMMON_WORDS.split())


def english_confidence(text: str) -> float:
    """Share of evidence that ``text`` is English, in [0, 1]; 1.0 for texts too short to judge."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 12:
        return 1.0
    latin = sum(c.isascii() for c in letters) / len(letters)
    if latin < 0.6:
        return latin
    words = re.findall(r"[a-z']+", text.lower())
    if len(words) < 5:
        return latin
    common = sum(w in _COMMON for w in words) / len(words)
    # ordinary English prose has 25-50% function words; code and lists less, other languages far less
    return min(1.0, latin * min(1.0, common / 0.12))


_ENGLISH_ONLY_WORDS = (
    "the and of to is are was were it that this for with you your they their what how why which who "
    "can will would should could have has had not be been there about from"
)
_ENGLISH_ONLY = frozenset(_ENGLISH_ONLY_WORDS.split())
"""Function words that other Latin-script languages do not share ("a", "no", "so", "as" and "me" do)."""


def is_english(text: str, min_words: int = 5) -> bool:
    """Whether ``text`` is English prose, strictly: at least ``min_words`` words, Latin letters, and at least
    12% of its words English-only function words (ordinary English prose has 25-50%).

    Stricter than :func:`english_confidence`, which gives the benefit of the doubt (its job is a warning):
    this one gates checks that only an English model can make, such as whether a reply is on topic.
    """
    letters = [c for c in text if c.isalpha()]
    if not letters or sum(c.isascii() for c in letters) / len(letters) < 0.9:
        return False
    words = re.findall(r"[a-z']+", text.lower())
    return len(words) >= min_words and sum(w in _ENGLISH_ONLY for w in words) / len(words) >= 0.12
