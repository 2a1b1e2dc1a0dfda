"""Evaluate a model against the constitution: suites, judges, paired comparison and release gates.

Example:
    >>> from alignloop.evals import evaluate, resolve_suites, make_judge
    >>> result = evaluate(model, constitution, resolve_suites(["harmful_compliance"]), "runs/e1",
    ...                   [make_judge("guard", constitution)], limit=40)
"""

from alignloop.evals._compare import Comparison, SuiteComparison, compare
from alignloop.evals._context import EvalContext
from alignloop.evals._degenerate import degenerate_flags, is_repetitive, is_truncated
from alignloop.evals._gates import GateCheck, GateResult, check_gates
from alignloop.evals._generate import generate_file
from alignloop.evals._items import EvalItem, file_items, is_dev
from alignloop.evals._judge import JUDGES, Judge, KeywordJudge, LLMJudge, Verdict, make_judge
from alignloop.evals._run import EvalResult, evaluate, flat_metrics
from alignloop.evals._stats import mcnemar, rate, wilson
from alignloop.evals._suites import DEFAULT_SUITES, SUITES, FileSuite, Suite, resolve_suites

__all__ = [
    "DEFAULT_SUITES",
    "JUDGES",
    "SUITES",
    "Comparison",
    "EvalContext",
    "EvalItem",
    "EvalResult",
    "FileSuite",
    "GateCheck",
    "GateResult",
    "Judge",
    "KeywordJudge",
    "LLMJudge",
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
    "is_repetitive",
    "is_truncated",
    "make_judge",
    "mcnemar",
    "rate",
    "resolve_suites",
    "wilson",
]
