"""Guard classifier builds side by side on the same dev rows: the comparison a build is shipped on.

A new source adds dev rows, so each build's own ``meta.json`` dev numbers are not comparable. This
scores every given build on the dev split of the *current* default sources (and the dev rows of the
dev-only ones, as ``alignloop guard train --default`` reads them) and prints, per build, AUPRC and the
recall at the highest threshold that flags at most ``--max-fpr`` of the safe dev rows (re-chosen on these
rows for every build, so no build is held to a threshold picked on other rows), then AUPRC per source
that has both labels. Never reads the test split.

The first build named is the shipped one. For every other build the script prints the ship rule's verdict
(``alignloop.guard._ship``, written 2026-12-07 before the next build: the paired bootstrap interval of the
recall gain at the cap must lie above zero, AUPRC may fall by at most 0.005).

Run: python benchmarks/guard_dev_compare.py src/alignloop/guard/model /path/to/new/build
"""

from __future__ import annotations

import argparse

import numpy as np


def main() -> None:
    from alignloop.guard import DEFAULT_SOURCES, DEV_ONLY_SOURCES, held_out_only, load_classifier, read_sources
    from alignloop.guard._build import binary_metrics
    from alignloop.guard._heads import threshold_at_fpr
    from alignloop.guard._ship import ship_verdict

    ap = argparse.ArgumentParser()
    ap.add_argument("builds", nargs="+", help="classifier folders, the shipped one first")
    ap.add_argument("--max-fpr", type=float, default=0.05)
    args = ap.parse_args()
    infos, rows = read_sources([*DEFAULT_SOURCES, *DEV_ONLY_SOURCES])
    rows = held_out_only(infos, rows, DEV_ONLY_SOURCES)
    dev = [r for r in rows if r.split_name == "dev" and r.unsafe is not None]
    y = np.array([r.unsafe for r in dev])
    src = np.array([r.source for r in dev])
    scores = []
    for folder in args.builds:
        clf = load_classifier(folder)
        s = clf.scores([r.text for r in dev]).unsafe
        scores.append(s)
        t = threshold_at_fpr(s, y, args.max_fpr)
        m = binary_metrics(s, y, t)
        print(
            f"{folder}: dev n={len(dev)} ({int(y.sum())} unsafe) AUPRC {m['auprc']:.3f} | "
            f"at <= {args.max_fpr:.0%} FPR: recall {m['recall']:.3f} F1 {m['f1']:.3f}"
        )
        for name in sorted(set(src)):
            k = src == name
            if 0 < y[k].sum() < k.sum():
                print(f"   {name:20s} AUPRC {binary_metrics(s[k], y[k], t)['auprc']:.3f} (n={int(k.sum())})")
    for folder, s in zip(args.builds[1:], scores[1:], strict=True):
        print(f"{folder} against {args.builds[0]}:", ship_verdict(s, scores[0], y)[1])


if __name__ == "__main__":
    main()
