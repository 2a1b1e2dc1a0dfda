"""The ``context`` detector: a response that goes along with a risky request is unsafe, read from both texts.

The category detector scores a response by the larger of its own probability and its prompt's, times how
far it complies, and the output threshold (chosen so that few replies to safe-but-scary prompts are
flagged) sits so high (0.959) that the prompt's side can only matter above the input threshold, where the
input check has already blocked. In effect the output check read the reply alone, and a reply alone says
little: SmolLM2's answers to harmful dev prompts score like its answers to borderline ones.

This detector weighs both scores with a logistic model fitted on dev replies
(``guard._context_fit.add_output_context``)::

    p = sigmoid(w_reply * logit(reply) + w_prompt * logit(prompt) + bias) * compliance

and gives a response a reason when ``p`` reaches the classifier's ``output_context`` threshold (chosen on the
same replies' out-of-fold scores by the output threshold's rule). The reason carries the top category of the
response or its prompt, and that category's output action. ``p`` is monotone in compliance, so a check
without refusal verdicts (compliance 1) never misses a response the full check would flag. The
response's ``score`` and ``categories`` are the category detector's, unchanged: judges and training read
them, and this check only adds a decision.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from alignloop.guard._detectors import Batch, Guard
from alignloop.guard._registry import DETECTORS
from alignloop.guard._types import Reason, RefusalVerdict

PARAMS_KEY = "output_context"
"""Where a classifier's ``meta.json`` keeps the fitted weights (and ``thresholds`` the threshold)."""
WITH_CONTEXT_KEY = "output_with_context"
"""The category check's output threshold while the context check runs beside it (``thresholds``)."""


def logit(p: ArrayLike) -> np.ndarray:
    """log(p / (1 - p)), with p kept off 0 and 1."""
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    out: np.ndarray = np.log(q / (1 - q))
    return out


def context_probability(reply: ArrayLike, prompt: ArrayLike, comply: ArrayLike, params: dict[str, float]) -> np.ndarray:
    """How likely a response with these classifier scores, going along with its prompt this far, is unsafe
    (elementwise over arrays of responses)."""
    z = params["reply"] * logit(reply) + params["prompt"] * logit(prompt) + params["bias"]
    out: np.ndarray = np.asarray(comply, dtype=np.float64) / (1.0 + np.exp(-z))
    return out


def context_params(guard: Any) -> tuple[dict[str, float], float] | None:
    """The fitted weights and threshold ``guard`` uses, or None where the check is off.

    On when the guard runs a classifier alone (the weights were fitted on its scores, not on the
    heads') whose metadata holds both, unless the guard was built with ``context=False``.
    """
    clf = getattr(guard, "classifier", None)
    if clf is None or getattr(guard, "with_heads", False) or not getattr(guard, "use_context", True):
        return None
    params, th = clf.meta.get(PARAMS_KEY), clf.meta.get("thresholds", {}).get(PARAMS_KEY)
    if not params or th is None:
        return None
    return {k: float(params[k]) for k in ("reply", "prompt", "bias")}, float(th)


@DETECTORS.register("context")
class ContextDetector:
    """Responses only: a reason where the response and its prompt together say it is unsafe."""

    name = "context"

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    @classmethod
    def for_guard(cls, guard: Guard) -> ContextDetector:
        """The detector for ``guard``."""
        return cls(guard)

    def run(self, batch: Batch) -> None:
        """A ``context`` reason for each response whose combined probability reaches the threshold."""
        got = context_params(self.guard) if batch.is_output else None
        if got is None:
            return
        params, th = got
        c = self.guard.constitution.constitution
        for found in batch.found:
            if found.reply_unsafe is None or found.prompt_unsafe is None or not found.categories:
                continue
            comply = RefusalVerdict.compliance_of(found.refusal)
            p = float(context_probability(found.reply_unsafe, found.prompt_unsafe, comply, params))
            if p >= th:
                top = max(found.categories, key=lambda k: found.categories[k])
                action = c.category(top).output_action.value
                scores = f"reply {found.reply_unsafe:.2f}, prompt {found.prompt_unsafe:.2f}"
                note = f"goes along with a risky request ({scores})"
                found.reasons.append(Reason("context", top, p, th, action=action, note=note))
