"""Audit entries the run store writes by itself: a constitution seen for the first time, a run's end.

:class:`alignloop.store.RunStore` calls these inside the transaction that records the act, so a run
and its audit entry are committed together or not at all.
"""

from __future__ import annotations

import difflib
import getpass
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alignloop.govern._audit import append_audit
from alignloop.store._ops_tables import AuditRow
from alignloop.store._tables import RunRow

CONSTITUTION_CHANGE = "constitution.change"


def current_user() -> str:
    """The operating-system user, the actor of acts nobody named with ``--by``."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in containers without /etc/passwd entries
        return "unknown"


def _content_yaml(content: dict[str, Any] | None) -> list[str]:
    import yaml

    if content is None:
        return []
    return yaml.safe_dump(content, sort_keys=False, allow_unicode=True, width=100).splitlines(keepends=True)


def record_constitution(session: Session, chash: str, first_run: str | None = None) -> AuditRow | None:
    """Append ``constitution.change`` unless an entry already recorded this content; returns it (or None).

    The entry keeps the constitution's content (when this process loaded it) and a unified diff
    against the content of the previous ``constitution.change`` entry. ``chash`` (the hash runs are
    recorded with) leaves out the categories' ``frameworks``; ``details.full_hash`` covers them too,
    so a changed mapping is recorded as a change of its own.
    """
    from alignloop._util.hashing import sha256_json
    from alignloop.constitution._load import constitution_by_hash

    c = constitution_by_hash(chash)
    content = c.model_dump(mode="json") if c is not None else None
    full = sha256_json(content) if content is not None else None
    earlier = session.scalars(
        select(AuditRow).where(AuditRow.action == CONSTITUTION_CHANGE, AuditRow.subject == chash)
    ).all()
    if any(full is None or (e.details or {}).get("full_hash") == full for e in earlier):
        return None
    prev = session.scalars(
        select(AuditRow).where(AuditRow.action == CONSTITUTION_CHANGE).order_by(AuditRow.seq.desc()).limit(1)
    ).first()
    prev_content = (prev.details or {}).get("content") if prev is not None else None
    diff = "".join(
        difflib.unified_diff(
            _content_yaml(prev_content),
            _content_yaml(content),
            fromfile=f"constitution {prev.subject[:12]}" if prev is not None else "(none)",
            tofile=f"constitution {chash[:12]}",
        )
    )
    return append_audit(
        session,
        actor=current_user(),
        action=CONSTITUTION_CHANGE,
        subject=chash,
        details={
            "hash": chash,
            "full_hash": full,
            "previous_hash": prev.subject if prev is not None else None,
            "name": content.get("name") if content else None,
            "version": content.get("version") if content else None,
            "content": content,
            # the first constitution has nothing to differ from: its content is the record
            "diff": diff if content is not None and prev_content is not None else None,
            "first_run": first_run,
        },
    )


def _gates(output_dir: str | None) -> dict[str, Any] | None:
    if not output_dir:
        return None
    path = Path(output_dir) / "gates.json"
    try:
        gates = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return gates if isinstance(gates, dict) else None


def run_started(session: Session, row: RunRow) -> None:
    """Record the run's constitution if it is new to the log."""
    record_constitution(session, row.constitution_hash, first_run=row.id)


def run_finished(session: Session, row: RunRow) -> None:
    """Append ``run.finish`` (status, metrics) and, for a run that checked gates, ``gates.result``."""
    details: dict[str, Any] = {
        "kind": row.kind,
        "status": row.status,
        "model": row.model,
        "constitution_hash": row.constitution_hash,
        "output_dir": row.output_dir,
        "duration_s": row.duration_s,
        "metrics": {m.name: m.value for m in row.metrics},
    }
    if row.error:
        details["error"] = row.error.strip().splitlines()[-1][:500]
    actor = current_user()
    append_audit(session, actor=actor, action="run.finish", subject=row.id, details=details)
    gates = _gates(row.output_dir) if row.status == "completed" else None
    if gates is not None:
        append_audit(
            session,
            actor=actor,
            action="gates.result",
            subject=row.id,
            details={"passed": bool(gates.get("passed")), "checks": gates.get("checks", [])},
        )
