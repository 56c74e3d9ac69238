"""``locard kinship lr``, ``locard kinship pedigree`` and ``locard dvi``, in-process."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from locard.cli import main

FATHER: dict[str, Any] = {
    "specimen_id": "FA",
    "loci": {"D3S1358": ["15", "16"], "vWA": ["17", "18"], "TH01": ["6", "9.3"],
             "FGA": ["20", "23"], "D8S1179": ["12", "13"], "AMEL": ["X", "Y"]}}
MOTHER: dict[str, Any] = {
    "specimen_id": "MO",
    "loci": {"D3S1358": ["14", "17"], "vWA": ["16"], "TH01": ["7", "8"], "FGA": ["21", "22"],
             "D8S1179": ["10", "14"]}}
CHILD: dict[str, Any] = {
    "specimen_id": "CH",
    "loci": {"D3S1358": ["15", "17"], "vWA": ["16", "17"], "TH01": ["6", "8"],
             "FGA": ["22", "23"], "D8S1179": ["12", "14"]}}
# FGA 21/24: 21 from the mother, 24 one repeat from the father's 23 (a paternal mutation)
MUTANT = {**CHILD, "specimen_id": "MU",
          "loci": {**CHILD["loci"], "FGA": ["21", "24"]}}
STRANGER: dict[str, Any] = {
    "specimen_id": "ST",
    "loci": {"D3S1358": ["18"], "vWA": ["14", "15"], "TH01": ["9", "10"], "FGA": ["25", "26"],
             "D8S1179": ["8", "9"]}}


def write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code = main(list(args))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = json.loads(captured.out)
    assert isinstance(out, dict)
    return out


def family(name: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"individuals": [
        {"id": "FA", "sex": "M", "profile": FATHER},
        {"id": "MO", "sex": "F", "profile": MOTHER},
        {"id": "X", "father": "FA", "mother": "MO", "sex": "M"}], "missing": "X"}
    if name:
        data["name"] = name
    return data


def test_kinship_lr_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fa, ch = write(tmp_path, "fa.json", FATHER), write(tmp_path, "ch.json", CHILD)
    out = run_json(capsys, "kinship", "lr", fa, ch, "--relationship", "parent-child",
                   "--mutation-model", "none", "--json")
    assert out["lr"] == pytest.approx(math.prod(out["per_locus"].values()))
    assert set(out["per_locus"]) == {"D3S1358", "vWA", "TH01", "FGA", "D8S1179"}
    assert out["provenance"]["frequency_table"]["name"] == "NIST1036:ALL"
    sib = run_json(capsys, "kinship", "lr", fa, ch, "-r", "full siblings", "--theta", "0.01",
                   "--json")
    assert sib["provenance"]["parameters"]["theta"] == 0.01
    assert sib["mutation_model"] is None


def test_default_stepwise_does_not_exclude_a_one_step_mismatch(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fa, mu = write(tmp_path, "fa.json", FATHER), write(tmp_path, "mu.json", MUTANT)
    none = run_json(capsys, "kinship", "lr", fa, mu, "-r", "parent-child",
                    "--mutation-model", "none", "--json")
    assert none["lr"] == 0
    step = run_json(capsys, "kinship", "lr", fa, mu, "-r", "parent-child", "--json")
    assert step["mutation_model"] == "stepwise"
    assert 0 < step["per_locus"]["FGA"] < 1
    assert step["lr"] == pytest.approx(math.prod(step["per_locus"].values()))


def test_kinship_lr_human_and_errors(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    fa, ch = write(tmp_path, "fa.json", FATHER), write(tmp_path, "ch.json", CHILD)
    assert main(["kinship", "lr", fa, ch, "-r", "parent-child"]) == 0
    text = capsys.readouterr().out
    assert "TH01" in text and "LR =" in text and "stepwise" in text
    assert main(["kinship", "lr", fa, ch, "-r", "cousins twice removed"]) == 1
    assert "relationship" in capsys.readouterr().err
    assert main(["kinship", "lr", fa, ch, "-r", "parent-child", "--mutation-model",
                 "bogus"]) == 1
    assert "--mutation-model" in capsys.readouterr().err
    assert main(["kinship", "lr", "--help"]) == 0
    assert "stepwise (default" in capsys.readouterr().out


def test_kinship_pedigree_json_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ped = write(tmp_path, "ped.json", family())
    ch = write(tmp_path, "ch.json", CHILD)
    out = run_json(capsys, "kinship", "pedigree", ped, "--candidate", ch, "--json")
    assert out["missing"] == "X"
    assert out["lr"] == pytest.approx(math.prod(out["per_locus"].values()))
    assert out["lr"] > 100
    assert out["provenance"]["computation"] == "missing_person_lr"
    assert main(["kinship", "pedigree", ped, "--candidate", ch]) == 0
    assert "Missing-person LR" in capsys.readouterr().out


def test_kinship_pedigree_ped_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ped = tmp_path / "family.ped"
    ped.write_text("# id father mother sex\nFA 0 0 1\nMO 0 0 2\nX FA MO 1\n")
    profiles = write(tmp_path, "relatives.json", [FATHER, MOTHER])
    ch = write(tmp_path, "ch.json", CHILD)
    via_ped = run_json(capsys, "kinship", "pedigree", str(ped), "--profiles", profiles,
                       "--missing", "X", "--candidate", ch, "--json")
    via_json = run_json(capsys, "kinship", "pedigree", write(tmp_path, "p.json", family()),
                        "--candidate", ch, "--json")
    assert via_ped["lr"] == pytest.approx(via_json["lr"], rel=1e-12)
    assert main(["kinship", "pedigree", str(ped), "--candidate", ch]) == 1
    assert "--missing" in capsys.readouterr().err


def test_dvi_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victims = write(tmp_path, "victims.json", [CHILD, STRANGER])
    families = write(tmp_path, "families.json", [family("Smith")])
    out = run_json(capsys, "dvi", "--victims", victims, "--families", families,
                   "--threshold", "100", "--json")
    assert out["matrix"]["victims"] == ["CH", "ST"]
    assert out["matrix"]["families"] == ["Smith"]
    assert len(out["matrix"]["lr"]) == 2
    assert {"victim": "ST", "family": "Smith"} in out["excluded"]
    assert [u["victim"] for u in out["undisputed"]] == ["CH"]
    for post in out["posteriors"].values():
        assert sum(post.values()) == pytest.approx(1.0)
    assert out["posteriors"]["ST"] == {"not identified": 1.0}
    assert "per_locus" in out["matrix"] and out["provenance"]["computation"] == "dvi_identify"
    assert main(["dvi", "--victims", victims, "--families", families, "--threshold",
                 "100"]) == 0
    text = capsys.readouterr().out
    assert "Undisputed" in text and "Smith" in text


def test_dvi_bad_families_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victims = write(tmp_path, "victims.json", [CHILD])
    bad = family("Jones")
    bad["individuals"][2]["father"] = "NOBODY"
    families = write(tmp_path, "families.json", [bad])
    assert main(["dvi", "--victims", victims, "--families", families]) == 1
    err = capsys.readouterr().err
    assert "Jones" in err and "NOBODY" in err


def test_per_locus_mutation_rates_file(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A lab's rate file changes exactly the loci it lists: the paternal mismatch at FGA gets
    ten times the default male rate, every other locus keeps the defaults."""
    fa, mu = write(tmp_path, "fa.json", FATHER), write(tmp_path, "mu.json", MUTANT)
    default = run_json(capsys, "kinship", "lr", fa, mu, "-r", "parent-child", "--json")
    rates = tmp_path / "rates.csv"
    rates.write_text("# source: a test table, not published rates\n"
                     "locus,female_rate,male_rate\nFGA,0.0005,0.02\n")
    ours = run_json(capsys, "kinship", "lr", fa, mu, "-r", "parent-child", "--json",
                    "--mutation-rates", str(rates))
    assert ours["mutation_rates"]["loci"] == ["FGA"]
    assert ours["mutation_rates"]["notes"] == ["source: a test table, not published rates"]
    assert len(ours["mutation_rates"]["sha256"]) == 64
    for locus, value in default["per_locus"].items():
        if locus == "FGA":  # one-step paternal mutation: LR scales with the male rate
            assert ours["per_locus"][locus] == pytest.approx(10 * value, rel=0.02)
        else:
            assert ours["per_locus"][locus] == pytest.approx(value, rel=1e-12)
    fga = ours["provenance"]["parameters"]["mutation"]["FGA"]
    assert fga["male_rate"] == 0.02
    # the same file for the pedigree command and the rule that rates need a model
    ped = write(tmp_path, "fam.json", family())
    out = run_json(capsys, "kinship", "pedigree", ped, "--candidate", mu,
                   "--mutation-rates", str(rates), "--json")
    assert out["mutation_model"] == "stepwise" and out["mutation_rates"]["loci"] == ["FGA"]
    assert main(["kinship", "lr", fa, mu, "-r", "parent-child", "--mutation-model", "none",
                 "--mutation-rates", str(rates)]) == 1
    assert "--mutation-rates" in capsys.readouterr().err
