"""The one loop detector."""

from __future__ import annotations

from alignloop.guard import is_degenerate, is_loop


def test_loops_are_repeated_ngrams_or_lines() -> None:
    assert is_loop("the cat sat on " * 30)
    assert is_loop("\n".join(["- buy milk"] * 4 + ["- call mum"]))
    assert not is_loop("A short, varied and perfectly normal answer about cats and their habits.")
    assert not is_loop("I'm sorry for your loss. " * 3)  # too short to call a loop


def test_degenerate_is_empty_or_a_loop() -> None:
    assert is_degenerate("") and is_degenerate("  \n") and is_degenerate("a b c d " * 20)
    assert not is_degenerate("Paris is the capital.")
