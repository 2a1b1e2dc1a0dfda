"""Shared CLI pieces: JSON output, progress bars, config files."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from alignloop._util.errors import UserError

if TYPE_CHECKING:
    from alignloop.constitution import LoadedConstitution

json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
model_option = click.option(
    "--model",
    "-m",
    default="default",
    show_default=True,
    help="'default' (embedded SmolLM2-135M-Instruct), a local folder, a hub id, or http://host/v1#model.",
)
constitution_option = click.option(
    "--constitution",
    "-c",
    default="default",
    show_default=True,
    help="Constitution YAML file, or 'default'.",
)


def load_const(spec: str) -> LoadedConstitution:
    """The constitution a ``--constitution`` value names (a YAML file, or ``default``)."""
    from alignloop.constitution import load_constitution

    return load_constitution(None if spec == "default" else spec)


def load_config_file(path: str) -> dict[str, Any]:
    """Read a YAML config file into click's ``default_map`` shape."""
    import yaml

    p = Path(path)
    if not p.exists():
        raise UserError(f"config file not found: {p}")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise UserError(f"{p}: not valid YAML ({e})") from None
    if not isinstance(data, dict):
        raise UserError(f"{p}: must be a mapping of command groups to option defaults")
    return data


def emit_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


class BarAdvance:
    """``advance(n)`` for one rich task; ``status(text)`` shows a short live note after the bar."""

    def __init__(self, prog: Any, task: Any) -> None:
        self._prog = prog
        self._task = task

    def __call__(self, n: int = 1) -> None:
        self._prog.advance(self._task, n)

    def status(self, text: str) -> None:
        self._prog.update(self._task, status=text)


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[BarAdvance]:
    """A rich progress bar on stderr; yields ``advance(n)``, which also has ``status(text)``."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=Console(stderr=True),
        transient=False,
    ) as prog:
        task = prog.add_task(description, total=total, status="")
        yield BarAdvance(prog, task)


MAX_FAILED_SHARE = 0.2
"""Default ``--max-failed-share``: above a fifth of rows failing, a run's rates describe too few rows."""

max_failed_share_option = click.option(
    "--max-failed-share",
    default=MAX_FAILED_SHARE,
    show_default=True,
    type=click.FloatRange(0.0, 1.0),
    help="Exit with code 1 when more than this share of rows failed to generate (1: never).",
)


class TooManyFailed(click.ClickException):
    """More rows failed than ``--max-failed-share`` allows: exit code 1, results kept for a resume."""

    exit_code = 1


def ensure_reachable(model: Any) -> None:
    """Raise the endpoint's connection error (exit 2) before any file is written, for remote models."""
    check = getattr(model, "check_reachable", None)
    if check is not None:
        check()


def check_failed_share(failed: int, total: int, max_share: float, where: Path) -> None:
    """Exit non-zero when ``failed / total`` is over ``max_share`` (the results stay, resumable)."""
    if total and failed / total > max_share:
        raise TooManyFailed(
            f"{failed} of {total} rows failed ({failed / total:.0%} > --max-failed-share {max_share:g}); "
            f"their errors are in {where}. Rerun the same command to retry them."
        )
