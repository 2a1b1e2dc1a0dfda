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


def _guard(constitution: str, artifact: str | None, off_topic: bool = False) -> Any:
    from alignloop.guard import Guard

    return Guard.load(load_const(constitution), artifact, off_topic=off_topic)


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
@click.option(
    "--off-topic",
    is_flag=True,
    help="Label an English reply far from its prompt a refusal (the judge's opt-in check, docs/judge.md).",
)
@constitution_option
@artifact_option
def score(
    in_file: str, out_file: str, batch_size: int, off_topic: bool, constitution: str, artifact: str | None
) -> None:
    """Score IN_FILE rows {"id","text"} or {"id","prompt","response"} into OUT_FILE (resumable).

    A row without an id gets one made from its content. With --off-topic, rescoring into an existing
    OUT_FILE keeps the rows already there: write to a new file.
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
    g = _guard(constitution, artifact, off_topic)
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


def _hf_mapping(
    text_col: str, label_col: str, category_col: str | None, positive: str, injection: bool, licence: str
) -> Any:
    from alignloop.guard import HfMapping

    return HfMapping(
        text=text_col,
        label=label_col,
        category=category_col,
        positive=tuple(p.strip() for p in positive.split(",") if p.strip()),
        injection=injection,
        licence=licence,
    )


@group.command()
@click.option(
    "--data",
    "data_specs",
    multiple=True,
    help='Extra rows: a JSONL file {"id","text","label","category"} (harmful/benign/borderline/injection), '
    "or hf:ORG/NAME[:SPLIT] (or hf:/local/folder[:SPLIT]) read with `datasets` through the column options. "
    "Repeatable.",
)
@click.option("--text-column", default="text", show_default=True, help="hf: column holding the text.")
@click.option("--label-column", default="label", show_default=True, help="hf: column holding the label.")
@click.option("--category-column", default=None, help="hf: column naming the violated category (optional).")
@click.option(
    "--positive",
    default="1,true,unsafe,harmful,toxic,injection,yes",
    show_default=True,
    help="hf: label values (comma-separated, any case) that mean unsafe (or injection with --injection-data).",
)
@click.option("--injection-data", is_flag=True, help="hf: positives are prompt injections, not unsafe texts.")
@click.option(
    "--licence", default="unknown", show_default=True, help="hf: the dataset's licence (SPDX id); recorded and checked."
)
@click.option(
    "--default",
    "rebuild_default",
    is_flag=True,
    help="Rebuild the shipped fine-tuned classifier from its registered sources (a few minutes on 2 cores).",
)
@click.option(
    "--epochs",
    default=None,
    type=float,
    help="With --default: the most training epochs (default 5; the build keeps the checkpoint best on dev).",
)
@click.option("--no-seed", is_flag=True, help="Do not train on the bundled seed data.")
@click.option("--output", "-o", "out_dir", default=None, type=click.Path(file_okay=False), help="Artifact folder.")
@constitution_option
@json_option
def train(
    data_specs: tuple[str, ...],
    text_column: str,
    label_column: str,
    category_column: str | None,
    positive: str,
    injection_data: bool,
    licence: str,
    rebuild_default: bool,
    epochs: float | None,
    no_seed: bool,
    out_dir: str | None,
    constitution: str,
    as_json: bool,
) -> None:
    """Train a guard artifact for a constitution (and your data) into a versioned folder.

    With --default, rebuild the fine-tuned classifier that alignloop ships (its sources, licences
    and counts go into the folder's meta.json); without -o it replaces the shipped one.
    """
    from alignloop._util.errors import UserError

    mapping = _hf_mapping(text_column, label_column, category_column, positive, injection_data, licence)
    hf = [d for d in data_specs if d.startswith("hf:")]
    files = [d for d in data_specs if not d.startswith("hf:")]
    lc = load_const(constitution)
    if rebuild_default:
        _train_default(lc, hf, files, mapping, epochs, no_seed, out_dir, as_json)
        return
    if out_dir is None:
        raise UserError("--output/-o is required", hint="name the artifact folder, or pass --default")
    from alignloop.guard import TrainingData, read_sources, read_user_data, rows_to_training_data, train_artifact

    extra = TrainingData()
    for f in files:
        extra.extend(read_user_data(f))
    if hf:
        _, rows = read_sources(hf, mappings={h: mapping for h in hf})
        extra.extend(rows_to_training_data(rows))
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


def _train_default(
    lc: Any,
    hf: list[str],
    files: list[str],
    mapping: Any,
    epochs: float | None,
    no_seed: bool,
    out_dir: str | None,
    as_json: bool,
) -> None:
    from alignloop.guard import (
        DEFAULT_SOURCES,
        DEV_ONLY_SOURCES,
        FinetuneConfig,
        build_classifier,
        held_out_only,
        read_sources,
        rows_from_user_file,
        shipped_model_dir,
    )
    from alignloop.guard._build import add_heads_threshold, add_output_thresholds, add_tense_threshold
    from alignloop.guard._context_fit import add_output_context

    # the dev-only sources come last: a first build generates them (minutes), after the user's own
    # sources have been read and checked
    names = [n for n in DEFAULT_SOURCES if not (no_seed and n == "bundle")] + hf + list(DEV_ONLY_SOURCES)
    infos, rows = read_sources(names, mappings={h: mapping for h in hf})
    rows = held_out_only(infos, rows, DEV_ONLY_SOURCES)
    for f in files:
        info, got = rows_from_user_file(f)
        infos.append(info)
        rows += got
    cfg = FinetuneConfig() if epochs is None else FinetuneConfig(epochs=epochs)
    target = Path(out_dir) if out_dir else shipped_model_dir()
    clf = build_classifier(
        target, rows, infos, lc.constitution.category_ids, cfg, say=lambda m: click.echo(m, err=True)
    )
    click.echo("deciding on dev whether the default heads join the classifier", err=True)
    click.echo(clf.meta["calibration"]["provenance"]["epochs"], err=True)
    add_heads_threshold(clf, rows, lc)
    click.echo(clf.meta["calibration"]["provenance"]["unsafe_with_heads"], err=True)
    click.echo("deciding on dev whether inputs framed in time are also scored as plain requests", err=True)
    add_tense_threshold(clf, rows, lc)
    click.echo(clf.meta["calibration"]["provenance"]["unsafe_with_tense"], err=True)
    click.echo("choosing the output checks' thresholds on dev replies", err=True)
    add_output_thresholds(clf, lc)
    click.echo("deciding on dev replies whether replies are also judged with their prompt's score", err=True)
    add_output_context(clf, lc)
    click.echo(clf.meta["calibration"]["provenance"]["output_context"], err=True)
    if as_json:
        emit_json(clf.meta)
        return
    m = clf.meta["metrics"]["test_all"]["unsafe"]
    click.echo(
        f"guard classifier written to {target}: test AUPRC {m.get('auprc', float('nan')):.3f}, "
        f"F1 {m['f1']:.3f}, FPR {m['fpr']:.3f} at threshold {clf.meta['thresholds']['unsafe']:.3f}"
    )
