"""Would SmolLM2's hidden states make a better input check than the fine-tuned MiniLM classifier? Dev only.

A feasibility check (2026-12-07, ninth session), not a build: the embedded SmolLM2-135M-Instruct reads each
guard row as a user turn of its chat template; a logistic-regression probe is fitted on one layer's hidden
state (the last token's, or the mean over tokens) of a sample of the train rows, and scored on every dev row
beside the shipped classifier, alone and averaged with it. The average goes through the ship rule
(``guard/_ship.py``) against the shipped classifier. Nothing here reads the test split or a public file.

A 135M forward pass per check costs some twenty times the classifier's (about 70 ms a row in batches of 32
on 2 cores, against 2 to 3 ms), so a probe would have to win clearly.

Result (2026-12-07, 2,500 train rows, 1,667 dev rows): no layer's probe, averaged with the classifier, passes
the ship rule (best: layer 18 mean, recall gain +0.008 [-0.022, +0.034]); alone the best reaches 0.639 recall
at the cap against the classifier's 0.884 (docs/guard.md).

Run: python benchmarks/guard_llm_probe_dev.py [--train-rows 2500] [--layers 9 15 18 21]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
from guard_rewritten_dev import _input_check, _scores


def hidden_states(texts: list[str], layers: list[int], batch: int = 32) -> dict[str, np.ndarray]:
    """``last{L}`` and ``mean{L}`` features per layer for ``texts``, shortest first for tight batches."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from alignloop.models._embedded import embedded_model_dir

    folder = embedded_model_dir()
    tok = AutoTokenizer.from_pretrained(folder)
    tok.padding_side = "left"  # the last position is every row's last token
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    parts: dict[str, list[np.ndarray]] = {f"{k}{L}": [] for L in layers for k in ("last", "mean")}
    t0 = time.perf_counter()
    with torch.inference_mode():
        for start in range(0, len(order), batch):
            chats = [
                tok.apply_chat_template(
                    [{"role": "user", "content": texts[i]}], tokenize=False, add_generation_prompt=True
                )
                for i in order[start : start + batch]
            ]
            enc = tok(chats, return_tensors="pt", padding=True, truncation=True, max_length=256)
            hs = model.model(**enc, output_hidden_states=True).hidden_states
            mask = enc["attention_mask"].unsqueeze(-1).float()
            for L in layers:
                parts[f"last{L}"].append(hs[L][:, -1, :].numpy())
                parts[f"mean{L}"].append(((hs[L] * mask).sum(1) / mask.sum(1)).numpy())
            print(f"\r{start + len(chats)}/{len(texts)} rows, {time.perf_counter() - t0:.0f} s", end="", flush=True)
    print()
    back = np.argsort(order)
    return {k: np.concatenate(v)[back] for k, v in parts.items()}


def probe(x_train: np.ndarray, y_train: np.ndarray, x_dev: np.ndarray, c: float) -> np.ndarray:
    """Dev probabilities of a logistic regression on standardised features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scale = StandardScaler().fit(x_train)
    fit = LogisticRegression(C=c, max_iter=2000).fit(scale.transform(x_train), y_train)
    out: np.ndarray = fit.predict_proba(scale.transform(x_dev))[:, 1]
    return out


def main() -> None:
    from sklearn.metrics import average_precision_score

    from alignloop._util.quiet import quiet_libraries
    from alignloop.constitution import load_constitution
    from alignloop.guard import DEFAULT_SOURCES, DEV_ONLY_SOURCES, held_out_only, read_sources, shipped_model_dir
    from alignloop.guard._ship import recall_at_cap, ship_verdict

    quiet_libraries()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train-rows", type=int, default=2500, help="train rows sampled for the probe (seed 0)")
    ap.add_argument("--layers", type=int, nargs="+", default=[9, 15, 18, 21])
    ap.add_argument("--c", type=float, default=0.01, help="inverse L2 strength of the probe")
    args = ap.parse_args()
    infos, rows = read_sources(list(dict.fromkeys([*DEFAULT_SOURCES, *DEV_ONLY_SOURCES])))
    rows = [r for r in held_out_only(infos, rows, DEV_ONLY_SOURCES) if r.unsafe is not None]
    train: list[Any] = [r for r in rows if r.split_name == "train"]
    pick = np.random.default_rng(0).choice(len(train), min(args.train_rows, len(train)), replace=False)
    train = [train[i] for i in sorted(pick)]
    dev = [r for r in rows if r.split_name == "dev"]
    y_train, y_dev = np.array([r.unsafe for r in train]), np.array([r.unsafe for r in dev])
    shipped = _scores(_input_check(shipped_model_dir(), load_constitution(None)), [r.text for r in dev])
    feats = hidden_states([r.text for r in train + dev], args.layers)
    print(f"{len(train)} train rows, {len(dev)} dev rows")

    def show(name: str, s: np.ndarray) -> None:
        ap_dev = average_precision_score(y_dev, s)
        print(f"{name:28s} recall at the 5% cap {recall_at_cap(s, y_dev):.3f}  AUPRC {ap_dev:.4f}")

    show("shipped classifier", shipped)
    for key, x in feats.items():
        p = probe(x[: len(train)], y_train, x[len(train) :], args.c)
        show(f"probe {key}", p)
        both = (p + shipped) / 2
        show("  averaged with the classifier", both)
        print("   ", ship_verdict(both, shipped, y_dev)[1])


if __name__ == "__main__":
    main()
