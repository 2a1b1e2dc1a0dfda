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
