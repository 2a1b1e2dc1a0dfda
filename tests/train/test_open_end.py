"""Replies cut at the generation budget train without an end of turn; whole replies keep theirs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from alignloop.train import TrainSettings
from alignloop.train._open_end import strip_end, turn_end_ids
from alignloop.train._trainers import dpo_trainer_class, sft_trainer_class


def _end(tok: Any) -> list[int]:
    return list(tok("<|im_end|>\n", add_special_tokens=False)["input_ids"])


CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def test_turn_end_is_found_from_the_chat_template(tiny_tokenizer: Any) -> None:
    import copy

    from alignloop.models._hf import FALLBACK_CHAT_TEMPLATE

    tok = copy.deepcopy(tiny_tokenizer)  # other tests swap the shared tokenizer's template
    tok.chat_template = CHATML
    assert turn_end_ids(tok) == _end(tok) != []
    tok.chat_template = FALLBACK_CHAT_TEMPLATE
    assert turn_end_ids(tok) == _end(tok)
    tok.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    assert turn_end_ids(tok) == []
    assert strip_end([5, 6, 7, 8], [7, 8]) == [5, 6]
    assert strip_end([5, 6, 7], [7, 8]) == [5, 6, 7]
    assert strip_end([7, 8], [7, 8]) == [7, 8]  # never empties a reply


def _trainer(cls: Any, config: Any, rows: list[dict[str, Any]], model_dir: Path, tok: Any) -> Any:
    from alignloop.data import to_hf_dataset
    from alignloop.train._common import load_causal_lm, lora_config

    s = TrainSettings()
    return cls(
        model=load_causal_lm(str(model_dir)),
        args=config,
        train_dataset=to_hf_dataset(rows),
        processing_class=tok,
        peft_config=lora_config(s),
    )


def test_dpo_drops_the_end_of_turn_of_cut_sides_only(
    tiny_model_dir: Path, tiny_tokenizer: Any, tmp_path: Path, make_pairs: Any
) -> None:
    from alignloop.train._common import load_tokenizer
    from alignloop.train._dpo import dpo_config
    from alignloop.train._prepare import preference_rows

    raw = make_pairs(4)
    raw[0]["chosen_truncated"] = True
    raw[1]["rejected_truncated"] = True
    tok = load_tokenizer(str(tiny_model_dir))
    rows, _ = preference_rows(raw, tok, 128)
    cfg = dpo_config(TrainSettings(), str(tmp_path / "ck"))
    ds = _trainer(dpo_trainer_class(), cfg, rows, tiny_model_dir, tok).train_dataset
    end = _end(tiny_tokenizer)
    assert "chosen_truncated" not in ds.column_names
    ends = {
        re.search(r"(bomb|France) (\d)", tok.decode(r["prompt_ids"])).group(2): (
            r["chosen_ids"][-len(end) :] == end,
            r["rejected_ids"][-len(end) :] == end,
        )
        for r in ds
    }
    assert ends == {"0": (False, True), "1": (True, False), "2": (True, True), "3": (True, True)}


def test_sft_masks_the_end_of_turn_of_cut_replies(tiny_model_dir: Path, tiny_tokenizer: Any, tmp_path: Path) -> None:
    from trl import SFTConfig

    from alignloop.train._common import load_tokenizer
    from alignloop.train._prepare import conversation_rows

    raw = [
        {
            "id": f"c{i}",
            "messages": [{"role": "user", "content": f"q {i}"}, {"role": "assistant", "content": "Paris is big"}],
            **({"truncated": True} if i == 0 else {}),
        }
        for i in range(2)
    ]
    tok = load_tokenizer(str(tiny_model_dir))
    rows, _ = conversation_rows(raw, tok, 128)
    cfg = SFTConfig(output_dir=str(tmp_path / "ck"), completion_only_loss=True, shuffle_dataset=False, use_cpu=True)
    ds = _trainer(sft_trainer_class(), cfg, rows, tiny_model_dir, tok).train_dataset
    n = len(_end(tiny_tokenizer))
    labels = [r["labels"][-n:] for r in ds]
    assert labels[0] == [-100] * n and -100 not in labels[1]
