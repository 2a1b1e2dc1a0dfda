"""`alignloop runs list|show`: read the run store."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from alignloop.cli._common import emit_json, json_option

if TYPE_CHECKING:
    from alignloop.store import RunInfo, RunStore

_KINDS = ("eval", "redteam", "train", "data", "guard", "loop")  # = alignloop.store.KINDS, kept import-free
_STATUS_STYLE = {"running": "yellow", "completed": "green", "failed": "red", "interrupted": "magenta"}


@click.group("runs")
@click.option(
    "--db",
    "db_url",
    default=None,
    metavar="URL",
    help="Database URL (default: $ALIGNLOOP_DB_URL, else the SQLite store in alignloop's home folder).",
)
@click.pass_context
def group(ctx: click.Context, db_url: str | None) -> None:
    """List and show recorded runs."""
    ctx.obj = {"db_url": db_url}


def _store(ctx: click.Context) -> RunStore:
    from alignloop.store import RunStore

    return RunStore.open((ctx.obj or {}).get("db_url"))


def _when(dt: datetime | None, short: bool = False) -> str:
    # local time for people; --json keeps UTC ISO 8601
    return "-" if dt is None else dt.astimezone().strftime("%m-%d %H:%M" if short else "%Y-%m-%d %H:%M:%S")


def _duration(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 60:
        return f"{s:.1f}s"
    m, sec = divmod(round(s), 60)
    return f"{m}m{sec:02d}s" if m < 60 else f"{m // 60}h{m % 60:02d}m"


def _num(v: float) -> str:
    return "nan" if math.isnan(v) else f"{v:.4g}"


def _status(run: RunInfo) -> str:
    return f"[{_STATUS_STYLE.get(run.status, 'white')}]{run.status}[/]"


@group.command("list")
@click.option("--kind", type=click.Choice(_KINDS), default=None, help="Only runs of this kind.")
@click.option(
    "--status",
    type=click.Choice(["running", "completed", "failed", "interrupted"]),
    default=None,
    help="Only runs with this status.",
)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Newest N runs.")
@json_option
@click.pass_context
def list_(ctx: click.Context, kind: str | None, status: str | None, limit: int, as_json: bool) -> None:
    """List recorded runs, newest first."""
    with _store(ctx) as store:
        runs = store.list(kind=kind, limit=limit, status=status)
        where = store.url
    if as_json:
        emit_json([r.to_dict() for r in runs])
        return
    from rich.console import Console
    from rich.table import Table

    con = Console()
    if not runs:
        con.print(f"no runs recorded in {where}" + (f" of kind {kind}" if kind else ""))
        return
    # light box and short headers: the table has to fit an 80-column terminal
    t = Table(title=where, box=None, pad_edge=False, header_style="bold")
    for col in ("id", "kind", "status"):
        t.add_column(col, no_wrap=True)
    t.add_column("model", overflow="fold", min_width=10)
    t.add_column("const.", no_wrap=True)
    t.add_column("started", no_wrap=True)
    t.add_column("time", no_wrap=True, justify="right")
    t.add_column("metrics", min_width=14, overflow="fold")
    for r in runs:
        shown = ", ".join(f"{k}={_num(v)}" for k, v in list(r.metrics.items())[:3])
        more = len(r.metrics) - 3
        t.add_row(
            r.short_id + (f"\n[dim]{r.name}[/]" if r.name else ""),
            r.kind,
            _status(r),
            r.model,
            r.constitution_hash[:6],
            _when(r.started_at, short=True),
            _duration(r.duration_s),
            shown + (f" (+{more})" if more > 0 else ""),
        )
    con.print(t)


@group.command()
@click.argument("run_id")
@json_option
@click.pass_context
def show(ctx: click.Context, run_id: str, as_json: bool) -> None:
    """Show one run by id or by a unique id prefix (see `alignloop runs list`)."""
    with _store(ctx) as store:
        run = store.get(run_id)
    if as_json:
        emit_json(run.to_dict())
        return
    from rich.console import Console
    from rich.table import Table

    con = Console()
    fields: list[tuple[str, Any]] = [
        ("id", run.id),
        ("name", run.name or "-"),
        ("kind", run.kind),
        ("status", _status(run)),
        ("model", run.model),
        ("constitution", run.constitution_hash),
        ("started", _when(run.started_at)),
        ("finished", _when(run.finished_at)),
        ("duration", _duration(run.duration_s)),
        ("output dir", run.output_dir or "-"),
    ]
    head = Table.grid(padding=(0, 2))
    for k, v in fields:
        head.add_row(f"[bold]{k}[/]", str(v))
    con.print(head)
    if run.metrics:
        mt = Table("metric", "value", title="metrics")
        for k, v in run.metrics.items():
            mt.add_row(k, _num(v))
        con.print(mt)
    if run.artifacts:
        at = Table("artifact", "path", title="artifacts")
        for k, p in run.artifacts.items():
            at.add_row(k, p)
        con.print(at)
    con.print("[bold]config[/]")
    con.print_json(json.dumps(run.config, default=str))
    if run.error:
        con.print("[bold red]error[/]")
        con.print(run.error, markup=False, highlight=False)
