"""Assign the `split` field of the bundled seed prompts (maintainer tool, run after editing them).

Within each (label, category, style) group, rows are ordered by a hash of their id and the first
30% go to `dev`, so every category and phrasing style is represented in both splits and the
assignment never changes for an existing id. Injection and response data are split the same way
by (label, kind).
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


def assign(path: Path, keys: tuple[str, ...]) -> tuple[int, int]:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    groups: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for r in rows:
        groups[tuple(str(r.get(k)) for k in keys)].append(r)
    for g in groups.values():
        g.sort(key=lambda r: _h(r["id"]))
        n_dev = round(len(g) * DEV_SHARE)
        for i, r in enumerate(g):
            r["split"] = "dev" if i < n_dev else "train"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    dev = sum(r["split"] == "dev" for r in rows)
    return len(rows) - dev, dev


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
        train, dev = assign(p, keys)
        print(f"{p.name}: train {train}, dev {dev}")


if __name__ == "__main__":
    main()
