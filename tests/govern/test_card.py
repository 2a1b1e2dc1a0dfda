"""The model card: huggingface_hub parses it and its model-index equals summary.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from huggingface_hub import ModelCard

from alignloop._util.errors import UserError
from alignloop.cli import cli
from alignloop.govern import build_card


def _check(card_path: Path, run_dir: Path) -> ModelCard:
    summary = json.loads((run_dir / "summary.json").read_text())
    card = ModelCard.load(card_path)
    results = card.data.eval_results
    after = {k: v for k, v in summary["metrics"]["after"].items() if v is not None}
    assert {r.metric_type: r.metric_value for r in results} == after
    return card


def test_card_parses_and_model_index_equals_summary(loop_run: tuple[str, Path], tmp_path: Path) -> None:
    _, run_dir = loop_run
    res = CliRunner().invoke(cli, ["card", str(run_dir), "-o", str(tmp_path / "README.md")])
    assert res.exit_code == 0, res.output
    card = _check(tmp_path / "README.md", run_dir)
    assert card.data.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct" and card.data.license == "apache-2.0"
    assert "alignloop" in card.data.tags
    eval_after = json.loads((run_dir / "eval_after" / "summary.json").read_text())
    harm = next(r for r in card.data.eval_results if r.metric_type == "harmful_compliance")
    want = eval_after["suites"]["harmful_compliance"]["overall"]
    assert harm.metric_args["ci_low"] == want["ci_low"] and harm.metric_args["ci_high"] == want["ci_high"]
    assert harm.dataset_split == "dev"
    text = card.text
    for section in (
        "Intended use",
        "Out-of-scope use",
        "Training data",
        "Evaluation",
        "Red-team summary",
        "Limitations",
        "Monitoring plan",
    ):
        assert f"## {section}" in text
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["constitution_hash"] in text
    import hashlib

    assert hashlib.sha256((run_dir / "data" / "pairs.jsonl").read_bytes()).hexdigest() in text
    assert "25.0%" in text  # the red-team's attack success rate


def test_card_of_a_folder_that_is_no_run_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"summary\.json"):
        build_card(tmp_path)
    res = CliRunner().invoke(cli, ["card", str(tmp_path / "missing"), "-o", str(tmp_path / "x.md")])
    assert isinstance(res.exception, UserError) and not (tmp_path / "x.md").exists()


def test_card_writing_is_audited(loop_run: tuple[str, Path], tmp_path: Path) -> None:
    from sqlalchemy.orm import Session

    from alignloop.govern import audit_entries, write_card
    from alignloop.store import RunStore

    rid, run_dir = loop_run
    write_card(run_dir, tmp_path / "card.md")
    with RunStore.open() as store, Session(store.engine) as s:
        (e,) = audit_entries(s, action="card.write")
    assert e["subject"] == rid and e["details"]["card"] == str((tmp_path / "card.md").resolve())
