"""The constitution's monitoring: section is validated as strictly as the rest, and stays out of the hash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from alignloop._util.errors import ConstitutionError
from alignloop.constitution import load_constitution
from alignloop.constitution._load import default_path
from alignloop.constitution._monitoring import parse_duration


def _write(tmp_path: Path, edit: Any) -> Path:
    data = yaml.safe_load(default_path().read_text(encoding="utf-8"))
    edit(data["monitoring"])
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump(data), encoding="utf-8")
    return p


def test_default_rules_load() -> None:
    mon = load_constitution(None).constitution.monitoring
    assert mon.window == "1h" and {r.name for r in mon.rules} >= {"harmful_outputs", "input_drift"}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.update(windw="1h"), "unknown key 'monitoring.windw'"),
        (lambda m: m.update(window="soon"), "not a duration"),
        (lambda m: m["rules"].append({"name": "x", "metric": "violence", "above": 0.1}), "unknown metric 'violence'"),
        (lambda m: m["rules"].append({"name": "x", "metric": "violation.nope", "above": 0.1}), "unknown category"),
        (lambda m: m["rules"].append({"name": "x", "metric": "refusal"}), "needs above"),
        (lambda m: m["rules"].append({"name": "x", "metric": "refusal", "above": 2.0}), "between 0 and 1"),
        (lambda m: m["rules"].append({"name": "x", "drift": "input", "channels": ["pager"]}), "unknown channels"),
        (lambda m: m["channels"].append({"name": "hook", "type": "webhook"}), "needs a url"),
        (lambda m: m["rules"].append({"name": "harmful_outputs", "drift": "input"}), "duplicate rule names"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, edit: Any, message: str) -> None:
    with pytest.raises(ConstitutionError, match=message):
        load_constitution(_write(tmp_path, edit))


def test_rules_do_not_change_the_hash(tmp_path: Path) -> None:
    edited = load_constitution(_write(tmp_path, lambda m: m["rules"].pop()))
    assert edited.hash == load_constitution(None).hash


def test_durations() -> None:
    assert parse_duration("90d").days == 90 and parse_duration("15m").seconds == 900
    with pytest.raises(ValueError):
        parse_duration("0h")
