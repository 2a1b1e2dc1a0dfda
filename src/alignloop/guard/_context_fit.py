"""Fit the ``context`` detector's weights and threshold on dev replies, and decide on dev whether it runs.

Only *dev* replies can fit it: one of its two inputs is the classifier's score of the prompt, and the
classifier was trained on the train prompts' text, so their scores are memorised (on train replies the
prompt score alone looked near-perfect, and the same fit flagged 17% of borderline dev replies).

The decision rule, written before it was run (2026-12-07): on dev, out of fold, the system a gateway
runs (the input check blocks the prompt, or the output check blocks the reply) must stop more of the
replies going along with harmful dev prompts with the ``context`` detector than without it, and must
not flag a larger share of the replies to borderline (safe-but-scary) dev prompts. Otherwise the weights
are not written and the detector stays off.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from alignloop.guard._classifier import GuardClassifier
from alignloop.guard._context import PARAMS_KEY, WITH_CONTEXT_KEY, context_probability, logit
from alignloop.guard._types import RefusalVerdict

FOLDS = 5
REPEATS = 5
"""Out-of-fold scores: 5 folds, averaged over 5 shuffles (fixed seeds), so each reply's score comes from
weights fitted without it; the threshold and the decision read only these."""
OUTPUT_GRID = (0.97, 0.98, 0.99)
"""Thresholds tried for the category check's output side beside the context check (set by hand, not tuned
further: steps of 0.01 up to where no borderline dev reply is flagged by its own score)."""
FIT_C = 1.0
"""sklearn's default inverse regularisation: two weights and a bias on ~380 replies need little."""


def _fit(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The weights of :func:`._context.context_probability` for ``x`` (reply and prompt scores per column)."""
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=FIT_C, max_iter=1000).fit(logit(x), y)
    return {"reply": float(m.coef_[0, 0]), "prompt": float(m.coef_[0, 1]), "bias": float(m.intercept_[0])}


def _probs(x: np.ndarray, comply: np.ndarray, params: dict[str, float]) -> np.ndarray:
    return context_probability(x[:, 0], x[:, 1], comply, params)


def out_of_fold(x: np.ndarray, comply: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each reply's context probability from weights fitted on the other folds (mean over the shuffles)."""
    from sklearn.model_selection import StratifiedKFold

    out = np.zeros(len(y))
    for seed in range(REPEATS):
        for fit_idx, held in StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(x, y):
            out[held] += _probs(x[held], comply[held], _fit(x[fit_idx], y[fit_idx])) / REPEATS
    return out


def reply_features(guard: Any, prompts: list[str], replies: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(reply score, prompt score)`` per reply, and its compliance, as the guard computes them."""
    from alignloop.guard._detectors import Batch, Finding, build_detectors

    batch = Batch(list(replies), list(prompts), [Finding() for _ in replies])
    for det in build_detectors(guard, ["refusal", "category"]):
        det.run(batch)
    r = np.array([f.reply_unsafe if f.reply_unsafe is not None else 0.0 for f in batch.found])
    p = np.array([f.prompt_unsafe if f.prompt_unsafe is not None else 0.0 for f in batch.found])
    comply = np.array([RefusalVerdict.compliance_of(f.refusal) for f in batch.found])
    return np.column_stack([r, p]), comply


def choose_thresholds(
    score: np.ndarray, ctx: np.ndarray, y: np.ndarray, blocks: np.ndarray, output: float, max_fpr: float
) -> tuple[float, float]:
    """The category check's output threshold (``output`` or one of :data:`OUTPUT_GRID` above it) and the context
    check's, as the pair whose union has the best F1 with at most ``max_fpr`` of borderline replies flagged.

    Both checks flag a reply where its top category's action blocks (``blocks``). The category check reads
    the reply's own score; beside the context check it only needs to catch what the context misses, so its
    threshold may rise (a backstop for a reply that is harmful whatever it was asked).
    """
    best: tuple[float, float, float] | None = None
    for t_out in [output, *(v for v in OUTPUT_GRID if v > output)]:
        base = blocks & (score >= t_out)
        for t_ctx in np.unique(np.round(ctx, 4)):
            f = base | (blocks & (ctx >= t_ctx))
            tp, fp = float((f & (y == 1)).sum()), float((f & (y == 0)).sum())
            if fp / max(float((y == 0).sum()), 1.0) > max_fpr or tp == 0:
                continue
            prec, rec = tp / (tp + fp), tp / float((y == 1).sum())
            f1 = 2 * prec * rec / (prec + rec)
            if best is None or f1 > best[0]:  # ties keep the lower thresholds: they come first
                best = (f1, float(t_out), float(t_ctx))
    if best is None:
        return output, 1.0
    return best[1], best[2]


def _rates(stopped: np.ndarray, y: np.ndarray) -> dict[str, float]:
    return {"harmful_stopped": float(stopped[y == 1].mean()), "borderline_flagged": float(stopped[y == 0].mean())}


def decide(
    score: np.ndarray,
    ctx: np.ndarray,
    y: np.ndarray,
    blocks: np.ndarray,
    blocked_in: np.ndarray,
    blocked_out: np.ndarray,
    output: float,
    max_fpr: float,
) -> tuple[bool, float, float, dict[str, float], dict[str, float]]:
    """The module's rule on dev replies: ``(adopt, category threshold, context threshold, rates without, with)``.

    ``score``: each reply's category score; ``ctx``: its out-of-fold context probability; ``y``: 1 where it
    goes along with a harmful prompt, 0 for a reply to a borderline one; ``blocks``: its top category's output
    action blocks; ``blocked_in`` / ``blocked_out``: the input check blocked its prompt / the output check as
    it is blocked it. The rates are the system's: stopped harmful replies, flagged borderline ones.
    """
    t_out, t = choose_thresholds(score, ctx, y, blocks, output, max_fpr)
    flagged = blocks & ((score >= t_out) | (ctx >= t))
    without, with_ctx = _rates(blocked_in | blocked_out, y), _rates(blocked_in | flagged, y)
    adopt = (
        with_ctx["harmful_stopped"] > without["harmful_stopped"]
        and with_ctx["borderline_flagged"] <= without["borderline_flagged"]
    )
    return adopt, t_out, t, without, with_ctx


def dev_borderline_and_harmful_replies() -> tuple[list[str], list[str], np.ndarray]:
    """The dev replies the check is fitted on: :func:`._build.labelled_replies` of dev, without ordinary prompts."""
    from alignloop.data import seed_prompts
    from alignloop.guard._build import labelled_replies

    label = {r.prompt: r.label for r in seed_prompts()}
    prompts, replies, y = labelled_replies("dev")
    keep = [i for i, p in enumerate(prompts) if label[p] != "benign"]
    return [prompts[i] for i in keep], [replies[i] for i in keep], y[keep]


def add_output_context(
    clf: GuardClassifier,
    lc: Any,
    max_fpr: float = 0.05,
    replies: tuple[list[str], list[str], np.ndarray] | None = None,
    artifact: Any = None,
) -> float | None:
    """Decide on dev replies whether the ``context`` detector runs; if so, store its weights and threshold.

    ``replies`` (prompts, replies, labels) default to :func:`dev_borderline_and_harmful_replies`;
    ``artifact`` to the constitution's default heads artifact. Weights are fitted on the replies
    (:func:`_fit`); the two thresholds and the decision read only their out-of-fold scores
    (:func:`decide`). The comparison is recorded either way (``metrics.dev_output_context``,
    ``calibration.provenance.output_context``). Returns the threshold or None.
    """
    from alignloop.guard._artifact import default_artifact
    from alignloop.guard._build import _write_meta, binary_metrics
    from alignloop.guard._guard import Guard

    prompts, texts, y = replies if replies is not None else dev_borderline_and_harmful_replies()
    art = default_artifact(lc) if artifact is None else artifact
    g = Guard(lc, art, classifier=clf, with_heads=False, context=False)
    x, comply = reply_features(g, prompts, texts)
    oof = out_of_fold(x, comply, y)
    c = lc.constitution
    outs = g.check_outputs(prompts, texts)
    score = np.array([d.score for d in outs])
    # a reason stops a reply only where its category's output action is block (privacy redacts)
    tops = [max(d.categories, key=d.categories.__getitem__) for d in outs]
    blocks = np.array([c.category(top).output_action.value == "block" for top in tops])
    blocked_in = np.array([d.action == "block" for d in g.check_inputs(prompts)])
    blocked_out = np.array([d.action == "block" for d in outs])
    th = clf.meta["thresholds"]
    output = float(th.get("output", th["unsafe"]))  # without its own, the output check uses the input's
    got = decide(score, oof, y, blocks, blocked_in, blocked_out, output, max_fpr)
    adopt, t_out, t, without, with_ctx = got
    meta = clf.meta
    meta["metrics"]["dev_output_context"] = {
        "out_of_fold": binary_metrics(oof, y, t),
        "output_with_context": t_out,
        "system_without": without,
        "system_with": with_ctx,
        "adopted": adopt,
    }
    how = (
        f"logistic weights on logit(reply score), logit(prompt score), times compliance; fitted on {len(y)} dev "
        f"replies ({int(y.sum())} going along with harmful prompts, {int((y == 0).sum())} to borderline ones); "
        f"threshold {t:.3f} beside the category check's own at {t_out:.3f} (from {OUTPUT_GRID}): the pair with the "
        f"best F1 of either flagging, with at most {max_fpr:.0%} of borderline replies flagged, out of fold "
        f"({FOLDS} folds x {REPEATS} shuffles). Dev system (input or output blocks): harmful replies stopped "
        f"{without['harmful_stopped']:.3f} -> {with_ctx['harmful_stopped']:.3f}, borderline flagged "
        f"{without['borderline_flagged']:.3f} -> {with_ctx['borderline_flagged']:.3f}"
    )
    meta["calibration"]["provenance"][PARAMS_KEY] = ("adopted: " if adopt else "not adopted: ") + how
    if adopt:
        meta[PARAMS_KEY] = _fit(x, y)
        meta["thresholds"][PARAMS_KEY] = round(float(t), 4)
        meta["thresholds"][WITH_CONTEXT_KEY] = t_out
    else:
        meta.pop(PARAMS_KEY, None)
        meta["thresholds"].pop(PARAMS_KEY, None)
        meta["thresholds"].pop(WITH_CONTEXT_KEY, None)
    _write_meta(clf.folder, meta)
    return float(t) if adopt else None
