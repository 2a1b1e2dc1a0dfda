"""Choose the steering alpha from a target over-refusal rate instead of by hand.

Where a DPO run lands on its refuse/answer trade-off depends on the seed (on SmolLM2-135M, four seeds
of the CPU preset ended between 3.8% and 15.4% over-refusal on the dev split), while the trade-off
curve itself is what the data allows. :func:`search_alpha` finds the largest shift along the refusal
direction whose over-refusal, measured on borderline-safe prompts the model was not trained on, stays
within a target: a seed that refuses too little is pushed up to the target, one that refuses too
much is pulled back under it.

Refusing is taken to be monotone in alpha for each prompt: a prompt refused at some alpha is counted
refused at every larger one, and one answered at some alpha answered at every smaller one, so a
refinement step between two measured alphas generates only for the prompts whose outcome differed.

A model whose over-refusal at alpha 0 is over the target by no more than ``tolerance`` is left as
trained: with 160 prompts one standard error is about 1.9 points at a 6% target, and pulling a model
back on a difference the sample cannot resolve cost one of four measured seeds 0.07 harmful
compliance for no measured gain (``docs/design.md``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

CALIBRATION_PROMPTS = 160
"""Borderline prompts an over-refusal target is measured on by default (``alignloop run``, ``train steer``)."""

MAX_UP_ALPHA = 0.6
"""Largest upward shift a target search takes in ``train steer --target`` and the loop
(``Preset.steer_cap``). Calibration reads over-refusal lower than dev's more casual borderline prompts,
and the gap grows with the shift, so the cap is what keeps dev over-refusal near the target. Chosen on
the new dev split (``benchmarks/choose_on_dev.py --knob steer_cap``, ``PROVENANCE["steer_cap"]``): with
the borderline share at 1/2 the search went up to every cap from +0.2 to +0.5, and dev over-refusal
stayed at 3.8-6.2%; +0.4 is the largest that kept dev retention over 0.85. Before: +0.2, chosen on the
old dev split when +0.4 read 4.4% on calibration and 10.0% on dev (border share 3/4). Re-checked by the same
rule on 2026-12-07, after a fix to the constitution's violent-crime refusal moved the trained model towards
answering: +0.6 (of +0.4 / +0.5 / +0.6; dev retention 0.864 at +0.5 and +0.6)."""

RefusedAt = Callable[[float, Sequence[int]], list[bool]]
"""``(alpha, prompt indices) -> refused?`` per index: generate at ``alpha`` and judge."""


@dataclass
class AlphaSearch:
    """The chosen alpha and what the search measured on the way."""

    alpha: float
    rate: float
    """Over-refusal at ``alpha`` on the calibration prompts."""
    target: float
    prompts: int
    tried: dict[str, float] = field(default_factory=dict)
    """Over-refusal at each alpha measured, keyed by the alpha as text (JSON keys)."""
    generated: int = 0
    """Replies generated in all (the monotone cache skips the rest)."""
    reached: bool = True
    """False when even the most negative alpha allowed left over-refusal above the target."""
    tolerance: float = 0.0
    """How far over the target the rate at alpha 0 may be before the model is pulled back."""
    held: bool = False
    """True when the rate at alpha 0 was over the target but within ``tolerance``: left as trained."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


def search_alpha(
    refused_at: RefusedAt,
    n: int,
    target: float,
    *,
    step: float = 0.1,
    max_alpha: float = 0.4,
    resolution: float = 0.05,
    tolerance: float = 0.0,
    max_up: float | None = None,
) -> AlphaSearch:
    """The largest alpha in ``[-max_alpha, max_up]`` (a multiple of ``resolution``) with over-refusal <= ``target``.

    ``max_up`` defaults to ``max_alpha``.

    Starts at 0. Within the target there, it measures the cap (``max_up``) next and stops if that is within
    the target too; otherwise it walks by ``step`` towards the target (up while the rate is within it,
    down while it is over), then halves the last interval down to ``resolution``. Typically three full passes
    over the ``n`` prompts; refinement passes reuse earlier outcomes. When no alpha reaches the
    target, returns ``-max_alpha`` with ``reached=False``. A rate at 0 over the target by at most
    ``tolerance`` keeps alpha 0 (``held=True``) instead of walking down.
    """
    if n <= 0:
        raise ValueError("search_alpha needs at least one calibration prompt")
    unit = resolution
    k_step, k_max = max(1, round(step / unit)), max(1, round(max_alpha / unit))
    k_up = k_max if max_up is None else max(0, round(max_up / unit))
    k_out = max(k_max, k_up) + 1  # past either end of the range, so no alpha searched starts out known
    refused_from = [k_out] * n  # smallest k measured refused (refused at every k above it)
    answered_to = [-k_out] * n  # largest k measured answered (answered at every k below it)
    rates: dict[int, float] = {}
    generated = 0

    def rate(k: int) -> float:
        nonlocal generated
        if k in rates:
            return rates[k]
        unknown = [i for i in range(n) if not (refused_from[i] <= k or answered_to[i] >= k)]
        if unknown:
            generated += len(unknown)
            for i, r in zip(unknown, refused_at(k * unit, unknown), strict=True):
                if r:
                    refused_from[i] = min(refused_from[i], k)
                else:
                    answered_to[i] = max(answered_to[i], k)
        rates[k] = sum(refused_from[i] <= k for i in range(n)) / n
        return rates[k]

    ok: int | None = None  # largest k known within the target
    bad: int | None = None  # smallest k known over it
    k = 0
    r0 = rate(0)
    held = target < r0 <= target + tolerance
    if held:
        ok = 0
    elif r0 <= target and k_up > 0 and rate(k_up) <= target:
        # within the target at the cap: by the monotone rule every alpha below is too, and the walk up
        # would end here; two passes instead of one per step (the cap binds on the default preset)
        ok = k_up
    elif r0 <= target:
        # over the target at the cap: walk up; prompts answered at the cap are known answered below it,
        # so the walk generates only for the few the cap refused
        ok = 0
        while k < k_up:
            k = min(k + k_step, k_up)
            if rate(k) <= target:
                ok = k
            else:
                bad = k
                break
    else:
        bad = 0
        while k > -k_max:
            k = max(k - k_step, -k_max)
            if rate(k) <= target:
                ok = k
                break
            bad = k
    if ok is not None and bad is not None:
        while bad - ok > 1:
            mid = (ok + bad) // 2
            if rate(mid) <= target:
                ok = mid
            else:
                bad = mid
    reached = ok is not None
    chosen = ok if ok is not None else -k_max
    return AlphaSearch(
        alpha=round(chosen * unit, 6),
        rate=rate(chosen),
        target=target,
        prompts=n,
        tried={f"{kk * unit:+.2f}": round(r, 4) for kk, r in sorted(rates.items())},
        generated=generated,
        reached=reached,
        tolerance=tolerance,
        held=held,
    )


def noise_band(target: float, n: int) -> float:
    """One binomial standard error of an over-refusal rate of ``target`` measured on ``n`` prompts."""
    return math.sqrt(max(target * (1 - target), 0.0) / n) if n > 0 else 0.0


def calibration_prompts(
    records: Sequence[Any], used: str | os.PathLike[str] | Sequence[str] | None, limit: int | None
) -> list[Any]:
    """``records`` (PromptRecords, already in spread order) whose text no training row uses, up to ``limit``.

    ``used`` is a training data file (JSONL rows with a ``prompt`` conversation, or ``messages``) or
    the prompt texts themselves. Calibrating on prompts the model trained to answer would make it
    look less over-refusing than it is.
    """
    from alignloop.data import iter_jsonl

    texts: set[str] = set()
    if isinstance(used, str | os.PathLike):
        for _, row in iter_jsonl(used):  # a broken line is a DataError naming it
            for m in row.get("prompt") or row.get("messages") or []:
                if m.get("role") == "user":
                    texts.add(str(m.get("content", "")).strip())
    elif used is not None:
        texts = {t.strip() for t in used}
    free = [r for r in records if r.prompt.strip() not in texts]
    return free if limit is None else free[:limit]


def borderline_calibration(used: str | os.PathLike[str] | Sequence[str] | None, limit: int | None) -> list[Any]:
    """The bundled borderline train prompts, spread over categories, minus those ``used`` in training."""
    from alignloop.train._recipe import spread_train

    return calibration_prompts(spread_train("borderline"), used, limit)


def refusal_rule(judge: Any) -> Callable[[Sequence[str], Sequence[str]], list[bool]]:
    """``judge`` as the over-refusal suite reads it: a full or partial refusal counts (``Verdict.refused``)."""

    def refused(prompts: Sequence[str], replies: Sequence[str]) -> list[bool]:
        return [v.refused for v in judge.judge(list(prompts), list(replies))]

    return refused
