"""Turn a database URL into a connected SQLAlchemy engine, with clear errors for user mistakes."""

from __future__ import annotations

import os
import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from alignloop._util.errors import UserError
from alignloop._util.paths import home

DB_URL_ENV = "ALIGNLOOP_DB_URL"
# seconds to wait for a server (PostgreSQL) or a lock (SQLite) before telling the user
CONNECT_TIMEOUT_S = 10
SQLITE_BUSY_TIMEOUT_S = 30


def default_url() -> str:
    """The embedded SQLite database under alignloop's home folder."""
    return f"sqlite:///{home() / 'alignloop.db'}"


def resolve_url(url: str | None) -> str:
    """``url``, else ``$ALIGNLOOP_DB_URL``, else the embedded SQLite database."""
    return url or os.environ.get(DB_URL_ENV) or default_url()


def display_url(url: URL) -> str:
    """The URL with its password masked, for messages."""
    return url.render_as_string(hide_password=True)


def _parse(raw: str) -> URL:
    try:
        return make_url(raw)
    except ArgumentError:
        raise UserError(
            f"not a database URL: {raw!r}",
            hint="use e.g. sqlite:////path/to/alignloop.db or postgresql+psycopg://user:pass@host:5432/dbname",
        ) from None


def _switch_to_wal(dbapi_conn: Any, deadline_s: float = SQLITE_BUSY_TIMEOUT_S) -> None:
    """Put the database in WAL mode, retrying while other processes hold its lock.

    Converting a fresh file to WAL needs an exclusive lock. When two processes open the same new
    database at once, SQLite reports one of them busy straight away instead of calling the busy
    handler (it would deadlock otherwise), so the wait has to happen here.
    """
    give_up = time.monotonic() + deadline_s
    pause = 0.01
    while True:
        try:
            dbapi_conn.execute("PRAGMA journal_mode=WAL").fetchall()
            return
        except sqlite3.OperationalError as e:
            contended = "locked" in str(e) or "busy" in str(e)
            if not contended or time.monotonic() + pause > give_up:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def _sqlite_engine(url: URL) -> Engine:
    kwargs: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    memory = url.database in (None, "", ":memory:")
    if memory:
        # one shared connection, or every new connection would see a fresh empty database
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"]["check_same_thread"] = False
    else:
        assert url.database is not None
        db_path = os.path.expanduser(url.database)
        folder = os.path.dirname(os.path.abspath(db_path))
        if not os.path.isdir(folder):
            raise UserError(
                f"cannot open the SQLite run store {display_url(url)}: folder {folder} does not exist",
                hint="create the folder, or fix ALIGNLOOP_DB_URL",
            )
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # take transaction control from the sqlite3 module (its implicit BEGIN is deferred, so two
        # writers can deadlock on lock upgrade instead of waiting); see the "begin" hook below
        dbapi_conn.isolation_level = None
        if not memory:
            # WAL: readers (alignloop runs list) never block the writer of a running stage
            _switch_to_wal(dbapi_conn)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so concurrent writers queue on busy_timeout
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _server_engine(url: URL) -> Engine:
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def connect(raw_url: str) -> tuple[Engine, URL]:
    """Create an engine for ``raw_url`` and check that the database answers.

    Raises:
        UserError: the URL is malformed, its driver is not installed, or the database is unreachable.
    """
    url = _parse(raw_url)
    try:
        engine = _sqlite_engine(url) if url.get_backend_name() == "sqlite" else _server_engine(url)
    except NoSuchModuleError:
        raise UserError(
            f"unknown database type in {display_url(url)}",
            hint="use sqlite:///PATH or postgresql+psycopg://user:pass@host:port/dbname",
        ) from None
    except ModuleNotFoundError as e:
        # no square brackets in the hint: the CLI prints hints as rich markup
        hint = (
            "pip install psycopg (the 'postgres' extra of alignloop), and use postgresql+psycopg:// URLs"
            if url.get_backend_name() == "postgresql"
            else f"install the Python module {e.name}, or use sqlite:/// or postgresql+psycopg:// URLs"
        )
        raise UserError(
            f"the database driver for {display_url(url)} is not installed (no module {e.name})", hint=hint
        ) from None
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as e:
        engine.dispose()
        reason = str(e.orig).strip().splitlines()[0] if e.orig is not None else str(e)
        raise UserError(
            f"cannot connect to the run store {display_url(url)}: {reason}",
            hint="start the database server (scripts/postgres.sh starts a local PostgreSQL) or fix "
            "ALIGNLOOP_DB_URL; unset it to use the embedded SQLite database",
        ) from None
    return engine, url
