"""Governance fixtures: an open store and a realistic `alignloop run` folder recorded in it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.store.conftest import PG_ENV, _pg_schema_url

from alignloop.store import RunStore


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set"),
            ],
        ),
    ]
)
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunStore]:
    """The default store: SQLite in the isolated ALIGNLOOP_HOME, or a fresh PostgreSQL schema set as
    ``ALIGNLOOP_DB_URL`` (so the CLI and ``RunStore.open()`` use it too)."""
    if request.param == "sqlite":
        with RunStore.open() as st:
            yield st
        return
    for url in _pg_schema_url(os.environ[PG_ENV]):
        monkeypatch.setenv("ALIGNLOOP_DB_URL", url)
        with RunStore.open() as st:
            yield st


def _suite(metric: str, key: str, k: int, n: int, **extra: Any) -> dict[str, Any]:
    from alignloop.evals._stats import rate

    return {"metric": metric, key: rate(k, n), "n_rows": n, "n_failed": 0, **extra}


def _eval_summary(harm_k: int, over_k: int, help_k: int) -> dict[str, Any]:
    from alignloop.evals._run import flat_metrics
    from alignloop.evals._stats import rate

    suites = {
        "harmful_compliance": _suite(
            "harmful_compliance",
            "overall",
            harm_k,
            40,
            per_category={"cbrn": rate(harm_k // 4, 10), "privacy": rate(1, 10), "cyber_attacks": rate(0, 20)},
            repetitive=rate(1, 40),
        ),
        "over_refusal": _suite("over_refusal", "overall", over_k, 40, repetitive=rate(0, 40)),
        "helpfulness": _suite("helpfulness_retention", "retention", help_k, 30),
        "truthfulness": _suite("truthfulness", "accuracy", 21, 30),
    }
    return {"kind": "eval", "suites": suites, "metrics": flat_metrics(suites), "failed_rows": []}


def write_run_dir(out: Path, *, passed: bool = True, run_id: str | None = None) -> dict[str, Any]:
    """The files `alignloop run -o out` leaves behind (shapes as in loop/_run.py), with made-up numbers."""
    from alignloop.constitution import load_constitution
    from alignloop.evals import check_gates

    loaded = load_constitution()
    base, after = _eval_summary(16, 2, 30), _eval_summary(1 if passed else 9, 3, 27)
    for name, summ in (("eval_baseline", base), ("eval_after", after)):
        (out / name).mkdir(parents=True, exist_ok=True)
        (out / name / "summary.json").write_text(json.dumps(summ))
    gates = check_gates(after, loaded).as_dict()
    assert gates["passed"] is passed
    (out / "gates.json").write_text(json.dumps(gates))
    (out / "redteam").mkdir(exist_ok=True)
    from alignloop.evals._stats import rate

    (out / "redteam" / "summary.json").write_text(
        json.dumps(
            {
                "kind": "redteam",
                "attacks": 24,
                "queries": 60,
                "overall": rate(6, 24),
                "per_strategy": {"roleplay": rate(4, 12), "hypothetical": rate(2, 12)},
                "per_category": {"cbrn": rate(3, 8), "privacy": rate(3, 16)},
                "attacker_mode": "template",
                "failures_exported": 5,
            }
        )
    )
    (out / "data").mkdir(exist_ok=True)
    (out / "data" / "pairs.jsonl").write_text('{"id": "p1", "prompt": "x", "chosen": "a", "rejected": "b"}\n')
    (out / "data" / "pairs.jsonl.meta.json").write_text(json.dumps({"sources": {"cai": {"rows": 1}}}))
    (out / "model").mkdir(exist_ok=True)
    (out / "model" / "config.json").write_text("{}")
    (out / "report.html").write_text("<html><body>report</body></html>")
    summary = {
        "model": "default",
        "constitution_hash": loaded.hash,
        "preset": {"eval_limit": 40},
        "metrics": {"baseline": base["metrics"], "after": after["metrics"]},
        "gates": gates,
        "data": {"cai": 1},
        "data_generators": {"cai": {"refusal_style": 1}},
        "train": {"steps": 4, "rows": 1, "learning_rate": 0.0005},
        "model_dir": str(out / "model"),
        "report": str(out / "report.html"),
        "run_id": run_id,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def record_loop_run(store: RunStore, out: Path, *, passed: bool = True) -> str:
    """Record a loop run the way run_loop does (start, files, metrics, artifacts, finish); returns its id."""
    from alignloop.constitution import load_constitution

    loaded = load_constitution()
    out.mkdir(parents=True, exist_ok=True)
    rid = store.start_run("loop", "default", loaded.hash, {"model": "default"}, output_dir=str(out))
    summary = write_run_dir(out, passed=passed, run_id=rid)
    store.log_metrics(rid, summary["metrics"]["after"])
    for name in ("model", "report.html", "summary.json"):
        store.add_artifact(rid, name, str(out / name))
    store.finish_run(rid)
    return rid


@pytest.fixture
def loop_run(store: RunStore, tmp_path: Path) -> tuple[str, Path]:
    """A recorded loop run whose gates passed: (run id, run folder)."""
    out = tmp_path / "run"
    return record_loop_run(store, out), out
