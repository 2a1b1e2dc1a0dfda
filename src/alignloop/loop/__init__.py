"""The main job: run the whole alignment loop end to end, resumable stage by stage.

Stages are objects in one registry (:data:`LOOP_STAGES`); add one by registering a :class:`Stage`
subclass (see ``docs/loop.md``), and extra training data through :data:`FEEDBACK`.
"""

from alignloop.loop._presets import PRESETS, PROVENANCE, Preset, preset
from alignloop.loop._run import STAGES, run_loop
from alignloop.loop._stages import FEEDBACK, LOOP_STAGES, LoopContext, Stage, pipeline
from alignloop.loop._state import LoopState

__all__ = [
    "FEEDBACK",
    "LOOP_STAGES",
    "PRESETS",
    "PROVENANCE",
    "STAGES",
    "LoopContext",
    "LoopState",
    "Preset",
    "Stage",
    "pipeline",
    "preset",
    "run_loop",
]
