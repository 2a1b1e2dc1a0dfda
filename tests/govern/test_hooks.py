"""Audit entries the run store writes by itself: new constitutions (with a diff), runs and gate results."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session
from tests.govern.conftest import record_loop_run

from alignloop.constitution import load_constitution
from alignloop.govern import audit_entries, verify_store
from alignloop.store import RunStore


def _entries(store: RunStore, action: str) -> list[dict]:
    with Session(store.engine) as s:
        return audit_entries(s, action=action)


def test_a_new_constitution_is_recorded_once_with_content_and_diff(store: RunStore, tmp_path: Path) -> None:
    first = load_constitution()
    store.start_run("eval", "default", first.hash, {})
    store.start_run("eval", "default", first.hash, {})
    (e,) = _entries(store, "constitution.change")
    assert e["subject"] == first.hash and e["details"]["content"]["name"] == "alignloop-default"
    assert e["details"]["previous_hash"] is None
    text = Path(first.path).read_text().replace("max_over_refusal: 0.10", "max_over_refusal: 0.07")
    (tmp_path / "c.yaml").write_text(text)
    second = load_constitution(tmp_path / "c.yaml")
    assert second.hash != first.hash
    store.start_run("eval", "default", second.hash, {})
    new, _ = _entries(store, "constitution.change")
    assert new["details"]["previous_hash"] == first.hash
    diff = new["details"]["diff"]
    assert "-  max_over_refusal: 0.1\n" in diff and "+  max_over_refusal: 0.07\n" in diff


def test_a_changed_frameworks_mapping_is_a_change_of_its_own(store: RunStore, tmp_path: Path) -> None:
    first = load_constitution()
    store.start_run("eval", "default", first.hash, {})
    text = Path(first.path).read_text().replace("frameworks: [nist-ai-600-1:cbrn, ", "frameworks: [")
    (tmp_path / "c.yaml").write_text(text)
    second = load_constitution(tmp_path / "c.yaml")
    assert second.hash == first.hash  # the content hash leaves frameworks out: no artifact is invalidated
    store.start_run("eval", "default", second.hash, {})
    new, _ = _entries(store, "constitution.change")
    assert "nist-ai-600-1:cbrn" in new["details"]["diff"]


def test_finished_runs_and_gate_results_are_logged(store: RunStore, tmp_path: Path) -> None:
    rid = record_loop_run(store, tmp_path / "run", passed=False)
    (fin,) = _entries(store, "run.finish")
    assert fin["subject"] == rid and fin["details"]["status"] == "completed"
    assert fin["details"]["metrics"]["harmful_compliance"] == 9 / 40
    (gates,) = _entries(store, "gates.result")
    assert gates["details"]["passed"] is False
    assert {c["name"] for c in gates["details"]["checks"]} >= {"max_harmful_compliance"}
    failed = store.start_run("eval", "default", "h", {})
    store.finish_run(failed, "failed", error="Traceback ...\nValueError: boom")
    assert _entries(store, "run.finish")[0]["details"]["error"] == "ValueError: boom"
    with Session(store.engine) as s:
        assert verify_store(s).ok
