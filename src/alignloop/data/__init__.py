"""Data: row schemas, readers/writers (JSONL, Parquet, datasets), and the bundled seed prompts."""

from alignloop.data._external import DEFAULT_EXTERNAL, EXTERNAL_PROMPTS, ExternalPrompts, PromptSource, external_prompts
from alignloop.data._io import JsonlAppender, iter_jsonl, read_rows, repeat_error, to_hf_dataset, write_rows
from alignloop.data._schema import (
    SCHEMAS,
    ConversationRecord,
    LabelledExample,
    PreferencePair,
    PromptRecord,
    Turn,
    content_id,
)
from alignloop.data._seed import seed_dir, seed_file, seed_prompts
from alignloop.data._splits import SPLITS, Split, split_of

__all__ = [
    "DEFAULT_EXTERNAL",
    "EXTERNAL_PROMPTS",
    "SCHEMAS",
    "SPLITS",
    "ConversationRecord",
    "ExternalPrompts",
    "JsonlAppender",
    "LabelledExample",
    "PreferencePair",
    "PromptRecord",
    "PromptSource",
    "Split",
    "Turn",
    "content_id",
    "external_prompts",
    "iter_jsonl",
    "read_rows",
    "repeat_error",
    "seed_dir",
    "seed_file",
    "seed_prompts",
    "split_of",
    "to_hf_dataset",
    "write_rows",
]
