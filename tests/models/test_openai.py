from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alignloop.models import EndpointError, GenerationConfig, load_model


class _Handler(BaseHTTPRequestHandler):
    mode = "ok"
    failures_left = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        cls = type(self)
        if cls.mode == "401":
            self.send_response(401)
            self.end_headers()
            return
        if cls.mode == "slow":
            time.sleep(1.0)
        if cls.mode == "flaky" and cls.failures_left > 0:
            cls.failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        text = "echo: " + body["messages"][-1]["content"] + f" ({self.headers.get('Authorization')})"
        reason = "length" if body.get("max_tokens", 99) < 3 else "stop"
        choice = {"message": {"role": "assistant", "content": text}, "finish_reason": reason}
        out = json.dumps({"choices": [choice]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


@pytest.fixture
def server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    _Handler.mode = "ok"
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()


def test_generate_and_key_from_env(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIGNLOOP_API_KEY", "sekret")
    m = load_model(f"{server}#tiny")
    out = m.generate([[{"role": "user", "content": f"q{i}"}] for i in range(6)], GenerationConfig(max_new_tokens=4))
    assert out == [f"echo: q{i} (Bearer sekret)" for i in range(6)]


def test_retries_server_errors(server: str) -> None:
    _Handler.mode, _Handler.failures_left = "flaky", 2
    m = load_model(f"{server}#tiny")
    assert m.generate_one("hi").startswith("echo: hi")


def test_unauthorised_is_clear(server: str) -> None:
    _Handler.mode = "401"
    with pytest.raises(EndpointError, match="401"):
        load_model(f"{server}#tiny").generate_one("hi")


def test_timeout_is_reported(server: str) -> None:
    from alignloop.models import OpenAIChatModel

    _Handler.mode = "slow"
    m = OpenAIChatModel(server, "tiny", timeout=0.2, retries=1)
    with pytest.raises(EndpointError, match="timed out"):
        m.generate_one("hi")


def test_refused_connection_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    from alignloop.cli import main

    with pytest.raises(SystemExit) as e:
        main(["models", "generate", "--model", "http://127.0.0.1:9/v1#x", "--prompt", "hi"])
    assert e.value.code == 2
    assert "cannot connect" in capsys.readouterr().err


def test_missing_model_name() -> None:
    with pytest.raises(EndpointError.__mro__[1], match="no model name"):
        load_model("http://127.0.0.1:9/v1")


def test_finish_reason_length_marks_a_cut_reply(server: str) -> None:
    m = load_model(f"{server}#tiny")
    conv = [[{"role": "user", "content": "q"}]]
    assert m.complete(conv, GenerationConfig(max_new_tokens=2))[0].cut
    assert m.complete(conv, GenerationConfig(max_new_tokens=8))[0].finished is True
