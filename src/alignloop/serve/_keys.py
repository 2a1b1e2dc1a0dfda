"""API keys: create (shown once), list, revoke, and look up by the hash of a presented key."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from alignloop._util.errors import UserError
from alignloop.serve._modes import Mode, parse_mode, parse_rate
from alignloop.store import RunStore
from alignloop.store._serve_tables import ApiKeyRow

KEY_PREFIX = "alk-"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$")


def hash_key(key: str) -> str:
    """SHA-256 hex digest of a key: the only form that is stored."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    """A key's stored policy (never the key itself)."""

    name: str
    key_hash: str
    mode: Mode | None
    rate: str | None
    fail_open: bool
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """Whether the key still opens the gateway."""
        return self.revoked_at is None


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        name=row.name,
        key_hash=row.key_hash,
        mode=parse_mode(row.mode) if row.mode else None,
        rate=row.rate,
        fail_open=row.fail_open,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def create_key(
    store: RunStore,
    name: str,
    *,
    mode: str | None = None,
    rate: str | None = None,
    fail_open: bool = False,
    actor: str = "alignloop",
) -> str:
    """Create a key named ``name`` and return it; only its hash is kept. The act is audited."""
    from alignloop.govern import append_audit

    if not _NAME.match(name):
        raise UserError(f"bad key name {name!r}", hint="use letters, digits and _ . @ - (up to 128 characters)")
    if mode is not None:
        parse_mode(mode)
    if rate is not None:
        parse_rate(rate)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with Session(store.engine) as s, s.begin():
        if s.get(ApiKeyRow, name) is not None:
            raise UserError(f"a key named {name!r} already exists", hint="pick another name, or revoke it first")
        s.add(
            ApiKeyRow(
                name=name,
                key_hash=hash_key(key),
                mode=mode,
                rate=rate,
                fail_open=fail_open,
                created_at=datetime.now(timezone.utc),
                revoked_at=None,
            )
        )
        details = {"mode": mode, "rate": rate, "fail_open": fail_open}
        append_audit(s, actor=actor, action="key.create", subject=name, details=details)
    return key


def list_keys(store: RunStore, include_revoked: bool = True) -> list[ApiKey]:
    """Every key's policy, oldest first."""
    with Session(store.engine) as s:
        rows = s.execute(select(ApiKeyRow).order_by(ApiKeyRow.created_at)).scalars().all()
        keys = [_key(r) for r in rows]
    return [k for k in keys if include_revoked or k.active]


def revoke_key(store: RunStore, name: str, actor: str = "alignloop") -> None:
    """Revoke the key ``name`` (kept for the record). The act is audited."""
    from alignloop.govern import append_audit

    with Session(store.engine) as s, s.begin():
        row = s.get(ApiKeyRow, name)
        if row is None:
            raise UserError(f"no key named {name!r}", hint="see `alignloop keys list`")
        if row.revoked_at is not None:
            raise UserError(f"key {name!r} is already revoked")
        row.revoked_at = datetime.now(timezone.utc)
        append_audit(s, actor=actor, action="key.revoke", subject=name, details={})


def active_keys(store: RunStore) -> dict[str, ApiKey]:
    """Active keys by hash, for request lookup."""
    return {k.key_hash: k for k in list_keys(store, include_revoked=False)}
