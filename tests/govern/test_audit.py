"""The hash chain: export, verify, and every single-byte change, deletion and swap detected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from alignloop.cli import cli
from alignloop.govern import append_audit, export_audit, verify_file, verify_store
from alignloop.store import AuditRow, RunStore


def _fill(store: RunStore, n: int = 5) -> None:
    with Session(store.engine) as s, s.begin():
        for i in range(n):
            append_audit(
                s,
                actor="ana" if i % 2 else "alignloop",
                action=f"test.act{i}",
                subject=f"subj-{i}",
                details={"i": i, "text": "ünïcode ✓" if i == 2 else "plain", "x": [0.5, None, True]},
            )


def _export(store: RunStore, path: Path) -> list[bytes]:
    with Session(store.engine) as s:
        export_audit(s, path)
    return path.read_bytes().split(b"\n")[:-1]


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_export_of_an_intact_log_verifies(store: RunStore, tmp_path: Path) -> None:
    _fill(store)
    lines = _export(store, tmp_path / "a.jsonl")
    assert len(lines) == 6 and json.loads(lines[-1])["kind"] == "end"
    res = verify_file(tmp_path / "a.jsonl")
    assert res.ok and res.entries == 5
    with Session(store.engine) as s:
        assert verify_store(s).ok


def test_every_single_byte_change_is_detected_at_its_entry(store: RunStore, tmp_path: Path) -> None:
    _fill(store)
    lines = _export(store, tmp_path / "a.jsonl")
    target = tmp_path / "t.jsonl"
    tried = 0
    for i, line in enumerate(lines):
        for pos in range(len(line)):
            changed = bytearray(line)
            changed[pos] ^= 0x01  # flips one bit: a different byte at every position
            res = verify_file(_write(target, [*lines[:i], bytes(changed), *lines[i + 1 :]]))
            assert not res.ok, (i, pos, bytes(changed))
            assert res.bad_line == i + 1, (i, pos, res)
            tried += 1
    assert tried == sum(len(x) for x in lines)


def test_changing_a_newline_is_detected(store: RunStore, tmp_path: Path) -> None:
    _fill(store, 3)
    data = b"\n".join(_export(store, tmp_path / "a.jsonl")) + b"\n"
    for pos in [i for i, b in enumerate(data) if b == 0x0A]:
        (tmp_path / "t.jsonl").write_bytes(data[:pos] + b" " + data[pos + 1 :])
        assert not verify_file(tmp_path / "t.jsonl").ok


def test_every_deleted_entry_is_detected(store: RunStore, tmp_path: Path) -> None:
    _fill(store)
    lines = _export(store, tmp_path / "a.jsonl")
    for i in range(len(lines)):
        res = verify_file(_write(tmp_path / "t.jsonl", lines[:i] + lines[i + 1 :]))
        assert not res.ok, i
        # the entry after the gap is named (or the end line, when the last entry or the end line went)
        assert res.bad_line == min(i + 1, len(lines)), (i, res)


def test_every_swap_of_two_entries_is_detected(store: RunStore, tmp_path: Path) -> None:
    _fill(store)
    lines = _export(store, tmp_path / "a.jsonl")
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            swapped = list(lines)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            res = verify_file(_write(tmp_path / "t.jsonl", swapped))
            assert not res.ok and res.bad_line == i + 1, (i, j, res)


def test_tampering_in_the_store_names_the_first_bad_entry(store: RunStore) -> None:
    _fill(store)
    with Session(store.engine) as s, s.begin():
        s.execute(update(AuditRow).where(AuditRow.seq == 3).values(actor="mallory"))
    with Session(store.engine) as s:
        res = verify_store(s)
    assert not res.ok and res.bad_seq == 3 and "edited" in res.reason
    with Session(store.engine) as s, s.begin():
        s.execute(delete(AuditRow).where(AuditRow.seq.in_([3])))
    with Session(store.engine) as s:
        res = verify_store(s)
    assert not res.ok and res.bad_seq == 4 and "deleted or moved" in res.reason


def test_hmac_chain_needs_the_key_and_resists_a_recomputed_plain_chain(
    store: RunStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alignloop.govern._audit import entry_digest

    monkeypatch.setenv("ALIGNLOOP_AUDIT_KEY", "s3cret")
    _fill(store, 3)
    lines = _export(store, tmp_path / "a.jsonl")
    assert verify_file(tmp_path / "a.jsonl", b"s3cret").ok
    assert not verify_file(tmp_path / "a.jsonl", b"wrong").ok
    res = verify_file(tmp_path / "a.jsonl", None)
    assert res.needs_key and "ALIGNLOOP_AUDIT_KEY" in res.reason
    monkeypatch.delenv("ALIGNLOOP_AUDIT_KEY")
    from alignloop._util.errors import UserError

    got = CliRunner().invoke(cli, ["audit", "verify", "--file", str(tmp_path / "a.jsonl")])
    assert isinstance(got.exception, UserError)  # exit 2: a missing key is not tampering
    monkeypatch.setenv("ALIGNLOOP_AUDIT_KEY", "s3cret")
    # someone who can write the file but has no key edits entry 2 and recomputes a plain SHA-256 chain
    entries = [json.loads(x) for x in lines]
    entries[1]["actor"] = "mallory"
    prev = entries[0]["hash"]
    for e in entries[1:-1]:
        e["prev_hash"], e["keyed"] = prev, False
        e["hash"] = prev = entry_digest(e, None)
    end = entries[-1]
    end["prev_hash"], end["keyed"] = prev, False
    end["hash"] = entry_digest(end, None)
    forged = _write(
        tmp_path / "f.jsonl", [json.dumps(e, ensure_ascii=False, separators=(",", ":")).encode() for e in entries]
    )
    res = verify_file(forged, b"s3cret")
    assert not res.ok and res.bad_line == 2
    # ... and a chain forged plain from the first entry on passes only without --require-keyed
    entries[0]["keyed"] = False
    entries[0]["hash"] = prev = entry_digest(entries[0], None)
    for e in entries[1:]:
        e["prev_hash"] = prev
        e["hash"] = prev = entry_digest(e, None)
    forged = _write(
        tmp_path / "f.jsonl", [json.dumps(e, ensure_ascii=False, separators=(",", ":")).encode() for e in entries]
    )
    assert verify_file(forged, b"s3cret").ok
    assert not verify_file(forged, b"s3cret", require_keyed=True).ok


def test_cli_export_and_verify_exit_codes(store: RunStore, tmp_path: Path) -> None:
    _fill(store, 4)
    r = CliRunner()
    out = tmp_path / "audit.jsonl"
    res = r.invoke(cli, ["audit", "export", "-o", str(out)])
    assert res.exit_code == 0, res.output
    res = r.invoke(cli, ["audit", "verify", "--file", str(out)])
    assert res.exit_code == 0 and "intact: 4 entries" in res.output
    assert r.invoke(cli, ["audit", "verify"]).exit_code == 0
    lines = out.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"test.act2", b"test.act9")
    out.write_bytes(b"\n".join(lines))
    res = r.invoke(cli, ["audit", "verify", "--file", str(out)])
    assert res.exit_code == 1 and "line 3" in res.output and "entry #3" in res.output
    res = r.invoke(cli, ["audit", "show", "--json", "--action", "test.*", "--limit", "2"])
    assert [e["seq"] for e in json.loads(res.output)] == [4, 3]


def test_cli_verify_of_a_missing_file_is_a_user_error(tmp_path: Path) -> None:
    from alignloop.cli import main

    with pytest.raises(SystemExit) as e:
        main(["audit", "verify", "--file", str(tmp_path / "nope.jsonl")])
    assert e.value.code == 2
