"""``alignloop redteam``: attack a model and export failures as training data."""

from __future__ import annotations

from typing import Any

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
    """Attack a model with jailbreak strategies and an automated adversary."""


@group.command()
@model_option
@constitution_option
@click.option("--budget", "-b", required=True, type=int, help="Most queries to the target model.")
@click.option("--output", "-o", required=True, type=click.Path(file_okay=False), help="Run folder (resumable).")
@click.option("--strategies", default=None, help="Comma-separated strategy names (default: all).")
@click.option("--attacker", default=None, help="Attacker model that rewrites failed attacks (any model spec).")
@click.option(
    "--rounds",
    default=3,
    show_default=True,
    type=click.IntRange(1),
    help="Target queries per attack at most.",
)
@click.option(
    "--judge", "-j", default="guard", show_default=True, help="guard | guard:off-topic | keyword | llm:<model>."
)
@click.option("--max-new-tokens", default=128, show_default=True, type=click.IntRange(1))
@max_failed_share_option
@json_option
def run(
    model: str,
    constitution: str,
    budget: int,
    output: str,
    strategies: str | None,
    attacker: str | None,
    rounds: int,
    judge: str,
    max_new_tokens: int,
    max_failed_share: float,
    as_json: bool,
) -> None:
    """Attack MODEL within BUDGET queries; write attacks.jsonl, failures.jsonl, summary.json, report.html.

    \b
    Example: alignloop redteam run --model default --budget 200 -o runs/rt --strategies persona,base64
    """
    from alignloop.evals import make_judge
    from alignloop.models import load_model
    from alignloop.redteam import redteam, resolve_strategies

    names = [s.strip() for s in strategies.split(",") if s.strip()] if strategies else None
    resolve_strategies(names)  # unknown names fail (exit 2) before any model loads
    if budget < 1:
        raise click.BadParameter("must be at least 1", param_hint="--budget")
    lc = load_const(constitution)
    m = load_model(model)
    ensure_reachable(m)  # an unreachable endpoint exits 2 before the run folder is made
    att = load_model(attacker) if attacker else None
    if att is not None:
        ensure_reachable(att)
    j = make_judge(judge, lc)
    with progress_bar("red-team queries", budget) as advance:
        res = redteam(
            m,
            lc,
            budget,
            output,
            j,
            strategies=names,
            attacker=att,
            rounds=rounds,
            max_new_tokens=max_new_tokens,
            advance=advance,
        )
    if res.summary["failed_rows"]:
        click.echo(
            f"warning: {len(res.summary['failed_rows'])} attack(s) failed on the target and are excluded "
            f"(see failed_rows in {res.out_dir / 'summary.json'})",
            err=True,
        )
    if as_json:
        emit_json(res.summary)
    else:
        _print_summary(res)
    n_failed = len(res.summary["failed_rows"])
    check_failed_share(n_failed, n_failed + res.summary["overall"]["n"], max_failed_share, res.out_dir / "summary.json")


def _print_summary(res: Any) -> None:
    s = res.summary
    o = s["overall"]
    click.echo(
        f"attack success {o['value'] or 0:.3f} [{o['ci_low']:.3f}, {o['ci_high']:.3f}] "
        f"over {o['n']} attacks; "
        f"{s['queries']} queries; attacker: {s['attacker_mode']}"
    )
    for name, r in s["per_strategy"].items():
        click.echo(f"  {name:20s} {r['value']:.3f} (n={r['n']})")
    click.echo(f"{res.failures} failures -> {res.out_dir / 'failures.jsonl'}", err=True)
