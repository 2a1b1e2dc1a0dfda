"""The monitoring report: windows with rates and drift against the reference, and the alerts they raise."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from alignloop.constitution import LoadedConstitution
from alignloop.constitution._monitoring import parse_duration
from alignloop.monitor._alerts import evaluate, list_alerts, store_firings
from alignloop.monitor._drift import MAX_PER_WINDOW, Embedder, behaviour_drift, input_drift, sample
from alignloop.monitor._score import prompt_of
from alignloop.monitor._windows import Window, compute_windows
from alignloop.store import TraceRow


def prompts_for(engine: Engine, trace_ids: list[str]) -> dict[str, str]:
    """The last user message of each trace."""
    out: dict[str, str] = {}
    with engine.connect() as conn:
        for i in range(0, len(trace_ids), 500):
            chunk = trace_ids[i : i + 500]
            for tid, messages in conn.execute(select(TraceRow.id, TraceRow.messages).where(TraceRow.id.in_(chunk))):
                out[tid] = prompt_of(messages)
    return out


class _Sample:
    """A window's sampled prompts, embedded once."""

    def __init__(self, engine: Engine, window: Window, embedder: Embedder) -> None:
        self.ids = sample(window.trace_ids, MAX_PER_WINDOW)
        texts = prompts_for(engine, self.ids)
        self.ids = [t for t in self.ids if t in texts]
        self.texts = [texts[t] for t in self.ids]
        self.emb = embedder.encode(self.texts) if self.texts else np.zeros((0, 1))


def add_drift(engine: Engine, windows: list[Window], embedder: Embedder | None, alpha: float) -> None:
    """Fill ``window.drift`` of every window against the first window of its scope (the reference)."""
    # input and behaviour families share the window's false alarm budget (see alignloop.monitor._drift)
    alpha_in, alpha_beh = alpha / 5, alpha * 4 / 5
    refs: dict[str, tuple[Window, _Sample | None]] = {}
    for w in windows:
        if w.scope not in refs:
            refs[w.scope] = (w, _Sample(engine, w, embedder) if embedder is not None else None)
            w.drift = {"detected": False, "reference": True}
            continue
        ref, ref_sample = refs[w.scope]
        drift: dict[str, Any] = {"reference": False, "reference_start": ref.start.isoformat()}
        if embedder is not None and ref_sample is not None:
            cur = _Sample(engine, w, embedder)
            res = input_drift(ref_sample.emb, cur.emb, cur.texts, alpha=alpha_in, current_ids=cur.ids)
            drift["input"] = res.to_dict() if res is not None else {"detected": False, "skipped": "too few prompts"}
        drift["behaviour"] = behaviour_drift(ref, w, alpha=alpha_beh)
        drift["detected"] = bool(drift.get("input", {}).get("detected")) or drift["behaviour"]["detected"]
        w.drift = drift


def build_report(
    engine: Engine,
    loaded: LoadedConstitution,
    *,
    window: str | None = None,
    by: str | None = None,
    embedder: Embedder | None = None,
    raise_alerts: bool = True,
) -> dict[str, Any]:
    """Windows (time order) with rates, Wilson intervals and drift, plus the alerts of their time span.

    New alerts are stored, sent and escalated unless ``raise_alerts`` is False.
    """
    mon = loaded.constitution.monitoring
    width: timedelta = parse_duration(window or mon.window)
    windows = compute_windows(engine, loaded.hash, width, loaded.constitution.category_ids, by=by)
    add_drift(engine, windows, embedder, mon.drift_alpha)
    if raise_alerts:
        firings = [f for w in windows for f in evaluate(list(mon.rules), w)]
        store_firings(engine, firings, mon)
    alerts = list_alerts(engine, since=windows[0].start) if windows else []
    return {
        "window": window or mon.window,
        "constitution_hash": loaded.hash,
        "windows": [w.to_dict() for w in windows],
        "alerts": alerts,
    }
