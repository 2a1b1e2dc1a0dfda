"""ORM tables of the run store: one row per run, plus its metrics and artifacts.

Column types are the portable subset of SQLAlchemy (``JSON``, ``Float``, ``DateTime``) so the same
schema works on SQLite and PostgreSQL. The Alembic migrations under ``migrations/versions`` are the
source of truth for the database; these classes must stay in step with them (a test checks).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Alembic's version table, named so a PostgreSQL database shared with other Alembic users keeps them apart
VERSION_TABLE = "alignloop_schema_version"


class Base(DeclarativeBase):
    """Declarative base of the run store tables."""


def _run_fk() -> ForeignKey:
    return ForeignKey("runs.id", ondelete="CASCADE")


class RunRow(Base):
    """One recorded run of a stage (eval, redteam, train, data, guard, loop)."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(Text)
    constitution_hash: Mapped[str] = mapped_column(String(64))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    output_dir: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_s: Mapped[float | None] = mapped_column(Float)

    metrics: Mapped[list[MetricRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="MetricRow.name"
    )
    artifacts: Mapped[list[ArtifactRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="ArtifactRow.name"
    )

    __table_args__ = (
        Index("ix_runs_started_at", "started_at"),
        Index("ix_runs_kind_started_at", "kind", "started_at"),
    )


class MetricRow(Base):
    """One named float of a run; logging the same name again overwrites it (merge)."""

    __tablename__ = "metrics"

    run_id: Mapped[str] = mapped_column(String(32), _run_fk(), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    # NULL stands for NaN: SQLite cannot store NaN and silently turns it into NULL anyway
    value: Mapped[float | None] = mapped_column(Float)
    logged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    run: Mapped[RunRow] = relationship(back_populates="metrics")


class ArtifactRow(Base):
    """A file or folder a run produced, by name (``report``, ``model``, ``failures``...)."""

    __tablename__ = "artifacts"

    run_id: Mapped[str] = mapped_column(String(32), _run_fk(), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    run: Mapped[RunRow] = relationship(back_populates="artifacts")
