"""Confidence intervals and paired tests for eval metrics (no scipy needed)."""

from __future__ import annotations

import math
from typing import Any


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes out of ``n`` (95% by default).

    Wilson rather than the normal approximation because rates near 0 or 1 (harmful compliance
    of an aligned model, over-refusal of a base model) are exactly where ours live.
    """
    if n <= 0:
        return (0.0, 1.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def rate(k: int, n: int) -> dict[str, Any]:
    """A metric record: value, its Wilson 95% interval, and the counts behind it."""
    lo, hi = wilson(k, n)
    return {"value": (k / n) if n else None, "ci_low": lo, "ci_high": hi, "k": k, "n": n}


def mcnemar(b: int, c: int) -> dict[str, Any]:
    """McNemar's test on the discordant pairs ``b`` (A fails, B passes) and ``c`` (A passes, B fails).

    Exact two-sided binomial test when ``b + c < 25`` (the chi-square approximation is poor
    there), else the continuity-corrected chi-square with 1 degree of freedom.
    """
    n = b + c
    if n == 0:
        return {"method": "exact", "b": b, "c": c, "statistic": 0.0, "p_value": 1.0}
    if n < 25:
        k = min(b, c)
        tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
        return {"method": "exact", "b": b, "c": c, "statistic": float(k), "p_value": min(1.0, 2 * tail)}
    stat = (abs(b - c) - 1) ** 2 / n
    # survival function of chi-square(1) = erfc(sqrt(x/2))
    return {"method": "chi2", "b": b, "c": c, "statistic": stat, "p_value": math.erfc(math.sqrt(stat / 2))}
