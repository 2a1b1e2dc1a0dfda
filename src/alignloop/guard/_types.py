"""The decision a guard check returns, with the reasons behind it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Action = Literal["allow", "flag", "redact", "block"]
ACTION_ORDER: dict[str, int] = {"allow": 0, "flag": 1, "redact": 2, "block": 3}


@dataclass(frozen=True)
class PiiSpan:
    """A piece of personal data or a secret at ``text[start:end]``."""

    type: str
    start: int
    end: int


VIOLATION_DETECTORS: tuple[str, ...] = ("category", "llm_judge")
"""The detectors whose reasons say a text violates one of the constitution's categories (not PII, injection or a
detector fault): moderation flags, the monitor's violation rate and its fix check read these."""


@dataclass(frozen=True)
class Reason:
    """Why a detector fired: which category, how sure, against which threshold, where."""

    detector: str
    category: str
    score: float
    threshold: float
    spans: list[PiiSpan] = field(default_factory=list)
    action: str = "flag"
    note: str = ""


@dataclass(frozen=True)
class RefusalVerdict:
    """Whether a response refuses, partly refuses, or complies."""

    label: Literal["refusal", "partial", "compliance"]
    p_refusal: float
    p_partial: float
    p_compliance: float

    @staticmethod
    def compliance_of(verdict: RefusalVerdict | None) -> float:
        """How far a response goes along with its prompt: compliance, plus half of a partial refusal; 1 without
        a verdict (the check then assumes the worst). The output checks weigh a response's harm by it."""
        return 1.0 if verdict is None else verdict.p_compliance + 0.5 * verdict.p_partial


@dataclass
class Decision:
    """What the guard decided about one text.

    ``text`` is what to pass on: the original, the redacted text, or the constitution's refusal.
    """

    action: Action
    flagged: bool
    score: float
    categories: dict[str, float]
    injection: float
    pii: list[PiiSpan]
    reasons: list[Reason]
    text: str
    refusal: RefusalVerdict | None = None
    latency_ms: float = 0.0

    def to_row(self, row_id: str | None = None) -> dict[str, Any]:
        """The stable ``guard score`` output row; an output check adds its ``refusal`` label."""
        row: dict[str, Any] = {} if row_id is None else {"id": row_id}
        row.update(
            flagged=self.flagged,
            score=round(self.score, 6),
            categories={k: round(v, 6) for k, v in self.categories.items()},
            injection=round(self.injection, 6),
            pii=[asdict(s) for s in self.pii],
            latency_ms=round(self.latency_ms, 3),
        )
        if self.refusal is not None:  # the guard judge's label: the same one the eval suites read
            row["refusal"] = self.refusal.label
        return row

    def to_dict(self) -> dict[str, Any]:
        """Everything, as plain JSON-able data."""
        return asdict(self)
