"""Load and validate a constitution file, with errors that name key paths and lines."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from alignloop._util.errors import ConstitutionError
from alignloop._util.hashing import sha256_json
from alignloop.constitution._schema import Constitution

DEFAULT_NAME = "default"


def default_path() -> Path:
    """Path of the default constitution shipped with the package."""
    return Path(str(resources.files("alignloop.constitution").joinpath("default.yaml")))


def _line_index(node: yaml.Node, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Map each key path in a composed YAML tree to its 1-based line."""
    out: dict[tuple[Any, ...], int] = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            child = (*path, k.value)
            out.update(_line_index(v, child))
            out[child] = k.start_mark.line + 1  # the key's own line reads best in messages
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out.update(_line_index(v, (*path, i)))
    return out


def _nearest_line(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


@dataclass(frozen=True)
class LoadedConstitution:
    """A validated constitution with where it came from and its content hash."""

    constitution: Constitution
    path: str
    hash: str

    @property
    def short_hash(self) -> str:
        """First 12 hex digits of the hash, for display and artifact names."""
        return self.hash[:12]


def _validate(data: Any, path: str, lines: dict[tuple[Any, ...], int]) -> Constitution:
    if not isinstance(data, dict):
        raise ConstitutionError(path, ["the file must be a YAML mapping with keys such as name, version, principles"])
    try:
        return Constitution.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(err["loc"])
            key = ".".join(str(p) for p in loc) or "(top level)"
            line = _nearest_line(lines, loc)
            where = f"line {line}: " if line else ""
            kind = err["type"]
            if kind == "extra_forbidden":
                msg = f"unknown key {key!r} (misspelled?)"
            elif kind == "missing":
                msg = f"missing required field {key!r}"
            else:
                msg = f"{key}: {err['msg']}"
                if kind.endswith("_type") or kind in ("enum", "literal_error"):
                    msg += f" (got {err.get('input')!r})"
            problems.append(where + msg)
        raise ConstitutionError(path, problems) from None


def load_constitution(source: str | os.PathLike[str] | None = None) -> LoadedConstitution:
    """Load a constitution from a YAML file, or the packaged default for ``None``/``"default"``.

    Raises:
        ConstitutionError: the file is missing, not YAML, or breaks the schema; the
            message names every problem with its key path and line.
    """
    p = default_path() if source is None or str(source) == DEFAULT_NAME else Path(source)
    shown = str(source) if source not in (None, DEFAULT_NAME) else "default"
    if not p.exists():
        raise ConstitutionError(shown, [f"file not found: {p} (create one with `alignloop constitution init {p}`)"])
    try:
        text = p.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as e:
        raise ConstitutionError(shown, [f"cannot read file: {e}"]) from None
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise ConstitutionError(shown, [f"{where}not valid YAML: {getattr(e, 'problem', e)}"]) from None
    lines = _line_index(node) if node is not None else {}
    c = _validate(data, shown, lines)
    return LoadedConstitution(constitution=c, path=str(p), hash=constitution_hash(c))


def constitution_hash(c: Constitution) -> str:
    """Content hash of a constitution (independent of YAML formatting and comments).

    Left out: categories' ``frameworks`` references, which tie the constitution to compliance
    frameworks, and the ``monitoring`` section, whose alert rules change how traffic is watched.
    Neither changes what any guard, score or trained model means, so editing them must not
    invalidate scores or artifacts.
    """
    h = sha256_json(c.model_dump(mode="json", exclude={"monitoring": True, "categories": {"__all__": {"frameworks"}}}))
    _BY_HASH[h] = c
    return h


_BY_HASH: dict[str, Constitution] = {}
# every constitution hashed in this process, so the audit log can record the content (and a diff)
# of a constitution a run uses for the first time, knowing only the hash the run was recorded with


def constitution_by_hash(h: str) -> Constitution | None:
    """The constitution with content hash ``h`` if this process has loaded it, else None."""
    return _BY_HASH.get(h)
