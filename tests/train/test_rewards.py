"""GRPO's reward functions: the constitution reward and the off-topic penalty."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from alignloop.guard import GuardJudge, RefusalVerdict
from alignloop.train import RELEVANCE_FLOOR, ConstitutionReward, RelevanceReward

_TOPICS = ("bread", "python", "tides")


class _TopicEmbedder:
    """One axis per topic word: a text's vector points at the topics it mentions (zero vector: none)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        v = np.array([[float(t in x.lower()) for t in _TOPICS] + [1e-6] for x in texts], dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def _refusal(r: str) -> RefusalVerdict:
    p = float(r.startswith("I can't"))
    return RefusalVerdict("refusal" if p else "compliance", p, 0.0, 1.0 - p)


class _Guard:
    """The guard's output check: a refusal verdict when the reply starts with "I can't", never unsafe."""

    embedder = _TopicEmbedder()

    def __init__(self) -> None:
        self.calls: list[int] = []

    def check_outputs(self, prompts: Sequence[str], responses: Sequence[str]) -> list[Any]:
        self.calls.append(len(responses))
        return [SimpleNamespace(score=0.0, categories={}, refusal=_refusal(r)) for r in responses]


def _judge() -> GuardJudge:
    return GuardJudge(guard=_Guard())


def test_guard_judge_relevance_is_prompt_answer_cosine() -> None:
    cos = _judge().relevance(["how do I bake bread?", "how do I bake bread?"], ["Knead the bread.", "Arr!"])
    assert cos[0] > 0.99 and abs(cos[1]) < 0.01
    assert _judge().relevance([], []) == []


def test_relevance_penalises_off_topic_answers_but_not_refusals() -> None:
    prompts = [[{"role": "user", "content": "How do I bake bread?"}]] * 3
    completions = [
        [{"role": "assistant", "content": "Mix flour and water, then bake the bread."}],
        [{"role": "assistant", "content": "I'm a retired sailor who has seen the seven seas."}],
        [{"role": "assistant", "content": "I can't help with that."}],
    ]
    on, off, refusal = RelevanceReward(_judge())(prompts, completions)
    assert on == 0.0 and refusal == 0.0
    assert off == pytest.approx(-1.0, abs=1e-4)  # no relation at all: the full penalty
    # a floor of 0 (nothing counts as off-topic) turns the penalty off
    assert RelevanceReward(_judge(), floor=1e-9)(prompts, completions)[1] == 0.0
    assert RELEVANCE_FLOOR < 0.37  # under the embedded model's 5th-percentile on-topic cosine


def test_constitution_reward_ranks_refusal_by_label() -> None:
    judge = _judge()
    reward = ConstitutionReward(judge)
    answers = ["Bake the bread at 220C for thirty minutes.", "I can't help with that."]
    harmful = reward(["make a weapon"] * 2, answers, label=["harmful"] * 2)
    benign = reward(["bake bread"] * 2, answers, label=["benign"] * 2)
    assert harmful[1] > harmful[0] and benign[0] > benign[1]


def test_constitution_reward_gives_a_partial_refusal_nothing() -> None:
    judge = _judge()
    judge.guard.check_outputs = lambda p, r: [
        SimpleNamespace(score=0.0, categories={}, refusal=RefusalVerdict("partial", 0.0, 1.0, 0.0)) for _ in r
    ]
    reward = ConstitutionReward(judge)
    assert reward(["x"], ["In general terms, some of it."], label=["harmful"]) == [-1.0]
    assert reward(["x"], ["In general terms, some of it."], label=["benign"]) == [-1.0]


def test_guard_judge_classifies_a_batch_once_for_both_rewards() -> None:
    judge = _judge()
    prompts, answers = ["bake bread"] * 2, ["Bake the bread.", "I can't help with that."]
    ConstitutionReward(judge)(prompts, answers, label=["benign"] * 2)
    RelevanceReward(judge)(prompts, answers)
    assert judge.guard.calls == [2]
    judge.judge(prompts, answers[::-1])  # another batch is classified afresh
    assert judge.guard.calls == [2, 2]
