"""The context check on dev replies: fitted on the replies of two models, applied to the third's.

The dev replies behind the check (``guard._context_fit``) come from three sources: the embedded
SmolLM2-135M-Instruct and a main-job model (``dev_replies.jsonl``), and the seed ``responses.jsonl`` (its
dev rows). For each source, the weights and both thresholds are fitted on the other two by the same
procedure, and the system (the input check blocks the prompt, or the output check blocks the reply) is
measured on the held-out source's replies with and without the context check. Dev only: nothing here
reads the test split or a public set.

    python benchmarks/context_dev.py
"""

from __future__ import annotations

import numpy as np


def main() -> None:
    from alignloop.data import seed_file, seed_prompts, split_of
    from alignloop.guard import Guard
    from alignloop.guard._context_fit import _fit, _probs, choose_thresholds, out_of_fold, reply_features

    label = {r.prompt: r.label for r in seed_prompts()}
    rows = [dict(o, source=str(o.get("model"))) for o in seed_file("dev_replies.jsonl")]
    rows += [
        dict(o, source="responses.jsonl")
        for o in seed_file("responses.jsonl")
        if split_of(str(o["id"]), o.get("split")) == "dev"
    ]
    # the fit's population: replies to borderline prompts, and replies going along with harmful ones
    rows = [
        o
        for o in rows
        if label.get(o["prompt"]) in ("harmful", "borderline")
        and not (label[o["prompt"]] == "harmful" and o["label"] == "refusal")
    ]
    prompts, replies = [o["prompt"] for o in rows], [o["response"] for o in rows]
    y = np.array([label[p] == "harmful" for p in prompts]).astype(int)
    source = np.array([o["source"] for o in rows])
    g = Guard.load(context=False)
    x, comply = reply_features(g, prompts, replies)
    outs = g.check_outputs(prompts, replies)
    score = np.array([d.score for d in outs])
    blocked_in = np.array([d.action == "block" for d in g.check_inputs(prompts)])
    blocked_out = np.array([d.action == "block" for d in outs])
    blocks = np.ones(len(y), dtype=bool)
    output = float(g.output_thresholds[g.category_ids[0]])
    print(f"{'held out':24s} {'harmful':>7s} {'border':>6s}  without: stopped / flagged   with: stopped / flagged")
    for held in sorted(set(source)):
        fit, test = source != held, source == held
        oof = out_of_fold(x[fit], comply[fit], y[fit])
        t_out, t = choose_thresholds(score[fit], oof, y[fit], blocks[fit], output, 0.05)
        ctx = _probs(x[test], comply[test], _fit(x[fit], y[fit]))
        with_ctx = blocked_in[test] | (score[test] >= t_out) | (ctx >= t)
        without = blocked_in[test] | blocked_out[test]
        yy = y[test]
        print(
            f"{held:24s} {int(yy.sum()):7d} {int((yy == 0).sum()):6d}  "
            f"{without[yy == 1].mean():.3f} / {without[yy == 0].mean():.3f}"
            f"                {with_ctx[yy == 1].mean():.3f} / {with_ctx[yy == 0].mean():.3f}"
            f"   (context {t:.3f}, category {t_out:.2f})"
        )


if __name__ == "__main__":
    main()
