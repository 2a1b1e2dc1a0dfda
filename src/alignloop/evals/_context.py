"""What a suite needs while it runs: the model, judges, generation settings and failure handling."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alignloop.guard._verdict import Judge, Verdict

if TYPE_CHECKING:
    from alignloop.constitution import LoadedConstitution
    from alignloop.models import ChatModel, GenerationConfig

log = logging.getLogger(__name__)


def generate_rows(
    model: ChatModel,
    convs: Sequence[Any],
    config: GenerationConfig,
    retries: int = 1,
    logger: logging.Logger | None = None,
) -> list[tuple[str | None, str | None]]:
    """``(response, error)`` per conversation: one batch, then row by row with ``retries`` retries.

    Rows that still fail come back with their error, so callers mark them failed, never drop them.
    A batch failure is logged as a warning to ``logger`` when one is given.
    """
    from alignloop.models._openai import EndpointUnreachable

    try:
        return [(r, None) for r in model.generate(list(convs), config)]
    except EndpointUnreachable:
        raise  # no row can succeed: stop with the connection message instead of failing every row
    except Exception as batch_err:  # any backend failure: fall back to per-row retries
        if logger is not None:
            logger.warning("batch generation failed (%s); retrying rows one by one", batch_err)
    out: list[tuple[str | None, str | None]] = []
    for conv in convs:
        err: str | None = None
        for _ in range(retries + 1):
            try:
                out.append((model.generate([conv], config)[0], None))
                break
            except EndpointUnreachable:
                raise
            except Exception as e:
                err = f"{type(e).__name__}: {e}"
        else:
            out.append((None, err))
    return out


@dataclass
class EvalContext:
    """Shared state for one eval run."""

    model: ChatModel
    constitution: LoadedConstitution
    judges: list[Judge]
    """The first is the primary judge; the others are recorded for agreement rates."""
    config: GenerationConfig
    reference: ChatModel | None = None
    """Reference for helpfulness retention (None: the evaluated model itself)."""
    retries: int = 1
    _embedder: Any = field(default=None, repr=False)

    @property
    def judge(self) -> Judge:
        """The primary judge."""
        return self.judges[0]

    def embedder(self) -> Any:
        """The bundled sentence embedder, loaded on first use."""
        if self._embedder is None:
            from alignloop.models import load_embedder

            self._embedder = load_embedder()
        return self._embedder

    def generate(self, convs: Sequence[Any], model: ChatModel | None = None) -> list[tuple[str | None, str | None]]:
        """``(response, error)`` per conversation.

        A failing batch (an endpoint dying mid-run) is retried one conversation at a time; rows that
        still fail come back with their error so they are marked failed, never dropped.
        """
        return generate_rows(model or self.model, convs, self.config, self.retries, log)

    def judge_all(self, prompts: Sequence[str], responses: Sequence[str]) -> list[dict[str, Any]]:
        """Row fields from every judge: the primary's at top level, all under ``verdicts``."""
        per_judge: list[list[Verdict]] = [j.judge(prompts, responses) for j in self.judges]
        rows = []
        for i in range(len(responses)):
            primary = per_judge[0][i]
            row = primary.as_row()
            if len(self.judges) > 1:
                row["verdicts"] = {j.name: v[i].as_row() for j, v in zip(self.judges, per_judge, strict=True)}
            rows.append(row)
        return rows
