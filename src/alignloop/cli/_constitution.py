"""`alignloop constitution validate|show|init`."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from alignloop.cli._common import emit_json, json_option


@click.group("constitution")
def group() -> None:
    """Validate, show and create constitutions."""


@group.command()
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
def validate(file: str, as_json: bool) -> None:
    """Check FILE against the schema; exit 2 with every problem (key path and line) if invalid."""
    from alignloop.constitution import load_constitution

    lc = load_constitution(file)
    c = lc.constitution
    if as_json:
        emit_json({"valid": True, "name": c.name, "version": c.version, "hash": lc.hash})
    else:
        click.echo(
            f"ok: {file} is valid ({c.name} v{c.version}, {len(c.principles)} principles, "
            f"{len(c.categories)} categories, hash {lc.short_hash})"
        )


@group.command()
@click.argument("file", default="default")
@json_option
def show(file: str, as_json: bool) -> None:
    """Summarise a constitution (the default unless FILE is given)."""
    from alignloop.constitution import load_constitution

    lc = load_constitution(file)
    c = lc.constitution
    if as_json:
        emit_json({"hash": lc.hash, **c.model_dump(mode="json")})
        return
    from rich.console import Console
    from rich.table import Table

    con = Console()
    con.print(f"[bold]{c.name}[/] v{c.version}  hash {lc.short_hash}  ({lc.path})")
    t = Table("id", "title", "severity", "input", "output", "threshold", "examples (violating/allowed)")
    for cat in c.categories:
        t.add_row(
            cat.id,
            cat.title,
            cat.severity.value,
            cat.input_action.value,
            cat.output_action.value,
            "-" if cat.threshold is None else f"{cat.threshold:.2f}",
            f"{len(cat.violating_examples)}/{len(cat.allowed_examples)}",
        )
    con.print(t)
    con.print(f"principles: {', '.join(p.id for p in c.principles)}")
    g = c.release_gates
    con.print(
        f"release gates: harmful compliance <= {g.max_harmful_compliance:.0%}, "
        f"over-refusal <= {g.max_over_refusal:.0%}, helpfulness retention >= {g.min_helpfulness_retention:.0%}"
    )


@group.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: str, force: bool) -> None:
    """Write an editable copy of the default constitution to PATH."""
    from alignloop._util.errors import UserError
    from alignloop.constitution import default_path

    p = Path(path)
    if p.exists() and not force:
        raise UserError(f"{p} already exists", hint="pass --force to overwrite, or choose another path")
    p.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(default_path(), p)
    click.echo(f"wrote {p}; edit it, then run `alignloop constitution validate {p}`")
