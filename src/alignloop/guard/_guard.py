"""The guard pipeline: every registered detector over a batch, then actions from the constitution."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from alignloop._util.errors import UserError
from alignloop.constitution import LoadedConstitution, load_constitution
from alignloop.guard._artifact import default_artifact
from alignloop.guard._classifier import GuardClassifier, load_classifier
from alignloop.guard._context import WITH_CONTEXT_KEY, context_params
from alignloop.guard._detectors import MAX_WINDOWS, Batch, Detector, Finding, build_detectors, window_chars
from alignloop.guard._embed import Embedder, OnnxEmbedder
from alignloop.guard._heads import FusedHead, LinearHead
from alignloop.guard._judge import JUDGE_SIDES, JudgeSide, LlmJudge
from alignloop.guard._lang import english_confidence
from alignloop.guard._meta import embedder_for, read_meta
from alignloop.guard._pii import PiiDetector, redact
from alignloop.guard._refusal import RefusalDetector
from alignloop.guard._stream import StreamingChecker
from alignloop.guard._types import ACTION_ORDER, Action, Decision, PiiSpan, Reason, RefusalVerdict


def _as_text(text: str | bytes) -> tuple[str, bool]:
    """Text, and whether it had to be decoded with replacement characters."""
    if isinstance(text, bytes):
        try:
            return text.decode("utf-8"), False
        except UnicodeDecodeError:
            return text.decode("utf-8", errors="replace"), True
    if not isinstance(text, str):
        raise UserError(f"guard checks text, got {type(text).__name__}", hint="pass str or bytes")
    # lone surrogates (from badly decoded JSON) make the tokenizer raise: replace them too
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="replace").decode("utf-8"), True
    return text, False


class Guard:
    """Input and output checks against one constitution, from one guard artifact."""

    def __init__(
        self,
        constitution: LoadedConstitution,
        artifact: str | Path,
        embedder: Embedder | None = None,
        fail_mode: Literal["closed", "open"] = "closed",
        injection_action: Action = "block",
        pii_action: Action = "redact",
        judge: LlmJudge | None = None,
        judge_on: JudgeSide = "both",
        classifier: GuardClassifier | str | Path | None = None,
        detectors: Sequence[str] | None = None,
        with_heads: bool | None = None,
        plain_tense: bool | None = None,
        off_topic: bool = False,
        context: bool = True,
    ) -> None:
        self.constitution = constitution
        # responses are also judged with their prompt's score where the classifier has the dev-fitted
        # weights for it (``._context``); ``context=False`` checks a response by the category detector alone
        self.use_context = context
        self.classifier = (
            classifier if isinstance(classifier, GuardClassifier) or classifier is None else GuardClassifier(classifier)
        )
        self.artifact = Path(artifact)
        self.meta = read_meta(self.artifact)
        missing = set(constitution.constitution.category_ids) - set(self.meta["categories"])
        if missing:
            raise UserError(
                f"guard artifact {self.artifact} has no heads for categories {sorted(missing)}",
                hint="retrain it for this constitution with `alignloop guard train -c CONSTITUTION -o DIR`",
            )
        self.category_ids = list(constitution.constitution.category_ids)
        if self.classifier is not None:
            lacking = set(self.category_ids) - set(self.classifier.categories)
            if lacking:
                raise UserError(
                    f"guard classifier {self.classifier.folder} has no outputs for categories {sorted(lacking)}",
                    hint="leave the classifier out for this constitution, or train one with its categories",
                )
        self.embedder = embedder or embedder_for(self.meta["embedder_id"])
        z = np.load(self.artifact / "heads.npz")
        self.cat_head = LinearHead(z["cat_coef"], z["cat_intercept"])
        u = self.meta["unsafe_head"]
        self.unsafe_head = FusedHead(
            LinearHead(z["uns_coef"], z["uns_intercept"]),
            LinearHead(z["lex_coef"], z["lex_intercept"]),
            float(u["emb_weight"]),
            (float(u["platt"][0]), float(u["platt"][1])),
        )
        self.inj_head = LinearHead(z["inj_coef"], z["inj_intercept"]) if "inj_coef" in z else None
        self.refusal = RefusalDetector.from_folder(self.artifact, self.embedder)
        # a reply far from its prompt is a refusal only when asked for (docs/judge.md: opt-in for now)
        self.refusal.use_off_topic = off_topic
        self.pii = PiiDetector()
        self.fail_mode = fail_mode
        self.injection_action = injection_action
        self.pii_action = pii_action
        self.judge = judge
        # which side the judge checks: a remote judge on every streamed output chunk is a round trip each
        if judge_on not in JUDGE_SIDES:
            raise UserError(f"judge_on is {judge_on!r}", hint=f"use one of: {', '.join(JUDGE_SIDES)}")
        self.judge_on = judge_on
        c = constitution.constitution
        clf_th = self.classifier.meta["thresholds"] if self.classifier is not None else {}
        # the shipped classifier carries a dev-chosen threshold for its score combined with the
        # heads' (``unsafe_with_heads``): that combination is on by default wherever it exists
        self.with_heads = self.classifier is not None and (
            "unsafe_with_heads" in clf_th if with_heads is None else with_heads
        )
        # likewise ``unsafe_with_tense``: inputs framed in the past or the future are also scored as the
        # plain request (``._tense``), with the threshold chosen on dev for that score. It is chosen for the
        # classifier alone, so it stays off where the heads join.
        self.plain_tense = (
            self.classifier is not None
            and not self.with_heads
            and ("unsafe_with_tense" in clf_th if plain_tense is None else plain_tense)
        )
        default = self.meta["thresholds"] if self.classifier is None else None
        th_key = "unsafe_with_heads" if self.with_heads and "unsafe_with_heads" in clf_th else "unsafe"
        if self.plain_tense and "unsafe_with_tense" in clf_th:
            th_key = "unsafe_with_tense"
        self.thresholds = {
            cid: c.category(cid).threshold or (default[cid] if default is not None else float(clf_th[th_key]))
            for cid in c.category_ids
        }
        # model replies get their own dev-chosen threshold where the classifier has one: an informative
        # answer about a sensitive topic scores higher than the question did (docs/guard.md)
        out_key = "output_with_heads" if th_key == "unsafe_with_heads" else "output"
        if context_params(self) is not None and WITH_CONTEXT_KEY in clf_th:
            out_key = WITH_CONTEXT_KEY  # the category check is then the backstop beside the context check
        self._output_thresholds: dict[str, float] | None = None
        if out_key in clf_th:
            self._output_thresholds = {
                cid: c.category(cid).threshold or float(clf_th[out_key]) for cid in c.category_ids
            }
        self.detectors: list[Detector] = build_detectors(self, detectors)

    @property
    def output_thresholds(self) -> dict[str, float]:
        """Per-category thresholds of output checks: the classifier's dev-chosen ones, else :attr:`thresholds`."""
        return self.thresholds if self._output_thresholds is None else self._output_thresholds

    @output_thresholds.setter
    def output_thresholds(self, value: dict[str, float]) -> None:
        self._output_thresholds = dict(value)

    @classmethod
    def load(
        cls,
        constitution: LoadedConstitution | None = None,
        artifact: str | Path | None = None,
        threads: int | None = None,
        **kwargs: object,
    ) -> Guard:
        """A guard for ``constitution`` (default: the packaged one).

        ``artifact`` defaults to the one built for that constitution on first use and cached. With
        the default artifact, the shipped fine-tuned classifier decides categories and injection
        whenever it covers the constitution's categories; pass ``classifier=`` to choose another.
        A classifier whose metadata holds an ``unsafe_with_heads`` threshold (the shipped one does)
        is combined with the artifact's heads: each category's probability is the larger of the
        two; ``with_heads=False`` turns that off.

        ``threads=N`` gives the guard its own ONNX sessions running on N threads each, as many
        sessions as the cores allow (default: the process-wide shared models, whose sessions run on
        one thread each, ``guard._onnx``). A server that runs several checks at once wants its own
        single-thread sessions: a session's extra threads busy-wait after every run, and on a small
        machine that spinning takes the cores the other checks, the event loop and the model need.
        """
        lc = constitution or load_constitution(None)
        if artifact is None and "classifier" not in kwargs:
            shipped = load_classifier()
            if shipped is not None and set(lc.constitution.category_ids) <= set(shipped.categories):
                # private sessions when the thread count is not the shared default
                kwargs["classifier"] = shipped if threads is None else GuardClassifier(shipped.folder, threads=threads)
        path = Path(artifact) if artifact is not None else default_artifact(lc)
        if threads is not None and "embedder" not in kwargs:
            emb_id = str(read_meta(path)["embedder_id"])
            own = not emb_id.startswith("hash-bow-")
            kwargs["embedder"] = OnnxEmbedder(threads=threads) if own else embedder_for(emb_id)
        return cls(lc, path, **kwargs)  # type: ignore[arg-type]

    # -- public checks -------------------------------------------------------------------
    def check_input(self, text: str | bytes) -> Decision:
        """Check one user message."""
        return self.check_inputs([text])[0]

    def check_output(self, prompt: str | bytes, response: str | bytes) -> Decision:
        """Check one model response, with its prompt as context."""
        return self.check_outputs([prompt], [response])[0]

    def check_inputs(self, texts: Sequence[str | bytes]) -> list[Decision]:
        """Check many user messages with one batched embedding pass."""
        return self._check([_as_text(t) for t in texts], None)

    def check_outputs(
        self, prompts: Sequence[str | bytes], responses: Sequence[str | bytes], verdicts: bool = True
    ) -> list[Decision]:
        """Check many responses; ``prompts[i]`` is the message ``responses[i]`` answers.

        ``verdicts=False`` skips the refusal classifier (a model pass) wherever it cannot change the
        action: a response's verdict only lowers its category probabilities (by how far it complies),
        so it is computed only for responses where some category reaches its threshold without it.
        The actions are the same either way; the other responses get no ``refusal`` verdict and
        category probabilities before that lowering.
        """
        if len(prompts) != len(responses):
            raise UserError(
                f"{len(prompts)} prompts but {len(responses)} responses", hint="pass one prompt per response"
            )
        items, ctx = [_as_text(r) for r in responses], [_as_text(p)[0] for p in prompts]
        if verdicts:
            return self._check(items, ctx)
        out = self._check(items, ctx, [d for d in self.detectors if d.name != "refusal"])
        # the category and context reasons are the ones a verdict can take back (it lowers compliance)
        again = [i for i, d in enumerate(out) if any(r.detector in ("category", "context") for r in d.reasons)]
        for i, d in zip(again, self._check([items[i] for i in again], [ctx[i] for i in again]), strict=True):
            d.latency_ms += out[i].latency_ms
            out[i] = d
        return out

    def stream(self, prompt: str) -> StreamingChecker:
        """An incremental checker for a response to ``prompt`` that arrives in chunks."""
        return StreamingChecker(self, prompt)

    # -- pipeline ------------------------------------------------------------------------
    def _check(
        self, items: list[tuple[str, bool]], prompts: list[str] | None, detectors: list[Detector] | None = None
    ) -> list[Decision]:
        t0 = time.perf_counter()
        batch = Batch([t for t, _ in items], prompts, [Finding() for _ in items])
        for det in self.detectors if detectors is None else detectors:
            try:
                det.run(batch)
            except Exception as e:  # a detector bug must not take the service down; fail_mode decides
                action = "block" if self.fail_mode == "closed" else "allow"
                note = f"{type(e).__name__}: {e}"
                for f in batch.found:
                    f.reasons.append(Reason(det.name, "detector_error", 1.0, 0.0, action=action, note=note))
        out = [self._finish(text, bad, f) for (text, bad), f in zip(items, batch.found, strict=True)]
        per = (time.perf_counter() - t0) * 1000 / max(len(items), 1)
        for d in out:
            d.latency_ms = per
        return out

    def _finish(self, text: str, bad_utf8: bool, f: Finding) -> Decision:
        reasons = f.reasons
        if bad_utf8:
            note = "bytes were not valid UTF-8; undecodable bytes replaced"
            reasons.append(Reason("input", "invalid_utf8", 1.0, 1.0, action="flag", note=note))
        if len(text) > window_chars(self) * 5 // 6 * MAX_WINDOWS:
            note = f"text too long to classify whole: {MAX_WINDOWS} windows spread over it were (PII: all)"
            reasons.append(Reason("input", "sampled", 1.0, 1.0, action="flag", note=note))
        conf = english_confidence(text[:5000])
        if conf < 0.5:
            note = (
                "text looks non-English; the classifier was trained on 11 languages but is English-first"
                if self.classifier is not None
                else "text looks non-English; the classifiers are English-first and may miss harm"
            )
            reasons.append(Reason("language", "language_warning", 1.0 - conf, 0.5, action="allow", note=note))
        probs = f.categories or {cid: 0.0 for cid in self.category_ids}
        return self._decide(text, probs, f.injection, f.pii, reasons, f.refusal)

    def _decide(
        self,
        text: str,
        probs: dict[str, float],
        inj: float,
        pii: list[PiiSpan],
        reasons: list[Reason],
        verdict: RefusalVerdict | None,
    ) -> Decision:
        action: Action = "allow"
        top: Reason | None = None
        for r in reasons:
            if ACTION_ORDER[r.action] > ACTION_ORDER[action]:
                action, top = r.action, r  # type: ignore[assignment]
        if action == "block":
            cat = top.category if top is not None and top.category in probs else None
            out_text = self.constitution.constitution.refusal_for(cat)
        elif action == "redact":
            out_text = redact(text, pii)
        else:
            out_text = text
        return Decision(
            action=action,
            flagged=action != "allow",
            score=max(probs.values(), default=0.0),
            categories=probs,
            injection=inj,
            pii=pii,
            reasons=reasons,
            text=out_text,
            refusal=verdict,
        )
