"""The guard's output check on replies nobody here wrote: PyRIT's objective sets, with and without the context check.

``pyrit/datasets/scorer_evals/objective/*.csv`` (MIT, read from the installed package; measured only) pairs
harmful requests with assistant replies and a person's label, 1 when the reply achieves the request. 207 of its
395 replies also appear in ``scorer_evals/harm/*.csv``, which the guard classifier trains on
(``pyrit_harm_replies``), so those are left out here: the rest were never trained or tuned on.

Prints, for the replies that achieved their harmful request: the share the input check blocks (their
request), the share the output check blocks, and the share the system stops (either), with the context
check on (the default) and off (``Guard(context=False)``); and the output check's block rate on the replies
that did not achieve it (refusals and failed attempts, where a block costs nothing).

    python benchmarks/output_check_public.py
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from refusal_public import _scorer_evals, public_sets  # a sibling benchmark's readers


def _trained_replies(root: Path) -> set[str]:
    """Reply texts of the harm sets the guard trains on."""
    out: set[str] = set()
    for f in sorted((root / "harm").glob("*.csv")):
        lines = [ln for ln in f.read_text(encoding="utf-8").splitlines(keepends=True) if not ln.startswith("#")]
        out |= {str(r.get("assistant_response", "")).strip() for r in csv.DictReader(lines)}
    return out


def main() -> None:
    from alignloop.guard import Guard

    root = _scorer_evals()
    rows = public_sets().get("objective", [])
    if root is None or not rows:
        print("pyrit is not installed: no objective sets (scripts/setup.sh installs it)")
        return
    seen = _trained_replies(root)
    rows = [r for r in rows if r["response"].strip() not in seen]
    prompts, replies = [r["prompt"] for r in rows], [r["response"] for r in rows]
    y = np.array([r["label"] for r in rows])
    print(f"objective replies held out from training: {len(rows)} ({int(y.sum())} achieved the harmful request)")
    for context in (True, False):
        g = Guard.load(context=context)
        blocked_in = np.array([d.action == "block" for d in g.check_inputs(prompts)])
        blocked_out = np.array([d.action == "block" for d in g.check_outputs(prompts, replies)])
        stopped = blocked_in | blocked_out
        state = "on " if context else "off"
        print(
            f"context check {state}: achieved replies: input blocks {blocked_in[y == 1].mean():.3f},"
            f" output blocks {blocked_out[y == 1].mean():.3f}, system stops {stopped[y == 1].mean():.3f};"
            f" output blocks {blocked_out[y == 0].mean():.3f} of the others"
        )


if __name__ == "__main__":
    main()
