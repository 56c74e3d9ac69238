"""The mixture routes: ``POST /api/v1/mixtures/lr`` answers exactly what ``locard mixture lr
--json`` prints for the same case file (one number everywhere), ``POST /api/v1/mixtures/rank``
ranks the store through the store's governed function (purpose, role, audit), and bad case
files are refused with the one error shape."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from tests.cli.test_mixture_cli import CASE
from tests.service.conftest import Service

from locard.cli import main


def _without_time(d: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(d)
    out["provenance"].pop("computed_at")
    return out


def test_lr_equals_the_cli(service: Service, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE))
    capsys.readouterr()
    assert main(["mixture", "lr", str(path), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    r = service.client.post("/api/v1/mixtures/lr", headers=service.h("ana"), json=CASE)
    assert r.status_code == 200, r.text
    api = r.json()
    # the same numbers, bit for bit, and the same document apart from the time it was computed
    assert _without_time(api) == _without_time(cli)
    assert api["lr"] == cli["lr"] and api["per_locus"]["vWA"]["lr"] == cli["per_locus"]["vWA"]["lr"]
    assert api["lr"] == pytest.approx(math.prod(v["lr"] for v in api["per_locus"].values()),
                                      rel=1e-12)
    assert set(api["loglik"]) == {"hp", "hd"}
    assert "POI (person of interest)" in api["hypotheses"]["hp"]


def test_lr_needs_a_token(service: Service) -> None:
    r = service.client.post("/api/v1/mixtures/lr", json=CASE)
    assert r.status_code == 401
    assert r.json()["error"] == "authentication_failed"


@pytest.mark.parametrize(("change", "field"), [
    (lambda c: c["hypotheses"]["hp"].update(contributors=["K1", "NOBODY"]),
     "hypotheses.hp.contributors"),
    (lambda c: c["dropout"].update(POI=1.0), "dropout.POI"),
    (lambda c: c["frequencies"].update(table="/etc/passwd"), "frequencies.table"),
    (lambda c: c["evidence"]["rep1"].update(D99S999=["12"]), "D99S999"),
])
def test_bad_case_files_are_refused(service: Service, change: Any, field: str) -> None:
    case = copy.deepcopy(CASE)
    change(case)
    r = service.client.post("/api/v1/mixtures/lr", headers=service.h("ana"), json=case)
    assert r.status_code in (400, 422), r.text
    body = r.json()
    assert set(body) == {"error", "detail", "status"} and body["status"] == r.status_code
    assert field in body["detail"]


def test_a_file_path_is_not_read(service: Service) -> None:
    # the CLI reads a frequency file; the service reads no file a request names
    case = copy.deepcopy(CASE)
    case["frequencies"]["table"] = str(Path(__file__))
    r = service.client.post("/api/v1/mixtures/lr", headers=service.h("ana"), json=case)
    assert r.status_code == 400
    assert "bundled" in r.json()["detail"] and "locard mixture lr" in r.json()["detail"]


def _rank_case(service: Service) -> dict[str, Any]:
    donor, other = service.offenders["CO-0000001"], service.offenders["CO-0000002"]
    trace = {k: sorted({*donor[k], *other.get(k, [])}) for k in donor}
    return {"frequencies": {"table": "NIST1036:ALL", "min_frequency": 0.001},
            "profiles": {"CANDIDATE": {}}, "poi": "CANDIDATE", "evidence": {"r1": trace},
            "hypotheses": {"hp": {"contributors": ["CANDIDATE"], "unknowns": 1},
                           "hd": {"contributors": [], "unknowns": 2}},
            "dropout": {"CANDIDATE": 0.05, "unknowns_hp": [0.05],
                        "unknowns_hd": [0.05, 0.05]},
            "dropin": {"probability": 0.05}, "theta": 0.01}


def test_rank_equals_the_cli(service: Service, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    case = _rank_case(service)
    r = service.client.post("/api/v1/mixtures/rank", headers=service.h("ana"), json={
        "case": case, "purpose": "CASE-M1", "index": ["offender"], "top": 3})
    assert r.status_code == 200, r.text
    api = r.json()
    assert {c["specimen_id"] for c in api["candidates"][:2]} == {"CO-0000001", "CO-0000002"}
    first = api["candidates"][0]
    assert first["lr"] > 1000
    assert first["log10_lr"] == pytest.approx(sum(v["log10_lr"]
                                                  for v in first["per_locus"].values()))
    assert api["purpose"] == "CASE-M1" and api["targets"] == ["offender"]
    assert api["suggested_threshold"] >= 1.0
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    capsys.readouterr()
    assert main(["mixture", "rank", str(path), "--db", str(service.tmp / "locard.db"),
                 "--user", "ana", "--index", "offender", "--top", "3", "--purpose", "CASE-M1",
                 "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert [(c["specimen_id"], c["lr"], c.get("per_locus")) for c in api["candidates"]] == \
        [(c["specimen_id"], c["lr"], c.get("per_locus")) for c in cli["candidates"]]
    # audited as a search with its purpose, by the store
    entries = service.store.audit_entries(actor="aud", limit=20)
    assert any(e.action == "search" and e.purpose == "CASE-M1" and e.user == "ana"
               for e in entries)


def test_rank_q_shutdown_hp_is_passed_through(service: Service) -> None:
    """``q_shutdown_hp`` (SmartRank's Q designation shutdown under Hp) changes the LR: Hp's
    unknown cannot carry a dropped-out allele, so Pr(E | Hp) and the LR are lower."""
    case = _rank_case(service)
    lrs = {}
    for shut in (False, True):
        r = service.client.post("/api/v1/mixtures/rank", headers=service.h("ana"), json={
            "case": case, "purpose": "CASE-M1", "index": ["offender"], "top": 1,
            "q_shutdown_hp": shut})
        assert r.status_code == 200, r.text
        [first] = r.json()["candidates"]
        lrs[shut] = (first["specimen_id"], first["lr"])
        assert r.json()["provenance"]["parameters"]["q_shutdown_hp"] is shut
    assert lrs[True][0] == lrs[False][0]
    assert 0 < lrs[True][1] < lrs[False][1]


def test_rank_is_governed(service: Service) -> None:
    case = _rank_case(service)
    r = service.client.post("/api/v1/mixtures/rank", headers=service.h("aud"),
                            json={"case": case, "purpose": "CASE-M1"})
    assert r.status_code == 403, r.text
    r = service.client.post("/api/v1/mixtures/rank", headers=service.h("ana"),
                            json={"case": case})
    assert r.status_code == 422  # no purpose
    r = service.client.post("/api/v1/mixtures/rank", headers=service.h("ana"), json={
        "case": case, "purpose": "CASE-M1", "index": ["relative"]})
    assert r.status_code == 403, r.text


def _page(service: Service, case: dict[str, Any], **form: str) -> Any:
    from tests.service.conftest import login

    csrf = login(service.client, "ana", service.tokens["ana"])
    return service.client.post("/mixtures", headers={"accept": "text/html"}, data={
        "csrf_token": csrf, "case": json.dumps(case), **form}), csrf


def test_web_page_shows_the_api_numbers(service: Service) -> None:
    import html
    import re

    api = service.client.post("/api/v1/mixtures/lr", headers=service.h("ana"),
                              json=CASE).json()
    r, _csrf = _page(service, CASE, analyses="true")
    assert r.status_code == 200, r.text
    text = html.unescape(r.text)
    shown = re.search(r'id="lr-value">([^<]+)<', text)
    assert shown is not None and shown.group(1) == f"{api['lr']:.4g}"
    assert float(shown.group(1)) == pytest.approx(api["lr"], rel=1e-3)
    for locus, v in api["per_locus"].items():
        assert re.search(rf"<td>{locus}</td>.*?<td class=\"num\">{v['lr']:.4g}</td>", text,
                         re.S), locus
    assert api["hypotheses"]["hp"] in text and api["hypotheses"]["hd"] in text
    # an LR below 1 supports Hd: said so, with its reciprocal
    assert api["lr"] < 1 and "supports Hd over Hp" in text
    assert f"{1 / api['lr']:.3g}" in text
    # both plots, as SVG images
    assert text.count('src="data:image/svg+xml;base64,') == 2
    assert 'id="tippet"' in text and "random non-contributors" in text


def test_web_page_refuses_a_bad_case(service: Service) -> None:
    case = copy.deepcopy(CASE)
    case["dropout"]["POI"] = 1.5
    r, _csrf = _page(service, case)
    assert r.status_code == 400
    assert "dropout.POI" in r.text and 'id="lr-result"' not in r.text


def test_pdf_report_states_hypotheses_parameters_and_scale(service: Service) -> None:
    import io

    from pypdf import PdfReader

    api = service.client.post("/api/v1/mixtures/lr", headers=service.h("ana"),
                              json=CASE).json()
    _r, csrf = _page(service, CASE)
    r = service.client.post("/mixtures/report.pdf", data={"csrf_token": csrf,
                                                          "case": json.dumps(CASE)})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    text = " ".join((p.extract_text() or "") for p in reader.pages)
    flat = " ".join(text.split())
    assert "Hp: " + api["hypotheses"]["hp"] in flat
    assert "Hd: " + api["hypotheses"]["hd"] in flat
    assert f"LR = Pr(E | Hp) / Pr(E | Hd) = {api['lr']:.4g}" in flat
    for locus, v in api["per_locus"].items():
        assert locus in flat and f"{v['lr']:.4g}" in flat
    assert "Drop-in probability 0.05" in flat and "Theta (Balding-Nichols) 0.01" in flat
    assert "extremely strong support" in flat and "ENFSI" in flat
    assert api["provenance"]["frequency_table"]["sha256"] in flat.replace(" ", "")
    assert f"Page 1 of {len(reader.pages)}" in text
