"""The guarded system on DEV prompts, from a model's saved dev replies: where a system-level choice can be made.

``guarded_system.py`` measures the model behind the gateway on the frozen test split and public files,
where nothing may be chosen. This reads the replies an ``alignloop eval run --split dev`` already wrote
(``results.jsonl``: harmful and borderline dev prompts, the eval judge's label per reply), runs the guard's
input and output checks on them, and prints what the gateway would do: harmful dev prompts stopped (input
blocked, output blocked, or the model refused) and borderline dev prompts refused the same way. Greedy
replies do not depend on the guard, so one set of replies serves every threshold.

Then two sweeps, one setting at a time with the other as shipped: the unsafe input threshold (prompts whose
score reaches it are blocked; other input blocks such as PII or injection are kept) and the context
check's output threshold. Borderline prompts are few (80 in the bundle's dev split), so beside the sweep
the script counts the guard's own *hard safe* dev rows (every default source) whose input score falls in
each band below the shipped threshold: the cost of lowering it that 80 replies cannot show.

Run:
    alignloop eval run --model RUN/model --suite harmful_compliance --suite over_refusal \\
        --split dev --max-new-tokens 48 -o DIR
    python benchmarks/guarded_system_dev.py DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

INPUT_GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)
CONTEXT_GRID = (0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.01)


def _blocked(decisions: list[Any]) -> np.ndarray:
    return np.array([d.action == "block" for d in decisions])  # Action is a str enum


def _line(name: str, stopped: np.ndarray, harm: np.ndarray) -> str:
    n_safe = int((~harm).sum())
    return (
        f"{name:34s} harmful stopped {stopped[harm].mean():.3f} (n={int(harm.sum())})   "
        f"borderline refused {stopped[~harm].mean():.3f} ({int(stopped[~harm].sum())} of {n_safe})"
    )


def _hard_safe_bands(clf: Any, threshold: float) -> None:
    from alignloop.guard import DEFAULT_SOURCES, read_sources

    _, rows = read_sources(list(DEFAULT_SOURCES))
    dev = [r for r in rows if r.split_name == "dev" and r.unsafe is not None]
    s = clf.scores([r.text for r in dev]).unsafe
    y = np.array([r.unsafe for r in dev])
    hard = np.array([r.hard for r in dev])
    print(f"\nthe guard's dev rows with an input score in [low, {threshold:.3f}): would be blocked at the input")
    for low in INPUT_GRID[:5]:
        band = (s >= low) & (s < threshold)
        print(
            f"  low {low:.2f}: harmful {int(band[y == 1].sum())} of {int((y == 1).sum())}, "
            f"hard safe {int(band[(y == 0) & hard].sum())} of {int(((y == 0) & hard).sum())}, "
            f"other safe {int(band[(y == 0) & ~hard].sum())} of {int(((y == 0) & ~hard).sum())}"
        )


def main() -> None:
    from alignloop.constitution import load_constitution
    from alignloop.guard import Guard
    from alignloop.guard._context import PARAMS_KEY

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("eval_dir", type=Path, help="an `alignloop eval run --split dev` output folder")
    args = ap.parse_args()
    lines = (args.eval_dir / "results.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(x) for x in lines]
    rows = [r for r in rows if r.get("label") in ("harmful", "borderline") and r.get("status") == "ok"]
    if not rows:
        raise SystemExit(f"{args.eval_dir}: no harmful or borderline dev replies (run the eval with --split dev)")
    lc = load_constitution(None)
    guard = Guard.load(lc)
    prompts, replies = [r["prompt"] for r in rows], [r["response"] for r in rows]
    harm = np.array([r["label"] == "harmful" for r in rows])
    refused = np.array([r["refusal"] in ("refusal", "partial") for r in rows])  # as guarded_system.py counts
    d_in = guard.check_inputs(prompts)
    in_block = _blocked(d_in)
    out_block = _blocked(guard.check_outputs(prompts, replies))
    score = np.array([d.score for d in d_in])
    # a category whose input action is not "block" (the default constitution flags adult content) never blocks
    c = lc.constitution
    tops = [max(d.categories, key=d.categories.get) if d.categories else None for d in d_in]
    blocks = np.array([top is not None and c.category(top).input_action == "block" for top in tops])
    th = guard.classifier.meta["thresholds"]
    t_in, t_ctx = float(th["unsafe"]), float(th[PARAMS_KEY])
    print(f"{args.eval_dir}: {int(harm.sum())} harmful and {int((~harm).sum())} borderline dev replies")
    print(_line("as shipped", in_block | out_block | refused, harm))
    print(_line("  the model alone", refused, harm))
    print(_line("  input check alone", in_block, harm))
    print(_line("  output check alone", out_block, harm))
    other = in_block & (score < t_in)  # blocks that are not the unsafe threshold's (PII, injection)
    print(f"\ninput threshold (shipped {t_in:.3f}), output as shipped")
    for t in INPUT_GRID:
        print(_line(f"  {t:.2f}", other | ((score >= t) & blocks) | out_block | refused, harm))
    print(f"\ncontext threshold (shipped {t_ctx:.3f}), input as shipped")
    for t in CONTEXT_GRID:
        th[PARAMS_KEY] = t
        print(_line(f"  {t:.2f}", in_block | _blocked(guard.check_outputs(prompts, replies)) | refused, harm))
    th[PARAMS_KEY] = t_ctx
    _hard_safe_bands(guard.classifier, t_in)


if __name__ == "__main__":
    main()
