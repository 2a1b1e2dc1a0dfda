"""Scripted targets and a fake embedder shared by the eval tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from alignloop.models import ScriptedModel


def refuse_if(
    pred: Any, refusal: str = "I can't help with that.", answer: str = "Sure! Here is a full answer."
) -> ScriptedModel:
    """A target that refuses when ``pred(last user text)`` is true."""
    return ScriptedModel(lambda conv: refusal if pred(conv[-1]["content"]) else answer)


class FakeEmbedder:
    """Bag-of-words vectors: identical texts have similarity 1, disjoint ones 0."""

    def encode(self, texts: list[str], normalize_embeddings: bool = True, convert_to_numpy: bool = True) -> Any:
        rows = []
        for t in texts:
            v = np.zeros(512)
            for w in t.lower().split():
                v[hash(w) % 512] += 1
            rows.append(v / (np.linalg.norm(v) or 1.0))
        return np.stack(rows)
