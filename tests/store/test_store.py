from __future__ import annotations

import math
import threading
from datetime import timezone
from pathlib import Path

import pytest

from alignloop._util.errors import UserError
from alignloop.store import RunNotFoundError, RunStore


def _start(store: RunStore, kind: str = "eval", **kw: object) -> str:
    return store.start_run(kind, "default", "c0ffee" * 4, {"suites": ["harmful"], "seed": 1}, **kw)  # type: ignore[arg-type]


def test_start_log_finish_get(store: RunStore, tmp_path: Path) -> None:
    out = tmp_path / "eval-1"
    run_id = store.start_run(
        "eval",
        "HuggingFaceTB/SmolLM2-135M-Instruct",
        "ab" * 32,
        {"suites": ["harmful"], "path": tmp_path},
        output_dir=out,
        name="baseline",
    )
    assert len(run_id) == 32
    running = store.get(run_id)
    assert running.status == "running"
    assert running.finished_at is None and running.duration_s is None
    store.log_metrics(run_id, {"harmful_compliance": 0.25, "over_refusal": 0.1})
    store.finish_run(run_id)

    info = store.get(run_id)
    assert info.id == run_id
    assert (info.kind, info.status, info.name) == ("eval", "completed", "baseline")
    assert info.model == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert info.constitution_hash == "ab" * 32
    # non-JSON values (a Path) are stored as strings, the rest as given
    assert info.config == {"suites": ["harmful"], "path": str(tmp_path)}
    assert info.metrics == {"harmful_compliance": 0.25, "over_refusal": 0.1}
    assert info.output_dir == str(out)
    assert info.error is None
    assert info.started_at.tzinfo is not None and info.started_at.utcoffset() == timezone.utc.utcoffset(None)
    assert info.finished_at is not None and info.finished_at >= info.started_at
    assert info.duration_s == pytest.approx((info.finished_at - info.started_at).total_seconds(), abs=1e-3)


def test_metrics_merge_and_overwrite(store: RunStore) -> None:
    run_id = _start(store)
    store.log_metrics(run_id, {"a": 1.0, "b": 2})
    store.log_metrics(run_id, {"b": 3.5, "c": float("nan")})
    store.log_metrics(run_id, {})
    m = store.get(run_id).metrics
    assert m["a"] == 1.0 and m["b"] == 3.5
    assert math.isnan(m["c"])
    assert set(m) == {"a", "b", "c"}
    assert store.get(run_id).to_dict()["metrics"]["c"] is None


def test_metric_values_must_be_numbers(store: RunStore) -> None:
    run_id = _start(store)
    with pytest.raises(TypeError, match="'acc'"):
        store.log_metrics(run_id, {"acc": "high"})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        store.log_metrics(run_id, {"": 1.0})
    assert store.get(run_id).metrics == {}


def test_artifacts_are_absolute_and_replaceable(
    store: RunStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run_id = _start(store)
    store.add_artifact(run_id, "report", "out/report.html")
    store.add_artifact(run_id, "model", tmp_path / "model")
    store.add_artifact(run_id, "report", "out/report2.html")
    assert store.get(run_id).artifacts == {
        "model": str(tmp_path / "model"),
        "report": str(tmp_path / "out" / "report2.html"),
    }


def test_failed_run_keeps_error(store: RunStore) -> None:
    run_id = _start(store, kind="train")
    store.finish_run(run_id, "failed", error="CUDA out of memory")
    info = store.get(run_id)
    assert info.status == "failed" and info.error == "CUDA out of memory"
    assert info.duration_s is not None
    with pytest.raises(ValueError, match="already failed"):
        store.finish_run(run_id)
    with pytest.raises(ValueError):
        store.finish_run(_start(store), status="running")


def test_record_context_manager(store: RunStore) -> None:
    with store.record("data", "default", "h", {"n": 3}) as ok_id:
        store.log_metrics(ok_id, {"rows": 3})
    assert store.get(ok_id).status == "completed"

    with pytest.raises(RuntimeError, match="disk full"), store.record("train", "default", "h", {}) as bad_id:
        raise RuntimeError("disk full")
    bad = store.get(bad_id)
    assert bad.status == "failed"
    assert bad.error is not None and "RuntimeError: disk full" in bad.error and "Traceback" in bad.error

    with pytest.raises(UserError), store.record("eval", "default", "h", {}) as user_id:
        raise UserError("no such file: x.jsonl", hint="check the path")
    assert store.get(user_id).error == "UserError: no such file: x.jsonl\n  fix: check the path"


def test_unknown_kind_and_unknown_run(store: RunStore) -> None:
    with pytest.raises(ValueError, match="unknown run kind"):
        store.start_run("bake", "m", "h", {})
    with pytest.raises(RunNotFoundError):
        store.get("0123456789abcdef")
    with pytest.raises(RunNotFoundError):
        store.log_metrics("0123456789abcdef", {"a": 1.0})
    with pytest.raises(RunNotFoundError):
        store.add_artifact("0123456789abcdef", "x", "y")
    with pytest.raises(RunNotFoundError):
        store.finish_run("0123456789abcdef")


def test_prefix_lookup(store: RunStore) -> None:
    # 17 ids over 16 hex digits: at least two share their first character (pigeonhole)
    ids = [_start(store) for _ in range(17)]
    target = ids[0]
    assert store.get(target[:10]).id == target
    assert store.get(target.upper()).id == target
    by_first: dict[str, list[str]] = {}
    for i in ids:
        by_first.setdefault(i[0], []).append(i)
    shared = next(p for p, group in by_first.items() if len(group) > 1)
    with pytest.raises(RunNotFoundError, match="several runs"):
        store.get(shared)
    # LIKE wildcards in a prefix are literal characters, never patterns
    for pattern in ("%", "_", ""):
        with pytest.raises(RunNotFoundError):
            store.get(pattern)


def test_list_filters_order_and_limit(store: RunStore) -> None:
    evals = [_start(store, kind="eval") for _ in range(3)]
    train = _start(store, kind="train")
    store.finish_run(evals[0], "failed", error="x")
    listed = store.list()
    assert [r.id for r in listed] == [train, *reversed(evals)]  # newest first
    assert [r.id for r in store.list(kind="eval", limit=2)] == [evals[2], evals[1]]
    assert [r.id for r in store.list(status="failed")] == [evals[0]]
    assert store.list(kind="guard") == []


def test_threads_share_one_store(store: RunStore) -> None:
    run_id = _start(store)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(10):
                store.log_metrics(run_id, {f"t{t}_m{i}": float(i), "shared": float(t)})
                store.add_artifact(run_id, f"t{t}", f"/tmp/{t}/{i}")
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    info = store.get(run_id)
    assert len(info.metrics) == 4 * 10 + 1
    assert info.metrics["shared"] in {0.0, 1.0, 2.0, 3.0}
    assert info.artifacts == {f"t{t}": f"/tmp/{t}/9" for t in range(4)}
