"""Guard fixtures: an artifact trained with the hashing embedder (no model download, seconds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml


@pytest.fixture(scope="session")
def hash_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from alignloop.constitution import load_constitution
    from alignloop.guard import HashEmbedder, train_artifact

    return train_artifact(tmp_path_factory.mktemp("guard") / "art", load_constitution(None), embedder=HashEmbedder())


@pytest.fixture
def guard(hash_artifact: Path) -> Any:
    from alignloop.guard import Guard

    return Guard.load(artifact=hash_artifact)


@pytest.fixture
def write_constitution(tmp_path: Path) -> Any:
    """Write the default constitution with ``edit(data)`` applied; returns the path."""
    from alignloop.constitution._load import default_path

    def make(edit: Any) -> Path:
        data = yaml.safe_load(default_path().read_text(encoding="utf-8"))
        edit(data)
        p = tmp_path / "c.yaml"
        p.write_text(yaml.safe_dump(data), encoding="utf-8")
        return p

    return make
