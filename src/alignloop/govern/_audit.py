"""The append-only, hash-chained audit log: every consequential act of every stage.

Each entry's hash covers its content and the previous entry's hash, so editing, deleting or
reordering any entry breaks the chain from that point on. With ``ALIGNLOOP_AUDIT_KEY`` set the hash
is an HMAC-SHA256 under that key, so someone who can write the database cannot forge a valid chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alignloop.store._ops_tables import AuditRow

AUDIT_KEY_ENV = "ALIGNLOOP_AUDIT_KEY"
GENESIS = "0" * 64
"""``prev_hash`` of the first entry."""


def entry_digest(entry: dict[str, Any], key: bytes | None) -> str:
    """The hash of one entry: canonical JSON of every field but ``hash``, chained through ``prev_hash``."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()
    if key:
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def audit_key() -> bytes | None:
    """The HMAC key from ``$ALIGNLOOP_AUDIT_KEY``, or None for a plain SHA-256 chain."""
    raw = os.environ.get(AUDIT_KEY_ENV)
    return raw.encode() if raw else None


def row_entry(row: AuditRow) -> dict[str, Any]:
    """The exported form of a stored entry (what the hash covers, plus ``hash``)."""
    ts = row.ts if row.ts.tzinfo else row.ts.replace(tzinfo=timezone.utc)
    return {
        "seq": row.seq,
        "ts": ts.astimezone(timezone.utc).isoformat(),
        "actor": row.actor,
        "action": row.action,
        "subject": row.subject,
        "details": row.details,
        "prev_hash": row.prev_hash,
        "keyed": row.keyed,
        "hash": row.hash,
    }


def append_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any] | None = None,
) -> AuditRow:
    """Append one entry inside the caller's transaction (commit it with the act it records).

    Args:
        session: an open SQLAlchemy session on the run store; the caller commits.
        actor: who did it (a person's ``--by`` name, a key name, or ``alignloop`` for automatic acts).
        action: a dotted verb such as ``release.approve`` or ``key.create``.
        subject: what it was done to (a run id, a key name, an incident id ...).
        details: JSON-serialisable facts worth keeping (hashes, diffs, gate results).
    """
    key = audit_key()
    last = session.execute(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1).with_for_update()).scalar()
    seq = (last.seq + 1) if last is not None else 1
    prev = last.hash if last is not None else GENESIS
    ts = datetime.now(timezone.utc)
    details = json.loads(json.dumps(details or {}, default=str))
    entry = {
        "seq": seq,
        "ts": ts.isoformat(),
        "actor": actor,
        "action": action,
        "subject": subject,
        "details": details,
        "prev_hash": prev,
        "keyed": key is not None,
    }
    row = AuditRow(
        seq=seq,
        ts=ts,
        actor=actor,
        action=action,
        subject=subject,
        details=details,
        prev_hash=prev,
        hash=entry_digest(entry, key),
        keyed=key is not None,
    )
    session.add(row)
    session.flush()
    return row
