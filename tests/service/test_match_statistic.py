"""One statistic per match (issue 10, item 1; STYLE.md section 13): a 12-locus partial trace of a
20-locus offender shows the same RMP, computed over the 12 compared loci only, in the search-on-
entry candidate match, the match list, the API detail, the web match page, the PDF report, an
API search and the CLI search."""

from __future__ import annotations

import io
import json
import math
import re

import pytest
from pypdf import PdfReader
from tests.service.conftest import Service, forensic_cmf, login

from locard.cli import main
from locard.genetics import CODIS_CORE_13, Profile
from locard.service.models import MatchStatistics
from locard.stats.match import genotype_probability
from locard.store.policy import load_rarity_tables
from locard.store.statistics import profile_rmp

COMPARED = list(CODIS_CORE_13[:12])


def _naive_rmp(svc: Service, profile: Profile, loci: list[str]) -> float:
    """NRC II 4.10 by hand over ``loci``, the largest over the policy's tables."""
    values = []
    for table in load_rarity_tables(svc.store.policy.rarity_tables):
        prob = 1.0
        for locus in loci:
            freqs = [table.frequency(locus, a).value for a in profile.loci[locus].alleles]
            prob *= genotype_probability(*freqs, theta=svc.store.policy.theta)
        values.append(prob)
    return max(values)


def _three(x: float) -> str:
    return f"{x:.3g}"


def test_partial_trace_shows_one_rmp_everywhere(service: Service,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    c = service.client
    offender = service.offenders["CO-0000002"]
    trace = {k: v for k, v in offender.items() if k in COMPARED}
    r = service.upload("ana", forensic_cmf(service.tmp / "p12.xml", "FU-P12", trace),
                       legal_basis="casework", purpose="CASE-P12")
    assert r.status_code == 201, r.text
    [mid] = r.json()["candidate_matches"]

    # the candidate match search on entry stored
    [listed] = [m for m in c.get("/api/v1/matches", headers=service.h("rev")).json()["matches"]
                if m["id"] == mid]
    assert (listed["candidate_specimen"], listed["compared_loci"]) == ("CO-0000002", 12)
    rmp = listed["rmp"]

    # the API detail: the same number, over exactly the compared loci
    detail = c.get(f"/api/v1/matches/{mid}", headers=service.h("rev")).json()
    st = detail["statistics"]
    assert st["rmp"] == rmp and st["statistic"] == "RMP"
    MatchStatistics.model_validate(st)  # every key declared in the OpenAPI schema
    assert sorted(st["loci"]) == sorted(COMPARED) == sorted(st["per_locus"])
    assert math.prod(st["per_locus"].values()) == pytest.approx(rmp, rel=1e-12)
    reference = Profile.from_mapping(offender)
    assert rmp == pytest.approx(_naive_rmp(service, reference, COMPARED), rel=1e-12)
    not_compared = {row["locus"] for row in detail["loci"] if row["status"] == "not compared"}
    assert not_compared == (set(reference.str_loci) - set(COMPARED)) | {"AMEL"}
    assert not not_compared & set(st["per_locus"])
    # the defect: over all 20 loci of the reference the figure is many orders smaller
    everything = profile_rmp(service.store.policy, reference)
    assert everything is not None and everything.rmp < rmp * 1e-6

    # the web match page
    login(c, "rev", service.tokens["rev"])
    page = c.get(f"/matches/{mid}", headers={"accept": "text/html"}).text
    shown = re.search(r'id="match-rmp">RMP ([^<]+)</p>', page)
    assert shown is not None and shown.group(1) == _three(rmp)
    assert "over the 12 compared loci" in page

    # the PDF report of the confirmed match
    r = c.post(f"/api/v1/matches/{mid}/decision", headers=service.h("rev"),
               json={"decision": "confirmed", "note": "12 loci reviewed"})
    assert r.status_code == 200, r.text
    r = c.get(f"/api/v1/matches/{mid}/report.pdf", headers=service.h("rev"))
    assert r.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    stated = re.search(r"over the 12 compared loci:\s*(\S+)\s*\(1 in", text)
    assert stated is not None and stated.group(1) == _three(rmp)
    product = re.search(r"Product\s+(\S+)", text)
    assert product is not None and product.group(1) == _three(rmp)
    assert _three(everything.rmp) not in text

    # an API search with the trace, and the CLI search
    r = c.post("/api/v1/searches", headers=service.h("ana"),
               json={"specimen_id": "FU-P12", "purpose": "CASE-P12"})
    [hit] = [h for h in r.json()["candidates"] if h["specimen_id"] == "CO-0000002"]
    assert hit["rmp"] == rmp
    monkeypatch.setenv("LOCARD_USER", "ana")
    capsys.readouterr()
    code = main(["search", "FU-P12", "--db", str(service.tmp / "locard.db"),
                 "--purpose", "CASE-P12", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    [cli_hit] = [h for h in json.loads(out)["candidates"] if h["specimen_id"] == "CO-0000002"]
    assert cli_hit["rmp"] == rmp
