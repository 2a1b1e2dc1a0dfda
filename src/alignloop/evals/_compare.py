"""Paired comparison of two eval runs: per-prompt diff and McNemar's test per suite."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from alignloop._util.errors import UserError
from alignloop.evals._record import resolve_run_dir
from alignloop.evals._stats import mcnemar, rate


@dataclass
class SuiteComparison:
    """One suite: paired counts, the test, and example regressions/improvements."""

    suite: str
    n_paired: int
    fail_a: dict[str, Any]
    fail_b: dict[str, Any]
    test: dict[str, Any]
    regressions: list[dict[str, Any]] = field(default_factory=list)
    """Rows that pass in A and fail in B."""
    improvements: list[dict[str, Any]] = field(default_factory=list)
    n_regressions: int = 0
    n_improvements: int = 0


@dataclass
class Comparison:
    """What :func:`compare` returns (``as_dict`` for JSON)."""

    run_a: str
    run_b: str
    suites: dict[str, SuiteComparison]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "run_a": self.run_a,
            "run_b": self.run_b,
            "suites": {k: asdict(v) for k, v in self.suites.items()},
        }


def _load_rows(run_dir: Path) -> dict[tuple[str, str], dict[str, Any]]:
    p = run_dir / "results.jsonl"
    if not p.exists():
        raise UserError(f"{run_dir} has no results.jsonl", hint="give a folder written by `alignloop eval run`")
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for line in p.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows[(r["suite"], str(r["id"]))] = r
    return rows


def _example(ra: dict[str, Any], rb: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ra["id"],
        "category": ra.get("category"),
        "prompt": ra.get("prompt"),
        "response_a": ra.get("response"),
        "response_b": rb.get("response"),
    }


def compare(run_a: str | Path, run_b: str | Path, max_examples: int = 5) -> Comparison:
    """Compare two eval runs (folders or recorded run ids) prompt by prompt.

    Raises:
        UserError: a missing run, or runs of different suites.
    """
    da, db = Path(resolve_run_dir(str(run_a))), Path(resolve_run_dir(str(run_b)))
    a, b = _load_rows(da), _load_rows(db)
    suites_a, suites_b = {s for s, _ in a}, {s for s, _ in b}
    if suites_a != suites_b:
        raise UserError(
            f"the runs evaluated different suites: {sorted(suites_a)} vs {sorted(suites_b)}",
            hint="compare runs made with the same --suite/--prompts options",
        )
    out: dict[str, SuiteComparison] = {}
    for suite in sorted(suites_a):
        keys = sorted(k for k in a if k[0] == suite and k in b)
        pairs = [(a[k], b[k]) for k in keys if a[k].get("fail") is not None and b[k].get("fail") is not None]
        reg = [(x, y) for x, y in pairs if not x["fail"] and y["fail"]]
        imp = [(x, y) for x, y in pairs if x["fail"] and not y["fail"]]
        out[suite] = SuiteComparison(
            suite=suite,
            n_paired=len(pairs),
            fail_a=rate(sum(bool(x["fail"]) for x, _ in pairs), len(pairs)),
            fail_b=rate(sum(bool(y["fail"]) for _, y in pairs), len(pairs)),
            test=mcnemar(len(imp), len(reg)),
            regressions=[_example(x, y) for x, y in reg[:max_examples]],
            improvements=[_example(x, y) for x, y in imp[:max_examples]],
            n_regressions=len(reg),
            n_improvements=len(imp),
        )
    return Comparison(str(da), str(db), out)
