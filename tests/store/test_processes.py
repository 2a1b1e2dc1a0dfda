from __future__ import annotations

import subprocess
import sys

from alignloop.store import RunStore

# each writer opens the (still empty) database itself, so the first-open migrations race too
_WRITER = """
import sys
from alignloop.store import RunStore
store = RunStore.open(sys.argv[1])
for i in range(15):
    run_id = store.start_run("eval", "proc" + sys.argv[2], "h", {"i": i})
    store.log_metrics(run_id, {"i": float(i)})
    store.log_metrics(run_id, {"j": float(i)})
    store.finish_run(run_id)
"""


def test_concurrent_processes_lose_no_rows(db_url: str) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, db_url, str(p)], stderr=subprocess.PIPE, text=True)
        for p in range(3)
    ]
    errs = [p.communicate(timeout=120)[1] for p in procs]
    # the joined text, not the list: pytest cuts a long list repr before the reason of a failure
    assert [p.returncode for p in procs] == [0, 0, 0], "\n".join(errs)
    with RunStore.open(db_url) as store:
        runs = store.list(limit=1000)
    assert len(runs) == 45
    assert {r.model for r in runs} == {"proc0", "proc1", "proc2"}
    assert all(r.status == "completed" and r.metrics == {"i": r.config["i"], "j": r.config["i"]} for r in runs)


_STARTER = """
import sys
from alignloop.store import RunStore
print(RunStore.open(sys.argv[1]).start_run("loop", "default", "h", {"n": 1}))
"""


def test_run_of_a_dead_process_reads_interrupted_and_can_be_resumed(db_url: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _STARTER, db_url], capture_output=True, text=True, timeout=120, check=True
    )
    run_id = out.stdout.strip().splitlines()[-1]
    with RunStore.open(db_url) as store:
        mine = store.start_run("eval", "default", "h", {})
        assert store.get(mine).status == "running"  # this process is alive
        info = store.get(run_id)
        assert info.status == "interrupted" and info.config == {"n": 1}
        assert [r.id for r in store.list(status="interrupted")] == [run_id]
        assert run_id not in [r.id for r in store.list(status="running")]
        store.resume_run(run_id)
        assert store.get(run_id).status == "running"
        store.finish_run(run_id)
        assert store.get(run_id).status == "completed"
