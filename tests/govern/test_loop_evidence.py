"""The contract with `alignloop run`: a folder it wrote gets a card, and its evidence enters the register."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from huggingface_hub import ModelCard


@pytest.fixture
def keyword_judge(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard needs trained artifacts; a keyword judge keeps the test self-contained (as in tests/loop)."""
    import alignloop.evals as ev

    monkeypatch.setattr(ev, "make_judge", lambda spec, constitution, model=None: ev.KeywordJudge())


def test_real_loop_folder_gets_a_card_and_register_evidence(
    tiny_model_dir: Path, tmp_path: Path, keyword_judge: None
) -> None:
    import torch

    from alignloop.cli import cli
    from alignloop.govern import audit_entries, compliance_report
    from alignloop.loop import run_loop
    from alignloop.store import RunStore

    torch.set_num_threads(1)
    out = tmp_path / "run"
    run_loop(out, str(tiny_model_dir), limit=4, steer_target=0)
    res = CliRunner().invoke(cli, ["card", str(out), "-o", str(tmp_path / "README.md")])
    assert res.exit_code == 0, res.output
    card = ModelCard.load(tmp_path / "README.md")
    after = json.loads((out / "summary.json").read_text())["metrics"]["after"]
    assert {r.metric_type: r.metric_value for r in card.data.eval_results} == {
        k: v for k, v in after.items() if v is not None
    }
    assert card.data.base_model is None  # a local folder has no hub id
    with RunStore.open() as store:
        rep = compliance_report(store, ["eu-ai-act"])
        from sqlalchemy.orm import Session

        with Session(store.engine) as s:
            actions = {e["action"] for e in audit_entries(s)}
    assert {"constitution.change", "run.finish", "gates.result", "card.write"} <= actions
    items = {i["id"]: i for i in rep["frameworks"][0]["items"]}
    assert items["annex-iv-4"]["status"] == "evidenced"
    assert Path(items["annex-iv-4"]["evidence"]["evals"][0]["path"]).is_file()
