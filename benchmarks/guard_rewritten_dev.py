"""Does training the guard on the embedded model's tense rewrites (the ``rewritten`` source) help on dev?

``rewritten`` (``guard/_rewritten.py``) asks the one-line requests of ``reframed``'s sources again about
the past or the future in SmolLM2-135M's words. Its dev rows are the first dev source whose tense
phrasing we did not write. This script compares two guard classifiers on the same rows: the dev rows
of every default source plus ``rewritten`` (each classifier at its own threshold re-chosen there, the
build's rule: best F1 with at most 5% of safe dev rows flagged). It never reads test rows; the public
benchmark files are scored only with ``--public``, after the decision, for the record.

The rule, written before any candidate was built (2026-12-07, sixth session):

- Adopt the candidate (the shipped recipe with ``rewritten``'s train rows added) if, on all dev rows,
  its F1 at the cap is at least 0.01 above the baseline's, its AUPRC is not lower by more than 0.005,
  and the share of borderline safe dev rows it flags rises by at most one point;
- and, on the dev rows of the other sources alone, its F1 is not lower by more than 0.01: a gain on
  the new rows must not be bought on the rest.

The second decision, written 2026-12-07 (seventh session) before the enlarged dev rows were generated:
the first one rested on 90 ``rewritten`` dev rows (42 harmful), where the candidate's gain was one row.
The ``rewritten`` dev rows now also hold the extra pass (``guard/_rewritten.py``: more samples per dev
request, a second set of examples in other shapes), so the decision has more rows to stand on; and every
harmful ``rewritten`` dev row was read by hand before any classifier scored it
(``guard/data/rewritten_labels.yaml``, ``scripts/label_rewritten.py``: of 147, 73 still ask for the harm,
37 no longer do and become safe rows, 37 garbled ones are left out). Same rule, same four checks and
limits, unchanged; baseline the shipped (sixth) build; candidate the sixth build's recipe with
``rewritten``'s train rows added (the same train rows as the first candidate; its epochs chosen by the
build on the enlarged dev). In honesty: the first candidate's public numbers were seen after the first
decision; this second decision is taken once, and what it says stands for this round.

The third decision, written 2026-12-07 (seventh session, after the seventh build shipped), before any train
rewrite was read: the second candidate trained on the 360 train rewrites with their inherited labels, and by
the dev reading about four harmful-labelled rewrites in ten no longer ask for harm, which teaches the model to
flag safe questions about harmful topics: the very rows the second decision turned on. The third candidate is
the recipe plus the train rewrites *with our hand labels* (every harmful train rewrite read beside its request,
blind to any score, by the labels file's guideline). Same four checks and limits, on the same 1,283 dev rows,
against the shipped (seventh) build; if adopted, it ships only by the ship rule in ``guard/_ship.py`` (the
recall gain's bootstrap interval above zero) against the seventh. Taken once.

Run: python benchmarks/guard_rewritten_dev.py CANDIDATE [--baseline DIR] [--tense] [--public]
(``--tense`` also decides plain-tense restating on the baseline by the build's rule, on a copy.)
A candidate is built with ``rewritten`` added to ``DEFAULT_SOURCES`` and ``alignloop guard train
--default -o DIR`` (about 8 minutes on 2 cores once the rewrites are cached).

Result (2026-12-07, sixth session, docs/guard.md): dev F1 0.872 -> 0.879 (+0.007 < 0.01): not adopted;
``rewritten`` became a dev-only source. ``--tense`` turned plain-tense restating on (recall 0.810 -> 0.819).
Then the recipe's rebuild with ``rewritten`` dev-only (same train rows, 5 epochs kept on the new dev) was
compared the same way (recall 0.826, AUPRC 0.9649) and shipped by the fifth build's ship rule.

Result of the second decision (2026-12-07, seventh session, 1,283 dev rows): the candidate (2 epochs chosen
on the new dev) fails all four checks (F1 0.814 vs 0.839, AUPRC 0.9237 vs 0.9423, borderline 11.7% vs 10.6%,
other sources' F1 0.838 vs 0.868): not adopted. The recipe rebuilt on the new dev (3 epochs: the fifth
build's weights) then passed the fifth build's ship rule against the sixth (recall 0.792 vs 0.767, AUPRC
0.9481 vs 0.9423; ``python benchmarks/guard_rewritten_dev.py REBUILD``) and shipped as the seventh build.

Result of the third decision (the same session): against the seventh build, the candidate with hand-labelled
train rewrites (327 rows, 5 epochs) reaches dev F1 0.859 vs 0.854 (+0.005 < 0.01): not adopted.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

MIN_F1_GAIN = 0.01
MAX_AUPRC_LOSS = 0.005
MAX_HARD_RISE = 0.01
MAX_OTHER_F1_LOSS = 0.01


def _input_check(folder: Path, lc: Any) -> Any:
    """The classifier in ``folder`` as the guard's category input check, alone (no heads, no restating)."""
    from alignloop.guard import Guard
    from alignloop.guard._artifact import default_artifact

    art = default_artifact(lc)
    return Guard(lc, art, classifier=folder, with_heads=False, plain_tense=False, detectors=["category"])


def _scores(guard: Any, texts: list[str]) -> np.ndarray:
    return np.array([d.score for d in guard.check_inputs(texts)])


def _at_cap(s: np.ndarray, y: np.ndarray, hard: np.ndarray) -> dict[str, float]:
    from alignloop.guard._build import binary_metrics
    from alignloop.guard._heads import pick_threshold

    t = pick_threshold(s, y, max_fpr=0.05)
    return binary_metrics(s, y, t) | {"threshold": t, "hard_flagged": float((s[hard] >= t).mean())}


def compare(baseline: Path, candidate: Path, rows: list[Any], lc: Any) -> dict[str, dict[str, Any]]:
    """Dev metrics of both classifiers: on all rows at the cap, and per part at that threshold."""
    from alignloop.guard._build import binary_metrics

    dev = [r for r in rows if r.split_name == "dev" and r.unsafe is not None]
    y = np.array([r.unsafe for r in dev])
    hard = np.array([r.hard and not r.unsafe for r in dev])
    new = np.array([r.source == "rewritten" for r in dev])
    out = {}
    for name, folder in (("baseline", baseline), ("candidate", candidate)):
        s = _scores(_input_check(folder, lc), [r.text for r in dev])
        m = _at_cap(s, y, hard)
        other = _at_cap(s[~new], y[~new], hard[~new])
        part = binary_metrics(s[new], y[new], m["threshold"]) if new.any() else {}
        out[name] = {"all": m, "other_sources": other, "rewritten_at_all_threshold": part, "n": len(dev)}
    return out


def verdict(res: dict[str, dict[str, Any]]) -> tuple[bool, str]:
    """The rule in the module docstring, applied to :func:`compare`'s result."""
    b, c = res["baseline"], res["candidate"]
    checks = {
        "F1 gain": c["all"]["f1"] - b["all"]["f1"] >= MIN_F1_GAIN,
        "AUPRC": b["all"]["auprc"] - c["all"]["auprc"] <= MAX_AUPRC_LOSS,
        "borderline": c["all"]["hard_flagged"] - b["all"]["hard_flagged"] <= MAX_HARD_RISE,
        "other sources": b["other_sources"]["f1"] - c["other_sources"]["f1"] <= MAX_OTHER_F1_LOSS,
    }
    failed = [k for k, ok in checks.items() if not ok]
    return not failed, "adopt" if not failed else "keep the baseline (fails: " + ", ".join(failed) + ")"


def _tense_decision(baseline: Path, rows: list[Any], lc: Any) -> str:
    from alignloop.guard._build import add_tense_threshold
    from alignloop.guard._classifier import GuardClassifier

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(shutil.copytree(baseline, Path(tmp) / "clf"))
        clf = GuardClassifier(copy)
        add_tense_threshold(clf, rows, lc)
        return str(clf.meta["calibration"]["provenance"]["unsafe_with_tense"])


def _public(folder: Path, threshold: float, lc: Any) -> dict[str, float]:
    from alignloop.guard._sources import benchmark_texts

    guard = _input_check(folder, lc)
    out = {}
    for name, texts in benchmark_texts().items():
        if name.startswith(("HarmBench", "JailbreakBench", "AdvBench")):
            out[name] = round(float((_scores(guard, texts) >= threshold).mean()), 3)
    return out


def decision_parser() -> argparse.ArgumentParser:
    """The arguments every training decision script takes: the candidate, ``--baseline``, ``--public``."""
    ap = argparse.ArgumentParser()
    ap.add_argument("candidate", type=Path)
    ap.add_argument("--baseline", type=Path, default=None, help="default: the shipped classifier")
    ap.add_argument("--public", action="store_true", help="after the verdict, score the public files (record only)")
    return ap


def print_public(baseline: Path, candidate: Path, res: dict[str, Any], lc: Any) -> None:
    """After a verdict, each build's share of the public files flagged at its dev threshold (record only)."""
    for name, folder in (("baseline", baseline), ("candidate", candidate)):
        print(f"public files flagged, {name} (record only):", _public(folder, res[name]["all"]["threshold"], lc))


def main() -> None:
    from alignloop._util.quiet import quiet_libraries
    from alignloop.constitution import load_constitution
    from alignloop.guard import DEFAULT_SOURCES, read_sources, shipped_model_dir

    quiet_libraries()
    ap = decision_parser()
    ap.add_argument("--tense", action="store_true", help="decide plain-tense restating on the baseline (a copy)")
    args = ap.parse_args()
    baseline = args.baseline or shipped_model_dir()
    lc = load_constitution(None)
    names = list(dict.fromkeys([*DEFAULT_SOURCES, "rewritten"]))
    _, rows = read_sources(names)
    res = compare(baseline, args.candidate, rows, lc)
    for name, r in res.items():
        a, o, p = r["all"], r["other_sources"], r["rewritten_at_all_threshold"]
        print(
            f"{name:9s} dev ({r['n']}): F1 {a['f1']:.3f} recall {a['recall']:.3f} FPR {a['fpr']:.3f} "
            f"AUPRC {a['auprc']:.4f} borderline flagged {a['hard_flagged']:.3f} (threshold {a['threshold']:.3f}) | "
            f"other sources F1 {o['f1']:.3f} | rewritten rows: recall {p.get('recall', float('nan')):.3f} "
            f"FPR {p.get('fpr', float('nan')):.3f}"
        )
    _, why = verdict(res)
    print("rule:", why)
    if args.tense:
        print("plain-tense restating on the baseline:", _tense_decision(baseline, rows, lc))
    if args.public:
        print_public(baseline, args.candidate, res, lc)


if __name__ == "__main__":
    main()
