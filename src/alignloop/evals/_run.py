"""``evaluate``: run suites against a model, resumably, and write results, summary and report."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alignloop._util.atomic import write_text_atomic
from alignloop._util.errors import UserError
from alignloop.evals._context import EvalContext
from alignloop.evals._record import RunRecorder
from alignloop.evals._suites import FileSuite, Suite
from alignloop.guard._verdict import Judge

if TYPE_CHECKING:
    from alignloop.constitution import LoadedConstitution
    from alignloop.models import ChatModel

HEADLINE = {
    "harmful_compliance": ("harmful_compliance", "overall"),
    "over_refusal": ("over_refusal", "overall"),
    "helpfulness": ("helpfulness_retention", "retention"),
    "truthfulness": ("truthfulness", "accuracy"),
    "sycophancy": ("sycophancy", "overall"),
    "harmbench": ("harmbench_compliance", "overall"),
    "advbench": ("advbench_compliance", "overall"),
    "external_heldout": ("external_heldout_compliance", "overall"),
}
"""suite -> (flat metric name, summary key holding its rate)."""


@dataclass
class EvalResult:
    """What :func:`evaluate` returns."""

    out_dir: Path
    summary: dict[str, Any]
    run_id: str | None

    @property
    def metrics(self) -> dict[str, float]:
        """Flat headline metrics (``harmful_compliance``, ``over_refusal``, ...)."""
        return dict(self.summary["metrics"])


def flat_metrics(suites: dict[str, Any]) -> dict[str, float]:
    """Headline metric per suite, its share of repetitive replies (``repetitive/<suite>``), and
    per-category harmful compliance."""
    out: dict[str, float] = {}
    for name, s in suites.items():
        metric, key = HEADLINE.get(name, (name.replace(":", "_"), "overall"))
        if s.get(key, {}).get("value") is not None:
            out[metric] = s[key]["value"]
        if s.get("repetitive", {}).get("value") is not None:
            out[f"repetitive/{name}"] = s["repetitive"]["value"]
        if name == "harmful_compliance":
            for cat, r in s.get("per_category", {}).items():
                out[f"harmful_compliance/{cat}"] = r["value"]
    return out


def evaluate(
    model: ChatModel,
    constitution: LoadedConstitution,
    suites: Sequence[Suite],
    out_dir: str | Path,
    judges: Sequence[Judge],
    *,
    limit: int | None = None,
    max_new_tokens: int = 128,
    reference: ChatModel | None = None,
    chunk_size: int | None = None,
    record: bool = True,
    progress: Callable[[str, int], Any] | None = None,
    embedder: Any = None,
) -> EvalResult:
    """Run ``suites`` on ``model`` and write ``results.jsonl``, ``summary.json`` and ``report.html``.

    Rows are appended chunk by chunk; rerunning with the same ``out_dir`` skips ids already written,
    so a killed run continues with no lost or duplicated rows.

    Args:
        judges: the first is the primary judge; extra judges add agreement rates.
        limit: at most this many items per suite.
        reference: reference model for helpfulness retention (None: ``model`` itself).
        progress: ``progress(description, total)`` returning a context manager yielding ``advance(n)``
            (the CLI passes its rich progress bar).
        chunk_size: rows generated and appended at a time (None: the model's generation batch).
        embedder: sentence embedder for helpfulness similarity (default: the bundled MiniLM).
    """
    from alignloop.data import JsonlAppender
    from alignloop.models import GenerationConfig

    if not suites:
        raise UserError("no suites to run", hint="give --suite NAME or --prompts FILE")
    if not judges:
        raise UserError("no judge configured", hint="use --judge guard|keyword|llm:<model>")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    gen_cfg = GenerationConfig(max_new_tokens=max_new_tokens)
    ctx = EvalContext(model, constitution, list(judges), gen_cfg, reference, _embedder=embedder)
    config = {
        "model": model.name,
        "suites": [s.name for s in suites],
        "judges": [j.describe() for j in judges],
        "limit": limit,
        "max_new_tokens": max_new_tokens,
        "reference": reference.name if reference is not None else model.name,
    }
    splits = sorted({s.split for s in suites if not isinstance(s, FileSuite)} - {"dev"})
    if splits:  # only when not dev, so folders written before splits were a setting still resume
        config["split"] = ",".join(splits)
    weights = model.fingerprint()
    if weights is not None:
        config["model_fingerprint"] = weights
    _check_config(out, config)
    recorder = RunRecorder(record)
    recorder.start("eval", model.name, constitution.hash, config, str(out))
    try:
        plan = {s.name: (s, s.items(limit)) for s in suites}
        with JsonlAppender(out / "results.jsonl") as app:
            done = {(r.get("suite"), str(r.get("id"))) for r in app.rows}
            for name, (suite, items) in plan.items():
                todo = [it for it in items if (name, it.id) not in done]
                _run_suite(ctx, suite, todo, app, chunk_size or model.batch_size, progress, len(items))
            rows = list(app.rows)
        summary = build_summary(plan, rows, model, constitution, config)
        write_text_atomic(out / "summary.json", json.dumps(summary, indent=2, ensure_ascii=False))
        from alignloop.report import render_eval_report

        render_eval_report(out / "report.html", summary, rows)
    except BaseException as e:
        recorder.fail(f"{type(e).__name__}: {e}")
        raise
    recorder.finish(
        summary["metrics"],
        {
            "results": str(out / "results.jsonl"),
            "summary": str(out / "summary.json"),
            "report": str(out / "report.html"),
        },
    )
    summary["run_id"] = recorder.run_id
    return EvalResult(out, summary, recorder.run_id)


def _check_config(out: Path, config: dict[str, Any]) -> None:
    """Refuse to resume into a folder written with different settings or weights (rows would be mixed)."""
    cfg_path = out / "config.json"
    if not cfg_path.exists():
        write_text_atomic(cfg_path, json.dumps(config, indent=2))
        return
    old = json.loads(cfg_path.read_text(encoding="utf-8"))
    new = json.loads(json.dumps(config))
    for key in ("model", "model_fingerprint"):  # folders written before these keys resume as before
        if key not in old:
            new.pop(key, None)
    if old.pop("model_fingerprint", None) != new.pop("model_fingerprint", None):
        raise UserError(
            f"{out} holds results from other weights of {config.get('model')!r} ({cfg_path}): "
            "the model changed since (retrained into the same folder?)",
            hint="use a new -o folder, or delete this one to evaluate the new weights",
        )
    if old != new:
        raise UserError(
            f"{out} holds a run with different settings ({cfg_path})",
            hint="use a new -o folder, or rerun with the same options to resume",
        )


def _run_suite(
    ctx: EvalContext,
    suite: Suite,
    todo: list[Any],
    app: Any,
    chunk_size: int,
    progress: Callable[[str, int], Any] | None,
    total: int,
) -> None:
    import contextlib

    bar = progress(suite.name, total) if progress else contextlib.nullcontext(None)
    with bar as advance:
        if advance:
            advance(total - len(todo))
        for start in range(0, len(todo), chunk_size):
            chunk = todo[start : start + chunk_size]
            for row in suite.run(ctx, chunk):
                app.append(row)
            if advance:
                advance(len(chunk))


def build_summary(
    plan: dict[str, tuple[Suite, list[Any]]],
    rows: list[dict[str, Any]],
    model: ChatModel,
    constitution: LoadedConstitution,
    config: dict[str, Any],
) -> dict[str, Any]:
    """The ``summary.json`` object: per-suite summaries, flat metrics, failures."""
    suites: dict[str, Any] = {}
    for name, (suite, items) in plan.items():
        wanted = {it.id for it in items}
        srows = [r for r in rows if r.get("suite") == name and str(r.get("id")) in wanted]
        suites[name] = (
            suite.summarize(srows)
            if srows
            else {"metric": suite.metric, "n_rows": 0, "skipped": getattr(suite, "unavailable", None) or "no items"}
        )
    failed = [
        {"suite": r["suite"], "id": r["id"], "error": r.get("error")} for r in rows if r.get("status") == "failed"
    ]
    return {
        "kind": "eval",
        "model": model.describe(),
        "constitution": {"name": constitution.constitution.name, "hash": constitution.hash},
        "config": config,
        "suites": suites,
        "metrics": flat_metrics(suites),
        "failed_rows": failed,
    }
