"""A local model behind the gateway (ScriptedModel), and the real Guard on a hashing-embedder artifact."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import openai
import pytest

from alignloop.models import ScriptedModel
from alignloop.serve import LocalBackend
from alignloop.serve._modes import parse_rate
from alignloop.serve._ratelimit import RateLimiter, retry_after


def test_local_model_plain_and_streamed(gateway: Any) -> None:
    model = ScriptedModel(lambda conv: "Local answer. " + conv[-1]["content"], name="scripted")
    with gateway(backend=LocalBackend(model)) as srv:
        client = openai.OpenAI(base_url=srv.url + "/v1", api_key="x", max_retries=0)
        plain = client.chat.completions.create(model="scripted", messages=[{"role": "user", "content": "hi there"}])
        streamed = "".join(
            c.choices[0].delta.content or ""
            for c in client.chat.completions.create(
                model="scripted", messages=[{"role": "user", "content": "again"}], stream=True
            )
            if c.choices
        )
    assert plain.choices[0].message.content == "Local answer. hi there"
    assert streamed == "Local answer. again"


def test_slow_local_model_times_out_504(gateway: Any) -> None:
    def slow(conv: Any) -> str:
        time.sleep(2)
        return "late"

    with gateway(backend=LocalBackend(ScriptedModel(slow), timeout=0.3)) as srv:
        client = openai.OpenAI(base_url=srv.url + "/v1", api_key="x", max_retries=0)
        with pytest.raises(openai.APIStatusError) as e:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert e.value.status_code == 504


def test_rate_limiter_refills() -> None:
    now = [0.0]
    lim = RateLimiter(clock=lambda: now[0])
    rate = parse_rate("2/s")
    assert lim.acquire("k", rate) == 0 and lim.acquire("k", rate) == 0
    wait = lim.acquire("k", rate)
    assert wait == pytest.approx(0.5) and retry_after(wait) == 1
    now[0] += 0.5
    assert lim.acquire("k", rate) == 0


@pytest.mark.slow  # training the hashing artifact takes a minute on 2 busy cores
def test_real_guard_behind_the_gateway(gateway: Any, upstream: Any, hash_artifact: Path) -> None:
    from alignloop.guard import Guard

    guard = Guard.load(artifact=hash_artifact)
    guard.thresholds = {cid: 1.01 for cid in guard.thresholds}  # hashing heads are near random: PII only
    upstream[0].pieces = ["Reach ", "me at jo", "e.bloggs@exam", "ple.com any ", "time. Bye. "]
    with gateway(guard=guard) as srv:
        client = openai.OpenAI(base_url=srv.url + "/v1", api_key="x", max_retries=0)
        out = "".join(
            c.choices[0].delta.content or ""
            for c in client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            if c.choices
        )
        mod = client.moderations.create(input="hello")
    assert "example.com" not in out and "[EMAIL]" in out
    assert len(mod.results) == 1


def test_concurrent_checks_share_one_batch() -> None:
    import asyncio

    from tests.serve.conftest import FakeGuard

    from alignloop.serve._guarding import Checks, Policy

    class Counting(FakeGuard):
        def __init__(self) -> None:
            super().__init__()
            self.batches: list[int] = []

        def check_inputs(self, texts: list[str]) -> list[Any]:
            time.sleep(0.05)  # long enough for the other requests to queue up behind the first
            self.batches.append(len(texts))
            return [self.check_input(t) for t in texts]

    guard = Counting()
    checks = Checks(guard, "no")
    policy = Policy("both", False, None)

    async def go() -> list[Any]:
        return list(await asyncio.gather(*(checks.inputs([f"text {i}", "bomb"], policy) for i in range(10))))

    out = asyncio.run(go())
    assert sum(guard.batches) == 20 and len(guard.batches) < 10
    assert all(ds[0].action == "allow" and ds[1].action == "block" for ds in out)


def test_checks_run_in_parallel_up_to_workers() -> None:
    import asyncio
    import threading

    from tests.serve.conftest import FakeGuard

    from alignloop.serve._guarding import Checks, Policy

    class Overlapping(FakeGuard):
        def __init__(self) -> None:
            super().__init__()
            self.lock = threading.Lock()
            self.running = 0
            self.most = 0

        def check_inputs(self, texts: list[str]) -> list[Any]:
            with self.lock:
                self.running += 1
                self.most = max(self.most, self.running)
            time.sleep(0.05)
            with self.lock:
                self.running -= 1
            return [self.check_input(t) for t in texts]

        def check_outputs(self, prompts: list[str], responses: list[str]) -> list[Any]:
            self.check_inputs(responses)
            return [self.check_output(p, r) for p, r in zip(prompts, responses, strict=True)]

    guard = Overlapping()
    checks = Checks(guard, "no", workers=2)
    policy = Policy("both", False, None)

    async def go() -> list[Any]:
        ins = [checks.inputs([f"text {i}", "bomb"], policy) for i in range(10)]
        outs = [checks.output("q", f"answer {i}", policy) for i in range(10)]
        return list(await asyncio.gather(*ins, *outs))

    out = asyncio.run(go())
    # inputs and outputs share the two workers: two guard calls overlap, never three
    assert guard.most == 2
    assert all(ds[0].action == "allow" and ds[1].action == "block" for ds in out[:10])
    assert [d.text for d in out[10:]] == [f"answer {i}" for i in range(10)]


def test_gateway_asks_the_guard_for_no_refusal_verdicts() -> None:
    import asyncio

    from alignloop.guard import Decision, Guard
    from alignloop.serve._guarding import Checks, Policy

    class Recording(Guard):
        def __init__(self) -> None:  # no models: only the call is recorded
            self.calls: list[bool] = []

        def check_outputs(self, prompts: Any, responses: Any, verdicts: bool = True) -> list[Decision]:
            self.calls.append(verdicts)
            return [Decision("allow", False, 0.0, {}, 0.0, [], [], str(r)) for r in responses]

    guard = Recording()
    checks = Checks(guard, "no")
    d = asyncio.run(checks.output("q", "Paris.", Policy("both", False, None)))
    streamed = checks.stream("q")
    text = streamed.feed("Paris is the capital. ") + streamed.finish()
    assert d.text == "Paris." and text == "Paris is the capital. "
    assert guard.calls and not any(guard.calls)
