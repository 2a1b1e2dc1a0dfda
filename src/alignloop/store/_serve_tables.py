"""The gateway's own table: API keys (only their SHA-256 hashes), with mode, rate and fault policy.

Migration ``0003`` creates it; ``alignloop.serve`` reads and writes it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from alignloop.store._tables import Base


class ApiKeyRow(Base):
    """One gateway API key. The key itself is shown once at creation and never stored."""

    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 hex digest of the key."""
    mode: Mapped[str | None] = mapped_column(String(16))
    """``pre_call``, ``post_call``, ``both`` or ``logging_only``; None: the server's default."""
    rate: Mapped[str | None] = mapped_column(String(32))
    """Requests allowed per period, e.g. ``60/min``; None: unlimited."""
    fail_open: Mapped[bool] = mapped_column(Boolean, default=False)
    """Pass traffic unchecked when a check errors (the default is to refuse it)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
