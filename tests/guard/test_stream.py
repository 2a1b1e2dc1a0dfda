from __future__ import annotations

from typing import Any


def _run(checker: Any, chunks: list[str]) -> str:
    out = "".join(checker.feed(c) for c in chunks)
    return out + checker.finish()


def test_pii_split_across_chunks_never_leaks(guard: Any) -> None:
    # this test is about PII redaction while streaming; the hash-embedder category heads score this benign
    # text near their (near-random) thresholds, so category blocking is switched off here
    guard.thresholds = {cid: 1.01 for cid in guard.thresholds}
    text = "Sure, here is the contact. You can write to jane.smith@example.com any time. Have a nice day. "
    for size in (1, 3, 7, 16):
        chunks = [text[i : i + size] for i in range(0, len(text), size)]
        checker = guard.stream("Who should I contact?")
        released = []
        for c in chunks:
            released.append(checker.feed(c))
            assert "jane.smith@" not in "".join(released) or "[EMAIL]" in "".join(released)
        released.append(checker.finish())
        full = "".join(released)
        assert "example.com" not in full and "[EMAIL]" in full
        assert full.startswith("Sure, here is the contact.")


def test_releases_before_the_end_and_keeps_text(guard: Any) -> None:
    text = "Paris is the capital of France. " * 12
    checker = guard.stream("What is the capital of France?")
    early = "".join(checker.feed(text[i : i + 20]) for i in range(0, len(text), 20))
    assert early, "nothing was released while streaming"
    assert early + checker.finish() == text


def test_blocked_stream_stops_with_refusal(guard: Any) -> None:
    checker = guard.stream("hi")
    guard.injection_action = "block"
    checker.guard.thresholds = {k: 0.0 for k in checker.guard.thresholds}  # everything fires
    out = _run(checker, ["Some text. ", "More text here. "])
    assert checker.decision is not None and checker.decision.action == "block"
    assert "Some text" not in out
    assert checker.feed("more") == ""
