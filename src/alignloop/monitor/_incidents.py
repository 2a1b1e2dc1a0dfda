"""Which incident category an alert belongs to; the incident itself is opened by :mod:`alignloop.govern`."""

from __future__ import annotations

# which incident category an alert on a metric belongs to (the shared incidents' vocabulary)
_CATEGORY = {
    "violation": "harmful_output",
    "pii_leak": "data_leak",
    "loop": "denial_of_service",
    "latency": "denial_of_service",
}


def incident_category(metric: str) -> str:
    """The incident category for an alert on ``metric``."""
    return _CATEGORY.get(metric.split(".", 1)[0].split("_p", 1)[0], "other")
