"""`alignloop card RUN_DIR -o FILE`: a Hugging Face model card for a model written by `alignloop run`."""

from __future__ import annotations

import click

from alignloop.cli._govern import db_option


@click.command("card")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("-o", "--output", "out", default="README.md", show_default=True, type=click.Path(dir_okay=False))
@click.option(
    "--license",
    "license_",
    default=None,
    help="License id for the metadata (default: the base model's for 'default', else 'other').",
)
@db_option
def command(run_dir: str, out: str, license_: str | None, db_url: str | None) -> None:
    """Write a model card (README.md with YAML metadata and model-index) for RUN_DIR.

    \b
    RUN_DIR is the folder of `alignloop run -o RUN_DIR`. The card holds the eval results with their
    intervals, the red-team summary, training data provenance (SHA-256, constitution hash),
    limitations and the monitoring plan; `huggingface_hub.ModelCard.load` reads it.
    """
    from pathlib import Path

    from alignloop._util.errors import UserError
    from alignloop.govern._card import write_card

    if not Path(run_dir).is_dir():
        raise UserError(f"no run folder {run_dir}", hint="give the folder written by `alignloop run -o DIR`")
    card = write_card(run_dir, out, license_, store_url=db_url)
    n = len(getattr(card.data, "eval_results", None) or [])
    click.echo(f"wrote {out} ({n} eval results)")
