"""`alignloop guard`: check texts, score JSONL files, train guard artifacts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from alignloop.cli._common import constitution_option, emit_json, json_option, load_const, progress_bar

artifact_option = click.option(
    "--artifact",
    "-a",
    default=None,
    help="Guard artifact folder (default: built for the constitution and cached).",
)


def _guard(constitution: str, artifact: str | None) -> Any:
    from alignloop.guard import Guard

    return Guard.load(load_const(constitution), artifact)


@click.group()
def group() -> None:
    """Runtime input/output checks from the constitution."""


@group.command()
@click.argument("text")
@click.option("--output-of", "prompt", default=None, help="Treat TEXT as a model response to this prompt.")
@constitution_option
@artifact_option
@json_option
def check(text: str, prompt: str | None, constitution: str, artifact: str | None, as_json: bool) -> None:
    """Check one TEXT (a user message, or a response with --output-of) and print the decision."""
    g = _guard(constitution, artifact)
    d = g.check_input(text) if prompt is None else g.check_output(prompt, text)
    if as_json:
        emit_json(d.to_dict())
        return
    color = {"allow": "green", "flag": "yellow", "redact": "yellow", "block": "red"}[d.action]
    click.secho(f"{d.action.upper()}  score={d.score:.3f}  injection={d.injection:.3f}", fg=color, bold=True)
    top = sorted(d.categories.items(), key=lambda kv: -kv[1])[:3]
    click.echo("top categories: " + ", ".join(f"{k} {v:.3f}" for k, v in top))
    if d.refusal is not None:
        click.echo(f"response is a {d.refusal.label} (p_refusal={d.refusal.p_refusal:.2f})")
    for r in d.reasons:
        spans = f" spans={[(s.type, s.start, s.end) for s in r.spans]}" if r.spans else ""
        note = f"  ({r.note})" if r.note else ""
        click.echo(f"  - {r.detector}: {r.category} {r.score:.3f} >= {r.threshold:.3f} -> {r.action}{spans}{note}")
    if d.text != text:
        click.echo(f"passes on: {d.text}")


@group.command()
@click.argument("in_file", type=click.Path(dir_okay=False))
@click.option("--output", "-o", "out_file", required=True, type=click.Path(dir_okay=False), help="Output JSONL.")
@click.option("--batch-size", default=64, show_default=True)
@constitution_option
@artifact_option
def score(in_file: str, out_file: str, batch_size: int, constitution: str, artifact: str | None) -> None:
    """Score IN_FILE rows {"id","text"} or {"id","prompt","response"} into OUT_FILE (resumable).

    A row without an id gets one made from its content.
    """
    from alignloop._util.errors import DataError
    from alignloop.data import JsonlAppender, content_id, iter_jsonl, repeat_error

    rows: list[tuple[str, str | None, str]] = []
    seen: dict[str, int] = {}
    for n, obj in iter_jsonl(in_file):
        rid = obj["id"] if "id" in obj else content_id(obj)
        if not isinstance(rid, (str, int)) or isinstance(rid, bool):
            raise DataError(f"{in_file}:{n}: field 'id': not a string", hint="give every row a string id")
        first = seen.setdefault(str(rid), n)
        if first != n:  # the output is keyed by id: a second row with it would never be scored
            raise repeat_error(in_file, n, rid, first, derived="id" not in obj)
        if isinstance(obj.get("text"), str):
            rows.append((str(rid), None, obj["text"]))
        elif isinstance(obj.get("prompt"), str) and isinstance(obj.get("response"), str):
            rows.append((str(rid), obj["prompt"], obj["response"]))
        else:
            raise DataError(
                f"{in_file}:{n}: needs a string 'text', or string 'prompt' and 'response'",
                hint='use {"id", "text"} for input checks or {"id", "prompt", "response"} for outputs',
            )
    g = _guard(constitution, artifact)
    with JsonlAppender(out_file) as out:
        todo = [r for r in rows if r[0] not in out.done]
        with progress_bar("scoring", len(rows)) as advance:
            advance(len(rows) - len(todo))
            for s in range(0, len(todo), batch_size):
                chunk = todo[s : s + batch_size]
                inputs = [r for r in chunk if r[1] is None]
                outputs = [r for r in chunk if r[1] is not None]
                decided = dict(zip([r[0] for r in inputs], g.check_inputs([r[2] for r in inputs]), strict=True))
                decided |= dict(
                    zip(
                        [r[0] for r in outputs],
                        g.check_outputs([r[1] or "" for r in outputs], [r[2] for r in outputs]),
                        strict=True,
                    )
                )
                for rid, _, _ in chunk:
                    out.append(decided[rid].to_row(rid))
                advance(len(chunk))
    click.echo(f"wrote {len(rows)} rows to {out_file}", err=True)


@group.command()
@click.option(
    "--data",
    "data_file",
    default=None,
    type=click.Path(dir_okay=False),
    help='Extra JSONL rows {"id","text","label","category"} (harmful/benign/borderline/injection).',
)
@click.option("--no-seed", is_flag=True, help="Do not train on the bundled seed data.")
@click.option("--output", "-o", "out_dir", required=True, type=click.Path(file_okay=False), help="Artifact folder.")
@constitution_option
@json_option
def train(data_file: str | None, no_seed: bool, out_dir: str, constitution: str, as_json: bool) -> None:
    """Train a guard artifact for a constitution (and your data) into a versioned folder."""
    from alignloop.guard import read_user_data, train_artifact

    lc = load_const(constitution)
    extra = read_user_data(data_file) if data_file else None
    with progress_bar("training guard", 4) as advance:

        def say(msg: str) -> None:
            click.echo(msg, err=True)
            advance(1)

        path = train_artifact(out_dir, lc, extra=extra, use_seed=not no_seed, progress=say)
    meta = json.loads((Path(path) / "meta.json").read_text())
    if as_json:
        emit_json(meta)
    else:
        click.echo(f"guard artifact written to {path} (default threshold {meta['default_threshold']:.3f})")
