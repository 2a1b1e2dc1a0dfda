"""``alignloop run``: baseline eval -> red-team -> data -> DPO+LoRA -> steer -> eval -> compare -> gates -> report.

Each stage writes into its own sub-folder and is marked done in ``DIR/state.json``; a rerun after a
kill skips finished stages and the running stage resumes from its own files (eval and red-team rows,
generated pairs, training checkpoints).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alignloop._util.atomic import write_text_atomic
from alignloop.loop._presets import LARGE_MODEL_LR, SMALL_MODEL_PARAMS, STEER_GATE_SHARE, Preset, preset
from alignloop.loop._state import LoopState

if TYPE_CHECKING:
    from alignloop.train import TrainResult

STAGES = ("baseline_eval", "redteam", "data", "train", "rl", "steer", "after_eval", "compare", "gates", "report")
"""In order; ``rl`` runs only with ``--rl-steps``, ``steer`` unless its target is 0."""

ProgressFactory = Callable[[str, int | None], Any]


@contextlib.contextmanager
def _no_bar(desc: str, total: int | None) -> Iterator[Callable[[int], None]]:
    def advance(n: int = 1) -> None:
        return None

    yield advance


def resumed_step(res: TrainResult) -> int:
    """The step a training run resumed from (0 when it started fresh)."""
    return int(res.resumed_from.rsplit("-", 1)[1]) if res.resumed_from else 0


def seconds_per_pair(res: TrainResult, epochs: float) -> float:
    """Training seconds per preference pair and epoch, over the steps this invocation trained.

    After a resume, ``res.seconds`` covers only the steps after the checkpoint.
    """
    trained = res.rows * epochs * (res.steps - resumed_step(res)) / max(1, res.steps)
    return round(res.seconds / max(1.0, trained), 3)


def run_loop(
    out_dir: str | os.PathLike[str],
    model: str = "default",
    constitution: str | None = None,
    *,
    quick: bool = False,
    limit: int | None = None,
    data_limit: int | None = None,
    rl_steps: int | None = None,
    steer_target: float | None = None,
    border_share: float | None = None,
    progress: ProgressFactory | None = None,
) -> dict[str, Any]:
    """Run the whole loop into ``out_dir`` and return ``summary.json``'s content.

    The preset follows ``quick``/``limit`` and the hardware (see :func:`preset`); ``data_limit`` sets
    the harmful and helpful train prompts each (0: every train prompt); ``rl_steps`` adds an online
    RL stage (GRPO, rewarded by the guard) after DPO; ``steer_target`` sets the over-refusal the
    trained model is steered to (default: ``STEER_GATE_SHARE`` of the constitution's gate; 0: none);
    ``border_share`` sets the share of borderline-safe prompts among the helpful train prompts.

    Writes ``DIR/model/`` (merged; loads with AutoModelForCausalLM/AutoTokenizer), ``DIR/report.html``
    and ``DIR/summary.json``; records the run in the store as kind ``loop``.
    """
    from alignloop.constitution import load_constitution

    bar = progress or _no_bar
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    from alignloop._util.hardware import detect

    p = preset(
        quick,
        limit,
        device=detect().device,
        data_limit=data_limit,
        rl_steps=rl_steps,
        steer_target=steer_target,
        border_share=border_share,
    )
    loaded = load_constitution(constitution if constitution not in (None, "default") else None)
    config = {"model": model, "constitution_hash": loaded.hash, "preset": p.to_dict()}
    state = LoopState(out, config)
    recorder = _recorder(state, model, loaded.hash, config, out)
    try:
        summary = _stages(out, model, loaded, p, state, bar)
    except BaseException as e:
        if recorder is not None:
            recorder[0].finish_run(recorder[1], status="failed", error=f"{type(e).__name__}: {e}")
        raise
    if recorder is not None:
        store, rid = recorder
        store.log_metrics(rid, {k: float(v) for k, v in summary["metrics"]["after"].items() if v is not None})
        for name in ("model", "report.html", "summary.json"):
            store.add_artifact(rid, name, str(out / name))
        store.finish_run(rid, status="completed")
    return summary


def _recorder(
    state: LoopState, model: str, chash: str, config: dict[str, Any], out: Path
) -> tuple[Any, str] | None:
    try:
        from alignloop.store import RunNotFoundError, RunStore
    except ImportError:
        return None
    store = RunStore.open()
    rid = state.data.get("run_id")
    if rid is not None:
        try:
            status = store.get(rid).status
        except RunNotFoundError:  # another store (ALIGNLOOP_DB_URL changed): start a new record
            status = "missing"
        if status in ("running", "interrupted"):
            store.resume_run(rid)  # the earlier attempt was killed: this process carries the same record on
        else:
            rid = None  # it finished or failed: this attempt is a new record
    if rid is None:
        rid = str(store.start_run("loop", model, chash, config, output_dir=str(out)))
        state.set("run_id", rid)
    return store, str(rid)


class _Models:
    """Load the base and aligned models once, only when a stage needs them."""

    def __init__(self, spec: str, out: Path) -> None:
        self.spec, self.out = spec, out
        self._base: Any = None
        self._after: Any = None

    @property
    def base(self) -> Any:
        if self._base is None:
            from alignloop.models import load_model

            self._base = load_model(self.spec)
        return self._base

    @property
    def after(self) -> Any:
        if self._after is None:
            from alignloop.models import load_model

            self._after = load_model(str(self.out / "model"))
        return self._after


def _stages(
    out: Path, spec: str, loaded: Any, p: Preset, state: LoopState, bar: ProgressFactory
) -> dict[str, Any]:
    from alignloop.evals import check_gates, compare, evaluate, make_judge, resolve_suites

    models = _Models(spec, out)
    judge = make_judge("guard", loaded)
    suites = resolve_suites(list(p.eval_suites))

    def stage(name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        if state.done(name):
            return state.get(name)
        t0 = time.perf_counter()
        info = fn()
        state.finish(name, time.perf_counter() - t0, **info)
        return state.get(name)

    def _eval(which: str) -> dict[str, Any]:
        model = models.base if which == "baseline" else models.after
        ref = None if which == "baseline" else models.base
        res = evaluate(
            model,
            loaded,
            suites,
            out / f"eval_{which}",
            [judge],
            limit=p.eval_limit,
            max_new_tokens=p.eval_tokens,
            reference=ref,
            progress=bar,
        )
        return {"dir": str(res.out_dir), "metrics": res.metrics}

    def _redteam() -> dict[str, Any]:
        from alignloop.redteam import redteam

        with bar("red-team", p.redteam_budget) as adv:
            res = redteam(
                models.base,
                loaded,
                p.redteam_budget,
                out / "redteam",
                judge,
                max_new_tokens=p.eval_tokens,
                advance=adv,
            )
        return {"dir": str(res.out_dir), "failures": res.failures}

    def _data() -> dict[str, Any]:
        from alignloop.train import build_alignment_data

        with bar("training data", None) as adv:
            res = build_alignment_data(
                models.base,
                loaded,
                out / "data",
                limit=p.data_limit,
                failures=out / "redteam" / "failures.jsonl",
                judge=judge,
                max_new_tokens=p.data_tokens,
                progress=adv,
                border_share=p.border_share,
            )
        return {"pairs": str(res.pairs_path), "counts": res.counts}

    def small_model() -> bool:
        n_params = models.base.describe().get("parameters")
        return n_params is None or int(n_params) < SMALL_MODEL_PARAMS

    def _train() -> dict[str, Any]:
        from alignloop.train import TrainSettings, train_dpo

        small = small_model()
        s = TrainSettings(
            epochs=p.epochs,
            max_steps=p.max_steps,
            batch_size=p.batch_size,
            learning_rate=p.learning_rate if small else LARGE_MODEL_LR,
            max_length=p.max_length,
            save_steps=10,
            merge_scale=p.merge_scale,
        )
        res = train_dpo(
            spec,
            out / "data" / "pairs.jsonl",
            out / "train",
            s,
            sft_weight=p.sft_weight,
            progress_factory=lambda total: bar("DPO + LoRA", total),
        )
        assert res.model_dir is not None
        if not p.rl_steps:  # with an RL stage, GRPO starts from train/model and its result becomes DIR/model
            _replace(out / "model", res.model_dir)
        return {
            "steps": res.steps,
            "resumed_from_step": resumed_step(res) or None,
            "rows": res.rows,
            "dropped_too_long": res.dropped_too_long,
            "seconds_per_pair": seconds_per_pair(res, p.epochs),
            "train_loss": res.metrics.get("train_loss"),
            "learning_rate": s.learning_rate,
        }

    def _rl() -> dict[str, Any]:
        from alignloop.data import seed_prompts
        from alignloop.train import GRPO_LORA_LR, TrainSettings, default_judge, train_grpo, train_prompts

        # the reward is the constitution's guard: share the eval judge's instead of loading a second one
        reward = judge if hasattr(judge, "guard") else default_judge(loaded)
        s = TrainSettings(
            max_steps=p.rl_steps,
            batch_size=8,  # two prompts x four sampled answers per step
            learning_rate=p.rl_learning_rate if small_model() else GRPO_LORA_LR,
            max_length=p.max_length,
            save_steps=10,
        )
        res = train_grpo(
            str(out / "train" / "model"),
            train_prompts(seed_prompts()),
            out / "rl",
            s,
            judge=reward,
            max_completion_length=p.data_tokens,
            progress_factory=lambda total: bar("GRPO", total),
        )
        assert res.model_dir is not None
        _replace(out / "model", res.model_dir)
        return {
            "steps": res.steps,
            "resumed_from_step": resumed_step(res) or None,
            "learning_rate": s.learning_rate,
        }

    def _steer() -> dict[str, Any]:
        from alignloop._util.errors import UserError
        from alignloop.train import steer_refusal
        from alignloop.train._calibrate import borderline_calibration, refusal_rule
        from alignloop.train._steer import STEER_FILE

        done = out / "model" / STEER_FILE
        if done.exists():  # killed after the steered model replaced DIR/model, before the stage was marked done
            info = json.loads(done.read_text(encoding="utf-8"))
        else:
            target = p.steer_target
            if target is None:
                target = round(STEER_GATE_SHARE * loaded.constitution.release_gates.max_over_refusal, 4)
            records = borderline_calibration(out / "data" / "pairs.jsonl", p.steer_prompts)
            if not records:
                return {"skipped": "every borderline train prompt is in the training data; none left to calibrate on"}

            try:
                with bar("steering", None) as adv:
                    res = steer_refusal(
                        str(out / "model"),
                        out / "steer" / "model",
                        target=target,
                        calibration=[r.conversation() for r in records],
                        refused=refusal_rule(judge),
                        max_new_tokens=p.steer_tokens,
                        limit=p.steer_direction_prompts,
                        progress=adv,
                    )
            except UserError as e:  # no MLP bias to fold the shift into: keep the model as trained
                return {"skipped": e.message}
            info = res.to_dict()
            _replace(out / "model", res.model_dir)
        return {k: v for k, v in info.items() if k not in ("model_dir", "source")}

    def _compare() -> dict[str, Any]:
        c = compare(out / "eval_baseline", out / "eval_after").as_dict()
        write_text_atomic(out / "comparison.json", json.dumps(c, indent=2, default=str))
        return {}

    def _gates() -> dict[str, Any]:
        summary = json.loads((out / "eval_after" / "summary.json").read_text(encoding="utf-8"))
        g = check_gates(summary, loaded).as_dict()
        write_text_atomic(out / "gates.json", json.dumps(g, indent=2, default=str))
        return {"passed": g["passed"]}

    stage("baseline_eval", lambda: _eval("baseline"))
    stage("redteam", _redteam)
    stage("data", _data)
    stage("train", _train)
    if p.rl_steps:
        stage("rl", _rl)
    if p.steer_target != 0:
        stage("steer", _steer)
    stage("after_eval", lambda: _eval("after"))
    stage("compare", _compare)
    stage("gates", _gates)
    return _report(out, loaded, p, state, stage)


def _replace(target: Path, source: Path) -> None:
    """Move ``source`` to ``target``, replacing what was there."""
    shutil.rmtree(target, ignore_errors=True)
    source.rename(target)


def _transcripts(out: Path, n: int = 4) -> list[dict[str, Any]]:
    """Before/after answers to the same dev prompts: harmful first, then borderline and benign.

    Per suite, prompts whose outcome changed (improvements and regressions) come first.
    """

    def rows(which: str) -> dict[tuple[str, str], dict[str, Any]]:
        f = out / f"eval_{which}" / "results.jsonl"
        lines = f.read_text(encoding="utf-8").splitlines() if f.exists() else []
        return {(r["suite"], str(r["id"])): r for r in map(json.loads, filter(str.strip, lines))}

    before, after = rows("baseline"), rows("after")
    picked: list[dict[str, Any]] = []
    for suite in ("harmful_compliance", "over_refusal", "helpfulness"):
        keys = sorted(
            (k for k in before if k[0] == suite and k in after),
            key=lambda k: (bool(before[k].get("fail")) == bool(after[k].get("fail")), k),
        )[:n]
        for k in keys:
            for label, r in (("before", before[k]), ("after", after[k])):
                picked.append(
                    {
                        "strategy": f"{suite}: {label}",
                        "category": r.get("category"),
                        "conversation": [{"role": "user", "content": str(r.get("prompt"))}],
                        "response": r.get("response"),
                    }
                )
    return picked


def _report(
    out: Path, loaded: Any, p: Preset, state: LoopState, stage: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    from alignloop.report import render_loop_report

    def load(path: Path) -> dict[str, Any]:
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def info(name: str) -> dict[str, Any]:
        return {k: v for k, v in state.get(name).items() if k not in ("done", "finished_at")}

    def _write() -> dict[str, Any]:
        base, after = load(out / "eval_baseline" / "summary.json"), load(out / "eval_after" / "summary.json")
        sources = load(out / "data" / "pairs.jsonl.meta.json").get("sources", {})
        summary = {
            "model": state.data["config"]["model"],
            "constitution_hash": loaded.hash,
            "preset": p.to_dict(),
            "metrics": {"baseline": base.get("metrics", {}), "after": after.get("metrics", {})},
            "gates": load(out / "gates.json"),
            "data": state.get("data").get("counts", {}),
            # which path made each source's pairs (e.g. cai: refusal_style when the model is too small to critique)
            "data_generators": {k: v.get("generators", {}) for k, v in sources.items()},
            "data_labels": {k: v.get("labels", {}) for k, v in sources.items()},
            **{name: info(name) for name in ("train", "rl", "steer") if state.done(name)},
            "stage_seconds": {s: state.get(s).get("seconds") for s in STAGES if state.done(s)},
            "model_dir": str(out / "model"),
            "report": str(out / "report.html"),
            "run_id": state.data.get("run_id"),
        }
        render_loop_report(
            out / "report.html",
            base,
            after,
            comparison=load(out / "comparison.json"),
            gates=load(out / "gates.json"),
            redteam_summary=load(out / "redteam" / "summary.json"),
            transcripts=_transcripts(out),
            run=summary,
        )
        write_text_atomic(out / "summary.json", json.dumps(summary, indent=2, default=str))
        return {}

    stage("report", _write)
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))
