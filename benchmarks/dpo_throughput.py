"""DPO throughput: alignloop's tuned DPO vs TRL's DPOTrainer (default config, fp32/no-checkpointing, and that
with the reference log-probabilities precomputed).

Same pairs, same model (SmolLM2-135M-Instruct), LoRA r=16 on all linear layers, max length 128.
Prints seconds per pair and ratios against TRL's default config measured in this run.

    python benchmarks/dpo_throughput.py            # 32 pairs (8 for TRL's slow default), about 8 minutes
    python benchmarks/dpo_throughput.py --pairs 64 --skip-default
    python benchmarks/dpo_throughput.py --data runs/first/data/pairs.jsonl --pairs 96 --skip-default

``alignloop train_dpo --no-pack`` is the same call with TRL's padded batches (each prompt encoded
once per reply); the gap to ``alignloop train_dpo`` is what shared-prompt packing saves. The built-in
pairs have replies of near-equal length; ``--data`` reads real ones (a loop's ``data/pairs.jsonl``).
``trl_tuned + precomputed reference`` is the fastest TRL config we know on a CPU (since 2026-12-07): it
computes the reference log-probabilities once before training, as alignloop does.

Each figure is the wall time from loading the model to the end of training (tokenising, reference
log-probs and the training loop), divided by the pairs trained. Imports and the CPU kernels' first-call
set-up are paid by a warm-up pass before anything is timed (since 2026-12-07; before, TRL ran first
and paid them). Pairs whose prompt ``train_dpo`` would drop as too long for max length 128 are left out
before timing, so every config trains the same pairs (TRL would otherwise train on them cut, and
alignloop's time would be divided by pairs it never trained).
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _pairs(n: int) -> list[dict[str, Any]]:
    from alignloop.constitution import load_constitution
    from alignloop.data import seed_prompts
    from alignloop.train import train_prompts

    c = load_constitution(None).constitution
    harmful = train_prompts(seed_prompts(label="harmful"))[:n]
    # the rejected side is a plausible compliance of similar length to real model answers
    return [
        {
            "id": p.id,
            "prompt": p.conversation(),
            "chosen": [{"role": "assistant", "content": c.refusal_for(p.category)}],
            "rejected": [{"role": "assistant", "content": "Sure! Here is a detailed step-by-step guide. " * 6}],
        }
        for p in harmful
    ]


def _file_pairs(path: str, n: int) -> list[dict[str, Any]]:
    import json

    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return rows[:n]


def _kept(pairs: list[dict[str, Any]], max_length: int = 128) -> list[dict[str, Any]]:
    """The pairs whose prompt ``train_dpo`` keeps at ``max_length`` (the others it drops and counts)."""
    from alignloop.data import PreferencePair
    from alignloop.models import embedded_model_dir
    from alignloop.train._common import fits, load_tokenizer

    tok = load_tokenizer(str(embedded_model_dir()))

    def prompt(row: dict[str, Any]) -> list[dict[str, str]]:
        return [{"role": t.role, "content": t.content} for t in PreferencePair.model_validate(row).prompt]

    return [p for p in pairs if fits(tok, prompt(p), max_length)]


def _trl(pairs: list[dict[str, Any]], out: str, tuned: bool, precompute: bool = False) -> float:
    """TRL's DPOTrainer as a user would call it; ``tuned`` turns off bf16 and checkpointing on CPU.

    ``precompute`` also has TRL compute the reference log-probabilities once before training (in
    batches of 32, without gradients), as alignloop does, instead of a second forward pass per step.
    """
    import torch
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig, DPOTrainer

    from alignloop.data import to_hf_dataset
    from alignloop.models import embedded_model_dir

    path = str(embedded_model_dir())
    t0 = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(path)
    kw: dict[str, Any] = {"bf16": True, "gradient_checkpointing": True}  # TRL 1.16's defaults
    if tuned:
        kw = {"bf16": False, "gradient_checkpointing": False}
    if precompute:
        kw |= {"precompute_ref_log_probs": True, "precompute_ref_batch_size": 32}
    args = DPOConfig(
        output_dir=out,
        max_length=128,
        per_device_train_batch_size=8,
        num_train_epochs=1,
        report_to=[],
        save_strategy="no",
        disable_tqdm=True,
        use_cpu=not torch.cuda.is_available(),
        **kw,
    )
    lora = LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM")
    rows = [{k: r[k] for k in ("prompt", "chosen", "rejected")} for r in pairs]
    trainer = DPOTrainer(
        model=AutoModelForCausalLM.from_pretrained(path),
        args=args,
        train_dataset=to_hf_dataset(rows),
        processing_class=tok,
        peft_config=lora,
    )
    trainer.train()
    return time.perf_counter() - t0


def _warm_up() -> None:
    """Import TRL and PEFT and run one forward and backward pass before anything is timed.

    Whichever config ran first used to pay the imports and the CPU kernels' first-call set-up; that
    was TRL, so up to 2026-12-07 its seconds per pair carried a few seconds that alignloop's did not.
    """
    import peft  # noqa: F401
    import torch
    import trl  # noqa: F401
    from transformers import AutoModelForCausalLM

    from alignloop.models import embedded_model_dir

    model = AutoModelForCausalLM.from_pretrained(str(embedded_model_dir()))
    ids = torch.randint(10, 1000, (2, 64))
    model(input_ids=ids, labels=ids).loss.backward()


def _alignloop(pairs: list[dict[str, Any]], out: str, pack: bool = True) -> float:
    from alignloop.train import TrainSettings, train_dpo

    t0 = time.perf_counter()
    s = TrainSettings(batch_size=8, max_length=128, save_steps=10_000)
    train_dpo("default", pairs, out, s, pack=pack, merge=False)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=32)
    ap.add_argument("--data", help="PreferencePair JSONL to take the pairs from (default: built-in harmful pairs).")
    ap.add_argument("--default-pairs", type=int, default=8, help="Pairs for TRL's default config (~27 s each).")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-default", action="store_true", help="Skip TRL's default config (the slow baseline).")
    ap.add_argument(
        "--skip-precompute",
        action="store_true",
        help="Skip TRL tuned with precomputed reference log-probs (TRL's fastest CPU config we know).",
    )
    a = ap.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    _warm_up()
    pairs = _file_pairs(a.data, a.pairs) if a.data else _pairs(a.pairs)
    kept = _kept(pairs)
    if len(kept) < len(pairs):
        print(f"{len(pairs) - len(kept)} of {len(pairs)} pairs left out: prompt too long for max length 128")
    pairs = kept
    results: dict[str, tuple[float, float, int]] = {}

    def timed(name: str, run: Callable[[], float], n: int) -> None:
        # CPU time beside wall time: on a shared machine other processes stretch the wall clock of
        # whichever config runs while they do, far less its CPU seconds
        c0 = time.process_time()
        wall = run()
        results[name] = (wall, time.process_time() - c0, n)

    with tempfile.TemporaryDirectory() as tmp:
        if not a.skip_default:
            few = pairs[: a.default_pairs]
            timed("trl_default (bf16 + checkpointing)", lambda: _trl(few, str(Path(tmp) / "d"), False), len(few))
        timed("trl_tuned (fp32, no checkpointing)", lambda: _trl(pairs, str(Path(tmp) / "t"), True), len(pairs))
        if not a.skip_precompute:
            run_p = functools.partial(_trl, pairs, str(Path(tmp) / "p"), True, precompute=True)
            timed("trl_tuned + precomputed reference", run_p, len(pairs))
        # the whole train_dpo call: data checks, tokenising, reference log-probs, training, adapter save
        timed("alignloop train_dpo --no-pack", lambda: _alignloop(pairs, str(Path(tmp) / "n"), False), len(pairs))
        timed("alignloop train_dpo", lambda: _alignloop(pairs, str(Path(tmp) / "a")), len(pairs))
    base_name = next(iter(results))
    base, base_cpu, base_n = results[base_name]
    print(f"\nDPO throughput, SmolLM2-135M LoRA r=16, max length 128, batch 8, {a.threads} threads")
    vs = "vs " + base_name.split()[0]
    print(f"{'config':40s} {'pairs':>6s} {'s/pair':>8s} {'speed-up ' + vs:>22s} {'cpu s/pair':>11s} {'cpu ' + vs:>14s}")
    for name, (secs, cpu, n) in results.items():
        print(
            f"{name:40s} {n:6d} {secs / n:8.2f} {(base / base_n) / (secs / n):21.2f}x"
            f" {cpu / n:11.2f} {(base_cpu / base_n) / (cpu / n):13.2f}x"
        )


if __name__ == "__main__":
    main()
