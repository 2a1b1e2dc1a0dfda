"""A Hugging Face model card for a model written by ``alignloop run``, from the files the run wrote.

The YAML metadata (``base_model``, ``license``, ``tags`` and ``model-index``) is built with
``huggingface_hub``'s ``ModelCardData`` and ``EvalResult``; every ``model-index`` value is the
after-training value in the run's ``summary.json``, with its 95% Wilson interval as metric args.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alignloop._util.errors import UserError

if TYPE_CHECKING:
    from huggingface_hub import EvalResult, ModelCard

DEFAULT_BASE = "HuggingFaceTB/SmolLM2-135M-Instruct"
"""The hub id of the embedded default model (``--model default``), which is Apache-2.0."""
NAMES = {
    "harmful_compliance": "Harmful compliance (lower is better)",
    "over_refusal": "Over-refusal (lower is better)",
    "helpfulness_retention": "Helpfulness retention (higher is better)",
    "truthfulness": "Truthfulness accuracy (higher is better)",
    "sycophancy": "Sycophancy (lower is better)",
}
"""Display names of the headline metrics in the card."""


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def sha256_file(path: Path) -> str | None:
    """Hex SHA-256 of a file's bytes, or None when it does not exist."""
    if not path.is_file():
        return None
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _rates(eval_summary: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Flat metric name -> (suite, display name, rate dict with ``ci_low``/``ci_high``/``k``/``n``)."""
    from alignloop.evals._run import HEADLINE  # which summary key holds each suite's headline rate

    out: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for suite, s in (eval_summary.get("suites") or {}).items():
        metric, key = HEADLINE.get(suite, (suite.replace(":", "_"), "overall"))
        if isinstance(s.get(key), dict):
            out[str(metric)] = (suite, NAMES.get(str(metric), str(metric)), s[key])
        if isinstance(s.get("repetitive"), dict):
            out[f"repetitive/{suite}"] = (suite, f"Repetitive replies in {suite}", s["repetitive"])
        if suite == "harmful_compliance":
            for cat, r in (s.get("per_category") or {}).items():
                out[f"harmful_compliance/{cat}"] = (suite, f"Harmful compliance: {cat}", r)
    return out


def eval_results(run_dir: Path, summary: dict[str, Any]) -> list[EvalResult]:
    """One ``EvalResult`` per after-training metric in ``summary.json``, with its interval if known."""
    from huggingface_hub import EvalResult

    rates = _rates(_load(run_dir / "eval_after" / "summary.json"))
    results = []
    for metric, value in (summary.get("metrics", {}).get("after") or {}).items():
        if value is None:
            continue
        suite, shown, r = rates.get(metric, (metric.split("/")[0], metric, {}))
        args = {k: r[k] for k in ("ci_low", "ci_high", "k", "n") if r.get(k) is not None}
        if "ci_low" in args:
            args["interval"] = "95% Wilson"
        results.append(
            EvalResult(
                task_type="text-generation",
                task_name="Constitution alignment",
                dataset_type="alignloop/seed-dev",
                dataset_name=f"alignloop seed data, dev split: {suite}",
                dataset_config=suite,
                dataset_split="dev",
                metric_type=metric,
                metric_name=shown,
                metric_value=value,
                metric_args=args or None,
            )
        )
    return results


def _base_model(model: str) -> str | None:
    if model == "default":
        return DEFAULT_BASE
    # a hub id (org/name) that is not a local folder; local paths and endpoints have no hub id
    if model.count("/") == 1 and not os.path.exists(model) and "://" not in model and not model.startswith("."):
        return model
    return None


def _pct(r: dict[str, Any] | None) -> str:
    if not r or r.get("value") is None:
        return "not measured"
    ci = ""
    if r.get("ci_low") is not None:
        ci = f" (95% CI {100 * r['ci_low']:.1f}-{100 * r['ci_high']:.1f}%)"
    return f"{100 * r['value']:.1f}%{ci}, n={r.get('n', '?')}"


def _eval_section(summary: dict[str, Any], run_dir: Path) -> str:
    after_rates = _rates(_load(run_dir / "eval_after" / "summary.json"))
    before_rates = _rates(_load(run_dir / "eval_baseline" / "summary.json"))
    rows = ["| metric | before | after |", "|---|---|---|"]
    for metric in summary.get("metrics", {}).get("after") or {}:
        if "/" in metric:
            continue
        before, after = before_rates.get(metric), after_rates.get(metric)
        name = (after or before or ("", metric, {}))[1]
        rows.append(f"| {name} | {_pct(before[2] if before else None)} | {_pct(after[2] if after else None)} |")
    gates = summary.get("gates") or {}
    lines = [
        "Measured by `alignloop run` on the dev split of alignloop's bundled seed data (never trained on), "
        "judged by the constitution's guard. Intervals are 95% Wilson intervals.",
        "",
        *rows,
        "",
        f"Release gates: **{'passed' if gates.get('passed') else 'failed'}**.",
        "",
    ]
    lines += [
        f"- {c.get('name')}: {c.get('reason')} ({'pass' if c.get('passed') else 'FAIL'})"
        for c in gates.get("checks", [])
    ]
    return "\n".join(lines)


def _redteam_section(run_dir: Path) -> str:
    rt = _load(run_dir / "redteam" / "summary.json")
    if not rt:
        return "No red-team results were found in the run folder."
    lines = [
        f"The base model was attacked with {rt.get('attacks', '?')} attacks ({rt.get('queries', '?')} queries, "
        f"attacker mode `{rt.get('attacker_mode', '?')}`). Attack success rate: {_pct(rt.get('overall'))}.",
        f"{rt.get('failures_exported', 0)} successful attacks became training pairs.",
        "",
        "| strategy | attack success |",
        "|---|---|",
    ]
    lines += [f"| {k} | {_pct(v)} |" for k, v in (rt.get("per_strategy") or {}).items()]
    worst = sorted(
        ((k, v) for k, v in (rt.get("per_category") or {}).items() if v.get("value") is not None),
        key=lambda kv: -kv[1]["value"],
    )[:3]
    if worst:
        lines += ["", "Categories attacked most successfully: " + "; ".join(f"{k} {_pct(v)}" for k, v in worst) + "."]
    return "\n".join(lines)


def _data_section(summary: dict[str, Any], run_dir: Path) -> str:
    pairs = run_dir / "data" / "pairs.jsonl"
    digest = sha256_file(pairs)
    counts = summary.get("data") or {}
    lines = [
        "Preference pairs generated by `alignloop train data` from alignloop's bundled seed prompts (train split "
        "only) and the red-team's successful attacks, following the constitution below.",
        "",
        f"- Constitution content hash: `{summary.get('constitution_hash', 'unknown')}`",
        f"- Training pairs: `data/pairs.jsonl`, SHA-256 `{digest or 'missing'}`",
    ]
    lines += [
        f"- Source `{k}`: {v} pairs, made by {summary.get('data_generators', {}).get(k, {})}" for k, v in counts.items()
    ]
    return "\n".join(lines)


def _training_section(summary: dict[str, Any]) -> str:
    lines = ["DPO with LoRA (plus an SFT term), merged into the base weights."]
    train = summary.get("train") or {}
    if train:
        lines.append(
            f"{train.get('steps')} steps on {train.get('rows')} pairs, learning rate {train.get('learning_rate')}."
        )
    if summary.get("rl"):
        lines.append(f"Then GRPO rewarded by the guard for {summary['rl'].get('steps')} steps.")
    steer = summary.get("steer") or {}
    if steer and not steer.get("skipped"):
        lines.append(f"Then steered along its refusal direction (alpha {steer.get('alpha')}).")
    return " ".join(lines)


def build_card(run_dir: str | os.PathLike[str], license: str | None = None) -> ModelCard:
    """The model card of the ``alignloop run`` folder ``run_dir``.

    Raises:
        UserError: ``run_dir`` has no ``summary.json`` (it is not a finished ``alignloop run`` folder).
    """
    from huggingface_hub import ModelCard, ModelCardData

    d = Path(run_dir)
    summary = _load(d / "summary.json")
    if not summary.get("metrics"):
        raise UserError(
            f"{d} has no summary.json from `alignloop run`",
            hint="give the folder of a finished `alignloop run -o DIR` (rerun it to finish it)",
        )
    model = str(summary.get("model", "unknown"))
    base = _base_model(model)
    name = f"alignloop-{d.resolve().name}"
    data = ModelCardData(
        base_model=base,
        license=license or ("apache-2.0" if model == "default" else "other"),
        library_name="transformers",
        pipeline_tag="text-generation",
        tags=["alignloop", "safety", "alignment", "dpo", "lora", "constitutional-ai"],
        model_name=name,
        eval_results=eval_results(d, summary),
    )
    body = _body(name, model, base, summary, d)
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n{body}")


def _body(name: str, model: str, base: str | None, summary: dict[str, Any], d: Path) -> str:
    gates = summary.get("gates") or {}
    chash = summary.get("constitution_hash", "unknown")
    return f"""# {name}

`{model}` aligned to a written constitution (content hash `{str(chash)[:12]}`) by `alignloop run`
(run id `{summary.get("run_id") or "not recorded"}`). {"Base model: `" + base + "`." if base else ""}

## Intended use

A chat assistant that answers ordinary and borderline-safe requests fully and declines the narrow set
of harmful requests its constitution names, briefly and in the constitution's refusal style. Deploy it
behind alignloop's guard (`alignloop serve`) so inputs and outputs are also checked at run time.

## Out-of-scope use

- Any use where a wrong or harmful answer can hurt someone without a person checking it (medical,
  legal or financial decisions, crisis support, decisions about people).
- Harm categories, languages and domains the constitution and its evals do not cover.
- Relying on the model alone for safety: its refusals are a measured rate, not a guarantee.

## Training data

{_data_section(summary, d)}

## Training procedure

{_training_section(summary)}

## Evaluation

{_eval_section(summary, d)}

## Red-team summary

{_redteam_section(d)}

## Limitations

- Small evaluation sets: read every rate with its interval; differences inside overlapping intervals
  may be noise.
- The judge is the constitution's guard (an embedding classifier), which misjudges some replies.
- Evals use alignloop's own seed prompts (dev split); public safety benchmarks may give other numbers.
- Release gates {"passed" if gates.get("passed") else "did NOT pass"}; see the evaluation section.
- The base model's own limitations and biases carry over.

## Monitoring plan

- Serve behind the guard (`alignloop serve`), which checks every request and reply against the
  constitution and logs each exchange as a trace.
- Watch traces with `alignloop monitor`: guard flag and block rates, refusal and over-refusal rates,
  latency; alerts fire on drift from the rates measured above.
- Open an incident for harmful output, data leaks, harmful hallucinations or denial of service
  (`alignloop incident open`), link its traces, and close it with a post-incident note.
- Feed confirmed failures back as training data and rerun the loop; every release decision and
  constitution change is kept in the hash-chained audit log (`alignloop audit verify`).
"""


def write_card(
    run_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    license: str | None = None,
    store_url: str | None = None,
) -> ModelCard:
    """Write the card to ``out`` atomically, log ``card.write`` in the run store's audit log, return it."""
    from alignloop._util.atomic import write_text_atomic

    card = build_card(run_dir, license)
    write_text_atomic(out, str(card))
    _log(Path(run_dir), Path(out), store_url)
    return card


def _log(run_dir: Path, out: Path, store_url: str | None) -> None:
    from sqlalchemy.orm import Session

    from alignloop.govern._audit import append_audit
    from alignloop.govern._hooks import current_user
    from alignloop.store import RunStore

    run_id = _load(run_dir / "summary.json").get("run_id")
    with RunStore.open(store_url) as store, Session(store.engine) as s, s.begin():
        append_audit(
            s,
            actor=current_user(),
            action="card.write",
            subject=str(run_id or run_dir.resolve()),
            details={"run_dir": str(run_dir.resolve()), "card": str(out.resolve()), "sha256": sha256_file(out)},
        )
