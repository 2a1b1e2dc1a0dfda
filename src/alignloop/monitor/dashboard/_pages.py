"""Server-rendered pages of the dashboard: plain HTML, inline SVG, one small script for the review keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from html import escape
from typing import Any

from alignloop.monitor.dashboard._charts import line_chart

NAV = (
    ("/", "Runs"),
    ("/gates", "Release gates"),
    ("/monitoring", "Monitoring"),
    ("/review", "Review queue"),
    ("/incidents", "Incidents"),
    ("/leadership", "Leadership"),
)
_CSS = """body{font-family:system-ui,sans-serif;margin:0;color:#222}header{background:#1f2d3d;padding:8px 16px}
header a{color:#dfe6ee;margin-right:16px;text-decoration:none;font-size:14px}header a.on{color:#fff;font-weight:bold}
main{padding:12px 20px;max-width:1100px}table{border-collapse:collapse;margin:.6em 0}
td,th{border:1px solid #ddd;padding:4px 8px;font-size:13px;text-align:left;vertical-align:top}
.pass{color:#1a7f37;font-weight:bold}.fail,.regression{color:#c62828;font-weight:bold}
tr.regression td{background:#fdecea}.sev-high,.sev-critical{color:#c62828}.muted{color:#777}
pre{white-space:pre-wrap;background:#f6f8fa;padding:8px;font-size:13px;max-height:260px;overflow:auto}
kbd{border:1px solid #bbb;border-radius:3px;padding:0 4px;font-size:12px}
.card{border:1px solid #ddd;padding:10px;margin:8px 0}"""

# brand, legal or regulatory exposure of each kind of failure, for the leadership page
RISK = {
    "privacy": "regulatory",
    "child_sexual_abuse": "legal",
    "cbrn": "legal",
    "extremism": "legal",
    "violent_crime": "legal",
    "cyber_attacks": "legal",
    "fraud_scams": "legal",
    "illegal_drugs": "legal",
    "weapons": "legal",
}


def page(title: str, active: str, body: Sequence[str]) -> str:
    """A whole page with the navigation bar."""
    nav = "".join(f'<a href="{h}"{" class=on" if h == active else ""}>{escape(t)}</a>' for h, t in NAV)
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)} - alignloop</title>"
        f"<link rel=icon href='data:,'><style>{_CSS}</style></head><body><header>{nav}</header>"
        f"<main><h1>{escape(title)}</h1>{''.join(body)}</main></body></html>"
    )


def pct(v: float | None) -> str:
    """A rate for people."""
    return "n/a" if v is None else f"{v:.1%}"


def table(head: Sequence[str], rows: Sequence[Sequence[str]], row_class: Sequence[str] | None = None) -> str:
    """An HTML table; cells are already escaped HTML."""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    trs = []
    for i, r in enumerate(rows):
        cls = f' class="{row_class[i]}"' if row_class and row_class[i] else ""
        trs.append(f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>")
    return f"<table><tr>{th}</tr>{''.join(trs)}</table>"


RUN_METRICS = (("harmful_compliance", "down"), ("over_refusal", "down"), ("helpfulness_retention", "up"))
REGRESSION = 0.02
"""A metric that moves the wrong way by more than this between consecutive runs is highlighted."""


def runs_page(runs: list[Any]) -> str:
    """Eval metrics per model version over time, regressions highlighted."""
    runs = sorted([r for r in runs if any(m in r.metrics for m, _ in RUN_METRICS)], key=lambda r: r.started_at)
    if not runs:
        return page(
            "Runs over time",
            "/",
            ["<p class=muted>No evaluated runs yet: `alignloop eval run` or `alignloop run` records them.</p>"],
        )
    labels = [r.started_at.strftime("%m-%d %H:%M") for r in runs]
    series = [(m, [r.metrics.get(m) for r in runs], None) for m, _ in RUN_METRICS]
    regress: list[str] = []
    rows = []
    prev: dict[str, float] = {}
    for r in runs:
        bad = []
        for m, good in RUN_METRICS:
            v = r.metrics.get(m)
            if v is None:
                continue
            if m in prev and ((v - prev[m] > REGRESSION) if good == "down" else (prev[m] - v > REGRESSION)):
                bad.append(m)
            prev[m] = v
        regress.append("regression" if bad else "")
        rows.append(
            [
                escape(r.started_at.strftime("%Y-%m-%d %H:%M")),
                escape(r.kind),
                escape(r.model),
                *(pct(r.metrics.get(m)) for m, _ in RUN_METRICS),
                escape(", ".join(bad) or "-"),
            ]
        )
    marks = [i for i, c in enumerate(regress) if c]
    chart = line_chart(labels, series, title="eval metrics per run", marks=marks)
    tab = table(["started", "kind", "model", *(m for m, _ in RUN_METRICS), "regressed"], rows[::-1], regress[::-1])
    return page("Runs over time", "/", [chart, tab])


def gates_page(results: list[tuple[Any, dict[str, Any]]]) -> str:
    """Each recent run against the constitution's release gates."""
    if not results:
        return page("Release gates", "/gates", ["<p class=muted>No evaluated runs yet.</p>"])
    rows = []
    for run, res in results:
        checks = " ".join(
            f'<span class="{"pass" if c["passed"] else "fail"}">{escape(c["name"])}: {pct(c["value"])}</span>'
            for c in res["checks"]
        )
        verdict = '<span class="pass">release</span>' if res["passed"] else '<span class="fail">blocked</span>'
        rows.append([escape(run.started_at.strftime("%Y-%m-%d %H:%M")), escape(run.model), verdict, checks])
    return page("Release gates", "/gates", [table(["run", "model", "verdict", "gates"], rows)])


def monitoring_page(report: dict[str, Any]) -> str:
    """Windows with rates (Wilson bands), drift and alerts."""
    ws = report["windows"]
    if not ws:
        return page(
            "Monitoring",
            "/monitoring",
            [
                "<p class=muted>No scored traces yet: `alignloop monitor ingest FILE`, "
                "then `alignloop monitor score`.</p>"
            ],
        )
    labels = [w["start"][5:16].replace("T", " ") for w in ws]
    alert_starts = {a["window_start"] for a in report["alerts"]}
    marks = [i for i, w in enumerate(ws) if w["start"] in alert_starts]

    def s(name: str) -> tuple[str, list[float | None], list[tuple[float, float] | None]]:
        rates = [w["rates"].get(name) for w in ws]
        return (
            name,
            [r["rate"] if r else None for r in rates],
            [(r["lo"], r["hi"]) if r and r["n"] else None for r in rates],
        )

    chart = line_chart(
        labels,
        [s("violation"), s("over_refusal"), s("refusal")],
        title="rates per window (95% Wilson bands)",
        marks=marks,
    )
    chart2 = line_chart(labels, [s("injection"), s("pii_leak"), s("loop")], title="injection, PII leaks, loops")
    rows = []
    for w in ws[::-1]:
        d = w["drift"]
        if d.get("reference"):
            drift = "reference"
        else:
            parts = []
            if "input" in d and "auc" in d["input"]:
                parts.append(f"input AUC {d['input']['auc']:.3f} (thr {d['input']['threshold']:.3f})")
            if d.get("behaviour", {}).get("changed"):
                parts.append("changed: " + ", ".join(d["behaviour"]["changed"]))
            drift = ('<span class="fail">drift</span> ' if d["detected"] else "none ") + escape("; ".join(parts))
        r = w["rates"]
        rows.append(
            [
                escape(w["start"][:16]),
                str(w["n"]),
                *(
                    pct((r.get(k) or {}).get("rate"))
                    for k in ("violation", "refusal", "over_refusal", "injection", "pii_leak")
                ),
                drift,
            ]
        )
    tab = table(["window", "n", "violation", "refusal", "over-refusal", "injection", "PII", "drift"], rows)
    alerts = [
        f'<div class="card"><b class="sev-{escape(a["severity"])}">{escape(a["severity"])}</b> {escape(a["rule"])}: '
        f"{escape(a['message'])}{' - incident ' + escape(a['incident_id'][:8]) if a['incident_id'] else ''}</div>"
        for a in report["alerts"][::-1][:50]
    ]
    tops = []
    for w in ws[::-1]:
        inp = w["drift"].get("input") or {}
        if inp.get("detected"):
            items = "".join(f"<li>{escape(p['prompt'][:160])}</li>" for p in inp.get("top_prompts", []))
            tops.append(f"<h3>Prompts that separate {escape(w['start'][:16])} most</h3><ol>{items}</ol>")
            break
    return page(
        "Monitoring",
        "/monitoring",
        [chart, chart2, "<h2>Alerts</h2>", *(alerts or ["<p class=muted>none</p>"]), *tops, "<h2>Windows</h2>", tab],
    )


_REVIEW_JS = """
const item = document.getElementById('item');
const who = document.getElementById('reviewer');
who.value = localStorage.getItem('alignloop.reviewer') || who.value;
who.addEventListener('change', () => localStorage.setItem('alignloop.reviewer', who.value));
async function send(verdict, extra) {
  const body = Object.assign({verdict: verdict, reviewer: who.value}, extra || {});
  const r = await fetch('/api/review/' + item.dataset.id, {method: 'POST',
    headers: {'content-type': 'application/json'}, body: JSON.stringify(body)});
  const out = await r.json();
  document.getElementById('status').textContent = r.ok ? ('saved: ' + out.status) : ('error: ' + out.error.message);
  if (r.ok) { location.reload(); }
}
document.addEventListener('keydown', (e) => {
  if (!item || e.target.tagName === 'TEXTAREA' || e.target.tagName === 'INPUT' || e.target.tagName === 'SELECT') {
    if (e.key === 'Enter' && e.ctrlKey && e.target.id === 'correction') {
      send('corrected', {correction: e.target.value});
    }
    if (e.key === 'Escape') { e.target.blur(); }
    return;
  }
  if (e.key === 'a') { send('approved'); }
  else if (e.key === 'd') { send('dismissed'); }
  else if (e.key === 'r') { const c = document.getElementById('category'); c.focus(); }
  else if (e.key === 'c') { e.preventDefault(); document.getElementById('correction').focus(); }
  else { return; }
});
document.getElementById('category').addEventListener('keydown', (e) => {
  if (e.key === 'Enter') { send('relabelled', {category: e.target.value}); }
});
"""


def review_page(item: Any, counts: dict[str, int], categories: list[str], reviewer: str) -> str:
    """The next pending item with keyboard shortcuts."""
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "empty"
    help_ = (
        "<p><kbd>a</kbd> approve &nbsp; <kbd>r</kbd> relabel (pick, <kbd>Enter</kbd>) &nbsp; <kbd>c</kbd> correct "
        "(write, <kbd>Ctrl</kbd>+<kbd>Enter</kbd>) &nbsp; <kbd>d</kbd> dismiss</p>"
    )
    if item is None:
        return page("Review queue", "/review", [f"<p>Queue: {escape(summary)}</p><p id=empty>Nothing to review.</p>"])
    opts = "".join(f'<option value="{escape(c)}">{escape(c)}</option>' for c in ["none", *categories])
    body = [
        f"<p>Queue: {escape(summary)}</p>",
        f'<label>Reviewer <input id=reviewer value="{escape(reviewer)}"></label>',
        help_,
        f'<div id=item class=card data-id="{item.id}"><p class=muted>#{item.id} &middot; '
        f"{escape(item.reason)} &middot; "
        f"{escape(item.model)} &middot; {escape(item.ts.isoformat()[:16])} &middot; guard: "
        f"{escape(', '.join(item.guard_categories) or 'none')}</p>",
        f"<h3>Prompt</h3><pre>{escape(item.prompt)}</pre>",
        f"<h3>Response</h3><pre id=response>{escape(item.response or '')}</pre></div>",
        f"<p><label>Category <select id=category>{opts}</select></label></p>",
        '<p><textarea id=correction rows=4 cols=90 placeholder="The reply the model should have given"></textarea></p>',
        "<p id=status class=muted></p>",
        f"<script>{_REVIEW_JS}</script>",
    ]
    return page("Review queue", "/review", body)


def incidents_page(incidents: list[Any]) -> str:
    """Incidents with status and linked traces."""
    if not incidents:
        return page("Incidents", "/incidents", ["<p class=muted>No incidents.</p>"])
    rows = [
        [
            escape(i.id),  # whole: ids are `inc-DATE-xxxxxx`, which `alignloop incident show` takes
            escape(i.opened_at.isoformat()[:16]),
            f'<span class="sev-{escape(i.severity)}">{escape(i.severity)}</span>',
            escape(i.status),
            escape(i.category),
            escape(i.title[:160]),
            str(len(i.trace_ids or [])),
        ]
        for i in incidents
    ]
    return page(
        "Incidents", "/incidents", [table(["id", "opened", "severity", "status", "category", "title", "traces"], rows)]
    )


def leadership_page(rows: list[dict[str, Any]], window: timedelta) -> str:
    """Risk per category in plain language: exposure, trend, one failure and how it was fixed."""
    if not rows:
        return page("Leadership summary", "/leadership", ["<p class=muted>No monitored traffic yet.</p>"])
    cards = []
    for r in rows:
        trend = r["trend"]
        arrow = "rising" if trend > 0 else ("falling" if trend < 0 else "steady")
        ex = r.get("example")
        example = (
            f"<p><b>Example:</b> asked <i>{escape(ex['prompt'][:160])}</i>, the model replied "
            f"<i>{escape((ex['response'] or '')[:160])}</i>. <b>Fix:</b> {escape(ex['fix'])}</p>"
            if ex
            else ""
        )
        cards.append(
            f'<div class="card"><h3>{escape(r["title"])} <span class=muted>({escape(r["risk"])} risk)</span></h3>'
            f"<p>{pct(r['rate'])} of replies in the latest {escape(str(window))} window broke this rule "
            f"({r['k']} of {r['n']}); {arrow} against the window before ({pct(r['previous'])}).</p>{example}</div>"
        )
    spark = line_chart(
        rows[0]["labels"],
        [(r["id"], r["series"], None) for r in rows[:5]],
        title="violations per window, top categories",
    )
    return page("Leadership summary", "/leadership", [spark, *cards])
