"""`alignloop incident open|update|close|list|show`: AI incidents with a timeline and linked traces."""

from __future__ import annotations

import click

from alignloop.cli._common import emit_json, json_option
from alignloop.cli._govern import db_option, transaction

_CATEGORIES = ("harmful_output", "data_leak", "harmful_hallucination", "denial_of_service", "other")
_SEVERITIES = ("low", "medium", "high", "critical")


def _default_actor() -> str:
    from alignloop.govern._hooks import current_user

    return current_user()


_by = click.option("--by", default=None, help="Who acts (default: the operating-system user).")
_trace = click.option("--trace", "traces", multiple=True, metavar="TRACE_ID", help="Link a trace (repeatable).")


@click.group("incident")
def group() -> None:
    """Record and follow AI incidents: harmful output, data leaks, harmful hallucinations, denial of service."""


def _print(inc: object, as_json: bool) -> None:
    d = inc.to_dict()  # type: ignore[attr-defined]
    if as_json:
        emit_json(d)
        return
    click.echo(f"{d['id']}  [{d['status']}] {d['severity']} {d['category']}: {d['title']}")
    if d["trace_ids"]:
        click.echo(f"  traces: {', '.join(d['trace_ids'])}")
    for e in d["events"]:
        click.echo(f"  {e['ts'][:19]}  {e['actor']}  {e['kind']}" + (f": {e['text']}" if e["text"] else ""))
    if d["note"]:
        click.echo(f"  post-incident note: {d['note']}")


@group.command("open")
@click.option("--title", required=True, help="What happened, in one line.")
@click.option("--category", required=True, type=click.Choice(_CATEGORIES))
@click.option("--severity", type=click.Choice(_SEVERITIES), default="medium", show_default=True)
@click.option("--note", default=None, help="First timeline entry (default: the title).")
@click.option("--alert", "alert_id", default=None, help="The alert that raised it (source becomes 'alert').")
@_trace
@_by
@db_option
@json_option
def open_(
    title: str,
    category: str,
    severity: str,
    note: str | None,
    alert_id: str | None,
    traces: tuple[str, ...],
    by: str | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Open an incident."""
    from alignloop.govern._incidents import open_incident

    with transaction(db_url) as s:
        inc = open_incident(
            s,
            title=title,
            category=category,
            severity=severity,
            actor=by or _default_actor(),
            source="alert" if alert_id else "manual",
            alert_id=alert_id,
            trace_ids=traces,
            text=note,
        )
    _print(inc, as_json)


@group.command()
@click.argument("incident_id")
@click.option("--note", default=None, help="A timeline comment.")
@click.option("--status", type=click.Choice(["open", "acknowledged"]), default=None)
@click.option("--severity", type=click.Choice(_SEVERITIES), default=None)
@_trace
@_by
@db_option
@json_option
def update(
    incident_id: str,
    note: str | None,
    status: str | None,
    severity: str | None,
    traces: tuple[str, ...],
    by: str | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Comment on, acknowledge, re-grade or link traces to an incident."""
    from alignloop.govern._incidents import update_incident

    with transaction(db_url) as s:
        inc = update_incident(
            s, incident_id, actor=by or _default_actor(), text=note, status=status, severity=severity, trace_ids=traces
        )
    _print(inc, as_json)


@group.command()
@click.argument("incident_id")
@click.option("--note", required=True, help="The post-incident note: what happened, why, and what changed.")
@_by
@db_option
@json_option
def close(incident_id: str, note: str, by: str | None, db_url: str | None, as_json: bool) -> None:
    """Resolve an incident with its post-incident note."""
    from alignloop.govern._incidents import close_incident

    with transaction(db_url) as s:
        inc = close_incident(s, incident_id, actor=by or _default_actor(), note=note)
    _print(inc, as_json)


@group.command("list")
@click.option(
    "--status",
    type=click.Choice(["open", "acknowledged", "resolved"]),
    default=None,
    help="'open' lists every unresolved incident.",
)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@db_option
@json_option
def list_(status: str | None, limit: int, db_url: str | None, as_json: bool) -> None:
    """List incidents, newest first."""
    from alignloop.govern._incidents import list_incidents

    with transaction(db_url) as s:
        incs = list_incidents(s, status=status, limit=limit)
    if as_json:
        emit_json([i.to_dict() for i in incs])
        return
    if not incs:
        click.echo("no incidents")
    for i in incs:
        click.echo(f"{i.id}  {i.opened_at[:16]}  [{i.status}] {i.severity} {i.category}: {i.title}")


@group.command()
@click.argument("incident_id")
@db_option
@json_option
def show(incident_id: str, db_url: str | None, as_json: bool) -> None:
    """Show one incident with its timeline."""
    from alignloop.govern._incidents import get_incident

    with transaction(db_url) as s:
        inc = get_incident(s, incident_id)
    _print(inc, as_json)
