"""Row schemas: prompts, conversations, preference pairs (TRL's conversational format), labelled examples."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Row(BaseModel):
    # Unknown columns are kept (users carry their own metadata) but types are strict.
    model_config = ConfigDict(extra="allow", strict=True)


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
    split: Literal["train", "dev"] | None = None

    def conversation(self) -> list[dict[str, str]]:
        """The full message list to send to a chat model."""
        return [t.model_dump() for t in self.messages] + [{"role": "user", "content": self.prompt}]


class ConversationRecord(_Row):
    """A whole conversation (for SFT)."""

    id: str = Field(min_length=1)
    messages: list[Turn] = Field(min_length=1)
    truncated: bool = False
    """The last reply was cut at a generation budget: SFT must not learn to end the turn there."""


class PreferencePair(_Row):
    """A preference pair in TRL's conversational format.

    ``prompt`` holds the conversation up to the reply; ``chosen`` and ``rejected`` each hold
    one assistant message.
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
