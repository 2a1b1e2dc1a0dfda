from __future__ import annotations

import json
from pathlib import Path

import pytest

from alignloop.cli import main
from alignloop.store import RunStore


def _run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = 0
    try:
        main(args)
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def recorded(db_url: str) -> dict[str, str]:
    with RunStore.open(db_url) as store:
        ev = store.start_run("eval", "default", "feedbeef" * 8, {"suites": ["harmful"]}, name="baseline")
        store.log_metrics(ev, {"harmful_compliance": 0.125, "over_refusal": 0.05})
        store.add_artifact(ev, "report", "/runs/e/report.html")
        store.finish_run(ev)
        tr = store.start_run("train", "default", "feedbeef" * 8, {"beta": 0.1})
        store.finish_run(tr, "failed", error="ValueError: no preference pairs")
    return {"eval": ev, "train": tr, "url": db_url}


def test_list_json_and_kind_filter(recorded: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run_cli(["runs", "--db", recorded["url"], "list", "--json"], capsys)
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [recorded["train"], recorded["eval"]]
    assert rows[1]["metrics"] == {"harmful_compliance": 0.125, "over_refusal": 0.05}

    code, out, _ = _run_cli(["runs", "--db", recorded["url"], "list", "--kind", "train", "--json"], capsys)
    assert [r["status"] for r in json.loads(out)] == ["failed"]

    code, out, _ = _run_cli(["runs", "--db", recorded["url"], "list", "--limit", "1", "--json"], capsys)
    assert len(json.loads(out)) == 1


def test_list_table(
    recorded: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = _run_cli(["runs", "--db", recorded["url"], "list"], capsys)
    assert code == 0
    assert recorded["eval"][:12] in out and recorded["train"][:12] in out
    assert "harmful_compliance=0.125" in out
    assert "failed" in out and "completed" in out


def test_list_reads_env_var(
    recorded: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIGNLOOP_DB_URL", recorded["url"])
    code, out, _ = _run_cli(["runs", "list", "--json"], capsys)
    assert code == 0 and len(json.loads(out)) == 2


def test_show_by_prefix(recorded: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run_cli(["runs", "--db", recorded["url"], "show", recorded["eval"][:8], "--json"], capsys)
    assert code == 0
    info = json.loads(out)
    assert info["id"] == recorded["eval"] and info["name"] == "baseline"
    assert info["artifacts"] == {"report": "/runs/e/report.html"}

    code, out, _ = _run_cli(["runs", "--db", recorded["url"], "show", recorded["train"]], capsys)
    assert code == 0
    assert "no preference pairs" in out and "beta" in out


def test_show_unknown_id_exits_2(recorded: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run_cli(["runs", "--db", recorded["url"], "show", "zzzz"], capsys)
    assert code == 2
    assert "no run with id 'zzzz'" in err
    assert "Traceback" not in err


def test_unreachable_database_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run_cli(["runs", "--db", "postgresql+psycopg://u:pw@127.0.0.1:1/x", "list"], capsys)
    assert code == 2
    assert "cannot connect" in err and "Traceback" not in err


def test_empty_store_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run_cli(["runs", "--db", f"sqlite:///{tmp_path / 'e.db'}", "list"], capsys)
    assert code == 0 and "no runs recorded" in out


def test_cli_kind_choices_match_the_store() -> None:
    from alignloop.cli._runs import _KINDS
    from alignloop.store import KINDS

    assert _KINDS == KINDS
