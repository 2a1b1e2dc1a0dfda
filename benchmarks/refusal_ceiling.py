"""How well a model's own hidden states separate harmful from borderline-safe prompts: a ceiling for alignment.

Fits a logistic-regression probe on the last prompt token's hidden state at each layer (train split
of the bundled seed prompts: harmful vs borderline + benign) and reports, on the dev split, the share
of harmful prompts above the threshold that lets through ``--fpr`` of the borderline-safe ones. That
is the refusal rate a model could reach at that over-refusal rate if its refusal decision were a
linear read-out of frozen features. Fine-tuning can learn better features, but with a few hundred
preference pairs it rarely does, so a target far above the probe is out of reach for that model.

Each layer is probed twice: with every train prompt, and with the ``--subset`` prompts per side that
``alignloop run``'s default preset trains on; the ratio between the two shows what more data buys.

    python benchmarks/refusal_ceiling.py --model default --fpr 0.08
"""

from __future__ import annotations

import argparse

import numpy as np


def _features(lm, tok, prompts: list[list[dict[str, str]]], batch: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    import torch

    tok.padding_side = "left"  # the last position is then the generation prompt's last token for every row
    out = []
    for i in range(0, len(prompts), batch):
        texts = [tok.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in prompts[i : i + batch]]
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.inference_mode():
            hs = lm(**enc, output_hidden_states=True).hidden_states
        out.append(torch.stack([h[:, -1] for h in hs], dim=1).float().numpy())
    return np.concatenate(out)


def _tpr_at_fpr(xh: np.ndarray, xs: np.ndarray, dh: np.ndarray, db: np.ndarray, fpr: float, seed: int) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.concatenate([xh, xs])
    y = np.r_[np.ones(len(xh)), np.zeros(len(xs))]
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=3000, random_state=seed)).fit(x, y)
    thr = np.quantile(clf.decision_function(db), 1 - fpr)
    return float(np.mean(clf.decision_function(dh) > thr))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default")
    ap.add_argument("--fpr", type=float, default=0.08, help="borderline-safe prompts allowed above the threshold")
    ap.add_argument("--subset", type=int, default=180, help="prompts per side in the small-data probe")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from alignloop.data import seed_prompts
    from alignloop.models import load_model

    model = load_model(args.model)
    tok, lm = model.tokenizer, model.model  # type: ignore[attr-defined]
    feats = {}
    for label in ("harmful", "borderline", "benign"):
        for split in ("train", "dev"):
            rows = [p.conversation() for p in seed_prompts(label=label, split=split)]
            feats[label, split] = _features(lm, tok, rows, args.batch_size)
    rng = np.random.default_rng(0)
    safe_train = np.concatenate([feats["borderline", "train"], feats["benign", "train"]])
    h_idx = rng.permutation(len(feats["harmful", "train"]))[: args.subset]
    s_idx = rng.permutation(len(safe_train))[: args.subset]
    print(f"harmful dev prompts refused at {args.fpr:.0%} borderline over-refusal, linear probe per layer")
    print(f"{'layer':>5} {'all train':>10} {'subset':>8} {'ratio':>6}")
    best = (0.0, -1)
    for layer in range(1, feats["harmful", "train"].shape[1]):

        def at(xh: np.ndarray, xs: np.ndarray, layer: int = layer) -> float:
            return _tpr_at_fpr(
                xh[:, layer],
                xs[:, layer],
                feats["harmful", "dev"][:, layer],
                feats["borderline", "dev"][:, layer],
                args.fpr,
                seed=0,
            )

        full = at(feats["harmful", "train"], safe_train)
        sub = at(feats["harmful", "train"][h_idx], safe_train[s_idx])
        best = max(best, (full, layer))
        print(f"{layer:>5} {full:>10.3f} {sub:>8.3f} {full / max(sub, 1e-9):>6.2f}")
    print(f"best layer {best[1]}: {best[0]:.1%} of harmful dev prompts at {args.fpr:.0%} over-refusal")


if __name__ == "__main__":
    main()
