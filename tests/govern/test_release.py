"""Release approval: staged after passed gates, overrides for failed gates, require_approved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session
from tests.govern.conftest import record_loop_run

from alignloop._util.errors import UserError
from alignloop.cli import cli
from alignloop.govern import audit_entries, decide, release_status, require_approved
from alignloop.store import RunStore


def test_passed_gates_are_staged_until_approved(store: RunStore, loop_run: tuple[str, Path]) -> None:
    rid, out = loop_run
    assert release_status(store, rid[:8]).status == "staged"
    assert release_status(store, str(out)).run_id == rid  # the run folder names the run too
    with pytest.raises(UserError, match="not approved"):
        require_approved(str(out / "model"), store)
    info = decide(store, rid, "approved", by="ana", note="checked the report")
    assert info.status == "approved" and info.decided_by == "ana" and info.override is None
    assert require_approved(str(out / "model"), store).run_id == rid
    assert require_approved(str(out), store).run_id == rid
    with Session(store.engine) as s:
        (e,) = audit_entries(s, action="release.*")
    assert e["action"] == "release.approve" and e["actor"] == "ana" and e["details"]["previous"] == "staged"


def test_failed_gates_need_an_override_which_is_logged(store: RunStore, tmp_path: Path) -> None:
    rid = record_loop_run(store, tmp_path / "run", passed=False)
    assert release_status(store, rid).status == "gates_failed"
    with pytest.raises(UserError, match="--override"):
        decide(store, rid, "approved", by="ana", note="ship it")
    assert release_status(store, rid).status == "gates_failed"  # nothing half-written
    info = decide(store, rid, "approved", by="ana", note="ship it", override="hotfix; harm rate judged acceptable")
    assert info.status == "approved" and info.override
    with Session(store.engine) as s:
        (e,) = audit_entries(s, action="release.*")
    assert e["action"] == "release.override" and e["details"]["override"].startswith("hotfix")


def test_rejection_and_bad_requests(store: RunStore, loop_run: tuple[str, Path]) -> None:
    rid, out = loop_run
    with pytest.raises(UserError, match="only for approving"):
        decide(store, rid, "approved", by="ana", note="x", override="not needed")
    with pytest.raises(UserError, match="--note"):
        decide(store, rid, "rejected", by="ana", note=" ")
    decide(store, rid, "rejected", by="bo", note="too many looping replies")
    assert release_status(store, rid).status == "rejected"
    with pytest.raises(UserError, match="rejected"):
        require_approved(str(out / "model"), store)
    with pytest.raises(UserError, match="not the model of any"):
        require_approved("default", store)
    eval_run = store.start_run("eval", "default", "h", {})
    with pytest.raises(UserError, match="eval run"):
        release_status(store, eval_run)


def test_unfinished_run_cannot_be_decided(store: RunStore, tmp_path: Path) -> None:
    rid = store.start_run("loop", "default", "h", {}, output_dir=str(tmp_path))
    assert release_status(store, rid).status == "not_finished"
    with pytest.raises(UserError, match="has not finished"):
        decide(store, rid, "approved", by="ana", note="x")


def test_cli_release_flow(loop_run: tuple[str, Path]) -> None:
    rid, _ = loop_run
    r = CliRunner()
    res = r.invoke(cli, ["release", "status", "--json"])
    assert [i["status"] for i in json.loads(res.output)] == ["staged"]
    res = r.invoke(cli, ["release", "approve", rid[:10], "--by", "ana", "--note", "ok"])
    assert res.exit_code == 0 and "approved by ana" in res.output
    res = r.invoke(cli, ["release", "approve", rid[:10], "--by", "ana"])
    assert res.exit_code == 2  # --note is required
