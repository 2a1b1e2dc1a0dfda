"""The registered judges: guard (same label as `guard score`), llm (both rubrics), make_judge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alignloop._util.errors import UserError
from alignloop.guard import GuardJudge, LlmJudge, make_judge
from alignloop.models import ScriptedModel


@pytest.fixture
def lc() -> Any:
    from alignloop.constitution import load_constitution

    return load_constitution(None)


def test_llm_judge_parses_rubric_answers_and_flags_garbage(lc: Any) -> None:
    judge_model = ScriptedModel(["REFUSAL", "compliance.", "hmm, not sure"])
    v = LlmJudge(judge_model, lc.constitution).judge(["a", "b", "c"], ["x", "y", "z"])
    assert [x.refusal for x in v] == ["refusal", "compliance", "compliance"]
    assert v[2].error and not v[0].error
    prompt = judge_model.calls[0][-1]["content"]
    assert lc.constitution.principles[0].text[:30] in prompt  # rubric is built from the constitution


def test_llm_judge_preference_scores(lc: Any) -> None:
    j = LlmJudge(ScriptedModel(["A", "B", "TIE"]), lc.constitution)
    assert j.prefer(["p"] * 3, ["a"] * 3, ["b"] * 3) == [1.0, 0.0, 0.5]


def test_llm_judge_as_the_guards_detector_names_categories(lc: Any) -> None:
    from alignloop.guard._judge import JudgeParseError

    j = LlmJudge(ScriptedModel(["safe", "unsafe: cbrn", "unsafe: nonsense"]), lc.constitution)
    assert j.categories(["a", "b", "c"], ["p", "p", "p"]) == [None, "cbrn", "unspecified"]
    with pytest.raises(JudgeParseError):
        LlmJudge(ScriptedModel("maybe"), lc.constitution).categories(["a"])


def test_make_judge_errors_are_user_errors(lc: Any) -> None:
    with pytest.raises(UserError, match="unknown judge"):
        make_judge("oracle", lc)
    with pytest.raises(UserError, match="needs a model"):
        make_judge("llm", lc)
    assert make_judge("keyword", lc).name == "keyword"


def test_guard_judge_label_is_the_guard_score_label(hash_artifact: Path) -> None:
    from alignloop.guard import Guard

    g = Guard.load(artifact=hash_artifact)
    prompts = ["How do I make a bomb?", "How do I bake bread?"]
    replies = ["I'm sorry, but I can't help with that.", "Mix flour, water, salt and yeast, then bake."]
    verdicts = GuardJudge(guard=g).judge(prompts, replies)
    rows = [d.to_row("x") for d in g.check_outputs(prompts, replies)]
    assert [v.refusal for v in verdicts] == [r["refusal"] for r in rows]
    assert verdicts[0].refusal == "refusal" and verdicts[1].refusal == "compliance"
    assert set(verdicts[0].probs) == {"refusal", "partial", "compliance"}


def test_conversation_style_sends_the_bare_conversation_and_reads_llama_guard_answers(lc: Any) -> None:
    # Llama Guard answers "safe", or "unsafe" and a hazard code on the next line
    model = ScriptedModel(["unsafe\nS9", "safe", "unsafe\nS1"])
    j = LlmJudge(model, lc.constitution, style="conversation")
    assert j.categories(["how were nerve agents made?", "hi"]) == ["cbrn", None]  # S9: indiscriminate weapons
    assert model.calls[0] == [{"role": "user", "content": "how were nerve agents made?"}]
    assert j.categories(["Step one: ..."], ["how to hurt him"]) == ["violent_crime"]
    assert model.calls[2] == [
        {"role": "user", "content": "how to hurt him"},
        {"role": "assistant", "content": "Step one: ..."},
    ]
    rubric = LlmJudge(ScriptedModel("safe"), lc.constitution)
    rubric.categories(["hi"])
    assert "constitution" in rubric.model.calls[0][0]["content"]  # type: ignore[attr-defined]


def test_an_unknown_judge_style_is_a_user_error(lc: Any) -> None:
    with pytest.raises(UserError, match="judge style"):
        LlmJudge(ScriptedModel("safe"), lc.constitution, style="vibes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answer", "category"),
    [
        ("unsafe\nS2", "unspecified"),  # non-violent crimes: no single counterpart
        ("unsafe\nS5,S10", "hate_harassment"),  # the first code that maps
        ("\n\nunsafe\nS12", "adult_sexual"),
        ("unsafe", "unspecified"),
    ],
)
def test_hazard_codes_map_to_the_constitutions_categories(lc: Any, answer: str, category: str) -> None:
    assert LlmJudge(ScriptedModel(answer), lc.constitution, style="conversation").categories(["x"]) == [category]


def test_the_rubric_style_reads_category_ids_not_hazard_codes(lc: Any) -> None:
    from alignloop.guard._judge import JudgeParseError

    rubric = LlmJudge(ScriptedModel(["unsafe\nS9", "unsafe: CBRN", "safety first"]), lc.constitution)
    assert rubric.categories(["a", "b"]) == ["unspecified", "cbrn"]
    with pytest.raises(JudgeParseError):  # "safe" must be a word of its own
        rubric.categories(["c"])


def test_a_mapped_code_takes_its_categorys_action(hash_artifact: Path) -> None:
    from alignloop.guard import Guard

    g = Guard.load(artifact=hash_artifact, detectors=["llm_judge"])
    g.judge = LlmJudge(ScriptedModel("unsafe\nS12"), g.constitution.constitution, style="conversation")
    d = g.check_input("write me something steamy")
    adult = g.constitution.constitution.category("adult_sexual")
    assert [r.category for r in d.reasons] == ["adult_sexual"] and d.action == adult.input_action.value == "flag"
