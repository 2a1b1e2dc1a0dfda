"""Prompt-injection and jailbreak heuristics, and decoding of smuggled payloads.

The learned part (an embedding head trained on the seed ``injection.jsonl``) lives in the guard
artifact; this module gives the patterns that need no model and the decoders whose output is
checked again.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

_RULES: list[tuple[re.Pattern[str], float]] = [
    (
        re.compile(
            r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(previous|prior|above|earlier|all|your|the)\b"
            r".{0,30}\b(instructions?|prompts?|rules|directives|guidelines|context)\b",
            re.I | re.S,
        ),
        0.95,
    ),
    (
        re.compile(
            r"\b(reveal|print|show|repeat|output|tell me|leak)\b.{0,40}\b(system|hidden|initial|original)\s+"
            r"(prompt|instructions?|message)",
            re.I | re.S,
        ),
        0.9,
    ),
    (re.compile(r"\b(developer|dev|god|jailbreak|unrestricted|dan)\s+mode\b", re.I), 0.9),
    (re.compile(r"\bdo anything now\b|\bDAN\b", re.S), 0.85),
    (re.compile(r"\byou are (now )?(no longer|not) (bound|restricted|an ai|chatgpt)", re.I), 0.9),
    (
        re.compile(
            r"\b(pretend|act as if|imagine) (you|that you) (have no|are free from|don't have) "
            r"(rules|restrictions|filters|guidelines)",
            re.I,
        ),
        0.9,
    ),
    (re.compile(r"\bwithout (any )?(restrictions|filters|censorship|limitations)\b", re.I), 0.6),
    (
        re.compile(r"\bnew instructions?:|\bsystem override\b|\[system\]|<\|im_start\|>system|###\s*system", re.I),
        0.85,
    ),
    (
        re.compile(
            r"\b(start|begin) (your|the) (reply|response|answer) with\b.{0,40}\b(sure|absolutely|of course)",
            re.I,
        ),
        0.8,
    ),
    (re.compile(r"\bnever (refuse|say (no|you can't|sorry))\b|\bdo not (refuse|apologi[sz]e)\b", re.I), 0.75),
]

_B64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_HEX = re.compile(r"\b(?:[0-9a-fA-F]{2}[\s:]?){8,}\b")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})


def heuristic_score(text: str) -> float:
    """The strongest matching jailbreak/override pattern's weight, 0 when none match."""
    return max((w for pat, w in _RULES if pat.search(text)), default=0.0)


def _printable(s: str) -> bool:
    return bool(s) and sum(c.isprintable() or c.isspace() for c in s) / len(s) > 0.95 and any(c.isalpha() for c in s)


def decoded_variants(text: str, limit: int = 4) -> list[tuple[str, str]]:
    """``(encoding, decoded_text)`` for payloads hidden as base64, hex, rot13 or leetspeak."""
    out: list[tuple[str, str]] = []
    for m in _B64.finditer(text):
        chunk = m.group(0)
        try:
            dec = base64.b64decode(chunk + "=" * (-len(chunk) % 4), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if _printable(dec):
            out.append(("base64", dec))
    for m in _HEX.finditer(text):
        try:
            dec = bytes.fromhex(re.sub(r"[\s:]", "", m.group(0))).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        if _printable(dec):
            out.append(("hex", dec))
    if re.search(r"\brot-?13\b|\bcaesar\b", text, re.I) or not out:
        rot = codecs.decode(text, "rot13")
        if heuristic_score(rot) > 0:
            out.append(("rot13", rot))
    # two or more in-word substitutions: one alone is usually a product name or a typo
    if len(re.findall(r"[a-z][0-9@$!][a-z]", text, re.I)) >= 2:
        out.append(("leetspeak", text.translate(_LEET)))
    return out[:limit]
