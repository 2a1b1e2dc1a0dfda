"""Bring a database's schema to the newest revision with Alembic, configured in code."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine

from alignloop._util.errors import UserError
from alignloop.store._tables import VERSION_TABLE

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _config(connection: Connection) -> object:
    from alembic.config import Config

    cfg = Config()
    # Config values go through configparser interpolation, hence the doubled %
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision shipped with this version of alignloop."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The schema revision recorded in the database, or None for an empty database."""
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return ctx.get_current_revision()


def upgrade(engine: Engine, where: str) -> None:
    """Apply every pending migration; ``where`` names the database in error messages."""
    from alembic import command
    from alembic.util.exc import CommandError

    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "head")  # type: ignore[arg-type]
    except CommandError as e:
        # typically a database written by a newer alignloop (unknown revision)
        raise UserError(
            f"cannot migrate the run store at {where}: {e}",
            hint="upgrade alignloop (pip install -U alignloop), or set ALIGNLOOP_DB_URL to another database",
        ) from None
