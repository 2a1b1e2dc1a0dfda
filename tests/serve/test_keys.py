"""API keys: the CLI contract (key on the last stdout line), hashes only, audit entries, exposure rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from alignloop.cli import cli
from alignloop.serve import hash_key, is_loopback, list_keys
from alignloop.store import AuditRow, RunStore
from alignloop.store._serve_tables import ApiKeyRow


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    r = CliRunner().invoke(cli, ["keys", "create", "alice", "--rate", "60/min", "--mode", "pre_call", "--db", url])
    assert r.exit_code == 0, r.output
    key = r.stdout.strip().splitlines()[-1]
    assert key.startswith("alk-") and len(key) > 30
    with RunStore.open(url) as store, Session(store.engine) as s:
        row = s.get(ApiKeyRow, "alice")
        assert row is not None and row.key_hash == hash_key(key) and key not in str(vars(row))
        actions = [a.action for a in s.execute(select(AuditRow)).scalars()]
    assert actions == ["key.create"]
    listed = CliRunner().invoke(cli, ["keys", "list", "--db", url])
    assert "alice" in listed.output and "pre_call" in listed.output and key not in listed.output
    assert CliRunner().invoke(cli, ["keys", "revoke", "alice", "--db", url]).exit_code == 0
    with RunStore.open(url) as store:
        assert list_keys(store, include_revoked=False) == []
        with Session(store.engine) as s:
            assert [a.action for a in s.execute(select(AuditRow)).scalars()] == ["key.create", "key.revoke"]


def test_bad_rate_mode_and_duplicate_are_user_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    bad_rate = CliRunner().invoke(cli, ["keys", "create", "a", "--rate", "lots", "--db", url])
    assert bad_rate.exit_code != 0
    assert CliRunner().invoke(cli, ["keys", "create", "a", "--db", url]).exit_code == 0
    dup = CliRunner().invoke(cli, ["keys", "create", "a", "--db", url])
    assert dup.exit_code != 0 and "already exists" in str(dup.exception)


def test_serve_refuses_a_public_host_without_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    r = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--db", url])
    assert r.exit_code != 0 and "without an API key" in str(r.exception)


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3")


def test_worker_processes_rebuild_the_same_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from alignloop.serve import ServeConfig, _app

    cfg = ServeConfig(model="http://127.0.0.1:9/v1#m", log_content="none", default_mode="pre_call", timeout_s=5)
    seen: list[ServeConfig] = []
    monkeypatch.setenv(_app.CONFIG_ENV, _app.config_env(cfg))
    monkeypatch.setattr(_app, "build_gateway", lambda c: seen.append(c) or object())
    monkeypatch.setattr(_app, "create_app", lambda gw: "app")
    assert _app.app_from_env() == "app"
    assert seen == [cfg]


def test_keyring_reads_the_store_once_per_refresh_and_honours_revocation(tmp_path: Path) -> None:
    import asyncio
    import time

    from alignloop.serve import create_key, revoke_key
    from alignloop.serve._auth import KeyRing
    from alignloop.serve._errors import GatewayError

    with RunStore.open(f"sqlite:///{tmp_path / 'k.db'}") as store:
        key = create_key(store, "alice")
        ring = KeyRing(store, refresh_s=0.2)
        reads: list[float] = []
        real = ring.refresh
        ring.refresh = lambda: (reads.append(time.monotonic()), real())[1]  # type: ignore[method-assign]

        async def many() -> list[object]:
            return list(await asyncio.gather(*(ring.authenticate(f"Bearer {key}") for _ in range(20))))

        assert all(k is not None and k.name == "alice" for k in asyncio.run(many()))  # type: ignore[attr-defined]
        assert len(reads) == 1  # twenty requests found the cache stale; one read the store
        revoke_key(store, "alice")
        time.sleep(0.25)
        with pytest.raises(GatewayError) as e:
            asyncio.run(ring.authenticate(f"Bearer {key}"))
        assert e.value.status == 401 and len(reads) == 2
