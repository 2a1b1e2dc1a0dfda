"""`alignloop run`: the whole loop on one model and constitution."""

from __future__ import annotations

from typing import Any

import click

from alignloop.cli._common import constitution_option, emit_json, json_option, model_option, progress_bar


@click.command("run")
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder.")
@model_option
@constitution_option
@click.option("--quick", is_flag=True, help="Smaller evals, red-team and data: about 4 minutes on 2 CPU cores.")
@click.option(
    "--limit",
    type=click.IntRange(2),
    default=None,
    help="Smoke run: about N items per stage (tests, first try on a new machine).",
)
@click.option(
    "--data-limit",
    type=click.IntRange(0),
    default=None,
    help="Harmful and helpful train prompts each (0: all). Default: 180 on a CPU, all on a GPU.",
)
@click.option(
    "--rl-steps",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="GRPO steps after DPO, rewarded by the guard (60: about 13 minutes more on 2 CPU cores).",
)
@click.option(
    "--steer-target",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Over-refusal the trained model is steered to, on held-out borderline train prompts "
    "(default: 0.8 x the constitution's over-refusal gate; 0: no steering).",
)
@click.option(
    "--border-share",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Share of the helpful train prompts that are borderline-safe, the rest ordinary (default: 0.5).",
)
@click.option(
    "--external-share",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Share of the harmful and of the borderline train prompts taken from sources nobody here wrote "
    "(Do-Not-Answer, PyRIT red-team seeds, the guard's scary-but-safe prompts; train rows only; default: 0.25).",
)
@click.option(
    "--feedback",
    multiple=True,
    help="Extra training data source (alignloop.loop.FEEDBACK): `monitor` adds reviewed production traces "
    "(alignloop review; train split only). Repeatable.",
)
@click.option(
    "--method",
    default="dpo",
    show_default=True,
    help="Training method: dpo, ipo, kto, orpo, grpo (alignloop.train.METHODS; plugins add more).",
)
@click.option(
    "--learning-rate",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=None,
    help="Training rate for every method and model size (default: 2e-3 for DPO/IPO on models under 1B "
    "parameters, chosen on dev; 2e-4 from 1B; other methods their trainer's default).",
)
@json_option
def command(
    out_dir: str,
    model: str,
    constitution: str,
    quick: bool,
    limit: int | None,
    data_limit: int | None,
    rl_steps: int,
    steer_target: float | None,
    border_share: float | None,
    external_share: float | None,
    feedback: tuple[str, ...],
    method: str,
    learning_rate: float | None,
    as_json: bool,
) -> None:
    """Baseline eval, red-team, data, training (--method) with LoRA, [GRPO,] steering, eval, red-team, gates, report.

    \b
    Headline evals (before and after) use the frozen test split. Writes DIR/model (merged),
    DIR/report.html, DIR/summary.json. Rerun the same command after a kill: finished stages are
    skipped (DIR/state.json) and the running one resumes.
    Example: alignloop run -o runs/first --quick
    """
    import contextlib
    import sys

    from alignloop.loop import run_loop
    from alignloop.train import METHODS

    METHODS.get(method)  # an unknown name exits 2 listing the registered ones, before any folder is made

    with contextlib.redirect_stdout(sys.stderr):  # library logs must not mix with --json
        summary = run_loop(
            out_dir,
            model,
            constitution,
            quick=quick,
            limit=limit,
            data_limit=data_limit,
            rl_steps=rl_steps,
            steer_target=steer_target,
            border_share=border_share,
            external_share=external_share,
            method=method,
            learning_rate=learning_rate,
            progress=progress_bar,
            feedback=feedback,
        )
    if as_json:
        emit_json(summary)
        return
    before, after = summary["metrics"]["baseline"], summary["metrics"]["after"]
    for k in ("harmful_compliance", "over_refusal", "helpfulness_retention"):
        if k in after:
            click.echo(f"{k}: {before.get(k, float('nan')):.3f} -> {after[k]:.3f}")
    _print_precision(summary)
    _print_public(summary)
    loops = [k for k in after if k.startswith("repetitive/")]
    if loops:
        click.echo(
            "repetitive replies: "
            + ", ".join(f"{k.split('/', 1)[1]} {before.get(k, float('nan')):.3f} -> {after[k]:.3f}" for k in loops)
        )
    steer = summary.get("steer") or {}
    if steer.get("calibration"):
        cal = steer["calibration"]
        click.echo(
            f"steering: alpha {steer['alpha']:+g}, over-refusal {cal['rate']:.1%} (target {cal['target']:.1%}) "
            f"on {cal['prompts']} held-out borderline prompts"
            + ("" if cal.get("reached", True) else " (not reached)")
            + (" (within one standard error of it: left as trained)" if cal.get("held") else "")
        )
    elif steer.get("skipped"):
        click.echo(f"steering skipped: {steer['skipped']}")
    _print_redteam(summary)
    click.echo(f"gates: {'PASS' if summary['gates'].get('passed') else 'FAIL'}")
    click.echo(f"model: {summary['model_dir']}\nreport: {summary['report']}")


def _print_precision(summary: dict[str, Any]) -> None:
    prec = summary.get("precision") or {}
    if prec:
        split = summary.get("eval_split", "dev")
        parts = [f"{name} n={e['n']} +-{e['half_width']:.1%}" for name, e in prec.items()]
        click.echo(f"{split} split, 95% half-widths: " + ", ".join(parts))
        if any("why_wider" in e for e in prec.values()):
            click.echo("  (over 5 points: too few test prompts for that; see precision in summary.json)")


def _print_public(summary: dict[str, Any]) -> None:
    pub = (summary.get("public_heldout") or {}).get("suites") or {}
    for name, e in pub.items():
        if e.get("skipped"):
            click.echo(f"{name}: skipped ({e['skipped']})")
            continue
        b, a = e.get("before") or {}, e.get("after") or {}
        if a.get("value") is None:
            continue
        before = f"{b['value']:.3f}" if b.get("value") is not None else "?"
        click.echo(
            f"{name} refused: {before} -> {a['value']:.3f} [{a['ci_low']:.3f}, {a['ci_high']:.3f}] (n={a['n']}; "
            "held out, nobody here wrote it)"
        )


def _print_redteam(summary: dict[str, Any]) -> None:
    overall = (summary.get("redteam") or {}).get("overall") or {}
    base, after = overall.get("base"), overall.get("after")
    if base and after and base.get("value") is not None and after.get("value") is not None:
        click.echo(
            f"red-team attack success: {base['value']:.3f} (n={base['n']}) -> {after['value']:.3f} (n={after['n']})"
        )
