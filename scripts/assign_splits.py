"""Assign the `split` field of the bundled seed prompts (maintainer tool, run after editing them).

Rows that already carry a split keep it, so an assignment never changes. Within each
(label, category, style) group, new rows are ordered by a hash of their id and the first 30% are held
out of training, so every category and phrasing style is represented in every split and
the assignment never changes for an existing id. The held-out rows alternate between `dev` (where
choices are made) and the frozen `test` split (only ever reported). Injection and response data are
split the same way by (label, kind).

The test split was carved out of the old dev split (2026-12): earlier sessions chose constants while
looking at those rows, so in-distribution test numbers are optimistic; sources the team did not write,
held out from training, are the honest estimate.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

SEED = Path(__file__).resolve().parents[1] / "src" / "alignloop" / "data" / "seed"
DEV_SHARE = 0.3


def _h(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def assign(path: Path, keys: tuple[str, ...]) -> tuple[int, int, int]:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    groups: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for r in rows:
        if r.get("split") not in ("train", "dev", "test"):
            groups[tuple(str(r.get(k)) for k in keys)].append(r)
    for g in groups.values():
        g.sort(key=lambda r: _h(r["id"]))
        n_dev = round(len(g) * DEV_SHARE)
        for i, r in enumerate(g):
            r["split"] = "train" if i >= n_dev else ("dev" if i % 2 == 0 else "test")
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    dev = sum(r["split"] == "dev" for r in rows)
    test = sum(r["split"] == "test" for r in rows)
    return len(rows) - dev - test, dev, test


def main() -> None:
    for p in sorted(SEED.glob("*.jsonl")):
        if p.name == "truthfulness.jsonl":
            keys: tuple[str, ...] = ("topic",)
        elif p.name == "injection.jsonl":
            keys = ("label", "kind")
        elif p.name == "responses.jsonl":
            keys = ("label",)
        else:
            keys = ("label", "category", "style")
        train, dev, test = assign(p, keys)
        print(f"{p.name}: train {train}, dev {dev}, test {test}")


if __name__ == "__main__":
    main()
