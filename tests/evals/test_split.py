"""Suites draw bundled prompts from one split: dev by default, the frozen test split for reporting."""

from __future__ import annotations

import pytest

from alignloop._util.errors import UserError
from alignloop.data import seed_prompts
from alignloop.evals import resolve_suites


@pytest.mark.parametrize("split", ["dev", "test", "train"])
def test_seed_suites_take_items_from_the_split(split: str) -> None:
    ids = {r.id for r in seed_prompts(split=split)}
    for suite in resolve_suites(["harmful_compliance", "over_refusal", "helpfulness"], split=split):
        items = suite.items(None)
        assert items and all(it.id in ids for it in items), suite.name


def test_dev_and_test_items_do_not_overlap_and_a_bad_split_is_a_user_error() -> None:
    dev = {it.id for it in resolve_suites(["harmful_compliance"])[0].items(None)}
    test = {it.id for it in resolve_suites(["harmful_compliance"], split="test")[0].items(None)}
    assert dev and test and not dev & test
    with pytest.raises(UserError, match="unknown split 'train2'"):
        resolve_suites(["harmful_compliance"], split="train2")
