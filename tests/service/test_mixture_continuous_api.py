"""The continuous (peak-height) model in the service: ``POST /api/v1/mixtures/lr`` answers a
``"model": "continuous"`` case with exactly the JSON of ``locard mixture lr --json`` (one
function, :func:`locard.stats.mixture.continuous_report.continuous_report`), a case beyond the
service's size is refused with a remedy naming the CLI, and the web page and the PDF report show
the same LR, the fitted parameters and the plots (bar plot, PP-plots, Tippet)."""

from __future__ import annotations

import copy
import html
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.service.conftest import Service

from locard.cli import main
from locard.genetics.alleles import Allele
from locard.genetics.kits import get_kit
from locard.stats.mixture.continuous_simulate import simulate_heights
from locard.tables.bundled import get_bundled_table

LOCI = ("D3S1358", "vWA", "D16S539", "CSF1PO", "TPOX", "D8S1179")


def continuous_case(seed: int = 5, *, poi: int = 0) -> dict[str, Any]:
    """A 2-person continuous case file (6 loci, Mx 0.7/0.3, mu 1500, sigma 0.15, beta 0.85,
    xi 0.06, simulated from the gamma model itself); the person of interest is contributor
    ``poi`` (0 the major); Hp = POI + 1 unknown, Hd = 2 unknowns."""
    table = get_bundled_table("NIST1036:Cauc")
    rng = np.random.default_rng(seed)
    people: list[dict[str, list[Allele]]] = []
    for _ in range(2):
        person: dict[str, list[Allele]] = {}
        for locus in LOCI:
            alleles = list(table.frequencies[locus])
            p = np.array([table.frequencies[locus][a] for a in alleles])
            person[locus] = sorted(alleles[i] for i in rng.choice(len(alleles), size=2,
                                                                   p=p / p.sum()))
        people.append(person)
    evidence = simulate_heights(people, table, mx=(0.7, 0.3), mu=1500.0, sigma=0.15, beta=0.85,
                                xi=0.06, kit=get_kit("GlobalFiler"), seed=rng)
    return {
        "model": "continuous",
        "frequencies": {"table": "NIST1036:Cauc", "min_frequency": 0.001},
        "profiles": {"POI": {k: [str(a) for a in v] for k, v in people[poi].items()}},
        "poi": "POI",
        "evidence": {"r1": {k: {"alleles": [str(a) for a in v], "heights": list(v.values())}
                            for k, v in evidence.replicates["r1"].items()}},
        "hypotheses": {"hp": {"contributors": ["POI"], "unknowns": 1},
                       "hd": {"contributors": [], "unknowns": 2}},
        "dropin": {"probability": 0.05, "lambda": 0.01},
        "analytical_threshold": 50, "kit": "GlobalFiler",
    }


CASE = continuous_case()


def _without_time(d: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(d)
    out["provenance"].pop("computed_at")
    return out


def _api(service: Service, case: dict[str, Any] = CASE) -> dict[str, Any]:
    r = service.client.post("/api/v1/mixtures/lr", headers=service.h("ana"), json=case)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_api_lr_equals_the_cli(service: Service, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE))
    capsys.readouterr()
    assert main(["mixture", "lr", str(path), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    api = _api(service)
    # the same numbers, bit for bit (the fit is seeded), and the same document apart from the
    # time it was computed
    assert api["lr"] == cli["lr"] and api["model"] == "continuous"
    assert _without_time(api) == _without_time(cli)
    assert set(api["loglik"]) == {"hp", "hd"} and set(api["parameters"]) == {"hp", "hd"}
    assert set(api["standard_errors"]) == {"hp", "hd"}
    assert api["log10_lr"] == pytest.approx(sum(v["log10_lr"] for v in
                                                api["per_locus"].values()), abs=1e-9)
    assert set(api["per_locus"]) == set(LOCI)
    # the major contributor's genotype is in the evidence: strong support for Hp
    assert api["log10_lr"] > 3
    # the response model names every field (it forbids others) and is in the OpenAPI schema
    from locard.service.models import ContinuousMixtureLRResponse

    ContinuousMixtureLRResponse.model_validate(api)
    schema = service.client.get("/openapi.json").json()
    op = schema["paths"]["/api/v1/mixtures/lr"]["post"]["responses"]["200"]
    assert "ContinuousMixtureLRResponse" in json.dumps(op)


def test_too_many_unknowns_are_refused_with_the_cli_as_remedy(service: Service) -> None:
    case = copy.deepcopy(CASE)
    case["hypotheses"] = {"hp": {"contributors": ["POI"], "unknowns": 3},
                          "hd": {"contributors": [], "unknowns": 4}}
    r = service.client.post("/api/v1/mixtures/lr", headers=service.h("ana"), json=case)
    assert r.status_code == 400, r.text
    body = r.json()
    assert set(body) == {"error", "detail", "status"}
    assert "hypotheses.hd.unknowns = 4" in body["detail"]
    assert "locard mixture lr" in body["detail"]


def rank_case(service: Service, *, seed: int = 7) -> dict[str, Any]:
    """A continuous case whose major contributor (Mx 0.7) is the stored offender CO-0000001
    and whose minor is a person not in the store; Hp = CANDIDATE + 1 unknown, Hd = 2 unknowns
    (simulated from the gamma model: mu 1500, sigma 0.15, beta 0.85, xi 0.06)."""
    from locard.genetics.alleles import parse_allele

    table = get_bundled_table("NIST1036:Cauc")
    rng = np.random.default_rng(seed)
    donor = service.offenders["CO-0000001"]
    people: list[dict[str, list[Allele]]] = [
        {loc: [parse_allele(a) for a in (donor[loc] * 2)[:2]] for loc in LOCI}, {}]
    for locus in LOCI:
        alleles = list(table.frequencies[locus])
        p = np.array([table.frequencies[locus][a] for a in alleles])
        people[1][locus] = sorted(alleles[i] for i in rng.choice(len(alleles), size=2,
                                                                 p=p / p.sum()))
    evidence = simulate_heights(people, table, mx=(0.7, 0.3), mu=1500.0, sigma=0.15, beta=0.85,
                                xi=0.06, kit=get_kit("GlobalFiler"), seed=rng)
    case = copy.deepcopy(CASE)
    case.update(profiles={"CANDIDATE": {}}, poi="CANDIDATE", evidence={"r1": {
        k: {"alleles": [str(a) for a in v], "heights": list(v.values())}
        for k, v in evidence.replicates["r1"].items()}})
    case["hypotheses"]["hp"]["contributors"] = ["CANDIDATE"]
    return case


def _rank(service: Service, case: dict[str, Any], **body: Any) -> Any:
    return service.client.post("/api/v1/mixtures/rank", headers=service.h("ana"),
                               json={"case": case, "purpose": "CASE-M1", **body})


def test_the_continuous_ranking_equals_the_cli(service: Service, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    case = rank_case(service)
    r = _rank(service, case, index=["offender"], top=4)
    assert r.status_code == 200, r.text
    api = r.json()
    assert api["model"] == "continuous" and api["refit"] == 3  # the service's default
    assert api["purpose"] == "CASE-M1" and api["targets"] == ["offender"]
    first = api["candidates"][0]
    # the planted major donor first, its LR refitted by maximum likelihood
    assert first["specimen_id"] == "CO-0000001" and first["refitted"], first
    assert first["lr"] > 1e3 and first["lr_fixed"] > 1e3
    assert [c["refitted"] for c in api["candidates"]] == [True, True, True, False]
    assert first["log10_lr"] == pytest.approx(sum(v["log10_lr"] for v in
                                                  first["per_locus"].values()), abs=1e-9)
    assert set(first["parameters"]) == {"hp", "hd"} and len(api["hd_parameters"]["mx"]) == 2
    # the same document as `locard mixture rank --json` on the same store (the fits are
    # seeded: bit for bit), apart from the time it was computed
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    capsys.readouterr()
    assert main(["mixture", "rank", str(path), "--db", str(service.tmp / "locard.db"),
                 "--user", "ana", "--index", "offender", "--top", "4", "--refit", "3",
                 "--purpose", "CASE-M1", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert _without_time(api) == _without_time(cli)
    # the response model names every field (it forbids others) and is in the OpenAPI schema
    from locard.service.models import ContinuousMixtureRankResponse

    ContinuousMixtureRankResponse.model_validate(api)
    schema = service.client.get("/openapi.json").json()
    op = schema["paths"]["/api/v1/mixtures/rank"]["post"]["responses"]["200"]
    assert "ContinuousMixtureRankResponse" in json.dumps(op)
    assert "MixtureRankResponse" in json.dumps(op).replace("ContinuousMixtureRankResponse", "")
    # audited by the store as a search with its purpose and the model
    entries = [e for e in service.store.audit_entries(actor="aud", limit=50)
               if e.action == "search" and e.purpose == "CASE-M1" and e.user == "ana"]
    assert entries and all(e.details["model"] == "continuous" for e in entries)
    assert {e.details["refit"] for e in entries} == {3}


def test_refit_is_passed_through(service: Service) -> None:
    r = _rank(service, rank_case(service), index=["offender"], top=3, refit=1)
    assert r.status_code == 200, r.text
    api = r.json()
    assert api["refit"] == 1
    assert [c["refitted"] for c in api["candidates"]] == [True, False, False]
    assert api["candidates"][1]["lr"] is None and api["candidates"][1]["per_locus"] is None


def test_refit_above_the_service_limit_is_refused_naming_the_cli(service: Service) -> None:
    from locard.service.mixtures import MAX_SERVICE_REFIT

    r = _rank(service, rank_case(service), refit=MAX_SERVICE_REFIT + 1)
    assert r.status_code == 400, r.text
    body = r.json()
    assert set(body) == {"error", "detail", "status"}
    assert f"refit = {MAX_SERVICE_REFIT + 1}" in body["detail"]
    assert "locard mixture rank" in body["detail"] and "--refit K" in body["detail"]
    # a negative refit does not match the request schema
    assert _rank(service, rank_case(service), refit=-1).status_code == 422
    # nothing was ranked: no search is audited
    assert not [e for e in service.store.audit_entries(actor="aud", limit=50)
                if e.action == "search" and e.purpose == "CASE-M1"]


def test_a_continuous_ranking_with_four_unknowns_is_refused(service: Service) -> None:
    case = rank_case(service)
    case["hypotheses"] = {"hp": {"contributors": ["CANDIDATE"], "unknowns": 3},
                          "hd": {"contributors": [], "unknowns": 4}}
    r = _rank(service, case)
    assert r.status_code == 400, r.text
    assert "hypotheses.hd.unknowns = 4" in r.json()["detail"]
    assert "locard mixture rank" in r.json()["detail"]


@pytest.mark.parametrize("option", ["hd_once", "q_shutdown_hp"])
def test_semi_continuous_options_are_refused_for_a_continuous_case(service: Service,
                                                                   option: str) -> None:
    r = _rank(service, rank_case(service), **{option: True})
    assert r.status_code == 400, r.text
    assert option in r.json()["detail"]


def test_the_continuous_ranking_is_governed(service: Service) -> None:
    case = rank_case(service)
    r = service.client.post("/api/v1/mixtures/rank", headers=service.h("aud"),
                            json={"case": case, "purpose": "CASE-M1"})
    assert r.status_code == 403, r.text
    r = _rank(service, case, index=["relative"])
    assert r.status_code == 403, r.text


def test_a_continuous_case_without_heights_is_refused(service: Service) -> None:
    case = copy.deepcopy(CASE)
    case["evidence"]["r1"]["vWA"] = [a for a in case["evidence"]["r1"]["vWA"]["alleles"]]
    r = service.client.post("/api/v1/mixtures/lr", headers=service.h("ana"), json=case)
    assert r.status_code == 400, r.text
    assert "evidence.r1.vWA" in r.json()["detail"] and "heights" in r.json()["detail"]


def _page(service: Service, case: dict[str, Any], **form: str) -> tuple[Any, str]:
    from tests.service.conftest import login

    csrf = login(service.client, "ana", service.tokens["ana"])
    r = service.client.post("/mixtures", headers={"accept": "text/html"}, data={
        "csrf_token": csrf, "case": json.dumps(case), **form})
    return r, csrf


def test_page_shows_the_api_numbers_parameters_and_plots(service: Service) -> None:
    api = _api(service)
    r, _csrf = _page(service, CASE, analyses="true")
    assert r.status_code == 200, r.text
    text = html.unescape(r.text)
    shown = re.search(r'id="lr-value">([^<]+)<', text)
    assert shown is not None and shown.group(1) == f"{api['lr']:.4g}"
    for locus, v in api["per_locus"].items():
        assert re.search(rf"<td>{locus}</td>.*?<td class=\"num\">{v['lr']:.4g}</td>", text,
                         re.S), locus
    # the fitted parameters under both hypotheses, with their standard errors
    fitted = text[text.index('id="fitted-parameters"'):]
    for h in ("hp", "hd"):
        assert f"{api['parameters'][h]['mu']:.4g} (SE" in fitted
        assert f"{api['parameters'][h]['mx'][0]:.4g} (SE" in fitted
    assert f"{api['loglik']['hp']:.4f}" in fitted and f"{api['loglik']['hd']:.4f}" in fitted
    # two PP-plots and the Tippet plot as SVG images, each in its section; the bar plot as
    # inline SVG with one observed bar per position (its tooltip the observed height)
    assert text.count('src="data:image/svg+xml;base64,') == 3
    for section in ("pp-hp", "pp-hd", "tippet"):
        part = text[text.index(f'id="{section}"'):]
        assert part.index("data:image/svg+xml;base64,") < part.index("</section>"), section
    bars = text[text.index('id="expected-heights"'):]
    bars = bars[:bars.index("</section>")]
    assert bars.count("<svg") == 1
    case_peaks = sum(len(v["alleles"]) for v in CASE["evidence"]["r1"].values())
    observed = re.findall(r"<title>(\S+) (\S+): observed (\d+) RFU</title>", bars)
    assert len(observed) >= case_peaks  # every observed allele, and the stutter-only positions
    heights = {(locus, allele): h for locus, v in CASE["evidence"]["r1"].items()
               for allele, h in zip(v["alleles"], v["heights"], strict=True)}
    for locus, allele, h in observed:
        assert int(h) == round(heights.get((locus, allele), 0.0)), (locus, allele)
    assert "U1 (Mx " in bars and "POI (Mx " in bars
    assert re.search(r'id="pp-hp-flag">(Fit accepted|Poor fit)', text)
    assert "random non-contributors" in text and "fixed at the Hd maximum" in text


def test_page_without_analyses_has_no_tippet(service: Service) -> None:
    r, _csrf = _page(service, CASE)
    assert r.status_code == 200, r.text
    assert r.text.count('src="data:image/svg+xml;base64,') == 2
    assert 'id="tippet"' not in r.text and 'id="expected-heights"' in r.text


def test_pdf_states_the_same_lr_parameters_and_plots(service: Service) -> None:
    from pypdf import PdfReader

    api = _api(service)
    _r, csrf = _page(service, CASE)
    r = service.client.post("/mixtures/report.pdf", data={
        "csrf_token": csrf, "case": json.dumps(CASE), "analyses": "true"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    flat = " ".join(" ".join((p.extract_text() or "") for p in reader.pages).split())
    assert f"LR = Pr(E | Hp) / Pr(E | Hd) = {api['lr']:.4g}" in flat
    assert "Model: continuous" in flat
    for locus, v in api["per_locus"].items():
        assert locus in flat and f"{v['lr']:.4g}" in flat
    assert "Fitted parameters" in flat and f"{api['parameters']['hp']['mu']:.4g} (SE" in flat
    for heading in ("Observed and expected peak heights (Hp fit)", "Model validation, HP fit",
                    "Model validation, HD fit", "Non-contributor test (at fixed parameters)"):
        assert heading in flat, heading
    assert r.content.count(b"/Subtype /Image") >= 4  # bar plot, two PP-plots, Tippet
    assert f"Page 1 of {len(reader.pages)}" in flat
