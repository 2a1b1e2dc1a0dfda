from __future__ import annotations

from pathlib import Path

import pytest

from alignloop._util.errors import DataError, UserError
from alignloop.evals import EvalItem, file_items, is_dev, is_truncated, resolve_suites
from alignloop.evals._items import select
from alignloop.evals._suites import parse_choice


def test_is_dev_matches_the_guard_split_so_the_guard_never_judges_its_training_rows() -> None:
    from alignloop.guard import split_of

    for i in range(300):
        rid = f"row-{i}"
        assert is_dev(rid, None) == (split_of(rid, None) == "dev")
    assert is_dev("x", "dev") and not is_dev("x", "train")


def test_select_is_deterministic_and_spreads_over_categories() -> None:
    items = [EvalItem(f"{c}-{i}", "p", category=c) for c in "abc" for i in range(10)]
    first, again = select(items, 6), select(list(reversed(items)), 6)
    assert [x.id for x in first] == [x.id for x in again]
    assert sorted(x.category for x in first) == ["a", "a", "b", "b", "c", "c"]


def test_file_items_derive_missing_ids_and_reject_duplicates(tmp_path: Path) -> None:
    p = tmp_path / "p.jsonl"
    p.write_text('{"id": "a", "prompt": "hi"}\n{"prompt": "no id"}\n')
    ids = [it.id for it in file_items(p)]
    assert ids[0] == "a" and ids[1].startswith("row-") and ids == [it.id for it in file_items(p)]
    p.write_text('{"prompt": "twice"}\n{"prompt": "twice"}\n')
    with pytest.raises(DataError, match=r"p.jsonl:2: repeats line 1"):
        file_items(p)
    p.write_text('{"id": "a", "prompt": "hi"}\n{"id": "a", "prompt": "again"}\n')
    with pytest.raises(DataError, match="duplicate id 'a'"):
        file_items(p)
    p.write_text('{"id": "a", "prompt": "hi", "label": "harmful", "category": "cbrn"}\n')
    assert file_items(p)[0].category == "cbrn"


def test_unknown_suite_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown suite 'nope'"):
        resolve_suites(["nope"])


def test_degenerate_checks() -> None:
    assert is_truncated(" ".join(["word"] * 80), max_new_tokens=128)
    assert not is_truncated(" ".join(["word"] * 80) + ".", max_new_tokens=128)
    assert not is_truncated("Short.", max_new_tokens=128)


def test_parse_choice() -> None:
    choices = ["Paris", "Rome", "Berlin"]
    assert parse_choice("B) Rome", choices) == 1
    assert parse_choice("The answer is C.", choices) == 2
    assert parse_choice("I think it is Paris, definitely.", choices) == 0
    assert parse_choice("No idea at all.", choices) is None
