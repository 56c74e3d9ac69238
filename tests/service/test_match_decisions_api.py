"""Match decisions through the API, the web match page and the PDF report (issue 10, item 4):
a second decision is 409, a blank note is refused, a correction supersedes the latest decision,
and the page and the report show the whole history."""

from __future__ import annotations

import io
import re
from typing import Any

from pypdf import PdfReader
from tests.service.conftest import Service, login
from tests.service.test_api import _entry


def _decide(svc: Service, mid: int, user: str = "rev", **body: object) -> Any:
    return svc.client.post(f"/api/v1/matches/{mid}/decision", headers=svc.h(user), json=body)


def _detail(svc: Service, mid: int) -> dict[str, Any]:
    r = svc.client.get(f"/api/v1/matches/{mid}", headers=svc.h("rev"))
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def test_api_second_decision_is_409_and_changes_nothing(service: Service) -> None:
    mid = _entry(service)
    r = _decide(service, mid, decision="confirmed", note="all 20 loci agree")
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["status"] == "confirmed" and first["decision_id"]
    before = _detail(service, mid)
    for decision in ("rejected", "confirmed"):
        r = _decide(service, mid, "admin", decision=decision, note="overwrite attempt")
        assert r.status_code == 409, r.text
        body = r.json()
        assert body["error"] == "decision_final" and body["status"] == 409
        assert f"supersedes={first['decision_id']}" in body["detail"]
    after = _detail(service, mid)
    assert after["match"] == before["match"] and after["decisions"] == before["decisions"]
    assert [d["note"] for d in after["decisions"]] == ["all 20 loci agree"]


def test_api_note_required(service: Service) -> None:
    mid = _entry(service)
    r = _decide(service, mid, decision="confirmed", note="")
    assert r.status_code == 422 and r.json()["error"] == "validation_error"
    r = _decide(service, mid, decision="confirmed")
    assert r.status_code == 422
    r = _decide(service, mid, decision="confirmed", note="   ")
    assert r.status_code == 400 and "needs a note" in r.json()["detail"]
    assert _detail(service, mid)["decisions"] == []


def test_api_correction_supersedes_and_report_shows_history(service: Service) -> None:
    mid = _entry(service)
    first = _decide(service, mid, decision="rejected", note="TH01 differs").json()
    r = _decide(service, mid, decision="confirmed", note="TH01 was a reading error; 20 agree",
                supersedes=first["decision_id"])
    assert r.status_code == 200, r.text
    fixed = r.json()
    assert fixed["status"] == "confirmed" and fixed["decision_id"] != first["decision_id"]
    # a correction of a superseded decision is refused like a second decision
    r = _decide(service, mid, decision="rejected", note="n", supersedes=first["decision_id"])
    assert r.status_code == 409
    history = _detail(service, mid)["decisions"]
    assert [(d["status"], d["reviewer"], d["supersedes"]) for d in history] == [
        ("rejected", "rev", None), ("confirmed", "rev", first["decision_id"])]
    entries = service.client.get("/api/v1/audit?action=match_decision_correction",
                                 headers=service.h("aud")).json()["entries"]
    # the correction and the refused one (in whichever order the audit API lists them)
    assert sorted((e["details"]["supersedes"], "refused" in e["details"]) for e in entries) \
        == [(first["decision_id"], False), (first["decision_id"], True)]
    # the PDF carries the whole history, the corrected decision included
    r = service.client.get(f"/api/v1/matches/{mid}/report.pdf", headers=service.h("rev"))
    assert r.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert "Decision history" in text
    for needle in ("TH01 differs", "TH01 was a reading error", "rejected",
                   f"#{first['decision_id']}", f"#{fixed['decision_id']}"):
        assert needle in text, needle


def test_web_match_page_history_and_correction(service: Service) -> None:
    c = service.client
    mid = _entry(service)
    csrf = login(c, "rev", service.tokens["rev"])
    html = {"accept": "text/html"}
    url = f"/matches/{mid}/decision"
    r = c.post(url, data={"csrf_token": csrf, "decision": "confirmed", "note": " "},
               headers=html, follow_redirects=False)
    assert r.status_code == 400 and "needs a note" in r.text
    r = c.post(url, data={"csrf_token": csrf, "decision": "confirmed", "note": "20 agree"},
               headers=html, follow_redirects=False)
    assert r.status_code == 303
    page = c.get(f"/matches/{mid}", headers=html).text
    assert 'id="decision-history"' in page and "20 agree" in page
    assert "Correct this decision" in page
    supersedes = re.search(r'name="supersedes" value="(\d+)"', page)
    assert supersedes is not None
    r = c.post(url, data={"csrf_token": csrf, "decision": "rejected", "note": "again"},
               headers=html, follow_redirects=False)
    assert r.status_code == 409
    r = c.post(url, data={"csrf_token": csrf, "decision": "rejected", "note": "mixed-up tubes",
                          "supersedes": supersedes.group(1)},
               headers=html, follow_redirects=False)
    assert r.status_code == 303
    page = c.get(f"/matches/{mid}", headers=html).text
    assert "mixed-up tubes" in page and "20 agree" in page
    assert f"#{supersedes.group(1)}</td></tr>" in page.replace("\n", "")
