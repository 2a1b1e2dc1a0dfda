"""The web dashboard (``alignloop dashboard``): runs over time, release gates, monitoring windows with
alerts and drift, the review queue with keyboard shortcuts, incidents and a leadership summary."""

from alignloop.monitor.dashboard._app import create_app, monitoring_report

__all__ = ["create_app", "monitoring_report"]
