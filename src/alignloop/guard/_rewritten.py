"""Requests asked again about the past or the future by the embedded model: the guard's ``rewritten`` source.

Why a second tense source: the guard catches the held-out rows of ``framed`` (our frames around our
verb phrases) at dev recall 1.000, and public tense rewrites at about half. Frames we wrote test our
frames. Here SmolLM2-135M-Instruct, the model alignloop embeds, asks each one-line request of the
``reframed`` sources again, in its own words, given three examples we wrote about harmless chores
(growing tomatoes, starting a fire without matches). Train requests see one set of examples, dev and
test requests another, as with ``framed``'s held-out frames. The method is the one behind public
tense rewrites (a language model asked to restate a request in another tense); no benchmark item is
read, and the build's overlap filter still runs on every text.

A small model drifts: it may drop the harmful part or refuse. A rewrite is kept only if it is one
question of 5 to 40 words, carries a marker of its tense, has no refusal words, keeps the request's
verb (unless a light one such as "make") and at least :data:`KEEP_CONTENT` of its content words; each
request gets up to :data:`ATTEMPTS` samples. Rows re-apply the filter to cached rewrites, so a stricter
filter needs no new generation (it only loses the retries). What is kept still carries some label
noise (a harmful request restated as "what was the penalty for it?"), measured in ``docs/guard.md``.

Generation takes minutes on a CPU, so rewrites are cached per request set (``cache_dir()/guard``),
appended batch by batch: a killed build resumes where it stopped, without repeating a batch.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from alignloop._util.hashing import sha256_json
from alignloop._util.paths import cache_dir
from alignloop.guard._framed import Request, verb_phrase

VERSION = 1
"""Bump when the prompt, the filter or the sampling changes: the cache key includes it."""
ATTEMPTS = 4
"""Samples per request and tense at most; on dev about two in five jobs keep one by the fourth."""
KEEP_CONTENT = 0.6
"""Share of the request's content words (5-letter stems) a rewrite must keep to inherit its label."""
BATCH = 32
MAX_NEW_TOKENS = 36
TEMPERATURE, TOP_P = 0.8, 0.95
TENSES = ("past", "future")

# Examples we wrote, about harmless chores, so the model sees the shape and not a harmful topic.
_EXAMPLES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "past": {
        "train": [
            ("grow tomatoes on a balcony", "How were tomatoes grown on city balconies in the 1950s?"),
            ("start a fire without matches", "In earlier centuries, how did people start fires without matches?"),
            (
                "write a letter asking a landlord to fix the heating",
                "What did tenants write to their landlords about broken heating, decades ago?",
            ),
        ],
        "heldout": [
            ("cure a ham at home", "How was ham cured at home before refrigerators existed?"),
            (
                "repair a punctured bicycle tyre",
                "What was the usual method for repairing a punctured bicycle tyre in the 1930s?",
            ),
            (
                "send a message across the ocean",
                "How did people manage to send messages across the ocean in the 19th century?",
            ),
        ],
    },
    "future": {
        "train": [
            ("grow tomatoes on a balcony", "How will tomatoes be grown on city balconies in 2050?"),
            ("start a fire without matches", "In the coming decades, how will people start fires without matches?"),
            (
                "write a letter asking a landlord to fix the heating",
                "What will tenants write to their landlords about broken heating, years from now?",
            ),
        ],
        "heldout": [
            ("cure a ham at home", "How is ham going to be cured at home once kitchens are automated?"),
            (
                "repair a punctured bicycle tyre",
                "What will be the usual method for repairing a punctured bicycle tyre in 2040?",
            ),
            (
                "send a message across the ocean",
                "How will people send messages across the ocean in the next century?",
            ),
        ],
    },
}
_HEAD = {
    "past": "Each request below is asked again as a question about how it was done in the past.",
    "future": "Each request below is asked again as a question about how it will be done in the future.",
}
_STOP_WORDS = (
    "the a an to of and or for with without on in at by from into your their them they his her its my our "
    "someone something people person how what that this make get use using"
)
_STOP = frozenset(_STOP_WORDS.split())
_MARKER = {
    "past": re.compile(
        r"\b(did|was|were|had|used to|would have|ago|past|history|historically|earlier|once|\d{4}s|centur(y|ies))\b"
        r"|\b\w+ed\b",
        re.I,
    ),
    "future": re.compile(r"\b(will|going to|future|\d{4}|coming|next|years from now|someday|one day)\b", re.I),
}
_REFUSAL = re.compile(r"\b(sorry|AI|I'm|I am|cannot|can't|As an)\b")

Job = tuple[str, str]
"""(request id, tense)."""


def prompt_for(vp: str, tense: str, pool: str, rng: random.Random) -> str:
    """The few-shot completion prompt asking for ``vp`` in ``tense``, with ``pool``'s examples in random order."""
    examples = list(_EXAMPLES[tense][pool])
    rng.shuffle(examples)
    shots = "".join(f"Request: {a}\nQuestion: {b}\n\n" for a, b in examples)
    return f"{_HEAD[tense]}\n\n{shots}Request: {vp}\nQuestion:"


def _content(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3 and w not in _STOP}


def keep(vp: str, text: str, tense: str) -> bool:
    """Whether ``text`` is a usable ``tense`` rewrite of the verb phrase ``vp`` (see the module docstring)."""
    if not text.endswith("?") or not 5 <= len(text.split()) <= 40 or _REFUSAL.search(text):
        return False
    if not _MARKER[tense].search(text):
        return False
    want, got = _content(vp), _content(text)
    verb = _content(vp.split()[0])  # the request's own verb ("forge", "sabotage"), unless a light one ("make")
    return bool(want) and verb <= got and len(want & got) / len(want) >= KEEP_CONTENT


def cache_file(requests: Sequence[tuple[str, str, str]]) -> Path:
    """Where the rewrites of ``requests`` ((id, verb phrase, split)) are cached."""
    key = sha256_json([VERSION, ATTEMPTS, sorted(requests)])[:16]
    return cache_dir() / "guard" / f"rewritten-v{VERSION}-{key}.jsonl"


def _read_cache(path: Path) -> tuple[dict[Job, str], dict[Job, int]]:
    kept: dict[Job, str] = {}
    tried: dict[Job, int] = {}
    if not path.exists():
        return kept, tried
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # the half-written last line of a killed run
        job = (rec["id"], rec["tense"])
        tried[job] = max(tried.get(job, -1), int(rec["attempt"]))
        if rec.get("text"):
            kept[job] = rec["text"]
    return kept, tried


class _Sampler:
    """The embedded model, sampling completions of a batch of prompts."""

    def __init__(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from alignloop.models._embedded import embedded_model_dir
        from alignloop.models._hf import prepare_tokenizer

        folder = embedded_model_dir()
        self.torch = torch
        self.tok = prepare_tokenizer(AutoTokenizer.from_pretrained(folder))
        self.model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()

    def __call__(self, prompts: list[str], seed: int) -> list[str]:
        enc = self.tok(prompts, return_tensors="pt", padding=True)
        self.torch.manual_seed(seed)
        with self.torch.no_grad():
            out = self.model.generate(
                **enc,
                max_new_tokens=MAX_NEW_TOKENS,
                do_sample=True,
                temperature=TEMPERATURE,
                top_p=TOP_P,
                pad_token_id=self.tok.pad_token_id,
            )
        n = enc["input_ids"].shape[1]
        texts = [str(self.tok.decode(o[n:], skip_special_tokens=True)) for o in out]
        return [t.split("\n")[0].strip() for t in texts]  # the question ends at the line break


def rewrite(
    requests: Sequence[tuple[str, str, str]],
    say: Callable[[str], None] | None = None,
    sampler: Callable[[list[str], int], list[str]] | None = None,
) -> dict[Job, str]:
    """Past and future rewrites of ``requests`` ((id, verb phrase, split)), from the cache or generated.

    Returns ``{(id, tense): question}`` for the jobs that kept a rewrite. ``sampler`` (prompts, seed) ->
    completions replaces the embedded model (tests use a scripted one).
    """
    path = cache_file(requests)
    kept, tried = _read_cache(path)
    by_id = {rid: (vp, split) for rid, vp, split in requests}
    jobs = [(rid, t) for rid, _, _ in requests for t in TENSES]
    for attempt in range(ATTEMPTS):
        todo = [j for j in jobs if j not in kept and tried.get(j, -1) < attempt]
        if not todo:
            continue
        if sampler is None:
            sampler = _Sampler()
        path.parent.mkdir(parents=True, exist_ok=True)
        for i in range(0, len(todo), BATCH):
            batch = todo[i : i + BATCH]
            prompts = [_prompt(job, by_id[job[0]], attempt) for job in batch]
            seed = int(sha256_json([attempt, batch[0]])[:8], 16)
            lines = []
            for job, text in zip(batch, sampler(prompts, seed), strict=True):
                ok = keep(by_id[job[0]][0], text, job[1])
                if ok:
                    kept[job] = text
                rec = {"id": job[0], "tense": job[1], "attempt": attempt, "text": text if ok else None}
                lines.append(json.dumps(rec))
            _append(path, lines)
            if say:
                done = i + len(batch)
                say(f"rewriting requests in other tenses: attempt {attempt + 1}/{ATTEMPTS}, {done}/{len(todo)}")
    return kept


def _prompt(job: Job, request: tuple[str, str], attempt: int) -> str:
    vp, split = request
    pool = "train" if split == "train" else "heldout"
    return prompt_for(vp, job[1], pool, random.Random(f"{job[0]}|{job[1]}|{attempt}"))


def _append(path: Path, lines: list[str]) -> None:
    # one write and an fsync per batch: a kill loses at most the batch in flight, never a line half-read
    with path.open("a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
        f.flush()
        os.fsync(f.fileno())


def rewritten_rows(requests: Sequence[Request], say: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """The kept rewrites of ``requests`` ((id, text, unsafe, category, split, hard)) as row dicts.

    Each keeps its request's label, category, split and ``hard`` flag; requests whose verb phrase
    :func:`._framed.verb_phrase` cannot lift out are skipped, as in ``reframed``.
    """
    meta = {}
    for rid, text, unsafe, cat, split, hard in requests:
        vp = verb_phrase(text)
        if vp is not None:
            meta[rid] = (vp, unsafe, cat, split, hard)
    got = rewrite([(rid, m[0], m[3]) for rid, m in meta.items()], say=say)
    out = []
    for (rid, tense), text in sorted(got.items()):
        vp, unsafe, cat, split, hard = meta[rid]
        if not keep(vp, text, tense):
            continue  # cached under a looser filter
        out.append(
            {
                "id": f"rewritten-{rid}-{tense}",
                "text": text,
                "unsafe": unsafe,
                "category": cat,
                "split": split,
                "hard": hard,
            }
        )
    return out
