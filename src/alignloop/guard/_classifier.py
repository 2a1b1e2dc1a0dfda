"""The fine-tuned guard classifier at run time: int8 ONNX on 2 threads, one text per run, LRU-cached.

A classifier folder holds ``model.onnx`` (logits: unsafe, injection, then one per category),
``tokenizer.json`` and ``meta.json`` (categories, calibration, thresholds and where each came
from, the data manifest). The shipped one lives in ``alignloop/guard/model``.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alignloop._util.errors import UserError

CLASSIFIER_FORMAT = 1
SESSION_THREADS = 1
"""Threads per ONNX Runtime session. A short text is too small a matrix product to split well over
two threads; two single-threaded sessions each taking half of a batch keep both cores busy
(``benchmarks/guard_latency.py`` prints both layouts' throughput)."""
MAX_SESSIONS = 2


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
        import onnxruntime as ort
        from tokenizers import Tokenizer

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
        self.max_len = int(self.meta["config"]["max_len"])
        cores = os.cpu_count() or 1
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or SESSION_THREADS
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        n = sessions or max(1, min(MAX_SESSIONS, cores // opts.intra_op_num_threads))
        model = str(self.folder / "model.onnx")
        self._sessions = [ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"]) for _ in range(n)]
        self._sess = self._sessions[0]
        self._pool: Any = None
        self._tok = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self._tok.enable_truncation(self.max_len)
        self._tok.no_padding()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @property
    def id(self) -> str:
        """Names the model in decisions and run records."""
        return f"guard-classifier@{self.meta.get('data_hash', '')[:12]}"

    def _run(self, text: str, sess: Any = None) -> np.ndarray:
        ids = np.array([self._tok.encode(text).ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        (logits,) = (sess or self._sess).run(None, feeds)
        out: np.ndarray = logits[0].astype(np.float32)
        return out

    def _run_many(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Each text alone, spread over the sessions: one thread per session (ONNX Runtime releases the GIL)."""
        k = len(self._sessions)
        if k == 1 or len(texts) < 2:
            return [self._run(t) for t in texts]
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(k, thread_name_prefix="guard-clf")
        parts = [list(range(j, len(texts), k)) for j in range(k)]
        done = self._pool.map(lambda j: [self._run(texts[i], self._sessions[j]) for i in parts[j]], range(k))
        out: list[np.ndarray] = [np.zeros(0)] * len(texts)
        for j, got in enumerate(done):
            for i, z in zip(parts[j], got, strict=True):
                out[i] = z
        return out

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Raw logits, shape ``(n, 2 + categories)``.

        Each text runs alone: dynamic int8 quantization scales activations per tensor, so in a padded
        batch a text's score would depend on its neighbours.
        """
        out = np.zeros((len(texts), 2 + len(self.categories)), dtype=np.float32)
        todo: list[int] = []
        with self._lock:
            for i, t in enumerate(texts):
                hit = self._cache.get(t)
                if hit is None:
                    todo.append(i)
                else:
                    self._cache.move_to_end(t)
                    out[i] = hit
        for i, z in zip(todo, self._run_many([texts[i] for i in todo]), strict=True):
            out[i] = z
        if todo:
            with self._lock:
                for i in todo:
                    self._cache[texts[i]] = out[i]
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out

    def scores(self, texts: Sequence[str]) -> Scores:
        """Calibrated probabilities for ``texts``."""
        return scores_from_logits(self.logits(texts), self.meta)

    def clear_cache(self) -> None:
        """Forget cached texts (benchmarks measure cold runs)."""
        with self._lock:
            self._cache.clear()


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
