"""Record runs in the run store when it is available (imported lazily; optional until it lands)."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


class RunRecorder:
    """Thin wrapper over ``alignloop.store.RunStore`` that does nothing if the store is missing."""

    def __init__(self, enabled: bool = True) -> None:
        self.store: Any = None
        self.run_id: str | None = None
        if not enabled:
            return
        try:
            from alignloop.store import RunStore
        except ImportError:
            log.info("alignloop.store is not available; the run is not recorded")
            return
        self.store = RunStore.open()

    def start(self, kind: str, model: str, constitution_hash: str, config: dict[str, Any], output_dir: str) -> None:
        """Open a run record."""
        if self.store is not None:
            self.run_id = str(self.store.start_run(kind, model, constitution_hash, config, output_dir=output_dir))

    def finish(self, metrics: dict[str, float], artifacts: dict[str, str]) -> None:
        """Log metrics and artifacts, and mark the run completed."""
        if self.store is None or self.run_id is None:
            return
        self.store.log_metrics(self.run_id, {k: float(v) for k, v in metrics.items() if v is not None})
        for name, path in artifacts.items():
            self.store.add_artifact(self.run_id, name, path)
        self.store.finish_run(self.run_id, status="completed")

    def fail(self, error: str) -> None:
        """Mark the run failed."""
        if self.store is not None and self.run_id is not None:
            self.store.finish_run(self.run_id, status="failed", error=error)


def resolve_run_dir(ref: str) -> str:
    """A run folder from a path or a run id recorded in the store."""
    from pathlib import Path

    from alignloop._util.errors import UserError

    if Path(ref).is_dir():
        return ref
    try:
        from alignloop.store import RunStore
    except ImportError:
        raise UserError(f"no run folder {ref!r}", hint="give the folder written by `alignloop eval run`") from None
    try:
        info = RunStore.open().get(ref)
    except (KeyError, LookupError, UserError):
        info = None
    if info is None or not getattr(info, "output_dir", None):
        raise UserError(f"no run folder or recorded run {ref!r}", hint="see `alignloop runs list`")
    return str(info.output_dir)
