"""The contract other tools rely on: ingest prints what it stored, report --json, export validates."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from alignloop.cli import cli

from .conftest import START, traffic_rows, write_jsonl


def _run(*args: str) -> Any:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res


@pytest.fixture
def traffic(tmp_path: Path) -> Path:
    # two hours out of order; the second has a shifted topic answered with harmful text
    rows = traffic_rows(60, START + timedelta(hours=1), timedelta(hours=1), seed=2, shift=0.3)
    rows += traffic_rows(60, START, timedelta(hours=1), seed=1)
    return write_jsonl(tmp_path / "traffic.jsonl", rows)


def test_ingest_report_review_export(traffic: Path, db_url: str, hash_artifact: Path, tmp_path: Path) -> None:
    out = _run("monitor", "ingest", str(traffic), "--db", db_url).output
    assert "stored 120 of 120" in out
    assert "stored 0 of 120" in _run("monitor", "ingest", str(traffic), "--db", db_url).output
    res = _run("monitor", "report", "--db", db_url, "--artifact", str(hash_artifact), "--window", "1h", "--json")
    report = json.loads(res.stdout)
    assert set(report) >= {"windows", "alerts"}
    ws = report["windows"]
    assert [w["start"] for w in ws] == ["2025-03-01T00:00:00+00:00", "2025-03-01T01:00:00+00:00"]
    assert [w["end"] for w in ws] == ["2025-03-01T01:00:00+00:00", "2025-03-01T02:00:00+00:00"]
    assert [w["n"] for w in ws] == [60, 60]
    assert ws[0]["drift"] == {"detected": False, "reference": True}
    assert isinstance(ws[1]["drift"]["detected"], bool) and "input" in ws[1]["drift"]
    assert {"violation", "refusal", "over_refusal", "injection", "pii_leak", "loop"} <= set(ws[0]["rates"])
    assert ws[1]["rates"]["refusal"]["k"] > ws[0]["rates"]["refusal"]["k"]
    day = json.loads(
        _run("monitor", "report", "--db", db_url, "--window", "1d", "--json", "--no-score", "--no-drift").stdout
    )
    assert [w["n"] for w in day["windows"]] == [120]

    listed = json.loads(_run("review", "list", "--db", db_url, "--json").stdout)
    assert listed["items"], "flagged or sampled traces should be queued"
    nxt = json.loads(_run("review", "next", "--db", db_url, "--json").stdout)
    _run(
        "review",
        "label",
        str(nxt["id"]),
        "corrected",
        "--correction",
        "Here is a safe answer.",
        "--by",
        "ana",
        "--db",
        db_url,
    )
    pairs = tmp_path / "pairs.jsonl"
    assert (
        "wrote 1 pairs rows" in _run("review", "export", "--format", "pairs", "-o", str(pairs), "--db", db_url).output
    )
    ok = json.loads(_run("data", "validate", str(pairs), "--schema", "preferences", "--json").stdout)
    assert ok == {"valid": True, "rows": 1, "schema": "preferences"}


def test_bad_window_is_a_user_error(db_url: str) -> None:
    from alignloop.cli import main

    with pytest.raises(SystemExit) as e:
        main(["monitor", "report", "--db", db_url, "--window", "soon", "--no-score", "--no-drift"])
    assert e.value.code == 2


def test_score_worker_passes(traffic: Path, db_url: str, hash_artifact: Path) -> None:
    _run("monitor", "ingest", str(traffic), "--db", db_url)
    args = ("monitor", "score", "--db", db_url, "--artifact", str(hash_artifact), "--every", "1s", "--times", "2")
    out = _run(*args).output.splitlines()
    assert out[0].startswith("scored 120 traces (0 pending") and out[1].startswith("scored 0 traces (0 pending")
