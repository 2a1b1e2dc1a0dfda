from __future__ import annotations

import pytest

from alignloop.guard import PiiDetector, redact
from alignloop.guard._pii import iban_ok, luhn_ok


@pytest.mark.parametrize(
    ("text", "typ", "item"),
    [
        ("write to jo.doe@example.com today", "EMAIL", "jo.doe@example.com"),
        ("call +1 415-555-0132 now", "PHONE", "+1 415-555-0132"),
        ("card 4111 1111 1111 1111 ok", "CREDIT_CARD", "4111 1111 1111 1111"),
        ("iban GB82 WEST 1234 5698 7654 32 ok", "IBAN", "GB82 WEST 1234 5698 7654 32"),
        ("ssn 123-45-6789 ok", "US_SSN", "123-45-6789"),
        ("host 192.168.1.20 ok", "IP_ADDRESS", "192.168.1.20"),
        ("host 2001:db8::8a2e:370:7334 ok", "IP_ADDRESS", "2001:db8::8a2e:370:7334"),
        ("key AKIAIOSFODNN7EXAMPLE ok", "API_KEY", "AKIAIOSFODNN7EXAMPLE"),
        ("key sk-abcdefghijklmnopqrstuvwxyz123456 ok", "API_KEY", "sk-abcdefghijklmnopqrstuvwxyz123456"),
        ("tok ghp_" + "a1B2" * 9 + " ok", "API_KEY", "ghp_" + "a1B2" * 9),
        ("lives at 221 Baker Street", "STREET_ADDRESS", "221 Baker Street"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----", "PRIVATE_KEY", None),
    ],
)
def test_finds_each_type_with_exact_span(text: str, typ: str, item: str | None) -> None:
    spans = PiiDetector().find(text)
    assert [s.type for s in spans] == [typ]
    if item is not None:
        assert text[spans[0].start : spans[0].end] == item


def test_checksums_reject_lookalikes() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82WEST12345698765432") and not iban_ok("GB82WEST12345698765433")
    assert not [s for s in PiiDetector().find("order 4111 1111 1111 1112 shipped") if s.type == "CREDIT_CARD"]


def test_plain_text_has_no_pii() -> None:
    assert PiiDetector().find("In 2024 I read 3 books and version 1.2.3 shipped.") == []


def test_redact_replaces_spans_with_type() -> None:
    text = "mail a.b@example.org or 123-45-6789"
    out = redact(text, PiiDetector().find(text))
    assert out == "mail [EMAIL] or [US_SSN]"


def test_digit_runs_and_versions_are_not_phones() -> None:
    text = "kill -9 127.040.0000.000.000.000 and 1234 5678 9012 3456 and 2024-2025"
    assert [s.type for s in PiiDetector().find(text)] == []
