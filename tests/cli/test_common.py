"""The CLI's shared progress bar (``cli/_common.progress_bar``)."""

from __future__ import annotations

import pytest

from alignloop.cli._common import progress_bar


def test_progress_bar_shows_the_status_a_trainer_sets(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar("DPO + LoRA", 3) as advance:
        advance(2)
        advance.status("loss 0.412 · margin 1.73")
        advance()
    err = capsys.readouterr().err
    # the trainers find the status through getattr; the finished bar keeps the last note
    assert "3/3" in err and "loss 0.412 · margin 1.73" in err
