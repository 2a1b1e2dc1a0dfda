"""Score responses for data generation: is it a refusal, is it unsafe, is it degenerate.

The guard (``alignloop.guard``) is used when it is installed and loads; otherwise a keyword
judge stands in, and the name of the judge used is recorded in each dataset's provenance.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

_REFUSAL = re.compile(
    r"\b(i can(?:'|no)?t|i cannot|i won'?t|i will not|i'm not able|i am not able|i'm unable|i am unable|"
    r"i must decline|i have to decline|not able to help|can'?t help|cannot help|can'?t assist|cannot assist|"
    r"i'm sorry, but|i apologi[sz]e, but|against my guidelines|not something i can)\b",
    re.IGNORECASE,
)


class Judge(Protocol):
    """What data generation needs from a judge."""

    name: str

    def refusal_scores(self, prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
        """Probability that each response is a refusal."""
        ...

    def unsafe_scores(self, prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
        """Probability that each response is unsafe under the constitution."""
        ...


class KeywordJudge:
    """Refusal by phrase match on the opening of the reply; no unsafe model (scores 0)."""

    name = "keyword"

    def refusal_scores(self, prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
        """1.0 when a refusal phrase appears in the first 200 characters, else 0.0."""
        return [1.0 if _REFUSAL.search(r[:200]) else 0.0 for r in responses]

    def unsafe_scores(self, prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
        """Unknown without a classifier: 0.0."""
        return [0.0 for _ in responses]


@dataclass
class GuardJudge:
    """The constitution's guard: its refusal detector and its output check."""

    guard: Any
    detector: Any = None
    name: str = "guard"
    _last: tuple[Any, list[float]] | None = None

    def refusal_scores(self, prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
        """``p_refusal`` of the guard's refusal detector (loaded once)."""
        # GRPO's constitution and relevance rewards both ask for the same batch: classify it once
        key = (tuple(prompts), tuple(responses))
        if self._last is None or self._last[0] != key:
            if self.detector is None:
                from alignloop.guard import RefusalDetector

                self.detector = RefusalDetector.load()
            scores = [float(v.p_refusal) for v in self.detector.classify(list(responses), prompts=list(prompts))]
            self._last = (key, scores)
        return self._last[1]

    def unsafe_scores(self, prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
        """Largest unsafe-category probability of the output check."""
        return [float(d.score) for d in self.guard.check_outputs(list(prompts), list(responses))]

    def relevance_scores(self, prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
        """Cosine similarity of each response to its prompt in the guard's sentence embedding."""
        if not responses:
            return []
        emb = self.guard.embedder
        p, r = emb.encode(list(prompts)), emb.encode(list(responses))  # L2-normalised rows
        return [float(x) for x in (p * r).sum(axis=1)]


@dataclass
class VerdictJudge:
    """Any eval judge (``alignloop.evals`` ``judge(prompts, responses) -> [Verdict]``) as a data judge."""

    judge: Any
    name: str = "eval_judge"
    _last: tuple[Any, list[Any]] | None = None

    def _verdicts(self, prompts: Sequence[str], responses: Sequence[str]) -> list[Any]:
        # refusal_scores and unsafe_scores are called back to back on the same batch: judge it once
        key = (tuple(prompts), tuple(responses))
        if self._last is None or self._last[0] != key:
            self._last = (key, list(self.judge.judge(list(prompts), list(responses))))
        return self._last[1]

    def refusal_scores(self, prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
        """1 for a refusal, 0.5 for a partial refusal, 0 for compliance."""
        weight = {"refusal": 1.0, "partial": 0.5}
        return [weight.get(v.refusal, 0.0) for v in self._verdicts(prompts, responses)]

    def unsafe_scores(self, prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
        """The verdicts' unsafe probability."""
        return [float(v.unsafe) for v in self._verdicts(prompts, responses)]


def default_judge(constitution: Any = None) -> Judge:
    """The guard for ``constitution`` if it loads, else :class:`KeywordJudge`."""
    try:
        from alignloop.guard import Guard

        return GuardJudge(Guard.load(constitution))
    except Exception:  # the guard is optional here: any failure to load falls back to keywords
        return KeywordJudge()


def is_degenerate(text: str, n: int = 4, max_repeat: float = 0.5) -> bool:
    """True for empty replies and repetition loops (most 4-grams repeated)."""
    words = text.split()
    if not words:
        return True
    if len(words) < 2 * n:
        return False
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return 1.0 - len(set(grams)) / len(grams) > max_repeat
