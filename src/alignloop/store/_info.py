"""RunInfo: what the store knows about one run, detached from the database."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

KINDS = ("eval", "redteam", "train", "data", "guard", "loop")
"""The stages that record runs."""
STATUSES = ("running", "completed", "failed", "interrupted")
"""``running`` until :meth:`RunStore.finish_run` sets ``completed`` or ``failed``. ``interrupted`` is
never stored: it is how a ``running`` run reads once the process that started it (on this host) is
gone, e.g. after a kill. Rerunning the same command resumes such a run."""

OWNER_KEY = "_process"
"""Reserved config key: ``{"host", "pid"}`` of the process that started the run."""


@dataclass(frozen=True)
class RunInfo:
    """One run as recorded: identity, inputs, outcome, timings, metrics and artifacts."""

    id: str
    kind: str
    status: str
    model: str
    constitution_hash: str
    config: dict[str, Any]
    metrics: dict[str, float]
    """Merged across every ``log_metrics`` call; NaN where a NaN was logged."""
    artifacts: dict[str, str]
    """Artifact name -> absolute path."""
    started_at: datetime
    """Timezone-aware, UTC."""
    finished_at: datetime | None
    duration_s: float | None
    output_dir: str | None
    name: str | None = None
    error: str | None = None

    @property
    def short_id(self) -> str:
        """The first 12 characters of the id, enough to look the run up by prefix."""
        return self.id[:12]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (ISO 8601 timestamps; NaN/inf metrics as null)."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "model": self.model,
            "constitution_hash": self.constitution_hash,
            "config": self.config,
            "metrics": {k: (v if math.isfinite(v) else None) for k, v in self.metrics.items()},
            "artifacts": dict(self.artifacts),
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_s": self.duration_s,
            "output_dir": self.output_dir,
            "error": self.error,
        }
