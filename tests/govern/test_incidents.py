"""Incidents: open, update, close with a timeline, linked traces, audit entries and CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from alignloop._util.errors import UserError
from alignloop.cli import cli
from alignloop.govern import (
    audit_entries,
    close_incident,
    get_incident,
    list_incidents,
    open_incident,
    update_incident,
)
from alignloop.store import RunStore


def test_incident_lifecycle_keeps_a_timeline(store: RunStore) -> None:
    with Session(store.engine) as s, s.begin():
        inc = open_incident(
            s,
            title="PII in a reply",
            category="data_leak",
            severity="high",
            actor="alert:pii",
            source="alert",
            alert_id="a1",
            trace_ids=["t1", "t1"],
        )
    assert inc.status == "open" and inc.trace_ids == ["t1"] and inc.events[0]["kind"] == "open"
    with Session(store.engine) as s, s.begin():
        update_incident(s, inc.id[:12], actor="ana", status="acknowledged", trace_ids=["t2"])
        update_incident(s, inc.id, actor="ana", text="the redactor missed IBANs")
        with pytest.raises(UserError, match="nothing to update"):
            update_incident(s, inc.id, actor="ana")
        with pytest.raises(UserError, match="incident close"):
            update_incident(s, inc.id, actor="ana", status="resolved")
        done = close_incident(s, inc.id, actor="ana", note="added an IBAN pattern; replayed traces")
    assert done.status == "resolved" and done.closed_at and done.trace_ids == ["t1", "t2"]
    with Session(store.engine) as s:
        got = get_incident(s, inc.id)
        assert [e["kind"] for e in got.events] == ["open", "acknowledge", "update", "close"]
        assert [e["action"] for e in audit_entries(s, subject=inc.id)][::-1] == [
            "incident.open",
            "incident.acknowledge",
            "incident.update",
            "incident.close",
        ]
        assert list_incidents(s, status="open") == [] and len(list_incidents(s, status="resolved")) == 1
        with pytest.raises(UserError, match="already resolved"):
            close_incident(s, inc.id, actor="ana", note="again")


def test_bad_input_is_a_user_error(store: RunStore) -> None:
    with Session(store.engine) as s:
        with pytest.raises(UserError, match="category"):
            open_incident(s, title="x", category="oops", actor="ana")
        with pytest.raises(UserError, match="no incident"):
            get_incident(s, "inc-nope")
        inc = open_incident(s, title="x", category="other", actor="ana")
        with pytest.raises(UserError, match="post-incident note"):
            close_incident(s, inc.id, actor="ana", note="")


def test_cli_incident_commands(store: RunStore) -> None:
    r = CliRunner()
    res = r.invoke(
        cli,
        [
            "incident",
            "open",
            "--title",
            "slow prompts",
            "--category",
            "denial_of_service",
            "--trace",
            "t9",
            "--by",
            "ops",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    iid = json.loads(res.output)["id"]
    assert r.invoke(cli, ["incident", "update", iid, "--note", "rate limit added", "--by", "ops"]).exit_code == 0
    res = r.invoke(cli, ["incident", "close", iid, "--note", "limits on prompt length", "--by", "ops"])
    assert res.exit_code == 0 and "post-incident note" in res.output
    res = r.invoke(cli, ["incident", "list", "--json"])
    assert [i["status"] for i in json.loads(res.output)] == ["resolved"]
    res = r.invoke(cli, ["incident", "show", iid])
    assert "rate limit added" in res.output
    assert r.invoke(cli, ["incident", "open", "--title", "x", "--category", "nope"]).exit_code == 2
