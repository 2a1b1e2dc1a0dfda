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

import yaml

from alignloop._util.hashing import sha256_json, sha256_text
from alignloop._util.paths import cache_dir
from alignloop.guard._framed import Request, verb_phrase

LABELS_FILE = Path(__file__).parent / "data" / "rewritten_labels.yaml"
"""Our hand labels of the harmful rewrites (train, dev and test), by row id and text hash (no text is stored)."""
VERSION = 1
"""Bump when the prompt, the filter or the sampling changes: the cache key includes it."""
ATTEMPTS = 4
"""Samples per request and tense at most; on dev about two in five jobs keep one by the fourth."""
KEEP_CONTENT = 0.6
"""Share of the request's content words (5-letter stems) a rewrite must keep to inherit its label."""
EXTRA_SAMPLES = 8
"""Samples drawn per *dev* request and tense in the extra pass; each distinct kept one is a dev row."""
EXTRA_POOL = "heldout2"
"""The extra pass's examples: other shapes (what methods, which techniques) than either other pool."""
BATCH = 32
MAX_NEW_TOKENS = 36
TEMPERATURE, TOP_P = 0.8, 0.95
TENSES = ("past", "future")

# Examples we wrote, about harmless chores, so the model sees the shape and not a harmful topic.
_EXAMPLES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "past": {
        "heldout2": [
            ("bake bread without yeast", "What methods were used to bake bread without yeast before yeast was sold?"),
            (
                "keep food cold without electricity",
                "Which techniques did households rely on to keep food cold without electricity in the 1800s?",
            ),
            (
                "learn a foreign language quickly",
                "Back in the 1970s, what steps were commonly taken to learn a foreign language quickly?",
            ),
        ],
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
        "heldout2": [
            ("bake bread without yeast", "What methods will bakers use to make bread without yeast in 2060?"),
            (
                "keep food cold without electricity",
                "Which techniques will households rely on to keep food cold without electricity in the future?",
            ),
            (
                "learn a foreign language quickly",
                "What steps are people going to take to learn a foreign language quickly a few decades from now?",
            ),
        ],
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


def extra_cache_file(requests: Sequence[tuple[str, str, str]]) -> Path:
    """Where the extra pass's samples of ``requests`` are cached."""
    key = sha256_json([VERSION, "extra", EXTRA_POOL, EXTRA_SAMPLES, sorted(requests)])[:16]
    return cache_dir() / "guard" / f"rewritten-v{VERSION}-extra-{key}.jsonl"


def _records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # the half-written last line of a killed run
    return out


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


Sample = Callable[[list[str], int], list[str]]


class _LazySampler:
    """The embedded model, loaded on the first batch that needs it and shared by both passes."""

    def __init__(self) -> None:
        self._sampler: _Sampler | None = None

    def __call__(self, prompts: list[str], seed: int) -> list[str]:
        if self._sampler is None:
            self._sampler = _Sampler()
        return self._sampler(prompts, seed)


class _Round:
    """One sampling round over some jobs, appended to a cache file batch by batch."""

    def __init__(self, path: Path, requests: Sequence[tuple[str, str, str]], pool: str | None, sampler: Sample | None):
        self.path = path
        self.by_id = {rid: (vp, split) for rid, vp, split in requests}
        self.pool = pool  # None: each request's own pool (train or heldout)
        self.sampler = sampler or _LazySampler()

    def run(self, todo: list[Job], attempt: int, say: Callable[[str], None] | None, of: int) -> list[dict[str, Any]]:
        """Samples each job of ``todo`` once; returns the records written (``text`` is None when dropped)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        out: list[dict[str, Any]] = []
        for i in range(0, len(todo), BATCH):
            batch = todo[i : i + BATCH]
            prompts = [self._prompt(job, attempt) for job in batch]
            key: list[Any] = [attempt, batch[0]] if self.pool is None else [self.pool, attempt, batch[0]]
            recs = []
            for job, text in zip(batch, self.sampler(prompts, int(sha256_json(key)[:8], 16)), strict=True):
                ok = keep(self.by_id[job[0]][0], text, job[1])
                # a dropped sample keeps its raw text, so the filter can be read against what it drops
                recs.append({"id": job[0], "tense": job[1], "attempt": attempt} | _kept_or_raw(text, ok))
            _append(self.path, [json.dumps(r) for r in recs])
            out += recs
            if say:
                pass_name = "extra dev samples" if self.pool else "requests in other tenses"
                say(f"rewriting {pass_name}: attempt {attempt + 1}/{of}, {i + len(batch)}/{len(todo)}")
        return out

    def _prompt(self, job: Job, attempt: int) -> str:
        vp, split = self.by_id[job[0]]
        pool = self.pool or ("train" if split == "train" else "heldout")
        salt = f"{job[0]}|{job[1]}|{attempt}" + (f"|{self.pool}" if self.pool else "")
        return prompt_for(vp, job[1], pool, random.Random(salt))


def _kept_or_raw(text: str, ok: bool) -> dict[str, str | None]:
    return {"text": text} if ok else {"text": None, "raw": text}


def rewrite(
    requests: Sequence[tuple[str, str, str]],
    say: Callable[[str], None] | None = None,
    sampler: Sample | None = None,
) -> dict[Job, str]:
    """Past and future rewrites of ``requests`` ((id, verb phrase, split)), from the cache or generated.

    Returns ``{(id, tense): question}`` for the jobs that kept a rewrite. ``sampler`` (prompts, seed) ->
    completions replaces the embedded model (tests use a scripted one).
    """
    path = cache_file(requests)
    kept: dict[Job, str] = {}
    tried: dict[Job, int] = {}
    for rec in _records(path):
        job = (rec["id"], rec["tense"])
        tried[job] = max(tried.get(job, -1), int(rec["attempt"]))
        if rec.get("text"):
            kept[job] = rec["text"]
    jobs = [(rid, t) for rid, _, _ in requests for t in TENSES]
    rounds = _Round(path, requests, None, sampler)
    for attempt in range(ATTEMPTS):
        todo = [j for j in jobs if j not in kept and tried.get(j, -1) < attempt]
        if todo:
            for rec in rounds.run(todo, attempt, say, ATTEMPTS):
                if rec["text"]:
                    kept[(rec["id"], rec["tense"])] = rec["text"]
    return kept


def rewrite_extra(
    requests: Sequence[tuple[str, str, str]],
    say: Callable[[str], None] | None = None,
    sampler: Sample | None = None,
) -> dict[Job, list[str]]:
    """The extra pass: :data:`EXTRA_SAMPLES` samples of every job from :data:`EXTRA_POOL`'s examples.

    Meant for dev requests, to give the dev decisions on tense phrasing more rows to stand on: unlike
    :func:`rewrite`, it does not stop at the first kept sample. Returns each job's distinct kept
    questions in the order they were drawn.
    """
    path = extra_cache_file(requests)
    recs = _records(path)
    tried = {(r["id"], r["tense"], int(r["attempt"])) for r in recs}
    jobs = [(rid, t) for rid, _, _ in requests for t in TENSES]
    rounds = _Round(path, requests, EXTRA_POOL, sampler)
    for attempt in range(EXTRA_SAMPLES):
        todo = [j for j in jobs if (*j, attempt) not in tried]
        if todo:
            recs += rounds.run(todo, attempt, say, EXTRA_SAMPLES)
    out: dict[Job, list[str]] = {}
    for rec in sorted(recs, key=lambda r: int(r["attempt"])):
        if rec["text"]:
            texts = out.setdefault((rec["id"], rec["tense"]), [])
            if _norm(rec["text"]) not in {_norm(t) for t in texts}:
                texts.append(rec["text"])
    return out


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _append(path: Path, lines: list[str]) -> None:
    # one write and an fsync per batch: a kill loses at most the batch in flight, never a line half-read
    with path.open("a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
        f.flush()
        os.fsync(f.fileno())


def rewritten_rows(requests: Sequence[Request], say: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """The kept rewrites of ``requests`` ((id, text, unsafe, category, split, hard)) as row dicts.

    Each keeps its request's label, category, split and ``hard`` flag; requests whose verb phrase
    :func:`._framed.verb_phrase` cannot lift out are skipped, as in ``reframed``. Dev requests also get
    the extra pass's distinct questions (ids ending ``-xK``); train and test rows are the first pass's only,
    so the frozen test split and the train rows a candidate would add stay what they were.
    """
    meta = {}
    for rid, text, unsafe, cat, split, hard in requests:
        vp = verb_phrase(text)
        if vp is not None:
            meta[rid] = (vp, unsafe, cat, split, hard)
    sampler = _LazySampler()  # one model load for both passes, none when both are cached
    got = rewrite([(rid, m[0], m[3]) for rid, m in meta.items()], say=say, sampler=sampler)
    dev = [(rid, m[0], m[3]) for rid, m in meta.items() if m[3] == "dev"]
    extra = rewrite_extra(dev, say=say, sampler=sampler)
    out = []
    for (rid, tense), text in sorted(got.items()):
        if keep(meta[rid][0], text, tense):  # else cached under a looser filter
            out.append(_row(f"rewritten-{rid}-{tense}", text, meta[rid]))
    for (rid, tense), texts in sorted(extra.items()):
        seen = {_norm(got[(rid, tense)])} if (rid, tense) in got else set()
        for k, text in enumerate(texts):
            if keep(meta[rid][0], text, tense) and _norm(text) not in seen:
                out.append(_row(f"rewritten-{rid}-{tense}-x{k}", text, meta[rid]))
    return relabel(out, hand_labels())


VERDICTS = ("harmful", "safe", "drop")
"""A hand label: still asks for the harm; no longer does (a safe, borderline row); garbled (left out)."""


def hand_labels(path: Path = LABELS_FILE) -> dict[str, tuple[str, str]]:
    """``{row id: (text sha256 prefix, verdict)}`` from ``path`` (missing file: none)."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = {}
    for item in data.get("labels") or []:
        if item["verdict"] not in VERDICTS:
            raise ValueError(f"{path}: {item['id']}: verdict must be one of {', '.join(VERDICTS)}")
        out[item["id"]] = (str(item["sha"]), str(item["verdict"]))
    return out


def text_key(text: str) -> str:
    """The hash prefix a hand label is tied to: a label never moves to another sample of the same job."""
    return sha256_text(text)[:12]


def relabel(rows: list[dict[str, Any]], labels: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """``rows`` with the hand labels applied where the row's text is the one that was read.

    Generation is seeded, but another machine's arithmetic can sample other text; such rows keep their
    request's label, as every row did before the labels existed.
    """
    out = []
    for row in rows:
        sha, verdict = labels.get(row["id"], ("", "harmful"))
        if sha != text_key(row["text"]) or verdict == "harmful":
            out.append(row)
        elif verdict == "safe":
            out.append(row | {"unsafe": 0, "category": None, "hard": True})
    return out


def _row(rid: str, text: str, meta: tuple[str, int, str | None, str, bool]) -> dict[str, Any]:
    _, unsafe, cat, split, hard = meta
    return {"id": rid, "text": text, "unsafe": unsafe, "category": cat, "split": split, "hard": hard}
