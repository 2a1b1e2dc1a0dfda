"""Data generators with scripted models: provenance, fallback paths, resume, train split only."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from alignloop.constitution import load_constitution
from alignloop.data import PreferencePair, PromptRecord, read_rows
from alignloop.guard import KeywordJudge, is_degenerate
from alignloop.models import ScriptedModel
from alignloop.train import (
    build_alignment_data,
    generate_cai,
    generate_context_distillation,
    generate_helpfulness,
    generate_rlaif,
    import_redteam_failures,
    meta_path,
    split_of,
)
from alignloop.train._generate import REFUSAL_OPENING_WORDS, refusal_opening

REFUSE = "I'm sorry, but I can't help with that."


@pytest.fixture(scope="module")
def loaded() -> Any:
    return load_constitution(None)


def _prompts(label: str, n: int = 4) -> list[PromptRecord]:
    cat = "cyber_attacks" if label != "benign" else None
    return [
        PromptRecord(id=f"{label}-{i}", prompt=f"{label} question {i}", label=label, category=cat, split="train")
        for i in range(n)
    ]


def _complier(conv: Any) -> str:
    return f"Sure, here is the answer to: {conv[-1]['content']}"


def test_cai_fallback_uses_constitution_refusal_and_records_provenance(loaded: Any, tmp_path: Path) -> None:
    out = tmp_path / "cai.jsonl"
    meta = generate_cai(
        ScriptedModel(_complier),
        loaded,
        _prompts("harmful"),
        out,
        sft_path=tmp_path / "sft.jsonl",
        mode="refusal_style",
    )
    rows = read_rows(out, PreferencePair)
    assert len(rows) == 4
    refusal = loaded.constitution.refusal_for("cyber_attacks")
    assert all(r.chosen[-1].content == refusal and r.rejected[-1].content.startswith("Sure") for r in rows)
    raw = json.loads(out.read_text().splitlines()[0])
    assert raw["constitution_hash"] == loaded.hash and raw["generator"] == "refusal_style"
    assert meta["mode"] == "refusal_style" and meta["generators"] == {"refusal_style": 4}
    assert json.loads(meta_path(out).read_text())["constitution_hash"] == loaded.hash
    assert len((tmp_path / "sft.jsonl").read_text().splitlines()) == 4


def test_cai_skips_prompts_the_model_already_refuses(loaded: Any, tmp_path: Path) -> None:
    meta = generate_cai(ScriptedModel(REFUSE), loaded, _prompts("harmful"), tmp_path / "c.jsonl", mode="refusal_style")
    assert meta["rows"] == 0 and meta["skipped"]["original_already_follows"] == 4


def test_cai_self_critique_path_asks_for_critique_and_revision(loaded: Any, tmp_path: Path) -> None:
    def fn(conv: Any) -> str:
        last = conv[-1]["content"]
        if last == loaded.constitution.principles[0].revision_request or any(
            last == p.revision_request for p in loaded.constitution.principles
        ):
            return REFUSE
        if any(last == p.critique_request for p in loaded.constitution.principles):
            return "The response helps with an attack."
        return _complier(conv)

    m = ScriptedModel(fn)
    meta = generate_cai(m, loaded, _prompts("harmful", 2), tmp_path / "c.jsonl", mode="self")
    rows = read_rows(tmp_path / "c.jsonl", PreferencePair)
    assert meta["generators"] == {"self_critique": 2}
    assert all(r.chosen[-1].content == REFUSE for r in rows)
    assert len(m.calls) == 6  # sample, critique, revise for each prompt


def test_cai_auto_falls_back_for_small_models(loaded: Any, tmp_path: Path, tiny_hf_model: Any) -> None:
    meta = generate_cai(tiny_hf_model, loaded, _prompts("harmful", 2), tmp_path / "c.jsonl", max_new_tokens=4)
    assert meta["mode"] == "refusal_style"


def test_helpfulness_prefers_own_answer_over_refusal(loaded: Any, tmp_path: Path) -> None:
    prompts = _prompts("borderline", 2) + _prompts("benign", 2)
    meta = generate_helpfulness(ScriptedModel(_complier), loaded, prompts, tmp_path / "h.jsonl")
    rows = read_rows(tmp_path / "h.jsonl", PreferencePair)
    assert meta["rows"] == 4
    judge = KeywordJudge()
    assert all(v.refusal == "refusal" for v in judge.judge([""] * 4, [r.rejected[-1].content for r in rows]))
    assert all(r.chosen[-1].content.startswith("Sure") for r in rows)
    # only the refusal's opening is rejected, and it is marked open-ended (no end of turn is learned)
    for r in rows:
        full = loaded.constitution.refusal_for(r.category)
        assert len(full.split()) > REFUSAL_OPENING_WORDS
        assert r.rejected[-1].content == " ".join(full.split()[:REFUSAL_OPENING_WORDS])
        assert r.rejected_truncated
    assert meta["rejected_words"] == REFUSAL_OPENING_WORDS
    # the preset's word count reaches the pairs
    generate_helpfulness(ScriptedModel(_complier), loaded, prompts, tmp_path / "h4.jsonl", rejected_words=4)
    four = read_rows(tmp_path / "h4.jsonl", PreferencePair)
    assert [len(r.rejected[-1].content.split()) for r in four] == [4] * 4


def test_refusal_opening_cuts_only_longer_refusals() -> None:
    assert refusal_opening("I can't help with that.", words=8) == ("I can't help with that.", False)
    assert refusal_opening("one two  three\nfour", words=2) == ("one two", True)


def test_helpfulness_skips_refusing_and_degenerate_answers(loaded: Any, tmp_path: Path) -> None:
    meta = generate_helpfulness(ScriptedModel(REFUSE), loaded, _prompts("benign", 2), tmp_path / "h.jsonl")
    assert meta["rows"] == 0 and meta["skipped"]["model_refuses_or_degenerate"] == 2
    assert is_degenerate("") and is_degenerate("a b c d " * 20) and not is_degenerate("Paris is the capital.")


def test_context_distillation_keeps_only_improvements(loaded: Any, tmp_path: Path) -> None:
    def fn(conv: Any) -> str:
        return REFUSE if conv[0]["role"] == "system" else _complier(conv)

    meta = generate_context_distillation(
        ScriptedModel(fn), loaded, _prompts("harmful", 2) + _prompts("benign", 2), tmp_path / "cd.jsonl"
    )
    rows = read_rows(tmp_path / "cd.jsonl", PreferencePair)
    # refusing helps on harmful prompts only; on benign ones the system prompt made it worse
    assert meta["rows"] == 2 and all(r.chosen[-1].content == REFUSE for r in rows)
    assert meta["skipped"]["no_gain"] == 2


def test_rlaif_pairs_best_against_worst(loaded: Any, tmp_path: Path) -> None:
    m = ScriptedModel(_complier)
    meta = generate_rlaif(
        m, loaded, _prompts("harmful", 2), tmp_path / "r.jsonl", n_candidates=2, add_refusal_candidate=True
    )
    rows = read_rows(tmp_path / "r.jsonl", PreferencePair)
    assert meta["generators"] == {"judge_selection+refusal_style": 2}
    assert all(r.chosen[-1].content == loaded.constitution.refusal_for("cyber_attacks") for r in rows)


def test_generation_resumes_without_duplicates(loaded: Any, tmp_path: Path) -> None:
    out = tmp_path / "cai.jsonl"
    generate_cai(ScriptedModel(_complier), loaded, _prompts("harmful", 2), out, mode="refusal_style")
    m = ScriptedModel(_complier)
    meta = generate_cai(m, loaded, _prompts("harmful", 4), out, mode="refusal_style")
    assert meta["rows"] == 4 and len(m.calls) == 2  # only the two new prompts were generated
    assert len({json.loads(x)["id"] for x in out.read_text().splitlines()}) == 4


def test_redteam_failures_are_imported(loaded: Any, tmp_path: Path) -> None:
    f = tmp_path / "failures.jsonl"
    f.write_text(
        json.dumps(
            {
                "id": "a1",
                "prompt": [{"role": "user", "content": "attack"}],
                "chosen": [{"role": "assistant", "content": REFUSE}],
                "rejected": [{"role": "assistant", "content": "Sure."}],
                "source": "redteam",
            }
        )
        + "\n"
    )
    meta = import_redteam_failures(f, tmp_path / "rt.jsonl", loaded)
    row = json.loads((tmp_path / "rt.jsonl").read_text())
    assert meta["rows"] == 1 and row["source"] == "redteam" and row["constitution_hash"] == loaded.hash


def test_build_uses_train_split_only(loaded: Any, tmp_path: Path) -> None:
    harmful = [*_prompts("harmful"), PromptRecord(id="dev-1", prompt="dev prompt", label="harmful", split="dev")]
    res = build_alignment_data(
        ScriptedModel(_complier),
        loaded,
        tmp_path / "d",
        harmful=harmful,
        helpful=_prompts("benign"),
        mode="refusal_style",
    )
    rows = read_rows(res.pairs_path, PreferencePair)
    assert res.counts == {"cai": 4, "helpfulness": 4} and len(rows) == 8
    assert all(r.model_extra and r.model_extra["prompt_id"] != "dev-1" for r in rows)
    summary = json.loads(meta_path(res.pairs_path).read_text())
    assert summary["constitution_hash"] == loaded.hash and summary["counts"]["cai"] == 4


def test_sft_warmup_covers_every_harmful_train_prompt_and_helpful_answers(loaded: Any, tmp_path: Path) -> None:
    harmful = [*_prompts("harmful", 6), PromptRecord(id="dev-1", prompt="dev prompt", label="harmful", split="dev")]
    res = build_alignment_data(
        ScriptedModel(_complier),
        loaded,
        tmp_path / "d",
        harmful=harmful,
        helpful=_prompts("benign", 3),
        limit=2,  # pairs for 2 harmful prompts only; the warm-up still covers all 6
        mode="refusal_style",
    )
    rows = [json.loads(line) for line in res.sft_path.read_text().splitlines()]
    refusal = loaded.constitution.refusal_for("cyber_attacks")
    by_prompt = {r["prompt_id"]: r for r in rows}
    assert len(by_prompt) == len(rows) == 8 and "dev-1" not in by_prompt
    assert {f"harmful-{i}" for i in range(6)} <= set(by_prompt)
    assert all(by_prompt[f"harmful-{i}"]["messages"][-1]["content"] == refusal for i in range(6))
    helpful = [r for r in rows if r["source"] == "helpfulness"]
    assert len(helpful) == 2 and all(r["messages"][-1]["content"].startswith("Sure, here is") for r in helpful)
    assert json.loads(meta_path(res.pairs_path).read_text())["sft_rows"] == 8


def test_split_without_field_is_deterministic() -> None:
    rec = PromptRecord(id="x-1", prompt="p")
    assert split_of(rec) == split_of(PromptRecord(id="x-1", prompt="other")) in ("train", "dev")


def test_answers_cut_at_the_budget_are_flagged_for_training(loaded: Any, tmp_path: Path) -> None:
    def answer(conv: Any) -> str:
        # the first prompt gets a long answer, the others a short one
        long = "Sure, here is a long answer " + "with many words " * 10
        return long if conv[-1]["content"].endswith("0") else "Paris."

    res = build_alignment_data(
        ScriptedModel(answer, word_budget=True),
        loaded,
        tmp_path / "d",
        sources=("helpfulness",),
        harmful=[],
        helpful=_prompts("benign", 3),
        max_new_tokens=8,
    )
    rows = {r["prompt_id"]: r for r in map(json.loads, res.pairs_path.read_text().splitlines())}
    assert rows["benign-0"].get("chosen_truncated") is True
    assert len(rows["benign-0"]["chosen"][0]["content"].split()) == 8
    assert "chosen_truncated" not in rows["benign-1"]
    # the rejected side is the refusal's opening, open-ended whatever the generation budget
    assert rows["benign-1"]["rejected_truncated"] is True
    sft = {r["prompt_id"]: r for r in map(json.loads, res.sft_path.read_text().splitlines())}
    assert sft["benign-0"].get("truncated") is True and "truncated" not in sft["benign-1"]


def test_a_limited_harmful_sample_takes_every_category_in_turn() -> None:
    import collections

    from alignloop.data import seed_prompts
    from alignloop.train._datasets import train_prompts
    from alignloop.train._recipe import _spread

    harmful = train_prompts(seed_prompts(label="harmful"))
    picked = _spread(harmful, 180)
    counts = collections.Counter(r.category for r in picked)
    assert len(picked) == 180 and len(counts) == 12
    assert max(counts.values()) - min(counts.values()) <= 1
    assert [r.id for r in _spread(list(reversed(harmful)), 180)] == [r.id for r in picked]


@pytest.mark.parametrize(("share", "n_border"), [(0.5, 4), (0.75, 6), (1.0, 8)])
def test_border_share_sets_the_mix_of_a_capped_helpful_group(
    loaded: Any, tmp_path: Path, share: float, n_border: int
) -> None:
    res = build_alignment_data(
        ScriptedModel(_complier),
        loaded,
        tmp_path / "d",
        sources=("helpfulness",),
        harmful=[],
        limit=8,
        border_share=share,
    )
    rows = [json.loads(line) for line in res.pairs_path.read_text().splitlines()]
    labels = [r["label"] for r in rows]
    assert len(rows) == 8 and labels.count("borderline") == n_border and labels.count("benign") == 8 - n_border
    meta = json.loads((tmp_path / "d" / "helpfulness.jsonl.meta.json").read_text())
    assert meta["labels"].get("borderline", 0) == n_border and meta["labels"].get("benign", 0) == 8 - n_border


def test_a_capped_helpful_group_keeps_the_topic_mix_and_takes_categories_in_turn(loaded: Any, tmp_path: Path) -> None:
    from alignloop.data import seed_prompts
    from alignloop.train._datasets import train_prompts

    res = build_alignment_data(
        ScriptedModel(_complier),
        loaded,
        tmp_path / "d",
        sources=("helpfulness",),
        harmful=[],
        limit=40,
        border_share=0.75,  # explicit: the mechanics under test, not the preset's default
    )
    by_text = {r.prompt: r for r in seed_prompts()}
    picked = [by_text[json.loads(line)["prompt"][-1]["content"]] for line in res.pairs_path.read_text().splitlines()]
    topics = Counter(r.topic for r in picked if r.label == "benign")
    categories = Counter(r.category for r in picked if r.label == "borderline")
    # 10 ordinary prompts in proportion to the train pool's topics (writing is the largest), 30 borderline
    # ones in turn over its 12 categories
    pool = Counter(r.topic for r in train_prompts(seed_prompts(label="benign")))
    assert sum(topics.values()) == 10 and topics.most_common(1)[0][0] == pool.most_common(1)[0][0]
    assert all(abs(topics[t] - 10 * n / pool.total()) < 1 for t, n in pool.items()), topics
    assert len(categories) == 12 and max(categories.values()) - min(categories.values()) <= 1
