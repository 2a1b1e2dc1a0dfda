"""Self-contained HTML reports: eval runs, red-team runs, and the before/after loop report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from alignloop._util.atomic import write_text_atomic
from alignloop.report._svg import bar_chart, heatmap, paired_bars

_CSS = """body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;
text-align:left;vertical-align:top}.pass{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}
pre{white-space:pre-wrap;background:#f6f8fa;padding:8px;font-size:12px;max-height:300px;overflow:auto}
details{margin:.5em 0}"""


def _page(title: str, body: list[str]) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{escape(title)}</h1>{''.join(body)}</body></html>"
    )


def _fmt_rate(r: dict[str, Any] | None) -> str:
    if not r or r.get("value") is None:
        return "n/a"
    return f"{r['value']:.1%} [{r['ci_low']:.1%}, {r['ci_high']:.1%}] (n={r['n']})"


def _suite_section(name: str, s: dict[str, Any]) -> list[str]:
    out = [f"<h2>{escape(name)}</h2>"]
    if s.get("skipped"):
        return [*out, f"<p>skipped: {escape(s['skipped'])}</p>"]
    out.append(
        f"<p><b>{escape(s['metric'])}</b>: {_fmt_rate(s.get('overall'))}; failed rows: {s.get('n_failed', 0)}</p>"
    )
    extra = {k: v for k, v in s.items() if isinstance(v, dict) and "value" in v and k != "overall"}
    if extra:
        out.append(
            "<table>"
            + "".join(f"<tr><td>{escape(k)}</td><td>{_fmt_rate(v)}</td></tr>" for k, v in extra.items())
            + "</table>"
        )
    for k, v in s.get("judge_agreement", {}).items():
        out.append(f"<p>judge agreement {escape(k)}: {_fmt_rate(v)}</p>")
    cats = s.get("per_category")
    if cats:
        out.append(
            bar_chart(
                [(c, r["value"], r["ci_low"], r["ci_high"]) for c, r in cats.items()],
                f"{s['metric']} per category",
            )
        )
    return out


def _examples(rows: Sequence[dict[str, Any]], n: int = 3) -> list[str]:
    out = []
    for r in rows[:n]:
        out.append(
            f"<details><summary>{escape(str(r.get('id')))} ({escape(str(r.get('category') or ''))})</summary>"
            f"<pre>USER: {escape(str(r.get('prompt')))}\n\n"
            f"MODEL: {escape(str(r.get('response')))}</pre></details>"
        )
    return out


def render_eval_report(out_path: str | Path, summary: dict[str, Any], rows: Sequence[dict[str, Any]]) -> Path:
    """One eval run: headline metrics, per-suite sections with per-category bars, failing examples."""
    m = summary.get("metrics", {})
    body = [
        f"<p>model: <code>{escape(str(summary.get('model', {}).get('name')))}</code>; constitution "
        f"{escape(str(summary.get('constitution', {}).get('name')))}</p>"
    ]
    body.append(bar_chart([(k, v, None, None) for k, v in m.items() if "/" not in k], "headline metrics"))
    for name, s in summary.get("suites", {}).items():
        body += _suite_section(name, s)
        body += _examples([r for r in rows if r.get("suite") == name and r.get("fail")])
    if summary.get("failed_rows"):
        body.append(
            "<h2>Rows that failed to generate</h2>"
            f"<pre>{escape(json.dumps(summary['failed_rows'][:50], indent=1))}</pre>"
        )
    write_text_atomic(out_path, _page("alignloop eval report", body))
    return Path(out_path)


def _heat_section(redteam: dict[str, Any]) -> list[str]:
    grid = redteam.get("asr", {})
    strategies = sorted(grid)
    cats = sorted({c for s in grid.values() for c in s})
    vals = {(s, c): grid[s][c]["value"] for s in strategies for c in grid[s]}
    most = max((grid[s][c].get("n", 0) for s in strategies for c in grid[s]), default=0)
    # a cell holds a handful of attacks: say so next to the 0% and 100% it mostly shows
    title = f"attack success rate (%) by strategy x category (at most {most} attacks per cell)"
    return [heatmap(strategies, cats, vals, title)]


def _transcripts(transcripts: Sequence[dict[str, Any]], n: int = 8) -> list[str]:
    out = []
    for t in transcripts[:n]:
        turns = "\n\n".join(f"{m['role'].upper()}: {m['content']}" for m in t.get("conversation", []))
        label = " / ".join(str(x) for x in (t.get("strategy"), t.get("category")) if x)
        out.append(
            f"<details><summary>{escape(label)}</summary>"
            f"<pre>{escape(turns)}\n\nMODEL: {escape(str(t.get('response')))}</pre></details>"
        )
    return out


def render_redteam_report(out_path: str | Path, summary: dict[str, Any], transcripts: Sequence[dict[str, Any]]) -> Path:
    """A red-team run: heatmap of attack success, per-strategy bars, successful transcripts."""
    body = [
        f"<p>model <code>{escape(str(summary.get('model')))}</code>; "
        f"queries used {summary.get('queries')} of "
        f"{summary.get('budget')}; attacker mode: {escape(str(summary.get('attacker_mode')))}</p>"
    ]
    body.append(
        bar_chart(
            [(s, r["value"], r["ci_low"], r["ci_high"]) for s, r in summary.get("per_strategy", {}).items()],
            "attack success per strategy",
        )
    )
    body += _heat_section(summary)
    body.append("<h2>Successful attacks</h2>")
    body += _transcripts(transcripts)
    write_text_atomic(out_path, _page("alignloop red-team report", body))
    return Path(out_path)


def _row(label: str, value: Any) -> str:
    return f"<tr><th>{escape(label)}</th><td>{escape(str(value))}</td></tr>"


def _counts(d: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in d.items())


def _steering(steer: dict[str, Any]) -> str:
    """One line on the steering stage: the alpha chosen, for what target, and the rates it measured."""
    if steer.get("skipped"):
        return f"skipped: {steer['skipped']}"
    cal = steer.get("calibration") or {}
    text = f"alpha {steer.get('alpha')} at layer {steer.get('layer')}"
    if cal:
        tried = ", ".join(f"{a}: {float(r):.1%}" for a, r in (cal.get("tried") or {}).items())
        text += (
            f"; over-refusal {float(cal.get('rate', 0)):.1%} (target {float(cal.get('target', 0)):.1%}) on "
            f"{cal.get('prompts')} held-out borderline train prompts; tried {tried}"
        )
        if not cal.get("reached", True):
            text += "; the target was not reached"
        if cal.get("held"):
            band = float(cal.get("tolerance", 0))
            text += f"; within {band:.1%} of the target (the measurement's noise), so left as trained"
    penalty = steer.get("repetition_penalty")
    if penalty not in (None, 1.0):
        text += f"; ships with repetition penalty {penalty} in its generation config (against loops)"
    return text


def _provenance(run: dict[str, Any]) -> list[str]:
    """How the aligned model was made: model, constitution, preset, data by source, training, stage times."""
    rows = [_row("model", run.get("model")), _row("constitution", str(run.get("constitution_hash", ""))[:12])]
    preset = run.get("preset") or {}
    if preset:
        rows.append(_row("preset", preset.get("name")))
    generators, labels = run.get("data_generators") or {}, run.get("data_labels") or {}
    for source, n in (run.get("data") or {}).items():
        how = "; ".join(c for c in (_counts(generators.get(source) or {}), _counts(labels.get(source) or {})) if c)
        rows.append(_row(f"pairs: {source}", f"{n} ({how})" if how else n))
    rows += _external_rows(run.get("data_sources") or {})
    train = run.get("train") or {}
    if train:
        rows.append(
            _row(
                f"{str(train.get('method') or 'dpo').upper()} + LoRA",
                f"{train.get('rows')} pairs, {train.get('steps')} steps, lr {train.get('learning_rate')}, "
                f"{train.get('seconds_per_pair')} s/pair, {train.get('dropped_too_long') or 0} dropped as too long"
                + (f", resumed from step {train['resumed_from_step']}" if train.get("resumed_from_step") else ""),
            )
        )
    rl = run.get("rl") or {}
    if rl:
        rows.append(_row("GRPO (guard reward)", f"{rl.get('steps')} steps, lr {rl.get('learning_rate')}"))
    steer = run.get("steer") or {}
    if steer:
        rows.append(_row("refusal steering", _steering(steer)))
    for name, info in (run.get("stages") or {}).items():  # stages added by plugins
        rows.append(_row(name, _counts({k: v for k, v in info.items() if k != "seconds" and not isinstance(v, dict)})))
    seconds = run.get("stage_seconds") or {}
    if seconds:
        rows.append(_row("stage seconds", _counts({k: round(float(v)) for k, v in seconds.items() if v is not None})))
    return ["<h2>How this model was made</h2><table>", *rows, "</table>"]


def _external_rows(sources: dict[str, Any]) -> list[str]:
    """Training prompts per origin and label, and each external source's package, version, licence and count."""
    rows = []
    mix = sources.get("prompt_mix") or {}
    for label, by in mix.get("prompts", {}).items():
        pairs = mix.get("pairs", {}).get(label) or {}
        rows.append(_row(f"{label} train prompts by origin", f"{_counts(by)} (pairs made: {_counts(pairs) or 0})"))
    for e in sources.get("external") or []:
        if e.get("skipped"):
            rows.append(_row(f"external: {e['name']}", f"skipped: {e['skipped']}"))
            continue
        pkg = f"{e['package']} {e['version']}" if e.get("package") else "alignloop (guard data)"
        rows.append(
            _row(
                f"external: {e['name']}",
                f"{e.get('description')}; {pkg}, licence {e.get('licence')}; {e.get('rows')} {e.get('label')} "
                f"{e.get('split')} rows available",
            )
        )
    return rows


def _rate_cell(r: dict[str, Any] | None) -> str:
    return f"<td>{escape(_fmt_rate(r))}</td>"


def _precision_section(run: dict[str, Any]) -> list[str]:
    """Each headline rate's n and 95% half-width, and why it is over 5 points where it is."""
    prec = run.get("precision") or {}
    if not prec:
        return []
    out = [
        f"<h2>Precision of the headline rates ({escape(str(run.get('eval_split', 'dev')))} split)</h2>"
        "<table><tr><th>suite</th><th>n</th><th>95% half-width</th><th>note</th></tr>"
    ]
    for name, e in prec.items():
        out.append(
            f"<tr><td>{escape(name)}</td><td>{e['n']}</td><td>&plusmn;{e['half_width']:.1%}</td>"
            f"<td>{escape(e.get('why_wider', 'within 5 points'))}</td></tr>"
        )
    out.append("</table>")
    note = (run.get("provenance") or {}).get("note")
    if note:
        out.append(f"<p>{escape(note)}.</p>")
    return out


def _public_section(run: dict[str, Any]) -> list[str]:
    """The model alone on held-out prompts nobody here wrote: share refused before and after."""
    pub = run.get("public_heldout") or {}
    if not pub.get("suites"):
        return []
    out = [
        "<h2>Held-out prompts nobody here wrote (the model alone)</h2><table><tr><th>suite</th><th>source</th>"
        "<th>refused before</th><th>refused after</th></tr>"
    ]
    for name, e in pub["suites"].items():
        src = e.get("source") or {}
        what = e.get("skipped") or f"{src.get('name', '')}; {src.get('use', '')}"
        out.append(
            f"<tr><td>{escape(name)}</td><td>{escape(str(what))}</td>"
            f"{_rate_cell(e.get('before'))}{_rate_cell(e.get('after'))}</tr>"
        )
    out.append("</table>")
    if pub.get("note"):
        out.append(f"<p>Over-refusal: {escape(pub['note'])}.</p>")
    return out


def _per_category_section(run: dict[str, Any]) -> list[str]:
    """Per-category rates before and after with their n and Wilson interval (small cells read 0% or 100%)."""
    cats = run.get("per_category") or {}
    before, after = cats.get("baseline") or {}, cats.get("after") or {}
    out = []
    for suite in dict.fromkeys([*before, *after]):
        b, a = before.get(suite) or {}, after.get(suite) or {}
        out.append(
            f"<details><summary>{escape(suite)} per category (rate [95% interval] (n))</summary><table>"
            "<tr><th>category</th><th>baseline</th><th>after</th></tr>"
        )
        out += [f"<tr><td>{escape(c)}</td>{_rate_cell(b.get(c))}{_rate_cell(a.get(c))}</tr>" for c in sorted({*b, *a})]
        out.append("</table></details>")
    return out


def _redteam_section(run: dict[str, Any]) -> list[str]:
    """Attack success per strategy for the base and the aligned model."""
    rt = run.get("redteam") or {}
    per = rt.get("per_strategy") or {}
    if not per:
        return []
    overall = rt.get("overall") or {}
    out = [
        "<h3>Attack success per strategy, base vs aligned</h3><table>"
        "<tr><th>strategy</th><th>base model</th><th>aligned model</th></tr>",
        f"<tr><td><b>all</b></td>{_rate_cell(overall.get('base'))}{_rate_cell(overall.get('after'))}</tr>",
    ]
    out += [
        f"<tr><td>{escape(n)}</td>{_rate_cell(r.get('base'))}{_rate_cell(r.get('after'))}</tr>" for n, r in per.items()
    ]
    out.append("</table>")
    return out


def render_loop_report(
    out_path: str | Path,
    baseline_summary: dict[str, Any],
    after_summary: dict[str, Any],
    comparison: dict[str, Any] | None = None,
    gates: dict[str, Any] | None = None,
    redteam_summary: dict[str, Any] | None = None,
    transcripts: Sequence[dict[str, Any]] = (),
    run: dict[str, Any] | None = None,
) -> Path:
    """The loop's before/after report.

    Args:
        baseline_summary / after_summary: ``summary.json`` objects of the two eval runs.
        comparison: ``Comparison.as_dict()``; gates: ``GateResult.as_dict()``;
        redteam_summary: the red-team ``summary.json``; transcripts: successful attack rows.
        run: the loop's own ``summary.json`` fields (model, preset, data, train, rl, stage_seconds),
            shown as how the model was made.
    """
    mb, ma = baseline_summary.get("metrics", {}), after_summary.get("metrics", {})
    keys = [k for k in dict.fromkeys([*mb, *ma]) if "/" not in k]
    body = [paired_bars([(k, mb.get(k), ma.get(k)) for k in keys], ("baseline", "after"), "before / after")]
    for prefix, title in (
        ("harmful_compliance", "harmful compliance per category"),
        ("repetitive", "repetitive replies (loops) per suite"),
    ):
        names = sorted({k.split("/", 1)[1] for k in [*mb, *ma] if k.startswith(f"{prefix}/")})
        if names:
            rows = [(n, mb.get(f"{prefix}/{n}"), ma.get(f"{prefix}/{n}")) for n in names]
            body.append(paired_bars(rows, ("baseline", "after"), title))
    if run:
        body += _precision_section(run)
        body += _public_section(run)
        body += _per_category_section(run)
    if gates:
        body.append(
            f"<h2>Release gates: <span class='{'pass' if gates['passed'] else 'fail'}'>"
            f"{'PASS' if gates['passed'] else 'FAIL'}</span></h2><ul>"
        )
        body += [f"<li class='{'pass' if c['passed'] else 'fail'}'>{escape(c['reason'])}</li>" for c in gates["checks"]]
        body.append("</ul>")
    if comparison:
        body.append(
            "<h2>Paired comparison (McNemar)</h2><table><tr><th>suite</th><th>n</th><th>fail before</th>"
            "<th>fail after</th><th>regressions</th><th>improvements</th><th>p</th></tr>"
        )
        for name, s in comparison.get("suites", {}).items():
            body.append(
                f"<tr><td>{escape(name)}</td><td>{s['n_paired']}</td><td>{_fmt_rate(s['fail_a'])}</td>"
                f"<td>{_fmt_rate(s['fail_b'])}</td><td>{s['n_regressions']}</td><td>{s['n_improvements']}</td>"
                f"<td>{s['test']['p_value']:.3g}</td></tr>"
            )
        body.append("</table>")
    if redteam_summary:
        body.append("<h2>Red-team</h2>")
        body += _redteam_section(run or {})
        body += _heat_section(redteam_summary)
    if transcripts:
        body.append("<h2>Example transcripts</h2>")
        body += _transcripts(transcripts, n=len(transcripts))
    if run:
        body += _provenance(run)
    write_text_atomic(out_path, _page("alignloop loop report", body))
    return Path(out_path)
