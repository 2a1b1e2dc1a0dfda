"""Counters and latency histograms, rendered in the Prometheus text exposition format.

Written by hand (a few dozen lines) rather than adding ``prometheus_client`` as a dependency.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from typing import ClassVar

# latency buckets in seconds: the gateway's own overhead sits in the low milliseconds
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

Labels = tuple[tuple[str, str], ...]


def _labels(labels: Labels, extra: str = "") -> str:
    parts = [f'{k}="{_escape(v)}"' for k, v in labels]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _escape(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """Thread-safe counters and histograms; gauges are read through callbacks at scrape time."""

    HELP: ClassVar[dict[str, str]] = {
        "alignloop_requests_total": "Requests answered, by endpoint and status code.",
        "alignloop_guard_actions_total": "Guard decisions, by stage (input/output) and action.",
        "alignloop_guard_errors_total": "Guard checks that raised, by stage.",
        "alignloop_upstream_errors_total": "Model calls that failed, by kind (timeout, error, dropped).",
        "alignloop_traces_written_total": "Trace rows written to the store.",
        "alignloop_traces_dropped_total": "Trace rows dropped because the write queue was full.",
        "alignloop_traces_failed_total": "Trace rows lost to database errors.",
        "alignloop_request_duration_seconds": "Whole-request latency.",
        "alignloop_guard_duration_seconds": "Time spent in guard checks per request, by stage.",
        "alignloop_trace_queue_depth": "Trace rows waiting to be written.",
    }

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self._hist: dict[str, dict[Labels, list[float]]] = defaultdict(dict)
        self._gauges: dict[str, Callable[[], float]] = {}

    def inc(self, name: str, value: float = 1.0, **labels: str) -> None:
        """Add ``value`` to a counter."""
        with self._lock:
            self._counters[name][tuple(sorted(labels.items()))] += value

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        """Record one observation in a histogram."""
        key = tuple(sorted(labels.items()))
        with self._lock:
            h = self._hist[name].setdefault(key, [0.0] * (len(BUCKETS) + 2))  # buckets, +Inf, sum
            for i, b in enumerate(BUCKETS):
                if seconds <= b:
                    h[i] += 1
            h[len(BUCKETS)] += 1
            h[len(BUCKETS) + 1] += seconds

    def gauge(self, name: str, fn: Callable[[], float]) -> None:
        """Register a gauge read at scrape time."""
        self._gauges[name] = fn

    def value(self, name: str, **labels: str) -> float:
        """A counter's current value (0 when never incremented)."""
        with self._lock:
            return self._counters.get(name, {}).get(tuple(sorted(labels.items())), 0.0)

    def render(self) -> str:
        """The Prometheus text format (version 0.0.4)."""
        out: list[str] = []
        with self._lock:
            for name, series in sorted(self._counters.items()):
                out += [f"# HELP {name} {self.HELP.get(name, name)}", f"# TYPE {name} counter"]
                out += [f"{name}{_labels(k)} {v:g}" for k, v in sorted(series.items())]
            for name, hseries in sorted(self._hist.items()):
                out += [f"# HELP {name} {self.HELP.get(name, name)}", f"# TYPE {name} histogram"]
                for k, h in sorted(hseries.items()):
                    for i, b in enumerate(BUCKETS):
                        le = f'le="{b:g}"'
                        out.append(f"{name}_bucket{_labels(k, le)} {h[i]:g}")
                    inf = 'le="+Inf"'
                    out.append(f"{name}_bucket{_labels(k, inf)} {h[len(BUCKETS)]:g}")
                    out.append(f"{name}_sum{_labels(k)} {h[len(BUCKETS) + 1]:.6f}")
                    out.append(f"{name}_count{_labels(k)} {h[len(BUCKETS)]:g}")
        for name, fn in sorted(self._gauges.items()):
            out += [f"# HELP {name} {self.HELP.get(name, name)}", f"# TYPE {name} gauge", f"{name} {fn():g}"]
        return "\n".join(out) + "\n"
