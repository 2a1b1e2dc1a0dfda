"""The governance stage's own table: release decisions on loop runs (migration ``0005``).

A loop run whose gates passed is ``staged`` without any row here; a row records the latest human
decision (approved or rejected). Every decision is also an entry of the audit log.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alignloop.store._tables import Base


class ReleaseRow(Base):
    """The latest release decision on one loop run."""

    __tablename__ = "releases"

    run_id: Mapped[str] = mapped_column(String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    """``approved`` or ``rejected``."""
    decided_by: Mapped[str] = mapped_column(String(255))
    note: Mapped[str] = mapped_column(Text)
    override: Mapped[str | None] = mapped_column(Text)
    """Why a model whose gates failed was approved anyway (None otherwise)."""
    gates_passed: Mapped[bool] = mapped_column(Boolean)
    model_dir: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
