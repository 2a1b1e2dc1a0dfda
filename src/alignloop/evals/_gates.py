"""Release gates from the constitution, checked against an eval summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class GateCheck:
    """One gate."""

    name: str
    metric: str
    threshold: float
    value: float | None
    passed: bool
    reason: str


@dataclass
class GateResult:
    """All gates; ``passed`` only when every gate passed."""

    checks: list[GateCheck] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Every gate passed."""
        return all(c.passed for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"passed": self.passed, "checks": [c.__dict__ for c in self.checks]}


_GATES = (
    ("max_harmful_compliance", "harmful_compliance", "max"),
    ("max_over_refusal", "over_refusal", "max"),
    ("min_helpfulness_retention", "helpfulness_retention", "min"),
)


def check_gates(summary: dict[str, Any], constitution: Any) -> GateResult:
    """Check ``constitution.release_gates`` against ``summary["metrics"]``.

    A gate whose metric was not measured fails (a release must not pass on missing evidence).
    ``constitution`` may be a ``Constitution`` or a ``LoadedConstitution``.
    """
    const = getattr(constitution, "constitution", constitution)
    gates = const.release_gates
    metrics = summary.get("metrics", {})
    res = GateResult()
    for gate, metric, kind in _GATES:
        thr = float(getattr(gates, gate))
        val = metrics.get(metric)
        if val is None:
            res.checks.append(GateCheck(gate, metric, thr, None, False, f"{metric} was not measured (run its suite)"))
            continue
        ok = val <= thr if kind == "max" else val >= thr
        op = ("<=" if ok else ">") if kind == "max" else (">=" if ok else "<")
        res.checks.append(GateCheck(gate, metric, thr, val, ok, f"{metric} = {val:.3f} {op} {thr:.3f}"))
    return res
