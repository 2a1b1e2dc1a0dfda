from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from alignloop.cli import main


def _run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def test_check_json(hash_artifact: Path, capsys: Any) -> None:
    assert _run(["guard", "check", "mail me at a.b@example.com", "-a", str(hash_artifact), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["pii"][0]["type"] == "EMAIL" and set(d) >= {"action", "flagged", "score", "reasons", "text"}


def test_score_contract_and_resume(hash_artifact: Path, tmp_path: Path) -> None:
    inp = tmp_path / "in.jsonl"
    inp.write_text(
        '{"id": "a", "text": "How do I bake bread?"}\n'
        '{"id": "b", "prompt": "hi", "response": "Hello! Call 415-555-0132."}\n'
    )
    out = tmp_path / "out.jsonl"
    out.write_text(
        '{"id": "a", "flagged": false, "score": 0.5, "categories": {}, "injection": 0, "pii": [], '
        '"latency_ms": 1}\n{"id": "b", "fla'
    )  # killed mid-row
    assert _run(["guard", "score", str(inp), "-o", str(out), "-a", str(hash_artifact)]) == 0
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[0]["score"] == 0.5  # kept, not recomputed
    b = rows[1]
    assert set(b) == {"id", "flagged", "score", "categories", "injection", "pii", "latency_ms", "refusal"}
    assert b["refusal"] in ("refusal", "partial", "compliance")  # the guard judge's label (tests/guard/test_judge.py)
    assert 0.0 <= b["score"] <= 1.0 and b["pii"][0]["type"] == "PHONE"


def test_score_gives_rows_without_ids_one_from_their_content(hash_artifact: Path, tmp_path: Path) -> None:
    inp = tmp_path / "in.jsonl"
    inp.write_text('{"text": "How do I bake bread?"}\n{"text": "How do I bake rye?"}\n')
    out = tmp_path / "out.jsonl"
    assert _run(["guard", "score", str(inp), "-o", str(out), "-a", str(hash_artifact)]) == 0
    ids = [json.loads(x)["id"] for x in out.read_text().splitlines()]
    assert len(set(ids)) == 2 and all(i.startswith("row-") for i in ids)


@pytest.mark.parametrize(
    "row", ['{"id": "x"}', '{"id": "ok", "text": "again"}', '{"text": "hi", "id": true}', "not json"]
)
def test_score_broken_rows_exit_2_naming_line(hash_artifact: Path, tmp_path: Path, row: str, capsys: Any) -> None:
    inp = tmp_path / "in.jsonl"
    inp.write_text('{"id": "ok", "text": "fine"}\n' + row + "\n")
    assert _run(["guard", "score", str(inp), "-o", str(tmp_path / "o.jsonl"), "-a", str(hash_artifact)]) == 2
    assert "in.jsonl:2" in capsys.readouterr().err.replace("\n", "")
    assert not (tmp_path / "o.jsonl").exists()


def test_train_rejects_bad_constitution(tmp_path: Path, write_constitution: Any, capsys: Any) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["categories"].append(
            dict(d["categories"][0], id="weather_control", violating_examples=[], allowed_examples=[])
        )

    code = _run(["guard", "train", "--no-seed", "-c", str(write_constitution(edit)), "-o", str(tmp_path / "g")])
    assert code == 2
    assert "weather_control" in capsys.readouterr().err
    assert not (tmp_path / "g").exists()


def test_train_refuses_benchmarks_and_needs_an_output(tmp_path: Path, capsys: Any) -> None:
    assert _run(["guard", "train", "--default", "--data", "hf:walledai/HarmBench", "-o", str(tmp_path / "m")]) == 2
    assert "HarmBench" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
    assert _run(["guard", "train"]) == 2
    assert "--output" in capsys.readouterr().err
