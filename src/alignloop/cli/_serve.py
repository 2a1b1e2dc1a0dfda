"""`alignloop serve` (the guarded gateway) and `alignloop keys` (its API keys)."""

from __future__ import annotations

import click

from alignloop.cli._common import constitution_option, emit_json, json_option, model_option

MODE_CHOICE = click.Choice(["pre_call", "post_call", "both", "logging_only"])
db_option = click.option("--db", "db_url", default=None, help="Run store URL (default: $ALIGNLOOP_DB_URL or SQLite).")


def require_approved_hook(model: str) -> None:
    """``--require-approved``: refuse a model without an approved release (wired to alignloop.govern)."""
    import alignloop.govern as govern

    check = getattr(govern, "require_approved", None)
    if check is not None:  # a no-op until governance provides it
        check(model)


@click.command()
@model_option
@constitution_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option(
    "--log-content",
    type=click.Choice(["full", "redacted", "none"]),
    default="redacted",
    show_default=True,
    help="How prompts and responses are kept in traces.",
)
@click.option(
    "--mode",
    "default_mode",
    type=MODE_CHOICE,
    default="both",
    show_default=True,
    help="Guard mode for keys that set none.",
)
@click.option("--fail-open", is_flag=True, help="Let traffic through unchecked when a check errors (default: refuse).")
@click.option(
    "--timeout", "timeout_s", default=60.0, show_default=True, help="Seconds to wait for the model (then 504)."
)
@click.option("--max-body-bytes", default=1_000_000, show_default=True, help="Larger bodies get 413.")
@click.option("--max-messages", default=256, show_default=True, help="More messages get 413.")
@click.option("--require-approved", is_flag=True, help="Refuse to serve a model without an approved release.")
@click.option(
    "--guard-heads/--no-guard-heads",
    default=None,
    help="Combine the guard's classifier with its embedding heads (default: the guard's own default); "
    "--no-guard-heads runs the classifier alone, one model pass less per check.",
)
@click.option(
    "--judge-model",
    default=None,
    help="A second-opinion LLM judge asked about what the classifier lets through: any model spec, e.g. "
    "Llama Guard at http://host:port/v1#name (default: none).",
)
@click.option(
    "--judge-on",
    type=click.Choice(["input", "output", "both"]),
    default="input",
    show_default=True,
    help="Which side the judge checks (output: every held-back stream check asks it).",
)
@click.option(
    "--judge-style",
    type=click.Choice(["rubric", "conversation"]),
    default="rubric",
    show_default=True,
    help="rubric: ask with the constitution's safety rubric; conversation: send the conversation itself, "
    "for moderation models with their own policy that answer safe/unsafe (the Llama Guard family).",
)
@db_option
def serve(
    model: str,
    constitution: str,
    host: str,
    port: int,
    workers: int,
    log_content: str,
    default_mode: str,
    fail_open: bool,
    timeout_s: float,
    max_body_bytes: int,
    max_messages: int,
    require_approved: bool,
    guard_heads: bool | None,
    judge_model: str | None,
    judge_on: str,
    judge_style: str,
    db_url: str | None,
) -> None:
    """Serve MODEL behind the constitution's guards at http://HOST:PORT/v1 (OpenAI-compatible).

    \b
    MODEL: 'default', a local folder, a hub id, or http://host:port/v1#name (proxied).
    Example:
      alignloop keys create alice
      alignloop serve --model runs/first/model --port 8000
      curl -H "Authorization: Bearer KEY" localhost:8000/v1/models
    """
    import os

    import uvicorn

    from alignloop._util.errors import UserError
    from alignloop.serve import ServeConfig, build_gateway, create_app, is_loopback, list_keys
    from alignloop.serve._app import CONFIG_ENV, config_env
    from alignloop.store import RunStore

    if require_approved:
        require_approved_hook(model)
    loopback = is_loopback(host)
    with RunStore.open(db_url) as store:
        has_keys = any(k.active for k in list_keys(store))
    if not loopback and not has_keys:
        raise UserError(
            f"refusing to serve on {host} (reachable from other machines) without an API key",
            hint="create one with `alignloop keys create NAME`, or listen on 127.0.0.1",
        )
    cfg = ServeConfig(
        model=model,
        constitution=constitution,
        db_url=db_url,
        log_content=log_content,  # type: ignore[arg-type]
        default_mode=default_mode,  # type: ignore[arg-type]
        fail_open=fail_open,
        max_body_bytes=max_body_bytes,
        max_messages=max_messages,
        timeout_s=timeout_s,
        require_keys=not loopback,
        guard_heads=guard_heads,
        judge_model=judge_model,
        judge_on=judge_on,  # type: ignore[arg-type]
        judge_style=judge_style,  # type: ignore[arg-type]
    )
    judged = f", judge {judge_model} on {judge_on}" if judge_model else ""
    serving = f"serving {model} at http://{host}:{port}/v1 (mode {default_mode}, log {log_content}{judged})"
    # uvicorn's own shutdown on SIGTERM runs the app's lifespan exit, which drains the trace queue
    if workers > 1:
        if judge_model:
            # each worker loads its own judge: check it once here, so a bad one is one message, not N tracebacks
            from alignloop.constitution import load_constitution
            from alignloop.serve._app import load_judge

            load_judge(judge_model, load_constitution(cfg.constitution), cfg.judge_style, timeout_s)
        os.environ[CONFIG_ENV] = config_env(cfg)
        click.echo(serving, err=True)
        uvicorn.run("alignloop.serve._app:app_from_env", factory=True, host=host, port=port, workers=workers)
    else:
        app = create_app(build_gateway(cfg))  # loads first: a mistake is reported before "serving"
        click.echo(serving, err=True)
        uvicorn.run(app, host=host, port=port, log_level="info")


@click.group()
def keys() -> None:
    """Create, list and revoke the gateway's API keys (only their hashes are stored)."""


@keys.command("create")
@click.argument("name")
@click.option("--mode", type=MODE_CHOICE, default=None, help="Guard mode for this key (default: the server's).")
@click.option("--rate", default=None, help="Rate limit, e.g. 60/min, 5/s, 1000/hour (default: none).")
@click.option("--fail-open", is_flag=True, help="Pass this key's traffic unchecked when a check errors.")
@click.option("--by", "actor", default="alignloop", show_default=True, help="Who creates it (audit log).")
@db_option
def create(name: str, mode: str | None, rate: str | None, fail_open: bool, actor: str, db_url: str | None) -> None:
    """Create key NAME and print it once, as the last line of stdout."""
    from alignloop.serve import create_key
    from alignloop.store import RunStore

    with RunStore.open(db_url) as store:
        key = create_key(store, name, mode=mode, rate=rate, fail_open=fail_open, actor=actor)
    click.echo(f"created key {name!r}; it is shown only now, store it safely:", err=True)
    click.echo(key)


@keys.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include revoked keys.")
@json_option
@db_option
def list_(show_all: bool, as_json: bool, db_url: str | None) -> None:
    """List keys (names and policies, never the keys)."""
    from alignloop.serve import list_keys
    from alignloop.store import RunStore

    with RunStore.open(db_url) as store:
        rows = list_keys(store, include_revoked=show_all)
    if as_json:
        emit_json(
            [
                {
                    "name": k.name,
                    "mode": k.mode,
                    "rate": k.rate,
                    "fail_open": k.fail_open,
                    "created_at": k.created_at,
                    "revoked_at": k.revoked_at,
                }
                for k in rows
            ]
        )
        return
    if not rows:
        click.echo("no keys (create one with `alignloop keys create NAME`)")
    for k in rows:
        state = "revoked" if k.revoked_at else "active"
        click.echo(
            f"{k.name}\t{state}\tmode={k.mode or 'default'}\trate={k.rate or '-'}\t"
            f"fail_open={k.fail_open}\tcreated={k.created_at:%Y-%m-%d %H:%M}"
        )


@keys.command("revoke")
@click.argument("name")
@click.option("--by", "actor", default="alignloop", show_default=True, help="Who revokes it (audit log).")
@db_option
def revoke(name: str, actor: str, db_url: str | None) -> None:
    """Revoke key NAME (running gateways stop accepting it within seconds)."""
    from alignloop.serve import revoke_key
    from alignloop.store import RunStore

    with RunStore.open(db_url) as store:
        revoke_key(store, name, actor=actor)
    click.echo(f"revoked {name}")
