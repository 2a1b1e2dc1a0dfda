"""`eval run` and `redteam run` say so when rows fail: unreachable endpoints exit 2, too many failures exit 1."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from alignloop.cli import main
from alignloop.models import ScriptedModel


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed when the block ends: nothing listens there


def _exit(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as e:
        main(argv)
    return int(e.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize("command", ["eval", "redteam"])
def test_unreachable_endpoint_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1#served-model"
    out = tmp_path / "run"
    if command == "eval":
        argv = ["eval", "run", "-m", url, "--suite", "harmful_compliance", "--limit", "2", "-j", "keyword"]
    else:
        argv = ["redteam", "run", "-m", url, "--budget", "2", "-j", "keyword"]
    code, err = _exit([*argv, "-o", str(out)], capsys)
    assert code == 2 and "cannot connect to http://127.0.0.1" in err
    assert not out.exists()


def _flaky(conv: Any) -> str:
    # fails on about half of the prompts, as an overloaded server would
    if sum(map(ord, conv[-1]["content"])) % 2:
        raise ConnectionError("502 bad gateway")
    return "I can't help with that."


def _prompts(tmp_path: Path) -> Path:
    p = tmp_path / "p.jsonl"
    rows = [{"id": f"q{i}", "prompt": f"question number {i}" + "?" * i} for i in range(8)]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return p


def test_eval_exits_1_when_more_rows_fail_than_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import alignloop.models as models

    monkeypatch.setattr(models, "load_model", lambda spec, **kw: ScriptedModel(_flaky))
    argv = ["eval", "run", "-p", str(_prompts(tmp_path)), "-j", "keyword", "-o", str(tmp_path / "r")]
    code, err = _exit(argv, capsys)
    assert code == 1 and "rows failed" in err and "--max-failed-share 0.2" in err
    assert (tmp_path / "r" / "summary.json").exists()  # the rows that worked are kept for a resume
    main([*argv[:-2], "-o", str(tmp_path / "r2"), "--max-failed-share", "1"])  # allowed: exits normally


def test_redteam_exits_1_when_more_attacks_fail_than_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import alignloop.models as models

    monkeypatch.setattr(models, "load_model", lambda spec, **kw: ScriptedModel(_flaky))
    argv = ["redteam", "run", "--budget", "12", "--rounds", "1", "-j", "keyword", "-o", str(tmp_path / "rt")]
    code, err = _exit(argv, capsys)
    assert code == 1 and "rows failed" in err
