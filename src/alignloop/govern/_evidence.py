"""Collect the evidence the run store holds: runs, evals, gates, red-team, data, approvals, monitoring.

Each kind maps to a list of :class:`Link` (a label, and a file or a command that shows it). A kind
with no links is missing evidence; nothing is inferred from what is not recorded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alignloop.govern._audit import audit_entries, audit_key, verify_store
from alignloop.store._govern_tables import ReleaseRow
from alignloop.store._ops_tables import AuditRow, IncidentRow, TraceRow

if TYPE_CHECKING:
    from alignloop.store import RunInfo, RunStore

EVIDENCE_KINDS = {
    "loop_runs": "completed `alignloop run` runs",
    "evals": "eval results with intervals",
    "gates": "release gate checks",
    "redteam": "red-team results",
    "data_provenance": "training data with provenance and SHA-256",
    "constitution": "constitution versions recorded in the audit log",
    "framework_mapping": "constitution categories mapped to framework items",
    "category_evals": "evals of the constitution categories mapped to this item",
    "approvals": "release decisions",
    "model_card": "model cards written",
    "monitoring": "traces of production traffic",
    "guard": "guard decisions on traffic",
    "alerts": "monitoring alerts",
    "incidents": "incidents recorded",
    "audit_log": "an intact audit log",
    "eval:truthfulness": "a truthfulness eval",
    "eval:sycophancy": "a sycophancy eval",
    "eval:over_refusal": "an over-refusal eval",
}
"""Evidence kind -> what it is, in words."""


@dataclass(frozen=True)
class Link:
    """One piece of evidence: what it is, and a file or a command that shows it."""

    label: str
    path: str | None = None
    command: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict without empty fields."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Evidence:
    """Everything found, by kind, plus the constitution categories mapped to framework items."""

    links: dict[str, list[Link]]
    mapped: dict[str, list[str]]
    """``framework:item`` -> constitution category ids that name it."""
    category_metrics: dict[str, tuple[float, Link]]
    """category id -> (latest harmful compliance, where it was measured)."""

    def for_kind(self, kind: str, ref: str) -> list[Link]:
        """Links of one kind; ``category_evals`` depends on the item ``ref`` (``framework:item``)."""
        if kind != "category_evals":
            return self.links.get(kind, [])
        out = []
        for cat in self.mapped.get(ref, []):
            if cat in self.category_metrics:
                value, link = self.category_metrics[cat]
                out.append(Link(f"{cat}: harmful compliance {value:.3f} ({link.label})", link.path, link.command))
        return out


def _file(run: RunInfo, *parts: str) -> Path | None:
    if not run.output_dir:
        return None
    p = Path(run.output_dir, *parts)
    return p if p.exists() else None


def _run_link(run: RunInfo, label: str, *parts: str) -> Link:
    p = _file(run, *parts) if parts else None
    return Link(f"{label} {run.short_id}", str(p) if p else None, f"alignloop runs show {run.short_id}")


def _runs(store: RunStore, links: dict[str, list[Link]]) -> dict[str, tuple[float, Link]]:
    from alignloop.govern._release import read_gates

    cat_metrics: dict[str, tuple[float, Link]] = {}
    runs = [r for r in store.list(limit=10_000, status="completed")]
    for r in runs:  # newest first
        if r.kind == "loop":
            links["loop_runs"].append(_run_link(r, "loop run", "report.html"))
            if _file(r, "eval_after", "summary.json"):
                links["evals"].append(_run_link(r, "after-training eval of loop run", "eval_after", "summary.json"))
            gates = read_gates(r.output_dir)
            if gates is not None:
                verdict = "passed" if gates.get("passed") else "failed"
                links["gates"].append(_run_link(r, f"gates {verdict} in loop run", "gates.json"))
            if _file(r, "redteam", "summary.json"):
                links["redteam"].append(_run_link(r, "red-team of loop run", "redteam", "summary.json"))
            if _file(r, "data", "pairs.jsonl"):
                from alignloop.govern._card import sha256_file

                digest = sha256_file(Path(str(r.output_dir), "data", "pairs.jsonl")) or ""
                links["data_provenance"].append(
                    _run_link(r, f"training pairs sha256 {digest[:12]} of loop run", "data", "pairs.jsonl.meta.json")
                )
        elif r.kind == "eval":
            links["evals"].append(_run_link(r, "eval run", "summary.json"))
        elif r.kind == "redteam":
            links["redteam"].append(_run_link(r, "red-team run", "summary.json"))
        elif r.kind == "data" and r.output_dir:
            links["data_provenance"].append(_run_link(r, "data run"))
        if r.kind in ("loop", "eval"):
            where = _run_link(r, f"{r.kind} run")
            for name, value in r.metrics.items():
                if name in ("truthfulness", "sycophancy", "over_refusal") and not links[f"eval:{name}"]:
                    links[f"eval:{name}"].append(Link(f"{name} {value:.3f} ({where.label})", None, where.command))
                if name.startswith("harmful_compliance/"):
                    cat_metrics.setdefault(name.split("/", 1)[1], (value, where))
    return cat_metrics


def _constitutions(s: Session, links: dict[str, list[Link]]) -> dict[str, list[str]]:
    mapped: dict[str, list[str]] = defaultdict(list)
    latest_with_content = None
    for e in audit_entries(s, action="constitution.change"):
        content = (e["details"] or {}).get("content")
        label = f"constitution {e['subject'][:12]}" + (
            f" ({content.get('name')} v{content.get('version')})" if content else ""
        )
        links["constitution"].append(
            Link(label + f", audit entry #{e['seq']}", None, f"alignloop audit show --seq {e['seq']}")
        )
        if content and latest_with_content is None:
            latest_with_content = (e, content)
    if latest_with_content is not None:  # the newest constitution's mapping is the one in force
        e, content = latest_with_content
        for cat in content.get("categories", []):
            for ref in cat.get("frameworks") or []:
                mapped[ref].append(cat["id"])
        if mapped:
            links["framework_mapping"].append(
                Link(
                    f"{sum(len(v) for v in mapped.values())} category mappings in constitution {e['subject'][:12]}",
                    None,
                    f"alignloop audit show --seq {e['seq']}",
                )
            )
    return dict(mapped)


def _operations(s: Session, links: dict[str, list[Link]]) -> None:
    n, first, last = s.execute(select(func.count(), func.min(TraceRow.ts), func.max(TraceRow.ts))).one()
    if n:
        links["monitoring"].append(
            Link(f"{n} traces from {first:%Y-%m-%d} to {last:%Y-%m-%d}", None, "alignloop monitor")
        )
    guarded = s.scalar(select(func.count()).select_from(TraceRow).where(TraceRow.decisions.is_not(None)))
    if guarded:
        links["guard"].append(Link(f"{guarded} traces with guard decisions", None, "alignloop monitor"))
    for e in audit_entries(s, action="alert.*", limit=50):
        links["alerts"].append(
            Link(f"{e['action']} {e['subject']} ({e['ts'][:10]})", None, f"alignloop audit show --seq {e['seq']}")
        )
    for inc in s.scalars(select(IncidentRow).order_by(IncidentRow.opened_at.desc()).limit(50)):
        links["incidents"].append(
            Link(f"{inc.id} {inc.category} ({inc.status})", None, f"alignloop incident show {inc.id}")
        )
    for rel in s.scalars(select(ReleaseRow).order_by(ReleaseRow.decided_at.desc()).limit(50)):
        extra = ", override" if rel.override else ""
        links["approvals"].append(
            Link(
                f"run {rel.run_id[:12]} {rel.status} by {rel.decided_by}{extra}",
                None,
                f"alignloop release status {rel.run_id[:12]}",
            )
        )
    for e in audit_entries(s, action="card.write", limit=50):
        links["model_card"].append(Link(f"model card of {e['subject'][:12]}", e["details"].get("card"), None))
    count = s.scalar(select(func.count()).select_from(AuditRow))
    if count:
        res = verify_store(s, audit_key())
        if res.ok:
            links["audit_log"].append(
                Link(f"{res.entries} entries, chain intact, head {res.head[:12]}", None, "alignloop audit verify")
            )


def collect(store: RunStore) -> Evidence:
    """Everything the store (and the run folders it names) can show."""
    links: dict[str, list[Link]] = defaultdict(list)
    cat_metrics = _runs(store, links)
    with Session(store.engine) as s:
        mapped = _constitutions(s, links)
        _operations(s, links)
    return Evidence(dict(links), mapped, cat_metrics)
