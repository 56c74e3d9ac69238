"""Issue 11, item 1: the web upload report lists the imported specimen IDs and the candidate
matches that search on entry created, with links (it said only "1 imported")."""

from __future__ import annotations

import re

from .conftest import Service, forensic_cmf, login


def test_upload_report_lists_specimens_and_created_matches(service: Service) -> None:
    c = service.client
    csrf = login(c, "ana", service.tokens["ana"])
    path = forensic_cmf(service.tmp / "trace.xml", "F-WEB-1", service.offenders["CO-0000002"])
    with path.open("rb") as fh:
        r = c.post("/upload", data={"csrf_token": csrf, "format": "auto",
                                    "legal_basis": "casework", "purpose": "CASE-9"},
                   files={"file": (path.name, fh, "application/xml")})
    assert r.status_code == 200, r.text
    [match_id] = [m.id for m in service.store.list_matches(actor="ana")
                  if m.query_specimen == "F-WEB-1"]
    assert "Candidate matches created: 1" in r.text
    assert f'href="/matches/{match_id}"' in r.text
    assert re.search(r"LAB0001 CO-0000002", r.text)
    assert "Imported specimens (1)" in r.text
    assert 'href="/specimens/F-WEB-1"' in r.text
    # the API's import report carries the same list
    api = service.upload("ana", forensic_cmf(service.tmp / "t2.xml", "F-WEB-2",
                                             service.offenders["CO-0000003"]),
                         legal_basis="casework")
    assert api.status_code == 201, api.text
    body = api.json()
    assert body["specimens"] == ["F-WEB-2"] and body["matches_created"] == 1
    assert body["matches"][0]["id"] == body["candidate_matches"][0]
