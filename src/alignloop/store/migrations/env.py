"""Alembic environment: runs on the connection that ``RunStore.open`` hands over.

There is no alembic.ini: :func:`alignloop.store._migrate.upgrade` builds the Config in code and puts
the open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

import alignloop.store._govern_tables
import alignloop.store._monitor_tables
import alignloop.store._ops_tables  # noqa: F401  (registers the operations tables on Base.metadata)
from alignloop.store import _serve_tables  # noqa: F401  (registers the gateway's API keys table)
from alignloop.store._tables import VERSION_TABLE, Base

# arbitrary constant key for pg_advisory_xact_lock: serialises concurrent first opens of one database
_PG_LOCK_KEY = 0x616C676E


def _run() -> None:
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=Base.metadata, version_table=VERSION_TABLE)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        context.run_migrations()


_run()
