"""Training methods by name (``--method dpo|ipo|kto|orpo|grpo``), in one registry plugins add to.

A :class:`Method` says what data it trains on (preference pairs or labelled prompts) and how to
train; ``alignloop train <method>`` and ``alignloop run --method`` both look methods up here, so a
plugin registering ``METHODS.register("name")(Method(...))`` (or through the entry-point group
``alignloop.train_method``) is usable from the loop without editing it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from alignloop._util.registry import Registry
from alignloop.train._run import TrainResult
from alignloop.train._settings import TrainSettings

TrainFn = Callable[..., TrainResult]
"""``fn(model, data, output_dir, settings, *, judge, progress_factory, merge) -> TrainResult``."""


@dataclass(frozen=True)
class Method:
    """One way to train a model towards the constitution."""

    name: str
    data: Literal["pairs", "prompts"]
    """``pairs``: PreferencePair rows (``DIR/data/pairs.jsonl`` in the loop); ``prompts``: PromptRecord
    rows with a ``label`` (online RL samples its own replies and scores them with ``judge``)."""
    summary: str
    fn: TrainFn

    def train(
        self,
        model: str,
        data: Any,
        output_dir: str | os.PathLike[str],
        settings: TrainSettings,
        *,
        judge: Any = None,
        progress_factory: Callable[[int], Any] | None = None,
        merge: bool = True,
    ) -> TrainResult:
        """Train ``model`` on ``data`` into ``output_dir`` (``OUT/model`` is the merged result)."""
        return self.fn(model, data, output_dir, settings, judge=judge, progress_factory=progress_factory, merge=merge)


METHODS: Registry[Method] = Registry("train_method")


def _register(m: Method) -> Method:
    return METHODS.register(m.name)(m)


def _dpo(loss: str) -> TrainFn:
    def fn(
        model: str, data: Any, out: Any, s: TrainSettings, *, judge: Any, progress_factory: Any, merge: bool = True
    ) -> TrainResult:
        from alignloop import train  # looked up at call time, so tests and plugins can wrap train_dpo

        return train.train_dpo(model, data, out, s, loss=loss, progress_factory=progress_factory, merge=merge)

    return fn


def _kto(
    model: str, data: Any, out: Any, s: TrainSettings, *, judge: Any, progress_factory: Any, merge: bool = True
) -> TrainResult:
    from alignloop.train._kto import train_kto

    return train_kto(model, data, out, s, progress_factory=progress_factory, merge=merge)


def _orpo(
    model: str, data: Any, out: Any, s: TrainSettings, *, judge: Any, progress_factory: Any, merge: bool = True
) -> TrainResult:
    from alignloop.train._orpo import train_orpo

    return train_orpo(model, data, out, s, progress_factory=progress_factory, merge=merge)


def _grpo(
    model: str, data: Any, out: Any, s: TrainSettings, *, judge: Any, progress_factory: Any, merge: bool = True
) -> TrainResult:
    from alignloop import train

    return train.train_grpo(model, data, out, s, judge=judge, progress_factory=progress_factory, merge=merge)


_register(Method("dpo", "pairs", "DPO (sigmoid loss) plus an SFT term on chosen", _dpo("sigmoid")))
_register(Method("ipo", "pairs", "IPO (DPO's squared loss, bounded margins) plus an SFT term", _dpo("ipo")))
_register(Method("kto", "pairs", "KTO: chosen replies desirable, rejected ones not (TRL KTOTrainer)", _kto))
_register(Method("orpo", "pairs", "ORPO: NLL plus odds-ratio term, no reference model (TRL ORPOTrainer)", _orpo))
_register(Method("grpo", "prompts", "GRPO from labelled prompts, rewarded by the judge (online RL)", _grpo))


def method_names() -> list[str]:
    """Every registered method, plugins included."""
    return METHODS.names()
