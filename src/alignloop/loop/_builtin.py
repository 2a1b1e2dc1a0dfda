"""The built-in stages of ``alignloop run``, registered in ``LOOP_STAGES`` like any plugin's.

baseline_eval (10) -> redteam (20) -> data (30) -> train (40) -> rl (50) -> steer (60) -> after_eval (70)
-> redteam_after (75) -> compare (80) -> gates (90) -> report (100).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alignloop._util.atomic import write_text_atomic
from alignloop.loop._presets import SMALL_MODEL_PARAMS, STEER_GATE_SHARE
from alignloop.loop._stages import FEEDBACK, LOOP_STAGES, LoopContext, Stage

if TYPE_CHECKING:
    from alignloop.loop._presets import Preset
    from alignloop.train import TrainResult


def resumed_step(res: TrainResult) -> int:
    """The step a training run resumed from (0 when it started fresh)."""
    return int(res.resumed_from.rsplit("-", 1)[1]) if res.resumed_from else 0


def seconds_per_pair(res: TrainResult, epochs: float) -> float:
    """Training seconds per preference pair and epoch, over the steps this invocation trained.

    After a resume, ``res.seconds`` covers only the steps after the checkpoint.
    """
    trained = res.rows * epochs * (res.steps - resumed_step(res)) / max(1, res.steps)
    return round(res.seconds / max(1.0, trained), 3)


def replace_dir(target: Path, source: Path) -> None:
    """Move ``source`` to ``target``, replacing what was there."""
    shutil.rmtree(target, ignore_errors=True)
    source.rename(target)


def small_model(ctx: LoopContext) -> bool:
    """Whether the base model is under ``SMALL_MODEL_PARAMS`` (the preset's rates were tuned there)."""
    n_params = ctx.models.base.describe().get("parameters")
    return n_params is None or int(n_params) < SMALL_MODEL_PARAMS


def _evaluate(ctx: LoopContext, which: str) -> dict[str, Any]:
    from alignloop.evals import evaluate

    p = ctx.preset
    model = ctx.models.base if which == "baseline" else ctx.models.after
    res = evaluate(
        model,
        ctx.loaded,
        eval_suites(p),
        ctx.out / f"eval_{which}",
        [ctx.judge],
        limit=p.eval_limit,
        max_new_tokens=p.eval_tokens,
        reference=None if which == "baseline" else ctx.models.base,
        progress=ctx.bar,
    )
    return {"dir": str(res.out_dir), "metrics": res.metrics, "split": p.eval_split}


def eval_suites(p: Preset) -> list[Any]:
    """The headline suites on ``eval_split`` plus the public held-out ones, capped at ``public_eval_limit``."""
    from alignloop.evals import PublicSuite, resolve_suites

    suites = resolve_suites([*p.eval_suites, *p.public_suites], split=p.eval_split)
    for s in suites:
        if isinstance(s, PublicSuite):
            s.size = p.public_eval_limit
    return suites


def _redteam(ctx: LoopContext, model: Any, folder: str, desc: str) -> dict[str, Any]:
    from alignloop.redteam import STRATEGIES, redteam

    p = ctx.preset
    strategies = [n for n in STRATEGIES.names() if n not in p.redteam_exclude]
    with ctx.bar(desc, p.redteam_budget) as adv:
        res = redteam(
            model,
            ctx.loaded,
            p.redteam_budget,
            ctx.out / folder,
            ctx.judge,
            strategies=strategies,
            max_new_tokens=p.eval_tokens,
            advance=adv,
        )
    return {"dir": str(res.out_dir), "failures": res.failures}


@LOOP_STAGES.register("baseline_eval")
class BaselineEval(Stage):
    """Headline evals of the starting model on the ``eval_split`` (test) prompts."""

    name, order = "baseline_eval", 10

    def run(self, ctx: LoopContext) -> dict[str, Any]:
        return _evaluate(ctx, "baseline")


@LOOP_STAGES.register("redteam")
class Redteam(Stage):
    """Attack the starting model; its failures become training pairs."""

    name, order = "redteam", 20

    def enabled(self, ctx: LoopContext) -> bool:
        return ctx.preset.redteam_budget > 0

    def run(self, ctx: LoopContext) -> dict[str, Any]:
        return _redteam(ctx, ctx.models.base, "redteam", "red-team")


@LOOP_STAGES.register("data")
class Data(Stage):
    """Preference pairs from the constitution (CAI, helpfulness, red-team failures) plus any feedback sources.

    ``external_share`` of the harmful and of the borderline prompts come from the preset's
    ``external_sources`` (train rows only), within the same pair budget.
    """

    name, order = "data", 30

    def run(self, ctx: LoopContext) -> dict[str, Any]:
        from alignloop.data import external_prompts
        from alignloop.train import build_alignment_data

        p = ctx.preset
        external = external_prompts(p.external_sources, "train") if p.external_share > 0 else None
        with ctx.bar("training data", None) as adv:
            res = build_alignment_data(
                ctx.models.base,
                ctx.loaded,
                ctx.out / "data",
                limit=p.data_limit,
                failures=ctx.out / "redteam" / "failures.jsonl",
                judge=ctx.judge,
                max_new_tokens=p.data_tokens,
                progress=adv,
                border_share=p.border_share,
                external=external,
                external_share=p.external_share,
                rejected_words=p.refusal_opening_words,
            )
        counts = dict(res.counts)
        for name in ctx.feedback:  # the place for production feedback and other extra sources
            extra = FEEDBACK.get(name)(ctx)
            if extra is not None:
                counts[name] = add_pairs(res.pairs_path, extra, source=name)
        return {"pairs": str(res.pairs_path), "counts": counts}


def add_pairs(pairs_path: Path, extra: Any, *, source: str) -> int:
    """Append the PreferencePair rows of ``extra`` to ``pairs_path`` (by id, once), tagged ``source``.

    Returns how many rows ``extra`` held. Idempotent, so a data stage rerun after a kill adds nothing twice.
    """
    from alignloop.data import PreferencePair, read_rows, write_rows

    rows = [json.loads(line) for line in pairs_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    seen = {r["id"] for r in rows}
    new = [p.model_dump(mode="json", exclude_none=True) for p in read_rows(extra, PreferencePair, unique_ids=False)]
    for r in new:
        r.setdefault("source", source)
        if r["id"] not in seen:
            seen.add(r["id"])
            rows.append(r)
    write_rows(pairs_path, rows)
    return len(new)


def _train_info(res: TrainResult, epochs: float, learning_rate: float | None) -> dict[str, Any]:
    return {
        "steps": res.steps,
        "resumed_from_step": resumed_step(res) or None,
        "rows": res.rows,
        "dropped_too_long": res.dropped_too_long,
        "seconds_per_pair": seconds_per_pair(res, epochs),
        "train_loss": res.metrics.get("train_loss"),
        "learning_rate": learning_rate,
    }


@LOOP_STAGES.register("train")
class Train(Stage):
    """Train the base model with the preset's method (``--method``); LoRA, merged into ``train/model``."""

    name, order = "train", 40

    def run(self, ctx: LoopContext) -> dict[str, Any]:
        from alignloop.data import seed_prompts
        from alignloop.train import METHODS, train_prompts

        p = ctx.preset
        method = METHODS.get(p.method)
        s = p.train_settings(small_model(ctx))
        data: Any = ctx.out / "data" / "pairs.jsonl" if method.data == "pairs" else train_prompts(seed_prompts())
        res = method.train(
            ctx.spec,
            data,
            ctx.out / "train",
            s,
            judge=reward_judge(ctx) if method.data == "prompts" else None,
            progress_factory=lambda total: ctx.bar(f"{method.name.upper()} + LoRA", total),
        )
        assert res.model_dir is not None
        if not p.rl_steps:  # with an RL stage, GRPO starts from train/model and its result becomes DIR/model
            replace_dir(ctx.out / "model", res.model_dir)
        return {"method": method.name, **_train_info(res, p.epochs, s.learning_rate)}


def reward_judge(ctx: LoopContext) -> Any:
    """The online-RL reward: the constitution's guard, shared with the eval judge when it carries one."""
    from alignloop.train import default_judge

    return ctx.judge if hasattr(ctx.judge, "guard") else default_judge(ctx.loaded)


@LOOP_STAGES.register("rl")
class OnlineRL(Stage):
    """``--rl-steps N``: GRPO from the trained model, rewarded by the guard."""

    name, order = "rl", 50

    def enabled(self, ctx: LoopContext) -> bool:
        return bool(ctx.preset.rl_steps)

    def run(self, ctx: LoopContext) -> dict[str, Any]:
        from alignloop.data import seed_prompts
        from alignloop.train import GRPO_LORA_LR, METHODS, TrainSettings, train_prompts

        p = ctx.preset
        s = TrainSettings(
            max_steps=p.rl_steps,
            batch_size=8,  # two prompts x four sampled answers per step
            learning_rate=p.rl_learning_rate if small_model(ctx) else GRPO_LORA_LR,
            max_length=p.max_length,
        )
        res = METHODS.get("grpo").train(
            str(ctx.out / "train" / "model"),
            train_prompts(seed_prompts()),
            ctx.out / "rl",
            s,
            judge=reward_judge(ctx),
            progress_factory=lambda total: ctx.bar("GRPO", total),
        )
        assert res.model_dir is not None
        replace_dir(ctx.out / "model", res.model_dir)
        return {"steps": res.steps, "resumed_from_step": resumed_step(res) or None, "learning_rate": s.learning_rate}


def steer_target(p: Preset, lc: Any) -> float:
    """The over-refusal the steering stage aims at: the preset's, else ``STEER_GATE_SHARE`` of the gate."""
    if p.steer_target is not None:
        return p.steer_target
    return round(STEER_GATE_SHARE * lc.constitution.release_gates.max_over_refusal, 4)


def steer_model(
    model_dir: Path, out_dir: Path, pairs: Path, p: Preset, lc: Any, judge: Any, progress: Any = None
) -> Any:
    """Steer ``model_dir`` to :func:`steer_target` on the borderline train prompts ``pairs`` left out.

    Returns the :class:`~alignloop.train.SteerResult`, or None when every borderline train prompt is in
    the training data (none left to calibrate on). Raises ``UserError`` for a model without MLP bias.
    The steered folder's generation config carries the preset's ``repetition_penalty``.
    """
    from alignloop.train import steer_refusal
    from alignloop.train._calibrate import borderline_calibration, refusal_rule
    from alignloop.train._export import set_decoding_defaults

    records = borderline_calibration(pairs, p.steer_prompts)
    if not records:
        return None
    res = steer_refusal(
        str(model_dir),
        out_dir,
        target=steer_target(p, lc),
        max_up=p.steer_cap,
        calibration=[r.conversation() for r in records],
        refused=refusal_rule(judge),
        max_new_tokens=p.steer_tokens,
        limit=p.steer_direction_prompts,
        progress=progress,
    )
    # the penalty was chosen on the steered model, whose shift towards refusal words makes greedy decoding
    # loop; calibration above ran without it, as the choice did
    penalty = p.repetition_penalty if p.repetition_penalty != 1.0 else None
    set_decoding_defaults(res.model_dir, repetition_penalty=penalty)
    return res


@LOOP_STAGES.register("steer")
class Steer(Stage):
    """Shift the trained model along its refusal direction to the over-refusal target (calibrated on train prompts)."""

    name, order = "steer", 60

    def enabled(self, ctx: LoopContext) -> bool:
        return ctx.preset.steer_target != 0

    def run(self, ctx: LoopContext) -> dict[str, Any]:
        from alignloop._util.errors import UserError
        from alignloop.train._steer import STEER_FILE

        out = ctx.out
        done = out / "model" / STEER_FILE
        if done.exists():  # killed after the steered model replaced DIR/model, before the stage was marked done
            info = json.loads(done.read_text(encoding="utf-8"))
        else:
            try:
                with ctx.bar("steering", None) as adv:
                    res = steer_model(
                        out / "model",
                        out / "steer" / "model",
                        out / "data" / "pairs.jsonl",
                        ctx.preset,
                        ctx.loaded,
                        ctx.judge,
                        progress=adv,
                    )
            except UserError as e:  # no MLP bias to fold the shift into: keep the model as trained
                return {"skipped": e.message}
            if res is None:
                return {"skipped": "every borderline train prompt is in the training data; none left to calibrate on"}
            info = res.to_dict()
            replace_dir(out / "model", res.model_dir)
        gen_file = out / "model" / "generation_config.json"
        gen = json.loads(gen_file.read_text(encoding="utf-8")) if gen_file.exists() else {}
        info["repetition_penalty"] = gen.get("repetition_penalty", 1.0)
        return {k: v for k, v in info.items() if k not in ("model_dir", "source")}


@LOOP_STAGES.register("after_eval")
class AfterEval(Stage):
    """The same headline evals on the aligned model (helpfulness against the base model's answers)."""

    name, order = "after_eval", 70

    def run(self, ctx: LoopContext) -> dict[str, Any]:
        return _evaluate(ctx, "after")


@LOOP_STAGES.register("redteam_after")
class RedteamAfter(Stage):
    """The same attacks on the aligned model: attack success per strategy, before and after."""

    name, order = "redteam_after", 75

    def enabled(self, ctx: LoopContext) -> bool:
        return ctx.preset.redteam_budget > 0

    def run(self, ctx: LoopContext) -> dict[str, Any]:
        return _redteam(ctx, ctx.models.after, "redteam_after", "red-team (aligned)")


@LOOP_STAGES.register("compare")
class Compare(Stage):
    """Paired before/after comparison per suite (McNemar)."""

    name, order = "compare", 80

    def run(self, ctx: LoopContext) -> dict[str, Any]:
        from alignloop.evals import compare

        c = compare(ctx.out / "eval_baseline", ctx.out / "eval_after").as_dict()
        write_text_atomic(ctx.out / "comparison.json", json.dumps(c, indent=2, default=str))
        return {}


@LOOP_STAGES.register("gates")
class Gates(Stage):
    """The constitution's release gates on the aligned model's evals."""

    name, order = "gates", 90

    def run(self, ctx: LoopContext) -> dict[str, Any]:
        from alignloop.evals import check_gates

        summary = json.loads((ctx.out / "eval_after" / "summary.json").read_text(encoding="utf-8"))
        g = check_gates(summary, ctx.loaded).as_dict()
        write_text_atomic(ctx.out / "gates.json", json.dumps(g, indent=2, default=str))
        return {"passed": g["passed"]}


@LOOP_STAGES.register("report")
class Report(Stage):
    """``DIR/summary.json`` and ``DIR/report.html`` from every finished stage."""

    name, order = "report", 100

    def run(self, ctx: LoopContext) -> dict[str, Any]:
        from alignloop.loop._report import write_report

        write_report(ctx)
        return {}


_BUILTIN = ("baseline_eval", "redteam", "data", "train", "rl", "steer", "after_eval", "redteam_after", "compare")
BUILTIN_STAGES = tuple(sorted((*_BUILTIN, "gates", "report"), key=lambda n: LOOP_STAGES.get(n).order))
"""The built-in stages in order; ``rl`` runs only with ``--rl-steps``, ``steer`` unless its target is 0."""


@FEEDBACK.register("monitor")
def monitor_feedback(ctx: LoopContext) -> Path:
    """Reviewed production traces (``alignloop review``) as preference pairs, train split only."""
    from alignloop.monitor import write_feedback

    path = ctx.out / "data" / "monitor.jsonl"
    write_feedback(path, ctx.loaded)
    return path


@LOOP_STAGES.register("monitor_fixes")
class MonitorFixes(Stage):
    """With ``--feedback monitor``: how many held-out production failures the aligned model now handles.

    Replays the reviewed failures of the dev and test splits (never the train rows the model just
    learned from) against ``DIR/model`` and checks each reply with the guard (``review fixed``).
    """

    name, order = "monitor_fixes", 72

    def enabled(self, ctx: LoopContext) -> bool:
        return "monitor" in ctx.feedback

    def run(self, ctx: LoopContext) -> dict[str, Any]:
        from alignloop.monitor import fixed_failures
        from alignloop.store import RunStore

        guard = getattr(ctx.judge, "guard", None)
        if guard is None:
            from alignloop.guard import Guard

            guard = Guard.load(ctx.loaded)
        with RunStore.open() as store:
            res = fixed_failures(store, ctx.models.after, guard, max_new_tokens=ctx.preset.eval_tokens)
        write_text_atomic(ctx.out / "monitor_fixes.json", json.dumps(res, indent=2, default=str))
        return {k: res[k] for k in ("failures", "fixed", "rate", "by_category")}
