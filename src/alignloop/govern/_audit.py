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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select, text
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


_PG_APPEND_LOCK = 0x61756474
"""Arbitrary constant key of the PostgreSQL advisory lock that serialises appends ("audt")."""


def _serialize_appends(session: Session) -> None:
    """Make concurrent appenders take turns until their transactions end.

    ``SELECT ... FOR UPDATE`` on the newest row is not enough on PostgreSQL: a transaction that waited
    for that lock still reads the same newest row afterwards (it cannot see the row the winner
    inserted), so both would write the same ``seq``. A transaction-scoped advisory lock makes the
    second appender wait until the first commits, then read a fresh newest row. SQLite needs nothing:
    the store begins every transaction with ``BEGIN IMMEDIATE``, which already admits one writer.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_APPEND_LOCK})


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
    _serialize_appends(session)
    last = session.execute(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).scalar()
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


# -- reading, exporting and verifying ------------------------------------------------------------

END_KIND = "end"
"""``kind`` of an export's last line: the number of entries and the head hash, chained like an entry,
so cutting entries off the end of a file (or the end line itself) is detected."""
_NEEDS_KEY = f"set {AUDIT_KEY_ENV}"
_FIELDS = ("seq", "ts", "actor", "action", "subject", "details", "prev_hash", "keyed", "hash")


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking a chain: ``ok``, or the first bad entry and why."""

    ok: bool
    entries: int
    """Entries checked (up to and including the first bad one)."""
    keyed: int = 0
    """How many of them carry an HMAC rather than a plain SHA-256."""
    head: str = GENESIS
    """Hash of the last good entry: write it down elsewhere to pin the log's end."""
    bad_seq: int | None = None
    bad_line: int | None = None
    """1-based line of the bad entry in an exported file (None for the store)."""
    reason: str = ""
    needs_key: bool = False
    """The chain could not be checked past a keyed entry because no key was given (not tampering)."""

    def describe(self) -> str:
        """One line for people."""
        if self.ok:
            return f"intact: {self.entries} entries ({self.keyed} keyed), head {self.head[:16]}"
        where = [f"line {self.bad_line}" if self.bad_line else "", f"entry #{self.bad_seq}" if self.bad_seq else ""]
        return f"TAMPERED at {', '.join(w for w in where if w) or 'the start'}: {self.reason}"


def stored_entries(session: Session) -> Iterator[dict[str, Any]]:
    """Every stored entry in ``seq`` order, in exported form."""
    for row in session.scalars(select(AuditRow).order_by(AuditRow.seq)):
        yield row_entry(row)


def _end_line(count: int, head: str, key: bytes | None) -> dict[str, Any]:
    end = {"kind": END_KIND, "entries": count, "prev_hash": head, "keyed": key is not None}
    end["hash"] = entry_digest(end, key)
    return end


def export_audit(session: Session, path: str | os.PathLike[str]) -> int:
    """Write every entry as one compact JSON line, then the end line; returns the entry count.

    The file is written atomically (a kill leaves no half-written export).
    """
    from alignloop._util.atomic import write_text_atomic
    from alignloop._util.errors import UserError

    key = audit_key()
    lines, head, n = [], GENESIS, 0
    for e in stored_entries(session):
        if e["keyed"] and key is None:
            raise UserError(
                f"entry #{e['seq']} carries an HMAC, so the export's end line needs the key too",
                hint=f"set {AUDIT_KEY_ENV} to the audit key and export again",
            )
        lines.append(_dumps(e))
        head, n = e["hash"], n + 1
    lines.append(_dumps(_end_line(n, head, key)))
    write_text_atomic(path, "\n".join(lines) + "\n")
    return n


def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str)


class _Chain:
    """Checks entries one by one against the previous one."""

    def __init__(self, key: bytes | None, require_keyed: bool) -> None:
        self.key, self.require_keyed = key, require_keyed
        self.n = self.keyed = 0
        self.head, self.seq = GENESIS, 0
        self.seen_keyed = False

    def problem(self, e: dict[str, Any]) -> str | None:
        missing = [f for f in _FIELDS if f not in e]
        if missing or set(e) - set(_FIELDS):
            return f"fields {sorted(missing) or sorted(set(e) - set(_FIELDS))} missing or unexpected"
        if not isinstance(e["seq"], int) or e["seq"] != self.seq + 1:
            return f"sequence number {e['seq']!r} follows #{self.seq} (an entry was deleted or moved)"
        if e["prev_hash"] != self.head:
            return "prev_hash does not match the previous entry's hash (an entry was deleted or moved)"
        return self._digest_problem(e)

    def _digest_problem(self, e: dict[str, Any]) -> str | None:
        keyed = e.get("keyed")
        if keyed is True:
            if self.key is None:
                return f"the entry carries an HMAC: {_NEEDS_KEY} to the key it was written with"
            want = entry_digest(e, self.key)
        elif keyed is False:
            if self.require_keyed or self.seen_keyed:
                # once a key is in use a plain entry is a downgrade: anyone can compute a SHA-256
                return "a plain SHA-256 entry where an HMAC is required"
            want = entry_digest(e, None)
        else:
            return "'keyed' must be true or false"
        if not isinstance(e.get("hash"), str) or not hmac.compare_digest(want, e["hash"]):
            return "content does not match its hash (the entry was edited)" + (
                ", or the HMAC key differs" if keyed else ""
            )
        return None

    def accept(self, e: dict[str, Any]) -> None:
        self.n += 1
        self.keyed += bool(e["keyed"])
        self.seen_keyed = self.seen_keyed or bool(e["keyed"])
        self.head, self.seq = e["hash"], e["seq"]

    def result(self, ok: bool = True, **bad: Any) -> VerifyResult:
        return VerifyResult(ok, self.n + (0 if ok else 1), self.keyed, self.head, **bad)


def verify_entries(
    entries: Iterable[dict[str, Any]], key: bytes | None = None, *, require_keyed: bool = False
) -> VerifyResult:
    """Check a chain of entries in exported form (e.g. :func:`stored_entries`).

    Args:
        key: the HMAC key (``audit_key()``); needed for keyed entries.
        require_keyed: every entry must carry an HMAC (no plain SHA-256 entries at all).
    """
    chain = _Chain(key, require_keyed)
    for e in entries:
        why = chain.problem(e)
        if why:
            seq = e.get("seq") if isinstance(e.get("seq"), int) else None
            return chain.result(False, bad_seq=seq, reason=why, needs_key=_NEEDS_KEY in why)
        chain.accept(e)
    return chain.result()


def verify_store(session: Session, key: bytes | None = None, *, require_keyed: bool = False) -> VerifyResult:
    """Check the chain stored in the run store.

    The store cannot show that its newest entries were cut off (nothing comes after them); compare the
    printed head with one noted earlier, or verify an export, whose end line pins the count and head.
    """
    return verify_entries(stored_entries(session), key, require_keyed=require_keyed)


def verify_file(path: str | os.PathLike[str], key: bytes | None = None, *, require_keyed: bool = False) -> VerifyResult:
    """Check an export written by :func:`export_audit`, line by line, including its end line.

    Raises:
        UserError: the file does not exist.
    """
    from pathlib import Path

    from alignloop._util.errors import UserError

    p = Path(path)
    if not p.is_file():
        raise UserError(f"no audit export at {p}", hint="write one with `alignloop audit export -o FILE`")
    chain = _Chain(key, require_keyed)
    raw_lines = p.read_bytes().split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()  # the final newline
    for i, raw in enumerate(raw_lines, start=1):
        try:
            e = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return chain.result(False, bad_line=i, reason="not a valid JSON line (bytes were changed)")
        if not isinstance(e, dict):
            return chain.result(False, bad_line=i, reason="not a JSON object")
        if raw != _dumps(e).encode("utf-8"):
            # exports are canonical JSON, so even a byte of whitespace that JSON would ignore counts
            return chain.result(False, bad_line=i, reason="not in the export's canonical form (bytes were changed)")
        if e.get("kind") == END_KIND:
            why = _end_problem(e, chain, key)
            if why is None and i != len(raw_lines):
                why = "lines follow the end line"
            if why:
                return chain.result(False, bad_line=i, reason=why, needs_key=_NEEDS_KEY in why)
            return chain.result()
        why = chain.problem(e)
        if why:
            seq = e.get("seq") if isinstance(e.get("seq"), int) else None
            return chain.result(False, bad_line=i, bad_seq=seq, reason=why, needs_key=_NEEDS_KEY in why)
        chain.accept(e)
    return chain.result(False, bad_line=len(raw_lines) + 1, reason="no end line: the file was cut short")


def _end_problem(e: dict[str, Any], chain: _Chain, key: bytes | None) -> str | None:
    if set(e) != {"kind", "entries", "prev_hash", "keyed", "hash"}:
        return "the end line has missing or unexpected fields"
    if e["entries"] != chain.n or e["prev_hash"] != chain.head:
        return f"the end line records {e['entries']!r} entries and another head (entries were cut off the end)"
    if not isinstance(e["keyed"], bool):
        return "'keyed' must be true or false"
    if e["keyed"] and key is None:
        return f"the end line carries an HMAC: {_NEEDS_KEY}"
    want = entry_digest(e, key if e["keyed"] else None)
    if not isinstance(e["hash"], str) or not hmac.compare_digest(want, e["hash"]):
        return "the end line does not match its hash"
    if chain.seen_keyed and not e["keyed"]:
        return "a plain end line after keyed entries"
    return None


def audit_entries(
    session: Session, *, action: str | None = None, subject: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Stored entries, newest first, optionally only one action (or ``prefix.*``) or subject."""
    q = select(AuditRow).order_by(AuditRow.seq.desc())
    if action:
        q = q.where(AuditRow.action.startswith(action[:-1]) if action.endswith("*") else AuditRow.action == action)
    if subject:
        q = q.where(AuditRow.subject == subject)
    if limit:
        q = q.limit(limit)
    return [row_entry(r) for r in session.scalars(q)]
