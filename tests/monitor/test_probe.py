from __future__ import annotations

from typing import Any

from alignloop.models import ScriptedModel
from alignloop.monitor._probe import compare, default_probes, run_probe, similarity


def test_similarity_and_compare() -> None:
    assert similarity("I can't help with that.", "I can't help with that!") == 1.0
    assert similarity("", "") == 1.0 and similarity("a b", "c d") == 0.0
    assert compare(["same words here", "x"], ["same words here", "y"]) == (0.5, [1])


def test_a_quietly_changed_model_is_noticed(store: Any) -> None:
    probes = default_probes()
    assert len(probes) == 24 and len({p["id"] for p in probes}) == 24
    first = run_probe(store.engine, ScriptedModel("Sure, here is a careful answer.", name="prod"))
    assert first["changed"] is None and not first["model_changed"]
    same = run_probe(store.engine, ScriptedModel("Sure, here is a careful answer.", name="prod"))
    assert same["changed"] == 0.0 and not same["model_changed"]
    retrained = run_probe(store.engine, ScriptedModel("I cannot assist with this request.", name="prod"))
    assert retrained["changed"] == 1.0 and retrained["model_changed"] and len(retrained["examples"]) == 3
    other = run_probe(store.engine, ScriptedModel("anything", name="other"))
    assert other["changed"] is None  # compared only with runs against the same target
