"""`alignloop data show|validate|export`."""

from __future__ import annotations

from collections import Counter

import click

from alignloop.cli._common import emit_json, json_option

SCHEMA_CHOICE = click.Choice(["prompts", "conversations", "preferences", "labelled"])


@click.group("data")
def group() -> None:
    """Show, validate and export datasets and the bundled seed data."""


def _load(source: str, schema: str, split: str | None, label: str | None, category: str | None) -> list:
    from alignloop.data import SCHEMAS, read_rows, seed_prompts

    if source == "seed":
        return seed_prompts(split=split, label=label, category=category)  # type: ignore[arg-type]
    rows = read_rows(source, SCHEMAS[schema])
    return [
        r
        for r in rows
        if (split is None or getattr(r, "split", None) == split)
        and (label is None or getattr(r, "label", None) == label)
        and (category is None or getattr(r, "category", None) == category)
    ]


_filters = [
    click.option("--split", type=click.Choice(["train", "dev", "test"]), default=None),
    click.option("--label", default=None, help="harmful, borderline or benign (prompts)."),
    click.option("--category", default=None, help="A constitution category id."),
]


def _with_filters(f):  # type: ignore[no-untyped-def]
    for opt in reversed(_filters):
        f = opt(f)
    return f


@group.command()
@click.argument("source", default="seed")
@click.option("--schema", type=SCHEMA_CHOICE, default="prompts", show_default=True)
@click.option("--limit", default=5, show_default=True, help="Example rows to print.")
@_with_filters
@json_option
def show(
    source: str, schema: str, limit: int, split: str | None, label: str | None, category: str | None, as_json: bool
) -> None:
    """Summarise SOURCE (a file, a datasets folder, or `seed` for the bundled prompts)."""
    rows = _load(source, schema, split, label, category)
    counts: dict[str, Counter[str]] = {
        k: Counter(str(getattr(r, k, None)) for r in rows) for k in ("label", "category", "split")
    }
    if as_json:
        emit_json(
            {
                "rows": len(rows),
                **{k: dict(v) for k, v in counts.items()},
                "examples": [r.model_dump(mode="json", exclude_none=True) for r in rows[:limit]],
            }
        )
        return
    from rich.console import Console
    from rich.table import Table

    con = Console()
    con.print(f"[bold]{source}[/]: {len(rows)} rows")
    for k, c in counts.items():
        if set(c) == {"None"}:
            continue
        t = Table(k, "rows")
        for name, n in sorted(c.items()):
            t.add_row(name, str(n))
        con.print(t)
    for r in rows[:limit]:
        con.print(r.model_dump(mode="json", exclude_none=True), highlight=False)


@group.command()
@click.argument("file", type=click.Path())
@click.option("--schema", type=SCHEMA_CHOICE, default="prompts", show_default=True)
@json_option
def validate(file: str, schema: str, as_json: bool) -> None:
    """Check every row of FILE; exit 2 naming file:line and the field of the first bad row."""
    from alignloop.data import SCHEMAS, read_rows

    rows = read_rows(file, SCHEMAS[schema])
    if as_json:
        emit_json({"valid": True, "rows": len(rows), "schema": schema})
    else:
        click.echo(f"ok: {file} has {len(rows)} valid {schema} rows")


@group.command()
@click.argument("out", type=click.Path())
@click.option("--source", default="seed", show_default=True, help="`seed` or a file/folder to convert.")
@click.option("--schema", type=SCHEMA_CHOICE, default="prompts", show_default=True)
@_with_filters
def export(out: str, source: str, schema: str, split: str | None, label: str | None, category: str | None) -> None:
    """Write rows to OUT: `.jsonl`, `.parquet`, or a folder name for a Hugging Face dataset."""
    from alignloop.data import write_rows

    rows = _load(source, schema, split, label, category)
    write_rows(out, rows)
    click.echo(f"wrote {len(rows)} rows to {out}")
