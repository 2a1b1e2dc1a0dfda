"""Operations: gateway/monitor traces, the hash-chained audit log, incidents and their timelines.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "traces",
        sa.Column("id", sa.String(64), primary_key=True),
        _ts("ts"),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("key_name", sa.String(255), nullable=True),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("constitution_hash", sa.String(64), nullable=True),
        sa.Column("messages", sa.JSON(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("log_content", sa.String(16), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("finish_reason", sa.String(32), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("decisions", sa.JSON(), nullable=True),
        sa.Column("latency_guard_in_ms", sa.Float(), nullable=True),
        sa.Column("latency_upstream_ms", sa.Float(), nullable=True),
        sa.Column("latency_guard_out_ms", sa.Float(), nullable=True),
        sa.Column("latency_total_ms", sa.Float(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=True),
        _ts("created_at"),
    )
    op.create_index("ix_traces_ts", "traces", ["ts"])
    op.create_index("ix_traces_model_ts", "traces", ["model", "ts"])
    op.create_index("ix_traces_key_ts", "traces", ["key_name", "ts"])
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        _ts("ts"),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("keyed", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_audit_log_ts", "audit_log", ["ts"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("alert_id", sa.String(64), nullable=True),
        sa.Column("trace_ids", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _ts("opened_at"),
        _ts("updated_at"),
        _ts("closed_at", nullable=True),
    )
    op.create_index("ix_incidents_status_opened", "incidents", ["status", "opened_at"])
    op.create_table(
        "incident_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        _ts("ts"),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
    )
    op.create_index("ix_incident_events_incident", "incident_events", ["incident_id", "id"])


def downgrade() -> None:
    op.drop_table("incident_events")
    op.drop_table("incidents")
    op.drop_table("audit_log")
    op.drop_table("traces")
