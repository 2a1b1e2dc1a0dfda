"""`alignloop release approve|reject|status`: the human decision before a model is served."""

from __future__ import annotations

import click

from alignloop.cli._common import emit_json, json_option
from alignloop.cli._govern import db_option, open_store


@click.group("release")
def group() -> None:
    """Approve or reject models written by `alignloop run`.

    \b
    A run whose release gates passed is 'staged'; approving one whose gates failed needs
    --override REASON. Every decision goes to the audit log. `alignloop serve --require-approved`
    serves only approved models.
    """


_run_arg = click.argument("run")
_by = click.option("--by", required=True, help="Who decides (a name kept in the audit log).")
_note = click.option("--note", required=True, help="Why: what was checked, what was accepted.")


def _show(info: object, as_json: bool) -> None:
    d = info.to_dict()  # type: ignore[attr-defined]
    if as_json:
        emit_json(d)
        return
    extra = f", override: {d['override']}" if d.get("override") else ""
    by = f" by {d['decided_by']}" if d.get("decided_by") else ""
    gates = {True: "passed", False: "failed", None: "not checked"}[d["gates_passed"]]
    click.echo(f"run {d['run_id'][:12]}: {d['status']}{by} (gates {gates}{extra})")
    if d.get("model_dir"):
        click.echo(f"  model: {d['model_dir']}")


@group.command()
@_run_arg
@_by
@_note
@click.option("--override", default=None, metavar="REASON", help="Approve although the gates failed, and say why.")
@db_option
@json_option
def approve(run: str, by: str, note: str, override: str | None, db_url: str | None, as_json: bool) -> None:
    """Approve RUN (a run id, id prefix, or the folder of an `alignloop run`) for release."""
    from alignloop.govern._release import decide

    with open_store(db_url) as store:
        _show(decide(store, run, "approved", by=by, note=note, override=override), as_json)


@group.command()
@_run_arg
@_by
@_note
@db_option
@json_option
def reject(run: str, by: str, note: str, db_url: str | None, as_json: bool) -> None:
    """Reject RUN for release."""
    from alignloop.govern._release import decide

    with open_store(db_url) as store:
        _show(decide(store, run, "rejected", by=by, note=note), as_json)


@group.command()
@click.argument("run", required=False)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Newest N loop runs.")
@db_option
@json_option
def status(run: str | None, limit: int, db_url: str | None, as_json: bool) -> None:
    """Where RUN stands (staged, gates_failed, not_finished, approved, rejected); all loop runs without RUN."""
    from alignloop.govern._release import list_releases, release_status

    with open_store(db_url) as store:
        if run:
            _show(release_status(store, run), as_json)
            return
        infos = list_releases(store, limit)
    if as_json:
        emit_json([i.to_dict() for i in infos])
        return
    if not infos:
        click.echo("no `alignloop run` recorded yet")
    for i in infos:
        _show(i, False)
