"""Release approval: a loop run whose gates passed is ``staged`` until a person approves or rejects it.

Approving a run whose gates failed takes an explicit override reason. Every decision is stored in the
``releases`` table (the latest one per run) and appended to the audit log (all of them).
``require_approved`` is the check ``alignloop serve --require-approved`` makes before serving a model.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alignloop._util.errors import UserError
from alignloop.govern._audit import append_audit
from alignloop.store._govern_tables import ReleaseRow
from alignloop.store._tables import ArtifactRow, RunRow

if TYPE_CHECKING:
    from alignloop.store import RunStore

RELEASE_STATUSES = ("staged", "gates_failed", "not_finished", "approved", "rejected")
"""``staged``: gates passed, awaiting a decision; ``gates_failed``: only an override can approve it;
``not_finished``: the run is still running or failed; ``approved`` / ``rejected``: decided."""


@dataclass(frozen=True)
class ReleaseInfo:
    """Where one loop run stands on its way to release."""

    run_id: str
    status: str
    gates_passed: bool | None
    """None when the run wrote no gates (it did not get that far)."""
    model_dir: str | None
    output_dir: str | None
    decided_by: str | None = None
    note: str | None = None
    override: str | None = None
    decided_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict."""
        return asdict(self)


def read_gates(output_dir: str | os.PathLike[str] | None) -> dict[str, Any] | None:
    """``gates.json`` of a loop run folder (or the gates in its ``summary.json``), else None."""
    if not output_dir:
        return None
    for name, key in (("gates.json", None), ("summary.json", "gates")):
        p = Path(output_dir) / name
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        got = data.get(key) if key else data
        if isinstance(got, dict) and "passed" in got:
            return got
    return None


def _model_dir(s: Session, row: RunRow) -> str | None:
    art = s.get(ArtifactRow, (row.id, "model"))
    if art is not None:
        return art.path
    return str(Path(row.output_dir) / "model") if row.output_dir else None


def _info(s: Session, row: RunRow) -> ReleaseInfo:
    gates = read_gates(row.output_dir)
    passed = bool(gates["passed"]) if gates is not None else None
    decision = s.get(ReleaseRow, row.id)
    if decision is not None:
        decided = decision.decided_at
        decided = decided.replace(tzinfo=timezone.utc) if decided.tzinfo is None else decided
        status = decision.status
    elif row.status != "completed" or passed is None:
        status = "not_finished"
    else:
        status = "staged" if passed else "gates_failed"
    return ReleaseInfo(
        run_id=row.id,
        status=status,
        gates_passed=passed,
        model_dir=_model_dir(s, row),
        output_dir=row.output_dir,
        decided_by=decision.decided_by if decision else None,
        note=decision.note if decision else None,
        override=decision.override if decision else None,
        decided_at=decided.isoformat() if decision else None,
    )


def _loop_run(s: Session, store: RunStore, ref: str) -> RunRow:
    """The loop run ``ref`` names: a run folder, a run id, or a unique id prefix."""
    p = Path(ref)
    if p.is_dir():
        loops = s.scalars(select(RunRow).where(RunRow.kind == "loop")).all()
        rows = [r for r in loops if _same_path(ref, r.output_dir)]
        if not rows:
            raise UserError(
                f"no recorded `alignloop run` wrote {p.resolve()}",
                hint="give a run id from `alignloop runs list --kind loop`, or the folder the run wrote",
            )
        return max(rows, key=lambda r: r.started_at)
    row = s.get(RunRow, store.resolve_id(ref))
    assert row is not None
    if row.kind != "loop":
        raise UserError(
            f"run {row.id[:12]} is a {row.kind} run; only models written by `alignloop run` are released",
            hint="see `alignloop runs list --kind loop`",
        )
    return row


def release_status(store: RunStore, ref: str) -> ReleaseInfo:
    """Where the loop run ``ref`` (folder, id or id prefix) stands."""
    with Session(store.engine) as s:
        return _info(s, _loop_run(s, store, ref))


def list_releases(store: RunStore, limit: int = 50) -> list[ReleaseInfo]:
    """The newest ``limit`` loop runs and where each stands."""
    with Session(store.engine) as s:
        rows = s.scalars(
            select(RunRow).where(RunRow.kind == "loop").order_by(RunRow.started_at.desc()).limit(limit)
        ).all()
        return [_info(s, r) for r in rows]


def decide(
    store: RunStore,
    ref: str,
    decision: str,
    *,
    by: str,
    note: str,
    override: str | None = None,
) -> ReleaseInfo:
    """Approve or reject the loop run ``ref``; logged as ``release.approve|reject|override``.

    Raises:
        UserError: no such loop run, the run has not finished, an empty ``by``/``note``, approving
            failed gates without ``override``, or an ``override`` where the gates passed.
    """
    if decision not in ("approved", "rejected"):
        raise ValueError(f"decision must be 'approved' or 'rejected', got {decision!r}")
    if not by.strip() or not note.strip():
        raise UserError("a release decision needs --by NAME and a non-empty --note TEXT")
    with Session(store.engine) as s, s.begin():
        row = _loop_run(s, store, ref)
        info = _info(s, row)
        if info.gates_passed is None or row.status != "completed":
            raise UserError(
                f"run {row.id[:12]} has not finished its gates (status {row.status})",
                hint="rerun `alignloop run -o DIR` with the same folder to finish it",
            )
        action = "release.reject" if decision == "rejected" else "release.approve"
        if decision == "approved" and not info.gates_passed:
            if not override or not override.strip():
                raise UserError(
                    f"run {row.id[:12]} failed its release gates; approving it needs --override REASON",
                    hint="say why it may ship anyway; the reason is kept in the audit log",
                )
            action = "release.override"
        elif override:
            raise UserError(
                "--override is only for approving a run whose gates failed",
                hint="leave --override out" if decision == "approved" else "a rejection needs no override",
            )
        s.merge(
            ReleaseRow(
                run_id=row.id,
                status=decision,
                decided_by=by,
                note=note,
                override=override if action == "release.override" else None,
                gates_passed=bool(info.gates_passed),
                model_dir=info.model_dir,
                decided_at=datetime.now(timezone.utc),
            )
        )
        gates = read_gates(row.output_dir) or {}
        append_audit(
            s,
            actor=by,
            action=action,
            subject=row.id,
            details={
                "decision": decision,
                "previous": info.status,
                "note": note,
                "override": override,
                "model": row.model,
                "model_dir": info.model_dir,
                "constitution_hash": row.constitution_hash,
                "gates": [
                    {k: c.get(k) for k in ("name", "value", "threshold", "passed")} for c in gates.get("checks", [])
                ],
            },
        )
        s.flush()
        return _info(s, row)


def _same_path(a: str, b: str | None) -> bool:
    return b is not None and os.path.realpath(a) == os.path.realpath(b)


def require_approved(model_spec: str, store: RunStore | None = None) -> ReleaseInfo:
    """Return the approved loop run whose model ``model_spec`` is, else raise.

    ``model_spec`` is the model folder (``DIR/model``) or the run folder ``DIR`` of an ``alignloop run``.

    Raises:
        UserError: the model is not the model of any recorded loop run, or that run is not approved.
    """
    from alignloop.store import RunStore

    own = store is None
    st = store or RunStore.open()
    try:
        with Session(st.engine) as s:
            rows = s.scalars(select(RunRow).where(RunRow.kind == "loop").order_by(RunRow.started_at.desc())).all()
            found = [
                r for r in rows if _same_path(model_spec, _model_dir(s, r)) or _same_path(model_spec, r.output_dir)
            ]
            if not found:
                raise UserError(
                    f"{model_spec} is not the model of any `alignloop run` recorded in {st.url}; "
                    "only approved models may be served",
                    hint="serve DIR/model of an approved run (see `alignloop release status`), "
                    "or leave out --require-approved",
                )
            infos = [_info(s, r) for r in found]
    finally:
        if own:
            st.close()
    for info in infos:
        if info.status == "approved":
            return info
    latest = infos[0]
    raise UserError(
        f"{model_spec} is not approved for release (run {latest.run_id[:12]} is {latest.status})",
        hint=f"alignloop release approve {latest.run_id[:12]} --by NAME --note TEXT",
    )
