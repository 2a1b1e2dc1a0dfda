"""Guard modes and rate specs: the per-key policy vocabulary, validated in one place."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, cast

from alignloop._util.errors import UserError

Mode = Literal["pre_call", "post_call", "both", "logging_only"]
MODES: tuple[Mode, ...] = ("pre_call", "post_call", "both", "logging_only")
DEFAULT_MODE: Mode = "both"

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(s|sec|second|m|min|minute|h|hr|hour|d|day)\s*$")
_PERIOD_S = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hr": 3600, "hour": 3600}
_PERIOD_S.update(d=86400, day=86400)


def parse_mode(value: str) -> Mode:
    """Validate a guard mode name."""
    if value not in MODES:
        raise UserError(f"unknown guard mode {value!r}", hint=f"use one of {', '.join(MODES)}")
    return cast(Mode, value)


def checks_input(mode: Mode) -> bool:
    """Whether the input check runs (it always runs, but acts only in these modes)."""
    return mode in ("pre_call", "both")


def checks_output(mode: Mode) -> bool:
    """Whether the output check acts on the response."""
    return mode in ("post_call", "both")


@dataclass(frozen=True)
class Rate:
    """``count`` requests per ``period_s`` seconds."""

    count: int
    period_s: float

    def __str__(self) -> str:
        return f"{self.count}/{int(self.period_s)}s"


def parse_rate(value: str) -> Rate:
    """Parse ``60/min``, ``5/s``, ``1000/hour`` or ``10000/day``."""
    m = _RATE.match(value)
    if not m or int(m.group(1)) <= 0:
        raise UserError(f"not a rate: {value!r}", hint="write COUNT/PERIOD, e.g. 60/min, 5/s, 1000/hour")
    return Rate(int(m.group(1)), float(_PERIOD_S[m.group(2)]))
