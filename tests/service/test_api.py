"""The JSON API: every route, allowed and refused, per role and lab."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from tests.service.conftest import LAB2, Service, forensic_cmf


def _entry(svc: Service, sid: str = "FU-1", offender: str = "CO-0000000") -> int:
    """Upload a forensic profile equal to an offender; search on entry makes a candidate."""
    r = svc.upload("ana", forensic_cmf(svc.tmp / f"{sid}.xml", sid, svc.offenders[offender]),
                   legal_basis="casework", purpose="CASE-1")
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == 1
    assert r.json()["candidate_matches"], "search on entry recorded no candidate"
    return int(r.json()["candidate_matches"][0])


def test_me_and_auth(service: Service) -> None:
    c = service.client
    assert c.get("/api/v1/me", headers=service.h("ana")).json()["user"]["role"] == "analyst"
    for headers in ({}, {"authorization": "Bearer lcd_bad_token"},
                    {"authorization": "Bearer nonsense"}, {"authorization": "Basic abc"}):
        r = c.get("/api/v1/me", headers=headers)
        assert r.status_code == 401
        assert r.json()["error"] == "authentication_failed"


def test_statistics_counts_per_index(service: Service) -> None:
    for user in ("ana", "aud", "rev2"):
        data = service.client.get("/api/v1/statistics", headers=service.h(user)).json()
        assert data["counts"] == {"offender": 9}
        assert data["total"] == 9


def test_import_roles_and_report(service: Service) -> None:
    path = forensic_cmf(service.tmp / "x.xml", "FU-9", service.offenders["CO-0000001"])
    for user in ("rev", "aud"):
        r = service.upload(user, path, legal_basis="casework")
        assert r.status_code == 403 and r.json()["error"] == "permission_denied"
    r = service.upload("ana", path, legal_basis="casework")
    assert r.status_code == 201
    body = r.json()
    assert body["accepted"] == {"forensic": 1} and body["committed"]
    assert str(service.tmp) not in r.text  # no server paths leak


def test_import_rejected_records_reported(service: Service) -> None:
    bad = service.tmp / "bad.xml"
    from tests.fixtures import write_raw_cmf

    write_raw_cmf(bad, [("FU-P", "Forensic, Unknown", {"D8S1179": ["13", "14"]}),
                    ("FU-Q", "Population", service.offenders["CO-0000002"])],
              source_lab="LAB0001")
    r = service.upload("ana", bad, legal_basis="casework")
    assert r.status_code == 422
    body = r.json()
    assert body["imported"] == 0 and not body["committed"]
    text = " ".join(p["message"] for p in body["problems"])
    assert "FU-P" in text and "Population" in text
    r = service.upload("ana", bad, legal_basis="casework", skip_invalid="true")
    assert r.status_code == 201 and r.json()["imported"] == 0


def test_upload_size_limit(service: Service) -> None:
    big = b"<x>" + b"a" * 300_000 + b"</x>"
    r = service.client.post("/api/v1/imports", headers=service.h("ana"),
                            files={"file": ("big.xml", io.BytesIO(big))})
    assert r.status_code == 413
    assert r.json() == {"error": "payload_too_large", "detail": r.json()["detail"],
                        "status": 413}


def test_json_body_limit(service: Service) -> None:
    r = service.client.post("/api/v1/searches", headers=service.h("ana"),
                            content=b"{" + b" " * 2_000_000 + b"}")
    assert r.status_code == 413


def test_specimen_view_scoped_by_role_and_lab(service: Service) -> None:
    c = service.client
    own = c.get("/api/v1/specimens/CO-0000000", headers=service.h("ana")).json()
    assert own["profile"]["D8S1179"]["alleles"] and not own["restricted"]
    # auditors never see genotypes
    r = c.get("/api/v1/specimens/CO-0000000", headers=service.h("aud"))
    assert r.status_code == 403 and "profile" not in r.text
    # another lab: IDs and index only
    other = c.get("/api/v1/specimens/CO-0000000?lab=LAB0001", headers=service.h("ana2"))
    assert other.json() == {"lab": "LAB0001", "specimen_id": "CO-0000000",
                            "index": "offender", "restricted": True}
    assert c.get("/api/v1/specimens/NOPE", headers=service.h("ana")).status_code == 404


def test_search_purpose_policy_and_roles(service: Service) -> None:
    c = service.client
    _entry(service)
    body = {"specimen_id": "FU-1", "purpose": "CASE-7"}
    r = c.post("/api/v1/searches", headers=service.h("ana"), json=body)
    assert r.status_code == 200
    cands = r.json()["candidates"]
    assert [x["specimen_id"] for x in cands] == ["CO-0000000"]
    assert cands[0]["match_id"] is not None
    # purpose required (schema), auditor refused, policy matrix enforced
    r = c.post("/api/v1/searches", headers=service.h("ana"), json={"specimen_id": "FU-1"})
    assert r.status_code == 422 and r.json()["error"] == "validation_error"
    r = c.post("/api/v1/searches", headers=service.h("aud"), json=body)
    assert r.status_code == 403
    r = c.post("/api/v1/searches", headers=service.h("ana"),
               json={**body, "targets": ["relative"]})
    assert r.status_code == 403 and r.json()["error"] == "policy_violation"
    # another lab cannot search with our specimen
    r = c.post("/api/v1/searches", headers=service.h("ana2"), json={**body, "lab": "LAB0001"})
    assert r.status_code in (403, 404)


def test_other_lab_search_hits_are_restricted(service: Service) -> None:
    path = forensic_cmf(service.tmp / "l2f.xml", "L2-FU", service.offenders["CO-0000003"],
                        lab=LAB2)
    r = service.upload("ana2", path, legal_basis="casework")
    assert r.status_code == 201
    r = service.client.post("/api/v1/searches", headers=service.h("ana2"),
                            json={"specimen_id": "L2-FU", "purpose": "CASE-L2"})
    hit = r.json()["candidates"][0]
    assert hit["lab"] == "LAB0001" and hit["restricted"]
    assert "loci" not in hit and "alleles" not in r.text
    # the match detail for lab 2 withholds lab 1's genotype
    mid = hit["match_id"]
    d = service.client.get(f"/api/v1/matches/{mid}", headers=service.h("rev2")).json()
    assert d["candidate"]["restricted"] and "profile" not in d["candidate"]
    assert all("candidate" not in row for row in d["loci"])
    r = service.client.post(f"/api/v1/matches/{mid}/decision", headers=service.h("rev2"),
                            json={"decision": "confirmed", "note": "n"})
    assert r.status_code == 200
    r = service.client.get(f"/api/v1/matches/{mid}/report.pdf", headers=service.h("rev2"))
    assert r.status_code == 403


def test_matches_decision_and_pdf_report(service: Service) -> None:
    c = service.client
    mid = _entry(service)
    listed = c.get("/api/v1/matches?status=pending", headers=service.h("rev")).json()
    assert [m["id"] for m in listed["matches"]] == [mid]
    assert c.get("/api/v1/matches", headers=service.h("aud")).status_code == 403
    assert c.get("/api/v1/matches", headers=service.h("rev2")).json()["matches"] == []
    assert c.get(f"/api/v1/matches/{mid}", headers=service.h("rev2")).status_code == 404
    detail = c.get(f"/api/v1/matches/{mid}", headers=service.h("rev")).json()
    assert {row["status"] for row in detail["loci"]} == {"match"}
    stats = detail["statistics"]
    assert stats["table"]["sha256"] and stats["provenance"]["locard_version"]
    # report only for confirmed matches; analysts may not decide
    assert c.get(f"/api/v1/matches/{mid}/report.pdf", headers=service.h("rev")).status_code \
        == 400
    d = {"decision": "confirmed", "note": "reviewed at all 20 loci"}
    assert c.post(f"/api/v1/matches/{mid}/decision", headers=service.h("ana"),
                  json=d).status_code == 403
    assert c.post(f"/api/v1/matches/{mid}/decision", headers=service.h("rev2"),
                  json=d).status_code == 404
    r = c.post(f"/api/v1/matches/{mid}/decision", headers=service.h("rev"), json=d)
    assert r.json()["status"] == "confirmed" and r.json()["reviewer"] == "rev"
    r = c.get(f"/api/v1/matches/{mid}/report.pdf", headers=service.h("rev"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    for needle in ("FU-1", "CO-0000000", "D8S1179", "SHA-256", stats["table"]["name"],
                   stats["table"]["sha256"][:16], "Locard version", "reviewed at all 20 loci",
                   "likelihood ratio"):
        assert needle in text, needle
    entries = c.get("/api/v1/audit?action=match_decision",
                    headers=service.h("aud")).json()["entries"]
    assert entries[0]["details"]["status"] == "confirmed"  # newest first


def test_expunge_is_final_and_admin_only(service: Service) -> None:
    c = service.client
    body = {"reason": "conviction overturned", "confirm": "CO-0000004"}
    assert c.post("/api/v1/specimens/CO-0000004/expunge", headers=service.h("ana"),
                  json=body).status_code == 403
    r = c.post("/api/v1/specimens/CO-0000004/expunge", headers=service.h("admin"),
               json={**body, "confirm": "wrong"})
    assert r.status_code == 400
    r = c.post("/api/v1/specimens/CO-0000004/expunge", headers=service.h("admin"), json=body)
    assert r.status_code == 200 and r.json()["expunged"]
    assert c.get("/api/v1/specimens/CO-0000004",
                 headers=service.h("ana")).status_code == 404
    # a search never finds it again
    path = forensic_cmf(service.tmp / "e.xml", "FU-E", service.offenders["CO-0000004"])
    up = service.upload("ana", path, legal_basis="casework")
    assert up.json()["candidate_matches"] == []
    r = c.post("/api/v1/searches", headers=service.h("ana"),
               json={"specimen_id": "FU-E", "purpose": "CASE-E"})
    assert r.json()["candidates"] == []


def test_audit_and_verify_roles(service: Service) -> None:
    c = service.client
    for user in ("aud", "admin"):
        assert c.get("/api/v1/audit?limit=5", headers=service.h(user)).status_code == 200
        assert c.get("/api/v1/audit/verify", headers=service.h(user)).json()["verified"]
    for user in ("ana", "rev", "ana2"):
        assert c.get("/api/v1/audit", headers=service.h(user)).status_code == 403
        assert c.get("/api/v1/audit/verify", headers=service.h(user)).status_code == 403


def test_identify_scope(service: Service) -> None:
    from tests.fixtures import random_profiles

    (_, mother), = list(random_profiles(1, seed=99, prefix="X"))
    ped = {"missing": "MP", "individuals": [
        {"id": "F", "sex": "male"}, {"id": "M", "sex": "female", "profile": mother},
        {"id": "MP", "father": "F", "mother": "M", "sex": "male"}]}
    body = {"pedigree": ped, "purpose": "MP-CASE-1"}
    r = service.client.post("/api/v1/identify", headers=service.h("ana"), json=body)
    assert r.status_code == 200, r.text
    assert set(r.json()["targets"]) <= {"missing_person", "unidentified"}
    # the CLI's defaults: stepwise mutation with the bundled published per-locus rates
    text = r.text
    assert "mutation_rates_strbase.csv" in text and "pooled default" in text
    assert service.client.post("/api/v1/identify", headers=service.h("aud"),
                               json=body).status_code == 403


@pytest.mark.parametrize("user", ["ana", "rev", "admin"])
def test_no_genotype_to_auditor_or_other_lab(service: Service, user: str) -> None:
    """Sweep the read routes as the auditor and as the other lab: no allele ever appears."""
    mid = _entry(service)
    alleles = service.offenders["CO-0000000"]["D21S11"][0]
    for who in ("aud", "ana2", "rev2"):
        for url in ("/api/v1/specimens/CO-0000000", "/api/v1/specimens/CO-0000000?lab=LAB0001",
                    "/api/v1/specimens/FU-1?lab=LAB0001", f"/api/v1/matches/{mid}",
                    "/api/v1/matches", "/api/v1/audit?limit=1000", "/api/v1/statistics"):
            r = service.client.get(url, headers=service.h(who))
            assert '"alleles"' not in r.text and f'"{alleles}"' not in r.text, (who, url)
    assert service.client.get(f"/api/v1/matches/{mid}", headers=service.h(user)).status_code \
        == 200
