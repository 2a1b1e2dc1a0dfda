from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from alignloop._util.errors import DataError, UserError
from alignloop.constitution import load_constitution
from alignloop.guard import HashEmbedder, read_user_data, split_of, train_artifact


def test_artifact_metadata(hash_artifact: Path) -> None:
    meta = json.loads((hash_artifact / "meta.json").read_text())
    lc = load_constitution(None)
    assert meta["constitution_hash"] == lc.hash
    assert meta["categories"] == lc.constitution.category_ids
    assert meta["embedder_id"].startswith("hash-bow")
    assert 0.0 < meta["default_threshold"] < 1.0
    assert {"heads.npz", "refusal.npz", "meta.json"} <= {p.name for p in hash_artifact.iterdir()}


def test_category_without_examples_is_a_clear_error(write_constitution: Any, tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["categories"].append(
            dict(d["categories"][0], id="weather_control", violating_examples=[], allowed_examples=[])
        )

    lc = load_constitution(write_constitution(edit))
    with pytest.raises(UserError, match=r"weather_control.*no violating examples"):
        train_artifact(tmp_path / "a", lc, embedder=HashEmbedder())
    assert not (tmp_path / "a").exists()


def test_user_data_rows(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text(
        '{"id": "1", "text": "x", "label": "harmful", "category": "cbrn"}\n'
        '{"id": "2", "text": "y", "label": "injection"}\n{"id": "3", "text": "z", "label": "meh"}\n'
    )
    with pytest.raises(DataError, match=r"d.jsonl:3: field 'label'"):
        read_user_data(p)
    p.write_text(
        '{"id": "1", "text": "x", "label": "harmful", "category": "cbrn"}\n'
        '{"id": "2", "text": "y", "label": "injection"}\n'
    )
    data = read_user_data(p)
    assert data.categories == ["cbrn"] and data.inj_labels == [1]


def test_split_is_stable_and_respects_given_split() -> None:
    ids = [f"row-{i}" for i in range(500)]
    held = [i for i in ids if split_of(i, None) != "train"]
    assert held == [i for i in ids if split_of(i, None) != "train"]
    assert 60 < len(held) < 140
    assert split_of("row-1", "train") == "train"
