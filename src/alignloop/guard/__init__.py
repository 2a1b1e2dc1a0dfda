"""Runtime guardrails from the constitution: category, PII, injection and refusal checks.

``Guard.load()`` gives input and output checks for the default constitution: the shipped
fine-tuned MiniLM classifier (``alignloop/guard/model``, rebuilt by ``alignloop guard train
--default``) decides categories and injection; ``RefusalDetector.load()`` is the refusal
classifier on its own. Training sources are registered in ``SOURCES``; detectors in ``DETECTORS``.

The one judgement core every stage uses lives here too: ``Verdict`` and the meaning of refusal,
partial and compliance (``_verdict``), the judges (``JUDGES``: ``guard``, ``llm``, ``keyword``;
``make_judge``) and the one loop detector (``is_loop``).
"""

from alignloop.guard._artifact import (
    TrainingData,
    default_artifact,
    read_user_data,
    rows_from_user_file,
    rows_to_training_data,
    split_of,
    train_artifact,
)
from alignloop.guard._build import build_classifier
from alignloop.guard._classifier import GuardClassifier, load_classifier, shipped_model_dir
from alignloop.guard._detectors import Batch, Detector, Finding
from alignloop.guard._embed import HashEmbedder, OnnxEmbedder, default_embedder
from alignloop.guard._finetune import FinetuneConfig
from alignloop.guard._guard import Guard
from alignloop.guard._judge import GuardJudge, LlmJudge, default_judge, make_judge
from alignloop.guard._loops import is_degenerate, is_loop
from alignloop.guard._pii import PiiDetector, redact
from alignloop.guard._refusal import RefusalDetector
from alignloop.guard._registry import DETECTORS
from alignloop.guard._sources import (
    DEFAULT_SOURCES,
    DEV_ONLY_SOURCES,
    EXCLUDED_BENCHMARKS,
    SOURCES,
    HfMapping,
    Row,
    SourceInfo,
    held_out_only,
    read_sources,
)
from alignloop.guard._stream import StreamingChecker
from alignloop.guard._types import VIOLATION_DETECTORS, Decision, PiiSpan, Reason, RefusalVerdict
from alignloop.guard._verdict import JUDGES, Judge, KeywordJudge, Verdict, declines

__all__ = [
    "DEFAULT_SOURCES",
    "DETECTORS",
    "DEV_ONLY_SOURCES",
    "EXCLUDED_BENCHMARKS",
    "JUDGES",
    "SOURCES",
    "VIOLATION_DETECTORS",
    "Batch",
    "Decision",
    "Detector",
    "Finding",
    "FinetuneConfig",
    "Guard",
    "GuardClassifier",
    "GuardJudge",
    "HashEmbedder",
    "HfMapping",
    "Judge",
    "KeywordJudge",
    "LlmJudge",
    "OnnxEmbedder",
    "PiiDetector",
    "PiiSpan",
    "Reason",
    "RefusalDetector",
    "RefusalVerdict",
    "Row",
    "SourceInfo",
    "StreamingChecker",
    "TrainingData",
    "Verdict",
    "build_classifier",
    "declines",
    "default_artifact",
    "default_embedder",
    "default_judge",
    "held_out_only",
    "is_degenerate",
    "is_loop",
    "load_classifier",
    "make_judge",
    "read_sources",
    "read_user_data",
    "redact",
    "rows_from_user_file",
    "rows_to_training_data",
    "shipped_model_dir",
    "split_of",
    "train_artifact",
]
