"""Replies cut at a token budget: train on them without teaching the model to stop there.

Generated answers often hit ``max_new_tokens`` mid-sentence. TRL renders every conversational
completion with the chat template's end of turn, so training on a cut answer as-is teaches the
model to end its turn after ~48 tokens (SmolLM2's answers to ordinary prompts shrank from 90 to
64 words that way). Rows flagged ``chosen_truncated`` / ``rejected_truncated`` (preferences) or
``truncated`` (SFT) keep their text but lose the end-of-turn tokens from the loss.
"""

from __future__ import annotations

from typing import Any

PAIR_FLAGS = ("chosen_truncated", "rejected_truncated")
SFT_FLAG = "truncated"


def _ids(x: Any) -> list[int]:
    # apply_chat_template returns a list in some tokenizers and a BatchEncoding in others
    return list(x if isinstance(x, list) else x["input_ids"])


def turn_end_ids(tokenizer: Any) -> list[int]:
    """The tokens the chat template puts after an assistant reply (``<|im_end|>\n`` for ChatML).

    Found as the common ending of two rendered conversations whose replies end differently, so it
    works for any template (ChatML, the User/Assistant fallback); empty when the template adds
    nothing after a reply (then nothing is stripped).
    """
    probe = [{"role": "user", "content": "Hi"}]
    a, b = (
        _ids(tokenizer.apply_chat_template([*probe, {"role": "assistant", "content": text}], tokenize=True))
        for text in ("Fine", "Sure thing 42")
    )
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return a[len(a) - n :]


def strip_end(ids: list[int], end: list[int]) -> list[int]:
    """``ids`` without a trailing ``end`` (unchanged if it does not end with it)."""
    if end and len(ids) > len(end) and ids[-len(end) :] == end:
        return ids[: -len(end)]
    return ids


def open_preference_ends(dataset: Any, tokenizer: Any) -> Any:
    """Drop the end of turn from flagged sides of a TRL-tokenized preference dataset, then the flags."""
    cols = set(dataset.column_names or [])
    flags = [f for f in PAIR_FLAGS if f in cols]
    if not flags:
        return dataset
    end = turn_end_ids(tokenizer)

    def fix(ex: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for flag in flags:
            side = flag.removesuffix("_truncated") + "_ids"
            if ex[flag] and side in ex:
                out[side] = strip_end(list(ex[side]), end)
        return out

    return dataset.map(fix, remove_columns=flags)


def open_sft_ends(dataset: Any, tokenizer: Any) -> Any:
    """Mask the end of turn out of the labels of flagged rows in a TRL-tokenized SFT dataset."""
    if SFT_FLAG not in set(dataset.column_names or []):
        return dataset
    end = turn_end_ids(tokenizer)

    def fix(ex: dict[str, Any]) -> dict[str, Any]:
        labels = list(ex["labels"])
        if ex[SFT_FLAG] and end and list(ex["input_ids"][-len(end) :]) == end:
            labels[-len(end) :] = [-100] * len(end)
        return {"labels": labels}

    return dataset.map(fix, remove_columns=[SFT_FLAG])
