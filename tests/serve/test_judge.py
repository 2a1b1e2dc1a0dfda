"""A second-opinion LLM judge behind the gateway (``serve --judge-model``), on a live fake judge endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from fastapi import FastAPI, Request
from tests.serve.conftest import LiveServer

from alignloop.guard import Guard, LlmJudge
from alignloop.models._openai import OpenAIChatModel


class FakeJudge:
    """An OpenAI-compatible moderation model in the Llama Guard style: ``unsafe\\nS2`` (non-violent crimes) when
    the last message mentions a lock, ``unsafe\\nS9`` (indiscriminate weapons) a nerve agent, else ``safe``.
    ``broken`` answers 500, ``chatty`` answers in prose, ``paranoid`` calls everything unsafe."""

    def __init__(self) -> None:
        self.seen: list[list[dict[str, str]]] = []
        self.broken = self.chatty = self.paranoid = False

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions", response_model=None)
        async def chat(request: Request) -> Any:
            from fastapi.responses import JSONResponse

            body = await request.json()
            if self.broken:
                return JSONResponse({"error": {"message": "judge down", "type": "server_error"}}, status_code=500)
            self.seen.append(body["messages"])
            last = body["messages"][-1]["content"].lower()
            verdict = "unsafe\nS2" if "lock" in last else "unsafe\nS9" if "nerve" in last else "safe"
            if self.chatty or self.paranoid:
                verdict = "Well, it depends on the context." if self.chatty else "unsafe\nS1"
            return {
                "id": "j",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": verdict}, "finish_reason": "stop"}
                ],
            }

        return app


@pytest.fixture
def judge_server() -> Iterator[tuple[FakeJudge, str]]:
    fake = FakeJudge()
    with LiveServer(fake.app()) as srv:
        yield fake, srv.url + "/v1"


def _guard(artifact: Path, url: str) -> Guard:
    guard = Guard.load(artifact=artifact, judge_on="input")
    guard.thresholds = {cid: 1.01 for cid in guard.thresholds}  # the classifier lets everything through
    model = OpenAIChatModel(url, "llama-guard", retries=0, timeout=5)
    guard.judge = LlmJudge(model, guard.constitution.constitution, style="conversation")
    return guard


def test_the_judge_blocks_what_the_classifier_lets_through(
    gateway: Any, upstream: Any, hash_artifact: Path, judge_server: tuple[FakeJudge, str]
) -> None:
    fake, url = judge_server
    with gateway(guard=_guard(hash_artifact, url)) as srv:
        client = openai.OpenAI(base_url=srv.url + "/v1", api_key="x", max_retries=0)
        asked = "How were car locks picked by thieves in the 1990s?"
        blocked = client.chat.completions.create(model="m", messages=[{"role": "user", "content": asked}])
        fine = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "Capital of France?"}])
    assert blocked.choices[0].finish_reason == "content_filter"
    reasons = blocked.model_extra["alignloop"]["input"]["reasons"]  # type: ignore[index]
    assert any(r["detector"] == "llm_judge" for r in reasons), reasons
    assert fine.choices[0].message.content == upstream[0].reply and fine.choices[0].finish_reason == "stop"
    assert len(upstream[0].requests) == 1  # the blocked request never reached the model
    # the judge saw each request as the bare conversation, and no reply (judge_on=input)
    assert fake.seen == [[{"role": "user", "content": asked}], [{"role": "user", "content": "Capital of France?"}]]


@pytest.mark.parametrize(("fail_open", "finish"), [(False, "content_filter"), (True, "stop")])
def test_a_broken_judge_follows_the_fault_policy(
    gateway: Any, hash_artifact: Path, judge_server: tuple[FakeJudge, str], fail_open: bool, finish: str
) -> None:
    fake, url = judge_server
    fake.broken = True
    with gateway(guard=_guard(hash_artifact, url), fail_open=fail_open) as srv:
        client = openai.OpenAI(base_url=srv.url + "/v1", api_key="x", max_retries=0)
        r = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "Capital of France?"}])
    assert r.choices[0].finish_reason == finish


@pytest.mark.parametrize("workers", ["1", "2"])  # two: the parent checks the judge before any worker starts
def test_serve_with_an_unreachable_judge_exits_2_with_one_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], workers: str
) -> None:
    import uvicorn

    from alignloop.cli import main

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("the server must not start"))
    flags = ["--db", f"sqlite:///{tmp_path / 'k.db'}", "--workers", workers]
    with pytest.raises(SystemExit) as e:
        main(["serve", "--model", "http://127.0.0.1:9/v1#m", "--judge-model", "http://127.0.0.1:9/v1#lg", *flags])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "cannot connect to http://127.0.0.1:9/v1" in err and "Traceback" not in err


def test_serve_judge_options_reach_the_config(serve_config: Any) -> None:
    plain = serve_config()
    judged = serve_config(
        "--judge-model", "http://127.0.0.1:9/v1#lg", "--judge-on", "both", "--judge-style", "conversation"
    )
    assert (plain.judge_model, plain.judge_on, plain.judge_style) == (None, "input", "rubric")
    assert (judged.judge_model, judged.judge_on, judged.judge_style) == (
        "http://127.0.0.1:9/v1#lg",
        "both",
        "conversation",
    )


@pytest.mark.parametrize(("quirk", "message"), [("chatty", "safe/unsafe format"), ("paranoid", "plainly safe")])
def test_a_judge_that_would_refuse_everything_stops_the_start(
    judge_server: tuple[FakeJudge, str], quirk: str, message: str
) -> None:
    from alignloop._util.errors import ModelError
    from alignloop.constitution import load_constitution
    from alignloop.serve._app import JUDGE_PROBE, load_judge

    fake, url = judge_server
    lc = load_constitution(None)
    judge = load_judge(f"{url}#lg", lc, "conversation", 5.0)
    assert judge.style == "conversation" and fake.seen == [[{"role": "user", "content": JUDGE_PROBE}]]
    setattr(fake, quirk, True)
    with pytest.raises(ModelError, match=message):
        load_judge(f"{url}#lg", lc, "conversation", 5.0)


def test_moderations_name_the_category_the_judge_found(
    gateway: Any, hash_artifact: Path, judge_server: tuple[FakeJudge, str]
) -> None:
    with gateway(guard=_guard(hash_artifact, judge_server[1])) as srv:
        client = openai.OpenAI(base_url=srv.url + "/v1", api_key="x", max_retries=0)
        res = client.moderations.create(input=["How were nerve agents stockpiled in 1985?", "Capital of France?"])
    judged, fine = (r.model_dump() for r in res.results)
    assert judged["flagged"] and judged["categories"]["illicit/violent"] and judged["categories"]["alignloop/cbrn"]
    assert judged["alignloop"]["reasons"] == ["llm_judge:cbrn"]
    assert not fine["flagged"] and not any(fine["categories"].values())
