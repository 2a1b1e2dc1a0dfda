"""Monitor: trace scores, alerts, the review queue and probe runs.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "monitor_scores",
        sa.Column("trace_id", sa.String(64), primary_key=True),
        sa.Column("constitution_hash", sa.String(64), primary_key=True),
        _ts("ts"),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("key_name", sa.String(255), nullable=True),
        sa.Column("input_flagged", sa.Boolean(), nullable=False),
        sa.Column("violation", sa.Boolean(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("refusal", sa.Boolean(), nullable=False),
        sa.Column("injection", sa.Boolean(), nullable=False),
        sa.Column("pii_leak", sa.Boolean(), nullable=False),
        sa.Column("loop", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=False),
        _ts("scored_at"),
    )
    op.create_index("ix_monitor_scores_hash_ts", "monitor_scores", ["constitution_hash", "ts"])
    op.create_table(
        "monitor_alerts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("metric", sa.String(128), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        _ts("window_start"),
        _ts("window_end"),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("trace_ids", sa.JSON(), nullable=False),
        sa.Column("incident_id", sa.String(32), nullable=True),
        sa.Column("deliveries", sa.JSON(), nullable=False),
        _ts("created_at"),
    )
    op.create_index("ix_monitor_alerts_window", "monitor_alerts", ["window_start"])
    op.create_table(
        "monitor_review",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("trace_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(96), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("correction", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(255), nullable=True),
        _ts("reviewed_at", nullable=True),
        _ts("created_at"),
        sa.UniqueConstraint("trace_id", name="uq_monitor_review_trace"),
    )
    op.create_index("ix_monitor_review_status", "monitor_review", ["status", "priority", "id"])
    op.create_table(
        "monitor_probes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("probe_hash", sa.String(64), nullable=False),
        sa.Column("replies", sa.JSON(), nullable=False),
        sa.Column("changed", sa.Float(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        _ts("ts"),
    )
    op.create_index("ix_monitor_probes_target_ts", "monitor_probes", ["target", "ts"])

    def keys() -> list[sa.Column]:
        return [
            sa.Column("constitution_hash", sa.String(64), primary_key=True),
            sa.Column("hour", sa.DateTime(timezone=True), primary_key=True),
            sa.Column("model", sa.String(255), primary_key=True),
            sa.Column("key_name", sa.String(255), primary_key=True),
        ]

    counts = ("n", "violation", "refusal", "over_refusal", "safe", "injection", "pii_leak", "loop")
    op.create_table("monitor_hourly", *keys(), *(sa.Column(c, sa.Integer(), nullable=False) for c in counts))
    op.create_table(
        "monitor_hourly_categories",
        *keys(),
        sa.Column("category", sa.String(64), primary_key=True),
        sa.Column("k", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("monitor_hourly_categories")
    op.drop_table("monitor_hourly")
    op.drop_table("monitor_probes")
    op.drop_table("monitor_review")
    op.drop_table("monitor_alerts")
    op.drop_table("monitor_scores")
