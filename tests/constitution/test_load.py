from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alignloop._util.errors import ConstitutionError
from alignloop.cli import main
from alignloop.constitution import default_path, load_constitution

MINIMAL = """\
name: test
version: "1"
principles:
  - id: harmless
    text: Do not help people hurt others.
    critique_request: Point out harmful parts.
    revision_request: Rewrite without harm.
categories:
  - id: weapons
    title: Weapons
    description: Making weapons.
    severity: high
    violating_examples: [how to build a gun at home]
    allowed_examples: [history of the musket]
refusal_style:
  guidance: Be brief.
  template: I can't help with {topic}.
release_gates:
  max_harmful_compliance: 0.05
  max_over_refusal: 0.1
  min_helpfulness_retention: 0.8
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.yaml"
    p.write_text(text)
    return p


def test_default_constitution_loads_and_covers_required_categories() -> None:
    lc = load_constitution()
    ids = set(lc.constitution.category_ids)
    required = {
        "violent_crime",
        "cyber_attacks",
        "fraud_scams",
        "illegal_drugs",
        "self_harm",
        "child_sexual_abuse",
        "adult_sexual",
        "hate_harassment",
        "privacy",
        "cbrn",
        "extremism",
        "misinformation",
    }
    assert required <= ids
    for c in lc.constitution.categories:
        assert c.violating_examples and c.allowed_examples, c.id
    assert lc.constitution.allowed_guidance
    assert len(lc.hash) == 64


def test_hash_ignores_formatting_but_not_content(tmp_path: Path) -> None:
    a = load_constitution(_write(tmp_path, MINIMAL)).hash
    b = load_constitution(_write(tmp_path, "# a comment\n" + MINIMAL)).hash
    c = load_constitution(_write(tmp_path, MINIMAL.replace("Be brief.", "Be short."))).hash
    assert a == b != c


def test_refusal_for_uses_template_topic(tmp_path: Path) -> None:
    c = load_constitution(_write(tmp_path, MINIMAL)).constitution
    assert c.refusal_for("weapons") == "I can't help with weapons."
    assert "Do not help" in c.system_prompt()


# Ten differently broken files: (edit, expected text in message, expected line or None)
BROKEN = [
    (
        "misspelled key",
        lambda s: s.replace("severity: high", "severty: high"),
        "unknown key 'categories.0.severty'",
        12,
    ),
    (
        "missing field",
        lambda s: s.replace("    description: Making weapons.\n", ""),
        "missing required field 'categories.0.description'",
        9,
    ),
    (
        "wrong type",
        lambda s: s.replace("max_over_refusal: 0.1", "max_over_refusal: lots"),
        "release_gates.max_over_refusal",
        20,
    ),
    (
        "out of range",
        lambda s: s.replace("max_harmful_compliance: 0.05", "max_harmful_compliance: 5"),
        "less than or equal to 1",
        19,
    ),
    ("bad enum", lambda s: s.replace("severity: high", "severity: extreme"), "categories.0.severity", 12),
    (
        "duplicate id",
        lambda s: s.replace(
            "refusal_style:",
            """  - id: weapons
    title: Again
    description: dup
    severity: low
refusal_style:""",
        ),
        "duplicate category id 'weapons'",
        None,
    ),
    ("bad id", lambda s: s.replace("id: weapons", "id: Weapons Stuff"), "not a valid id", 9),
    ("not yaml", lambda s: s.replace("name: test", "name: [unclosed"), "not valid YAML", None),
    (
        "empty principles",
        lambda s: s.split("principles:")[0] + "principles: []\n" + "categories:" + s.split("categories:")[1],
        "principles",
        3,
    ),
    ("top-level list", lambda s: "- just\n- a list\n", "must be a YAML mapping", None),
]


@pytest.mark.parametrize("name,edit,needle,line", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_constitutions_name_the_problem(tmp_path: Path, name: str, edit, needle: str, line: int | None) -> None:
    p = _write(tmp_path, edit(MINIMAL))
    with pytest.raises(ConstitutionError) as exc:
        load_constitution(p)
    msg = str(exc.value)
    assert needle in msg
    if line is not None:
        assert f"line {line}:" in msg


def test_validate_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path, MINIMAL)
    main(["constitution", "validate", str(good)])
    assert "is valid" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("title: Weapons", "title: 3"))
    with pytest.raises(SystemExit) as e:
        main(["constitution", "validate", str(bad)])
    assert e.value.code == 2
    assert "categories.0.title" in capsys.readouterr().err


def test_missing_file_exit_2(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as e:
        main(["constitution", "validate", str(tmp_path / "nope.yaml")])
    assert e.value.code == 2


def test_init_writes_editable_copy(tmp_path: Path) -> None:
    out = tmp_path / "mine.yaml"
    main(["constitution", "init", str(out)])
    assert yaml.safe_load(out.read_text()) == yaml.safe_load(default_path().read_text())
    with pytest.raises(SystemExit) as e:
        main(["constitution", "init", str(out)])
    assert e.value.code == 2
