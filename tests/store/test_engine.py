from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from alignloop.store._engine import _switch_to_wal


def _locked_db(tmp_path: Path) -> tuple[Path, sqlite3.Connection]:
    path = tmp_path / "runs.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")  # what a second process converting the file to WAL holds
    return path, holder


def test_wal_switch_waits_for_a_lock_sqlite_reports_busy_at_once(tmp_path: Path) -> None:
    path, holder = _locked_db(tmp_path)
    # timeout=0: SQLite answers "database is locked" immediately, as it does to one of two
    # processes opening a fresh database together; only the retry loop can wait it out
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        conn.execute("PRAGMA journal_mode=WAL")
    threading.Timer(0.3, holder.rollback).start()
    start = time.monotonic()
    _switch_to_wal(conn, deadline_s=10)
    assert time.monotonic() - start >= 0.25
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_wal_switch_gives_up_at_its_deadline(tmp_path: Path) -> None:
    path, holder = _locked_db(tmp_path)
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _switch_to_wal(conn, deadline_s=0.2)
    holder.rollback()
