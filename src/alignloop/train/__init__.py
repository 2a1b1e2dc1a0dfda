"""Train: preference data from the constitution; SFT, reward model, DPO/IPO/KTO/ORPO and GRPO via TRL + PEFT.

Data generators write PreferencePair JSONL with the constitution hash and provenance; trainers
take a model spec (``default``, a folder, a hub id) and data, resume from their last checkpoint
after a kill, and export a merged model folder that transformers loads directly.

Bad input:
- empty or identical ``chosen``/``rejected``, broken JSON: :class:`~alignloop._util.errors.DataError`
  naming ``file:line`` (PreferencePair validation), before any model is loaded;
- a prompt whose rendered length leaves fewer than 16 tokens of ``max_length`` for the reply is
  dropped (cutting it would cut the question) and counted in ``TrainResult.dropped_too_long``;
  longer replies are truncated at ``max_length``; if every row is dropped it is a DataError;
- a tokenizer without a chat template gets the plain ``User:/Assistant:`` fallback of
  :func:`alignloop.models.ensure_chat_template`, with a warning;
- out of memory (``torch.OutOfMemoryError`` or a RuntimeError saying so) becomes a UserError that
  suggests a smaller batch (with more accumulation) or max length;
- a kill: checkpoints every ``save_steps`` under ``OUT/checkpoints``; rerunning resumes from the newest.
"""

from alignloop.guard._judge import default_judge
from alignloop.train._calibrate import AlphaSearch, search_alpha
from alignloop.train._datasets import meta_path, split_of, train_prompts
from alignloop.train._dpo import DPO_LOSSES, dpo_config, train_dpo
from alignloop.train._export import merge_adapter, save_merged
from alignloop.train._generate import (
    can_self_critique,
    generate_cai,
    generate_context_distillation,
    generate_helpfulness,
    generate_rlaif,
    import_redteam_failures,
)
from alignloop.train._grpo import GRPO_LORA_LR, RELEVANCE_FLOOR, ConstitutionReward, RelevanceReward, train_grpo
from alignloop.train._kto import train_kto
from alignloop.train._methods import METHODS, Method, method_names
from alignloop.train._orpo import train_orpo
from alignloop.train._recipe import DEFAULT_SOURCES, SOURCES, DataResult, build_alignment_data
from alignloop.train._reward import RewardModelScorer, pairwise_accuracy, train_reward_model
from alignloop.train._run import TrainResult
from alignloop.train._settings import TRAIN_DEFAULTS, TrainSettings
from alignloop.train._sft import train_sft
from alignloop.train._steer import SteerResult, default_layer, refusal_direction, steer_refusal

__all__ = [
    "DEFAULT_SOURCES",
    "DPO_LOSSES",
    "GRPO_LORA_LR",
    "METHODS",
    "RELEVANCE_FLOOR",
    "SOURCES",
    "TRAIN_DEFAULTS",
    "AlphaSearch",
    "ConstitutionReward",
    "DataResult",
    "Method",
    "RelevanceReward",
    "RewardModelScorer",
    "SteerResult",
    "TrainResult",
    "TrainSettings",
    "build_alignment_data",
    "can_self_critique",
    "default_judge",
    "default_layer",
    "dpo_config",
    "generate_cai",
    "generate_context_distillation",
    "generate_helpfulness",
    "generate_rlaif",
    "import_redteam_failures",
    "merge_adapter",
    "meta_path",
    "method_names",
    "pairwise_accuracy",
    "refusal_direction",
    "save_merged",
    "search_alpha",
    "split_of",
    "steer_refusal",
    "train_dpo",
    "train_grpo",
    "train_kto",
    "train_orpo",
    "train_prompts",
    "train_reward_model",
    "train_sft",
]
