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

__all__ = [
    "SCHEMAS",
    "ConversationRecord",
    "JsonlAppender",
    "LabelledExample",
    "PreferencePair",
    "PromptRecord",
    "Turn",
    "content_id",
    "iter_jsonl",
    "read_rows",
    "repeat_error",
    "seed_dir",
    "seed_file",
    "seed_prompts",
    "to_hf_dataset",
    "write_rows",
]
