"""The ``monitoring:`` section of a constitution: windows, alert rules and where alerts go.

Kept beside the schema rather than in it so the section reads on its own; validated as strictly
(unknown keys, unknown metrics, channels or categories are errors that name the key and line).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

RATE_METRICS = ("violation", "refusal", "over_refusal", "injection", "pii_leak", "loop")
"""Rates every window carries; ``violation.<category>`` adds one per category of the constitution."""
VALUE_METRICS = ("latency_p50_ms", "latency_p95_ms")
DRIFT_KINDS = ("input", "behaviour", "any")


def parse_duration(text: str) -> timedelta:
    """``90s``, ``10m``, ``1h`` or ``7d`` as a timedelta (ValueError otherwise)."""
    m = _DURATION.match(text.strip())
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration: use a positive number and s, m, h or d, e.g. 1h or 90d")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _check_duration(v: str) -> str:
    parse_duration(v)
    return v


class Channel(_Strict):
    """Where alerts are sent."""

    name: str = Field(min_length=1)
    type: Literal["stdout", "log", "webhook"]
    """``stdout`` prints a line, ``log`` writes to the ``alignloop.monitor`` logger, ``webhook`` POSTs JSON."""
    url: str | None = None
    """The webhook's URL (required for ``webhook``; ``${ENV_VAR}`` is expanded when sending)."""
    retries: int = Field(default=3, ge=0, le=10)
    """Extra attempts after a failed POST, with exponential backoff."""
    timeout_s: float = Field(default=5.0, gt=0.0, le=60.0)

    @model_validator(mode="after")
    def _url(self) -> Channel:
        if self.type == "webhook" and not self.url:
            raise ValueError(f"channel {self.name!r}: a webhook needs a url")
        if self.type != "webhook" and self.url:
            raise ValueError(f"channel {self.name!r}: only webhooks take a url")
        return self


class Rule(_Strict):
    """One alert rule: a metric above a threshold, or drift from the reference window."""

    name: str = Field(min_length=1)
    metric: str | None = None
    """A rate (violation, violation.<category>, refusal, over_refusal, injection, pii_leak, loop) or
    latency_p50_ms / latency_p95_ms."""
    above: float | None = None
    """Fire when the metric is above this (a rate's Wilson lower bound, so small windows do not fire on noise)."""
    drift: Literal["input", "behaviour", "any"] | None = None
    """Fire when this kind of drift from the reference window is detected."""
    min_n: int = Field(default=20, ge=1)
    """Windows with fewer traces are not judged."""
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    channels: list[str] = Field(default_factory=lambda: ["stdout"])
    incident: bool = True
    """Whether the alert opens an incident."""

    @model_validator(mode="after")
    def _shape(self) -> Rule:
        if (self.drift is None) == (self.metric is None):
            raise ValueError(f"rule {self.name!r}: give either metric (with above) or drift")
        if self.metric is not None:
            if self.above is None:
                raise ValueError(f"rule {self.name!r}: a metric rule needs above")
            base = self.metric.split(".", 1)[0]
            if base not in RATE_METRICS + VALUE_METRICS or ("." in self.metric and base != "violation"):
                known = ", ".join((*RATE_METRICS, "violation.<category>", *VALUE_METRICS))
                raise ValueError(f"rule {self.name!r}: unknown metric {self.metric!r}; use one of {known}")
            if base in RATE_METRICS and not 0.0 <= self.above <= 1.0:
                raise ValueError(f"rule {self.name!r}: a rate threshold must be between 0 and 1")
        elif self.above is not None:
            raise ValueError(f"rule {self.name!r}: a drift rule takes no above")
        return self


class Monitoring(_Strict):
    """How production traffic is watched: window size, review sampling, alert rules and channels."""

    window: str = "1h"
    """Window length for rates and drift (``1h``, ``1d``, ``15m``)."""
    retain: str | None = None
    """Delete traces older than this (``90d``) when ``alignloop monitor ingest --retain`` is not given."""
    review_sample: float = Field(default=0.02, ge=0.0, le=1.0)
    """Share of unflagged traces sent to the review queue, to catch what the guard misses."""
    review_per_alert: int = Field(default=5, ge=0, le=100)
    """Traces behind each alert sent to the review queue."""
    drift_alpha: float = Field(default=0.05, gt=0.0, lt=1.0)
    """False alarm rate of the drift tests (input AUC threshold quantile, behaviour tests after Holm)."""
    channels: list[Channel] = Field(default_factory=lambda: [Channel(name="stdout", type="stdout")])
    rules: list[Rule] = Field(default_factory=list)

    _v_window = field_validator("window")(_check_duration)

    @field_validator("retain")
    @classmethod
    def _v_retain(cls, v: str | None) -> str | None:
        return None if v is None else _check_duration(v)

    @model_validator(mode="after")
    def _refs(self) -> Monitoring:
        names = [c.name for c in self.channels]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"duplicate channel names: {sorted(dup)}")
        rules = [r.name for r in self.rules]
        dup = {n for n in rules if rules.count(n) > 1}
        if dup:
            raise ValueError(f"duplicate rule names: {sorted(dup)}")
        for r in self.rules:
            unknown = set(r.channels) - set(names)
            if unknown:
                raise ValueError(f"rule {r.name!r} names unknown channels {sorted(unknown)}; defined: {names}")
        return self
