"""Requests asked about the past and the future: the guard's ``framed`` training source.

``guard/data/framed.yaml`` holds requests we wrote as bare verb phrases ("cook methamphetamine in a
home kitchen", "kill a zombie process on a Linux server") and past- and future-tense frames we
wrote ("How did people {vp} back in the {decade}?"). Each phrase is asked through two frames of each
tense. Harmful and safe phrases share the frames, so the tense and the framing carry no signal.

A phrase's split is the project's split rule on its slug, and dev/test phrases use only the held-out
frames: dev then measures unseen requests in unseen phrasing, which is what a rewritten attack is.

The ``reframed`` source asks the requests of other sources the same way: a request whose verb phrase a
few patterns can lift out ("How do I pick a lock?" -> "pick a lock", "Write a phishing email" -> "write a
phishing email") goes through one past and one future frame, keeping its label and its source row's
split (train rows use the train frames, dev and test rows the held-out ones). 133 hand-written harmful
phrases are few against the variety of requests; this gives the frames the voice of every request
source, harmful and safe alike.
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
    text = frame.format(vp=vp, **values)
    return text[0].upper() + text[1:]


def _rng(key: str) -> random.Random:
    # seeded by the request, so a rebuild picks the same frames and adding a request moves no other
    return random.Random(int(hashlib.sha256(key.encode()).hexdigest()[:8], 16))


def expand(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every framed text of ``spec`` (the parsed YAML) as ``{id, text, unsafe, category, split}`` dicts."""
    phrases: list[tuple[str, str | None]] = [(vp, cat) for cat, vps in spec["harmful"].items() for vp in vps] + [
        (vp, None) for vp in spec["safe"]
    ]
    out = []
    for vp, cat in phrases:
        slug = _slug(vp)
        split = split_of(f"framed-{slug}")
        rng = _rng(slug)
        pool = "train" if split == "train" else "heldout"
        for tense, frames in spec["frames"].items():
            for k, frame in enumerate(rng.sample(frames[pool], PER_TENSE)):
                text = _fill(frame, vp, rng, spec["fill"])
                out.append(
                    {
                        "id": f"framed-{slug}-{tense}{k}",
                        "text": text,
                        "unsafe": int(cat is not None),
                        "category": cat,
                        "split": split,
                    }
                )
    return out


_WHO = r"(?:i|you|we|one|someone|somebody|people|a person|u)"
_MODAL = r"(?:do|can|could|would|should|might|will|shall)"
_ADJ = r"(?:best|easiest|fastest|quickest|cheapest|safest|simplest|most effective|proper|right|smartest)"
_IMPERATIVE = (
    "write|draft|compose|create|generate|give|describe|explain|list|make|plan|design|build|suggest|outline|"
    "produce|prepare|recommend|find|summarise|summarize|translate"
)
"""Verbs a one-line imperative request opens with (whose verb phrase is then the whole request)."""
_VP_PATTERNS = [
    re.compile(p, re.I)
    for p in (
        rf"^how {_MODAL} {_WHO} (?P<vp>.+)$",
        r"^how to (?P<vp>.+)$",
        rf"^(?:what'?s|whats|what is) (?:the|a|an) {_ADJ} way to (?P<vp>.+)$",
        r"^(?:can|could|would|will) you (?:please )?(?:tell me|show me|explain|teach me) how to (?P<vp>.+)$",
        r"^(?:please )?(?:tell|show|teach) me how to (?P<vp>.+)$",
        rf"^(?:can|could|would|will) you (?:please )?(?:help me )?(?P<vp>(?:{_IMPERATIVE}) .+)$",
        r"^(?:please )?(?:help me|i need to|i want to) (?P<vp>.+)$",
        rf"^(?:please )?(?P<vp>(?:{_IMPERATIVE}) .+)$",
    )
]
_PERSON = {"i": "they", "me": "them", "my": "their", "mine": "theirs", "myself": "themselves", "i'm": "they're"}
_PERSON |= {"i've": "they've", "i'd": "they'd", "i'll": "they'll", "am": "are"}


def verb_phrase(text: str) -> str | None:
    """The bare verb phrase of a one-line request, in the third person, or None when no pattern fits.

    "How can I get my neighbour's wifi password?" -> "get their neighbour's wifi password".
    """
    t = " ".join(text.split())
    if not t or "\n" in text.strip() or not 2 <= len(t.split()) <= 30 or not t.isascii():
        return None
    t = t.rstrip("?.! ")
    for pat in _VP_PATTERNS:
        m = pat.match(t)
        if m:
            words = m.group("vp").split()
            if len(words) < 2:
                return None
            vp = " ".join(_PERSON.get(w.lower(), w) for w in words)
            return vp[0].lower() + vp[1:]
    return None


REFRAMED_PREFIX = "reframed-"


def reframed_from(row_id: str) -> str | None:
    """The id of the request a :func:`reframe` row was made from (its id is ``reframed-{id}-{tense}``), else None."""
    if not row_id.startswith(REFRAMED_PREFIX):
        return None
    return row_id.removeprefix(REFRAMED_PREFIX).rsplit("-", 1)[0]


Request = tuple[str, str, int, str | None, str, bool]
"""A labelled one-line request: (id, text, unsafe, category, split, hard)."""


def reframe(requests: list[Request], spec: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One past and one future framing of each request whose verb phrase :func:`verb_phrase` finds.

    ``requests``: ``(id, text, unsafe, category, split, hard)``. Each output keeps the label, category,
    split and ``hard`` flag (a safe request that sounds unsafe) of its request; train requests use the
    train frames, dev and test ones the held-out frames.
    """
    spec = spec or yaml.safe_load(FRAMED_FILE.read_text(encoding="utf-8"))
    out = []
    for rid, text, unsafe, cat, split, hard in requests:
        vp = verb_phrase(text)
        if vp is None:
            continue
        rng = _rng(rid)
        pool = "train" if split == "train" else "heldout"
        for tense, frames in spec["frames"].items():
            framed = _fill(rng.choice(frames[pool]), vp, rng, spec["fill"])
            out.append(
                {
                    "id": f"{REFRAMED_PREFIX}{rid}-{tense}",
                    "text": framed,
                    "unsafe": unsafe,
                    "category": cat,
                    "split": split,
                    "hard": hard,
                }
            )
    return out


def framed_rows(path: Path = FRAMED_FILE) -> list[dict[str, Any]]:
    """The expanded rows of the shipped (or another) framed-requests file."""
    return expand(yaml.safe_load(path.read_text(encoding="utf-8")))
