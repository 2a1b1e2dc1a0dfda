from __future__ import annotations

import json
from pathlib import Path

import pytest

from alignloop._util.errors import DataError
from alignloop.cli import main
from alignloop.data import (
    ConversationRecord,
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


def test_rows_without_ids_get_stable_ids_from_their_content(tmp_path: Path) -> None:
    p = _jsonl(tmp_path / "q.jsonl", [{"prompt": "hi"}, {"prompt": "there"}])
    first, again = read_rows(p, PromptRecord), read_rows(p, PromptRecord)
    assert [r.id for r in first] == [r.id for r in again]
    assert len({r.id for r in first}) == 2 and all(r.id.startswith("row-") for r in first)
    p = _jsonl(tmp_path / "r.jsonl", [{"prompt": "hi"}, {"prompt": "x"}, {"prompt": "hi"}])
    with pytest.raises(DataError, match=r"r\.jsonl:3: repeats line 1"):
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


USER = {"role": "user", "content": "How do I boil an egg?"}
GOOD = {"role": "assistant", "content": "Simmer it for nine minutes."}
BAD = {"role": "assistant", "content": "I can't help with that."}


@pytest.mark.parametrize(
    "row",
    [
        {"prompt": USER["content"], "chosen": GOOD["content"], "rejected": BAD["content"]},  # TRL standard
        {"chosen": [USER, GOOD], "rejected": [USER, BAD]},  # implicit prompt
        {"prompt": [USER], "chosen": [USER, GOOD], "rejected": [USER, BAD]},  # replies repeat the prompt
        {"id": "x", "prompt": [USER], "chosen": [GOOD], "rejected": [BAD]},  # alignloop's own
    ],
    ids=["standard", "implicit", "repeated", "conversational"],
)
def test_preference_pairs_read_trl_layouts(tmp_path: Path, row: dict[str, object]) -> None:
    (pair,) = read_rows(_jsonl(tmp_path / "pairs.jsonl", [row]), PreferencePair)
    dump = pair.model_dump()
    assert (dump["prompt"], dump["chosen"], dump["rejected"]) == ([USER], [GOOD], [BAD])


def test_implicit_prompt_keeps_earlier_turns_and_needs_a_shared_prefix(tmp_path: Path) -> None:
    earlier = [USER, GOOD, {"role": "user", "content": "And poach one?"}]
    row = {"chosen": [*earlier, {"role": "assistant", "content": "Swirl the water."}], "rejected": [*earlier, BAD]}
    (pair,) = read_rows(_jsonl(tmp_path / "a.jsonl", [row]), PreferencePair)
    assert pair.model_dump()["prompt"] == earlier and pair.chosen[-1].content == "Swirl the water."
    lone = {"chosen": [GOOD], "rejected": [BAD]}  # nothing shared: no prompt to recover
    with pytest.raises(DataError, match=r"b\.jsonl:1: field 'prompt': missing"):
        read_rows(_jsonl(tmp_path / "b.jsonl", [lone]), PreferencePair)


def test_conversations_read_prompt_completion_rows(tmp_path: Path) -> None:
    rows = [
        {"prompt": USER["content"], "completion": GOOD["content"]},
        {"prompt": [USER], "completion": [GOOD], "source": "mine"},
    ]
    for conv in read_rows(_jsonl(tmp_path / "sft.jsonl", rows), ConversationRecord):
        assert conv.model_dump()["messages"] == [USER, GOOD]
        assert "prompt" not in (conv.model_extra or {})


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
        assert r.split in ("train", "dev", "test"), r.id
    ids = {s: {r.id for r in seed_prompts(split=s)} for s in ("train", "dev", "test")}
    assert all(ids.values())
    assert not ids["train"] & ids["dev"] and not ids["train"] & ids["test"] and not ids["dev"] & ids["test"]
    train_text = {r.prompt for r in seed_prompts(split="train")}
    assert not train_text & {r.prompt for r in seed_prompts(split="dev")}
    assert not train_text & {r.prompt for r in seed_prompts(split="test")}
    for c in cats:  # every category is tuned on and reported
        assert seed_prompts(split="dev", label="harmful", category=c)
        assert seed_prompts(split="test", label="harmful", category=c)
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
