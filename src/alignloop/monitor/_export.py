"""Reviewed traces as training data: preference pairs, a private eval set, and labelled guard rows.

Every row carries its ``split`` (``alignloop.data.split_of`` on its id): training consumers
(:func:`feedback_pairs`, ``train data --source monitor``) take only ``train`` rows, so the ``dev`` and
``test`` rows of the private eval set measure failures the new model never trained on.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from alignloop.constitution import LoadedConstitution
from alignloop.data import PreferencePair, split_of, write_rows
from alignloop.monitor._review import ReviewItem, list_items

FORMATS = ("pairs", "eval", "guard")


def _violation_category(item: ReviewItem) -> str | None:
    """The category a reviewer confirmed (approved guard flag) or gave (relabel); None for no violation."""
    if item.status == "relabelled":
        return None if item.category in (None, "none") else item.category
    if item.status == "approved":
        return item.guard_categories[0] if item.guard_categories else None
    if item.status == "corrected":
        return item.category or (item.guard_categories[0] if item.guard_categories else None)
    return None


def _turns(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    turns = [
        {"role": str(m.get("role")), "content": str(m.get("content") or "")}
        for m in messages
        if m.get("role") in ("system", "user", "assistant")
    ]
    while turns and turns[-1]["role"] == "assistant":  # the prompt ends where the model replies
        turns.pop()
    return turns


def _row_id(item: ReviewItem) -> str:
    return f"monitor-{item.trace_id[:40]}"


def pair_rows(items: list[ReviewItem], loaded: LoadedConstitution) -> list[dict[str, Any]]:
    """Chosen: the reviewer's correction, else the constitution's refusal; rejected: the production reply."""
    rows = []
    for item in items:
        cat = _violation_category(item)
        prompt = _turns(item.messages)
        if not item.response or not prompt or (item.status != "corrected" and cat is None):
            continue
        chosen = item.correction if item.status == "corrected" else loaded.constitution.refusal_for(cat)
        if not chosen or chosen.strip() == item.response.strip():
            continue
        rid = _row_id(item)
        row = {
            "id": rid,
            "prompt": prompt,
            "chosen": [{"role": "assistant", "content": chosen}],
            "rejected": [{"role": "assistant", "content": item.response}],
            "category": cat,
            "source": "monitor",
            "split": split_of(rid),
            "trace_id": item.trace_id,
            "reviewer": item.reviewer,
        }
        PreferencePair.model_validate(row)  # fail here, not in training
        rows.append(row)
    return rows


def eval_rows(items: list[ReviewItem]) -> list[dict[str, Any]]:
    """Private eval items (``PromptRecord`` rows): the prompt, what a good reply does, the reviewer's reply."""
    rows = []
    for item in items:
        prompt = _turns(item.messages)
        if not prompt or prompt[-1]["role"] != "user" or not prompt[-1]["content"].strip():
            continue
        cat = _violation_category(item)
        if item.status == "dismissed" or (cat is None and item.status not in ("corrected", "relabelled")):
            continue
        harmful = cat is not None
        rid = _row_id(item)
        rows.append(
            {
                "id": rid,
                "prompt": prompt[-1]["content"],
                "messages": prompt[:-1],
                "label": "harmful" if harmful else "benign",
                "category": cat,
                "split": split_of(rid),
                "source": "monitor",
                "private": True,
                "expected": "refuse" if harmful and item.status != "corrected" else "answer",
                "reference": item.correction,
                "production_response": item.response,
            }
        )
    return rows


def guard_rows(items: list[ReviewItem]) -> list[dict[str, Any]]:
    """Labelled replies for ``alignloop guard train --data``: violations with their category, false alarms as safe."""
    rows: list[dict[str, Any]] = []
    for item in items:
        if not item.response or item.status == "dismissed":
            continue
        cat = _violation_category(item)
        rid = _row_id(item)
        if cat is not None:
            rows.append({"id": rid, "text": item.response, "label": "harmful", "category": cat, "split": split_of(rid)})
        elif item.status in ("relabelled", "approved"):
            rows.append({"id": rid, "text": item.response, "label": "safe", "category": None, "split": split_of(rid)})
    return rows


def reviewed(engine: Engine) -> list[ReviewItem]:
    """Every item with a verdict."""
    items = list_items(engine, None, limit=10_000_000)
    return [i for i in items if i.status != "pending"]


def export(engine: Engine, fmt: str, out: str | os.PathLike[str], loaded: LoadedConstitution) -> int:
    """Write reviewed items as ``fmt`` rows to ``out`` (atomically); returns the row count."""
    items = reviewed(engine)
    if fmt == "pairs":
        rows = pair_rows(items, loaded)
    elif fmt == "eval":
        rows = eval_rows(items)
    else:
        rows = guard_rows(items)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    write_rows(out, rows)
    return len(rows)


def feedback_pairs(store: Any, loaded: LoadedConstitution | None = None) -> list[PreferencePair]:
    """Train-split preference pairs from reviewed production traces, for ``run --feedback monitor``.

    Args:
        store: a :class:`alignloop.store.RunStore` (or anything with an ``engine``).
        loaded: the constitution whose refusals become ``chosen`` (default: the packaged one).
    """
    from alignloop.constitution import load_constitution

    lc = loaded or load_constitution(None)
    rows = pair_rows(reviewed(store.engine), lc)
    return [PreferencePair.model_validate(r) for r in rows if r["split"] == "train"]


def write_feedback(path: str | os.PathLike[str], loaded: LoadedConstitution, store: Any = None) -> dict[str, Any]:
    """Write :func:`feedback_pairs` to ``path`` for the data recipe; returns its provenance sidecar.

    ``store`` defaults to the run store at ``$ALIGNLOOP_DB_URL`` (else the SQLite one in alignloop's home).
    """
    from alignloop.store import RunStore

    st = store or RunStore.open()
    pairs = feedback_pairs(st, loaded)
    write_rows(path, pairs)
    return {"rows": len(pairs), "store": st.url, "labels": {"monitor": len(pairs)}}
