from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from evals_helpers import FakeEmbedder, refuse_if

from alignloop._util.errors import UserError
from alignloop.data import seed_prompts
from alignloop.evals import KeywordJudge, LlmJudge, evaluate, resolve_suites
from alignloop.models import ScriptedModel


def _rows(d: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (d / "results.jsonl").read_text().splitlines() if x.strip()]


def test_harmful_compliance_per_category_and_over_refusal(tmp_path: Path, lc: Any) -> None:
    cbrn = {r.prompt for r in seed_prompts(label="harmful", category="cbrn")}
    harmful = {r.prompt for r in seed_prompts(label="harmful")}
    # refuses every harmful prompt except cbrn ones, and answers everything else
    model = refuse_if(lambda t: t in harmful and t not in cbrn)
    res = evaluate(
        model, lc, resolve_suites(["harmful_compliance", "over_refusal"]), tmp_path / "run", [KeywordJudge()], limit=36
    )
    m = res.metrics
    assert m["harmful_compliance/cbrn"] == 1.0
    assert all(v == 0.0 for k, v in m.items() if k.startswith("harmful_compliance/") and k != "harmful_compliance/cbrn")
    assert m["over_refusal"] == 0.0
    hc = res.summary["suites"]["harmful_compliance"]["overall"]
    assert hc["n"] == 36 and 0 < hc["ci_low"] <= hc["value"] <= hc["ci_high"] < 1
    rows = _rows(tmp_path / "run")
    assert len(rows) == 72 and len({(r["suite"], r["id"]) for r in rows}) == 72
    assert all(r["label"] == "harmful" for r in rows if r["suite"] == "harmful_compliance")
    assert all(seed_prompts(split="dev") for _ in [0])  # rows come from the dev split
    dev_ids = {r.id for r in seed_prompts(split="dev")}
    assert {r["id"] for r in rows} <= dev_ids
    html = (tmp_path / "run" / "report.html").read_text()
    assert "<svg" in html and "cbrn" in html
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["metrics"] == m


def test_looping_refusals_count_as_refusals_and_are_reported_as_repetitive(tmp_path: Path, lc: Any) -> None:
    harmful = [r.prompt for r in seed_prompts(label="harmful", split="dev")]
    looping = set(harmful[::2])

    def reply(conv: Any) -> str:
        text = conv[-1]["content"]
        if text in looping:
            return "I can't help with that or violence" + " or violence" * 20
        return "I can't help with that. I can point you to official safety resources instead."

    res = evaluate(
        ScriptedModel(reply), lc, resolve_suites(["harmful_compliance"]), tmp_path / "run", [KeywordJudge()], limit=20
    )
    rows = _rows(tmp_path / "run")
    n_loops = sum(r["prompt"] in looping for r in rows)
    assert 0 < n_loops < 20
    assert res.metrics["harmful_compliance"] == 0.0  # still refusals
    assert [r["repetitive"] for r in rows] == [r["prompt"] in looping for r in rows]
    assert res.metrics["repetitive/harmful_compliance"] == pytest.approx(n_loops / 20)
    assert res.summary["suites"]["harmful_compliance"]["repetitive"]["k"] == n_loops


class Dies(ScriptedModel):
    """Answers ``n`` conversations, then raises KeyboardInterrupt like a kill."""

    def __init__(self, n: int) -> None:
        super().__init__("Sure, here you go.")
        self.left = n

    def generate(self, conversations, config=None, progress=None):  # type: ignore[no-untyped-def]
        if self.left < len(conversations):
            raise KeyboardInterrupt
        self.left -= len(conversations)
        return super().generate(conversations, config, progress)


def test_killed_run_resumes_without_lost_or_duplicated_rows(tmp_path: Path, lc: Any) -> None:
    suites = resolve_suites(["harmful_compliance"])
    with pytest.raises(KeyboardInterrupt):
        evaluate(Dies(16), lc, suites, tmp_path / "r", [KeywordJudge()], limit=40, chunk_size=8)
    assert len(_rows(tmp_path / "r")) == 16
    second = ScriptedModel("Sure, here you go.")
    res = evaluate(second, lc, suites, tmp_path / "r", [KeywordJudge()], limit=40, chunk_size=8)
    rows = _rows(tmp_path / "r")
    assert len(rows) == 40 and len({r["id"] for r in rows}) == 40
    assert len(second.calls) == 24  # only the missing rows were generated again
    assert res.summary["suites"]["harmful_compliance"]["overall"]["n"] == 40


def test_resuming_with_other_settings_is_refused(tmp_path: Path, lc: Any) -> None:
    evaluate(ScriptedModel("ok"), lc, resolve_suites(["over_refusal"]), tmp_path / "r", [KeywordJudge()], limit=2)
    with pytest.raises(UserError, match="different settings"):
        evaluate(ScriptedModel("ok"), lc, resolve_suites(["over_refusal"]), tmp_path / "r", [KeywordJudge()], limit=3)


def test_failing_endpoint_rows_are_retried_then_marked_failed(tmp_path: Path, lc: Any) -> None:
    items = resolve_suites(["over_refusal"])[0].items(6)
    bad = items[2].prompt

    def answer(conv: Any) -> str:
        if conv[-1]["content"] == bad:
            raise ConnectionError("endpoint died")
        return "Sure."

    res = evaluate(
        ScriptedModel(answer), lc, resolve_suites(["over_refusal"]), tmp_path / "r", [KeywordJudge()], limit=6
    )
    rows = _rows(tmp_path / "r")
    assert len(rows) == 6
    failed = [r for r in rows if r["status"] == "failed"]
    assert [r["id"] for r in failed] == [items[2].id] and "endpoint died" in failed[0]["error"]
    assert res.summary["failed_rows"][0]["id"] == items[2].id
    assert res.summary["suites"]["over_refusal"]["overall"]["n"] == 5


def test_two_judges_report_agreement(tmp_path: Path, lc: Any) -> None:
    judge_model = ScriptedModel(lambda conv: "COMPLIANCE" if len(conv[-1]["content"]) % 2 else "REFUSAL")
    res = evaluate(
        refuse_if(lambda t: False),
        lc,
        resolve_suites(["over_refusal"]),
        tmp_path / "r",
        [KeywordJudge(), LlmJudge(judge_model, lc.constitution)],
        limit=10,
    )
    rows = _rows(tmp_path / "r")
    expected = sum(r["verdicts"]["llm"]["refusal"] == "compliance" for r in rows) / len(rows)
    agreement = res.summary["suites"]["over_refusal"]["judge_agreement"]["keyword_vs_llm"]
    assert agreement["value"] == pytest.approx(expected)


def test_helpfulness_embedding_similarity_and_degenerate_text(tmp_path: Path, lc: Any) -> None:
    items = resolve_suites(["helpfulness"])[0].items(6)
    loop_prompt, refuse_prompt = items[0].prompt, items[1].prompt

    def target(conv: Any) -> str:
        p = conv[-1]["content"]
        if p == loop_prompt:
            return "again and again " * 40
        if p == refuse_prompt:
            return "I'm sorry, I can't help with that."
        return f"A clear answer to: {p}."

    reference = ScriptedModel(lambda conv: f"A clear answer to: {conv[-1]['content']}.")
    res = evaluate(
        ScriptedModel(target),
        lc,
        resolve_suites(["helpfulness"]),
        tmp_path / "r",
        [KeywordJudge()],
        limit=6,
        reference=reference,
        embedder=FakeEmbedder(),
    )
    s = res.summary["suites"]["helpfulness"]
    assert s["retention"]["k"] == 4 and s["retention"]["n"] == 6
    assert res.metrics["helpfulness_retention"] == pytest.approx(4 / 6)
    assert s["repetitive"]["k"] == 1
    words = [len(target([{"role": "user", "content": it.prompt}]).split()) for it in items]
    ref_words = [len(f"A clear answer to: {it.prompt}.".split()) for it in items]
    assert s["length_ratio"] == pytest.approx(sum(words) / sum(ref_words))


def test_helpfulness_uses_judge_preference_when_the_judge_can_compare(tmp_path: Path, lc: Any) -> None:
    judge = LlmJudge(
        ScriptedModel(lambda conv: "B" if "Reply A" in conv[-1]["content"] else "COMPLIANCE"), lc.constitution
    )
    res = evaluate(
        ScriptedModel("meh"),
        lc,
        resolve_suites(["helpfulness"]),
        tmp_path / "r",
        [judge],
        limit=3,
        reference=ScriptedModel("great"),
    )
    assert res.metrics["helpfulness_retention"] == 0.0
    assert all("preference" in r for r in _rows(tmp_path / "r"))


def _truth_answer(conv: Any, caves: bool) -> str:
    from alignloop.evals._suites import LETTERS, truth_items

    q = conv[0]["content"].split("\n\n")[0]
    item = next(it for it in truth_items(None) if it.prompt == q)
    right = f"{LETTERS[item.extra['correct']]}) {item.extra['choices'][item.extra['correct']]}"
    if len(conv) > 1 and caves:
        return conv[-1]["content"].split("answer is ")[1].split(". Are")[0]
    return right


@pytest.mark.parametrize("caves", [True, False])
def test_truthfulness_and_sycophancy_by_generation(tmp_path: Path, lc: Any, caves: bool) -> None:
    model = ScriptedModel(lambda conv: _truth_answer(conv, caves))
    model.supports_logprobs = False
    res = evaluate(model, lc, resolve_suites(["truthfulness", "sycophancy"]), tmp_path / "r", [KeywordJudge()], limit=8)
    assert res.metrics["truthfulness"] == 1.0
    assert res.metrics["sycophancy"] == (1.0 if caves else 0.0)
    assert res.summary["suites"]["sycophancy"]["overall"]["n"] == 8


def test_truthfulness_by_logprobs(tmp_path: Path, lc: Any) -> None:
    from alignloop.evals._suites import truth_items

    correct = {it.extra["choices"][it.extra["correct"]] for it in truth_items(None)}
    model = ScriptedModel("unused", logprob_fn=lambda conv, cont: 0.0 if cont.split(") ", 1)[1] in correct else -9.0)
    res = evaluate(model, lc, resolve_suites(["truthfulness"]), tmp_path / "r", [KeywordJudge()], limit=10)
    assert res.metrics["truthfulness"] == 1.0
    assert not model.calls  # scored without generating
    assert all(r["method"] == "logprobs" for r in _rows(tmp_path / "r"))


def test_resuming_with_retrained_weights_is_refused(tmp_path: Path, lc: Any, tiny_hf_model: Any) -> None:
    import torch

    suites = resolve_suites(["over_refusal"])
    first = tiny_hf_model.fingerprint()
    evaluate(tiny_hf_model, lc, suites, tmp_path / "r", [KeywordJudge()], limit=2, max_new_tokens=4)
    assert tiny_hf_model.fingerprint() == first  # evaluating does not move it
    # the same weights resume (nothing to generate); new weights under the same name are refused
    evaluate(tiny_hf_model, lc, suites, tmp_path / "r", [KeywordJudge()], limit=2, max_new_tokens=4)
    with torch.no_grad():
        layer = tiny_hf_model.model.model.layers[0].mlp.down_proj.weight
        layer += 1e-3 * torch.randn_like(layer)  # what a merged LoRA delta does to a tensor
    assert tiny_hf_model.fingerprint() != first
    with pytest.raises(UserError, match="other weights of 'tiny'"):
        evaluate(tiny_hf_model, lc, suites, tmp_path / "r", [KeywordJudge()], limit=2, max_new_tokens=4)


def test_resuming_with_another_model_name_is_refused(tmp_path: Path, lc: Any) -> None:
    suites = resolve_suites(["over_refusal"])
    evaluate(ScriptedModel("ok", name="a"), lc, suites, tmp_path / "r", [KeywordJudge()], limit=2)
    with pytest.raises(UserError, match="different settings"):
        evaluate(ScriptedModel("ok", name="b"), lc, suites, tmp_path / "r", [KeywordJudge()], limit=2)


def test_a_partial_refusal_fails_both_harmful_compliance_and_over_refusal(tmp_path: Path, lc: Any) -> None:
    from alignloop.guard import Judge, Verdict

    class Partial(Judge):
        name = "partial"

        def judge(self, prompts: Any, responses: Any) -> list[Verdict]:
            return [Verdict("partial", judge=self.name) for _ in responses]

    res = evaluate(
        ScriptedModel("I can't give every step, but in general: ..."),
        lc,
        resolve_suites(["harmful_compliance", "over_refusal"]),
        tmp_path / "r",
        [Partial()],
        limit=4,
    )
    assert res.metrics["harmful_compliance"] == 1.0 and res.metrics["over_refusal"] == 1.0
