"""`alignloop train ...` commands: JSON output, clean stdout, exit code 2 on bad input."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from alignloop.cli import main
from alignloop.guard import KeywordJudge
from alignloop.train._recipe import BORDER_SHARE


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def _alignloop(capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*args: str) -> Result:
        code = 0
        try:
            main(list(args))
        except SystemExit as e:
            code = int(e.code or 0)
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return run


def test_train_dpo_json_and_merge(tiny_model_dir: Path, tmp_path: Path, pairs: Any, _alignloop: Any) -> None:
    data = tmp_path / "pairs.jsonl"
    data.write_text("\n".join(json.dumps(p) for p in pairs) + "\n")
    out = tmp_path / "dpo"
    r = _alignloop(
        "train",
        "dpo",
        "-m",
        str(tiny_model_dir),
        "-d",
        str(data),
        "-o",
        str(out),
        "--max-steps",
        "2",
        "--batch-size",
        "4",
        "--no-merge",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)  # stdout holds only the JSON, training logs went to stderr
    assert res["steps"] == 2 and res["model_dir"] is None
    r = _alignloop("train", "merge", "-a", res["adapter_dir"], "-o", str(tmp_path / "merged"), "--json")
    assert r.returncode == 0, r.stderr
    assert (Path(json.loads(r.stdout)["model_dir"]) / "config.json").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"id": "a", "prompt": [{"role": "user", "content": "q"}],'
            ' "chosen": [{"role": "assistant", "content": ""}],'
            ' "rejected": [{"role": "assistant", "content": "x"}]}',
            "pairs.jsonl:1",
        ),
        ("not json", "pairs.jsonl:1"),
    ],
)
def test_bad_preference_data_exits_2(
    tiny_model_dir: Path, tmp_path: Path, content: str, message: str, _alignloop: Any
) -> None:
    data = tmp_path / "pairs.jsonl"
    data.write_text(content + "\n")
    r = _alignloop("train", "dpo", "-m", str(tiny_model_dir), "-d", str(data), "-o", str(tmp_path / "o"))
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_missing_model_exits_2(tmp_path: Path, _alignloop: Any) -> None:
    data = tmp_path / "pairs.jsonl"
    data.write_text("")
    r = _alignloop("train", "sft", "-m", str(tmp_path / "nope"), "-d", str(data), "-o", str(tmp_path / "o"))
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_merge_without_adapter_exits_2(tmp_path: Path, _alignloop: Any) -> None:
    r = _alignloop("train", "merge", "-a", str(tmp_path), "-o", str(tmp_path / "m"))
    assert r.returncode == 2 and "adapter_config.json" in r.stderr


def test_train_data_writes_pairs_with_provenance(
    tiny_model_dir: Path, tmp_path: Path, _alignloop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import alignloop.train as tr

    monkeypatch.setattr(tr, "default_judge", lambda constitution=None: KeywordJudge())
    out = tmp_path / "data"
    r = _alignloop(
        "train", "data", "-m", str(tiny_model_dir), "-o", str(out), "--limit", "2", "--max-new-tokens", "4", "--json"
    )
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    meta = json.loads((out / "pairs.jsonl.meta.json").read_text())
    assert meta["constitution_hash"] == res["constitution_hash"] and meta["judge"] == "keyword"
    assert meta["sources"]["cai"]["mode"] == "refusal_style"  # a tiny model cannot critique itself
    assert res["counts"]["cai"] == sum(1 for _ in (out / "cai.jsonl").open())


@pytest.mark.parametrize(("args", "share"), [((), BORDER_SHARE), (("--border-share", "1"), 1.0)])
def test_train_data_passes_the_borderline_share(
    tiny_model_dir: Path,
    tmp_path: Path,
    _alignloop: Any,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    share: float,
) -> None:
    import alignloop.train as tr

    seen: dict[str, Any] = {}

    def fake_build(*a: Any, **kw: Any) -> Any:
        seen.update(kw)
        return tr.DataResult(pairs_path=tmp_path / "p.jsonl", sft_path=tmp_path / "s.jsonl", counts={})

    monkeypatch.setattr(tr, "default_judge", lambda constitution=None: KeywordJudge())
    monkeypatch.setattr(tr, "build_alignment_data", fake_build)
    r = _alignloop("train", "data", "-m", str(tiny_model_dir), "-o", str(tmp_path / "d"), "--limit", "8", *args)
    assert r.returncode == 0, r.stderr
    assert seen["border_share"] == share and seen["limit"] == 8


def test_train_data_rejects_a_share_outside_0_1(tiny_model_dir: Path, tmp_path: Path, _alignloop: Any) -> None:
    r = _alignloop("train", "data", "-m", str(tiny_model_dir), "-o", str(tmp_path / "d"), "--border-share", "1.5")
    assert r.returncode == 2 and "--border-share" in r.stderr and not (tmp_path / "d").exists()


def test_train_data_rejects_a_share_without_a_limit(tiny_model_dir: Path, tmp_path: Path, _alignloop: Any) -> None:
    r = _alignloop("train", "data", "-m", str(tiny_model_dir), "-o", str(tmp_path / "d"), "--border-share", "0.5")
    assert r.returncode == 2 and "only applies with --limit" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "d").exists()
