"""The detector registry is what the guard runs: plugins, errors named per detector, no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from alignloop.guard import DETECTORS, Batch, Guard, Reason


class Shouting:
    name = "test-shouting"

    @classmethod
    def for_guard(cls, guard: Any) -> Shouting:
        return cls()

    def run(self, batch: Batch) -> None:
        for text, found in zip(batch.texts, batch.found, strict=True):
            if text.isupper():
                found.reasons.append(Reason("test-shouting", "shouting", 1.0, 1.0, action="flag"))


class Broken:
    name = "test-broken"

    @classmethod
    def for_guard(cls, guard: Any) -> Broken:
        return cls()

    def run(self, batch: Batch) -> None:
        raise RuntimeError("kaput")


@pytest.fixture(autouse=True)
def plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the test plugins for one test only: the registry is process-wide."""
    monkeypatch.setitem(DETECTORS._items, "test-shouting", Shouting)
    monkeypatch.setitem(DETECTORS._items, "test-broken", Broken)


def test_a_registered_plugin_runs_in_every_check(hash_artifact: Any) -> None:
    g = Guard.load(artifact=hash_artifact, detectors=["category", "injection", "pii", "test-shouting"])
    assert [d.name for d in g.detectors][-1] == "test-shouting"
    loud, calm = g.check_inputs(["WHERE IS MY PARCEL", "where is my parcel"])
    assert any(r.detector == "test-shouting" for r in loud.reasons) and loud.action == "flag"
    assert not any(r.detector == "test-shouting" for r in calm.reasons)


def test_default_pipeline_includes_registered_plugins(hash_artifact: Any) -> None:
    names = [d.name for d in Guard.load(artifact=hash_artifact).detectors]
    assert names[:6] == ["refusal", "category", "context", "injection", "pii", "llm_judge"]
    assert "test-shouting" in names and "test-broken" in names


@pytest.mark.parametrize(("mode", "action"), [("closed", "block"), ("open", "allow")])
def test_an_erroring_plugin_is_named_and_fail_mode_applies(hash_artifact: Any, mode: str, action: str) -> None:
    g = Guard.load(artifact=hash_artifact, fail_mode=mode, detectors=["category", "pii", "test-broken"])
    d = g.check_output("hi", "hello there")
    errs = [r for r in d.reasons if r.category == "detector_error"]
    assert [r.detector for r in errs] == ["test-broken"] and "kaput" in errs[0].note
    assert d.action == action


def test_unknown_detector_is_a_user_error(hash_artifact: Any) -> None:
    from alignloop._util.errors import UserError

    with pytest.raises(UserError, match="unknown detector"):
        Guard.load(artifact=hash_artifact, detectors=["nope"])


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("alignloop.guard._"):
            out.add(node.module.rsplit(".", 1)[1])
    return out


def _top_level_imports(path: Path) -> set[str]:
    out = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        nodes = [node] + (list(ast.walk(node)) if isinstance(node, ast.If) else [])
        for n in nodes:
            if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("alignloop.guard._"):
                out.add(n.module.rsplit(".", 1)[1])
    return out


def test_guard_modules_import_no_cycle() -> None:
    import alignloop.guard as pkg

    folder = Path(pkg.__file__).parent
    # module-level imports (TYPE_CHECKING blocks included); _refusal's lazy import of _artifact in
    # RefusalDetector.load belongs to the refusal module's owner and is not module-level
    graph = {p.stem: _top_level_imports(p) for p in folder.glob("_*.py") if p.stem != "__init__"}
    for mod in ("_guard", "_stream", "_detectors", "_artifact", "_meta"):
        graph[mod] = _imports(folder / f"{mod}.py")  # these have no lazy back-edges either

    def visit(m: str, path: list[str]) -> None:
        assert m not in path, " -> ".join([*path, m])
        for n in graph.get(m, ()):
            visit(n, [*path, m])

    for m in graph:
        visit(m, [])


class Blocker:
    name = "test-blocker"

    @classmethod
    def for_guard(cls, guard: Any) -> Blocker:
        return cls()

    def run(self, batch: Batch) -> None:
        for text, found in zip(batch.texts, batch.found, strict=True):
            if "forbidden" in text:
                found.reasons.append(Reason("test-blocker", "violent_crime", 1.0, 0.5, action="block"))


def _judged(hash_artifact: Any, monkeypatch: pytest.MonkeyPatch, judge_on: str) -> tuple[Guard, Any]:
    from alignloop.guard import LlmJudge
    from alignloop.models import ScriptedModel

    monkeypatch.setitem(DETECTORS._items, "test-blocker", Blocker)
    model = ScriptedModel(lambda conv: "unsafe: cbrn" if "spores" in conv[-1]["content"] else "safe")
    g = Guard.load(artifact=hash_artifact, detectors=["test-blocker", "llm_judge"], judge_on=judge_on)
    g.judge = LlmJudge(model, g.constitution.constitution)
    return g, model


def test_the_judge_is_asked_only_about_texts_nothing_else_blocks(
    hash_artifact: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    g, model = _judged(hash_artifact, monkeypatch, "both")
    blocked, judged, fine = g.check_inputs(["a forbidden spores request", "growing spores at home", "hello"])
    asked = [c[-1]["content"] for c in model.calls]
    assert len(asked) == 2 and not any("forbidden" in a for a in asked)  # the blocked text never reaches it
    assert not any(r.detector == "llm_judge" for r in blocked.reasons) and blocked.action == "block"
    assert [r.category for r in judged.reasons if r.detector == "llm_judge"] == ["cbrn"] and judged.action == "block"
    assert fine.action == "allow"


@pytest.mark.parametrize(("side", "inputs", "outputs"), [("input", 1, 0), ("output", 0, 1), ("both", 1, 1)])
def test_judge_on_picks_the_sides_the_judge_checks(
    hash_artifact: Any, monkeypatch: pytest.MonkeyPatch, side: str, inputs: int, outputs: int
) -> None:
    g, model = _judged(hash_artifact, monkeypatch, side)
    d_in = g.check_input("growing spores at home")
    assert len(model.calls) == inputs
    d_out = g.check_output("hi", "spores grow in damp bread")
    assert len(model.calls) == inputs + outputs
    assert (d_in.action, d_out.action) == ("block" if inputs else "allow", "block" if outputs else "allow")


def test_judge_on_must_name_a_side(hash_artifact: Any) -> None:
    from alignloop._util.errors import UserError

    with pytest.raises(UserError, match="judge_on"):
        Guard.load(artifact=hash_artifact, judge_on="sideways")
