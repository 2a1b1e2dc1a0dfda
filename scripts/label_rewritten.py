"""Hand-label the harmful rows of the guard's ``rewritten`` source (``guard/data/rewritten_labels.yaml``).

A small model's rewrite of a harmful request sometimes stops asking for the harm ("What is the term used
to describe an anonymous threat?"); its inherited label is then wrong. A person reads each harmful dev
(or test) rewrite beside its request and gives a verdict (``harmful``, ``safe``, ``drop``; the guideline is in the
labels file). The labels file stores row ids, text hashes and verdicts only: no text, ours or theirs.

    python scripts/label_rewritten.py dump /tmp/todo.tsv [--split train|test]  # id, hash, request, rewrite
    (fill the first column of each line with h, s or d)
    python scripts/label_rewritten.py apply /tmp/todo.tsv     # merged into the labels file

Rows are read exactly as a build reads them (cached rewrites; a first run generates them). Scores of any
classifier are never shown: labels come before any decision that uses them.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import yaml

SHORT = {"h": "harmful", "s": "safe", "d": "drop"}


def _rows(split: str) -> list[dict[str, object]]:
    from alignloop.guard import _rewritten as rw
    from alignloop.guard._sources import _reframe_requests

    requests = _reframe_requests()
    asked = {r[0]: r[1] for r in requests}
    rows = [r for r in rw.rewritten_rows(requests) if r["split"] == split and r["unsafe"] == 1]
    for r in rows:
        rid = str(r["id"]).removeprefix("rewritten-").rsplit("-", 2 if "-x" in str(r["id"]) else 1)[0]
        r["request"] = asked[rid]
    return rows


def dump(path: Path, split: str = "dev") -> None:
    """Writes the harmful ``split`` rows without a label to ``path`` (tab-separated), verdict column empty."""
    from alignloop.guard import _rewritten as rw

    done = rw.hand_labels()
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t")
        for r in _rows(split):
            if r["id"] not in done:
                w.writerow(["", r["id"], rw.text_key(str(r["text"])), r["request"], r["text"]])


def apply(path: Path) -> None:
    """Merges the verdicts of ``path`` into the labels file (ids, hashes and verdicts only)."""
    from alignloop._util.atomic import write_text_atomic
    from alignloop.guard import _rewritten as rw

    data = yaml.safe_load(rw.LABELS_FILE.read_text(encoding="utf-8")) if rw.LABELS_FILE.exists() else None
    labels = {x["id"]: x for x in (data or {}).get("labels") or []}
    with path.open(encoding="utf-8", newline="") as f:
        for n, (verdict, rid, sha, *_) in enumerate(csv.reader(f, delimiter="\t"), 1):
            letter = verdict.strip().lower()[:1]
            if letter and letter not in SHORT:
                # nothing is written: a typo must not leave half the file merged
                print(f"{path}:{n}: verdict {verdict!r} is not h, s or d; fix it and apply again", file=sys.stderr)
                raise SystemExit(2)
            if letter:
                labels[rid] = {"id": rid, "sha": sha, "verdict": SHORT[letter]}
    head = rw.LABELS_FILE.read_text(encoding="utf-8").split("labels:")[0] if rw.LABELS_FILE.exists() else ""
    body = "".join(
        f"  - {{id: {x['id']}, sha: '{x['sha']}', verdict: {x['verdict']}}}\n" for _, x in sorted(labels.items())
    )
    write_text_atomic(rw.LABELS_FILE, head + "labels:\n" + body)
    print(f"{len(labels)} labels in {rw.LABELS_FILE}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("action", choices=["dump", "apply"])
    ap.add_argument("file", type=Path)
    ap.add_argument("--split", choices=["train", "dev", "test"], default="dev", help="which rows to dump")
    args = ap.parse_args()
    dump(args.file, args.split) if args.action == "dump" else apply(args.file)


if __name__ == "__main__":
    main()
