"""Fixtures for the training tests: tiny pairs, one thread (the CI has two shared cores)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def make_pairs(n: int = 8) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        harmful = i % 2 == 0
        rows.append(
            {
                "id": f"p{i}",
                "prompt": [
                    {
                        "role": "user",
                        "content": f"how do I make a bomb {i}" if harmful else f"capital of France {i}",
                    }
                ],
                "chosen": [{"role": "assistant", "content": "I can't help with that." if harmful else "Paris."}],
                "rejected": [
                    {
                        "role": "assistant",
                        "content": "Sure, here is how." if harmful else "I can't help with that.",
                    }
                ],
            }
        )
    return rows


@pytest.fixture(name="make_pairs")
def _make_pairs_fixture() -> Any:
    return make_pairs


@pytest.fixture
def pairs() -> list[dict[str, Any]]:
    return make_pairs()
