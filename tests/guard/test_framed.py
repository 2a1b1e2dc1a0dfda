"""The ``framed`` source: our requests asked in the past and the future, split by request."""

from __future__ import annotations

import collections
from typing import Any

import yaml

from alignloop.guard import read_sources
from alignloop.guard._framed import FRAMED_FILE, PER_TENSE, expand, framed_rows


def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(FRAMED_FILE.read_text(encoding="utf-8"))
    return spec


def _frame_of(text: str, frames: list[str]) -> str | None:
    """The frame whose fixed opening begins ``text`` (no opening is a prefix of another)."""
    for f in frames:
        head = f.split("{")[0]
        if text.lower().startswith(head.lower()) and head:
            return f
    return None


def test_every_phrase_is_asked_through_two_frames_of_each_tense() -> None:
    spec = _spec()
    n_phrases = sum(len(v) for v in spec["harmful"].values()) + len(spec["safe"])
    rows = framed_rows()
    assert len(rows) == n_phrases * PER_TENSE * len(spec["frames"])
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["text"] for r in rows}) == len(rows)
    assert all("{" not in r["text"] for r in rows)


def test_heldout_requests_use_only_heldout_frames() -> None:
    spec = _spec()
    rows = framed_rows()
    for tense, pools in spec["frames"].items():
        train_heads = [f.split("{")[0].lower() for f in pools["train"]]
        for r in rows:
            if tense not in r["id"].rsplit("-", 1)[1]:
                continue
            starts_like_train = any(h and r["text"].lower().startswith(h) for h in train_heads)
            if r["split"] != "train":
                assert not starts_like_train, r
    splits = collections.Counter(r["split"] for r in rows)
    assert splits["train"] > splits["dev"] > 0 and splits["test"] > 0


def test_harmful_and_safe_requests_share_the_frames() -> None:
    spec = _spec()
    frames = [f for pools in spec["frames"].values() for f in pools["train"]]
    used: dict[int, set[str | None]] = {0: set(), 1: set()}
    for r in framed_rows():
        if r["split"] == "train":
            used[r["unsafe"]].add(_frame_of(r["text"], frames))
    assert used[0] == used[1] == set(frames)


def test_adding_a_phrase_leaves_the_other_rows_unchanged() -> None:
    spec = _spec()
    before = expand(spec)
    spec["safe"] = [*spec["safe"], "repot a cactus without getting pricked"]
    after = expand(spec)
    assert after[: len(before)] == before and len(after) == len(before) + 2 * PER_TENSE


def test_the_default_build_reads_it_with_categories() -> None:
    infos, rows = read_sources(["framed"])
    assert infos[0].licence == "ours" and infos[0].files == ["framed.yaml"]
    harmful = [r for r in rows if r.unsafe]
    assert harmful and all(r.category for r in harmful)
    assert all(r.hard for r in rows if r.unsafe == 0)
