"""Runtime guardrails from the constitution: category, PII, injection and refusal checks.

``Guard.load()`` gives input and output checks for the default constitution (its artifact is
built on first use and cached); ``RefusalDetector.load()`` the refusal classifier evaluation uses.
"""

from alignloop.guard._artifact import TrainingData, default_artifact, read_user_data, split_of, train_artifact
from alignloop.guard._embed import HashEmbedder, OnnxEmbedder, default_embedder
from alignloop.guard._guard import Guard
from alignloop.guard._judge import LlmJudge
from alignloop.guard._pii import PiiDetector, redact
from alignloop.guard._refusal import RefusalDetector
from alignloop.guard._registry import DETECTORS
from alignloop.guard._stream import StreamingChecker
from alignloop.guard._types import Decision, PiiSpan, Reason, RefusalVerdict

__all__ = [
    "DETECTORS",
    "Decision",
    "Guard",
    "HashEmbedder",
    "LlmJudge",
    "OnnxEmbedder",
    "PiiDetector",
    "PiiSpan",
    "Reason",
    "RefusalDetector",
    "RefusalVerdict",
    "StreamingChecker",
    "TrainingData",
    "default_artifact",
    "default_embedder",
    "read_user_data",
    "redact",
    "split_of",
    "train_artifact",
]
