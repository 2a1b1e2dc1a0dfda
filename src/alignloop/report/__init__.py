"""Self-contained HTML reports (inline SVG plots) for eval, red-team and whole-loop runs."""

from alignloop.report._html import render_eval_report, render_loop_report, render_redteam_report
from alignloop.report._svg import bar_chart, heatmap, paired_bars

__all__ = [
    "bar_chart",
    "heatmap",
    "paired_bars",
    "render_eval_report",
    "render_loop_report",
    "render_redteam_report",
]
