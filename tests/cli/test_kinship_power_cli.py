"""``locard kinship power`` (issue 16, item 7), in-process: the exclusion power of a duo by
hand, the candidates ranked, seeded reproducibility, and a Familias .fam input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from locard.cli import main
from locard.genetics.alleles import parse_allele
from locard.tables.bundled import get_bundled_table


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code = main(list(args))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = json.loads(captured.out)
    assert isinstance(out, dict)
    return out


def family(tmp_path: Path) -> str:
    data = {"individuals": [
        {"id": "GF", "sex": "M"},
        {"id": "GM", "sex": "F", "profile": "TH01: 6,9.3; D3S1358: 15,16"},
        {"id": "FA", "father": "GF", "mother": "GM", "sex": "M", "profile": "TH01: 7,9.3; "
                                                                          "D3S1358: 15,17"},
        {"id": "MO", "sex": "F"},
        {"id": "UN", "father": "GF", "mother": "GM", "sex": "M"},
        {"id": "X", "father": "FA", "mother": "MO", "sex": "M"}], "missing": "X"}
    path = tmp_path / "family.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_power_json_exclusion_power_and_candidates(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = family(tmp_path)
    args = ["kinship", "power", path, "--missing", "X", "--candidates", "UN,MO",
            "--simulations", "200", "--seed", "5", "--json"]
    out = run_json(capsys, *args)
    table = get_bundled_table("NIST1036:ALL")
    # the father typed 7/9.3 (TH01) and 15/17 (D3S1358): the duo formula (1 - p_a - p_b)^2
    eps = []
    for locus, (a, b) in (("TH01", ("7", "9.3")), ("D3S1358", ("15", "17"))):
        f = table.frequencies[locus]
        eps.append((1 - f[parse_allele(a)] - f[parse_allele(b)]) ** 2)
        assert out["per_locus"][locus]["exclusion_power"] == pytest.approx(eps[-1], rel=1e-9)
    assert out["exclusion_power"] == pytest.approx(1 - (1 - eps[0]) * (1 - eps[1]), rel=1e-9)
    assert out["provenance"]["parameters"]["seed"] == 5
    assert out["provenance"]["parameters"]["mutation"]["TH01"]["rate_source"]
    ranked = [c["candidate"] for c in out["candidates"]]
    assert ranked == ["MO", "UN"]  # the mother of the missing person before an uncle
    assert out["candidates"][0]["exclusion_power"] > out["exclusion_power"]
    again = run_json(capsys, *args)
    assert again["summary"] == out["summary"]  # seeded
    assert again["candidates"] == out["candidates"]


def test_power_human_output_and_errors(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = family(tmp_path)
    assert main(["kinship", "power", path, "--missing", "X", "--simulations", "50",
                 "--candidates", "GF"]) == 0
    out = capsys.readouterr().out
    assert "exclusion power" in out and "E(log10 LR | H1)" in out and "GF" in out
    assert main(["kinship", "power", path, "--missing", "X", "--candidates", "NOBODY"]) != 0
    assert "NOBODY" in capsys.readouterr().err
    assert main(["kinship", "power", path, "--missing", "X", "--simulations", "0"]) != 0
    assert "simulations" in capsys.readouterr().err
