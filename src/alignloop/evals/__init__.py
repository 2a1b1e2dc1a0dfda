"""Evaluate a model against the constitution: suites, judges, paired comparison and release gates.

Example:
    >>> from alignloop.evals import evaluate, resolve_suites, make_judge
    >>> result = evaluate(model, constitution, resolve_suites(["harmful_compliance"]), "runs/e1",
    ...                   [make_judge("guard", constitution)], limit=40)
"""

from alignloop.evals._compare import Comparison, SuiteComparison, compare
from alignloop.evals._context import EvalContext
from alignloop.evals._degenerate import degenerate_flags, is_truncated
from alignloop.evals._gates import GateCheck, GateResult, check_gates
from alignloop.evals._generate import generate_file
from alignloop.evals._items import EvalItem, file_items, is_dev
from alignloop.evals._public import NO_SAFE_PUBLIC_SET, PUBLIC_EVAL_SIZE, PublicSuite
from alignloop.evals._run import EvalResult, evaluate, flat_metrics
from alignloop.evals._stats import mcnemar, rate, wilson
from alignloop.evals._suites import DEFAULT_SUITES, SUITES, FileSuite, Suite, resolve_suites

# the judges and what their verdicts mean live in the guard (one definition for every stage)
from alignloop.guard._judge import GuardJudge, LlmJudge, make_judge
from alignloop.guard._verdict import JUDGES, Judge, KeywordJudge, Verdict

__all__ = [
    "DEFAULT_SUITES",
    "JUDGES",
    "NO_SAFE_PUBLIC_SET",
    "PUBLIC_EVAL_SIZE",
    "SUITES",
    "Comparison",
    "EvalContext",
    "EvalItem",
    "EvalResult",
    "FileSuite",
    "GateCheck",
    "GateResult",
    "GuardJudge",
    "Judge",
    "KeywordJudge",
    "LlmJudge",
    "PublicSuite",
    "Suite",
    "SuiteComparison",
    "Verdict",
    "check_gates",
    "compare",
    "degenerate_flags",
    "evaluate",
    "file_items",
    "flat_metrics",
    "generate_file",
    "is_dev",
    "is_truncated",
    "make_judge",
    "mcnemar",
    "rate",
    "resolve_suites",
    "wilson",
]
