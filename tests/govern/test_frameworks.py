"""Framework data and the constitution's strictly validated `frameworks:` field."""

from __future__ import annotations

from pathlib import Path

import pytest

from alignloop._util.errors import ConstitutionError
from alignloop.constitution import default_path, load_constitution
from alignloop.govern import FRAMEWORKS
from alignloop.govern._evidence import EVIDENCE_KINDS


def test_frameworks_have_the_items_the_issue_names() -> None:
    assert [i.id for i in FRAMEWORKS["eu-ai-act"].items] == [f"annex-iv-{n}" for n in range(1, 10)]
    assert len(FRAMEWORKS["nist-ai-600-1"].items) == 12
    assert all(i.id.startswith("a.") for i in FRAMEWORKS["iso-42001"].items)
    for fw in FRAMEWORKS.values():
        for it in fw.items:
            assert set(it.evidence) <= set(EVIDENCE_KINDS), it.id
            assert it.full or it.outside, f"{it.id}: a partial-only item must say what lies outside"


def test_every_default_category_maps_to_known_items() -> None:
    c = load_constitution().constitution
    assert all(cat.frameworks for cat in c.categories)
    assert "nist-ai-600-1:cbrn" in c.category("cbrn").frameworks


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("nist-ai-600-1:cbrm", "has no item 'cbrm'"),
        ("gdpr:art-5", "FRAMEWORK:ITEM"),
        ("cbrn", "FRAMEWORK:ITEM"),
    ],
)
def test_a_bad_reference_names_the_line_and_the_choices(tmp_path: Path, ref: str, message: str) -> None:
    text = default_path().read_text().replace("frameworks: [nist-ai-600-1:cbrn,", f"frameworks: [{ref},", 1)
    (tmp_path / "c.yaml").write_text(text)
    with pytest.raises(ConstitutionError) as e:
        load_constitution(tmp_path / "c.yaml")
    (problem,) = e.value.problems
    line = next(i for i, t in enumerate(text.splitlines(), 1) if f"frameworks: [{ref}," in t)
    assert problem.startswith(f"line {line}: ") and "frameworks" in problem and message in problem


def test_frameworks_do_not_change_the_content_hash(tmp_path: Path) -> None:
    text = "\n".join(line for line in default_path().read_text().splitlines() if "frameworks: [" not in line)
    (tmp_path / "c.yaml").write_text(text)
    assert load_constitution(tmp_path / "c.yaml").hash == load_constitution().hash
    dup = (
        default_path()
        .read_text()
        .replace("frameworks: [nist-ai-600-1:cbrn,", "frameworks: [nist-ai-600-1:cbrn, nist-ai-600-1:cbrn,", 1)
    )
    (tmp_path / "d.yaml").write_text(dup)
    with pytest.raises(ConstitutionError, match="duplicate"):
        load_constitution(tmp_path / "d.yaml")
