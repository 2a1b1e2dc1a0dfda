"""Runtime guardrails from the constitution: category, PII, injection and refusal checks.

``Guard.load()`` gives input and output checks for the default constitution: the shipped
fine-tuned MiniLM classifier (``alignloop/guard/model``, rebuilt by ``alignloop guard train
--default``) decides categories and injection; ``RefusalDetector.load()`` is the refusal
classifier evaluation uses. Training sources are registered in ``SOURCES``; detectors in ``DETECTORS``.
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
from alignloop.guard._judge import LlmJudge
from alignloop.guard._pii import PiiDetector, redact
from alignloop.guard._refusal import RefusalDetector
from alignloop.guard._registry import DETECTORS
from alignloop.guard._sources import (
    DEFAULT_SOURCES,
    EXCLUDED_BENCHMARKS,
    SOURCES,
    HfMapping,
    Row,
    SourceInfo,
    read_sources,
)
from alignloop.guard._stream import StreamingChecker
from alignloop.guard._types import Decision, PiiSpan, Reason, RefusalVerdict

__all__ = [
    "DEFAULT_SOURCES",
    "DETECTORS",
    "EXCLUDED_BENCHMARKS",
    "SOURCES",
    "Batch",
    "Decision",
    "Detector",
    "Finding",
    "FinetuneConfig",
    "Guard",
    "GuardClassifier",
    "HashEmbedder",
    "HfMapping",
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
    "build_classifier",
    "default_artifact",
    "default_embedder",
    "load_classifier",
    "read_sources",
    "read_user_data",
    "redact",
    "rows_from_user_file",
    "rows_to_training_data",
    "shipped_model_dir",
    "split_of",
    "train_artifact",
]
