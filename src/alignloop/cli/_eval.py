"""``alignloop eval``: generate, run suites, compare runs, check release gates."""

from __future__ import annotations

import json
import sys

import click

from alignloop.cli._common import (
    check_failed_share,
    constitution_option,
    emit_json,
    ensure_reachable,
    json_option,
    load_const,
    max_failed_share_option,
    model_option,
    progress_bar,
)


@click.group()
def group() -> None:
    """Evaluate a model against the constitution; compare runs; check release gates."""


@group.command()
@model_option
@click.option(
    "--prompts", "-p", required=True, type=click.Path(dir_okay=False), help='JSONL with {"id","prompt"} rows.'
)
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="Output JSONL (resumable).")
@click.option("--max-new-tokens", default=256, show_default=True, type=click.IntRange(1))
@click.option("--batch-size", default=16, show_default=True, type=click.IntRange(1))
def generate(model: str, prompts: str, output: str, max_new_tokens: int, batch_size: int) -> None:
    """Answer prompts greedily: {"id","prompt"} in, {"id","prompt","response"} out.

    \b
    Stable contract for external judges. Rerunning the same command resumes.
    Example: alignloop eval generate --model default -p prompts.jsonl -o answers.jsonl
    """
    from alignloop.evals import file_items, generate_file
    from alignloop.models import load_model

    n = len(file_items(prompts))  # validate before loading the model
    m = load_model(model)
    if hasattr(m, "batch_size"):
        m.batch_size = batch_size
    with progress_bar("generate", n) as advance:
        stats = generate_file(m, prompts, output, max_new_tokens=max_new_tokens, chunk_size=batch_size, advance=advance)
    click.echo(f"wrote {stats['written']} rows ({stats['skipped']} already done) to {output}", err=True)


@group.command()
@model_option
@constitution_option
@click.option("--suite", "-s", "suites", multiple=True, help="Suite name (repeatable); default: all built-in suites.")
@click.option(
    "--prompts",
    "-p",
    "prompt_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help='Your own suite: JSONL with {"id","prompt"} rows, optional label/category (repeatable).',
)
@click.option("--output", "-o", required=True, type=click.Path(file_okay=False), help="Run folder (resumable).")
@click.option("--limit", type=click.IntRange(1), default=None, help="At most N items per suite.")
@click.option("--max-new-tokens", default=128, show_default=True, type=click.IntRange(1))
@click.option(
    "--judge",
    "-j",
    "judges",
    multiple=True,
    default=("guard",),
    show_default=True,
    help="guard | guard:off-topic | keyword | llm:<model>; repeat to add judges (agreement is reported).",
)
@click.option(
    "--reference", default=None, help="Reference model for helpfulness retention (default: the model itself)."
)
@click.option(
    "--split",
    type=click.Choice(["dev", "test", "train"]),
    default="dev",
    show_default=True,
    help="Split of the bundled prompts: dev (choosing constants), the frozen test split (reporting), or train "
    "(the prompts training sees: replies for choosing thresholds, checking the fit).",
)
@max_failed_share_option
@json_option
def run(
    model: str,
    constitution: str,
    suites: tuple[str, ...],
    prompt_files: tuple[str, ...],
    output: str,
    limit: int | None,
    max_new_tokens: int,
    judges: tuple[str, ...],
    reference: str | None,
    split: str,
    max_failed_share: float,
    as_json: bool,
) -> None:
    """Run eval suites and write results.jsonl, summary.json and report.html.

    \b
    Suites: harmful_compliance, over_refusal, helpfulness, truthfulness, sycophancy.
    Example: alignloop eval run --model default --suite harmful_compliance --limit 40 -o runs/base
    """
    from alignloop.evals import DEFAULT_SUITES, evaluate, make_judge, resolve_suites
    from alignloop.models import load_model

    lc = load_const(constitution)
    names = list(suites) if suites or prompt_files else list(DEFAULT_SUITES)
    suite_objs = resolve_suites(names, prompt_files, split=split)  # unknown names fail before any model loads
    m = load_model(model)
    ensure_reachable(m)  # an unreachable endpoint exits 2 before the run folder is made
    judge_objs = [make_judge(j, lc, model=m if j == f"llm:{model}" else None) for j in judges]
    ref = None if reference in (None, model) else load_model(reference)
    if ref is not None:
        ensure_reachable(ref)
    res = evaluate(
        m,
        lc,
        suite_objs,
        output,
        judge_objs,
        limit=limit,
        max_new_tokens=max_new_tokens,
        reference=ref,
        progress=progress_bar,
    )
    failed = res.summary["failed_rows"]
    if failed:
        click.echo(
            f"warning: {len(failed)} row(s) failed to generate and are excluded from the metrics "
            f"(see failed_rows in {res.out_dir / 'summary.json'})",
            err=True,
        )
    if as_json:
        emit_json(res.summary)
    else:
        for k, v in res.metrics.items():
            if "/" not in k:
                click.echo(f"{k:24s} {v:.3f}")
        click.echo(f"report: {res.out_dir / 'report.html'}", err=True)
    total = sum(int(s.get("n_rows", 0)) for s in res.summary.get("suites", {}).values())
    check_failed_share(len(failed), total, max_failed_share, res.out_dir / "summary.json")


@group.command()
@click.argument("run_a")
@click.argument("run_b")
@click.option("--examples", default=5, show_default=True, type=click.IntRange(0))
@json_option
def compare(run_a: str, run_b: str, examples: int, as_json: bool) -> None:
    """Paired per-prompt comparison of two runs (folders or run ids), with McNemar's test."""
    from alignloop.evals import compare as do_compare

    c = do_compare(run_a, run_b, max_examples=examples)
    if as_json:
        emit_json(c.as_dict())
        return
    for name, s in c.suites.items():
        fa, fb, t = s.fail_a["value"], s.fail_b["value"], s.test
        fa_s = "n/a" if fa is None else f"{fa:.3f}"
        fb_s = "n/a" if fb is None else f"{fb:.3f}"
        click.echo(
            f"{name}: n={s.n_paired} fail {fa_s} -> {fb_s}; regressions {s.n_regressions}, "
            f"improvements {s.n_improvements}; McNemar ({t['method']}) p={t['p_value']:.3g}"
        )
        for tag, ex in (("regression", s.regressions), ("improvement", s.improvements)):
            for e in ex:
                click.echo(f"  {tag} {e['id']}: {str(e['prompt'])[:70]!r}")


@group.command()
@click.argument("run_ref")
@constitution_option
@json_option
def gate(run_ref: str, constitution: str, as_json: bool) -> None:
    """Check the constitution's release gates on a run; exit 1 if any gate fails."""
    from pathlib import Path

    from alignloop._util.errors import UserError
    from alignloop.evals import check_gates
    from alignloop.evals._record import resolve_run_dir

    p = Path(resolve_run_dir(run_ref)) / "summary.json"
    if not p.exists():
        raise UserError(f"{p.parent} has no summary.json", hint="finish the run with `alignloop eval run` first")
    res = check_gates(json.loads(p.read_text(encoding="utf-8")), load_const(constitution))
    if as_json:
        emit_json(res.as_dict())
    else:
        for c in res.checks:
            click.echo(f"{'PASS' if c.passed else 'FAIL'}  {c.name}: {c.reason}")
        click.echo("gates: PASS" if res.passed else "gates: FAIL")
    if not res.passed:
        sys.exit(1)
