"""One ONNX text encoder at run time: texts run one at a time over a few single-thread sessions, LRU-cached.

Both guard models (the fine-tuned classifier and the MiniLM behind the embedding heads) are int8
graphs that run here. Each text runs alone: dynamic int8 quantization scales activations per
tensor, so in a padded batch a text's output would depend on its neighbours (a verdict flipped
between a batch and a single check). A short text is too small a matrix product to split well
over two threads, so a batch is spread over single-thread sessions instead (the classifier went
from 268 to 567 texts/s on 2 cores, ``benchmarks/guard_latency.py``).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

SESSION_THREADS = 1
"""Threads per ONNX Runtime session (see the module docstring for why one)."""
MAX_SESSIONS = 2
"""Sessions per model at most; each holds its own copy of the weights (tens of MB)."""

Post = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""Turns a graph's first output for one text, and that text's token ids, into the row to keep."""


class OnnxTextModel:
    """A tokenizer and a pool of ONNX sessions that map each text to one float32 row (``width`` wide)."""

    def __init__(
        self,
        model: Path,
        tokenizer: Path,
        max_len: int,
        width: int,
        post: Post,
        cache_size: int = 4096,
        threads: int | None = None,
        sessions: int | None = None,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or SESSION_THREADS
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        cores = os.cpu_count() or 1
        n = sessions or max(1, min(MAX_SESSIONS, cores // opts.intra_op_num_threads))
        self.sessions = [ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"]) for _ in range(n)]
        self.width = width
        self._post = post
        self._pool: Any = None
        self._tok = Tokenizer.from_file(str(tokenizer))
        self._tok.enable_truncation(max_len)
        self._tok.no_padding()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def _run(self, text: str, sess: Any) -> np.ndarray:
        ids = np.array([self._tok.encode(text).ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        first = sess.run(None, feeds)[0]
        return self._post(first[0], ids[0]).astype(np.float32)

    def _run_many(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Each text alone, spread over the sessions (ONNX Runtime releases the GIL while it runs)."""
        k = len(self.sessions)
        if k == 1 or len(texts) < 2:
            return [self._run(t, self.sessions[0]) for t in texts]
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(k, thread_name_prefix="guard-onnx")
        parts = [list(range(j, len(texts), k)) for j in range(k)]
        done = self._pool.map(lambda j: [self._run(texts[i], self.sessions[j]) for i in parts[j]], range(k))
        out: list[np.ndarray] = [np.zeros(0)] * len(texts)
        for j, got in enumerate(done):
            for i, row in zip(parts[j], got, strict=True):
                out[i] = row
        return out

    def rows(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, shape ``(len(texts), width)``; repeated texts come from the cache."""
        out = np.zeros((len(texts), self.width), dtype=np.float32)
        todo: list[int] = []
        with self._lock:
            for i, t in enumerate(texts):
                hit = self._cache.get(t)
                if hit is None:
                    todo.append(i)
                else:
                    self._cache.move_to_end(t)
                    out[i] = hit
        for i, row in zip(todo, self._run_many([texts[i] for i in todo]), strict=True):
            out[i] = row
        if todo:
            with self._lock:
                for i in todo:
                    self._cache[texts[i]] = out[i]
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out

    def clear_cache(self) -> None:
        """Forget cached texts (benchmarks measure cold runs)."""
        with self._lock:
            self._cache.clear()
