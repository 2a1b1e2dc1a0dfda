"""The compliance register: each framework item, the evidence the store holds for it, and a status.

``evidenced``: every kind of evidence the item lists exists (and alignloop can cover the item fully);
``partial``: some of it exists, or the item reaches beyond what a tool can evidence; ``missing``: none.
The register claims nothing without a link to the evidence.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from alignloop._util.errors import UserError
from alignloop.govern._evidence import EVIDENCE_KINDS, Evidence, collect
from alignloop.govern._frameworks import FRAMEWORKS, Framework, Item

if TYPE_CHECKING:
    from alignloop.store import RunStore

STATUSES = ("evidenced", "partial", "missing")


def assess(item: Item, fw: Framework, ev: Evidence) -> dict[str, Any]:
    """One row of the register."""
    ref = f"{fw.id}:{item.id}"
    found = {k: [link.to_dict() for link in ev.for_kind(k, ref)] for k in item.evidence}
    have = [k for k, v in found.items() if v]
    missing = [k for k in item.evidence if k not in have]
    if not have:
        status = "missing"
    elif missing or not item.full:
        status = "partial"
    else:
        status = "evidenced"
    notes = []
    unevaluated = [c for c in ev.mapped.get(ref, []) if c not in ev.category_metrics]
    if "category_evals" in have and unevaluated:
        status = "partial" if status == "evidenced" else status
        notes.append(f"mapped categories without an eval: {', '.join(unevaluated)}")
    if "category_evals" in missing:
        cats = ev.mapped.get(ref)
        notes.append(
            f"no eval of the mapped categories ({', '.join(cats)})"
            if cats
            else f"no constitution category maps to {ref} (add it to a category's frameworks:)"
        )
    if not item.evidence:
        notes.append("alignloop collects no evidence for this item")
    return {
        "id": item.id,
        "title": item.title,
        "summary": item.summary,
        "status": status,
        "evidence": {k: v for k, v in found.items() if v},
        "missing": [{"kind": k, "what": EVIDENCE_KINDS[k]} for k in missing],
        "categories": ev.mapped.get(ref, []),
        "outside": item.outside,
        "notes": notes,
    }


def compliance_report(store: RunStore, frameworks: list[str] | None = None) -> dict[str, Any]:
    """The register for ``frameworks`` (default: all) from the evidence in ``store``.

    Raises:
        UserError: an unknown framework id.
    """
    ids = frameworks or list(FRAMEWORKS)
    unknown = [f for f in ids if f not in FRAMEWORKS]
    if unknown:
        raise UserError(f"unknown framework {unknown[0]!r}", hint=f"use one of: {', '.join(FRAMEWORKS)}")
    ev = collect(store)
    out = []
    for fid in ids:
        fw = FRAMEWORKS[fid]
        items = [assess(it, fw, ev) for it in fw.items]
        counts = {s: sum(i["status"] == s for i in items) for s in STATUSES}
        out.append({"id": fw.id, "title": fw.title, "counts": counts, "items": items})
    return {
        "generated_at": datetime.now(timezone.utc).isoformat(),
        "store": store.url,
        "frameworks": out,
        "note": "Summaries of the frameworks are ours, for orientation; statuses count only evidence "
        "recorded in this store. 'outside' names what the provider must evidence itself.",
    }


_COLORS = {"evidenced": "#1a7f37", "partial": "#9a6700", "missing": "#cf222e"}


def _link_html(link: dict[str, Any]) -> str:
    label = html.escape(link["label"])
    if link.get("path"):
        from pathlib import Path

        label = f'<a href="{html.escape(Path(link["path"]).resolve().as_uri())}">{label}</a>'
    if link.get("command"):
        label += f" <code>{html.escape(link['command'])}</code>"
    return label


def render_html(report: dict[str, Any]) -> str:
    """A self-contained HTML page of the register."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>alignloop compliance register</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:72em}table{border-collapse:collapse;"
        "width:100%}td,th{border:1px solid #d0d7de;padding:.4em;vertical-align:top;text-align:left}"
        ".s{font-weight:bold;color:#fff;padding:.1em .4em;border-radius:.3em}code{font-size:.85em}"
        "ul{margin:0;padding-left:1.2em}</style></head><body>",
        "<h1>Compliance register</h1>",
        f"<p>Store {html.escape(report['store'])}, generated {html.escape(report['generated_at'])}.</p>",
        f"<p>{html.escape(report['note'])}</p>",
    ]
    for fw in report["frameworks"]:
        c = fw["counts"]
        parts.append(
            f"<h2>{html.escape(fw['title'])}</h2><p>{c['evidenced']} evidenced, {c['partial']} partial, "
            f"{c['missing']} missing.</p><table><tr><th>item</th><th>status</th><th>evidence</th>"
            "<th>missing</th><th>outside alignloop</th></tr>"
        )
        for it in fw["items"]:
            ev = "".join(
                f"<li><b>{html.escape(k)}</b>: " + "; ".join(_link_html(link) for link in links) + "</li>"
                for k, links in it["evidence"].items()
            )
            miss = "".join(f"<li>{html.escape(m['what'])}</li>" for m in it["missing"])
            miss += "".join(f"<li>{html.escape(n)}</li>" for n in it["notes"])
            cats = (
                f"<br><small>categories: {html.escape(', '.join(it['categories']))}</small>" if it["categories"] else ""
            )
            parts.append(
                f"<tr><td><b>{html.escape(it['id'])}</b> {html.escape(it['title'])}<br>"
                f"<small>{html.escape(it['summary'])}</small>{cats}</td>"
                f"<td><span class='s' style='background:{_COLORS[it['status']]}'>{it['status']}</span></td>"
                f"<td><ul>{ev}</ul></td><td><ul>{miss}</ul></td><td>{html.escape(it['outside'])}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
