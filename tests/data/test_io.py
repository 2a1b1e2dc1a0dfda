from __future__ import annotations

import json
from pathlib import Path

import pytest

from alignloop._util.errors import DataError
from alignloop.cli import main
from alignloop.data import (
    JsonlAppender,
    PreferencePair,
    PromptRecord,
    read_rows,
    seed_prompts,
    write_rows,
)


def _jsonl(p: Path, rows: list[object]) -> Path:
    p.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return p


def test_broken_line_names_file_and_line(tmp_path: Path) -> None:
    p = _jsonl(tmp_path / "p.jsonl", [{"id": "a", "prompt": "hi"}, '{"id": "b", "prompt": '])
    with pytest.raises(DataError, match=r"p\.jsonl:2: broken JSON"):
        read_rows(p, PromptRecord)


def test_bad_field_names_field(tmp_path: Path) -> None:
    p = _jsonl(tmp_path / "p.jsonl", [{"id": "a", "prompt": "hi"}, {"id": "b", "prompt": 3}])
    with pytest.raises(DataError, match=r"p\.jsonl:2: field 'prompt'"):
        read_rows(p, PromptRecord)
    p = _jsonl(tmp_path / "q.jsonl", [{"prompt": "hi"}])
    with pytest.raises(DataError, match=r"q\.jsonl:1: field 'id': missing"):
        read_rows(p, PromptRecord)


def test_duplicate_ids(tmp_path: Path) -> None:
    p = _jsonl(tmp_path / "p.jsonl", [{"id": "a", "prompt": "x"}, {"id": "a", "prompt": "y"}])
    with pytest.raises(DataError, match="duplicate id 'a' \\(first at line 1\\)"):
        read_rows(p, PromptRecord)


def _pair(chosen: str, rejected: str) -> dict[str, object]:
    return {
        "id": "p1",
        "prompt": [{"role": "user", "content": "q"}],
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
    }


@pytest.mark.parametrize("chosen,rejected,needle", [("same", "same", "identical"), ("", "x", "empty")])
def test_preference_pair_checks(tmp_path: Path, chosen: str, rejected: str, needle: str) -> None:
    p = _jsonl(tmp_path / "pairs.jsonl", [_pair(chosen, rejected)])
    with pytest.raises(DataError, match=needle):
        read_rows(p, PreferencePair)


@pytest.mark.parametrize("name", ["out.jsonl", "out.parquet", "out_ds"])
def test_round_trip_formats(tmp_path: Path, name: str) -> None:
    rows = [PromptRecord(id=f"r{i}", prompt=f"prompt {i}", label="benign") for i in range(5)]
    rows.append(
        PromptRecord(
            id="mt",
            prompt="and then?",
            messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
        )
    )  # type: ignore[list-item]
    out = write_rows(tmp_path / name, rows)
    back = read_rows(out, PromptRecord)
    assert [r.model_dump(exclude_none=True) for r in back] == [r.model_dump(exclude_none=True) for r in rows]
    assert back[-1].conversation()[-1] == {"role": "user", "content": "and then?"}


def test_appender_resumes_without_duplicates(tmp_path: Path) -> None:
    p = tmp_path / "out.jsonl"
    with JsonlAppender(p) as a:
        a.append({"id": "1", "x": 1})
        a.append({"id": "2", "x": 2})
    with p.open("a") as f:  # a kill mid-write leaves a torn line
        f.write('{"id": "3", "x"')
    with JsonlAppender(p) as a:
        assert a.done == {"1", "2"}
        a.append({"id": "3", "x": 3})
    assert [json.loads(x)["id"] for x in p.read_text().splitlines()] == ["1", "2", "3"]


def test_seed_data_volume_and_splits() -> None:
    harmful = seed_prompts(label="harmful")
    borderline = seed_prompts(label="borderline")
    benign = seed_prompts(label="benign")
    assert len(harmful) >= 600 and len(borderline) >= 400 and len(benign) >= 400
    cats = {r.category for r in harmful}
    assert len(cats) == 12
    for r in harmful + borderline + benign:
        assert r.split in ("train", "dev"), r.id
    train_ids = {r.id for r in seed_prompts(split="train")}
    dev_ids = {r.id for r in seed_prompts(split="dev")}
    assert train_ids and dev_ids and not train_ids & dev_ids
    train_text = {r.prompt for r in seed_prompts(split="train")}
    assert not train_text & {r.prompt for r in seed_prompts(split="dev")}
    for c in cats:  # every category is evaluated
        assert seed_prompts(split="dev", label="harmful", category=c)
    assert sum(bool(r.messages) for r in harmful) >= 30  # multi-turn forms exist


def test_data_cli_validate_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "dev.parquet"
    main(["data", "export", str(out), "--split", "dev", "--label", "borderline"])
    main(["data", "validate", str(out)])
    assert "valid prompts rows" in capsys.readouterr().out
    bad = _jsonl(tmp_path / "bad.jsonl", ["{not json"])
    with pytest.raises(SystemExit) as e:
        main(["data", "validate", str(bad)])
    assert e.value.code == 2
    assert "bad.jsonl:1" in capsys.readouterr().err
