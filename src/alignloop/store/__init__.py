"""The run store: every run of the loop with its constitution hash, model, config, metrics and artifacts.

SQLite at ``home()/alignloop.db`` by default; ``$ALIGNLOOP_DB_URL`` (or ``RunStore.open(url)``) selects
any SQLAlchemy URL, e.g. ``postgresql+psycopg://user@host:5432/db``. The schema is migrated with
Alembic to the newest revision whenever a store is opened.
"""

from alignloop.store._engine import DB_URL_ENV, default_url
from alignloop.store._govern_tables import ReleaseRow
from alignloop.store._info import KINDS, STATUSES, RunInfo
from alignloop.store._ops_tables import AuditRow, IncidentEventRow, IncidentRow, TraceRow
from alignloop.store._store import RunNotFoundError, RunStore

__all__ = [
    "DB_URL_ENV",
    "KINDS",
    "STATUSES",
    "AuditRow",
    "IncidentEventRow",
    "IncidentRow",
    "ReleaseRow",
    "RunInfo",
    "RunNotFoundError",
    "RunStore",
    "TraceRow",
    "default_url",
]
