"""The loop's ``summary.json`` and ``report.html``: metrics before/after, their precision, red-team, provenance."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from alignloop._util.atomic import write_text_atomic
from alignloop.loop._presets import PROVENANCE, TUNED_ON, old_dev_constants
from alignloop.loop._stages import LoopContext, pipeline

HALF_WIDTH_TARGET = 0.05
"""Headline rates aim at a 95% Wilson interval no wider than +-5 points."""
Z95 = 1.959964


def needed_n(p: float, half_width: float = HALF_WIDTH_TARGET) -> int:
    """Items a rate near ``p`` needs for a 95% half-width of ``half_width`` (normal approximation)."""
    p = min(max(p, 0.05), 0.95)  # near 0 or 1 the Wilson interval is asymmetric; plan for a modest rate
    return math.ceil(Z95**2 * p * (1 - p) / half_width**2)


def precision(summary: dict[str, Any], split: str, limit: int | None = None) -> dict[str, Any]:
    """Per headline suite: n, the interval's half-width, and why it is wider than 5 points when it is.

    ``limit``: the preset's cap on items per suite (then the cap, not the split, sets n).
    """
    out: dict[str, Any] = {}
    for name, s in summary.get("suites", {}).items():
        r = s.get("retention") or s.get("overall")
        if not r or r.get("value") is None:
            continue
        half = (r["ci_high"] - r["ci_low"]) / 2
        entry: dict[str, Any] = {"n": r["n"], "value": r["value"], "half_width": round(half, 4)}
        if half > HALF_WIDTH_TARGET:
            if s.get("source"):  # a public held-out suite: its size is the preset's public cap
                where = f"this preset measures {r['n']} prompts of {s['source'].get('name')}"
            elif limit is not None:
                where = f"this preset evaluates {r['n']} {split} prompts (capped at {limit})"
            else:
                where = f"the bundled {split} split has {r['n']} such prompts"
            entry["why_wider"] = (
                f"{where}; +-5 points at this rate needs about {needed_n(r['value'])}. "
                "Add held-out prompts (eval --prompts FILE) for a tighter interval."
            )
        out[name] = entry
    return out


def per_category(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{suite: {category: rate record (value, ci_low, ci_high, k, n)}}`` from an eval summary."""
    return {name: s["per_category"] for name, s in summary.get("suites", {}).items() if s.get("per_category")}


def public_heldout(base: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The model alone on held-out prompts nobody here wrote: share refused before and after, per public suite.

    Each entry has ``before`` / ``after`` rate records (value, Wilson 95% interval, k, n) of the share
    refused, the source, and ``skipped`` where the suite had no items on this machine.
    """
    from alignloop.evals import NO_SAFE_PUBLIC_SET, SUITES, PublicSuite

    out: dict[str, Any] = {}
    for name in dict.fromkeys([*base.get("suites", {}), *after.get("suites", {})]):
        if name not in SUITES.names() or not issubclass(SUITES.get(name), PublicSuite):
            continue
        b, a = base.get("suites", {}).get(name) or {}, after.get("suites", {}).get(name) or {}
        entry: dict[str, Any] = {"before": b.get("refused"), "after": a.get("refused")}
        entry["source"] = a.get("source") or b.get("source")
        if a.get("skipped") or b.get("skipped"):
            entry["skipped"] = a.get("skipped") or b.get("skipped")
        out[name] = entry
    return {"suites": out, "note": NO_SAFE_PUBLIC_SET} if out else {}


def redteam_by_strategy(base: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Attack success per strategy for the base and the aligned model (rate records with n and interval)."""
    names = sorted({*base.get("per_strategy", {}), *after.get("per_strategy", {})})
    return {
        n: {"base": base.get("per_strategy", {}).get(n), "after": after.get("per_strategy", {}).get(n)} for n in names
    }


def transcripts(out: Path, n: int = 4) -> list[dict[str, Any]]:
    """Before/after answers to the same prompts: harmful first, then borderline and benign.

    Per suite, prompts whose outcome changed (improvements and regressions) come first.
    """

    def rows(which: str) -> dict[tuple[str, str], dict[str, Any]]:
        f = out / f"eval_{which}" / "results.jsonl"
        lines = f.read_text(encoding="utf-8").splitlines() if f.exists() else []
        return {(r["suite"], str(r["id"])): r for r in map(json.loads, filter(str.strip, lines))}

    before, after = rows("baseline"), rows("after")
    picked: list[dict[str, Any]] = []
    for suite in ("harmful_compliance", "over_refusal", "helpfulness"):
        keys = sorted(
            (k for k in before if k[0] == suite and k in after),
            key=lambda k: (bool(before[k].get("fail")) == bool(after[k].get("fail")), k),
        )[:n]
        for k in keys:
            for label, r in (("before", before[k]), ("after", after[k])):
                picked.append(
                    {
                        "strategy": f"{suite}: {label}",
                        "category": r.get("category"),
                        "conversation": [{"role": "user", "content": str(r.get("prompt"))}],
                        "response": r.get("response"),
                    }
                )
    return picked


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def build_summary(ctx: LoopContext) -> dict[str, Any]:
    """The loop's ``summary.json`` object from the finished stages' files and records."""
    out, state, p = ctx.out, ctx.state, ctx.preset
    base, after = _load(out / "eval_baseline" / "summary.json"), _load(out / "eval_after" / "summary.json")
    data_meta = _load(out / "data" / "pairs.jsonl.meta.json")
    sources = data_meta.get("sources", {})
    rt_base, rt_after = _load(out / "redteam" / "summary.json"), _load(out / "redteam_after" / "summary.json")

    def info(name: str) -> dict[str, Any]:
        return {k: v for k, v in state.get(name).items() if k not in ("done", "finished_at")}

    builtin = ("train", "rl", "steer")
    names = [s.name for s in pipeline()]
    return {
        "model": state.data["config"]["model"],
        "constitution_hash": ctx.loaded.hash,
        "preset": p.to_dict(),
        "eval_split": p.eval_split,
        "metrics": {"baseline": base.get("metrics", {}), "after": after.get("metrics", {})},
        "precision": precision(after or base, p.eval_split, p.eval_limit),
        "per_category": {"baseline": per_category(base), "after": per_category(after)},
        "redteam": {
            "overall": {"base": rt_base.get("overall"), "after": rt_after.get("overall")},
            "per_strategy": redteam_by_strategy(rt_base, rt_after),
        },
        "gates": _load(out / "gates.json"),
        "data": state.get("data").get("counts", {}),
        # which path made each source's pairs (e.g. cai: refusal_style when the model is too small to critique)
        "data_generators": {k: v.get("generators", {}) for k, v in sources.items()},
        "data_labels": {k: v.get("labels", {}) for k, v in sources.items()},
        # training prompts per origin (seed or an external source), and each external source's manifest entry
        "data_sources": {"prompt_mix": data_meta.get("prompt_mix", {}), "external": data_meta.get("external", [])},
        "public_heldout": public_heldout(base, after),
        **{name: info(name) for name in builtin if state.done(name)},
        # stages added by plugins report under their own name
        "stages": {n: info(n) for n in names if n not in builtin and state.done(n) and n != "report"},
        "provenance": {"constants": PROVENANCE, "note": provenance_note(p.eval_split)},
        "stage_seconds": {n: state.get(n).get("seconds") for n in names if state.done(n)},
        "model_dir": str(out / "model"),
        "report": str(out / "report.html"),
        "run_id": state.data.get("run_id"),
    }


def provenance_note(split: str) -> str:
    """The caveat every report states: which tuned constants the ``split`` numbers are not held out from."""
    old = old_dev_constants()
    if not old:
        return (
            f"every tuned constant was chosen on the new {TUNED_ON} split alone, so the {split} numbers are held "
            "out from training and from tuning"
        )
    return (
        f"tuned constants {', '.join(old)} were chosen on the {TUNED_ON} split before the frozen test split was "
        f"carved out of it, so the {split} numbers are held out from training but not fully from that tuning; "
        "the others marked dev were chosen on the new dev split alone"
    )


def write_report(ctx: LoopContext) -> dict[str, Any]:
    """Write ``DIR/report.html`` and then ``DIR/summary.json`` (last: its presence means the run finished)."""
    from alignloop.report import render_loop_report

    out = ctx.out
    summary = build_summary(ctx)
    render_loop_report(
        out / "report.html",
        _load(out / "eval_baseline" / "summary.json"),
        _load(out / "eval_after" / "summary.json"),
        comparison=_load(out / "comparison.json"),
        gates=_load(out / "gates.json"),
        redteam_summary=_load(out / "redteam" / "summary.json"),
        transcripts=transcripts(out),
        run=summary,
    )
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2, default=str))
    return summary
