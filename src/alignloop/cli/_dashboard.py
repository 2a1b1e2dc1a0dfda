"""`alignloop dashboard`: serve the web dashboard (FastAPI + uvicorn; no Node build step)."""

from __future__ import annotations

import click

from alignloop.cli._common import constitution_option, load_const
from alignloop.cli._monitor import db_option, open_store


@click.command("dashboard")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", "-p", default=8600, show_default=True, type=click.IntRange(1, 65535))
@constitution_option
@db_option
def command(host: str, port: int, constitution: str, db_url: str | None) -> None:
    """Runs over time, release gates, monitoring windows, the review queue, incidents, leadership summary.

    \b
    Also receives OTLP/HTTP traces at POST /v1/traces (JSON or protobuf).
    Example: alignloop dashboard --port 8600   then open http://127.0.0.1:8600
    """
    import uvicorn

    from alignloop.monitor.dashboard import create_app

    app = create_app(open_store(db_url), load_const(constitution))
    click.echo(f"dashboard on http://{host}:{port}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
