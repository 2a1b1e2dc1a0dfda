"""The compliance register: all missing in a fresh store; a run's evidence appears with links."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from alignloop.cli import cli
from alignloop.govern import FRAMEWORKS, compliance_report
from alignloop.store import RunStore


def _items(rep: dict, fw: str) -> dict[str, dict]:
    return {i["id"]: i for f in rep["frameworks"] if f["id"] == fw for i in f["items"]}


def test_fresh_store_shows_everything_missing(store: RunStore) -> None:
    rep = compliance_report(store)
    assert [f["id"] for f in rep["frameworks"]] == list(FRAMEWORKS)
    assert len(_items(rep, "eu-ai-act")) == 9 and len(_items(rep, "nist-ai-600-1")) == 12
    for fw in rep["frameworks"]:
        assert fw["counts"]["missing"] == len(fw["items"])
        for it in fw["items"]:
            assert it["evidence"] == {} and it["status"] == "missing"


def test_a_loop_run_brings_its_evidence_with_links(store: RunStore, loop_run: tuple[str, Path]) -> None:
    rid, out = loop_run
    rep = compliance_report(store)
    eu = _items(rep, "eu-ai-act")
    assert eu["annex-iv-4"]["status"] == "evidenced"  # evals and gates
    links = eu["annex-iv-4"]["evidence"]["gates"]
    assert links[0]["path"] == str(out / "gates.json") and rid[:12] in links[0]["command"]
    assert eu["annex-iv-2"]["status"] == "partial"  # the base model's own development stays outside
    assert eu["annex-iv-9"]["status"] == "missing"  # no monitoring, alerts, incidents or card yet
    nist = _items(rep, "nist-ai-600-1")
    cbrn = nist["cbrn"]
    assert cbrn["categories"] == ["cbrn"] and cbrn["status"] == "partial"  # no guard traces yet
    assert "cbrn: harmful compliance" in cbrn["evidence"]["category_evals"][0]["label"]
    assert {m["kind"] for m in cbrn["missing"]} == {"guard"}
    assert nist["intellectual-property"]["status"] == "missing"
    for fw in rep["frameworks"]:  # nothing is claimed without a link
        for it in fw["items"]:
            assert all(links for links in it["evidence"].values())
            for links in it["evidence"].values():
                for link in links:
                    assert link.get("path") is None or Path(link["path"]).exists()


def test_incidents_and_approvals_count_as_evidence(store: RunStore, loop_run: tuple[str, Path]) -> None:
    from sqlalchemy.orm import Session

    from alignloop.govern import decide, open_incident

    rid, _ = loop_run
    decide(store, rid, "approved", by="ana", note="ok")
    with Session(store.engine) as s, s.begin():
        open_incident(s, title="leak", category="data_leak", actor="ana")
    iso = _items(compliance_report(store, ["iso-42001"]), "iso-42001")
    assert iso["a.6.2.5"]["status"] == "evidenced" and iso["a.8.4"]["status"] == "partial"
    assert "chain intact" in iso["a.6.2.8"]["evidence"]["audit_log"][0]["label"]


def test_cli_report_json_and_html(loop_run: tuple[str, Path], tmp_path: Path) -> None:
    r = CliRunner()
    res = r.invoke(
        cli, ["compliance", "report", "--framework", "nist-ai-600-1", "--json", "--html", str(tmp_path / "c.html")]
    )
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    assert [f["id"] for f in rep["frameworks"]] == ["nist-ai-600-1"]
    page = (tmp_path / "c.html").read_text()
    assert "Confabulation" in page and "file://" in page and "missing" in page
    res = r.invoke(cli, ["compliance", "report", "--framework", "eu-ai-act"])
    assert res.exit_code == 0 and "annex-iv-4" in res.output
    assert r.invoke(cli, ["compliance", "report", "--framework", "gdpr"]).exit_code == 2
