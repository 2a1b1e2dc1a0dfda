"""`alignloop audit show|export|verify`: read, export and check the hash-chained audit log."""

from __future__ import annotations

import json
from typing import Any

import click

from alignloop.cli._common import emit_json, json_option
from alignloop.cli._govern import db_option, transaction


@click.group("audit")
def group() -> None:
    """Show, export and verify the hash-chained audit log.

    \b
    Every consequential act is an entry: constitution changes (with a diff), runs and gate results,
    release decisions and overrides, API keys, review decisions, alerts and incidents. With
    ALIGNLOOP_AUDIT_KEY set, entries carry an HMAC-SHA256 under that key.
    """


@group.command()
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Newest N entries.")
@click.option("--action", default=None, help="Only this action, or a prefix ending in '*' (e.g. 'release.*').")
@click.option("--subject", default=None, help="Only entries about this subject (run id, key, incident ...).")
@click.option("--seq", type=int, default=None, help="Show this one entry in full (details, diff).")
@db_option
@json_option
def show(
    limit: int, action: str | None, subject: str | None, seq: int | None, db_url: str | None, as_json: bool
) -> None:
    """Show the newest entries (or one entry in full with --seq)."""
    from alignloop._util.errors import UserError
    from alignloop.govern._audit import audit_entries, row_entry
    from alignloop.store import AuditRow

    with transaction(db_url) as s:
        if seq is not None:
            row = s.get(AuditRow, seq)
            if row is None:
                raise UserError(f"no audit entry #{seq}", hint="see `alignloop audit show`")
            entries = [row_entry(row)]
        else:
            entries = audit_entries(s, action=action, subject=subject, limit=limit)
    if as_json:
        emit_json(entries if seq is None else entries[0])
        return
    from rich.console import Console

    con = Console()
    if seq is not None:
        e = entries[0]
        diff = (e["details"] or {}).get("diff")
        shown = {k: v for k, v in e.items() if k != "details"}
        con.print_json(json.dumps(shown, default=str))
        con.print("[bold]details[/]")
        con.print_json(json.dumps({k: v for k, v in e["details"].items() if k not in ("diff", "content")}, default=str))
        if diff:
            con.print("[bold]diff[/]")
            con.print(diff, markup=False, highlight=False)
        return
    if not entries:
        con.print("the audit log is empty")
        return
    import shutil

    # plain fixed columns, one line per entry cut to the terminal: tables squeeze columns away at 80
    width = shutil.get_terminal_size((100, 20)).columns
    click.echo(f"{'#':>5}  {'time (UTC)':<14}  {'actor':<10}  {'action':<19}  {'subject':<12}  details")
    for e in entries:
        when = e["ts"][5:16].replace("T", " ")
        line = (
            f"{e['seq']:>5}  {when:<14}  {e['actor'][:10]:<10}  {e['action']:<19}  {e['subject'][:12]:<12}  {_brief(e)}"
        )
        click.echo(line[:width])


def _brief(entry: dict[str, Any]) -> str:
    """Scalar details as ``key=value``: hashes shortened, bulky fields (content, diff, metrics) left out."""
    parts = []
    for k, v in (entry["details"] or {}).items():
        if isinstance(v, bool | int | float | str) and k not in ("diff",):
            text = str(v)
            parts.append(f"{k}={text[:12] if len(text) == 64 else text}")
    return " ".join(parts)


@group.command()
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False), help="JSONL file to write.")
@db_option
def export(out: str, db_url: str | None) -> None:
    """Export every entry as JSONL (one entry a line, then an end line pinning count and head)."""
    from alignloop.govern._audit import export_audit

    with transaction(db_url) as s:
        n = export_audit(s, out)
    click.echo(f"wrote {n} entries to {out}")


@group.command()
@click.option(
    "--file", "path", default=None, type=click.Path(dir_okay=False), help="Verify this export instead of the store."
)
@click.option("--require-keyed", is_flag=True, help="Every entry must carry an HMAC (no plain SHA-256 entries).")
@db_option
@json_option
@click.pass_context
def verify(ctx: click.Context, path: str | None, require_keyed: bool, db_url: str | None, as_json: bool) -> None:
    """Check the chain: exit 0 when intact, 1 when an entry was edited, deleted or moved.

    \b
    The first bad entry is named. Keyed entries need ALIGNLOOP_AUDIT_KEY. In the store, entries cut
    off the end cannot be seen: note the printed head, or verify an export (its end line pins the end).
    """
    from alignloop.govern._audit import audit_key, verify_file, verify_store

    key = audit_key()
    if path is not None:
        res = verify_file(path, key, require_keyed=require_keyed)
    else:
        with transaction(db_url) as s:
            res = verify_store(s, key, require_keyed=require_keyed)
    if res.needs_key:
        from alignloop._util.errors import UserError

        where = f"line {res.bad_line}" if res.bad_line else f"entry #{res.bad_seq}"
        raise UserError(
            f"cannot verify past {where}: it carries an HMAC and no key is set",
            hint="set ALIGNLOOP_AUDIT_KEY to the audit key and verify again",
        )
    if as_json:
        from dataclasses import asdict

        emit_json(asdict(res))
    else:
        click.echo(res.describe(), err=not res.ok)
    ctx.exit(0 if res.ok else 1)
