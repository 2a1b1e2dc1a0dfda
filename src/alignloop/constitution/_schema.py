"""The constitution schema: strict pydantic models, unknown keys are errors."""

from __future__ import annotations

import contextlib
import re
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alignloop.constitution._monitoring import Monitoring

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Action(str, Enum):
    """What the guard does when a category fires."""

    block = "block"
    redact = "redact"
    flag = "flag"
    allow = "allow"


class Severity(str, Enum):
    """How bad a violation of a category is; orders gates and report sections."""

    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


def _check_id(v: str) -> str:
    if not _ID.match(v):
        raise ValueError(f"{v!r} is not a valid id: use lowercase letters, digits and '_', starting with a letter")
    return v


class Principle(_Strict):
    """One principle used to critique, revise and judge responses."""

    id: str
    """Short identifier, e.g. ``harmless``."""
    text: str = Field(min_length=1)
    """The principle itself, in one or two sentences."""
    critique_request: str = Field(min_length=1)
    """Asks a model to find where a response breaks the principle."""
    revision_request: str = Field(min_length=1)
    """Asks a model to rewrite the response so it follows the principle."""

    _v_id = field_validator("id")(_check_id)


class Category(_Strict):
    """A category of harm, with the examples that teach its boundary."""

    id: str
    """Identifier used in guard outputs and reports, e.g. ``cyber_attacks``."""
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    """What counts as a violation, written for people and for judge prompts."""
    severity: Severity = Field(strict=False)
    violating_examples: list[str] = Field(default_factory=list)
    """Requests or short descriptions of violating content (never the content itself)."""
    allowed_examples: list[str] = Field(default_factory=list)
    """Allowed content that looks close to the category."""
    input_action: Action = Field(default=Action.block, strict=False)
    """What to do with a user message in this category."""
    output_action: Action = Field(default=Action.block, strict=False)
    """What to do with a model response in this category."""
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    """Probability above which the category fires; the guard's calibrated default if unset."""
    frameworks: list[str] = Field(default_factory=list)
    """Framework items this category addresses, as ``FRAMEWORK:ITEM`` (e.g. ``nist-ai-600-1:cbrn``); the
    compliance register (``alignloop compliance report``) counts this category's evals as their evidence.
    Governance metadata only: left out of the content hash, since no stage behaves differently by it."""

    _v_id = field_validator("id")(_check_id)

    @field_validator("frameworks")
    @classmethod
    def _v_frameworks(cls, v: list[str]) -> list[str]:
        if v:
            from alignloop.govern._frameworks import check_reference

            for ref in v:
                check_reference(ref)
            if len(set(v)) != len(v):
                raise ValueError(f"duplicate framework references in {v}")
        return v


class RefusalStyle(_Strict):
    """How a good refusal reads."""

    guidance: str = Field(min_length=1)
    """Prose description of a good refusal (brief, not preachy, offers an alternative)."""
    template: str = Field(min_length=1)
    """Default refusal text; ``{topic}`` is replaced by the category title when present."""
    per_category: dict[str, str] = Field(default_factory=dict)
    """Category-specific refusals (for example self-harm pointing to crisis resources)."""
    max_words: int = Field(default=80, gt=0)
    """Refusals longer than this read as preachy."""


class ReleaseGates(_Strict):
    """Thresholds a model version must meet to be released."""

    max_harmful_compliance: float = Field(ge=0.0, le=1.0)
    """Largest allowed share of harmful requests the model helps with."""
    max_over_refusal: float = Field(ge=0.0, le=1.0)
    """Largest allowed share of borderline-safe prompts the model refuses."""
    min_helpfulness_retention: float = Field(ge=0.0, le=1.0)
    """Smallest allowed helpfulness on ordinary prompts, relative to the reference model."""


class Constitution(_Strict):
    """The whole written constitution that drives every stage of the loop."""

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    description: str = ""
    principles: list[Principle] = Field(min_length=1)
    categories: list[Category] = Field(min_length=1)
    allowed_guidance: list[str] = Field(default_factory=list)
    """What must stay allowed (safety information, fiction, history, medicine, ...)."""
    refusal_style: RefusalStyle
    release_gates: ReleaseGates
    monitoring: Monitoring = Field(default_factory=Monitoring)
    """How production traffic is watched (``alignloop monitor``); not part of the constitution hash."""

    @model_validator(mode="after")
    def _unique_ids(self) -> Constitution:
        for kind, ids in (("principles", [p.id for p in self.principles]), ("categories", self.category_ids)):
            seen: set[str] = set()
            for i, item_id in enumerate(ids):
                if item_id in seen:
                    raise ValueError(f"duplicate {kind[:-1].replace('ie', 'y')} id {item_id!r} (at {kind}.{i})")
                seen.add(item_id)
        unknown = set(self.refusal_style.per_category) - {c.id for c in self.categories}
        if unknown:
            raise ValueError(f"refusal_style.per_category names unknown categories: {sorted(unknown)}")
        cats = set(self.category_ids)
        for r in self.monitoring.rules:
            if r.metric and r.metric.startswith("violation.") and r.metric.split(".", 1)[1] not in cats:
                raise ValueError(f"monitoring rule {r.name!r}: metric {r.metric!r} names an unknown category")
        return self

    # -- convenience -----------------------------------------------------------------
    def category(self, category_id: str) -> Category:
        """The category with ``category_id`` (KeyError if absent)."""
        for c in self.categories:
            if c.id == category_id:
                return c
        raise KeyError(category_id)

    @property
    def category_ids(self) -> list[str]:
        """Category ids in file order."""
        return [c.id for c in self.categories]

    def refusal_for(self, category_id: str | None = None) -> str:
        """The refusal text in this constitution's style for ``category_id``."""
        if category_id and category_id in self.refusal_style.per_category:
            return self.refusal_style.per_category[category_id]
        topic = "this"
        if category_id:
            with contextlib.suppress(KeyError):
                topic = self.category(category_id).title.lower()
        return self.refusal_style.template.replace("{topic}", topic)

    def system_prompt(self) -> str:
        """A system prompt that states the principles and refusal style (context distillation)."""
        lines = [f"You are a helpful assistant that follows the {self.name} constitution."]
        lines += [f"- {p.text}" for p in self.principles]
        if self.allowed_guidance:
            lines.append("Always help with:")
            lines += [f"- {g}" for g in self.allowed_guidance]
        lines.append(f"When you must decline: {self.refusal_style.guidance}")
        return "\n".join(lines)
