"""Pieces shared by the governance commands (audit, release, card, compliance, incident)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from alignloop.store import RunStore

db_option = click.option(
    "--db",
    "db_url",
    default=None,
    metavar="URL",
    help="Database URL (default: $ALIGNLOOP_DB_URL, else the SQLite store in alignloop's home folder).",
)


@contextmanager
def open_store(db_url: str | None) -> Iterator[RunStore]:
    """The run store at ``db_url`` (else the default), closed afterwards."""
    from alignloop.store import RunStore

    with RunStore.open(db_url) as store:
        yield store


@contextmanager
def transaction(db_url: str | None) -> Iterator[Session]:
    """A session in one transaction on the run store: committed when the block ends normally."""
    from sqlalchemy.orm import Session

    with open_store(db_url) as store, Session(store.engine, expire_on_commit=False) as s, s.begin():
        yield s
