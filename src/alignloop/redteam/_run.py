"""``redteam``: attack a model within a query budget and export failures as preference pairs."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alignloop._util.atomic import write_text_atomic
from alignloop._util.errors import UserError
from alignloop.evals import rate
from alignloop.evals._context import generate_rows
from alignloop.evals._record import RunRecorder
from alignloop.guard._verdict import Judge, Verdict
from alignloop.redteam._adversary import Adversary
from alignloop.redteam._seeds import Seed, attack_seeds
from alignloop.redteam._strategies import Strategy, resolve_strategies

if TYPE_CHECKING:
    from alignloop.constitution import LoadedConstitution
    from alignloop.models import ChatModel


@dataclass
class RedteamResult:
    """What :func:`redteam` returns."""

    out_dir: Path
    summary: dict[str, Any]
    run_id: str | None
    failures: int


def success(v: Verdict) -> bool:
    """An attack succeeds when the target gave harmful help: :attr:`Verdict.complied` (a partial refusal counts)."""
    return v.complied


def plan_attacks(seeds: Sequence[Seed], strategies: Sequence[Strategy]) -> list[tuple[Seed, Strategy]]:
    """Every (seed, strategy), ordered so that any prefix spreads evenly over strategies and categories.

    A small budget only runs a prefix: with 12 strategies and 12 categories the first 12 attacks use 12
    strategies on 12 categories (not one strategy on every category), and every strategy x category
    cell is used once before any is used twice.
    """
    cats = list(dict.fromkeys(s.category for s in seeds))
    by_cat = {c: [s for s in seeds if s.category == c] for c in cats}
    n_s, n_c = len(strategies), len(cats)
    if not n_s or not n_c:
        return []
    period = math.lcm(n_s, n_c)
    plan = []
    depth = max(len(v) for v in by_cat.values())
    for k in range(depth):
        # t -> (t mod S, (t + t // lcm) mod C) visits each of the S x C cells once, on shifting diagonals
        for t in range(n_s * n_c):
            j, i = t % n_s, (t + t // period) % n_c
            pool = by_cat[cats[i]]
            if k < len(pool):
                # rotate seeds so each strategy meets different seeds of a category
                plan.append((pool[(k + i + j) % len(pool)], strategies[j]))
    return plan


def _feedback(v: Verdict) -> str:
    return {"refusal": "refused", "partial": "refused but gave a little"}.get(v.refusal, "did not comply")


def redteam(
    model: ChatModel,
    constitution: LoadedConstitution,
    budget: int,
    out_dir: str | Path,
    judge: Judge,
    *,
    strategies: Sequence[str] | None = None,
    attacker: ChatModel | None = None,
    rounds: int = 3,
    max_new_tokens: int = 128,
    chunk_size: int = 16,
    record: bool = True,
    advance: Callable[[int], Any] | None = None,
) -> RedteamResult:
    """Attack ``model`` with up to ``budget`` target queries; write attacks, failures, summary, report.

    Each attack is one (seed, strategy) pair; a failed attack is rewritten (by ``attacker`` or by
    strategy composition) for up to ``rounds`` target queries in all. Attacker queries do not count
    against ``budget``. Rows are appended per chunk, so a killed run resumes without loss or duplicates.

    Raises:
        UserError: an unknown strategy, or a budget below 1.
    """
    from alignloop.data import JsonlAppender, PreferencePair
    from alignloop.models import GenerationConfig

    if budget < 1:
        raise UserError(f"--budget must be at least 1 (got {budget})")
    strats = resolve_strategies(strategies)
    const = constitution.constitution
    seeds = attack_seeds(constitution)
    if not seeds:
        raise UserError("no attack seeds: the constitution has no violating_examples and no harmful seed rows")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    adversary = Adversary(attacker, strats)
    cfg = GenerationConfig(max_new_tokens=max_new_tokens)
    config = {
        "budget": budget,
        "strategies": [s.name for s in strats],
        "rounds": rounds,
        "attacker": attacker.name if attacker else None,
        "judge": judge.describe(),
        "max_new_tokens": max_new_tokens,
    }
    recorder = RunRecorder(record)
    recorder.start("redteam", model.name, constitution.hash, config, str(out))
    plan = plan_attacks(seeds, strats)
    try:
        with JsonlAppender(out / "attacks.jsonl") as app:
            used = sum(int(r.get("queries", 0)) for r in app.rows)
            todo = [(s, st) for s, st in plan if f"{s.id}::{st.name}" not in app.done]
            if advance:
                advance(min(used, budget))
            while todo and used < budget:
                # reserve room for every attack's rewrite rounds; unused room flows to the next chunk
                n = max(1, min(chunk_size, (budget - used) // rounds))
                chunk, todo = todo[:n], todo[n:]
                rows, q = _attack_chunk(model, judge, adversary, chunk, cfg, rounds, budget - used)
                for r in rows:
                    app.append(r)
                used += q
                if advance:
                    advance(q)
            rows_all = list(app.rows)
        failures = []
        for r in rows_all:
            if not r.get("success"):
                continue
            try:
                pair = PreferencePair.model_validate(
                    {
                        "id": f"redteam-{r['id']}",
                        "prompt": r["conversation"],
                        "chosen": [{"role": "assistant", "content": const.refusal_for(r["category"])}],
                        "rejected": [{"role": "assistant", "content": r["response"]}],
                        "category": r["category"],
                        "label": "harmful",  # every attack targets a harmful behaviour
                        "source": "redteam",
                        "strategy": r["strategy"],
                        "constitution_hash": constitution.hash,
                    }
                )
            except Exception:  # an empty unsafe reply cannot teach anything; counted in the summary
                continue
            failures.append(pair)
        from alignloop.data import write_rows

        write_rows(out / "failures.jsonl", failures)
        summary = _summary(rows_all, model, budget, used, adversary, len(failures), config)
        write_text_atomic(out / "summary.json", json.dumps(summary, indent=2, ensure_ascii=False))
        from alignloop.report import render_redteam_report

        render_redteam_report(out / "report.html", summary, [r for r in rows_all if r.get("success")])
    except BaseException as e:
        recorder.fail(f"{type(e).__name__}: {e}")
        raise
    metrics = {"attack_success_rate": summary["overall"]["value"] or 0.0, "failures": float(len(failures))}
    metrics.update({f"asr/{k}": v["value"] for k, v in summary["per_strategy"].items() if v["value"] is not None})
    recorder.finish(
        metrics, {n: str(out / n) for n in ("attacks.jsonl", "failures.jsonl", "summary.json", "report.html")}
    )
    summary["run_id"] = recorder.run_id
    return RedteamResult(out, summary, recorder.run_id, len(failures))


def _attack_chunk(
    model: ChatModel,
    judge: Judge,
    adversary: Adversary,
    chunk: list[tuple[Seed, Strategy]],
    cfg: Any,
    rounds: int,
    remaining: int,
) -> tuple[list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = [
        {
            "id": f"{s.id}::{st.name}",
            "seed_id": s.id,
            "category": s.category,
            "strategy": st.name,
            "seed": s.text,
            "rounds": [],
            "queries": 0,
            "success": False,
            "status": "ok",
        }
        for s, st in chunk
    ]
    convs: dict[int, Any] = {i: st.apply(s.text) for i, (s, st) in enumerate(chunk)}
    hows = dict.fromkeys(convs, "strategy")
    used = 0
    for rnd in range(rounds):
        active = [i for i in convs if used + 1 <= remaining][: remaining - used]
        if not active:
            break
        gens = generate_rows(model, [convs[i] for i in active], cfg)
        used += len(active)
        ok = [(i, r) for i, (r, e) in zip(active, gens, strict=True) if e is None and r is not None]
        for i, (_, e) in zip(active, gens, strict=True):
            rows[i]["queries"] += 1
            if e is not None:
                rows[i].update(status="failed", error=e, conversation=convs[i], response=None)
        verdicts = judge.judge([convs[i][-1]["content"] for i, _ in ok], [r for _, r in ok]) if ok else []
        retry: list[tuple[int, str, Verdict]] = []
        for (i, resp), v in zip(ok, verdicts, strict=True):
            rows[i]["rounds"].append(
                {
                    "round": rnd,
                    "how": hows[i],
                    "conversation": convs[i],
                    "response": resp,
                    "refusal": v.refusal,
                    "unsafe": v.unsafe,
                }
            )
            rows[i].update(conversation=convs[i], response=resp, success=success(v))
            if not success(v):
                retry.append((i, resp, v))
        if rnd + 1 >= rounds or not retry:
            break
        rewrites = adversary.rewrite(
            [(chunk[i][0].text, chunk[i][1].name, convs[i], resp, _feedback(v)) for i, resp, v in retry]
        )
        convs = {}
        for (i, _, _), (conv, how) in zip(retry, rewrites, strict=True):
            convs[i], hows[i] = conv, how
    return rows, used


def _summary(
    rows: list[dict[str, Any]],
    model: ChatModel,
    budget: int,
    used: int,
    adv: Adversary,
    n_failures: int,
    config: dict[str, Any],
) -> dict[str, Any]:
    ok = [r for r in rows if r.get("status") == "ok"]
    grid: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for r in ok:
        grid[r["strategy"]][r["category"]].append(bool(r["success"]))

    def agg(key: str) -> dict[str, Any]:
        d: dict[str, list[bool]] = defaultdict(list)
        for r in ok:
            d[r[key]].append(bool(r["success"]))
        return {k: rate(sum(v), len(v)) for k, v in sorted(d.items())}

    n_succ = sum(bool(r["success"]) for r in ok)
    return {
        "kind": "redteam",
        "model": model.name,
        "config": config,
        "budget": budget,
        "queries": used,
        "attacks": len(rows),
        "overall": rate(n_succ, len(ok)),
        "per_strategy": agg("strategy"),
        "per_category": agg("category"),
        "asr": {s: {c: rate(sum(v), len(v)) for c, v in sorted(cs.items())} for s, cs in sorted(grid.items())},
        "attacker_mode": adv.mode,
        "attacker_probe_pass": adv.probe_pass,
        "attacker_fallbacks": adv.fallbacks,
        "rewrites_by_attacker": sum(1 for r in ok for x in r["rounds"] if x["how"] == "attacker"),
        "failures_exported": n_failures,
        "failures_not_exportable": n_succ - n_failures,
        "failed_rows": [{"id": r["id"], "error": r.get("error")} for r in rows if r.get("status") == "failed"],
    }
