"""`alignloop monitor ingest|score|report|probe`: watch a deployed model's traffic."""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Any

import click

from alignloop.cli._common import constitution_option, emit_json, json_option, load_const

if TYPE_CHECKING:
    from alignloop.constitution import LoadedConstitution
    from alignloop.store import RunStore

db_option = click.option(
    "--db",
    "db_url",
    default=None,
    metavar="URL",
    help="Database URL (default: $ALIGNLOOP_DB_URL, else the SQLite store in alignloop's home folder).",
)
artifact_option = click.option(
    "--artifact",
    default=None,
    type=click.Path(file_okay=False),
    help="Guard artifact folder (default: the one built for the constitution).",
)


def open_store(db_url: str | None) -> RunStore:
    """The run store a ``--db`` value names."""
    from alignloop.store import RunStore

    return RunStore.open(db_url)


def load_guard(loaded: LoadedConstitution, artifact: str | None) -> Any:
    """The guard that scores traces."""
    from alignloop.guard import Guard

    return Guard.load(loaded, artifact=artifact)


def _duration(value: str | None, flag: str) -> Any:
    if value is None:
        return None
    from alignloop.constitution._monitoring import parse_duration

    try:
        return parse_duration(value)
    except ValueError as e:
        from alignloop._util.errors import UserError

        raise UserError(f"{flag}: {e}") from None


def score_and_queue(store: RunStore, loaded: LoadedConstitution, guard: Any, rescore: bool = False) -> dict[str, Any]:
    """Score every pending trace, then queue flagged ones and the review sample."""
    from sqlalchemy import delete

    from alignloop.monitor import enqueue_scored, score_pending
    from alignloop.store._monitor_tables import HourlyCategoryRow, HourlyRow, TraceScoreRow

    if rescore:
        with store.engine.begin() as conn:
            for table in (TraceScoreRow, HourlyRow, HourlyCategoryRow):
                conn.execute(delete(table).where(table.constitution_hash == loaded.hash))
    res = score_pending(store.engine, guard, loaded.hash)
    queued = enqueue_scored(store.engine, loaded.hash, loaded.constitution.monitoring.review_sample)
    return {
        "scored": res.scored,
        "pending": res.pending,
        "seconds": round(res.seconds, 3),
        "rate": round(res.scored / res.seconds, 1) if res.seconds > 0 and res.scored else None,
        "lag_s": None if res.lag_s is None else round(res.lag_s, 3),
        "queued_for_review": queued,
        "constitution_hash": loaded.hash,
    }


@click.group("monitor")
def group() -> None:
    """Ingest production traces, score them, report windows with drift and alerts, probe endpoints."""


@group.command("ingest")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@db_option
@click.option("--retain", default=None, metavar="AGE", help="Then delete traces stored more than AGE ago (e.g. 90d).")
@json_option
def ingest_cmd(files: tuple[str, ...], db_url: str | None, retain: str | None, as_json: bool) -> None:
    """Store the exchanges of JSONL files or OTLP/JSON exports (replays store nothing twice).

    \b
    JSONL rows: {"messages": [...], "response": "...", "model": "...", "timestamp": "..."}
    (optional: id, key, latency_ms). OTLP: gen_ai.input/output.messages or gen_ai.prompt/completion.
    Example: alignloop monitor ingest traffic.jsonl && alignloop monitor report --json
    """
    from alignloop.monitor import apply_retention, ingest_file

    age = _duration(retain, "--retain")
    store = open_store(db_url)
    results = []
    for f in files:
        r = ingest_file(store.engine, f)
        results.append(
            {"file": f, "read": r.read, "stored": r.stored, "seconds": round(r.seconds, 3), "rate": round(r.rate, 1)}
        )
        if not as_json:
            click.echo(f"stored {r.stored} of {r.read} traces from {f} ({r.rate:,.0f}/s)")
    deleted = apply_retention(store.engine, age) if age is not None else 0
    if as_json:
        emit_json({"stored": sum(r["stored"] for r in results), "files": results, "deleted": deleted})
    elif age is not None:
        click.echo(f"retention {retain}: deleted {deleted} traces")


@group.command("score")
@db_option
@constitution_option
@artifact_option
@click.option("--rescore", is_flag=True, help="Score again traces already scored under this constitution.")
@click.option(
    "--every", default=None, metavar="PERIOD", help="Keep scoring: look for new traces every PERIOD (e.g. 30s)."
)
@click.option("--times", type=click.IntRange(1), default=None, help="With --every: stop after N passes.")
@json_option
def score_cmd(
    db_url: str | None,
    constitution: str,
    artifact: str | None,
    rescore: bool,
    every: str | None,
    times: int | None,
    as_json: bool,
) -> None:
    """Score pending traces with the guard (per constitution hash) and fill the review queue.

    Ingestion never waits for scoring; run this on a schedule, or with --every as a worker beside
    `alignloop serve` or the OTLP receiver.
    """
    import time

    period = _duration(every, "--every")
    loaded = load_const(constitution)
    store = open_store(db_url)
    guard = load_guard(loaded, artifact)
    passes = 0
    while True:
        out = score_and_queue(store, loaded, guard, rescore and passes == 0)
        passes += 1
        _score_output(out, as_json)
        if period is None or (times is not None and passes >= times):
            return
        time.sleep(period.total_seconds())


def _score_output(out: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(out)
    else:
        lag = "" if out["lag_s"] is None else f", lag {out['lag_s']:.1f}s"
        queued = out["queued_for_review"]
        click.echo(f"scored {out['scored']} traces ({out['pending']} pending{lag}); {queued} queued for review")


@group.command("report")
@db_option
@constitution_option
@artifact_option
@click.option("--window", default=None, metavar="WIDTH", help="Window width (default: the constitution's, 1h).")
@click.option("--by", type=click.Choice(["model", "key"]), default=None, help="One series per model or key.")
@click.option("--no-score", is_flag=True, help="Report on scores already stored (do not score pending traces).")
@click.option("--no-alerts", is_flag=True, help="Do not raise, store or send alerts.")
@click.option("--no-drift", is_flag=True, help="Skip the input-drift classifier (no embedding).")
@json_option
def report_cmd(
    db_url: str | None,
    constitution: str,
    artifact: str | None,
    window: str | None,
    by: str | None,
    no_score: bool,
    no_alerts: bool,
    no_drift: bool,
    as_json: bool,
) -> None:
    """Rates per window with 95% Wilson intervals, drift against the first window, and alerts.

    \b
    --json prints {"windows": [{start, end, n, rates, latency_ms, drift}], "alerts": [...]}.
    Windows follow the events' own timestamps. Example: alignloop monitor report --window 1d --json
    """
    from alignloop.monitor import build_report

    _duration(window, "--window")
    loaded = load_const(constitution)
    store = open_store(db_url)
    guard = None if no_score and no_drift else load_guard(loaded, artifact)
    # alerts printed to the stdout channel must not break --json
    sink = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    with sink:
        if not no_score:
            score_and_queue(store, loaded, guard)
        embedder = None if no_drift or guard is None else guard.embedder
        report = build_report(store.engine, loaded, window=window, by=by, embedder=embedder, raise_alerts=not no_alerts)
    if as_json:
        emit_json(report)
        return
    _print_report(report)


def _print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"windows of {report['window']}")
    for col in ("start", "n", "violation", "refusal", "over-refusal", "injection", "pii", "drift"):
        t.add_column(col)

    def pct(w: dict[str, Any], name: str) -> str:
        r = w["rates"].get(name)
        if not r or r["rate"] is None:
            return "-"
        return f"{r['rate']:.1%} [{r['lo']:.1%}, {r['hi']:.1%}]"

    for w in report["windows"]:
        d = w["drift"]
        drift = "ref" if d.get("reference") else ("yes" if d["detected"] else "no")
        t.add_row(
            w["start"][:16],
            str(w["n"]),
            *(pct(w, k) for k in ("violation", "refusal", "over_refusal", "injection", "pii_leak")),
            drift,
        )
    c = Console()
    c.print(t)
    for a in report["alerts"]:
        c.print(f"[bold]{a['severity']}[/] {a['rule']}: {a['message']}", highlight=False)


@group.command("probe")
@click.option(
    "--model",
    "-m",
    "model",
    required=True,
    help="Endpoint, e.g. http://host:8000/v1#name (or any alignloop model spec).",
)
@db_option
@click.option("--every", default=None, metavar="PERIOD", help="Repeat every PERIOD (e.g. 1h) until interrupted.")
@click.option("--times", type=click.IntRange(1), default=None, help="With --every: stop after N runs.")
@click.option(
    "--probes", default=None, type=click.Path(dir_okay=False), help="JSONL of {id, prompt} (default: the built-in set)."
)
@click.option(
    "--threshold",
    default=0.2,
    show_default=True,
    type=click.FloatRange(0.0, 1.0),
    help="Changed share that counts as a changed model.",
)
@json_option
def probe_cmd(
    model: str,
    db_url: str | None,
    every: str | None,
    times: int | None,
    probes: str | None,
    threshold: float,
    as_json: bool,
) -> None:
    """Run a fixed probe set against an endpoint and compare the replies with the last run.

    The same model name is sometimes retrained without notice; a jump in changed replies shows it.
    Example: alignloop monitor probe -m http://localhost:8000/v1#prod --every 1h
    """
    import time

    from alignloop.monitor._probe import run_probe

    period = _duration(every, "--every")
    store = open_store(db_url)
    n = 0
    while True:
        res = run_probe(store.engine, model, probes_path=probes, threshold=threshold)
        n += 1
        if as_json:
            emit_json(res)
        else:
            changed = "first run" if res["changed"] is None else f"{res['changed']:.0%} of replies changed"
            flag = " -- MODEL CHANGED" if res["model_changed"] else ""
            click.echo(f"probed {res['target']}: {res['probes']} probes, {changed}{flag}")
        if period is None or (times is not None and n >= times):
            return
        time.sleep(period.total_seconds())
