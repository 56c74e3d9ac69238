"""Missing-person cases through the service: register, list, read, identify by case reference
(API and web form); scope by role and lab."""

from __future__ import annotations

from typing import Any

from tests.fixtures import random_profiles, write_raw_cmf
from tests.service.conftest import Service, login


def _family(service: Service) -> dict[str, Any]:
    """Father and mother as relatives (consent), their child among the remains."""
    people = dict(random_profiles(5, seed=77, prefix="P"))
    father, mother = people.pop("P0000001"), people.pop("P0000002")
    child = {k: [father[k][0], mother[k][-1]] for k in father if k != "AMEL"}
    rel = service.tmp / "rel.xml"
    write_raw_cmf(rel, [("REL-FA", "Biological Father", father),
                    ("REL-MO", "Biological Mother", mother)], source_lab="LAB0001")
    r = service.upload("ana", rel, legal_basis="consent", consent="C-FAM-1")
    assert r.status_code == 201, r.text
    uhr = service.tmp / "uhr.xml"
    write_raw_cmf(uhr, [(s, "Unidentified Person", g) for s, g in people.items()]
              + [("UHR-CHILD", "Unidentified Person", child)], source_lab="LAB0001")
    r = service.upload("ana", uhr, legal_basis="casework")
    assert r.status_code == 201, r.text
    return {"case_ref": "MP-77", "purpose": "registration", "pedigree": {
        "missing": "MP", "individuals": [
            {"id": "FA", "sex": "male", "specimen": "REL-FA"},
            {"id": "MO", "sex": "female", "specimen": "REL-MO"},
            {"id": "MP", "father": "FA", "mother": "MO", "sex": "male"}]}}


def test_case_routes_and_identify_by_reference(service: Service) -> None:
    c = service.client
    body = _family(service)
    r = c.post("/api/v1/cases", headers=service.h("ana"), json=body)
    assert r.status_code == 201, r.text
    assert r.json()["typed"] == ["FA", "MO"]
    assert c.post("/api/v1/cases", headers=service.h("ana"), json=body).status_code == 400
    assert c.post("/api/v1/cases", headers=service.h("rev"), json=body).status_code == 403
    listed = c.get("/api/v1/cases", headers=service.h("rev")).json()["cases"]
    assert [x["case_ref"] for x in listed] == ["MP-77"]
    one = c.get("/api/v1/cases/MP-77", headers=service.h("ana")).json()
    assert one["individuals"][0]["specimen"] == "REL-FA" and '"alleles"' not in str(one)
    # another lab and the auditor see nothing of it
    assert c.get("/api/v1/cases/MP-77", headers=service.h("ana2")).status_code == 404
    assert c.get("/api/v1/cases", headers=service.h("ana2")).json()["cases"] == []
    assert c.get("/api/v1/cases/MP-77", headers=service.h("aud")).status_code == 403

    r = c.post("/api/v1/identify", headers=service.h("ana"),
               json={"case_ref": "MP-77", "purpose": "MP-77", "limit": 3})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["case_ref"] == "MP-77"
    assert out["candidates"][0]["specimen_id"] == "UHR-CHILD"
    # exactly one of pedigree and case_ref
    r = c.post("/api/v1/identify", headers=service.h("ana"), json={"purpose": "MP-77"})
    assert r.status_code == 422
    r = c.post("/api/v1/identify", headers=service.h("ana"),
               json={"purpose": "MP-77", "case_ref": "MP-77", "pedigree": body["pedigree"]})
    assert r.status_code == 422
    r = c.post("/api/v1/identify", headers=service.h("ana2"),
               json={"case_ref": "MP-77", "purpose": "MP-77"})
    assert r.status_code == 404


def test_case_linking_a_non_relative_is_refused(service: Service) -> None:
    body = _family(service)
    body["pedigree"]["individuals"][0]["specimen"] = "CO-0000000"
    r = service.client.post("/api/v1/cases", headers=service.h("ana"), json=body)
    assert r.status_code == 403 and "offender index" in r.json()["detail"]


def test_web_identify_by_case_reference(service: Service) -> None:
    c = service.client
    body = _family(service)
    assert c.post("/api/v1/cases", headers=service.h("ana"), json=body).status_code == 201
    csrf = login(c, "ana", service.tokens["ana"])
    page = c.get("/identify", headers={"accept": "text/html"})
    assert page.status_code == 200 and '<option value="MP-77">' in page.text
    r = c.post("/identify", data={"csrf_token": csrf, "case_ref": "MP-77",
                                  "purpose": "MP-77"})
    assert r.status_code == 200
    assert "UHR-CHILD" in r.text and "case MP-77" in r.text and "<svg" in r.text
    r = c.post("/identify", data={"csrf_token": csrf, "purpose": "MP-77"})
    assert r.status_code == 200 and "give a stored case reference or a pedigree" in r.text
