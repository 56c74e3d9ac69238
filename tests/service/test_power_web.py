"""The web view of "How informative is a family?" (issue 16, item 7): the page's numbers are
``locard kinship power --json``'s for the same pedigree and seed, a bad pedigree is a 400 with
the message, the web bound on simulations, the roles of identify, and CSRF."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.cli.test_kinship_power_cli import family, run_json
from tests.service.conftest import Service, login

from locard.service.power import family_power

HTML = {"accept": "text/html"}


def _text(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', page)
    assert found is not None, element_id
    return found.group(1)


def _cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, dict[str, Any]]:
    path = family(tmp_path)
    out = run_json(capsys, "kinship", "power", path, "--missing", "X", "--candidates", "UN,MO",
                   "--simulations", "200", "--seed", "5", "--json")
    return Path(path).read_text(), out


def test_power_page_shows_the_numbers_of_kinship_power_json(
        service: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, cli = _cli(tmp_path, capsys)
    # the service's computation is the command's, number for number
    web = family_power(json.loads(text), candidates=["UN", "MO"], simulations=200, seed=5)
    for key in ("exclusion_power", "expected_log10_lr_h1", "expected_lr_h1", "per_locus",
                "summary", "candidates", "mutation_model", "mutation_rates"):
        assert web[key] == cli[key], key
    c = service.client
    csrf = login(c, "ana", service.tokens["ana"])
    assert 'href="/identify/power"' in c.get("/identify", headers=HTML).text
    form = {"csrf_token": csrf, "pedigree": text, "missing": "X", "candidates": "UN, MO",
            "simulations": "200", "seed": "5"}
    r = c.post("/identify/power", data=form, headers=HTML)
    assert r.status_code == 200, r.text
    page = r.text
    assert _text(page, "exclusion-power") == format(cli["exclusion_power"], ".4g")
    assert _text(page, "expected-log10-lr") == format(cli["expected_log10_lr_h1"], ".4g")
    assert _text(page, "median-h1") == format(cli["summary"]["median_log10_lr_h1"], ".4g")
    rows = re.findall(r"<tr><td class=\"nowrap\">([^<]+)</td><td class=\"num\">([^<]+)</td>"
                      r"<td class=\"num\">([^<]+)</td><td class=\"num\">([^<]+)</td></tr>", page)
    s = cli["summary"]
    assert rows == [(t, format(p1, ".4g"), format(s["p_lr_above_h2"][t], ".4g"),
                     format(s["p_lr_above_h2_bound"][t], ".4g"))
                    for t, p1 in s["p_lr_above_h1"].items()]
    assert [t for t, *_ in rows] == ["1", "100", "10000", "1e+06"]
    ranked = re.findall(r"<tr><td>(\w+)</td><td class=\"num\">([^<]+)</td>",
                        page.split('id="power-candidates"')[1])
    assert ranked == [(x["candidate"], format(x["exclusion_power"], ".4g"))
                      for x in cli["candidates"]]
    assert 'src="data:image/svg+xml;base64,' in page
    # the same pedigree as a file, the missing person from the form
    r = c.post("/identify/power", headers=HTML,
               data={k: v for k, v in form.items() if k != "pedigree"},
               files={"pedigree_file": ("family.json", text.encode())})
    assert r.status_code == 200
    assert _text(r.text, "exclusion-power") == format(cli["exclusion_power"], ".4g")


def test_power_page_errors_roles_and_csrf(service: Service, tmp_path: Path) -> None:
    text = Path(family(tmp_path)).read_text()
    c = service.client
    csrf = login(c, "rev", service.tokens["rev"])
    assert c.get("/identify/power", headers=HTML).status_code == 200
    base = {"csrf_token": csrf, "pedigree": text, "missing": "X", "simulations": "10",
            "seed": "1"}
    r = c.post("/identify/power", headers=HTML, data={**base, "pedigree": "{oops"})
    assert r.status_code == 400 and "not valid JSON" in r.text and 'role="alert"' in r.text
    r = c.post("/identify/power", headers=HTML, data={**base, "missing": "NOBODY"})
    assert r.status_code == 400 and "NOBODY" in r.text
    r = c.post("/identify/power", headers=HTML, data={**base, "candidates": "GHOST"})
    assert r.status_code == 400 and "GHOST" in r.text
    r = c.post("/identify/power", headers=HTML, data={**base, "simulations": "2001"})
    assert r.status_code == 400 and "simulations" in r.text and "2000" in r.text
    assert c.post("/identify/power", headers=HTML,
                  data={**base, "csrf_token": "forged"}).status_code == 403
    login(c, "aud", service.tokens["aud"])  # an auditor may not search, so not here either
    assert c.get("/identify/power", headers=HTML).status_code == 403
    assert 'href="/identify/power"' not in c.get("/identify", headers=HTML).text
