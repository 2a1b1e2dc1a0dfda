"""`alignloop review next|label|list|export`: work the review queue of production traces."""

from __future__ import annotations

import getpass
import os
from typing import Any

import click

from alignloop.cli._common import constitution_option, emit_json, json_option, load_const
from alignloop.cli._monitor import db_option, open_store

_VERDICTS = ("approved", "relabelled", "corrected", "dismissed")


def _reviewer() -> str:
    try:
        return os.environ.get("ALIGNLOOP_REVIEWER") or getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return ""


@click.group("review")
def group() -> None:
    """Review flagged traces (and a random sample of the rest); export verdicts as training data.

    \b
    Verdicts: approved (the guard was right), relabelled --category C (C = none: a false alarm),
    corrected --correction TEXT (the reply the model should have given), dismissed.
    """


def _show(item: Any) -> None:
    guard = ", ".join(item.guard_categories) or "none"
    click.echo(f"#{item.id}  {item.reason}  {item.model}  {item.ts:%Y-%m-%d %H:%M}  guard: {guard}")
    click.echo(f"  prompt:   {item.prompt[:500]}")
    click.echo(f"  response: {(item.response or '')[:500]}")
    if item.status != "pending":
        click.echo(f"  verdict:  {item.status}{' ' + item.category if item.category else ''} by {item.reviewer}")


@group.command("next")
@db_option
@json_option
def next_cmd(db_url: str | None, as_json: bool) -> None:
    """Show the next pending item (alert examples first, then flagged traces, then the sample)."""
    from alignloop.monitor import next_item

    item = next_item(open_store(db_url).engine)
    if as_json:
        emit_json(item.to_dict() if item else None)
    elif item is None:
        click.echo("the review queue is empty")
    else:
        _show(item)
        click.echo(f"  label it: alignloop review label {item.id} approved|relabelled|corrected|dismissed")


@group.command("label")
@click.argument("item_id", type=int)
@click.argument("verdict", type=click.Choice(_VERDICTS))
@click.option("--category", default=None, help="relabelled: the right category (none: not a violation).")
@click.option("--correction", default=None, help="corrected: the reply the model should have given.")
@click.option(
    "--by", "reviewer", default=_reviewer, show_default="$ALIGNLOOP_REVIEWER or your user name", help="Reviewer's name."
)
@constitution_option
@db_option
@json_option
def label_cmd(
    item_id: int,
    verdict: str,
    category: str | None,
    correction: str | None,
    reviewer: str,
    constitution: str,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Give one item a verdict (stored with your name and the time, and audited)."""
    from alignloop.monitor import label

    cats = load_const(constitution).constitution.category_ids
    item = label(
        open_store(db_url).engine,
        item_id,
        verdict,
        reviewer=reviewer,
        category=category,
        correction=correction,
        categories=cats,
    )
    if as_json:
        emit_json(item.to_dict())
    else:
        click.echo(f"#{item.id}: {item.status}{' ' + item.category if item.category else ''} by {item.reviewer}")


@group.command("list")
@click.option("--status", default="pending", show_default=True, type=click.Choice(["pending", *_VERDICTS, "all"]))
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
@db_option
@json_option
def list_cmd(status: str, limit: int, db_url: str | None, as_json: bool) -> None:
    """List queue items."""
    from alignloop.monitor import count_items, list_items

    engine = open_store(db_url).engine
    items = list_items(engine, None if status == "all" else status, limit=limit)
    if as_json:
        emit_json({"counts": count_items(engine), "items": [i.to_dict() for i in items]})
        return
    counts = count_items(engine)
    click.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "the review queue is empty")
    for i in items:
        verdict = "" if i.status == "pending" else f" [{i.status}]"
        click.echo(f"#{i.id:<6} {i.reason:<12} {i.prompt[:70]!r}{verdict}")


@group.command("export")
@click.option("--format", "fmt", type=click.Choice(["pairs", "eval", "guard"]), default="pairs", show_default=True)
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False), help="JSONL file to write.")
@constitution_option
@db_option
@json_option
def export_cmd(fmt: str, out: str, constitution: str, db_url: str | None, as_json: bool) -> None:
    """Write reviewed traces as preference pairs, a private eval set, or guard training rows.

    \b
    pairs: chosen = the correction, else the constitution's refusal; rejected = the production reply
           (check with: alignloop data validate FILE --schema preferences).
    eval:  prompts with what a good reply does; never publish this file.
    guard: replies labelled harmful (with category) or safe, for alignloop guard train --data.
    Every row has a split; training takes only split=train rows.
    """
    from alignloop.monitor import export

    n = export(open_store(db_url).engine, fmt, out, load_const(constitution))
    if as_json:
        emit_json({"rows": n, "path": out, "format": fmt})
    else:
        click.echo(f"wrote {n} {fmt} rows to {out}")


@group.command("fixed")
@click.option("--model", "-m", "model", required=True, help="The new model (folder, hub id, endpoint or 'default').")
@click.option("--artifact", default=None, type=click.Path(file_okay=False), help="Guard artifact folder.")
@click.option("--max-new-tokens", default=128, show_default=True, type=click.IntRange(1, 4096))
@constitution_option
@db_option
@json_option
def fixed_cmd(
    model: str, artifact: str | None, max_new_tokens: int, constitution: str, db_url: str | None, as_json: bool
) -> None:
    """How many reviewed production failures (held-out dev/test rows) MODEL now handles."""
    from alignloop.cli._monitor import load_guard
    from alignloop.models import load_model
    from alignloop.monitor import fixed_failures

    loaded = load_const(constitution)
    res = fixed_failures(
        open_store(db_url), load_model(model), load_guard(loaded, artifact), max_new_tokens=max_new_tokens
    )
    if as_json:
        emit_json(res)
    elif not res["failures"]:
        click.echo("no held-out reviewed failures yet (review more traces, or they all fell in the train split)")
    else:
        click.echo(f"fixed {res['fixed']} of {res['failures']} held-out production failures ({res['rate']:.0%})")
