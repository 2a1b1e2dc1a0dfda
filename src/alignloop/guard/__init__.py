"""Runtime guardrails from the constitution: category, PII, injection and refusal checks.

``Guard.load()`` gives input and output checks for the default constitution (its artifact is
built on first use and cached); ``RefusalDetector.load()`` the refusal classifier on its own.

The one judgement core every stage uses lives here too: ``Verdict`` and the meaning of refusal,
partial and compliance (``_verdict``), the judges (``JUDGES``: ``guard``, ``llm``, ``keyword``;
``make_judge``) and the one loop detector (``is_loop``).
"""

from alignloop.guard._artifact import TrainingData, default_artifact, read_user_data, split_of, train_artifact
from alignloop.guard._embed import HashEmbedder, OnnxEmbedder, default_embedder
from alignloop.guard._guard import Guard
from alignloop.guard._judge import GuardJudge, LlmJudge, default_judge, make_judge
from alignloop.guard._loops import is_degenerate, is_loop
from alignloop.guard._pii import PiiDetector, redact
from alignloop.guard._refusal import RefusalDetector
from alignloop.guard._registry import DETECTORS
from alignloop.guard._stream import StreamingChecker
from alignloop.guard._types import Decision, PiiSpan, Reason, RefusalVerdict
from alignloop.guard._verdict import JUDGES, Judge, KeywordJudge, Verdict, declines

__all__ = [
    "DETECTORS",
    "JUDGES",
    "Decision",
    "Guard",
    "GuardJudge",
    "HashEmbedder",
    "Judge",
    "KeywordJudge",
    "LlmJudge",
    "OnnxEmbedder",
    "PiiDetector",
    "PiiSpan",
    "Reason",
    "RefusalDetector",
    "RefusalVerdict",
    "StreamingChecker",
    "TrainingData",
    "Verdict",
    "declines",
    "default_artifact",
    "default_embedder",
    "default_judge",
    "is_degenerate",
    "is_loop",
    "make_judge",
    "read_user_data",
    "redact",
    "split_of",
    "train_artifact",
]
