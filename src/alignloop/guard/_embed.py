"""Fast sentence embeddings: MiniLM exported to ONNX Runtime (int8), shared by every embedding head.

The bundled sentence-transformers model costs ~24 ms a text on two CPU cores, mostly Python
overhead; an int8 ONNX graph behind the raw ``tokenizers`` tokenizer runs the same model in a
few milliseconds. The export is built once into ``cache_dir()/guard/onnx`` and reused.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from alignloop._util.atomic import atomic_path
from alignloop._util.paths import cache_dir
from alignloop.guard._onnx import OnnxTextModel

MAX_TOKENS = 128
"""Texts are truncated to this many tokens; longer texts are checked in windows by the guard."""
EMBEDDER_ID = "all-MiniLM-L6-v2@onnx-int8/128/single"
"""Names the embeddings in artifact keys: a change here retrains cached heads on the new vectors."""


class Embedder(Protocol):
    """Anything that maps texts to L2-normalised float32 vectors."""

    id: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape ``(len(texts), dim)``."""
        ...


def _onnx_dir() -> Path:
    return cache_dir() / "guard" / "onnx-minilm"


def _export(target: Path) -> None:
    """Export the bundled MiniLM to ``target/model.onnx`` (+ int8 ``model.int8.onnx``), atomically."""
    import shutil

    import torch
    from transformers import AutoModel

    from alignloop.models import embedder_path

    src = embedder_path()
    with atomic_path(target) as tmp:
        tmp.mkdir(parents=True)
        bert = AutoModel.from_pretrained(str(src), attn_implementation="eager").eval()

        bert.requires_grad_(False)

        class _Wrap(torch.nn.Module):
            # keyword call: newer transformers reorder BertModel.forward's positional arguments
            def __init__(self) -> None:
                super().__init__()
                self.bert = bert

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                return self.bert(
                    input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
                ).last_hidden_state

        ids = torch.ones(2, 16, dtype=torch.long)
        with torch.no_grad():
            torch.onnx.export(
                _Wrap().eval(),
                (ids, torch.ones_like(ids), torch.zeros_like(ids)),
                str(tmp / "model.onnx"),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                dynamic_axes={k: {0: "b", 1: "t"} for k in ("input_ids", "attention_mask", "token_type_ids")},
                opset_version=17,
                dynamo=False,
            )
        try:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(str(tmp / "model.onnx"), str(tmp / "model.int8.onnx"), weight_type=QuantType.QInt8)
            (tmp / "model.onnx").unlink()  # 90 MB we no longer need
        except ImportError:  # the `onnx` package is missing: keep the fp32 graph
            pass
        shutil.copy(src / "tokenizer.json", tmp / "tokenizer.json")


def _mean_pool(hidden: np.ndarray, ids: np.ndarray) -> np.ndarray:
    pooled = hidden.sum(0) / max(len(ids), 1)
    out: np.ndarray = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
    return out


class OnnxEmbedder:
    """MiniLM mean-pooled, normalised embeddings from ONNX Runtime (:class:`._onnx.OnnxTextModel`)."""

    dim = 384

    def __init__(
        self,
        folder: Path | None = None,
        cache_size: int = 4096,
        threads: int | None = None,
        sessions: int | None = None,
    ) -> None:
        folder = folder or _onnx_dir()
        if not (folder / "tokenizer.json").exists():
            _export(folder)
        path = folder / "model.int8.onnx"
        self.id = EMBEDDER_ID if path.exists() else EMBEDDER_ID.replace("int8", "fp32")
        if not path.exists():
            path = folder / "model.onnx"
        self.model = OnnxTextModel(
            path, folder / "tokenizer.json", MAX_TOKENS, self.dim, _mean_pool, cache_size, threads, sessions
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` (each alone, so a text's vector never depends on its batch); repeats come from the cache."""
        return self.model.rows(texts)

    def clear_cache(self) -> None:
        """Forget cached texts (benchmarks measure cold runs)."""
        self.model.clear_cache()


class HashEmbedder:
    """A deterministic bag-of-words hashing embedder: no model, for tests and as a last resort."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.id = f"hash-bow-{dim}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Hash lower-cased words and bigrams into ``dim`` buckets, then L2-normalise."""
        import re

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            words = re.findall(r"[a-z0-9']+", t.lower())
            for tok in words + [a + " " + b for a, b in itertools.pairwise(words)]:
                h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=4).digest(), "little")
                out[i, h % self.dim] += 1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out


_DEFAULT: Any = None
_DEFAULT_LOCK = threading.Lock()


def default_embedder() -> OnnxEmbedder:
    """The process-wide fast MiniLM embedder (built on first use)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = OnnxEmbedder()
        return _DEFAULT  # type: ignore[no-any-return]
