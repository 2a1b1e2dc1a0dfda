from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from alignloop.cli import COMMANDS, main


def test_help_is_lazy() -> None:
    code = (
        "import sys; from alignloop.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'transformers', 'trl', 'sentence_transformers', 'sqlalchemy')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out
    for name in ("constitution", "models", "data"):
        assert name in out


def test_every_registered_group_imports() -> None:
    import importlib
    import importlib.util

    for target, _ in COMMANDS.values():
        mod, _, attr = target.partition(":")
        if importlib.util.find_spec(mod) is not None:
            assert hasattr(importlib.import_module(mod), attr), target


def _scripted_generate(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    seen: list[int] = []

    class Fake:
        name = "fake"

        def generate(self, convs, cfg):  # type: ignore[no-untyped-def]
            seen.append(cfg.max_new_tokens)
            return ["ok"]

    monkeypatch.setattr("alignloop.models.load_model", lambda spec: Fake())
    return seen


def test_option_from_env_and_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen = _scripted_generate(monkeypatch)
    monkeypatch.setenv("ALIGNLOOP_MODELS_GENERATE_MAX_NEW_TOKENS", "7")
    main(["models", "generate", "--prompt", "hi"])
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("models:\n  generate:\n    max_new_tokens: 9\n")
    monkeypatch.delenv("ALIGNLOOP_MODELS_GENERATE_MAX_NEW_TOKENS")
    main(["--config", str(cfg), "models", "generate", "--prompt", "hi"])
    main(["--config", str(cfg), "models", "generate", "--prompt", "hi", "--max-new-tokens", "3"])
    assert seen == [7, 9, 3]  # env, config file, flag
    assert capsys.readouterr().out.count("ok") == 3


def test_bad_option_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["models", "generate", "--prompt", "hi", "--max-new-tokens", "0"])
    assert e.value.code == 2


class _WrappedWriteError(Exception):
    """Stands in for safetensors' error, which carries only the text of the OSError."""


@pytest.mark.parametrize(
    ("exc", "where"),
    [
        (OSError(28, "No space left on device", "/runs/x/model.bin"), "while writing /runs/x/model.bin"),
        (_WrappedWriteError("Error while serializing: I/O error: No space left on device (os error 28)"), ""),
    ],
)
def test_full_disk_is_one_message_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], exc: Exception, where: str
) -> None:
    def full(spec: str) -> None:
        raise exc

    monkeypatch.setattr("alignloop.models.load_model", full)
    with pytest.raises(SystemExit) as e:
        main(["models", "generate", "--prompt", "hi"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "no space left on device" in err and where in err and "Traceback" not in err
    assert "rerun the same command" in err


def test_other_errors_still_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(spec: str) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr("alignloop.models.load_model", broken)
    with pytest.raises(OSError, match="Input/output"):
        main(["models", "generate", "--prompt", "hi"])
