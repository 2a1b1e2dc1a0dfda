"""Stage markers in ``DIR/state.json``: a finished stage is skipped when the loop is rerun."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from alignloop._util.atomic import write_text_atomic
from alignloop._util.errors import UserError


class LoopState:
    """Which stages of a loop run are done, with their outputs; written atomically after each stage."""

    def __init__(self, out_dir: Path, config: dict[str, Any]) -> None:
        self.path = out_dir / "state.json"
        config = json.loads(json.dumps(config, default=str))  # tuples -> lists, as read back
        self.data: dict[str, Any] = {"config": config, "stages": {}}
        if self.path.exists():
            old = json.loads(self.path.read_text(encoding="utf-8"))
            if old.get("config") != config:
                raise UserError(
                    f"{out_dir} holds a loop run with other settings ({self.path})",
                    hint="rerun with the same options to resume, or choose another -o folder",
                )
            self.data = old

    def done(self, stage: str) -> bool:
        """Whether ``stage`` finished in an earlier (or this) run."""
        return bool(self.data["stages"].get(stage, {}).get("done"))

    def get(self, stage: str) -> dict[str, Any]:
        """What ``stage`` recorded."""
        return dict(self.data["stages"].get(stage, {}))

    def finish(self, stage: str, seconds: float, **info: Any) -> None:
        """Mark ``stage`` done and persist."""
        self.data["stages"][stage] = {
            "done": True,
            "seconds": round(seconds, 1),
            "finished_at": time.time(),
            **info,
        }
        self.save()

    def set(self, key: str, value: Any) -> None:
        """Store a top-level value (e.g. the store run id) and persist."""
        self.data[key] = value
        self.save()

    def save(self) -> None:
        """Write ``state.json`` atomically."""
        write_text_atomic(self.path, json.dumps(self.data, indent=2, default=str))
