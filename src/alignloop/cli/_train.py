"""`alignloop train data|sft|rm|dpo|kto|orpo|grpo|merge|steer`."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

from alignloop._util.errors import UserError
from alignloop.cli._common import constitution_option, emit_json, json_option, load_const, model_option, progress_bar


@click.group("train")
def group() -> None:
    """Make training data from the constitution and train (SFT, reward model, DPO/IPO, KTO, ORPO, GRPO) with LoRA."""


def _settings_options(f: Callable[..., Any]) -> Callable[..., Any]:
    # every default comes from TrainSettings (alignloop.train.TRAIN_DEFAULTS): one source for the CLI,
    # the Python API and the loop's presets. Imported lazily so `alignloop --help` stays instant.
    from alignloop.train._settings import TRAIN_DEFAULTS as d

    opts = [
        click.option("--seed", default=d.seed, show_default=True, type=int),
        click.option("--epochs", default=d.epochs, show_default=True, type=click.FloatRange(min=0.0, min_open=True)),
        click.option("--max-steps", default=d.max_steps, show_default=True, type=int, help="-1: run --epochs."),
        click.option("--batch-size", default=d.batch_size, show_default=True, type=click.IntRange(1)),
        click.option("--grad-accum", default=d.grad_accum, show_default=True, type=click.IntRange(1)),
        click.option("--lr", "learning_rate", default=None, type=float, help="Default: tuned per trainer."),
        click.option(
            "--max-length",
            default=d.max_length,
            show_default=True,
            type=click.IntRange(32),
            help="Prompt + reply tokens; rows whose prompt leaves <16 tokens are dropped and counted.",
        ),
        click.option("--lora/--full", default=d.lora, show_default=True, help="LoRA adapters or full fine-tuning."),
        click.option("--lora-r", default=d.lora_r, show_default=True, type=click.IntRange(1)),
        click.option(
            "--lora-alpha",
            default=None,
            type=click.IntRange(1),
            help="LoRA scaling numerator (default: 2 x --lora-r).",
        ),
        click.option(
            "--save-steps",
            default=d.save_steps,
            show_default=True,
            type=click.IntRange(1),
            help="Checkpoint interval; a kill loses at most this many steps.",
        ),
        click.option("--no-merge", is_flag=True, help="Keep only the adapter; skip the merged export."),
        click.option(
            "--merge-scale",
            default=d.merge_scale,
            show_default=True,
            type=click.FloatRange(min=0.0, min_open=True),
            help="Multiply the LoRA update by this in the merged model (>1 extrapolates; adapter kept as trained).",
        ),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


_SETTING_KEYS = (
    "seed", "epochs", "max_steps", "batch_size", "grad_accum", "learning_rate", "max_length",
    "lora", "lora_r", "lora_alpha", "save_steps", "merge_scale", "beta", "sft_weight",
)  # fmt: skip


def _make_settings(kw: dict[str, Any]) -> Any:
    """TrainSettings from the command's flags (popped from ``kw``); flags a command lacks keep the default."""
    from alignloop.train import TrainSettings

    return TrainSettings(**{k: kw.pop(k) for k in _SETTING_KEYS if k in kw})


def _preference_options(f: Callable[..., Any]) -> Callable[..., Any]:
    from alignloop.train._settings import TRAIN_DEFAULTS as d

    f = click.option(
        "--beta",
        default=d.beta,
        show_default=True,
        type=click.FloatRange(min=0.0, min_open=True),
        help="Pull towards the reference (ORPO: weight of the odds-ratio term).",
    )(f)
    f = click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False))(f)
    return click.option(
        "--data", "-d", required=True, type=click.Path(), help="PreferencePair JSONL/Parquet/datasets folder."
    )(f)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    # transformers prints its log dicts on stdout; keep stdout clean for --json
    with contextlib.redirect_stdout(sys.stderr):
        yield


def _bar(desc: str) -> Callable[[int], Any]:
    from alignloop._util.hardware import is_main_process

    if not is_main_process():  # one bar per run under accelerate launch, from rank 0
        return lambda total: contextlib.nullcontext(lambda n=1: None)
    return lambda total: progress_bar(desc, total)


def _finish(res: Any, as_json: bool, store_kind: str, model: str, config: dict[str, Any]) -> None:
    from alignloop._util.hardware import is_main_process

    if not is_main_process():
        return
    _record(store_kind, model, config, res.to_dict())
    if as_json:
        emit_json(res.to_dict())
        return
    click.echo(
        f"trained {res.kind}: {res.steps} steps on {res.rows} rows in {res.seconds:.0f}s"
        f" ({res.dropped_too_long} dropped as too long)"
    )
    for k in ("train_loss", "pairwise_accuracy"):
        if k in res.metrics:
            click.echo(f"  {k}: {res.metrics[k]:.4f}")
    if res.adapter_dir:
        click.echo(f"  adapter: {res.adapter_dir}")
    if res.model_dir:
        click.echo(f"  merged model: {res.model_dir}")


def _record(kind: str, model: str, config: dict[str, Any], result: dict[str, Any]) -> None:
    """Record the run in the store when it is available (it is optional for training)."""
    try:
        from alignloop.store import RunStore
    except ImportError:
        return
    store = RunStore.open()
    rid = store.start_run(kind, model, "", config, output_dir=str(result.get("output_dir", "")))
    store.log_metrics(rid, {k: float(v) for k, v in result.get("metrics", {}).items() if isinstance(v, int | float)})
    if result.get("model_dir"):
        store.add_artifact(rid, "model", str(result["model_dir"]))
    store.finish_run(rid, status="completed")


@group.command("data")
@model_option
@constitution_option
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option(
    "--source",
    "sources",
    multiple=True,
    default=("cai", "helpfulness", "redteam"),
    show_default=True,
    type=click.Choice(["cai", "helpfulness", "context_distillation", "rlaif", "redteam", "monitor"]),
    help="monitor: reviewed production traces (alignloop review), train split only.",
)
@click.option("--failures", type=click.Path(dir_okay=False), default=None, help="A red-team failures.jsonl.")
@click.option("--limit", type=click.IntRange(1), default=None, help="At most N harmful and N helpful prompts.")
@click.option(
    "--border-share",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="With --limit: share of the helpful prompts that are borderline-safe, the rest ordinary (default: 0.5).",
)
@click.option(
    "--mode",
    type=click.Choice(["auto", "self", "refusal_style"]),
    default="auto",
    show_default=True,
    help="CAI path: self-critique, or refusals in the constitution's style (small models).",
)
@click.option("--max-new-tokens", default=64, show_default=True, type=click.IntRange(1, 2048))
@json_option
def data_cmd(
    model: str,
    constitution: str,
    out_dir: str,
    sources: tuple[str, ...],
    failures: str | None,
    limit: int | None,
    border_share: float | None,
    mode: str,
    max_new_tokens: int,
    as_json: bool,
) -> None:
    """Generate preference pairs (and CAI SFT data) from the constitution, train split only; resumable."""
    if border_share is not None and limit is None:
        # without a cap every helpful train prompt is used, so a share would be silently ignored
        raise UserError("--border-share only applies with --limit", hint="add --limit N, or drop --border-share")
    from alignloop.models import load_model
    from alignloop.train import build_alignment_data, default_judge
    from alignloop.train._recipe import BORDER_SHARE

    loaded = load_const(constitution)
    m = load_model(model)
    with progress_bar("generating data", None) as adv, _quiet_stdout():
        res = build_alignment_data(
            m,
            loaded,
            out_dir,
            sources=sources,
            failures=failures,
            limit=limit,
            border_share=BORDER_SHARE if border_share is None else border_share,
            mode=mode,
            judge=default_judge(loaded),
            max_new_tokens=max_new_tokens,
            progress=adv,
        )
    out = {
        "pairs": str(res.pairs_path),
        "sft": str(res.sft_path),
        "counts": res.counts,
        "constitution_hash": loaded.hash,
    }
    if as_json:
        emit_json(out)
    else:
        click.echo(f"wrote {sum(res.counts.values())} pairs to {res.pairs_path} ({res.counts})")


def _sft_weight_default() -> float:
    from alignloop.train._settings import TRAIN_DEFAULTS

    return TRAIN_DEFAULTS.sft_weight


@group.command("dpo")
@model_option
@_preference_options
@click.option("--loss", type=click.Choice(["sigmoid", "ipo"]), default="sigmoid", show_default=True)
@click.option(
    "--sft-weight",
    default=_sft_weight_default(),
    show_default=True,
    type=click.FloatRange(min=0.0),
    help="Weight of the SFT (NLL on chosen) term; 0 disables it.",
)
@click.option(
    "--balance/--shuffle",
    default=True,
    show_default=True,
    help="Batches hold each kind of pair (its label, else its source) in proportion, or a plain seeded shuffle.",
)
@click.option(
    "--pack/--no-pack",
    default=True,
    show_default=True,
    help="Encode each pair's prompt once per forward pass (same loss, fewer tokens), or TRL's padded batch.",
)
@_settings_options
@json_option
def dpo_cmd(
    model: str,
    data: str,
    out_dir: str,
    loss: str,
    balance: bool,
    pack: bool,
    no_merge: bool,
    as_json: bool,
    **kw: Any,
) -> None:
    """DPO/IPO + SFT term with LoRA.

    Works unchanged on GPUs under `accelerate launch` (see docs/accelerate/README.md).
    """
    from alignloop.train import train_dpo

    s = _make_settings(kw)
    with _quiet_stdout():
        res = train_dpo(
            model,
            data,
            out_dir,
            s,
            loss=loss,
            balance=balance,
            pack=pack,
            merge=not no_merge,
            progress_factory=_bar("dpo"),
        )
    config = {"trainer": "dpo", "loss": loss, "balance": balance, "pack": pack, **s.to_dict()}
    _finish(res, as_json, "train", model, config)


def _trl_preference_command(name: str, doc: str) -> None:
    """``alignloop train kto|orpo``: a registered preference method on the same pairs as DPO."""

    @group.command(name, help=doc)
    @model_option
    @_preference_options
    @_settings_options
    @json_option
    def cmd(model: str, data: str, out_dir: str, no_merge: bool, as_json: bool, **kw: Any) -> None:
        from alignloop.train import METHODS

        s = _make_settings(kw)
        method = METHODS.get(name)
        with _quiet_stdout():
            res = method.train(model, data, out_dir, s, progress_factory=_bar(name), merge=not no_merge)
        _finish(res, as_json, "train", model, {"trainer": name, **s.to_dict()})


_trl_preference_command("kto", "KTO with LoRA on preference pairs (chosen desirable, rejected undesirable), via TRL.")
_trl_preference_command("orpo", "ORPO with LoRA on preference pairs (NLL + odds ratio, no reference model), via TRL.")


@group.command("sft")
@model_option
@click.option("--data", "-d", required=True, type=click.Path(), help="ConversationRecord JSONL (e.g. sft.jsonl).")
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False))
@_settings_options
@json_option
def sft_cmd(model: str, data: str, out_dir: str, no_merge: bool, as_json: bool, **kw: Any) -> None:
    """Supervised fine-tuning on conversations (LoRA by default)."""
    from alignloop.train import train_sft

    s = _make_settings(kw)
    with _quiet_stdout():
        res = train_sft(model, data, out_dir, s, merge=not no_merge, progress_factory=_bar("sft"))
    _finish(res, as_json, "train", model, {"trainer": "sft", **s.to_dict()})


@group.command("rm")
@model_option
@click.option("--data", "-d", required=True, type=click.Path(), help="PreferencePair file.")
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--eval-fraction", default=0.1, show_default=True, type=click.FloatRange(0.0, 0.5))
@_settings_options
@json_option
def rm_cmd(model: str, data: str, out_dir: str, eval_fraction: float, no_merge: bool, as_json: bool, **kw: Any) -> None:
    """Bradley-Terry reward model; prints pairwise accuracy on held-out pairs."""
    from alignloop.train import train_reward_model

    s = _make_settings(kw)
    with _quiet_stdout():
        res = train_reward_model(
            model,
            data,
            out_dir,
            s,
            eval_fraction=eval_fraction,
            merge=not no_merge,
            progress_factory=_bar("reward model"),
        )
    _finish(res, as_json, "train", model, {"trainer": "reward", **s.to_dict()})


@group.command("grpo")
@model_option
@constitution_option
@click.option(
    "--prompts",
    "-p",
    "prompts",
    default=None,
    type=click.Path(),
    help="PromptRecord file with labels; default: the bundled train split.",
)
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--reward-model", default=None, type=click.Path(file_okay=False), help="Merged RM from `train rm`.")
@click.option("--num-generations", default=4, show_default=True, type=click.IntRange(2))
@click.option("--max-completion-length", default=48, show_default=True, type=click.IntRange(4))
@_settings_options
@json_option
def grpo_cmd(
    model: str,
    constitution: str,
    prompts: str | None,
    out_dir: str,
    reward_model: str | None,
    num_generations: int,
    max_completion_length: int,
    no_merge: bool,
    as_json: bool,
    **kw: Any,
) -> None:
    """GRPO with rewards from the guard (refuse harmful, answer safe) and an optional reward model."""
    from alignloop.data import seed_prompts
    from alignloop.train import default_judge, train_grpo, train_prompts

    s = _make_settings(kw)
    loaded = load_const(constitution)
    data: Any = prompts if prompts else train_prompts(seed_prompts())
    with _quiet_stdout():
        res = train_grpo(
            model,
            data,
            out_dir,
            s,
            judge=default_judge(loaded),
            reward_model=reward_model,
            num_generations=num_generations,
            max_completion_length=max_completion_length,
            merge=not no_merge,
            progress_factory=_bar("grpo"),
        )
    _finish(res, as_json, "train", model, {"trainer": "grpo", **s.to_dict()})


@group.command("merge")
@click.option("--adapter", "-a", required=True, type=click.Path(file_okay=False), help="An adapter/ folder.")
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--base", default=None, help="Base model (default: the one recorded in the adapter).")
@click.option(
    "--scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.0, min_open=True),
    help="Multiply the adapter's update by this before merging (>1 extrapolates).",
)
@json_option
def merge_cmd(adapter: str, out_dir: str, base: str | None, scale: float, as_json: bool) -> None:
    """Merge LoRA adapters into the base model; the folder loads with AutoModelForCausalLM."""
    from alignloop.train import merge_adapter

    out = merge_adapter(adapter, out_dir, base=base, scale=scale)
    if as_json:
        emit_json({"model_dir": str(out)})
    else:
        click.echo(f"merged model: {out}")


@group.command("steer")
@model_option
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option(
    "--alpha",
    default=None,
    type=float,
    help="Shift along the refusal direction: >0 refuses more, <0 less (0.15 is a clear move on SmolLM2-135M).",
)
@click.option(
    "--target",
    default=None,
    type=click.FloatRange(0.0, 1.0),
    help="Instead of --alpha: the over-refusal rate to steer to, measured on borderline train prompts.",
)
@click.option(
    "--exclude",
    "exclude",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="With --target: training data (JSONL) whose prompts are not used to measure it.",
)
@click.option(
    "--tolerance",
    default=None,
    type=click.FloatRange(0.0, 1.0),
    help="With --target: how far over it the unsteered rate may be and the model kept as it is "
    "(default: one standard error of the measurement; 0: always steer).",
)
@click.option("--layer", default=None, type=click.IntRange(0), help="Decoder layer (default: end of the first half).")
@click.option(
    "--limit",
    default=200,
    show_default=True,
    type=click.IntRange(1),
    help="Harmful and safe train prompts that define the direction.",
)
@constitution_option
@json_option
def steer_cmd(
    model: str,
    out_dir: str,
    alpha: float | None,
    target: float | None,
    exclude: str | None,
    tolerance: float | None,
    layer: int | None,
    limit: int,
    constitution: str | None,
    as_json: bool,
) -> None:
    """Move a model's refuse/answer threshold without retraining (folded into an MLP bias).

    \b
    --alpha 0.15 shifts by a fixed amount; --target 0.08 searches for the largest shift (up to +0.2) whose
    over-refusal on held-out borderline train prompts (judged by the constitution's guard) stays within 8%.
    """
    from alignloop.train import steer_refusal

    if (alpha is None) == (target is None):
        raise UserError("give exactly one of --alpha and --target", hint="e.g. --alpha 0.15 or --target 0.06")
    if alpha is not None and (exclude is not None or tolerance is not None):
        # Both only shape the --target search; silently ignoring them would hide a mistaken command.
        given = " and ".join(n for n, v in (("--exclude", exclude), ("--tolerance", tolerance)) if v is not None)
        raise UserError(f"{given} only applies with --target, not --alpha", hint=f"drop {given}, or use --target")
    kw: dict[str, Any] = {}
    if target is not None:
        kw = _steer_calibration(constitution, exclude) | {"tolerance": tolerance}
    res = steer_refusal(model, out_dir, alpha, target=target, layer=layer, limit=limit, **kw)
    if as_json:
        emit_json(res.to_dict())
    else:
        cal = res.calibration
        click.echo(
            f"steered model: {res.model_dir} (layer {res.layer}, alpha {res.alpha:g}, "
            f"direction norm {res.direction_norm:.2f})"
            + (f"; over-refusal {cal['rate']:.1%} on {cal['prompts']} calibration prompts" if cal else "")
            + (" (within the tolerance of the target: left as trained)" if cal and cal.get("held") else "")
        )


def _steer_calibration(constitution: str | None, exclude: str | None) -> dict[str, Any]:
    """Calibration prompts (borderline train prompts outside ``exclude``) and the guard's refusal rule."""
    from alignloop.evals import make_judge
    from alignloop.train._calibrate import CALIBRATION_PROMPTS, borderline_calibration, refusal_rule

    records = borderline_calibration(exclude, CALIBRATION_PROMPTS)
    if not records:
        raise UserError(
            f"{exclude} uses every borderline train prompt; none is left to measure over-refusal on",
            hint="give --alpha instead",
        )
    judge = make_judge("guard", load_const(constitution or "default"))
    return {"calibration": [r.conversation() for r in records], "refused": refusal_rule(judge)}
