"""Does averaging the weights of guard classifiers trained with different seeds (a "soup") beat one seed?

Fine-tuned copies of one pretrained encoder that differ only in data order can usually be averaged
weight by weight, and the average often generalises better than any one of them at no extra cost per
text. This trains the shipped recipe (``FinetuneConfig()``: 5 epochs, checkpoints scored on dev) with
``--seeds`` seeds, averages the seeds' weights at each checkpoint, and scores every single model and
every soup on the dev split of the default sources. Never reads the test split; the public benchmark
files are scored only with ``--public``, after the decision, for the record.

The rule, written before any number was seen:

- The recipe today is seed 0 with its epoch count chosen on dev (best dev F1 with at most 5% of safe
  dev rows flagged). The soup's epoch count is chosen the same way.
- Adopt the soup if its dev F1 at the cap is at least 0.01 above seed 0's (about one standard error
  on ~950 dev rows: a gain the split can see) and its dev AUPRC is not lower by more than 0.005.
  Its cost is build time only (one training per seed); a text is scored by one model either way.

Run: python benchmarks/guard_soup_dev.py [--seeds 3] [--public]   (about 25 minutes on 2 cores)

Result (2026-12-07, docs/guard.md): the soup kept 5 epochs at dev F1 0.866 against seed 0's 0.868 at 3,
so the rule kept one seed.
"""

from __future__ import annotations

import argparse
import copy
import time
from typing import Any

import numpy as np


def _dev_numbers(net: Any, dev: list[Any], cfg: Any) -> dict[str, float]:
    from alignloop.guard._build import _calibrate, binary_metrics
    from alignloop.guard._classifier import scores_from_logits
    from alignloop.guard._finetune import torch_logits

    z = torch_logits(net, [r.text for r in dev], cfg.max_len)
    calib, th = _calibrate(z, dev, cfg)
    ku = np.array([r.unsafe is not None for r in dev], dtype=bool)
    yu = np.array([r.unsafe or 0 for r in dev])
    p = scores_from_logits(z, {"calibration": calib}).unsafe
    m = binary_metrics(p[ku], yu[ku], th["unsafe"])
    return {"f1": m["f1"], "recall": m["recall"], "fpr": m["fpr"], "auprc": m["auprc"], "threshold": th["unsafe"]}


def average_states(states: list[dict[str, Any]]) -> dict[str, Any]:
    """The weight-by-weight mean of state dicts of one architecture (integer buffers from the first)."""
    out = {}
    for k, v in states[0].items():
        out[k] = sum(s[k] for s in states) / len(states) if v.is_floating_point() else v
    return out


def _public_flags(net: Any, cfg: Any, threshold: float, calib: dict[str, Any]) -> dict[str, float]:
    """Share of each public benchmark file's (all harmful) items flagged: measurement only."""
    from alignloop.guard._classifier import scores_from_logits
    from alignloop.guard._finetune import torch_logits
    from alignloop.guard._sources import benchmark_texts

    out = {}
    for name, texts in benchmark_texts().items():
        if name.startswith(("HarmBench", "JailbreakBench")):
            z = torch_logits(net, texts, cfg.max_len)
            out[name] = float((scores_from_logits(z, {"calibration": calib}).unsafe >= threshold).mean())
    return out


def main() -> None:
    from alignloop.constitution import load_constitution
    from alignloop.guard import DEFAULT_SOURCES, FinetuneConfig, read_sources
    from alignloop.guard._build import _calibrate
    from alignloop.guard._finetune import _Net, torch_logits, train_model

    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--public", action="store_true", help="after the table, score the public files (record only)")
    args = ap.parse_args()
    cats = load_constitution().constitution.category_ids
    _, rows = read_sources(list(DEFAULT_SOURCES))
    train = [r for r in rows if r.split_name == "train"]
    dev = [r for r in rows if r.split_name == "dev"]
    states: dict[int, dict[float, dict[str, Any]]] = {}
    results: dict[str, dict[float, dict[str, float]]] = {}
    for seed in range(args.seeds):
        cfg = FinetuneConfig(seed=seed)
        states[seed] = {}
        results[f"seed {seed}"] = {}

        def keep(epochs: float, net: Any, seed: int = seed, cfg: Any = cfg) -> None:
            states[seed][epochs] = copy.deepcopy(net.state_dict())
            results[f"seed {seed}"][epochs] = _dev_numbers(net, dev, cfg)

        t0 = time.time()
        train_model(train, cats, cfg, on_checkpoint=keep)
        print(f"seed {seed} trained in {time.time() - t0:.0f}s", flush=True)
    cfg = FinetuneConfig()
    net = _Net.build(2 + len(cats)).eval()
    results["soup"] = {}
    for e in sorted(states[0]):
        net.load_state_dict(average_states([states[s][e] for s in states]))
        results["soup"][e] = _dev_numbers(net, dev, cfg)
    print(f"\ndev: {len(dev)} rows; F1 / recall at <= 5% of safe dev rows flagged; AUPRC")
    for name, by_epoch in results.items():
        cells = "  ".join(f"{e}: {m['f1']:.3f}/{m['recall']:.3f}/{m['auprc']:.3f}" for e, m in sorted(by_epoch.items()))
        print(f"{name:8s} {cells}")
    best = {name: max(by_epoch.items(), key=lambda kv: kv[1]["f1"]) for name, by_epoch in results.items()}
    (e0, m0), (es, ms) = best["seed 0"], best["soup"]
    adopt = ms["f1"] >= m0["f1"] + 0.01 and ms["auprc"] >= m0["auprc"] - 0.005
    print(f"seed 0 keeps {e0} epochs: F1 {m0['f1']:.4f} AUPRC {m0['auprc']:.4f}")
    print(f"soup keeps {es} epochs: F1 {ms['f1']:.4f} AUPRC {ms['auprc']:.4f}")
    print("rule: adopt the soup" if adopt else "rule: keep one seed")
    if args.public:
        for name, (e, m), state in (
            ("seed 0", best["seed 0"], states[0][e0]),
            ("soup", best["soup"], average_states([states[s][es] for s in states])),
        ):
            net.load_state_dict(state)
            calib, _th = _calibrate(torch_logits(net, [r.text for r in dev], cfg.max_len), dev, cfg)
            print(f"public files flagged, {name} ({e} epochs):", _public_flags(net, cfg, m["threshold"], calib))


if __name__ == "__main__":
    main()
