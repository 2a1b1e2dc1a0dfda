"""Requests asked about the past and the future: the guard's ``framed`` training source.

``guard/data/framed.yaml`` holds requests we wrote as bare verb phrases ("cook methamphetamine in a
home kitchen", "kill a zombie process on a Linux server") and past- and future-tense frames we
wrote ("How did people {vp} back in the {decade}?"). Each phrase is asked through two frames of each
tense. Harmful and safe phrases share the frames, so the tense and the framing carry no signal.

A phrase's split is the project's split rule on its slug, and dev/test phrases use only the held-out
frames: dev then measures unseen requests in unseen phrasing, which is what a rewritten attack is.
"""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path
from typing import Any

import yaml

from alignloop.data import split_of

FRAMED_FILE = Path(__file__).parent / "data" / "framed.yaml"
PER_TENSE = 2
"""Frames per phrase and tense: enough variety per request without letting one phrase dominate."""


def _slug(vp: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", vp.lower()).strip("-")[:48]


def _fill(frame: str, vp: str, rng: random.Random, fill: dict[str, list[str]]) -> str:
    values = {k: rng.choice(v) for k, v in fill.items()}
    return frame.format(vp=vp, **values)


def expand(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every framed text of ``spec`` (the parsed YAML) as ``{id, text, unsafe, category, split}`` dicts."""
    phrases: list[tuple[str, str | None]] = [(vp, cat) for cat, vps in spec["harmful"].items() for vp in vps] + [
        (vp, None) for vp in spec["safe"]
    ]
    out = []
    for vp, cat in phrases:
        slug = _slug(vp)
        split = split_of(f"framed-{slug}")
        # seeded by the phrase, so a rebuild picks the same frames and adding a phrase moves no other
        rng = random.Random(int(hashlib.sha256(slug.encode()).hexdigest()[:8], 16))
        pool = "train" if split == "train" else "heldout"
        for tense, frames in spec["frames"].items():
            for k, frame in enumerate(rng.sample(frames[pool], PER_TENSE)):
                text = _fill(frame, vp, rng, spec["fill"])
                out.append(
                    {
                        "id": f"framed-{slug}-{tense}{k}",
                        "text": text[0].upper() + text[1:],
                        "unsafe": int(cat is not None),
                        "category": cat,
                        "split": split,
                    }
                )
    return out


def framed_rows(path: Path = FRAMED_FILE) -> list[dict[str, Any]]:
    """The expanded rows of the shipped (or another) framed-requests file."""
    return expand(yaml.safe_load(path.read_text(encoding="utf-8")))
