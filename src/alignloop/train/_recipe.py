"""The data recipe of ``alignloop run``: constitution refusals for harmful prompts, helpful pairs otherwise."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignloop._util.atomic import write_text_atomic
from alignloop._util.hashing import sha256_text
from alignloop.constitution import LoadedConstitution
from alignloop.data import PromptRecord, seed_prompts, write_rows
from alignloop.models import ChatModel
from alignloop.train._datasets import meta_path, train_prompts
from alignloop.train._generate import (
    generate_cai,
    generate_context_distillation,
    generate_helpfulness,
    generate_rlaif,
    import_redteam_failures,
)
from alignloop.train._judge import Judge, KeywordJudge

SOURCES = ("cai", "helpfulness", "context_distillation", "rlaif", "redteam")
DEFAULT_SOURCES = ("cai", "helpfulness", "redteam")


@dataclass
class DataResult:
    """Where the generated data went and what it holds."""

    pairs_path: Path
    sft_path: Path
    counts: dict[str, int] = field(default_factory=dict)
    """Pairs per source."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Per-source provenance sidecars."""


def _spread(records: Sequence[PromptRecord], limit: int | None) -> list[PromptRecord]:
    # order by id hash so a limit samples every category, not the first file only
    ordered = sorted(records, key=lambda r: sha256_text(r.id))
    return ordered if limit is None else ordered[:limit]


def build_alignment_data(
    model: ChatModel,
    loaded: LoadedConstitution,
    out_dir: str | os.PathLike[str],
    *,
    sources: Sequence[str] = DEFAULT_SOURCES,
    harmful: Sequence[PromptRecord] | None = None,
    helpful: Sequence[PromptRecord] | None = None,
    limit: int | None = None,
    failures: str | os.PathLike[str] | None = None,
    judge: Judge | None = None,
    mode: str = "auto",
    max_new_tokens: int = 64,
    progress: Callable[[int], None] | None = None,
) -> DataResult:
    """Generate every requested source into ``out_dir`` and merge them into ``pairs.jsonl``.

    Prompts default to the ``train`` split of the bundled seed prompts (harmful for ``cai``,
    ``context_distillation`` and ``rlaif``; borderline + benign for ``helpfulness``); ``limit``
    caps each group. Each source keeps its own resumable file, so a killed run continues.
    """
    from alignloop._util.errors import UserError

    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise UserError(
            f"unknown data source(s): {sorted(unknown)}", hint=f"choose from {', '.join(SOURCES)}"
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    judge = judge or KeywordJudge()
    harm = _spread(train_prompts(harmful if harmful is not None else seed_prompts(label="harmful")), limit)
    if helpful is None:
        helpful = seed_prompts(label="borderline") + seed_prompts(label="benign")
    helpf = _spread(train_prompts(helpful), limit)
    metas: dict[str, Any] = {}
    kw: dict[str, Any] = {"judge": judge, "max_new_tokens": max_new_tokens, "progress": progress}
    if "cai" in sources:
        metas["cai"] = generate_cai(
            model, loaded, harm, out / "cai.jsonl", sft_path=out / "sft.jsonl", mode=mode, **kw
        )
    if "helpfulness" in sources:
        metas["helpfulness"] = generate_helpfulness(model, loaded, helpf, out / "helpfulness.jsonl", **kw)
    if "context_distillation" in sources:
        metas["context_distillation"] = generate_context_distillation(
            model, loaded, harm + helpf, out / "context_distillation.jsonl", **kw
        )
    if "rlaif" in sources:
        metas["rlaif"] = generate_rlaif(model, loaded, harm + helpf, out / "rlaif.jsonl", **kw)
    if "redteam" in sources and failures is not None and Path(failures).exists():
        metas["redteam"] = import_redteam_failures(failures, out / "redteam.jsonl", loaded)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for src in metas:
        for line in (out / f"{src}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                if r["id"] not in seen:
                    seen.add(r["id"])
                    rows.append(r)
    pairs = write_rows(out / "pairs.jsonl", rows)
    counts = {src: int(m.get("rows", 0)) for src, m in metas.items()}
    summary = {
        "constitution_hash": loaded.hash,
        "model": model.name,
        "judge": judge.name,
        "counts": counts,
        "sources": metas,
    }
    write_text_atomic(meta_path(pairs), json.dumps(summary, indent=2, sort_keys=True))
    sft = out / "sft.jsonl"
    if not sft.exists():
        write_rows(sft, [])
    return DataResult(pairs_path=pairs, sft_path=sft, counts=counts, meta=metas)
