"""``locard mixture lr``, in-process: the JSON output's shape and numbers, a run of the LRmix
validation set through a case file and LRmix's own frequency file (per-locus LRs to 1e-9
relative, as in tests/stats/mixture/test_lrmix_validation.py), and bad case files."""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import shared_data_path

from locard.cli import main

CASE: dict[str, Any] = {
    "model": "semi-continuous",
    "frequencies": {"table": "NIST1036:Cauc", "min_frequency": 0},
    "profiles": {"POI": {"D3S1358": ["15", "16"], "vWA": ["17", "18"], "TH01": ["6", "9.3"]},
                 "K1": {"D3S1358": ["17", "17"], "vWA": ["16", "18"], "TH01": ["7", "8"]}},
    "poi": "POI",
    "evidence": {"rep1": {"D3S1358": {"alleles": ["15", "16", "17"],
                                      "heights": [900, 850, 120]},
                          "vWA": ["16", "17", "18"], "TH01": [], "AMEL": ["X", "Y"]},
                 "rep2": {"D3S1358": ["15", "17"], "vWA": ["16", "18"]}},
    "hypotheses": {"hp": {"contributors": ["K1", "POI"], "unknowns": 1},
                   "hd": {"contributors": ["K1"], "unknowns": 2}},
    "dropout": {"K1": 0.05, "POI": 0.1, "unknowns_hp": [0.2], "unknowns_hd": [0.2, 0.2]},
    "dropin": {"probability": 0.05},
    "theta": 0.01,
}


def _write(tmp_path: Path, data: Any, name: str = "case.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_mixture_lr_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mixture", "lr", _write(tmp_path, CASE), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"lr", "log10_lr", "per_locus", "loglik", "provenance"}
    assert set(out["per_locus"]) == {"D3S1358", "vWA", "TH01"}  # TH01: all dropped out
    assert out["lr"] == pytest.approx(math.prod(v["lr"] for v in out["per_locus"].values()),
                                      rel=1e-12)
    for v in out["per_locus"].values():
        assert v["log10_lr"] == pytest.approx(math.log10(v["lr"]), rel=1e-12)
        assert v["lr"] == pytest.approx(v["likelihood_hp"] / v["likelihood_hd"], rel=1e-12)
    assert out["loglik"]["hp"] - out["loglik"]["hd"] == pytest.approx(math.log(out["lr"]),
                                                                      abs=1e-9)
    assert "AMEL" in out["notes"]
    prov = out["provenance"]
    assert prov["frequency_table"]["name"] == "NIST1036:Cauc"
    assert len(prov["frequency_table"]["sha256"]) == 64
    assert prov["parameters"]["theta"] == 0.01
    assert "POI (person of interest)" in out["hypotheses"]["hp"]


def test_mixture_lr_text_and_stdin(monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(CASE)))
    assert main(["mixture", "lr", "-"]) == 0
    text = capsys.readouterr().out
    assert "LR = " in text and "D3S1358" in text and "Hd: the contributors are K1" in text


def _lrmix_case(run: dict[str, Any], table_path: str) -> dict[str, Any]:
    params = run["params"]
    profiles: dict[str, Any] = {}
    for role, specimen in run["knowns"].items():
        ((_, loci),) = specimen.items()
        profiles[role] = loci
    ((suspect, suspect_loci),) = run["suspect"].items()
    profiles[suspect] = suspect_loci
    knowns = list(run["knowns"])
    dropout: dict[str, Any] = {k: float(params[f"dknown{k.removeprefix('Known')}"])
                               for k in knowns}
    dropout[suspect] = float(params["dsuspect"])
    dropout["unknowns_hp"] = [float(params["dUHp"])] * int(params["xp"])
    dropout["unknowns_hd"] = [float(params["dUHd"])] * int(params["xd"])
    return {
        "frequencies": {"table": table_path, "min_frequency": 1 / 4170},
        "profiles": profiles, "poi": suspect, "evidence": run["sample_replicates"],
        "hypotheses": {"hp": {"contributors": [*knowns, suspect], "unknowns": int(params["xp"])},
                       "hd": {"contributors": knowns, "unknowns": int(params["xd"])}},
        "dropout": dropout, "dropin": {"probability": float(params["dropin"])},
        "theta": float(params["theta"]),
    }


@pytest.mark.parametrize("run_id", [28, 59, 74])
def test_lrmix_validation_runs_through_the_cli(run_id: int, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = shared_data_path("mixtures", "lrmix_validation")
    data = json.loads((folder / "lrmix_validation_cases.json").read_text())
    (run,) = [r for r in data["cases"] if r["id"] == run_id]
    table = str(folder / "data" / "Allele frequencies to use in DyNAmix.csv")
    assert main(["mixture", "lr", _write(tmp_path, _lrmix_case(run, table)), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for locus, expected in run["expected_per_locus"].items():
        if locus != "prod":
            assert out["per_locus"][locus]["lr"] == pytest.approx(expected["lr"], rel=1e-9)


@pytest.mark.parametrize(("change", "pattern"), [
    ({"hypotheses": {"hp": {"contributors": ["K1", "POI", "K7"], "unknowns": 1},
                     "hd": {"contributors": ["K1"], "unknowns": 2}}},
     r"hypotheses\.hp\.contributors: 'K7' is in no profile"),
    ({"dropout": {**CASE["dropout"], "POI": 1.2}}, r"dropout\.POI: .*less than 1"),
    ({"evidence": {"rep1": {"D3S9999": ["15"]}}}, r"unknown locus 'D3S9999'.*evidence\.rep1"),
    ({"hypotheses": {"hp": {"contributors": ["K1", "POI"], "unknowns": 4},
                     "hd": {"contributors": ["K1"], "unknowns": 6}},
      "dropout": {"K1": 0.1, "POI": 0.1, "unknowns_hp": 0.1, "unknowns_hd": 0.1}},
     r"hypotheses\.hd\.unknowns = 6: at most 4 unknowns .*combinations, about"),
])
def test_bad_case_file_exits_nonzero_naming_the_field(
        change: dict[str, Any], pattern: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mixture", "lr", _write(tmp_path, {**CASE, **change})]) == 1
    err = capsys.readouterr().err
    assert err.startswith("locard: error: ")
    assert re.search(pattern, err), err


def test_too_many_combinations_names_the_option(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mixture", "lr", _write(tmp_path, CASE), "--max-combinations", "5"]) == 1
    err = capsys.readouterr().err
    assert "genotype combinations (about" in err and "--max-combinations" in err


def test_missing_case_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mixture", "lr", str(tmp_path / "nope.json")]) == 1
    assert "cannot read the case file" in capsys.readouterr().err
