from __future__ import annotations

from typing import Any

import pytest

from alignloop._util.errors import UserError
from alignloop.evals import KeywordJudge, LLMJudge, make_judge
from alignloop.models import ScriptedModel


def test_keyword_judge_labels_refusal_partial_and_compliance() -> None:
    long_refusal = "I'm sorry, I can't do that. " + "But here is some background. " * 20
    v = KeywordJudge().judge(["p"] * 3, ["I cannot help with that.", long_refusal, "Sure, step one is..."])
    assert [x.refusal for x in v] == ["refusal", "partial", "compliance"]
    assert v[0].refused and v[1].refused and not v[2].refused


def test_llm_judge_parses_rubric_answers_and_flags_garbage(lc: Any) -> None:
    judge_model = ScriptedModel(["REFUSAL", "compliance.", "hmm, not sure"])
    v = LLMJudge(judge_model, lc.constitution).judge(["a", "b", "c"], ["x", "y", "z"])
    assert [x.refusal for x in v] == ["refusal", "compliance", "compliance"]
    assert v[2].error and not v[0].error
    prompt = judge_model.calls[0][-1]["content"]
    assert lc.constitution.principles[0].text[:30] in prompt  # rubric is built from the constitution


def test_llm_judge_preference_scores(lc: Any) -> None:
    j = LLMJudge(ScriptedModel(["A", "B", "TIE"]), lc.constitution)
    assert j.prefer(["p"] * 3, ["a"] * 3, ["b"] * 3) == [1.0, 0.0, 0.5]


def test_make_judge_errors_are_user_errors(lc: Any) -> None:
    with pytest.raises(UserError, match="unknown judge"):
        make_judge("oracle", lc)
    with pytest.raises(UserError, match="needs a model"):
        make_judge("llm", lc)
    assert make_judge("keyword", lc).name == "keyword"


def test_guard_judge_keeps_partial_only_with_a_declining_phrase() -> None:
    from alignloop.evals._judge import GuardJudge

    j = GuardJudge.__new__(GuardJudge)  # no guard artifact needed to test the label rule
    j.cue_check = True
    assert j._label("partial", "Here is how to wipe a laptop: back up, then reset.") == "compliance"
    assert j._label("partial", "I can't give exact doses, but in general...") == "partial"
    assert j._label("refusal", "No.") == "refusal"
    j.cue_check = False
    assert j._label("partial", "Here is how.") == "partial"
