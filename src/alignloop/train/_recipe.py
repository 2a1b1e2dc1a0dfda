"""The data recipe of ``alignloop run``: constitution refusals for harmful prompts, helpful pairs otherwise."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignloop._util.atomic import write_text_atomic
from alignloop._util.hashing import sha256_text
from alignloop._util.sampling import spread
from alignloop.constitution import LoadedConstitution
from alignloop.data import ExternalPrompts, PromptRecord, seed_prompts, write_rows
from alignloop.guard._verdict import Judge, KeywordJudge
from alignloop.models import ChatModel
from alignloop.train._datasets import meta_path, row_id, train_prompts
from alignloop.train._generate import (
    REFUSAL_OPENING_WORDS,
    generate_cai,
    generate_context_distillation,
    generate_helpfulness,
    generate_rlaif,
    import_redteam_failures,
)

SOURCES = ("cai", "helpfulness", "context_distillation", "rlaif", "redteam", "monitor")
DEFAULT_SOURCES = ("cai", "helpfulness", "redteam")
BORDER_SHARE = 0.5
"""Share of borderline-safe prompts in a capped helpful group (the rest are ordinary prompts), chosen on the
new dev split (``alignloop.loop.PROVENANCE["border_share"]``): with 3/4, the main job's model refused ordinary
writing requests (a thank-you note, a job description) and kept 0.788 of its helpfulness on dev; with 1/2,
0.879 at 3.8% instead of 7.5% over-refusal, for a harmful compliance within noise (0.557 against 0.523).
Before: 3/4, chosen on the old dev split (docs/design.md)."""


@dataclass
class DataResult:
    """Where the generated data went and what it holds."""

    pairs_path: Path
    sft_path: Path
    counts: dict[str, int] = field(default_factory=dict)
    """Pairs per source."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Per-source provenance sidecars."""


def _group(record: PromptRecord) -> str | None:
    # ordinary prompts have no harm category: their topic (coding, writing, ...) takes its place
    return record.category or record.topic


def _spread(records: Sequence[PromptRecord], limit: int | None, *, proportional: bool = False) -> list[PromptRecord]:
    # a limit takes each category in turn: hash order alone gave 9 to 21 of 180 harmful prompts per category.
    # The salt keeps the order apart from the id hash the bundle's splits were drawn with: unsalted, its
    # train rows hashed high, and 36 of the first 45 ordinary prompts were ones added later (train only).
    return spread(records, limit, id_of=lambda r: r.id, category_of=_group, salt="train:", proportional=proportional)


def mix(own: Sequence[PromptRecord], ext: Sequence[PromptRecord], n: int | None, share: float) -> list[PromptRecord]:
    """``n`` prompts of which ``share`` come from ``ext`` (as many as it has), the rest from ``own``.

    Without a cap (``n`` None), all of both (none of ``ext`` when ``share`` is 0). Each part is spread
    over its categories in turn.
    """
    if n is None:
        return _spread(own, None) + (_spread(ext, None) if share > 0 else [])
    n_ext = min(len(ext), round(n * share))
    return _spread(own, n - n_ext) + _spread(ext, n_ext)


def spread_train(label: str, limit: int | None = None) -> list[PromptRecord]:
    """The bundled train-split seed prompts with ``label``: with a ``limit``, categories (topics for
    ordinary prompts) take turns; without one, all of them in hash order."""
    return _spread(train_prompts(seed_prompts(label=label)), limit)


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
    border_share: float = BORDER_SHARE,
    external: ExternalPrompts | None = None,
    external_share: float = 0.0,
    rejected_words: int = REFUSAL_OPENING_WORDS,
) -> DataResult:
    """Generate every requested source into ``out_dir`` and merge them into ``pairs.jsonl``.

    Prompts default to the ``train`` split of the bundled seed prompts (harmful for ``cai``,
    ``context_distillation`` and ``rlaif``; borderline and benign for ``helpfulness``). ``limit``
    caps each group; ``border_share`` of a capped helpful group is borderline, the rest benign.
    ``external``: prompts nobody here wrote (``alignloop.data.external_prompts``; train rows only are
    used); ``external_share`` of the harmful prompts and of the borderline ones come from them, in
    place of seed prompts (without a ``limit``, all of them are added). ``rejected_words``: the words of
    the refusal a helpfulness pair rejects. Each source keeps its own resumable file, so a killed run
    continues.
    """
    from alignloop._util.errors import UserError

    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise UserError(f"unknown data source(s): {sorted(unknown)}", hint=f"choose from {', '.join(SOURCES)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    judge = judge or KeywordJudge()
    ext = external or ExternalPrompts()
    ext_harm, ext_border = (train_prompts(ext.labelled(label)) for label in ("harmful", "borderline"))
    own_harm = train_prompts(harmful if harmful is not None else seed_prompts(label="harmful"))
    harm = mix(own_harm, ext_harm, limit, external_share)
    if helpful is None:
        # borderline-safe prompts carry the contrast with harmful ones; ordinary ones keep everyday answers
        border, benign = (train_prompts(seed_prompts(label=label)) for label in ("borderline", "benign"))
        n_border = len(border) if limit is None else min(len(border), math.ceil(limit * border_share))
        n_benign = len(benign) if limit is None else min(len(benign), limit - n_border)
        # capped, borderline prompts take harm categories in turn. Ordinary topics keep the pool's mix
        # instead: in turn, writing (137 of 458) got 4 of 45 pairs, and writing requests were most of the
        # ordinary prompts the aligned model refused (docs/design.md)
        border_part = mix(border, ext_border, None if limit is None else n_border, external_share)
        helpf = _spread(border_part + _spread(benign, n_benign, proportional=True), None)
    else:
        helpf = _spread(train_prompts(helpful), limit)
    metas: dict[str, Any] = {}
    kw: dict[str, Any] = {"judge": judge, "max_new_tokens": max_new_tokens, "progress": progress}
    if "cai" in sources:
        metas["cai"] = generate_cai(model, loaded, harm, out / "cai.jsonl", sft_path=out / "sft.jsonl", mode=mode, **kw)
    if "helpfulness" in sources:
        metas["helpfulness"] = generate_helpfulness(
            model, loaded, helpf, out / "helpfulness.jsonl", rejected_words=rejected_words, **kw
        )
    if "context_distillation" in sources:
        metas["context_distillation"] = generate_context_distillation(
            model, loaded, harm + helpf, out / "context_distillation.jsonl", **kw
        )
    if "rlaif" in sources:
        metas["rlaif"] = generate_rlaif(model, loaded, harm + helpf, out / "rlaif.jsonl", **kw)
    if "redteam" in sources and failures is not None and Path(failures).exists():
        metas["redteam"] = import_redteam_failures(failures, out / "redteam.jsonl", loaded)
    if "monitor" in sources:
        from alignloop.monitor import write_feedback

        metas["monitor"] = write_feedback(out / "monitor.jsonl", loaded)
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
    summary: dict[str, Any] = {
        "constitution_hash": loaded.hash,
        "model": model.name,
        "judge": judge.name,
        "counts": counts,
        "sources": metas,
    }
    summary["prompt_mix"] = prompt_mix(harm + helpf, rows, ext.origin)
    if external is not None:
        summary["external"] = ext.manifest
    sft = _write_sft(out / "sft.jsonl", loaded, own_harm + (ext_harm if external_share > 0 else []), rows)
    summary["sft_rows"] = len(sft)
    write_text_atomic(meta_path(pairs), json.dumps(summary, indent=2, sort_keys=True))
    return DataResult(pairs_path=pairs, sft_path=out / "sft.jsonl", counts=counts, meta=metas)


def prompt_mix(
    prompts: Sequence[PromptRecord], pairs: Sequence[dict[str, Any]], origin: dict[str, str]
) -> dict[str, dict[str, dict[str, int]]]:
    """Prompts chosen and pairs made, per label and origin (``seed`` or an external source's name)."""
    label_of = {r.id: str(r.label) for r in prompts}
    out: dict[str, dict[str, dict[str, int]]] = {"prompts": {}, "pairs": {}}
    for r in prompts:
        by = out["prompts"].setdefault(str(r.label), {})
        by[origin.get(r.id, "seed")] = by.get(origin.get(r.id, "seed"), 0) + 1
    for row in pairs:
        pid = str(row.get("prompt_id"))
        if pid in label_of:  # red-team and feedback pairs have prompts of their own
            by = out["pairs"].setdefault(label_of[pid], {})
            by[origin.get(pid, "seed")] = by.get(origin.get(pid, "seed"), 0) + 1
    return out


def _write_sft(
    path: Path, loaded: LoadedConstitution, harmful: Sequence[PromptRecord], pairs: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """SFT conversations for a warm-up before DPO, one per prompt.

    Every harmful train prompt gets the constitution's refusal for its category (no generation is
    needed, so this covers all of them, not just the ``limit`` that got pairs), and every
    helpfulness pair contributes its chosen answer so the warm-up does not teach refusing
    everything. CAI revisions already in the file (the self-critique path) win over the
    refusal-style rows for the same prompt.
    """
    c = loaded.constitution
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    rows = [r for r in map(json.loads, filter(str.strip, lines)) if r.get("source") == "cai"]
    covered = {str(r.get("prompt_id")) for r in rows}
    for p in harmful:
        if p.id in covered:
            continue
        covered.add(p.id)
        rows.append(
            {
                "id": row_id("sft", p.id),
                "messages": [*p.conversation(), {"role": "assistant", "content": c.refusal_for(p.category)}],
                "source": "constitution_refusal",
                "generator": "refusal_style",
                "constitution_hash": loaded.hash,
                "prompt_id": p.id,
            }
        )
    for r in pairs:
        pid = str(r.get("prompt_id"))
        if r.get("source") != "helpfulness" or pid in covered:
            continue
        covered.add(pid)
        rows.append(
            {
                "id": row_id("sft", pid),
                "messages": [*r["prompt"], *r["chosen"]],
                "source": "helpfulness",
                "generator": r.get("generator", "own_answer"),
                "constitution_hash": loaded.hash,
                "prompt_id": pid,
                **({"truncated": True} if r.get("chosen_truncated") else {}),
            }
        )
    # interleave by id hash so a step sees refusals and answers together
    rows.sort(key=lambda r: sha256_text(str(r["id"])))
    write_rows(path, rows)
    return rows
