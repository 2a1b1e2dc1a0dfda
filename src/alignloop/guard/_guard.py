"""The guard pipeline: every detector on one shared embedding pass, then actions from the constitution."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from alignloop._util.errors import UserError
from alignloop.constitution import LoadedConstitution, load_constitution
from alignloop.guard._artifact import default_artifact, embedder_for, read_meta
from alignloop.guard._embed import Embedder
from alignloop.guard._heads import FusedHead, LinearHead, lexical_features
from alignloop.guard._injection import decoded_variants, heuristic_score
from alignloop.guard._judge import LlmJudge
from alignloop.guard._lang import english_confidence
from alignloop.guard._pii import PiiDetector, redact
from alignloop.guard._refusal import RefusalDetector
from alignloop.guard._registry import DETECTORS
from alignloop.guard._types import ACTION_ORDER, Action, Decision, PiiSpan, Reason, RefusalVerdict

if TYPE_CHECKING:  # _stream imports this module at runtime
    from alignloop.guard._stream import StreamingChecker

WINDOW_CHARS = 480
"""About 128 MiniLM tokens of English: one window is one embedding."""
WINDOW_STRIDE = 400
MAX_WINDOWS = 512
"""Bounds the work on huge texts: beyond ~200 KB, windows are spread evenly over the text instead."""

# the model-free parts are registered too, so plugins and run records can name every detector
DETECTORS.register("category")(LinearHead)
DETECTORS.register("injection")(heuristic_score)


def _windows(text: str) -> list[str]:
    if len(text) <= WINDOW_CHARS:
        return [text]
    starts = list(range(0, len(text) - WINDOW_CHARS + WINDOW_STRIDE, WINDOW_STRIDE))
    if len(starts) > MAX_WINDOWS:
        starts = [starts[int(k)] for k in np.linspace(0, len(starts) - 1, MAX_WINDOWS)]
    return [text[s : s + WINDOW_CHARS] for s in starts]


def _as_text(text: str | bytes) -> tuple[str, bool]:
    if isinstance(text, bytes):
        try:
            return text.decode("utf-8"), False
        except UnicodeDecodeError:
            return text.decode("utf-8", errors="replace"), True
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
    ) -> None:
        self.constitution = constitution
        self.artifact = Path(artifact)
        self.meta = read_meta(self.artifact)
        missing = set(constitution.constitution.category_ids) - set(self.meta["categories"])
        if missing:
            raise UserError(
                f"guard artifact {self.artifact} has no heads for categories {sorted(missing)}",
                hint="retrain it for this constitution with `alignloop guard train -c CONSTITUTION -o DIR`",
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
        self.pii = PiiDetector()
        self.fail_mode = fail_mode
        self.injection_action = injection_action
        self.pii_action = pii_action
        self.judge = judge
        c = constitution.constitution
        self.thresholds = {cid: (c.category(cid).threshold or self.meta["thresholds"][cid]) for cid in c.category_ids}

    @classmethod
    def load(
        cls,
        constitution: LoadedConstitution | None = None,
        artifact: str | Path | None = None,
        **kwargs: object,
    ) -> Guard:
        """A guard for ``constitution`` (default: the packaged one).

        ``artifact`` defaults to the one built for that constitution on first use and cached.
        """
        lc = constitution or load_constitution(None)
        return cls(lc, artifact or default_artifact(lc), **kwargs)  # type: ignore[arg-type]

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

    def check_outputs(self, prompts: Sequence[str | bytes], responses: Sequence[str | bytes]) -> list[Decision]:
        """Check many responses; ``prompts[i]`` is the message ``responses[i]`` answers."""
        if len(prompts) != len(responses):
            raise UserError(
                f"{len(prompts)} prompts but {len(responses)} responses", hint="pass one prompt per response"
            )
        return self._check([_as_text(r) for r in responses], [_as_text(p)[0] for p in prompts])

    def stream(self, prompt: str) -> StreamingChecker:
        """An incremental checker for a response to ``prompt`` that arrives in chunks."""
        from alignloop.guard._stream import StreamingChecker

        return StreamingChecker(self, prompt)

    # -- pipeline ------------------------------------------------------------------------
    def _safe(self, name: str, fn: Callable[[], object], errors: list[Reason]) -> object:
        try:
            return fn()
        except Exception as e:  # a detector bug must not take the service down; fail_mode decides
            action = "block" if self.fail_mode == "closed" else "allow"
            errors.append(Reason(name, "detector_error", 1.0, 0.0, action=action, note=f"{type(e).__name__}: {e}"))
            return None

    def _check(self, items: list[tuple[str, bool]], prompts: list[str] | None) -> list[Decision]:
        t0 = time.perf_counter()
        ids = self.constitution.constitution.category_ids
        is_output = prompts is not None
        # one embedding pass for every window, decoded payload and prompt of the batch
        batch: list[str] = []
        spans: list[tuple[int, int, int]] = []  # (windows start, windows end, decoded end) into batch
        for text, _ in items:
            w0 = len(batch)
            batch += _windows(text) if text.strip() else []
            w1 = len(batch)
            if not is_output and text.strip():
                batch += [d for _, d in decoded_variants(text[:20000])]
            spans.append((w0, w1, len(batch)))
        p0 = len(batch)
        if prompts is not None:
            batch += [p[: WINDOW_CHARS * 2] or " " for p in prompts]
        errors: list[Reason] = []
        emb = self._safe("embedder", lambda: self.embedder.encode(batch) if batch else np.zeros((0, 1)), errors)
        cat_p = inj_p = None
        if isinstance(emb, np.ndarray) and len(batch):
            cat_p = self._safe("category", lambda: self._category_probs(emb, batch), errors)
            if self.inj_head is not None and not is_output:
                inj_p = self._safe("injection", lambda: self.inj_head.predict(emb)[:, 0], errors)  # type: ignore[union-attr]
        verdicts: list[RefusalVerdict | None] = [None] * len(items)
        if is_output:
            res = self._safe("refusal", lambda: self.refusal.classify([t for t, _ in items]), errors)
            if isinstance(res, list):
                verdicts = list(res)
        judged: list[str | None] = [None] * len(items)
        if self.judge is not None:
            judge = self.judge
            res = self._safe("llm_judge", lambda: judge.categories([t for t, _ in items], prompts), errors)
            if isinstance(res, list):
                judged = res
        out: list[Decision] = []
        for i, ((text, bad_utf8), (w0, w1, d1)) in enumerate(zip(items, spans, strict=True)):
            reasons: list[Reason] = list(errors)
            probs = {cid: 0.0 for cid in ids}
            if isinstance(cat_p, np.ndarray) and w1 > w0:
                row = cat_p[w0:w1].max(0)
                if is_output:
                    # an answer is unsafe when its text is, or when it goes along with an unsafe request
                    v = verdicts[i]
                    comply = 1.0 if v is None else v.p_compliance + 0.5 * v.p_partial
                    row = np.maximum(row, cat_p[p0 + i]) * comply
                probs = {cid: float(p) for cid, p in zip(ids, row, strict=True)}
            for cid, p in probs.items():
                if p >= self.thresholds[cid]:
                    cat = self.constitution.constitution.category(cid)
                    action = (cat.output_action if is_output else cat.input_action).value
                    reasons.append(Reason("category", cid, p, self.thresholds[cid], action=action))
            if judged[i] is not None:
                jc = judged[i]
                cat_obj = self.constitution.constitution.category(jc) if jc in probs else None
                action = (
                    "block" if cat_obj is None else (cat_obj.output_action if is_output else cat_obj.input_action).value
                )
                reasons.append(Reason("llm_judge", str(jc), 1.0, 1.0, action=action))
            inj = 0.0
            if not is_output and text.strip():
                inj = heuristic_score(text)
                variants = decoded_variants(text[:20000])
                inj = max([inj] + [heuristic_score(d) for _, d in variants])
                if isinstance(inj_p, np.ndarray) and d1 > w0:
                    inj = max(inj, float(inj_p[w0:d1].max()))
                thr = float(self.meta["injection_threshold"])
                if inj >= thr:
                    note = ", ".join(f"decoded {k}" for k, _ in variants)
                    reasons.append(
                        Reason("injection", "prompt_injection", inj, thr, action=self.injection_action, note=note)
                    )
            pii = self._safe("pii", lambda t=text: self.pii.find(t), reasons)  # type: ignore[misc]
            pii_spans: list[PiiSpan] = pii if isinstance(pii, list) else []
            if pii_spans:
                reasons.append(Reason("pii", "pii", 1.0, 1.0, spans=pii_spans, action=self.pii_action))
            if bad_utf8:
                reasons.append(
                    Reason(
                        "input",
                        "invalid_utf8",
                        1.0,
                        1.0,
                        action="flag",
                        note="bytes were not valid UTF-8; undecodable bytes replaced",
                    )
                )
            if len(text) > WINDOW_STRIDE * MAX_WINDOWS:
                reasons.append(
                    Reason(
                        "input",
                        "sampled",
                        1.0,
                        1.0,
                        action="flag",
                        note=f"text too long to classify whole: {MAX_WINDOWS} windows spread over it were (PII: all)",
                    )
                )
            conf = english_confidence(text[:5000])
            if conf < 0.5:
                reasons.append(
                    Reason(
                        "language",
                        "language_warning",
                        1.0 - conf,
                        0.5,
                        action="allow",
                        note="text looks non-English; the classifiers are English-first and may miss harm",
                    )
                )
            out.append(self._decide(text, probs, inj, pii_spans, reasons, verdicts[i]))
        per = (time.perf_counter() - t0) * 1000 / max(len(items), 1)
        for d in out:
            d.latency_ms = per
        return out

    def _category_probs(self, emb: np.ndarray, texts: list[str]) -> np.ndarray:
        """Per-category probabilities whose maximum is the calibrated unsafe probability.

        The top category gets the unsafe head's probability; others keep their share of it.
        """
        cats = self.cat_head.predict(emb)
        unsafe = self.unsafe_head.predict(emb, lexical_features(texts, self.unsafe_head.lex.coef.shape[1]))
        share = cats / np.maximum(cats.max(axis=1, keepdims=True), 1e-9)
        out: np.ndarray = share * unsafe[:, None]
        return out

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
