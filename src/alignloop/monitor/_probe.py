"""Probe an endpoint with a fixed prompt set on a schedule and compare the replies with the last run.

A provider sometimes retrains a model under the same name. Greedy replies to fixed prompts barely move
between runs of one model, so the share of probes whose reply changed materially is the signal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from alignloop._util.hashing import sha256_json
from alignloop.store._monitor_tables import ProbeRunRow

PROBES_PER_LABEL = 8
SIMILAR = 0.6
"""Word-set Jaccard at or above which two replies count as the same (wording jitter, not a new model)."""


def default_probes() -> list[dict[str, str]]:
    """A fixed set from the bundled seed prompts' dev split: harmful, borderline and ordinary requests."""
    from alignloop.data import seed_prompts

    out = []
    for label in ("harmful", "borderline", "benign"):
        rows = sorted(seed_prompts(split="dev", label=label), key=lambda r: r.id)[:PROBES_PER_LABEL]
        out += [{"id": r.id, "prompt": r.prompt} for r in rows]
    return out


def read_probes(path: str) -> list[dict[str, str]]:
    """``{"id", "prompt"}`` rows from a JSONL file."""
    from alignloop.data import iter_jsonl

    return [{"id": str(r.get("id", n)), "prompt": str(r["prompt"])} for n, r in iter_jsonl(path) if "prompt" in r]


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two replies' lower-cased word sets (1.0 for two empty replies)."""
    wa, wb = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    if not wa and not wb:
        return 1.0
    return len(wa & wb) / len(wa | wb)


def compare(previous: Sequence[str], current: Sequence[str]) -> tuple[float, list[int]]:
    """Share of probes whose reply changed materially, and their indexes."""
    changed = [i for i, (p, c) in enumerate(zip(previous, current, strict=True)) if similarity(p, c) < SIMILAR]
    return len(changed) / max(len(current), 1), changed


def run_probe(
    engine: Engine,
    model: str | Any,
    *,
    probes_path: str | None = None,
    threshold: float = 0.2,
    max_new_tokens: int = 64,
) -> dict[str, Any]:
    """Probe ``model`` (a spec for ``load_model`` or a ChatModel) once, store the run, compare with the last."""
    from alignloop.models import GenerationConfig, load_model

    probes = read_probes(probes_path) if probes_path else default_probes()
    m = load_model(model) if isinstance(model, str) else model
    target = model if isinstance(model, str) else m.name
    replies = m.generate(
        [[{"role": "user", "content": p["prompt"]}] for p in probes], GenerationConfig(max_new_tokens=max_new_tokens)
    )
    phash = sha256_json(probes)
    with Session(engine) as s, s.begin():
        last = s.scalars(
            select(ProbeRunRow)
            .where(ProbeRunRow.target == target, ProbeRunRow.probe_hash == phash)
            .order_by(ProbeRunRow.id.desc())
            .limit(1)
        ).first()
        previous = None if last is None else list(last.replies)
        changed, idx = (None, []) if previous is None else compare(previous, replies)
        details = {"changed_ids": [probes[i]["id"] for i in idx], "previous_run": None if last is None else last.id}
        row = ProbeRunRow(
            target=target,
            probe_hash=phash,
            replies=list(replies),
            changed=changed,
            details=details,
            ts=datetime.now(timezone.utc),
        )
        s.add(row)
        s.flush()
        run_id = row.id
    return {
        "run": run_id,
        "target": target,
        "probes": len(probes),
        "changed": changed,
        "model_changed": changed is not None and changed >= threshold,
        "changed_ids": details["changed_ids"],
        "examples": [
            {
                "id": probes[i]["id"],
                "prompt": probes[i]["prompt"],
                "before": previous[i][:200],
                "after": replies[i][:200],
            }
            for i in idx[:3]
        ]
        if previous is not None
        else [],
    }
