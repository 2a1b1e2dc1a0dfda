"""Run-store fixtures: every test runs on SQLite and, with ALIGNLOOP_TEST_PG_URL set, on PostgreSQL.

Start a server with ``url=$(scripts/postgres.sh | tail -n1)`` and export it as ALIGNLOOP_TEST_PG_URL.
Each PostgreSQL test gets a schema of its own (via ``search_path``), dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from alignloop.store import RunStore

PG_ENV = "ALIGNLOOP_TEST_PG_URL"


def _pg_schema_url(base: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set"),
            ],
        ),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL of an empty database (a fresh SQLite file, or a fresh PostgreSQL schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'runs.db'}"
    else:
        yield from _pg_schema_url(os.environ[PG_ENV])


@pytest.fixture
def store(db_url: str) -> Iterator[RunStore]:
    """An open run store on ``db_url``."""
    s = RunStore.open(db_url)
    yield s
    s.close()
