"""The contract end to end: `alignloop keys create` then `alignloop serve` in a subprocess; SIGTERM drains.

Also the serve options that shape the gateway's config."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alignloop.store import RunStore, TraceRow


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from alignloop.cli import main; main()", *args]


@pytest.mark.slow  # loads the default guard (its artifact is built on first use)
def test_serve_contract_and_sigterm_drain(upstream: Any, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    made = subprocess.run(_cli("keys", "create", "ci", "--db", db), env=env, capture_output=True, text=True, check=True)
    key = made.stdout.strip().splitlines()[-1]
    port = _port()
    srv = subprocess.Popen(
        _cli("serve", "--model", f"{upstream[1]}#fake", "--port", str(port), "--db", db),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert srv.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=key, max_retries=0)
        for i in range(5):
            r = client.chat.completions.create(model="fake", messages=[{"role": "user", "content": f"hello {i}"}])
            assert r.choices[0].message.content
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="bad", max_retries=0).models.list()
    finally:
        srv.send_signal(signal.SIGTERM)
        srv.wait(60)
    with RunStore.open(db) as store, Session(store.engine) as s:
        assert s.execute(select(func.count()).select_from(TraceRow)).scalar_one() == 5


@pytest.mark.parametrize(("flag", "heads"), [([], None), (["--no-guard-heads"], False), (["--guard-heads"], True)])
def test_serve_guard_heads_option_reaches_the_config(serve_config: Any, flag: list[str], heads: bool | None) -> None:
    cfg = serve_config(*flag)
    assert cfg.guard_heads is heads and cfg.guard_threads == 1
