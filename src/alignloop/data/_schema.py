"""Row schemas: prompts, conversations, preference pairs (TRL's conversational format), labelled examples."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alignloop._util.hashing import sha256_json

DERIVED_ID_PREFIX = "row-"
"""Ids made from a row's content when it has none (see :func:`content_id`)."""


def content_id(data: dict[str, Any]) -> str:
    """A stable id for a row without one: a hash of its content, so rereading the file gives the same id."""
    return DERIVED_ID_PREFIX + sha256_json(data)[:16]


class _Row(BaseModel):
    # Unknown columns are kept (users carry their own metadata) but types are strict.
    model_config = ConfigDict(extra="allow", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _id_from_content(cls, data: Any) -> Any:
        # public datasets rarely carry ids; resuming and de-duplicating only need a stable one
        if isinstance(data, dict) and "id" not in data and "id" in cls.model_fields:
            return {**data, "id": content_id(data)}
        return data


class Turn(BaseModel):
    """One chat message."""

    model_config = ConfigDict(extra="forbid", strict=True)
    role: Literal["system", "user", "assistant"]
    content: str


class PromptRecord(_Row):
    """A prompt to answer, optionally after earlier turns, with labels when known."""

    id: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    messages: list[Turn] = Field(default_factory=list)
    """Earlier turns; the conversation is ``messages + [user: prompt]``."""
    label: Literal["harmful", "borderline", "benign"] | None = None
    category: str | None = None
    style: str | None = None
    topic: str | None = None
    split: Literal["train", "dev", "test"] | None = None

    def conversation(self) -> list[dict[str, str]]:
        """The full message list to send to a chat model."""
        return [t.model_dump() for t in self.messages] + [{"role": "user", "content": self.prompt}]


def _turns(value: Any, role: str) -> Any:
    """A plain string as a one-message list (TRL's standard format); anything else unchanged."""
    return [{"role": role, "content": value}] if isinstance(value, str) else value


class ConversationRecord(_Row):
    """A whole conversation (for SFT).

    TRL's prompt/completion rows (strings or message lists) are read as ``messages``: the prompt's
    turns, then the completion's.
    """

    id: str = Field(min_length=1)
    messages: list[Turn] = Field(min_length=1)
    truncated: bool = False
    """The last reply was cut at a generation budget: SFT must not learn to end the turn there."""

    @model_validator(mode="before")
    @classmethod
    def _prompt_completion(cls, data: Any) -> Any:
        if isinstance(data, dict) and "messages" not in data and "prompt" in data and "completion" in data:
            rest = {k: v for k, v in data.items() if k not in ("prompt", "completion")}
            prompt, completion = _turns(data["prompt"], "user"), _turns(data["completion"], "assistant")
            if isinstance(prompt, list) and isinstance(completion, list):
                return {**rest, "messages": prompt + completion}
        return data


class PreferencePair(_Row):
    """A preference pair in TRL's conversational format.

    ``prompt`` holds the conversation up to the reply; ``chosen`` and ``rejected`` end with the
    assistant message being compared. TRL's other layouts are read into this one: plain strings
    (a user prompt, assistant replies), an implicit prompt (no ``prompt``; the turns ``chosen`` and
    ``rejected`` share are the prompt), and replies that repeat the prompt's turns before their own.
    """

    id: str = Field(min_length=1)
    prompt: list[Turn] = Field(min_length=1)
    chosen: list[Turn] = Field(min_length=1)
    rejected: list[Turn] = Field(min_length=1)
    category: str | None = None
    source: str | None = None
    """Where the pair came from (``cai_revision``, ``redteam``, ``helpfulness``, ...)."""
    chosen_truncated: bool = False
    """``chosen`` was cut at a generation budget: training must not learn to end the turn there."""
    rejected_truncated: bool = False
    """The same for ``rejected``."""

    @model_validator(mode="before")
    @classmethod
    def _trl_layouts(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        d = dict(data)
        for key, role in (("prompt", "user"), ("chosen", "assistant"), ("rejected", "assistant")):
            if key in d:
                d[key] = _turns(d[key], role)
        chosen, rejected, prompt = d.get("chosen"), d.get("rejected"), d.get("prompt")
        if not (isinstance(chosen, list) and isinstance(rejected, list)):
            return d
        if prompt is None:
            n = 0  # the shared turns, never the last one of either side (that is the reply compared)
            while n < min(len(chosen), len(rejected)) - 1 and chosen[n] == rejected[n]:
                n += 1
            if n:
                d["prompt"], d["chosen"], d["rejected"] = chosen[:n], chosen[n:], rejected[n:]
        elif isinstance(prompt, list) and prompt:
            n = len(prompt)
            if len(chosen) > n and len(rejected) > n and chosen[:n] == prompt and rejected[:n] == prompt:
                d["chosen"], d["rejected"] = chosen[n:], rejected[n:]
        return d

    @field_validator("chosen", "rejected")
    @classmethod
    def _assistant(cls, v: list[Turn]) -> list[Turn]:
        if v[-1].role != "assistant":
            raise ValueError("must end with an assistant message")
        if not v[-1].content.strip():
            raise ValueError("the assistant message is empty")
        return v

    @model_validator(mode="after")
    def _differ(self) -> PreferencePair:
        if self.chosen[-1].content.strip() == self.rejected[-1].content.strip():
            raise ValueError("chosen and rejected are identical")
        return self


class LabelledExample(_Row):
    """A text with a label, for training classifiers (guard categories, refusal detector)."""

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    label: str = Field(min_length=1)
    category: str | None = None


SCHEMAS: dict[str, type[_Row]] = {
    "prompts": PromptRecord,
    "conversations": ConversationRecord,
    "preferences": PreferencePair,
    "labelled": LabelledExample,
}
