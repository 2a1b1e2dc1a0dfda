"""Reading a guard artifact's metadata, and the embedder it was trained with.

Kept apart from ``_artifact`` (which trains) so that readers such as the refusal detector need not
import the training code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alignloop._util.errors import UserError
from alignloop.guard._embed import Embedder, HashEmbedder, default_embedder

FORMAT_VERSION = 4


def embedder_for(embedder_id: str) -> Embedder:
    """The embedder an artifact was trained with."""
    if embedder_id.startswith("hash-bow-"):
        return HashEmbedder(int(embedder_id.rsplit("-", 1)[1]))
    return default_embedder()


def read_meta(folder: Path) -> dict[str, Any]:
    """An artifact's metadata, or a :class:`UserError` saying what is wrong with the folder."""
    p = folder / "meta.json"
    if not p.exists():
        raise UserError(
            f"{folder} is not a guard artifact (no meta.json)", hint="create one with `alignloop guard train`"
        )
    meta: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
    if meta.get("format_version") != FORMAT_VERSION:
        raise UserError(
            f"{folder}: guard artifact format {meta.get('format_version')} is not supported",
            hint="retrain it with `alignloop guard train`",
        )
    return meta
