"""RunStore: record every run of the loop (inputs, status, timings, metrics, artifacts) in a database."""

from __future__ import annotations

import contextlib
import json
import math
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from numbers import Real
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, selectinload, sessionmaker

from alignloop._util.errors import UserError
from alignloop.store._engine import connect, default_url, display_url, resolve_url
from alignloop.store._info import KINDS, OWNER_KEY, RunInfo
from alignloop.store._migrate import upgrade
from alignloop.store._tables import ArtifactRow, MetricRow, RunRow

# longest traceback kept in runs.error; the tail holds the exception itself
_MAX_ERROR_CHARS = 20_000


class RunNotFoundError(UserError):
    """No run (or more than one run) matches the given id or id prefix."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


_start_lock = threading.Lock()
_last_start = datetime.min.replace(tzinfo=timezone.utc)


def _start_time() -> datetime:
    # strictly increasing within a process, so runs started in the same microsecond still list in order
    global _last_start
    with _start_lock:
        now = max(_now(), _last_start + timedelta(microseconds=1))
        _last_start = now
        return now


def _utc(dt: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes (we always store UTC); PostgreSQL aware ones in the session zone
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _owner() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _alive(owner: Any) -> bool:
    """Whether the process recorded in ``owner`` may still be running (unknown hosts count as alive)."""
    if not isinstance(owner, dict) or owner.get("host") != socket.gethostname():
        return True
    try:
        os.kill(int(owner["pid"]), 0)
    except ProcessLookupError:
        return False
    except (OSError, KeyError, TypeError, ValueError):  # e.g. another user's process: assume alive
        return True
    return True


def _info(row: RunRow) -> RunInfo:
    started = _utc(row.started_at)
    assert started is not None
    cfg = dict(row.config or {})
    owner = cfg.pop(OWNER_KEY, None)
    status = row.status
    if status == "running" and not _alive(owner):
        status = "interrupted"
    return RunInfo(
        id=row.id,
        name=row.name,
        kind=row.kind,
        status=status,
        model=row.model,
        constitution_hash=row.constitution_hash,
        config=cfg,
        metrics={m.name: (math.nan if m.value is None else m.value) for m in row.metrics},
        artifacts={a.name: a.path for a in row.artifacts},
        started_at=started,
        finished_at=_utc(row.finished_at),
        duration_s=row.duration_s,
        output_dir=row.output_dir,
        error=row.error,
    )


class RunStore:
    """A database of runs: SQLite under ``home()`` by default, any SQLAlchemy URL otherwise.

    Safe to share between threads of one process (every call uses its own session and
    transaction); several processes may write one SQLite file (WAL, writers wait for the lock).

    Example:
        >>> store = RunStore.open()
        >>> run_id = store.start_run("eval", "default", lc.hash, {"suites": ["harmful"]}, output_dir="out")
        >>> store.log_metrics(run_id, {"harmful_compliance": 0.07})
        >>> store.finish_run(run_id)
    """

    def __init__(self, engine: Engine, url: URL) -> None:
        """Wrap an engine whose schema is already at head; use :meth:`open` instead."""
        self._engine = engine
        self._url = url
        self._session = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | None = None) -> RunStore:
        """Connect to ``url`` (else ``$ALIGNLOOP_DB_URL``, else SQLite at ``home()/alignloop.db``).

        Creates the schema, or upgrades it to the newest revision, before returning.

        Raises:
            UserError: the URL is malformed, its driver is missing, or the database is unreachable.
        """
        raw = resolve_url(url)
        if raw == default_url():
            from alignloop._util.paths import home

            home().mkdir(parents=True, exist_ok=True)
        engine, parsed = connect(raw)
        upgrade(engine, display_url(parsed))
        return cls(engine, parsed)

    @property
    def url(self) -> str:
        """The database URL, password masked."""
        return display_url(self._url)

    @property
    def engine(self) -> Engine:
        """The underlying SQLAlchemy engine."""
        return self._engine

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------------

    def start_run(
        self,
        kind: str,
        model: str,
        constitution_hash: str,
        config: Mapping[str, Any],
        output_dir: str | os.PathLike[str] | None = None,
        name: str | None = None,
    ) -> str:
        """Record a new run with status ``running`` and return its id (32 hex characters).

        ``config`` must be JSON-serialisable (paths and other objects are stored as strings).
        """
        if kind not in KINDS:
            raise ValueError(f"unknown run kind {kind!r}; expected one of {', '.join(KINDS)}")
        if not isinstance(config, Mapping):
            raise TypeError(f"config must be a mapping, got {type(config).__name__}")
        # a round trip through JSON stores exactly what a later reader gets back
        cfg = json.loads(json.dumps(dict(config), default=str))
        cfg[OWNER_KEY] = _owner()
        run_id = uuid.uuid4().hex
        row = RunRow(
            id=run_id,
            name=name,
            kind=kind,
            status="running",
            model=str(model),
            constitution_hash=constitution_hash,
            config=cfg,
            output_dir=os.path.abspath(output_dir) if output_dir is not None else None,
            started_at=_start_time(),
        )
        from alignloop.govern._hooks import run_started

        with self._session.begin() as s:
            s.add(row)
            run_started(s, row)  # a constitution new to the audit log is recorded with the run
        return run_id

    def log_metrics(self, run_id: str, metrics: Mapping[str, float]) -> None:
        """Merge ``metrics`` into the run: new names are added, existing names overwritten."""
        values: dict[str, float | None] = {}
        for k, v in metrics.items():
            if not isinstance(k, str) or not k or len(k) > 255:
                raise ValueError(f"metric names must be non-empty strings of at most 255 characters: {k!r}")
            if isinstance(v, bool) or not isinstance(v, Real):
                raise TypeError(f"metric {k!r} must be a number, got {type(v).__name__}")
            f = float(v)
            values[k] = None if math.isnan(f) else f
        if not values:
            return
        now = _now()
        with self._session.begin() as s:
            self._require(s, run_id)
            rows = [{"run_id": run_id, "name": k, "value": v, "logged_at": now} for k, v in values.items()]
            _upsert(s, MetricRow, rows, ("value", "logged_at"))

    def add_artifact(self, run_id: str, name: str, path: str | os.PathLike[str]) -> None:
        """Record a file or folder the run produced; the same ``name`` again replaces the path."""
        if not name:
            raise ValueError("artifact name must not be empty")
        row = {"run_id": run_id, "name": name, "path": os.path.abspath(path), "created_at": _now()}
        with self._session.begin() as s:
            self._require(s, run_id)
            _upsert(s, ArtifactRow, [row], ("path", "created_at"))

    def finish_run(self, run_id: str, status: str = "completed", error: str | None = None) -> None:
        """Mark the run ``completed`` or ``failed`` (with ``error``) and record its duration."""
        if status not in ("completed", "failed"):
            raise ValueError(f"finish status must be 'completed' or 'failed', got {status!r}")
        from alignloop.govern._hooks import run_finished

        if error is not None and len(error) > _MAX_ERROR_CHARS:
            error = "...\n" + error[-_MAX_ERROR_CHARS:]
        with self._session.begin() as s:
            row = self._require_running(s, run_id)
            row.status = status
            row.error = error
            row.finished_at = _now()
            started = _utc(row.started_at)
            assert started is not None
            row.duration_s = max(0.0, (row.finished_at - started).total_seconds())
            run_finished(s, row)  # the audit entry commits with the status it records

    def resume_run(self, run_id: str) -> None:
        """Claim a ``running`` (or interrupted) run for this process, e.g. when a killed job is rerun."""
        with self._session.begin() as s:
            row = self._require_running(s, run_id)
            row.config = {**dict(row.config or {}), OWNER_KEY: _owner()}

    @contextlib.contextmanager
    def record(
        self,
        kind: str,
        model: str,
        constitution_hash: str,
        config: Mapping[str, Any],
        output_dir: str | os.PathLike[str] | None = None,
        name: str | None = None,
    ) -> Iterator[str]:
        """Context manager around :meth:`start_run`/:meth:`finish_run`; yields the run id.

        The run is ``completed`` when the block ends normally and ``failed`` (with the
        traceback, or the message of a :class:`UserError`) when it raises; the exception propagates.
        """
        run_id = self.start_run(kind, model, constitution_hash, config, output_dir=output_dir, name=name)
        try:
            yield run_id
        except BaseException as e:
            if isinstance(e, UserError):
                error = f"{type(e).__name__}: {e}"
            elif isinstance(e, KeyboardInterrupt):
                error = "interrupted (KeyboardInterrupt)"
            else:
                error = traceback.format_exc()
            self.finish_run(run_id, "failed", error=error)
            raise
        self.finish_run(run_id, "completed")

    # -- reading ------------------------------------------------------------------------------

    def resolve_id(self, run_id: str) -> str:
        """The full id of the one run whose id is ``run_id`` or starts with it.

        Raises:
            RunNotFoundError: no run matches, or the prefix matches several runs.
        """
        prefix = run_id.strip().lower()
        if not prefix:
            raise RunNotFoundError("empty run id", hint="see `alignloop runs list` for ids")
        with self._session() as s:
            ids = s.scalars(select(RunRow.id).where(RunRow.id.startswith(prefix, autoescape=True)).limit(6)).all()
        if not ids:
            raise RunNotFoundError(f"no run with id {run_id!r} in {self.url}", hint="see `alignloop runs list` for ids")
        if len(ids) > 1:
            shown = ", ".join(i[:12] for i in ids[:5]) + (", ..." if len(ids) > 5 else "")
            raise RunNotFoundError(
                f"run id prefix {run_id!r} matches several runs ({shown})",
                hint="give more characters of the id",
            )
        return ids[0]

    def get(self, run_id: str) -> RunInfo:
        """The run with this id or unique id prefix.

        Raises:
            RunNotFoundError: no run matches, or the prefix is ambiguous.
        """
        full = self.resolve_id(run_id)
        with self._session() as s:
            row = s.scalars(self._select().where(RunRow.id == full)).one()
            return _info(row)

    def list(self, kind: str | None = None, limit: int = 50, status: str | None = None) -> list[RunInfo]:
        """The newest ``limit`` runs, newest first, optionally only of one ``kind`` or ``status``."""
        q = self._select().order_by(RunRow.started_at.desc(), RunRow.id.desc())
        if kind is not None:
            q = q.where(RunRow.kind == kind)
        derived = status in ("running", "interrupted")  # told apart by the owner process, not stored
        if status is not None:
            q = q.where(RunRow.status == ("running" if derived else status))
        if not derived:
            q = q.limit(limit)
        with self._session() as s:
            runs = [_info(r) for r in s.scalars(q).all()]
        return [r for r in runs if r.status == status][:limit] if derived else runs

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _select() -> Any:
        return select(RunRow).options(selectinload(RunRow.metrics), selectinload(RunRow.artifacts))

    def _require(self, s: Session, run_id: str) -> RunRow:
        row = s.get(RunRow, run_id)
        if row is None:
            raise RunNotFoundError(f"no run with id {run_id!r} in {self.url}")
        return row

    def _require_running(self, s: Session, run_id: str) -> RunRow:
        row = self._require(s, run_id)
        if row.status != "running":
            raise ValueError(f"run {run_id} is already {row.status}")
        return row


def _upsert(s: Session, table: type[Any], rows: list[dict[str, Any]], update: tuple[str, ...]) -> None:
    # one statement per batch where the dialect has ON CONFLICT, so two writers cannot race
    dialect = s.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
        stmt = insert(table).values(rows)
        stmt = stmt.on_conflict_do_update(index_elements=["run_id", "name"], set_={c: stmt.excluded[c] for c in update})
        s.execute(stmt)
    else:
        for r in rows:
            s.merge(table(**r))
