"""Sizes of a loop run: ``default`` (<= 20 min on 2 CPU cores), ``quick`` (<= 5 min), ``--limit`` (smoke)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Preset:
    """How much of each stage to run."""

    name: str
    eval_limit: int | None
    """Items per eval suite (dev split)."""
    eval_suites: tuple[str, ...]
    eval_tokens: int
    redteam_budget: int
    data_limit: int | None
    """Harmful and helpful train prompts each."""
    data_tokens: int
    epochs: float
    max_steps: int
    batch_size: int
    learning_rate: float
    max_length: int

    def to_dict(self) -> dict[str, Any]:
        """For state.json and the run record."""
        return asdict(self)


_SUITES = ("harmful_compliance", "over_refusal", "helpfulness")

PRESETS = {
    # sized for an idle 2-core CPU: ~190 pairs x 2 epochs of DPO is about half of the 20 minutes
    "default": Preset("default", eval_limit=48, eval_suites=_SUITES, eval_tokens=64, redteam_budget=32,
                      data_limit=100, data_tokens=48, epochs=2.0, max_steps=-1, batch_size=8,
                      learning_rate=5e-4, max_length=128),
    "quick": Preset("quick", eval_limit=12, eval_suites=_SUITES, eval_tokens=48, redteam_budget=8,
                    data_limit=24, data_tokens=40, epochs=2.0, max_steps=-1, batch_size=8,
                    learning_rate=1e-3, max_length=128),
}


def preset(quick: bool, limit: int | None = None) -> Preset:
    """The preset for the flags; ``limit`` shrinks every stage to about ``limit`` items (smoke runs)."""
    p = PRESETS["quick" if quick else "default"]
    if limit is None:
        return p
    return replace(
        p,
        name=f"{p.name}-limit{limit}",
        eval_limit=limit,
        redteam_budget=limit,
        data_limit=limit,
        eval_tokens=min(p.eval_tokens, 32),
        data_tokens=min(p.data_tokens, 32),
        epochs=1.0,
        max_steps=max(2, limit // 4),
    )
