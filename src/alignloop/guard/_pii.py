"""Find and redact personal data and secrets, with character spans."""

from __future__ import annotations

import re
from collections.abc import Callable

from alignloop.guard._registry import DETECTORS
from alignloop.guard._types import PiiSpan


def luhn_ok(digits: str) -> bool:
    """Whether a digit string passes the Luhn checksum used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    """Whether ``text`` (spaces allowed) is an IBAN with a valid mod-97 check."""
    s = text.replace(" ", "").upper()
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    num = "".join(str(int(c, 36)) for c in moved)
    return int(num) % 97 == 1


def _digits_ok(check: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda m: check(re.sub(r"\D", "", m))


_STREET = (
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|"
    r"parkway|pkwy|highway|hwy|square|sq)"
)
# (type, pattern, validator); secrets first so a key is not also read as a phone number
_PATTERNS: list[tuple[str, re.Pattern[str], Callable[[str], bool] | None]] = [
    (
        "PRIVATE_KEY",
        re.compile(r"-----BEGIN (?:[A-Z ]+ )?PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z ]+ )?PRIVATE KEY-----|$)"),
        None,
    ),
    ("JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), None),
    (
        "API_KEY",
        re.compile(
            r"\b(?:sk-(?:proj-|live-|test-)?[A-Za-z0-9_-]{20,}|sk_(?:live|test)_[A-Za-z0-9]{16,}|AKIA[0-9A-Z]{16}|"
            r"gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}|xox[abpr]-[A-Za-z0-9-]{10,}|"
            r"AIza[0-9A-Za-z_-]{35}|hf_[A-Za-z0-9]{30,})"
        ),
        None,
    ),
    ("EMAIL", re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"), None),
    ("IBAN", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"), iban_ok),
    ("CREDIT_CARD", re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), _digits_ok(luhn_ok)),
    ("US_SSN", re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b"), None),
    (
        "IP_ADDRESS",
        re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"),
        None,
    ),
    (
        "IP_ADDRESS",
        re.compile(
            r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:])|(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){1,6}:"
            r"(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})?(?![\w:])"
        ),
        lambda m: sum(c.isdigit() or c in "abcdefABCDEF" for c in m) >= 4,
    ),
    (
        "PHONE",
        re.compile(
            # not inside a longer run of digit groups (card-like numbers, version strings)
            r"(?<![\w+.])(?<!\d[ .-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])"
            r"\d{3,4}[ .-]?\d{3,4}\b(?![ .-]?\d)"
        ),
        lambda m: 9 <= len(re.sub(r"\D", "", m)) <= 15,
    ),
    (
        "STREET_ADDRESS",
        re.compile(rf"\b\d{{1,5}}(?: [A-Z][a-z]+){{1,4}} {_STREET}\b\.?", re.IGNORECASE),
        None,
    ),
]


@DETECTORS.register("pii")
class PiiDetector:
    """Regex + checksum detector for emails, phones, cards, IBANs, SSNs, IPs, addresses and secrets."""

    name = "pii"

    def find(self, text: str) -> list[PiiSpan]:
        """Non-overlapping spans, earliest first; earlier pattern types win overlaps."""
        taken: list[PiiSpan] = []
        for typ, pat, ok in _PATTERNS:
            for m in pat.finditer(text):
                if ok is not None and not ok(m.group(0)):
                    continue
                s, e = m.span()
                if any(s < t.end and t.start < e for t in taken):
                    continue
                taken.append(PiiSpan(typ, s, e))
        return sorted(taken, key=lambda sp: sp.start)


def redact(text: str, spans: list[PiiSpan]) -> str:
    """Replace each span with ``[TYPE]``."""
    out: list[str] = []
    pos = 0
    for sp in sorted(spans, key=lambda s: s.start):
        if sp.start < pos:
            continue
        out += [text[pos : sp.start], f"[{sp.type}]"]
        pos = sp.end
    out.append(text[pos:])
    return "".join(out)
