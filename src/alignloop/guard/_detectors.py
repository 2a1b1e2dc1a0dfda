"""The detectors a :class:`~alignloop.guard.Guard` runs, in the registry it runs them from.

A detector is registered in ``DETECTORS`` (built-ins here; plugins through the entry-point group
``alignloop.detector``) as a class with ``for_guard(guard)`` returning an object with a ``name``
and ``run(batch)``. ``run`` reads ``batch.texts`` (and ``batch.prompts`` for responses) and writes
into ``batch.found[i]``: reasons, category probabilities, the injection score, PII spans or a
refusal verdict. The guard runs every registered detector in order, and a detector that raises is
named in every decision of the batch with the guard's fail mode as its action. A plugin is one file::

    from alignloop.guard import DETECTORS, Reason

    @DETECTORS.register("shouting")
    class Shouting:
        name = "shouting"

        @classmethod
        def for_guard(cls, guard):
            return cls()

        def run(self, batch):
            for text, found in zip(batch.texts, batch.found):
                if text.isupper():
                    found.reasons.append(Reason("shouting", "shouting", 1.0, 1.0, action="flag"))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from alignloop._util.errors import UserError
from alignloop.guard._heads import lexical_features
from alignloop.guard._injection import decoded_variants, heuristic_score
from alignloop.guard._registry import DETECTORS
from alignloop.guard._tense import plain_request
from alignloop.guard._types import PiiSpan, Reason, RefusalVerdict

if TYPE_CHECKING:
    from alignloop.guard._judge import JudgeSide


class Guard(Protocol):
    """The parts of :class:`alignloop.guard.Guard` the built-in detectors read (a protocol: no import cycle)."""

    constitution: Any
    category_ids: list[str]
    thresholds: dict[str, float]
    output_thresholds: dict[str, float]
    classifier: Any
    with_heads: bool
    plain_tense: bool
    use_context: bool
    embedder: Any
    cat_head: Any
    unsafe_head: Any
    inj_head: Any
    meta: dict[str, Any]
    injection_action: Any
    pii_action: Any
    pii: Any
    refusal: Any
    judge: Any
    judge_on: JudgeSide


WINDOW_CHARS = 360
"""About 96 MiniLM tokens of English (the classifier's max_len): one window is one model run;
windows overlap by a sixth."""
HEADS_WINDOW_CHARS = 480
"""About 128 tokens: the embedding heads' window (their embedder reads 128 tokens)."""
MAX_WINDOWS = 128
"""Bounds the work on huge texts (128 model runs, about a second on 2 free cores): beyond ~38 KB,
windows are spread evenly over the text instead of covering it (PII is still checked over all of it)."""
DECODE_CHARS = 20000
"""Smuggled payloads are looked for in the first 20,000 characters."""
BUILTIN_ORDER = ("refusal", "category", "context", "injection", "pii", "llm_judge")
"""Refusal first: the category detector weighs a response's harm by how far it complies; ``context`` reads
the category detector's scores of a response and its prompt."""


@dataclass
class Finding:
    """What the detectors found about one text so far."""

    reasons: list[Reason] = field(default_factory=list)
    categories: dict[str, float] = field(default_factory=dict)
    injection: float = 0.0
    pii: list[PiiSpan] = field(default_factory=list)
    refusal: RefusalVerdict | None = None
    reply_unsafe: float | None = None
    """Responses only: the classifier's unsafe probability for the response's text alone (before its refusal
    verdict weighs it), read by the ``context`` detector."""
    prompt_unsafe: float | None = None
    """Responses only: the same for the prompt the response answers."""


@dataclass
class Batch:
    """Texts checked together; ``prompts`` is set (one per text) when the texts are responses."""

    texts: list[str]
    prompts: list[str] | None
    found: list[Finding]

    @property
    def is_output(self) -> bool:
        """Whether the texts are model responses."""
        return self.prompts is not None


class Detector(Protocol):
    """One step of the guard's pipeline."""

    name: str

    def run(self, batch: Batch) -> None:
        """Write findings for every text of ``batch`` into ``batch.found``."""
        ...


def windows(text: str, size: int = WINDOW_CHARS) -> list[str]:
    """Overlapping pieces of ``text`` (``size`` characters, 1/6 overlap) for one model run each.

    At most :data:`MAX_WINDOWS`; a longer text gets that many spread evenly over it.
    """
    if len(text) <= size:
        return [text]
    stride = size * 5 // 6
    starts = list(range(0, len(text) - size + stride, stride))
    if len(starts) > MAX_WINDOWS:
        starts = [starts[int(k)] for k in np.linspace(0, len(starts) - 1, MAX_WINDOWS)]
    return [text[s : s + size] for s in starts]


def window_chars(guard: Guard) -> int:
    """The window a guard's model reads whole: the classifier's (96 tokens) or the heads' (128)."""
    return WINDOW_CHARS if guard.classifier is not None else HEADS_WINDOW_CHARS


def _spans(texts: Sequence[str], size: int) -> tuple[list[str], list[tuple[int, int]]]:
    pieces: list[str] = []
    spans = []
    for t in texts:
        s = len(pieces)
        pieces += windows(t, size) if t.strip() else []
        spans.append((s, len(pieces)))
    return pieces, spans


class CategoryDetector:
    """Per-category probabilities from the fine-tuned classifier, the embedding heads, or the larger of both.

    With ``guard.with_heads`` (on when the shipped classifier's dev evidence says so) a category's
    probability is the maximum of the classifier's and the heads'. The heads run only where the
    classifier is unsure: it scores the piece at least ``heads_from`` (a dev-chosen band) and, for
    inputs, does not already block it. The classifier generalises to other sources' wording, the
    heads know our own bundle's; on dev the maximum caught more harmful prompts of every source at
    the same 5% false alarms than either alone (docs/guard.md). A blocked input's ``score`` is then
    the classifier's, which may be lower than the maximum would have been; its action is the same.
    """

    name = "category"

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    @classmethod
    def for_guard(cls, guard: Guard) -> CategoryDetector:
        """The detector for ``guard``."""
        return cls(guard)

    def _probs(self, pieces: list[str], settled: np.ndarray | None = None) -> np.ndarray:
        """Per-piece category probabilities; ``settled`` (inputs only) holds each category's blocking threshold."""
        g = self.guard
        if not pieces:
            return np.zeros((0, len(g.category_ids)), dtype=np.float32)
        if g.classifier is not None:
            s = g.classifier.scores(pieces)
            idx = [g.classifier.categories.index(c) for c in g.category_ids]
            out: np.ndarray = s.category[:, idx] * s.unsafe[:, None]
            if g.with_heads:
                # a cascade: the heads (a second encoder pass) only see the pieces the classifier is unsure
                # of. Below ``heads_from`` (a dev-chosen band) it calls them safe; where it already blocks
                # (``settled``) the heads' maximum can raise scores but never change the action.
                need = s.unsafe >= float(g.classifier.meta["thresholds"].get("heads_from", 0.0))
                if settled is not None:
                    need &= ~(out >= settled).any(axis=1)
                todo = np.flatnonzero(need)
                if len(todo):
                    out[todo] = np.maximum(out[todo], self._heads([pieces[i] for i in todo]))
            return out
        return self._heads(pieces)

    def _heads(self, pieces: list[str]) -> np.ndarray:
        g = self.guard
        emb = g.embedder.encode(pieces)
        cats = g.cat_head.predict(emb)
        unsafe = g.unsafe_head.predict(emb, lexical_features(pieces, g.unsafe_head.lex.coef.shape[1]))
        share = cats / np.maximum(cats.max(axis=1, keepdims=True), 1e-9)
        heads: np.ndarray = share * unsafe[:, None]
        return heads

    def _blocking_thresholds(self) -> np.ndarray:
        """Each category's input threshold where its action is ``block`` (the most severe), else infinity."""
        c = self.guard.constitution.constitution
        th = self.guard.thresholds
        return np.array(
            [th[cid] if c.category(cid).input_action.value == "block" else np.inf for cid in self.guard.category_ids]
        )

    def _plain_requests(self, batch: Batch) -> dict[int, str]:
        """Input texts framed in the past or the future, by index, restated as plain requests (``._tense``)."""
        g = self.guard
        if not g.plain_tense or g.classifier is None:
            return {}
        words = g.classifier.words
        found = {i: plain_request(t, words) for i, t in enumerate(batch.texts)}
        return {i: p for i, p in found.items() if p is not None}

    def run(self, batch: Batch) -> None:
        """Probabilities per category (the maximum over a text's windows), and reasons where over threshold.

        With ``guard.plain_tense``, an input framed in the past or the future ("How was X done in the
        1990s?") also gets the plain request's probabilities ("How to do X?"), and keeps the larger.
        """
        g = self.guard
        pieces, spans = _spans(batch.texts, window_chars(g))
        n_text = len(pieces)
        settled = None
        if batch.prompts is not None:
            pieces += [p[: window_chars(g) * 2] or " " for p in batch.prompts]
        else:
            settled = self._blocking_thresholds()
        plain = self._plain_requests(batch) if batch.prompts is None else {}
        n_scored = len(pieces)
        pieces += list(plain.values())
        p = self._probs(pieces, settled)
        again = dict(zip(plain, range(n_scored, len(pieces)), strict=True))
        for i, (found, (w0, w1)) in enumerate(zip(batch.found, spans, strict=True)):
            row = p[w0:w1].max(0) if w1 > w0 else np.zeros(len(g.category_ids), dtype=np.float32)
            if i in again:
                row = np.maximum(row, p[again[i]])  # a request asked about the past is judged as the request
            if batch.prompts is not None and w1 > w0:
                found.reply_unsafe, found.prompt_unsafe = float(row.max()), float(p[n_text + i].max())
                # an answer is unsafe when its text is, or when it goes along with an unsafe request
                comply = RefusalVerdict.compliance_of(found.refusal)
                row = np.maximum(row, p[n_text + i]) * comply
            found.categories = {cid: float(x) for cid, x in zip(g.category_ids, row, strict=True)}
            th = g.output_thresholds if batch.is_output else g.thresholds
            for cid, x in found.categories.items():
                if x >= th[cid]:
                    cat = g.constitution.constitution.category(cid)
                    action = (cat.output_action if batch.is_output else cat.input_action).value
                    found.reasons.append(Reason("category", cid, x, th[cid], action=action))


def _rescale(p: np.ndarray, t: float) -> np.ndarray:
    """Move probabilities so that threshold ``t`` lands on 0.5 (the heuristics' scale)."""
    t = min(max(t, 1e-6), 1 - 1e-6)
    z = np.log(np.clip(p, 1e-9, 1 - 1e-9)) - np.log1p(-np.clip(p, 1e-9, 1 - 1e-9))
    out: np.ndarray = 1.0 / (1.0 + np.exp(-(z - np.log(t / (1 - t)))))
    return out


class InjectionDetector:
    """Jailbreak patterns, smuggled payloads (base64, hex, rot13, leetspeak) and the learned injection score.

    The learned score is rescaled so that its dev-chosen threshold sits at 0.5, where the
    hand-written patterns (weights 0.6-0.95) also fire.
    """

    name = "injection"
    threshold = 0.5

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    @classmethod
    def for_guard(cls, guard: Guard) -> InjectionDetector:
        """The detector for ``guard``."""
        return cls(guard)

    def _learned(self, pieces: list[str]) -> np.ndarray:
        g = self.guard
        if not pieces:
            return np.zeros(0)
        if g.classifier is not None:
            return _rescale(g.classifier.scores(pieces).injection, float(g.classifier.meta["thresholds"]["injection"]))
        if g.inj_head is None:
            return np.zeros(len(pieces))
        p = g.inj_head.predict(g.embedder.encode(pieces))[:, 0]
        return _rescale(p, float(g.meta["injection_threshold"]))

    def run(self, batch: Batch) -> None:
        """The strongest of every signal, per text; a reason when it reaches 0.5."""
        if batch.is_output:
            return
        pieces: list[str] = []
        spans = []
        variants_of = []
        for t in batch.texts:
            s = len(pieces)
            variants = decoded_variants(t[:DECODE_CHARS]) if t.strip() else []
            pieces += (windows(t, window_chars(self.guard)) if t.strip() else []) + [d for _, d in variants]
            spans.append((s, len(pieces)))
            variants_of.append(variants)
        learned = self._learned(pieces)
        for t, found, (w0, w1), variants in zip(batch.texts, batch.found, spans, variants_of, strict=True):
            if not t.strip():
                continue
            inj = max([heuristic_score(t)] + [heuristic_score(d) for _, d in variants])
            if w1 > w0:
                inj = max(inj, float(learned[w0:w1].max()))
            found.injection = inj
            if inj >= self.threshold:
                note = ", ".join(f"decoded {k}" for k, _ in variants)
                found.reasons.append(
                    Reason(
                        "injection",
                        "prompt_injection",
                        inj,
                        self.threshold,
                        action=self.guard.injection_action,
                        note=note,
                    )
                )


class PiiStep:
    """Personal data and secrets, found with :class:`~alignloop.guard.PiiDetector` over the whole text."""

    name = "pii"

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    @classmethod
    def for_guard(cls, guard: Guard) -> PiiStep:
        """The detector for ``guard``."""
        return cls(guard)

    def run(self, batch: Batch) -> None:
        """Spans per text, and a reason carrying them."""
        for t, found in zip(batch.texts, batch.found, strict=True):
            spans = self.guard.pii.find(t)
            found.pii = spans
            if spans:
                found.reasons.append(Reason("pii", "pii", 1.0, 1.0, spans=spans, action=self.guard.pii_action))


class RefusalStep:
    """Whether each response refuses, partly refuses or complies (responses only)."""

    name = "refusal"

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def run(self, batch: Batch) -> None:
        """A verdict per response."""
        if not batch.is_output:
            return
        for found, v in zip(batch.found, self.guard.refusal.classify(batch.texts, batch.prompts), strict=True):
            found.refusal = v


class JudgeStep:
    """The optional LLM judge (``guard.judge``): a reason for each text it calls unsafe.

    A second opinion, asked last and only where it can change the decision: texts another detector
    already blocks are not sent (a remote judge costs a round trip), nor texts on a side outside
    ``guard.judge_on`` (``input``, ``output`` or ``both``).
    """

    name = "llm_judge"

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def run(self, batch: Batch) -> None:
        """Ask the judge, when the guard has one, about the texts still let through."""
        judge = self.guard.judge
        side = "output" if batch.is_output else "input"
        if judge is None or self.guard.judge_on not in (side, "both"):
            return
        ask = [i for i, f in enumerate(batch.found) if not any(r.action == "block" for r in f.reasons)]
        if not ask:
            return
        texts = [batch.texts[i] for i in ask]
        prompts = None if batch.prompts is None else [batch.prompts[i] for i in ask]
        cats = self.guard.constitution.constitution
        for i, jc in zip(ask, judge.categories(texts, prompts), strict=True):
            found = batch.found[i]
            if jc is None:
                continue
            cat = cats.category(jc) if jc in cats.category_ids else None
            action = "block" if cat is None else (cat.output_action if batch.is_output else cat.input_action).value
            found.reasons.append(Reason("llm_judge", str(jc), 1.0, 1.0, action=action))


DETECTORS.register("category")(CategoryDetector)
DETECTORS.register("injection")(InjectionDetector)
# "pii", "refusal" and "llm_judge" are registered by the classes that do the work; these steps
# adapt them to the pipeline (their registered classes have no ``for_guard``)
_ADAPTERS: dict[str, Any] = {"pii": PiiStep, "refusal": RefusalStep, "llm_judge": JudgeStep}


def build_detectors(guard: Guard, names: Sequence[str] | None = None) -> list[Detector]:
    """The guard's pipeline: the built-ins in :data:`BUILTIN_ORDER`, then plugins by name."""
    if names is None:
        names = [*BUILTIN_ORDER, *(n for n in DETECTORS.names() if n not in BUILTIN_ORDER)]
    out: list[Detector] = []
    for n in names:
        entry = DETECTORS.get(n)
        make = getattr(entry, "for_guard", None) or _ADAPTERS.get(n)
        if make is None:
            raise UserError(
                f"detector {n!r} has no for_guard(guard) method",
                hint="give the registered class a classmethod for_guard returning an object with run(batch)",
            )
        out.append(make(guard))
    return out
