"""``alignloop run``: the registered stages in order, each resumable, into one run folder.

Stages are objects in ``LOOP_STAGES`` (``alignloop.loop._stages``); the built-ins are baseline eval,
red-team, data, train (``--method``), [GRPO,] steering, eval, red-team of the aligned model, compare,
gates and report. Each is marked done in ``DIR/state.json``; a rerun after a kill skips finished stages
and the running stage resumes from its own files (eval and red-team rows, generated pairs, checkpoints).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import alignloop.loop._builtin  # noqa: F401  (registers the built-in stages)
from alignloop.loop._builtin import BUILTIN_STAGES, resumed_step, seconds_per_pair
from alignloop.loop._presets import preset
from alignloop.loop._stages import FEEDBACK, LoopContext, ProgressFactory, no_bar, pipeline, run_stage
from alignloop.loop._state import LoopState

STAGES = BUILTIN_STAGES
"""The built-in stages in order; ``rl`` runs only with ``--rl-steps``, ``steer`` unless its target is 0."""

__all__ = ["STAGES", "resumed_step", "run_loop", "seconds_per_pair"]


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
    external_share: float | None = None,
    method: str | None = None,
    learning_rate: float | None = None,
    feedback: Sequence[str] = (),
    progress: ProgressFactory | None = None,
) -> dict[str, Any]:
    """Run the whole loop into ``out_dir`` and return ``summary.json``'s content.

    The preset follows ``quick``/``limit`` and the hardware (see :func:`preset`); ``data_limit`` sets
    the harmful and helpful train prompts each (0: every train prompt); ``rl_steps`` adds an online
    RL stage (GRPO, rewarded by the guard) after DPO; ``steer_target`` sets the over-refusal the
    trained model is steered to (default: ``STEER_GATE_SHARE`` of the constitution's gate; 0: none);
    ``border_share`` sets the share of borderline-safe prompts among the helpful train prompts;
    ``external_share`` the share of harmful and borderline train prompts from sources nobody here wrote;
    ``method`` picks the trainer (``alignloop.train.METHODS``: dpo, ipo, kto, orpo, grpo); ``learning_rate``
    replaces the preset's tuned rate (every method and model size); ``feedback``
    names extra data sources in ``alignloop.loop.FEEDBACK`` whose pairs the data stage adds.

    Writes ``DIR/model/`` (merged; loads with AutoModelForCausalLM/AutoTokenizer), ``DIR/report.html``
    and ``DIR/summary.json``; records the run in the store as kind ``loop``.
    """
    from alignloop._util.hardware import detect
    from alignloop.constitution import load_constitution

    bar = progress or no_bar
    out = Path(out_dir)
    for name in feedback:
        FEEDBACK.get(name)  # an unknown source fails before any work
    p = preset(
        quick,
        limit,
        device=detect().device,
        data_limit=data_limit,
        rl_steps=rl_steps,
        steer_target=steer_target,
        border_share=border_share,
        external_share=external_share,
        method=method,
        learning_rate=learning_rate,
    )
    loaded = load_constitution(constitution if constitution not in (None, "default") else None)
    out.mkdir(parents=True, exist_ok=True)  # after the settings and constitution are known to be valid
    config: dict[str, Any] = {"model": model, "constitution_hash": loaded.hash, "preset": p.to_dict()}
    if feedback:  # only when given, so folders of earlier runs still resume
        config["feedback"] = list(feedback)
    state = LoopState(out, config)
    recorder = _recorder(state, model, loaded.hash, config, out)
    try:
        ctx = LoopContext(out, model, loaded, p, state, bar, feedback=tuple(feedback))
        for stage in pipeline():
            if stage.enabled(ctx):
                run_stage(stage, ctx)
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
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


def _recorder(state: LoopState, model: str, chash: str, config: dict[str, Any], out: Path) -> tuple[Any, str] | None:
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
