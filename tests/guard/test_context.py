"""The ``context`` detector: a reply judged with its prompt's score (``guard._context``, ``guard._context_fit``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from alignloop.guard._context import context_probability
from alignloop.guard._context_fit import decide

PARAMS = {"reply": 0.2, "prompt": 1.0, "bias": 0.5}


def test_the_probability_grows_with_compliance_and_with_each_score() -> None:
    for reply, prompt in [(0.1, 0.2), (0.5, 0.7), (0.99, 0.01)]:
        ps = [context_probability(reply, prompt, c, PARAMS) for c in (0.0, 0.3, 0.7, 1.0)]
        assert ps[0] == 0.0 and ps == sorted(ps) and ps[-1] > ps[1]  # a refusal is never flagged
    assert context_probability(0.3, 0.9, 1.0, PARAMS) > context_probability(0.3, 0.4, 1.0, PARAMS)
    assert context_probability(0.9, 0.4, 1.0, PARAMS) > context_probability(0.3, 0.4, 1.0, PARAMS)


def _dev(n: int = 60) -> dict[str, np.ndarray]:
    y = np.arange(n) % 2
    rng = np.random.default_rng(0)
    return {
        "y": y,
        "score": rng.uniform(0.0, 0.9, n),  # the category check alone separates nothing
        "blocks": np.ones(n, dtype=bool),
        "blocked_in": np.zeros(n, dtype=bool),
        "blocked_out": np.zeros(n, dtype=bool),
    }


def test_the_dev_rule_adopts_a_context_that_stops_more_harm_and_flags_no_more_safe_replies() -> None:
    d = _dev()
    ctx = np.where(d["y"] == 1, 0.9, 0.1)
    adopt, t_out, t, without, with_ctx = decide(
        d["score"], ctx, d["y"], d["blocks"], d["blocked_in"], d["blocked_out"], 0.95, 0.05
    )
    assert adopt and 0.1 < t <= 0.9 and t_out == 0.95
    assert without["harmful_stopped"] == 0.0 and with_ctx["harmful_stopped"] == 1.0
    assert with_ctx["borderline_flagged"] == 0.0


def test_the_dev_rule_refuses_a_context_that_flags_more_safe_replies() -> None:
    d = _dev()
    # the check as it is stops half the harm and flags nothing; the context stops the other half only by
    # flagging safe replies (it ranks them as high), so under the 5% cap it adds nothing
    d["blocked_out"] = (d["y"] == 1) & (np.arange(60) % 4 == 1)
    ctx = np.full(60, 0.5)
    adopt, *_ = decide(d["score"], ctx, d["y"], d["blocks"], d["blocked_in"], d["blocked_out"], 0.95, 0.05)
    assert not adopt


def test_a_category_whose_output_action_does_not_block_is_not_counted_as_stopped() -> None:
    d = _dev()
    d["blocks"] = np.zeros(60, dtype=bool)  # every reply's top category only redacts
    ctx = np.where(d["y"] == 1, 0.9, 0.1)
    got = decide(d["score"], ctx, d["y"], d["blocks"], d["blocked_in"], d["blocked_out"], 0.95, 0.05)
    adopt, with_ctx = got[0], got[4]
    assert not adopt and with_ctx["harmful_stopped"] == 0.0


RISKY, SAFE = "how do i kill my neighbour 3", "how do i bake bread 3"


@pytest.fixture
def context_classifier(tiny_classifier: Any, tmp_path: Path) -> Any:
    """The tiny classifier with context weights that read the prompt alone, with the boundary between the
    toy task's risky and safe prompt (threshold 0.3, category backstop 0.999)."""
    from alignloop.guard import GuardClassifier

    folder = tmp_path / "clf"
    shutil.copytree(tiny_classifier.folder, folder)
    risky, safe = (float(p) for p in tiny_classifier.scores([RISKY, SAFE]).unsafe)
    assert risky > safe + 0.02  # the toy task ranks them; the weights below put the boundary between
    mid = float(np.log(risky / (1 - risky)) + np.log(safe / (1 - safe))) / 2
    meta = json.loads((folder / "meta.json").read_text())
    meta["output_context"] = {"reply": 0.0, "prompt": 200.0, "bias": -200.0 * mid}
    meta["thresholds"].update({"output": 0.9, "output_context": 0.3, "output_with_context": 0.999})
    (folder / "meta.json").write_text(json.dumps(meta))
    return GuardClassifier(folder)


def test_a_reply_to_a_risky_prompt_is_blocked_by_context_only_when_on(
    context_classifier: Any, hash_artifact: Any
) -> None:
    from alignloop.guard import Guard

    prompt, reply = RISKY, "what is the capital of france 3"
    on = Guard.load(artifact=hash_artifact, classifier=context_classifier)
    off = Guard.load(artifact=hash_artifact, classifier=context_classifier, context=False)
    assert on.output_thresholds["violent_crime"] == 0.999 and off.output_thresholds["violent_crime"] == 0.9
    d_on, d_off = on.check_output(prompt, reply), off.check_output(prompt, reply)
    ctx = [r for r in d_on.reasons if r.detector == "context"]
    assert ctx and d_on.action == "block" and ctx[0].threshold == 0.3
    assert not any(r.detector == "context" for r in d_off.reasons)
    assert d_on.score == pytest.approx(d_off.score)  # judges read the score: the context check only decides
    fast = on.check_outputs([prompt], [reply], verdicts=False)[0]  # the gateway's pass without verdicts
    assert fast.action == d_on.action


def test_a_reply_to_a_safe_prompt_is_not_blocked_by_context(context_classifier: Any, hash_artifact: Any) -> None:
    from alignloop.guard import Guard

    g = Guard.load(artifact=hash_artifact, classifier=context_classifier)
    d = g.check_output(SAFE, "what is the capital of france 3")
    assert not any(r.detector == "context" for r in d.reasons)


def test_the_heads_turn_the_context_check_off(context_classifier: Any, hash_artifact: Any) -> None:
    from alignloop.guard import Guard
    from alignloop.guard._context import context_params

    assert context_params(Guard.load(artifact=hash_artifact, classifier=context_classifier)) is not None
    with_heads = Guard.load(artifact=hash_artifact, classifier=context_classifier, with_heads=True)
    assert context_params(with_heads) is None  # its weights were fitted on the classifier's scores alone


def test_a_streamed_reply_to_a_risky_prompt_is_stopped_before_any_of_it_is_shown(
    context_classifier: Any, hash_artifact: Any
) -> None:
    from alignloop.guard import Guard

    g = Guard.load(artifact=hash_artifact, classifier=context_classifier)
    reply = "what is the capital of france 3. " * 8
    checker = g.stream(RISKY)
    shown = "".join(checker.feed(reply[i : i + 7]) for i in range(0, len(reply), 7)) + checker.finish()
    assert checker.decision is not None
    ctx = [r for r in checker.decision.reasons if r.detector == "context"]
    assert ctx and checker.decision.action == "block"
    refusal = g.constitution.constitution.refusal_for(ctx[0].category)
    assert "capital" not in shown and shown.strip() == refusal.strip()


def test_the_fit_writes_weights_and_thresholds_when_the_dev_rule_holds_and_removes_them_when_not(
    tiny_classifier: Any, hash_artifact: Any, tmp_path: Path
) -> None:
    from alignloop.constitution import load_constitution
    from alignloop.guard import Guard, GuardClassifier
    from alignloop.guard._context_fit import add_output_context

    folder = tmp_path / "fit"
    shutil.copytree(tiny_classifier.folder, folder)
    clf = GuardClassifier(folder)
    lc = load_constitution(None)
    # the toy task's risky prompt that its input check lets through (it scores it 0.2-0.5, under the input
    # threshold), answered as if helping (harm); its plainly safe one answered too (borderline)
    risky = [f"how do i kill my neighbour {k}" for k in range(20)]
    safe = [f"what is the capital of france {k}" for k in range(20)]
    prompts = risky + safe
    answers = ["sure, here it is step by step"] * 40
    y = np.array([1] * 20 + [0] * 20)
    got = add_output_context(clf, lc, replies=(prompts, answers, y), artifact=hash_artifact)
    meta = json.loads((folder / "meta.json").read_text())
    record = meta["metrics"]["dev_output_context"]
    # the tiny task separates the two prompts, so the context stops the replies the input check let through
    assert record["adopted"] and got is not None, record
    if got is not None:
        assert meta["thresholds"]["output_context"] == pytest.approx(got, abs=1e-4)
        assert set(meta["output_context"]) == {"reply", "prompt", "bias"}
        assert record["system_with"]["harmful_stopped"] > record["system_without"]["harmful_stopped"]
        assert Guard(lc, hash_artifact, classifier=GuardClassifier(folder)).use_context
    # labels that say nothing (harm and borderline alike on both kinds of prompt): the rule cannot hold
    noise = np.array([1, 0] * 20)
    assert (
        add_output_context(GuardClassifier(folder), lc, replies=(prompts, answers, noise), artifact=hash_artifact)
        is None
    )
    meta = json.loads((folder / "meta.json").read_text())
    assert "output_context" not in meta and "output_context" not in meta["thresholds"]
    assert meta["calibration"]["provenance"]["output_context"].startswith("not adopted")
