"""Per-key token buckets: ``60/min`` allows a burst of 60, refilled at one a second."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from alignloop.serve._modes import Rate


class RateLimiter:
    """Token buckets keyed by key name (per worker process)."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock or time.monotonic
        self._buckets: dict[str, tuple[float, float]] = {}  # name -> (tokens, last refill time)
        self._lock = threading.Lock()

    def acquire(self, name: str, rate: Rate) -> float:
        """Take one token; return 0 when allowed, else the seconds until one is free."""
        per_s = rate.count / rate.period_s
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(name, (float(rate.count), now))
            tokens = min(float(rate.count), tokens + (now - last) * per_s)
            if tokens >= 1.0:
                self._buckets[name] = (tokens - 1.0, now)
                return 0.0
            self._buckets[name] = (tokens, now)
            return (1.0 - tokens) / per_s


def retry_after(wait_s: float) -> int:
    """Whole seconds for a ``Retry-After`` header (at least 1)."""
    return max(1, math.ceil(wait_s))
