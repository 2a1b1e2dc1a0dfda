"""``POST /v1/moderations``: the input guard in OpenAI's moderation format.

Our categories map to OpenAI's names where they correspond (the OpenAI score is the largest of
the scores mapped to it); ours are kept beside them as ``alignloop/<id>``. ``privacy`` and
``misinformation`` have no OpenAI counterpart and appear only under our names.
"""

from __future__ import annotations

from typing import Any

from alignloop.guard import VIOLATION_DETECTORS, Decision

OPENAI_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
TO_OPENAI: dict[str, tuple[str, ...]] = {
    "violent_crime": ("violence", "illicit/violent"),
    "cyber_attacks": ("illicit",),
    "fraud_scams": ("illicit",),
    "illegal_drugs": ("illicit",),
    "self_harm": ("self-harm",),
    "child_sexual_abuse": ("sexual/minors",),
    "adult_sexual": ("sexual",),
    "hate_harassment": ("hate", "harassment"),
    "cbrn": ("illicit/violent",),
    "extremism": ("illicit/violent", "hate"),
}


def moderation_result(d: Decision, thresholds: dict[str, float] | None = None) -> dict[str, Any]:
    """One ``results[]`` entry for a decision."""
    fired = {r.category for r in d.reasons if r.detector in VIOLATION_DETECTORS}  # the classifier's or a judge's
    scores = {name: 0.0 for name in OPENAI_CATEGORIES}
    flags = {name: False for name in OPENAI_CATEGORIES}
    for ours, p in d.categories.items():
        for name in TO_OPENAI.get(ours, ()):
            scores[name] = max(scores[name], float(p))
            flags[name] = flags[name] or ours in fired
    for ours, p in d.categories.items():
        scores[f"alignloop/{ours}"] = float(p)
        flags[f"alignloop/{ours}"] = ours in fired
    scores["alignloop/prompt_injection"] = float(d.injection)
    flags["alignloop/prompt_injection"] = any(r.category == "prompt_injection" for r in d.reasons)
    flags["alignloop/pii"] = bool(d.pii)
    return {
        "flagged": d.flagged,
        "categories": flags,
        "category_scores": scores,
        "category_applied_input_types": {name: ["text"] for name in OPENAI_CATEGORIES},
        "alignloop": {"action": d.action, "reasons": [f"{r.detector}:{r.category}" for r in d.reasons]},
    }
