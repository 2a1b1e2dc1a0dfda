"""Model backends behind one chat interface: local transformers, OpenAI-compatible endpoints, scripted.

Use :func:`load_model` with ``default`` (the embedded SmolLM2-135M-Instruct), a local
folder, a hub id, or ``http://host/v1#model``.
"""

from alignloop.models._base import (
    ChatModel,
    Completion,
    Conversation,
    GenerationConfig,
    Message,
    as_conversation,
)
from alignloop.models._embedded import embedded_model_dir, gguf_path
from alignloop.models._embedder import embedder_path, load_embedder
from alignloop.models._hf import HFChatModel, ensure_chat_template, load_hf, prepare_tokenizer
from alignloop.models._load import DEFAULT, load_model
from alignloop.models._openai import EndpointError, EndpointUnreachable, OpenAIChatModel
from alignloop.models._scripted import ScriptedModel

__all__ = [
    "DEFAULT",
    "ChatModel",
    "Completion",
    "Conversation",
    "EndpointError",
    "EndpointUnreachable",
    "GenerationConfig",
    "HFChatModel",
    "Message",
    "OpenAIChatModel",
    "ScriptedModel",
    "as_conversation",
    "embedded_model_dir",
    "embedder_path",
    "ensure_chat_template",
    "gguf_path",
    "load_embedder",
    "load_hf",
    "load_model",
    "prepare_tokenizer",
]
