"""Production monitoring: ingest traces, score them, watch windows for drift, alert, review, feed back.

``ingest_file`` stores JSONL exchanges or OTLP GenAI spans in the shared ``traces`` table;
``score_pending`` scores them with the guard under the constitution's hash; ``build_report`` cuts
windows with Wilson intervals and drift; the review queue turns flagged traces into preference pairs
(``feedback_pairs``), a private eval set and guard training rows.
"""

from alignloop.monitor._alerts import evaluate, list_alerts, send, store_firings
from alignloop.monitor._drift import InputDrift, behaviour_drift, input_drift
from alignloop.monitor._events import otlp_protobuf_to_json, trace_from_row, traces_from_otlp
from alignloop.monitor._export import FORMATS, eval_rows, export, feedback_pairs, guard_rows, pair_rows, write_feedback
from alignloop.monitor._fixes import fixed_failures
from alignloop.monitor._incidents import incident_category
from alignloop.monitor._ingest import IngestResult, apply_retention, ingest_file, ingest_rows, insert_traces
from alignloop.monitor._report import build_report
from alignloop.monitor._review import (
    ReviewItem,
    count_items,
    enqueue,
    enqueue_scored,
    get_item,
    label,
    list_items,
    next_item,
)
from alignloop.monitor._score import ScoreResult, count_pending, prompt_of, score_pending
from alignloop.monitor._stats import benjamini_hochberg, holm, two_proportion_p, wilson
from alignloop.monitor._windows import Window, compute_windows

__all__ = [
    "FORMATS",
    "IngestResult",
    "InputDrift",
    "ReviewItem",
    "ScoreResult",
    "Window",
    "apply_retention",
    "behaviour_drift",
    "benjamini_hochberg",
    "build_report",
    "compute_windows",
    "count_items",
    "count_pending",
    "enqueue",
    "enqueue_scored",
    "eval_rows",
    "evaluate",
    "export",
    "feedback_pairs",
    "fixed_failures",
    "get_item",
    "guard_rows",
    "holm",
    "incident_category",
    "ingest_file",
    "ingest_rows",
    "input_drift",
    "insert_traces",
    "label",
    "list_alerts",
    "list_items",
    "next_item",
    "otlp_protobuf_to_json",
    "pair_rows",
    "prompt_of",
    "score_pending",
    "send",
    "store_firings",
    "trace_from_row",
    "traces_from_otlp",
    "two_proportion_p",
    "wilson",
    "write_feedback",
]
