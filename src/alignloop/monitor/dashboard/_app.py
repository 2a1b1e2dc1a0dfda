"""The dashboard app: FastAPI, server-rendered pages, a JSON API for review verdicts, and OTLP ingest.

Pages read bounded slices (the newest 48 windows, 200 runs, 200 incidents) so they stay fast as the
store grows; ``alignloop monitor report`` is the full analysis (input drift needs embeddings and is
left out of page loads).
"""

from __future__ import annotations

import getpass
from datetime import timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alignloop.constitution import LoadedConstitution
from alignloop.constitution._monitoring import parse_duration
from alignloop.monitor._alerts import list_alerts
from alignloop.monitor._report import add_drift
from alignloop.monitor._review import count_items, label, list_items, next_item
from alignloop.monitor._windows import floor_time, hourly_windows
from alignloop.monitor.dashboard import _pages as pages
from alignloop.store import IncidentRow, RunStore
from alignloop.store._monitor_tables import HourlyRow

MAX_WINDOWS = 48


def _reviewer() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def monitoring_report(
    store: RunStore, loaded: LoadedConstitution, window: str | None = None
) -> tuple[dict[str, Any], timedelta]:
    """The newest windows with behaviour drift and alerts (no embedding on page load)."""
    mon = loaded.constitution.monitoring
    width = parse_duration(window or mon.window)
    with store.engine.connect() as c:
        # the newest hour with scores: one index probe on the hourly counts, not a scan of the scores
        latest = c.execute(select(func.max(HourlyRow.hour)).where(HourlyRow.constitution_hash == loaded.hash)).scalar()
    if latest is None:
        return {"window": window or mon.window, "windows": [], "alerts": []}, width
    since = floor_time(latest, width) - (MAX_WINDOWS - 1) * width
    ws = hourly_windows(store.engine, loaded.hash, width, loaded.constitution.category_ids, since=since)
    add_drift(store.engine, ws, None, mon.drift_alpha)
    alerts = list_alerts(store.engine, since=since)
    return {"window": window or mon.window, "windows": [w.to_dict() for w in ws], "alerts": alerts}, width


def _leadership(store: RunStore, loaded: LoadedConstitution, report: dict[str, Any]) -> list[dict[str, Any]]:
    ws = report["windows"]
    if not ws:
        return []
    labels = [w["start"][5:16].replace("T", " ") for w in ws]
    reviewed = [
        i for i in list_items(store.engine, None, limit=2000) if i.status in ("approved", "corrected", "relabelled")
    ]
    rows = []
    for cat in loaded.constitution.categories:
        key = f"violation.{cat.id}"
        series = [(w["rates"].get(key) or {}).get("rate") for w in ws]
        last = ws[-1]["rates"].get(key) or {"rate": None, "k": 0, "n": 0}
        prev = (ws[-2]["rates"].get(key) or {}).get("rate") if len(ws) > 1 else None
        total = sum((w["rates"].get(key) or {}).get("k", 0) for w in ws)
        ex = next(
            (
                i
                for i in reviewed
                if cat.id in ((i.category,) if i.status == "relabelled" else tuple(i.guard_categories))
            ),
            None,
        )
        example = None
        if ex is not None:
            fix = (
                "a reviewer wrote the right reply; it trains the next model as a preference pair"
                if ex.status == "corrected"
                else "the constitution's refusal became the preferred reply of a training pair"
            )
            example = {"prompt": ex.prompt, "response": ex.response, "fix": fix}
        rows.append(
            {
                "id": cat.id,
                "title": cat.title,
                "risk": pages.RISK.get(cat.id, "brand"),
                "rate": last["rate"],
                "k": last["k"],
                "n": last["n"],
                "previous": prev,
                "trend": 0 if prev is None or last["rate"] is None else (last["rate"] > prev) - (last["rate"] < prev),
                "series": series,
                "labels": labels,
                "total": total,
                "example": example,
            }
        )
    rows.sort(key=lambda r: (-(r["total"]), r["id"]))
    return [r for r in rows if r["total"] or r["example"]][:8] or rows[:3]


def _error(status: int, message: str, kind: str = "invalid_request_error") -> Any:
    from fastapi.responses import JSONResponse

    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status_code=status)


def create_app(store: RunStore, loaded: LoadedConstitution) -> Any:
    """The dashboard for ``store`` under ``loaded``'s monitoring settings and gates."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse, JSONResponse

    from alignloop._util.errors import UserError
    from alignloop.evals import check_gates
    from alignloop.monitor._otlp_http import otlp_router

    app = FastAPI(title="alignloop dashboard", docs_url=None, redoc_url=None)
    app.include_router(otlp_router(store.engine))

    @app.get("/", response_class=HTMLResponse)
    def runs() -> str:
        return pages.runs_page(store.list(limit=200))

    @app.get("/gates", response_class=HTMLResponse)
    def gates() -> str:
        rs = [r for r in store.list(limit=50) if r.metrics]
        return pages.gates_page([(r, check_gates({"metrics": r.metrics}, loaded).as_dict()) for r in rs])

    @app.get("/monitoring", response_class=HTMLResponse)
    def monitoring(window: str | None = None) -> Any:
        try:
            report, _ = monitoring_report(store, loaded, window)
        except ValueError as e:
            return _error(400, str(e))
        return HTMLResponse(pages.monitoring_page(report))

    @app.get("/review", response_class=HTMLResponse)
    def review() -> str:
        return pages.review_page(
            next_item(store.engine), count_items(store.engine), loaded.constitution.category_ids, _reviewer()
        )

    @app.get("/incidents", response_class=HTMLResponse)
    def incidents() -> str:
        with Session(store.engine) as s:
            rows = s.scalars(select(IncidentRow).order_by(IncidentRow.opened_at.desc()).limit(200)).all()
        return pages.incidents_page(list(rows))

    @app.get("/leadership", response_class=HTMLResponse)
    def leadership() -> str:
        report, width = monitoring_report(store, loaded)
        return pages.leadership_page(_leadership(store, loaded, report), width)

    @app.get("/api/report")
    def api_report(window: str | None = None) -> Any:
        try:
            return monitoring_report(store, loaded, window)[0]
        except ValueError as e:
            return _error(400, str(e))

    @app.post("/api/review/{item_id}")
    async def api_label(item_id: int, request: Request) -> Any:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "the body must be JSON: {verdict, reviewer, category?, correction?}")
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object")
        try:
            item = label(
                store.engine,
                item_id,
                str(body.get("verdict", "")),
                reviewer=str(body.get("reviewer") or ""),
                category=body.get("category"),
                correction=body.get("correction"),
                categories=loaded.constitution.category_ids,
            )
        except UserError as e:
            status = 404 if e.message.startswith("no review item") else 400
            return _error(status, e.message + (f" ({e.hint})" if e.hint else ""))
        return JSONResponse(item.to_dict())

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
