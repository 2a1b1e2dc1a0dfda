"""Data: row schemas, readers/writers (JSONL, Parquet, datasets), and the bundled seed prompts."""

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
    "SCHEMAS",
    "SPLITS",
    "ConversationRecord",
    "JsonlAppender",
    "LabelledExample",
    "PreferencePair",
    "PromptRecord",
    "Split",
    "Turn",
    "content_id",
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
