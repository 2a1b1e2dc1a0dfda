"""The loop's stage API: a :class:`Stage` has a name, a place in the order, ``run`` and ``is_done``.

Stages live in one registry, :data:`LOOP_STAGES`; :func:`pipeline` lists them in ``order``. The
built-in stages (``alignloop.loop._builtin``) register themselves exactly as a plugin does, through
``LOOP_STAGES.register(name)`` or the entry-point group ``alignloop.loop_stage``, so a stage is
added without editing the loop::

    from alignloop.loop import LOOP_STAGES, LoopContext, Stage

    @LOOP_STAGES.register("toxicity_probe")
    class ToxicityProbe(Stage):
        name = "toxicity_probe"
        order = 72  # after ``after_eval`` (70), before ``redteam_after`` (75)

        def run(self, ctx: LoopContext) -> dict:
            ...  # read ctx.out / "model", write under ctx.out / self.name
            return {"rate": 0.1}  # recorded in state.json and summary.json["stages"]

Extra training data (e.g. production feedback) plugs into the ``data`` stage through
:data:`FEEDBACK`: a named callable ``source(ctx) -> path | None`` returning PreferencePair rows that
are added to ``DIR/data/pairs.jsonl`` under that source's name (``run_loop(feedback=[name])``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from alignloop._util.registry import Registry

if TYPE_CHECKING:
    from alignloop.constitution import LoadedConstitution
    from alignloop.loop._presets import Preset
    from alignloop.loop._state import LoopState

ProgressFactory = Callable[[str, int | None], Any]
"""``bar(description, total)`` -> a context manager yielding ``advance(n)`` (the CLI's progress bar)."""


@contextlib.contextmanager
def no_bar(desc: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress factory that shows nothing (the Python API's default)."""

    def advance(n: int = 1) -> None:
        return None

    yield advance


class Models:
    """The base and aligned models, each loaded once and only when a stage needs it."""

    def __init__(self, spec: str, out: Path) -> None:
        self.spec, self.out = spec, out
        self._base: Any = None
        self._after: Any = None

    @property
    def base(self) -> Any:
        """The model the loop started from (``--model``)."""
        if self._base is None:
            from alignloop.models import load_model

            self._base = load_model(self.spec)
        return self._base

    @property
    def after(self) -> Any:
        """The aligned model in ``DIR/model`` (loaded after training and steering have written it)."""
        if self._after is None:
            from alignloop.models import load_model

            self._after = load_model(str(self.out / "model"))
        return self._after


@dataclass
class LoopContext:
    """What every stage can read: the run folder, models, constitution, preset, state and judge."""

    out: Path
    spec: str
    """The ``--model`` spec the loop started from."""
    loaded: LoadedConstitution
    preset: Preset
    state: LoopState
    bar: ProgressFactory = no_bar
    feedback: tuple[str, ...] = ()
    """Names in :data:`FEEDBACK` whose rows the ``data`` stage adds to the training pairs."""
    models: Models = field(init=False)
    _judge: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.models = Models(self.spec, self.out)

    @property
    def judge(self) -> Any:
        """The constitution's guard judge, shared by evals, red-team, data and rewards (loaded once)."""
        if self._judge is None:
            from alignloop.evals import make_judge

            self._judge = make_judge("guard", self.loaded)
        return self._judge

    def result(self, stage: str) -> dict[str, Any]:
        """What a finished stage recorded (``{}`` if it has not run)."""
        return self.state.get(stage)


class Stage:
    """One step of the loop. Subclasses set ``name`` and ``order`` and implement :meth:`run`.

    A stage writes its files under ``ctx.out`` and returns a JSON-ready dict, stored in
    ``state.json`` when it finishes. Resume: a finished stage is skipped (:meth:`is_done`); a stage
    killed halfway is run again and should pick up its own files (evals and red-team append rows,
    trainers resume from checkpoints).
    """

    name: ClassVar[str] = "stage"
    order: ClassVar[float] = 0.0
    """Position in the loop; built-ins use 10, 20, ... 100 so plugins fit between them."""

    def enabled(self, ctx: LoopContext) -> bool:
        """Whether this run includes the stage (e.g. ``rl`` only with ``--rl-steps``)."""
        return True

    def is_done(self, ctx: LoopContext) -> bool:
        """Whether an earlier attempt finished the stage (then it is skipped)."""
        return ctx.state.done(self.name)

    def run(self, ctx: LoopContext) -> dict[str, Any]:
        """Do the work; the returned dict is recorded as the stage's result."""
        raise NotImplementedError


LOOP_STAGES: Registry[type[Stage]] = Registry("loop_stage")
"""Every stage class by name, built-ins and plugins alike."""

FEEDBACK: Registry[Callable[[LoopContext], Any]] = Registry("loop_feedback")
"""Extra data sources for the ``data`` stage: ``source(ctx) -> PreferencePair file | None``."""


def pipeline() -> list[Stage]:
    """One instance of every registered stage, in ``order``."""
    stages = [LOOP_STAGES.get(n)() for n in LOOP_STAGES.names()]
    return sorted(stages, key=lambda s: (s.order, s.name))


def run_stage(stage: Stage, ctx: LoopContext) -> dict[str, Any]:
    """Run ``stage`` unless it is done, time it, and mark it done with its result."""
    if not stage.is_done(ctx):
        t0 = time.perf_counter()
        info = stage.run(ctx)
        ctx.state.finish(stage.name, time.perf_counter() - t0, **info)
    return ctx.state.get(stage.name)
