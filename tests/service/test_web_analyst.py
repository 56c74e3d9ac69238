"""The web pages as an analyst, a reviewer and an auditor use them (issue 11, item 9): the
match page's "not compared" loci and its explanation of the statistic, the matches list's
paging, search and sort, the auditor's dashboard count, error pages with the navigation,
registering a missing-person case from the browser, and the PDF report."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from pypdf import PdfReader
from tests.fixtures import random_profiles, write_raw_cmf
from tests.service.conftest import Service, login

HTML = {"accept": "text/html"}


def _upload_forensic(service: Service, rows: list[tuple[str, dict[str, list[str]]]]
                     ) -> list[int]:
    """Forensic unknowns in one file; search on entry records a candidate for each."""
    path = service.tmp / f"{rows[0][0]}.xml"
    write_raw_cmf(path, [(sid, "Forensic, Unknown", g) for sid, g in rows], source_lab="LAB0001")
    r = service.upload("ana", path, legal_basis="casework", purpose="CASE-1")
    assert r.status_code == 201, r.text
    return [int(x) for x in r.json()["candidate_matches"]]


def _partial(genotype: dict[str, list[str]], drop: int) -> dict[str, list[str]]:
    """The genotype without its first ``drop`` autosomal loci (they are then not compared)."""
    names = [k for k in genotype if k != "AMEL"][:drop]
    return {k: v for k, v in genotype.items() if k not in names}


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr class="match-row"[^>]*>.*?</tr>', page, flags=re.S)


def test_match_page_not_compared_is_neutral_and_statistic_explained(service: Service) -> None:
    offender = service.offenders["CO-0000000"]
    (mid,) = _upload_forensic(service, [("FU-P", _partial(offender, 3))])
    c = service.client
    login(c, "rev", service.tokens["rev"])
    page = c.get(f"/matches/{mid}", headers=HTML).text
    rows = re.findall(r'<tr class="row-notcompared">.*?</tr>', page, flags=re.S)
    assert len(rows) >= 3
    for row in rows:  # an untyped locus is no evidence against the match: never "differ"
        assert "allele differ" not in row and "allele neutral" in row, row
    assert 'class="legend"' in page and "st notcompared" in page
    text = re.sub(r"<[^>]+>", " ", page)
    stats = c.get(f"/api/v1/matches/{mid}", headers=service.h("rev")).json()["statistics"]
    n = len(stats["loci"])
    assert n == len(offender) - 1 - 3  # without Amelogenin and the three untyped loci
    assert f"at the {n} loci compared with FU-P" in text
    for locus in stats["loci"]:
        assert locus in text
    assert "Hp" in text and "Hd" in text and "LR = 1/RMP" in text
    assert "ENFSI" in text and "extremely strong support" in text
    assert re.search(r'id="verbal"[^>]*>[^<]*support', page)


def test_matches_list_pages_searches_and_sorts(service: Service) -> None:
    ids = [f"CO-000000{i}" for i in range(5)]
    mids = _upload_forensic(service, [(f"FU-L{i}", _partial(service.offenders[sid], i))
                                      for i, sid in enumerate(ids)])
    assert len(mids) == 5
    c = service.client
    login(c, "rev", service.tokens["rev"])
    first = c.get("/matches?limit=2", headers=HTML).text
    assert len(_rows(first)) == 2
    assert 'id="next"' in first and 'id="prev"' not in first
    assert "1–2 of 5" in first
    nxt = re.search(r'<a href="([^"]+)" id="next"', first)
    assert nxt is not None
    second = c.get(nxt.group(1).replace("&amp;", "&"), headers=HTML).text
    assert len(_rows(second)) == 2 and 'id="prev"' in second
    assert not set(re.findall(r"FU-L\d", "".join(_rows(first)))) \
        & set(re.findall(r"FU-L\d", "".join(_rows(second))))
    # search by specimen ID (query or candidate side)
    found = c.get("/matches?q=fu-l3", headers=HTML).text
    assert [re.findall(r"FU-L\d", r)[0] for r in _rows(found)] == ["FU-L3"]
    found = c.get("/matches?q=CO-0000004", headers=HTML).text
    assert len(_rows(found)) == 1 and "FU-L4" in found
    # sort: the newest first by default, oldest first on request, by RMP ascending
    newest = [int(x) for x in re.findall(r'data-id="(\d+)"', c.get("/matches", headers=HTML).text)]
    assert newest == sorted(mids, reverse=True)
    oldest = c.get("/matches?sort=date&order=asc", headers=HTML).text
    assert [int(x) for x in re.findall(r'data-id="(\d+)"', oldest)] == sorted(mids)
    by_rmp = c.get("/matches?sort=rmp&order=asc", headers=HTML).text
    rmps = [float(x) for x in re.findall(r'data-rmp="([^"]+)"', by_rmp)]
    assert len(rmps) == 5 and rmps == sorted(rmps) and rmps[0] < rmps[-1]
    # the RMP column never wraps
    assert re.search(r'<td class="num nowrap"[^>]*>', by_rmp)
    # nonsense parameters fall back to the defaults instead of failing
    r = c.get("/matches?sort=evil&order=sideways&offset=99", headers=HTML)
    assert r.status_code == 200 and "No candidate matches" in r.text


def test_auditor_dashboard_counts_pending_matches(service: Service) -> None:
    ids = [f"CO-000000{i}" for i in range(3)]
    _upload_forensic(service, [(f"FU-A{i}", service.offenders[s]) for i, s in enumerate(ids)])
    c = service.client
    login(c, "aud", service.tokens["aud"])
    page = c.get("/", headers=HTML).text
    tile = re.search(r'id="pending-count">(\d+)<', page)
    assert tile is not None and int(tile.group(1)) == 3
    assert "FU-A0" not in page  # a count, not the matches themselves
    # the count is the lab's: another lab's analyst counts none of lab 1's matches
    login(c, "ana2", service.tokens["ana2"])
    tile = re.search(r'id="pending-count">(\d+)<', c.get("/", headers=HTML).text)
    assert tile is not None and int(tile.group(1)) == 0


def test_error_page_keeps_the_navigation(service: Service) -> None:
    c = service.client
    login(c, "ana", service.tokens["ana"])
    for path, status in (("/no/such/page", 404), ("/audit", 403), ("/matches/999999", 404)):
        r = c.get(path, headers=HTML)
        assert r.status_code == status, path
        assert "<nav" in r.text and 'href="/search"' in r.text and "Log out" in r.text, path
    # not logged in: the error page still renders (without a user's navigation)
    c.cookies.clear()
    r = c.get("/static/nothing.css", headers=HTML)
    assert r.status_code == 404 and "<nav" not in r.text


def _family(service: Service) -> dict[str, Any]:
    people = dict(random_profiles(2, seed=78, prefix="R"))
    path = service.tmp / "rel.xml"
    write_raw_cmf(path, [("REL-F", "Biological Father", people["R0000000"]),
                     ("REL-M", "Biological Mother", people["R0000001"])], source_lab="LAB0001")
    r = service.upload("ana", path, legal_basis="consent", consent="C-1")
    assert r.status_code == 201, r.text
    return {"missing": "MP", "individuals": [
        {"id": "FA", "sex": "male", "specimen": "REL-F"},
        {"id": "MO", "sex": "female", "specimen": "REL-M"},
        {"id": "MP", "father": "FA", "mother": "MO", "sex": "male"}]}


def test_register_case_from_the_missing_persons_page(service: Service) -> None:
    pedigree = _family(service)
    c = service.client
    csrf = login(c, "ana", service.tokens["ana"])
    page = c.get("/identify", headers=HTML).text
    assert 'action="/identify/cases"' in page and "locard case add" not in page
    form = {"csrf_token": csrf, "case_ref": "MP-W1", "purpose": "registration",
            "pedigree": json.dumps(pedigree)}
    r = c.post("/identify/cases", data=form, headers=HTML)
    assert r.status_code == 201, r.text
    assert "Case MP-W1 registered" in r.text and "FA, MO" in r.text
    assert "<code>MP-W1</code>" in r.text  # now in the lab's case list
    # the same reference twice: refused on the page, naming it
    r = c.post("/identify/cases", data=form, headers=HTML)
    assert r.status_code == 400 and "MP-W1" in r.text and 'role="alert"' in r.text
    # a pedigree file instead of the text field
    form2 = {"csrf_token": csrf, "case_ref": "MP-W2", "purpose": "registration"}
    r = c.post("/identify/cases", data=form2, headers=HTML,
               files={"pedigree_file": ("case.json", json.dumps(pedigree).encode())})
    assert r.status_code == 201 and "Case MP-W2 registered" in r.text
    # a reviewer may not register cases
    csrf = login(c, "rev", service.tokens["rev"])
    r = c.post("/identify/cases", headers=HTML,
               data={**form, "csrf_token": csrf, "case_ref": "MP-W3"})
    assert r.status_code == 403
    # invalid JSON: a message, not a 500
    csrf = login(c, "ana", service.tokens["ana"])
    r = c.post("/identify/cases", headers=HTML,
               data={**form, "csrf_token": csrf, "case_ref": "MP-W4", "pedigree": "{oops"})
    assert r.status_code == 400 and "JSON" in r.text


def test_pdf_report_pages_dates_explanation_and_provenance_table(service: Service) -> None:
    offender = service.offenders["CO-0000001"]
    (mid,) = _upload_forensic(service, [("FU-R", offender)])
    c = service.client
    r = c.post(f"/api/v1/matches/{mid}/decision", headers=service.h("rev"),
               json={"decision": "confirmed", "note": "all loci agree"})
    assert r.status_code == 200, r.text
    detail = c.get(f"/api/v1/matches/{mid}", headers=service.h("rev")).json()
    decided = detail["decisions"][0]["decided_at"][:10]
    r = c.get(f"/api/v1/matches/{mid}/report.pdf", headers=service.h("rev"))
    assert r.status_code == 200
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages]
    total = len(pages)
    for n, text in enumerate(pages, start=1):
        assert f"Page {n} of {total}" in text, (n, text[-200:])
    text = "\n".join(pages)
    assert f"Decided {decided}" in text
    for needle in ("Hp", "Hd", "ENFSI", "extremely strong support"):
        assert needle in text, needle
    # the provenance as "key: value" rows, not a JSON dump
    prov = detail["statistics"]["provenance"]
    assert '{"' not in text and '"locard_version"' not in text
    assert re.search(r"locard_version\s+" + re.escape(str(prov["locard_version"])), text)
    nested = [k for k, v in prov.items() if isinstance(v, dict) and v]
    assert nested, prov  # the provenance has nested records: they become dotted keys
    key = nested[0]
    sub = sorted(prov[key])[0]
    assert f"{key}.{sub}" in text
