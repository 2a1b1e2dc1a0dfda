"""Load training rows, validate them, and drop rows whose prompt leaves no room for the reply."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from alignloop._util.errors import DataError
from alignloop.data import ConversationRecord, PreferencePair, PromptRecord, read_rows
from alignloop.train._batches import GROUP_COLUMN, pair_group
from alignloop.train._common import fits

log = logging.getLogger("alignloop.train")

Rows = str | os.PathLike[str] | Sequence[Any]


def _load(data: Rows, schema: Any) -> list[Any]:
    if isinstance(data, str | os.PathLike):
        rows = read_rows(data, schema, unique_ids=False)
    else:
        rows = [r if isinstance(r, schema) else schema.model_validate(r) for r in data]
    if not rows:
        raise DataError(
            f"no training rows in {data if isinstance(data, str | os.PathLike) else 'the given data'}",
            hint="generate data first with `alignloop train data`",
        )
    return rows


def _msgs(turns: Sequence[Any]) -> list[dict[str, str]]:
    return [{"role": t.role, "content": t.content} for t in turns]


def preference_rows(
    data: Rows, tokenizer: Any, max_length: int, *, cut_flags: bool = True, groups: bool = False
) -> tuple[list[dict[str, Any]], int]:
    """TRL conversational preference rows, and how many were dropped for over-long prompts.

    ``cut_flags`` adds ``chosen_truncated`` / ``rejected_truncated`` for the generative trainers
    (see ``_open_end``); a reward model scores whole sequences and does not need them. ``groups``
    adds each pair's kind (``_batches.pair_group``) for label-balanced batches.

    Empty or identical chosen/rejected are :class:`DataError` at ``file:line`` (PreferencePair
    validation). A prompt that leaves fewer than ``MIN_REPLY_TOKENS`` of ``max_length`` is dropped
    (truncating it would cut the question); longer replies are truncated at ``max_length`` by TRL.
    """
    out: list[dict[str, Any]] = []
    dropped = 0
    for p in _load(data, PreferencePair):
        prompt = _msgs(p.prompt)
        if not fits(tokenizer, prompt, max_length):
            dropped += 1
            continue
        row: dict[str, Any] = {"prompt": prompt, "chosen": _msgs(p.chosen), "rejected": _msgs(p.rejected)}
        if cut_flags:
            # replies cut at the generation budget keep their text but not the end of turn
            row["chosen_truncated"], row["rejected_truncated"] = p.chosen_truncated, p.rejected_truncated
        if groups:
            row[GROUP_COLUMN] = pair_group(p)
        out.append(row)
    _check_left(out, dropped, max_length)
    return out, dropped


def conversation_rows(data: Rows, tokenizer: Any, max_length: int) -> tuple[list[dict[str, Any]], int]:
    """TRL conversational prompt/completion rows, and the dropped count.

    The last message (an assistant reply) is the completion, everything before it the prompt, so
    TRL learns the reply only (``completion_only_loss``) instead of re-learning the prompts.
    """
    out: list[dict[str, Any]] = []
    dropped = 0
    for c in _load(data, ConversationRecord):
        msgs = _msgs(c.messages)
        if msgs[-1]["role"] != "assistant":
            raise DataError(
                f"conversation {c.id!r} does not end with an assistant message",
                hint="SFT learns the last assistant reply; add one or drop the row",
            )
        if not fits(tokenizer, msgs[:-1], max_length):
            dropped += 1
            continue
        out.append(
            {
                "prompt": msgs[:-1],
                "completion": msgs[-1:],
                "truncated": c.truncated,
            }
        )
    _check_left(out, dropped, max_length)
    return out, dropped


def prompt_rows(data: Rows, tokenizer: Any, max_length: int) -> tuple[list[dict[str, Any]], int]:
    """Conversational prompts for online RL, with the label the reward functions use."""
    out: list[dict[str, Any]] = []
    dropped = 0
    for r in _load(data, PromptRecord):
        conv = r.conversation()
        if not fits(tokenizer, conv, max_length):
            dropped += 1
            continue
        out.append({"prompt": conv, "label": r.label or "benign", "category": r.category or ""})
    _check_left(out, dropped, max_length)
    return out, dropped


def _check_left(rows: list[Any], dropped: int, max_length: int) -> None:
    if dropped:
        log.warning("dropped %d row(s) whose prompt is longer than max length %d allows", dropped, max_length)
    if not rows:
        raise DataError(
            f"every row's prompt is longer than --max-length {max_length} allows ({dropped} dropped)",
            hint="raise --max-length or shorten the prompts",
        )
