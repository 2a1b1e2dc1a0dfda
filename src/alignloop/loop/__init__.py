"""The main job: run the whole alignment loop end to end, resumable stage by stage."""

from alignloop.loop._presets import PRESETS, Preset, preset
from alignloop.loop._run import STAGES, run_loop
from alignloop.loop._state import LoopState

__all__ = ["PRESETS", "STAGES", "LoopState", "Preset", "preset", "run_loop"]
