from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from alignloop._util.errors import UserError
from alignloop.store import RunStore
from alignloop.store._migrate import MIGRATIONS_DIR, current_revision, head_revision
from alignloop.store._tables import VERSION_TABLE, Base


def test_fresh_database_is_migrated_to_head(db_url: str) -> None:
    with RunStore.open(db_url) as store:
        assert current_revision(store.engine) == head_revision()
        tables = set(inspect(store.engine).get_table_names())
        assert {"runs", "metrics", "artifacts", VERSION_TABLE} <= tables


def test_orm_matches_migrations(db_url: str) -> None:
    # the ORM classes and the migration scripts must describe the same schema
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with RunStore.open(db_url) as store, store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(ctx, Base.metadata) == []


def test_reopen_keeps_runs_and_does_not_remigrate(db_url: str) -> None:
    with RunStore.open(db_url) as first:
        run_id = first.start_run("redteam", "default", "h", {"budget": 10})
        first.log_metrics(run_id, {"asr": 0.5})
    with RunStore.open(db_url) as second:
        assert second.get(run_id).metrics == {"asr": 0.5}
        assert current_revision(second.engine) == head_revision()
        with second.engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar_one() == 1


def test_database_from_a_newer_alignloop_is_a_user_error(db_url: str) -> None:
    with RunStore.open(db_url) as store, store.engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = 'f999'"))
    with pytest.raises(UserError, match="cannot migrate the run store"):
        RunStore.open(db_url)


def test_default_is_sqlite_in_home(_isolated_home: Path) -> None:
    with RunStore.open() as store:
        assert store.url.startswith("sqlite:///")
        run_id = store.start_run("guard", "default", "h", {})
    assert (_isolated_home / "alignloop.db").is_file()
    with RunStore.open(f"sqlite:///{_isolated_home / 'alignloop.db'}") as again:
        assert again.get(run_id).kind == "guard"


def test_env_var_selects_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIGNLOOP_DB_URL", f"sqlite:///{tmp_path / 'env.db'}")
    with RunStore.open() as store:
        store.start_run("loop", "default", "h", {})
    assert (tmp_path / "env.db").is_file()


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    with RunStore.open(f"sqlite:///{tmp_path / 'w.db'}") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1


def test_in_memory_sqlite_works() -> None:
    with RunStore.open("sqlite://") as store:
        run_id = store.start_run("eval", "m", "h", {})
        assert store.get(run_id).status == "running"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a database URL"),
        ("nosuchdb://x/y", "unknown database type"),
        ("postgresql+psycopg://alice:s3cret@127.0.0.1:1/db", "cannot connect to the run store"),
        ("sqlite:////nonexistent-dir-alignloop/x/runs.db", "does not exist"),
    ],
)
def test_bad_urls_are_user_errors(url: str, message: str) -> None:
    with pytest.raises(UserError, match=message) as e:
        RunStore.open(url)
    assert "s3cret" not in str(e.value)  # passwords never reach the terminal


def test_migrations_ship_as_package_data() -> None:
    # setuptools only installs folders that are packages: both need an __init__.py
    assert (MIGRATIONS_DIR / "__init__.py").is_file()
    assert (MIGRATIONS_DIR / "versions" / "__init__.py").is_file()
    assert (MIGRATIONS_DIR / "env.py").is_file()
