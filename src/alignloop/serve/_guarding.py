"""Run guard checks off the event loop, under a key's mode and fault policy.

A check that raises is a fault: fail-closed (the default) turns it into a block with the
constitution's refusal; a fail-open key lets the text through unchecked. Either way the fault
is recorded among the decision's reasons.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import anyio

from alignloop.guard import Decision, Guard, Reason, StreamingChecker
from alignloop.serve._modes import Mode

_ORDER = {"allow": 0, "flag": 1, "redact": 2, "block": 3}


class GuardLike(Protocol):
    """What the gateway needs from :class:`alignloop.guard.Guard` (tests pass fakes)."""

    def check_input(self, text: str) -> Decision: ...

    def check_output(self, prompt: str, response: str) -> Decision: ...

    def stream(self, prompt: str) -> Any: ...


@dataclass(frozen=True)
class Policy:
    """How one request is guarded."""

    mode: Mode
    fail_open: bool
    key_name: str | None


def fault_decision(text: str, exc: BaseException, fail_open: bool, refusal: str) -> Decision:
    """The decision standing in for a check that raised."""
    action = "allow" if fail_open else "block"
    reason = Reason("gateway", "guard_error", 1.0, 0.0, action=action, note=f"{type(exc).__name__}: {exc}")
    return Decision(
        action=action,  # type: ignore[arg-type]
        flagged=not fail_open,
        score=0.0,
        categories={},
        injection=0.0,
        pii=[],
        reasons=[reason],
        text=text if fail_open else refusal,
    )


def open_faults(d: Decision, original: str, fail_open: bool) -> Decision:
    """For a fail-open key, a block caused only by detector errors passes the text on instead."""
    if not fail_open or d.action != "block":
        return d
    blocking = [r for r in d.reasons if r.action == "block"]
    if blocking and all(r.category in ("detector_error", "guard_error") for r in blocking):
        return replace(d, action="allow", flagged=True, text=original)
    return d


class _Batcher:
    """Joins checks that arrive while others run into the next batches, run on up to ``workers`` threads.

    Nothing waits for a batch to fill: a lone request runs at once, so concurrency 1 pays nothing,
    while under load the pending checks are split among the free workers (the guard's models run one
    text at a time, so the gain is parallel threads, not bigger batches).
    """

    def __init__(
        self,
        fn: Callable[[list[Any]], list[Decision]],
        limiter: anyio.CapacityLimiter,
        workers: int,
        max_batch: int = 64,
    ) -> None:
        self.fn = fn
        self.limiter = limiter
        self.workers = workers
        self.max_batch = max_batch
        self.pending: list[tuple[Any, asyncio.Future[Decision]]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, items: list[Any]) -> list[Decision]:
        loop = asyncio.get_running_loop()
        futs: list[asyncio.Future[Decision]] = []
        for it in items:
            f: asyncio.Future[Decision] = loop.create_future()
            self.pending.append((it, f))
            futs.append(f)
        # done() turns true in the same step that saw ``pending`` empty: no item is ever stranded
        if sum(not t.done() for t in self._tasks) < self.workers:
            task = loop.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return list(await asyncio.gather(*futs))

    async def _drain(self) -> None:
        while self.pending:
            n = min(self.max_batch, -(-len(self.pending) // self.workers))
            batch, self.pending = self.pending[:n], self.pending[n:]
            try:
                out = await anyio.to_thread.run_sync(self.fn, [it for it, _ in batch], limiter=self.limiter)
            except Exception as e:  # every waiter sees the fault; Checks turns it into a decision
                for _, f in batch:
                    if not f.done():
                        f.set_exception(e)
                continue
            for (_, f), d in zip(batch, out, strict=True):
                if not f.done():  # the request may have gone away
                    f.set_result(d)


@dataclass(frozen=True)
class _NoVerdicts:
    """A guard's output check without the refusal verdict, for its streaming checker."""

    guard: Guard

    def check_output(self, prompt: str | bytes, response: str | bytes) -> Decision:
        return self.guard.check_outputs([prompt], [response], verdicts=False)[0]


class Checks:
    """The guard's checks as awaitables, batched across concurrent requests, run in worker threads.

    ``workers`` threads at most run guard work at once (checks, streaming feeds, moderations): one
    per core when the guard's models run single-threaded, so checks of concurrent requests proceed
    in parallel without more runnable threads than cores.
    """

    def __init__(self, guard: GuardLike, refusal: str, workers: int = 1) -> None:
        self.guard = guard
        self.refusal = refusal
        self.workers = max(1, workers)
        self.limiter = anyio.CapacityLimiter(self.workers)
        self._inputs = _Batcher(self._check_inputs, self.limiter, self.workers)
        self._outputs = _Batcher(self._check_outputs, self.limiter, self.workers)

    def _check_inputs(self, texts: list[str]) -> list[Decision]:
        batched = getattr(self.guard, "check_inputs", None)
        if batched is not None:
            return list(batched(texts))
        return [self.guard.check_input(t) for t in texts]

    def _check_outputs(self, pairs: list[tuple[str, str]]) -> list[Decision]:
        if isinstance(self.guard, Guard):
            # the gateway never reads the refusal verdict: the guard skips that model pass wherever
            # it cannot change the action
            return self.guard.check_outputs([p for p, _ in pairs], [r for _, r in pairs], verdicts=False)
        batched = getattr(self.guard, "check_outputs", None)
        if batched is not None:
            return list(batched([p for p, _ in pairs], [r for _, r in pairs]))
        return [self.guard.check_output(p, r) for p, r in pairs]

    def stream(self, prompt: str) -> Any:
        """The guard's streaming checker for a response to ``prompt`` (without refusal verdicts, as above)."""
        if isinstance(self.guard, Guard):
            return StreamingChecker(_NoVerdicts(self.guard), prompt)
        return self.guard.stream(prompt)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run other guard work (a streaming feed, a moderation) in the same worker threads."""
        return await anyio.to_thread.run_sync(fn, *args, limiter=self.limiter)

    async def inputs(self, texts: list[str], policy: Policy) -> list[Decision]:
        """Check each user message."""
        try:
            out = await self._inputs.submit(texts)
        except Exception as e:  # a broken check must not become a 500; the policy decides
            return [fault_decision(t, e, policy.fail_open, self.refusal) for t in texts]
        return [open_faults(d, t, policy.fail_open) for d, t in zip(out, texts, strict=True)]

    async def output(self, prompt: str, response: str, policy: Policy) -> Decision:
        """Check a whole response."""
        try:
            (d,) = await self._outputs.submit([(prompt, response)])
        except Exception as e:
            return fault_decision(response, e, policy.fail_open, self.refusal)
        return open_faults(d, response, policy.fail_open)


def summary(d: Decision | None) -> dict[str, Any] | None:
    """A decision as the response's ``alignloop`` field and the trace show it (no text)."""
    if d is None:
        return None
    return {
        "action": d.action,
        "flagged": d.flagged,
        "score": round(d.score, 4),
        "injection": round(d.injection, 4),
        "categories": {k: round(v, 4) for k, v in d.categories.items() if v >= 0.01},
        "reasons": [
            {
                "detector": r.detector,
                "category": r.category,
                "score": round(r.score, 4),
                "threshold": round(r.threshold, 4),
                "action": r.action,
                **({"note": r.note} if r.note else {}),
                **({"pii": [s.type for s in r.spans]} if r.spans else {}),
            }
            for r in d.reasons
        ],
        "latency_ms": round(d.latency_ms, 3),
    }


def strongest(decisions: list[Decision]) -> Decision | None:
    """The decision with the strongest action (first among equals)."""
    best: Decision | None = None
    for d in decisions:
        if best is None or _ORDER[d.action] > _ORDER[best.action]:
            best = d
    return best
