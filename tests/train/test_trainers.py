"""Every trainer on a tiny random Llama: weights change, the merged model loads, resume works."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from alignloop._util.errors import DataError, UserError
from alignloop.train import TrainSettings, merge_adapter, train_dpo, train_grpo, train_reward_model, train_sft

FAST = TrainSettings(batch_size=4, max_steps=3, save_steps=2, learning_rate=1e-2, logging_steps=1)


def _weights(path: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    return load_file(str(path / "model.safetensors"))


def _changed(a: Path, b: Path) -> bool:
    wa, wb = _weights(a), _weights(b)
    return any(not (wa[k] == wb[k]).all() for k in wa if k in wb)


@pytest.mark.parametrize("loss", ["sigmoid", "ipo"])
def test_dpo_changes_weights_and_exports_loadable_model(
    tiny_model_dir: Path, tmp_path: Path, pairs: Any, loss: str
) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    res = train_dpo(str(tiny_model_dir), pairs, tmp_path / "dpo", FAST, loss=loss)
    assert res.steps == 3 and res.rows == len(pairs)
    assert res.adapter_dir is not None and (res.adapter_dir / "adapter_config.json").exists()
    assert res.model_dir is not None
    AutoModelForCausalLM.from_pretrained(res.model_dir)
    AutoTokenizer.from_pretrained(res.model_dir)
    assert _changed(tiny_model_dir, res.model_dir)
    assert json.loads((tmp_path / "dpo" / "train.json").read_text())["kind"] == "dpo"


def test_dpo_shows_its_loss_on_the_bar_and_keeps_the_log_in_train_json(
    tiny_model_dir: Path, tmp_path: Path, pairs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import contextlib

    steps: list[int] = []
    notes: list[str] = []

    class Bar:
        def __call__(self, n: int = 1) -> None:
            steps.append(n)

        def status(self, text: str) -> None:
            notes.append(text)

    res = train_dpo(
        str(tiny_model_dir),
        pairs,
        tmp_path / "dpo",
        FAST,
        merge=False,
        progress_factory=lambda total: contextlib.nullcontext(Bar()),
    )
    assert sum(steps) == res.steps == 3
    # one note per logged step (logging_steps=1), with the DPO margin beside the loss
    assert len(notes) >= 3 and all(n.startswith("loss ") and " · margin " in n for n in notes[:3])
    # the trainer's log dicts no longer interleave with the bar
    assert "'loss'" not in capsys.readouterr().out
    history = json.loads((tmp_path / "dpo" / "train.json").read_text())["history"]
    assert [h["step"] for h in history if "loss" in h] == [1, 2, 3]


def test_log_note_picks_the_known_keys_in_order() -> None:
    from alignloop.train._common import log_note

    assert log_note({"reward": 0.25, "loss": 1.23456, "epoch": 1.0}) == "loss 1.23 · reward 0.25"
    assert log_note({"train_runtime": 3.0}) == ""


def test_dpo_resumes_from_last_checkpoint(tiny_model_dir: Path, tmp_path: Path, pairs: Any) -> None:
    out = tmp_path / "dpo"
    first = train_dpo(
        str(tiny_model_dir), pairs, out, TrainSettings(batch_size=4, max_steps=2, save_steps=2), merge=False
    )
    assert first.resumed_from is None
    # a longer run in the same folder continues from checkpoint-2 instead of starting over
    second = train_dpo(
        str(tiny_model_dir), pairs, out, TrainSettings(batch_size=4, max_steps=4, save_steps=2), merge=False
    )
    assert second.resumed_from is not None and second.resumed_from.endswith("checkpoint-2")
    assert second.steps == 4


def test_resume_skips_a_checkpoint_cut_off_while_saving(tmp_path: Path) -> None:
    from alignloop.train._common import last_checkpoint

    ckpts = tmp_path / "checkpoints"
    assert last_checkpoint(ckpts) is None
    for step in (2, 4, 10):
        (ckpts / f"checkpoint-{step}").mkdir(parents=True)
        (ckpts / f"checkpoint-{step}" / "adapter_model.safetensors").write_bytes(b"x")
    (ckpts / "checkpoint-2" / "trainer_state.json").write_text("{}")
    (ckpts / "checkpoint-4" / "trainer_state.json").write_text("{}")
    # checkpoint-10 has weights but no trainer state: the save was cut off (a kill, a full disk)
    assert last_checkpoint(ckpts) == str(ckpts / "checkpoint-4")  # numeric order, not string order
    assert not (ckpts / "checkpoint-10").exists()  # removed, so the rerun can write it again
    assert (ckpts / "checkpoint-2").exists()


def test_resumed_dpo_reads_the_cached_reference_log_probs(
    tiny_model_dir: Path, tmp_path: Path, pairs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trl import DPOTrainer

    scored: list[int] = []
    original = DPOTrainer.compute_ref_log_probs

    def counting(self: Any, model: Any, inputs: Any) -> Any:
        scored.append(len(inputs["input_ids"]) // 2)  # a batch holds chosen then rejected rows
        return original(self, model, inputs)

    monkeypatch.setattr(DPOTrainer, "compute_ref_log_probs", counting)
    out = tmp_path / "dpo"
    settings = TrainSettings(batch_size=4, max_steps=4, save_steps=2)
    train_dpo(str(tiny_model_dir), pairs, out, settings, merge=False)
    assert sum(scored) == len(pairs)  # every pair scored once, before training
    # a kill after step 2: only checkpoint-2 survives; the rerun with the same settings resumes there
    shutil.rmtree(out / "checkpoints" / "checkpoint-4")
    scored.clear()
    second = train_dpo(str(tiny_model_dir), pairs, out, settings, merge=False)
    assert second.resumed_from is not None and second.resumed_from.endswith("checkpoint-2")
    assert scored == []  # it read the first run's cache next to the saved dataset
    other = train_dpo(
        str(tiny_model_dir), pairs[:-1], tmp_path / "other", TrainSettings(batch_size=4, max_steps=1), merge=False
    )
    assert other.rows == len(pairs) - 1 and sum(scored) == len(pairs) - 1  # other data: scored afresh


def test_dpo_is_deterministic_given_seed(tiny_model_dir: Path, tmp_path: Path, pairs: Any) -> None:
    a = train_dpo(str(tiny_model_dir), pairs, tmp_path / "a", FAST)
    b = train_dpo(str(tiny_model_dir), pairs, tmp_path / "b", FAST)
    assert a.model_dir and b.model_dir
    assert not _changed(a.model_dir, b.model_dir)


def test_sft_changes_weights(tiny_model_dir: Path, tmp_path: Path) -> None:
    convs = [
        {
            "id": f"c{i}",
            "messages": [
                {"role": "user", "content": f"hi {i}"},
                {"role": "assistant", "content": "hello world"},
            ],
        }
        for i in range(8)
    ]
    res = train_sft(str(tiny_model_dir), convs, tmp_path / "sft", FAST)
    assert res.model_dir is not None and _changed(tiny_model_dir, res.model_dir)


def test_reward_model_reports_held_out_accuracy(tiny_model_dir: Path, tmp_path: Path, make_pairs: Any) -> None:
    res = train_reward_model(str(tiny_model_dir), make_pairs(40), tmp_path / "rm", FAST, eval_fraction=0.25)
    acc = res.metrics["pairwise_accuracy"]
    assert 0.0 <= acc <= 1.0 and res.metrics["held_out_pairs"] > 0
    assert res.model_dir is not None and (res.model_dir / "config.json").exists()
    from alignloop.train import RewardModelScorer

    scores = RewardModelScorer(res.model_dir)(
        [[{"role": "user", "content": "hi"}]] * 2,
        [[{"role": "assistant", "content": "Paris."}], [{"role": "assistant", "content": "no"}]],
    )
    assert len(scores) == 2 and all(isinstance(x, float) for x in scores)


def test_grpo_with_judge_reward(tiny_model_dir: Path, tmp_path: Path, parity_judge: Any) -> None:
    prompts = [{"id": f"q{i}", "prompt": f"question {i}", "label": "harmful" if i % 2 else "benign"} for i in range(4)]

    res = train_grpo(
        str(tiny_model_dir),
        prompts,
        tmp_path / "grpo",
        TrainSettings(batch_size=4, max_steps=2, save_steps=5, learning_rate=5e-2, seed=1),
        judge=parity_judge,
        num_generations=4,
        max_completion_length=8,
    )
    assert res.steps == 2
    assert res.model_dir is not None and _changed(tiny_model_dir, res.model_dir)


def test_merge_adapter_cli_path(tiny_model_dir: Path, tmp_path: Path, pairs: Any) -> None:
    res = train_dpo(str(tiny_model_dir), pairs, tmp_path / "dpo", FAST, merge=False)
    assert res.model_dir is None and res.adapter_dir is not None
    out = merge_adapter(res.adapter_dir, tmp_path / "merged", base=str(tiny_model_dir))
    assert _changed(tiny_model_dir, out)


def test_identical_chosen_rejected_names_file_and_line(tiny_model_dir: Path, tmp_path: Path, pairs: Any) -> None:
    bad = dict(pairs[1], rejected=pairs[1]["chosen"])
    f = tmp_path / "pairs.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [pairs[0], bad]) + "\n")
    with pytest.raises(DataError, match=r"pairs\.jsonl:2"):
        train_dpo(str(tiny_model_dir), f, tmp_path / "out", FAST)


def test_non_boolean_truncation_flag_names_file_and_line(tiny_model_dir: Path, tmp_path: Path, pairs: Any) -> None:
    bad = dict(pairs[1], chosen_truncated="false")  # a string would silently read as True
    f = tmp_path / "pairs.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [pairs[0], bad]) + "\n")
    with pytest.raises(DataError, match=r"pairs\.jsonl:2.*chosen_truncated"):
        train_dpo(str(tiny_model_dir), f, tmp_path / "out", FAST)
    assert not (tmp_path / "out").exists()


def test_long_prompts_are_dropped_and_counted(tiny_model_dir: Path, tmp_path: Path, pairs: Any) -> None:
    long = dict(pairs[0], id="long", prompt=[{"role": "user", "content": "hello world " * 200}])
    res = train_dpo(
        str(tiny_model_dir),
        [*pairs, long],
        tmp_path / "dpo",
        TrainSettings(batch_size=4, max_steps=1, max_length=64),
        merge=False,
    )
    assert res.dropped_too_long == 1 and res.rows == len(pairs)


def test_all_prompts_too_long_is_a_user_error(tiny_model_dir: Path, tmp_path: Path, pairs: Any) -> None:
    with pytest.raises(DataError, match="max-length"):
        train_dpo(str(tiny_model_dir), pairs, tmp_path / "dpo", TrainSettings(max_length=8))


def test_unknown_loss_is_a_user_error(tiny_model_dir: Path, tmp_path: Path, pairs: Any) -> None:
    with pytest.raises(UserError, match="unknown DPO loss"):
        train_dpo(str(tiny_model_dir), pairs, tmp_path / "dpo", FAST, loss="hinge2")


def test_out_of_memory_becomes_user_error() -> None:
    import torch

    from alignloop.train._common import oom_as_user_error

    with pytest.raises(UserError, match="out of memory") as e, oom_as_user_error(TrainSettings(batch_size=8)):
        raise torch.OutOfMemoryError("CUDA out of memory")
    assert e.value.hint is not None and "--batch-size 4" in e.value.hint
    with pytest.raises(RuntimeError, match="other"), oom_as_user_error(TrainSettings()):
        raise RuntimeError("other")


def test_model_without_chat_template_gets_fallback(
    tiny_model_dir: Path, tmp_path: Path, pairs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = tiny_model_dir / "tokenizer_config.json"
    data = json.loads(cfg.read_text())
    data.pop("chat_template", None)
    cfg.write_text(json.dumps(data))
    for f in tiny_model_dir.glob("chat_template.*"):
        f.unlink()
    res = train_dpo(str(tiny_model_dir), pairs, tmp_path / "dpo", FAST, merge=False)
    assert res.steps == 3
    assert "no chat template" in caplog.text


def test_compact_lm_head_scores_the_same_log_probs_on_cpu(tiny_model_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM
    from trl.trainer import utils as trl_utils

    from alignloop.train._common import compact_lm_head_on_cpu

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    trl_utils.add_fused_lm_head(model)
    ids = torch.randint(3, 60, (2, 9))
    labels = ids.clone()
    labels[:, :5] = -100  # the prompt part
    original = trl_utils._use_triton
    try:
        trl_utils._use_triton = every = lambda device: False  # TRL's own CPU path: score every position
        full = model(input_ids=ids, labels=labels, fused_lm_head=True).log_probs
        with compact_lm_head_on_cpu() as applied:
            assert applied and trl_utils._use_triton(torch.device("cpu"))
            with compact_lm_head_on_cpu():  # nested: still on, and the outer block restores
                pass
            assert trl_utils._use_triton(torch.device("cpu"))
            compact = model(input_ids=ids, labels=labels, fused_lm_head=True).log_probs
        assert trl_utils._use_triton is every  # scoped: TRL outside alignloop keeps its own behaviour
    finally:
        trl_utils._use_triton = original
    torch.testing.assert_close(compact, full)
    assert (compact[:, :4] == 0).all() and (compact[:, 5:] != 0).all()


def test_training_leaves_trl_as_it_found_it(tiny_model_dir: Path, tmp_path: Path, make_pairs: Any) -> None:
    """A TRL trainer run after alignloop's in the same process gets TRL's own head, not alignloop's switch."""
    from trl.trainer import utils as trl_utils

    from alignloop.train import TrainSettings, train_dpo

    before = trl_utils._use_triton
    s = TrainSettings(batch_size=2, max_steps=1, save_steps=10)
    train_dpo(str(tiny_model_dir), make_pairs(4), tmp_path / "dpo", s, merge=False)
    assert trl_utils._use_triton is before


def test_dpo_scores_reference_batches_in_length_order(
    tiny_model_dir: Path, tmp_path: Path, make_pairs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random

    from trl import DPOTrainer

    rows = make_pairs(40)
    for i, r in enumerate(rows):  # 16 short, 16 medium and 8 long replies, shuffled below
        words = 2 if i < 16 else 12 if i < 32 else 30
        r["chosen"][0]["content"] = "fine " * words
    random.Random(0).shuffle(rows)
    widths: list[int] = []
    original = DPOTrainer.compute_ref_log_probs

    def recording(self: Any, model: Any, inputs: Any) -> Any:
        widths.append(int(inputs["input_ids"].shape[1]))
        return original(self, model, inputs)

    monkeypatch.setattr(DPOTrainer, "compute_ref_log_probs", recording)
    train_dpo(str(tiny_model_dir), rows, tmp_path / "dpo", TrainSettings(batch_size=4, max_steps=1), merge=False)
    # batches of 16: shuffled, each would hold a long reply and pad to it; sorted, each pads to its own kind
    assert len(widths) == 3 and widths[0] < widths[1] < widths[2]


def test_dpo_batches_hold_each_label_in_proportion(
    tiny_model_dir: Path, tmp_path: Path, make_pairs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transformers import AutoTokenizer
    from trl import DPOTrainer

    rows = make_pairs(16)
    for r in rows:  # make_pairs alternates harmful and benign; sort them so input order is no help
        r["label"] = "harmful" if "bomb" in r["prompt"][0]["content"] else "benign"
    rows.sort(key=lambda r: r["label"])
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    harmful_per_batch: list[int] = []
    original = DPOTrainer._compute_loss

    def recording(self: Any, model: Any, inputs: Any, return_outputs: Any) -> Any:
        chosen = inputs["input_ids"][: len(inputs["input_ids"]) // 2]
        harmful_per_batch.append(sum("bomb" in tok.decode(ids) for ids in chosen))
        return original(self, model, inputs, return_outputs)

    monkeypatch.setattr(DPOTrainer, "_compute_loss", recording)
    settings = TrainSettings(batch_size=4, max_steps=4, save_steps=10)
    train_dpo(str(tiny_model_dir), rows, tmp_path / "dpo", settings, merge=False)
    # two groups of 8 interleave one by one, so every batch of 4 holds 2 of each
    assert harmful_per_batch == [2, 2, 2, 2]


def test_merge_scale_extrapolates_the_lora_update(tiny_model_dir: Path, tmp_path: Path, pairs: Any) -> None:
    import torch

    res = train_dpo(str(tiny_model_dir), pairs, tmp_path / "dpo", FAST)
    assert res.adapter_dir is not None and res.model_dir is not None
    doubled = merge_adapter(res.adapter_dir, tmp_path / "x2", base=str(tiny_model_dir), scale=2.0)
    base, once, twice = _weights(tiny_model_dir), _weights(res.model_dir), _weights(doubled)
    moved = [k for k in base if not (base[k] == once[k]).all()]
    assert moved  # LoRA changed the projections it adapts
    for k in moved:
        torch.testing.assert_close(twice[k] - base[k], 2 * (once[k] - base[k]), rtol=1e-4, atol=1e-5)
    full = TrainSettings(lora=False, merge_scale=1.5)
    with pytest.raises(UserError, match="merge scale"):
        train_dpo(str(tiny_model_dir), pairs, tmp_path / "full", full)
    with pytest.raises(UserError, match="merge scale"):  # refused before training, for every trainer
        train_reward_model(str(tiny_model_dir), pairs, tmp_path / "full-rm", full)
    assert not (tmp_path / "full-rm" / "checkpoints").exists()
