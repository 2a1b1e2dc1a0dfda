"""`alignloop compliance report`: the compliance register from the evidence in the run store."""

from __future__ import annotations

import click

from alignloop.cli._common import emit_json, json_option
from alignloop.cli._govern import db_option, open_store

_FRAMEWORKS = ("eu-ai-act", "nist-ai-600-1", "iso-42001")  # = alignloop.govern.FRAMEWORKS, kept import-free
_STYLE = {"evidenced": "green", "partial": "yellow", "missing": "red"}


@click.group("compliance")
def group() -> None:
    """Map framework obligations and risks to the evidence alignloop has recorded."""


@group.command()
@click.option(
    "--framework",
    "frameworks",
    multiple=True,
    type=click.Choice(_FRAMEWORKS),
    help="Only these (repeatable; default all).",
)
@click.option(
    "--html", "html_path", default=None, type=click.Path(dir_okay=False), help="Also write a self-contained HTML page."
)
@db_option
@json_option
def report(frameworks: tuple[str, ...], html_path: str | None, db_url: str | None, as_json: bool) -> None:
    """Each item of EU AI Act Annex IV, NIST AI 600-1 and ISO/IEC 42001 Annex A with its evidence.

    \b
    Status: evidenced (all the evidence it needs is recorded), partial (some of it, or the item
    reaches beyond what a tool can show), missing (none). Nothing is claimed without a link.
    """
    from alignloop.govern._compliance import compliance_report, render_html

    with open_store(db_url) as store:
        rep = compliance_report(store, list(frameworks) or None)
    if html_path:
        from alignloop._util.atomic import write_text_atomic

        write_text_atomic(html_path, render_html(rep))
    if as_json:
        emit_json(rep)
        return
    from rich.console import Console
    from rich.table import Table

    con = Console()
    for fw in rep["frameworks"]:
        c = fw["counts"]
        t = Table(
            title=f"{fw['title']}: {c['evidenced']} evidenced, {c['partial']} partial, {c['missing']} missing",
            header_style="bold",
        )
        t.add_column("item", overflow="fold")
        t.add_column("status", no_wrap=True)
        t.add_column("evidence", overflow="fold")
        t.add_column("missing / outside alignloop", overflow="fold")
        for it in fw["items"]:
            ev = "\n".join(
                f"{k}: {links[0]['label']}" + (f" (+{len(links) - 1})" if len(links) > 1 else "")
                for k, links in it["evidence"].items()
            )
            miss = (
                [m["what"] for m in it["missing"]]
                + it["notes"]
                + ([f"outside: {it['outside']}"] if it["outside"] else [])
            )
            st = it["status"]
            t.add_row(
                f"{it['id']} {it['title']}",
                f"[{_STYLE[st]}]{st}[/]",
                ev or "-",
                "\n".join(f"- {m}" for m in miss) or "-",
            )
        con.print(t)
    if html_path:
        con.print(f"wrote {html_path}")
