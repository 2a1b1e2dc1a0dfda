"""The fine-tuned guard classifier at run time: an int8 ONNX graph run by :class:`._onnx.OnnxTextModel`.

A classifier folder holds ``model.onnx`` (logits: unsafe, injection, then one per category),
``tokenizer.json`` and ``meta.json`` (categories, calibration, thresholds and where each came
from, the data manifest). The shipped one lives in ``alignloop/guard/model``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alignloop._util.errors import UserError
from alignloop.guard._onnx import OnnxTextModel

CLASSIFIER_FORMAT = 1


def shipped_model_dir() -> Path:
    """The classifier this package ships (rebuilt by ``alignloop guard train --default``)."""
    return Path(__file__).parent / "model"


@dataclass
class Scores:
    """Per-text outputs: calibrated unsafe probability, injection probability, per-category shares."""

    unsafe: np.ndarray
    injection: np.ndarray
    category: np.ndarray
    """Softmax over categories, divided by its maximum: the top category is 1.0."""


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))
    return out


class GuardClassifier:
    """Runs a classifier folder; :meth:`scores` turns texts into :class:`Scores`."""

    def __init__(
        self, folder: str | Path, cache_size: int = 4096, threads: int | None = None, sessions: int | None = None
    ) -> None:
        self.folder = Path(folder)
        p = self.folder / "meta.json"
        if not p.exists() or not (self.folder / "model.onnx").exists():
            raise UserError(
                f"{self.folder} is not a guard classifier (needs meta.json and model.onnx)",
                hint="rebuild it with `alignloop guard train --default`",
            )
        self.meta: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
        if self.meta.get("classifier_format") != CLASSIFIER_FORMAT:
            raise UserError(
                f"{self.folder}: classifier format {self.meta.get('classifier_format')} is not supported",
                hint="rebuild it with `alignloop guard train --default`",
            )
        self.categories: list[str] = list(self.meta["categories"])
        self._words: frozenset[str] | None = None
        self.max_len = int(self.meta["config"]["max_len"])
        self.model = OnnxTextModel(
            self.folder / "model.onnx",
            self.folder / "tokenizer.json",
            self.max_len,
            2 + len(self.categories),
            lambda logits, _ids: logits,
            cache_size,
            threads,
            sessions,
        )

    @property
    def id(self) -> str:
        """Names the model in decisions and run records."""
        return f"guard-classifier@{self.meta.get('data_hash', '')[:12]}"

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Raw logits, shape ``(n, 2 + categories)``, each text run alone (see :mod:`._onnx`)."""
        return self.model.rows(texts)

    def scores(self, texts: Sequence[str]) -> Scores:
        """Calibrated probabilities for ``texts``."""
        return scores_from_logits(self.logits(texts), self.meta)

    def clear_cache(self) -> None:
        """Forget cached texts (benchmarks measure cold runs)."""
        self.model.clear_cache()

    @property
    def words(self) -> frozenset[str]:
        """The whole words of the tokenizer's vocabulary: the word list that undoes regular verb forms (``._tense``)."""
        if self._words is None:
            vocab = json.loads((self.folder / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
            self._words = frozenset(w for w in vocab if w.isalpha())
        return self._words


def scores_from_logits(z: np.ndarray, meta: dict[str, Any]) -> Scores:
    """Apply the metadata's calibration to raw logits."""
    a, b = meta["calibration"]["unsafe_platt"]
    unsafe = _sigmoid(a * z[:, 0] + b)
    injection = _sigmoid(z[:, 1])
    c = z[:, 2:] - z[:, 2:].max(axis=1, keepdims=True)
    e = np.exp(c)
    share = e / e.max(axis=1, keepdims=True)
    return Scores(unsafe, injection, share)


_SHIPPED: dict[str, GuardClassifier] = {}
_LOCK = threading.Lock()


def load_classifier(folder: str | Path | None = None) -> GuardClassifier | None:
    """The classifier in ``folder`` (default: the shipped one, or ``None`` when it is absent); shared per process."""
    path = Path(folder) if folder is not None else shipped_model_dir()
    if folder is None and not (path / "model.onnx").exists():
        return None
    key = str(path.resolve())
    with _LOCK:
        if key not in _SHIPPED:
            _SHIPPED[key] = GuardClassifier(path)
        return _SHIPPED[key]
