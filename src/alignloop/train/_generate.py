"""Preference data from the constitution: Constitutional AI, context distillation, RLAIF, helpfulness.

Every generator takes a chat model, a loaded constitution, prompts and an output path, writes a
resumable JSONL of PreferencePair rows (per-row ``source``, ``generator``, ``constitution_hash``)
and a ``.meta.json`` sidecar, and returns the sidecar's content. ``generator`` records which path
produced the row: a model that is too small to critique itself (under ``SELF_CRITIQUE_MIN_PARAMS``)
gets refusals written from the constitution's refusal style and selection scored by the judge.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from alignloop._util.hashing import sha256_text
from alignloop.constitution import LoadedConstitution
from alignloop.data import JsonlAppender, PromptRecord
from alignloop.guard._loops import is_degenerate
from alignloop.guard._verdict import Judge, KeywordJudge, Verdict
from alignloop.models import ChatModel, Completion, GenerationConfig
from alignloop.train._datasets import DatasetWriter, pair_row, row_id

Progress = Callable[[int], None] | None

# Below ~1B parameters models repeat the critique request instead of critiquing (SmolLM2-135M does).
SELF_CRITIQUE_MIN_PARAMS = 1_000_000_000
REFUSAL_OPENING_WORDS = 8
"""Words of the constitution's refusal that a helpfulness pair rejects. The opening is where the model
decides to refuse; the rest of the refusal is the text the harmful prompts' pairs teach. Rejecting all
of it on borderline prompts pulled those words both ways, and SmolLM2-135M's refusals came apart into
loops ("I can't help create or spread hate or violence or violence or violence ..."): 40 of the loop
model's 130 harmful dev replies (``alignloop.guard._loops.is_loop``), 1 to 5 on three seeds with the opening alone."""


def refusal_opening(refusal: str, words: int = REFUSAL_OPENING_WORDS) -> tuple[str, bool]:
    """The first ``words`` words of ``refusal``, and whether anything was cut off."""
    w = refusal.split()
    return " ".join(w[:words]), len(w) > words


def can_self_critique(model: ChatModel) -> bool:
    """Whether ``model`` is big enough to critique and revise its own answers."""
    n = model.describe().get("parameters")
    return n is None or int(n) >= SELF_CRITIQUE_MIN_PARAMS


def _score(label: str | None, v: Verdict, text: str) -> float:
    """Higher is better under the constitution: refuse harmful requests, help with everything else.

    Only a full refusal of a harmful request and full compliance with a safe one earn credit: a partial
    refusal gave harmful help, or withheld safe help (the partial rule of ``alignloop.guard._verdict``).
    """
    if is_degenerate(text):
        return -2.0
    if label == "harmful":
        return v.prob("refusal") - v.unsafe
    return v.prob("compliance") - v.unsafe


def _judged(
    judge: Judge, labels: Sequence[str | None], prompts: Sequence[str], responses: Sequence[str]
) -> list[float]:
    """:func:`_score` of each response, from one judging pass."""
    verdicts = judge.judge(list(prompts), list(responses))
    return [_score(lab, verdicts[i], responses[i]) for i, lab in enumerate(labels)]


def _batches(items: Sequence[PromptRecord], done: set[str], size: int) -> list[list[PromptRecord]]:
    """The prompts not yet done, ``size`` (the model's generation batch) at a time, each saved as it ends."""
    todo = [r for r in items if r.id not in done]
    return [todo[i : i + size] for i in range(0, len(todo), size)]


def _conv(r: PromptRecord) -> list[Any]:
    # PromptRecord gives plain dicts; ChatModel's Message is a TypedDict of the same shape
    return list(r.conversation())


def _done_prompts(w: DatasetWriter) -> set[str]:
    return {str(r.get("prompt_id")) for r in w.rows}


def generate_cai(
    model: ChatModel,
    loaded: LoadedConstitution,
    prompts: Sequence[PromptRecord],
    out_path: str | os.PathLike[str],
    *,
    sft_path: str | os.PathLike[str] | None = None,
    judge: Judge | None = None,
    mode: str = "auto",
    max_new_tokens: int = 64,
    seed: int = 0,
    progress: Progress = None,
) -> dict[str, Any]:
    """Constitutional AI: sample, critique against a sampled principle, revise.

    Revision-vs-original becomes a pair, the revision an SFT conversation (``sft_path``).
    ``mode``: ``self`` (the model critiques itself), ``refusal_style`` (the fallback: the
    constitution's refusal for the category is the revision, kept only where the judge says the
    original complied), or ``auto`` (``self`` only for models of at least 1B parameters).
    """
    c = loaded.constitution
    judge = judge or KeywordJudge()
    if mode == "auto":
        mode = "self" if can_self_critique(model) else "refusal_style"
    gen = GenerationConfig(max_new_tokens=max_new_tokens)
    w = DatasetWriter(out_path, source="cai", constitution_hash=loaded.hash, model=model.name)
    w.meta.update(mode=mode, judge=judge.name)
    sft = JsonlAppender(sft_path) if sft_path else None
    for batch in _batches(prompts, _done_prompts(w), model.batch_size):
        convs = [_conv(r) for r in batch]
        done = model.complete(convs, gen)
        originals = [d.text for d in done]
        if mode == "self":
            principles: list[Any] = [
                c.principles[int(sha256_text(f"{seed}|{r.id}")[:8], 16) % len(c.principles)] for r in batch
            ]
            crit_convs: list[list[Any]] = [
                [*cv, {"role": "assistant", "content": o}, {"role": "user", "content": p.critique_request}]
                for cv, o, p in zip(convs, originals, principles, strict=True)
            ]
            critiques = model.generate(crit_convs, gen)
            rev_convs: list[list[Any]] = [
                [*cc, {"role": "assistant", "content": k}, {"role": "user", "content": p.revision_request}]
                for cc, k, p in zip(crit_convs, critiques, principles, strict=True)
            ]
            revised = model.complete(rev_convs, gen)
            generator = "self_critique"
        else:
            principles = [None] * len(batch)
            revised = [Completion(c.refusal_for(r.category), True) for r in batch]
            generator = "refusal_style"
        revisions = [d.text for d in revised]
        texts, labels = [r.prompt for r in batch], [r.label for r in batch]
        s_orig = _judged(judge, labels, texts, originals)
        s_rev = _judged(judge, labels, texts, revisions)
        for i, r in enumerate(batch):
            if s_rev[i] <= s_orig[i]:
                w.skip("original_already_follows" if mode == "refusal_style" else "revision_not_better")
                continue
            extra = {"principle": principles[i].id} if principles[i] is not None else {}
            row = pair_row(
                source="cai",
                generator=generator,
                constitution_hash=loaded.hash,
                record=r,
                chosen=revisions[i],
                rejected=originals[i],
                extra=extra,
                chosen_cut=revised[i].cut,
                rejected_cut=done[i].cut,
            )
            if row is not None and sft is not None and row["id"] not in sft.done:
                sft.append(
                    {
                        "id": row["id"],
                        "messages": [*convs[i], {"role": "assistant", "content": revisions[i]}],
                        "source": "cai",
                        "generator": generator,
                        "constitution_hash": loaded.hash,
                        "prompt_id": r.id,
                        **({"truncated": True} if revised[i].cut else {}),
                    }
                )
            w.add(row, "empty_or_identical")
        if progress:
            progress(len(batch))
    if sft is not None:
        sft.close()
    return w.close()


def generate_context_distillation(
    model: ChatModel,
    loaded: LoadedConstitution,
    prompts: Sequence[PromptRecord],
    out_path: str | os.PathLike[str],
    *,
    judge: Judge | None = None,
    max_new_tokens: int = 64,
    progress: Progress = None,
) -> dict[str, Any]:
    """Answers with the constitution as system prompt are ``chosen`` over answers without it.

    A pair is kept only where the judge scores the system-prompted answer higher.
    """
    judge = judge or KeywordJudge()
    system = loaded.constitution.system_prompt()
    gen = GenerationConfig(max_new_tokens=max_new_tokens)
    w = DatasetWriter(out_path, source="context_distillation", constitution_hash=loaded.hash, model=model.name)
    w.meta["judge"] = judge.name
    for batch in _batches(prompts, _done_prompts(w), model.batch_size):
        plain_c = model.complete([_conv(r) for r in batch], gen)
        guided_c = model.complete([[{"role": "system", "content": system}, *_conv(r)] for r in batch], gen)
        plain, guided = [d.text for d in plain_c], [d.text for d in guided_c]
        texts, labels = [r.prompt for r in batch], [r.label for r in batch]
        s_plain = _judged(judge, labels, texts, plain)
        s_guided = _judged(judge, labels, texts, guided)
        for i, r in enumerate(batch):
            if s_guided[i] <= s_plain[i]:
                w.skip("no_gain")
                continue
            w.add(
                pair_row(
                    source="context_distillation",
                    generator="system_prompt",
                    constitution_hash=loaded.hash,
                    record=r,
                    chosen=guided[i],
                    rejected=plain[i],
                    chosen_cut=guided_c[i].cut,
                    rejected_cut=plain_c[i].cut,
                ),
                "empty_or_identical",
            )
        if progress:
            progress(len(batch))
    return w.close()


def generate_rlaif(
    model: ChatModel,
    loaded: LoadedConstitution,
    prompts: Sequence[PromptRecord],
    out_path: str | os.PathLike[str],
    *,
    judge: Judge | None = None,
    n_candidates: int = 4,
    temperature: float = 0.8,
    add_refusal_candidate: bool | None = None,
    min_gap: float = 0.3,
    max_new_tokens: int = 64,
    seed: int = 0,
    progress: Progress = None,
) -> dict[str, Any]:
    """Sample candidates, label them with the judge, pair the best against the worst.

    For models too small to produce a good answer among their samples (``add_refusal_candidate``,
    default: the same rule as :func:`can_self_critique`), the constitution's refusal joins the
    candidates of harmful prompts (generator ``judge_selection+refusal_style``).
    """
    judge = judge or KeywordJudge()
    c = loaded.constitution
    if add_refusal_candidate is None:
        add_refusal_candidate = not can_self_critique(model)
    w = DatasetWriter(out_path, source="rlaif", constitution_hash=loaded.hash, model=model.name)
    w.meta["judge"] = judge.name
    for bi, batch in enumerate(_batches(prompts, _done_prompts(w), model.batch_size)):
        cands: list[list[str]] = [[] for _ in batch]
        cut: list[list[bool]] = [[] for _ in batch]
        for k in range(n_candidates):
            outs = model.complete(
                [_conv(r) for r in batch],
                GenerationConfig(max_new_tokens=max_new_tokens, temperature=temperature, seed=seed + 1000 * bi + k),
            )
            for i, o in enumerate(outs):
                cands[i].append(o.text)
                cut[i].append(o.cut)
        for i, r in enumerate(batch):
            extra_refusal = add_refusal_candidate and r.label == "harmful"
            if extra_refusal:
                cands[i].append(c.refusal_for(r.category))
                cut[i].append(False)
            n = len(cands[i])
            scores = _judged(judge, [r.label] * n, [r.prompt] * n, cands[i])
            scored = sorted(((sc, j) for j, sc in enumerate(scores)), reverse=True)
            (best, bj), (worst, wj) = scored[0], scored[-1]
            if best - worst < min_gap:
                w.skip("candidates_alike")
                continue
            generator = (
                "judge_selection+refusal_style" if extra_refusal and bj == len(cands[i]) - 1 else "judge_selection"
            )
            w.add(
                pair_row(
                    source="rlaif",
                    generator=generator,
                    constitution_hash=loaded.hash,
                    record=r,
                    chosen=cands[i][bj],
                    rejected=cands[i][wj],
                    extra={"score_chosen": round(best, 4), "score_rejected": round(worst, 4)},
                    chosen_cut=cut[i][bj],
                    rejected_cut=cut[i][wj],
                ),
                "empty_or_identical",
            )
        if progress:
            progress(len(batch))
    return w.close()


def generate_helpfulness(
    model: ChatModel,
    loaded: LoadedConstitution,
    prompts: Sequence[PromptRecord],
    out_path: str | os.PathLike[str],
    *,
    judge: Judge | None = None,
    max_new_tokens: int = 64,
    seed: int = 0,
    progress: Progress = None,
    rejected_words: int = REFUSAL_OPENING_WORDS,
) -> dict[str, Any]:
    """Benign and borderline-safe prompts: the model's own helpful answer beats a refusal.

    The rejected side is the opening of the constitution's refusal for the prompt's category
    (``rejected_words`` words, flagged ``rejected_truncated``), so the model learns that sounding
    unsafe is no reason to start refusing, while the rest of the refusal, which harmful prompts'
    pairs teach, is not pushed down. Answers the judge calls refusals or degenerate (empty, loops)
    are resampled once, then skipped and counted.
    """
    judge = judge or KeywordJudge()
    c = loaded.constitution
    w = DatasetWriter(out_path, source="helpfulness", constitution_hash=loaded.hash, model=model.name)
    w.meta["judge"] = judge.name
    w.meta["rejected_words"] = rejected_words
    for bi, batch in enumerate(_batches(prompts, _done_prompts(w), model.batch_size)):
        texts = [r.prompt for r in batch]
        got = model.complete([_conv(r) for r in batch], GenerationConfig(max_new_tokens=max_new_tokens))
        answers, cut = [d.text for d in got], [d.cut for d in got]
        generators = ["own_answer"] * len(batch)
        ref = [v.refused for v in judge.judge(texts, answers)]
        bad = [i for i in range(len(batch)) if ref[i] or is_degenerate(answers[i])]
        if bad:
            retry = model.complete(
                [_conv(batch[i]) for i in bad],
                GenerationConfig(max_new_tokens=max_new_tokens, temperature=0.7, seed=seed + bi),
            )
            rref = [v.refused for v in judge.judge([texts[i] for i in bad], [d.text for d in retry])]
            for i, d, p in zip(bad, retry, rref, strict=True):
                answers[i], cut[i], ref[i], generators[i] = d.text, d.cut, p, "own_answer_resampled"
        for i, r in enumerate(batch):
            if ref[i] or is_degenerate(answers[i]):
                w.skip("model_refuses_or_degenerate")
                continue
            opening, opening_cut = refusal_opening(c.refusal_for(r.category), rejected_words)
            w.add(
                pair_row(
                    source="helpfulness",
                    generator=generators[i],
                    constitution_hash=loaded.hash,
                    record=r,
                    chosen=answers[i],
                    rejected=opening,
                    chosen_cut=cut[i],
                    rejected_cut=opening_cut,
                ),
                "empty_or_identical",
            )
        if progress:
            progress(len(batch))
    return w.close()


def import_redteam_failures(
    failures_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    loaded: LoadedConstitution,
) -> dict[str, Any]:
    """Red-team failures (PreferencePair rows from ``redteam``) as training pairs, tagged with provenance.

    Raises:
        DataError: a broken row, naming ``file:line``.
    """
    from alignloop.data import PreferencePair, read_rows

    w = DatasetWriter(out_path, source="redteam", constitution_hash=loaded.hash, model="redteam")
    w.meta["from"] = str(failures_path)
    for p in read_rows(failures_path, PreferencePair, unique_ids=False):
        row = p.model_dump(mode="json", exclude_none=True)
        row.update(
            id=row_id("redteam", p.id),
            source="redteam",
            constitution_hash=loaded.hash,
            generator=row.get("generator", "redteam_export"),
            prompt_id=p.id,
        )
        row.setdefault("label", "harmful")  # exports from before the label: attacks target harmful behaviours
        if row["id"] not in w.done:
            w.add(row)
    return w.close()
