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


def test_upload_report_shows_flagged_alleles_and_skipped_controls(service: Service) -> None:
    """Item 7 at the web door: a control skipped and an allele outside the kit's ladder that
    was stored all the same (a known suspect: the policy flags it) are in the upload report,
    not only in the API's JSON."""
    c = service.client
    csrf = login(c, "ana", service.tokens["ana"])
    genotype = dict(service.offenders["CO-0000002"], D10S1248=["13", "39.3"])
    rows = ["Sample Name\tPanel\tMarker\tAllele 1\tAllele 2"]
    for name, loci in (("KS-WEB-1", genotype), ("Pos.Ctrl_2800M", service.offenders[
            "CO-0000003"])):
        for locus, alleles in loci.items():
            rows.append("\t".join([name, "GlobalFiler_Panels_v1", locus, *alleles,
                                   *[""] * (2 - len(alleles))]))
    path = service.tmp / "run.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with path.open("rb") as fh:
        r = c.post("/upload", data={"csrf_token": csrf, "format": "auto",
                                    "category": "Suspect, Known", "purpose": "CASE-9"},
                   files={"file": (path.name, fh, "text/plain")})
    assert r.status_code == 200, r.text
    assert "Imported specimens (1)" in r.text
    assert 'id="skipped-controls"' in r.text and "Pos.Ctrl_2800M" in r.text
    flagged = r.text[r.text.index('id="flagged-alleles"'):]
    assert re.search(r"KS-WEB-1</td><td>D10S1248</td><td>39\.3</td>", flagged)
    assert "--allow-off-ladder" not in flagged  # stored: the refusal's remedy does not apply
    assert "locard-upload-" not in r.text  # the server's temporary path is not shown
