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
    0.02 instead of the bundled FGA rate (STRBase 3125/1101006), every other locus keeps the
    bundled rates."""
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
            ratio = 0.02 / (3125 / 1101006)
            assert ours["per_locus"][locus] == pytest.approx(ratio * value, rel=0.02)
        else:
            assert ours["per_locus"][locus] == pytest.approx(value, rel=1e-12)
    fga = ours["provenance"]["parameters"]["mutation"]["FGA"]
    assert fga["male_rate"] == 0.02 and fga["rate_source"] == "rates.csv"
    tables = ours["provenance"]["parameters"]["mutation_rates"]
    assert [t["name"] for t in tables] == ["mutation_rates_strbase.csv", "rates.csv"]
    # the same file for the pedigree command and the rule that rates need a model
    ped = write(tmp_path, "fam.json", family())
    out = run_json(capsys, "kinship", "pedigree", ped, "--candidate", mu,
                   "--mutation-rates", str(rates), "--json")
    assert out["mutation_model"] == "stepwise" and out["mutation_rates"]["loci"] == ["FGA"]
    assert main(["kinship", "lr", fa, mu, "-r", "parent-child", "--mutation-model", "none",
                 "--mutation-rates", str(rates)]) == 1
    assert "--mutation-rates" in capsys.readouterr().err


def test_json_keeps_the_sign_of_minus_infinity(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """An exclusion (LR 0) prints log10_lr as "-Infinity", in strict JSON."""
    fa, mu = write(tmp_path, "fa.json", FATHER), write(tmp_path, "mu.json", MUTANT)
    assert main(["kinship", "lr", fa, mu, "-r", "parent-child", "--mutation-model", "none",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out,
                     parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    assert out["lr"] == 0 and out["log10_lr"] == "-Infinity"


def test_default_rates_are_the_bundled_published_table(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 16 item 1: without --mutation-rates the per-locus STRBase rates are used (both
    sexes), the pooled rate where the table lacks a locus, and the provenance names the table
    and its SHA-256 and flags every locus's source."""
    from locard.formats.mutation_rates import bundled_mutation_rates

    bundled = bundled_mutation_rates()
    fa = {**FATHER, "loci": {**FATHER["loci"], "D1S1656": ["12", "13"]}}
    ch = {**MUTANT, "loci": {**MUTANT["loci"], "D1S1656": ["13", "15"]}}
    ped = write(tmp_path, "fam.json", {**family(), "individuals": [
        {"id": "FA", "sex": "M", "profile": fa}, {"id": "MO", "sex": "F", "profile": MOTHER},
        {"id": "X", "father": "FA", "mother": "MO", "sex": "M"}]})
    out = run_json(capsys, "kinship", "pedigree", ped, "--candidate",
                   write(tmp_path, "ch.json", ch), "--json")
    params = out["provenance"]["parameters"]
    assert params["mutation_rates"] == [{"name": "mutation_rates_strbase.csv",
                                         "sha256": bundled.sha256,
                                         "citation": bundled.note("source")}]
    fga, d1 = params["mutation"]["FGA"], params["mutation"]["D1S1656"]
    assert fga["male_rate"] == fga["female_rate"] == 3125 / 1101006
    assert fga["rate_source"] == "mutation_rates_strbase.csv"
    assert d1["male_rate"] == d1["female_rate"] == bundled.default_rate
    assert d1["rate_source"] == "pooled default"
    assert out["mutation_rates"]["sha256"] == bundled.sha256
    # the DVI and parent-child results carry the same provenance
    lr = run_json(capsys, "kinship", "lr", write(tmp_path, "fa.json", fa),
                  write(tmp_path, "ch2.json", ch), "-r", "parent-child", "--json")
    assert lr["provenance"]["parameters"]["mutation"]["D1S1656"]["rate_source"] == \
        "pooled default"
    dvi = run_json(capsys, "dvi", "--victims", write(tmp_path, "v.json", ch), "--families",
                   write(tmp_path, "f.json", [family("F")]), "--json")
    matrix = dvi["provenance"]["matrix"]["parameters"]
    assert matrix["mutation_rates"][0]["sha256"] == bundled.sha256
    assert matrix["mutation"]["FGA"]["rate_source"] == "mutation_rates_strbase.csv"


def test_min_frequency_on_every_kinship_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 16 item 2: a frequency file without sample sizes is refused with a remedy naming
    --min-frequency only where an allele is absent; --min-frequency 0 is the table as given and
    F > 0 is the floor for absent alleles, on kinship lr, kinship pedigree and dvi (identify:
    the option exists; its store path is tested with the store)."""
    table = tmp_path / "freqs.csv"
    rows = ["locus,allele,frequency"]
    for locus, alleles in {"D3S1358": range(13, 20), "vWA": range(13, 20),
                           "TH01": range(5, 11), "FGA": range(18, 28),
                           "D8S1179": range(8, 16)}.items():
        names = [str(a) for a in alleles] + (["9.3"] if locus == "TH01" else [])
        rows += [f"{locus},{a},{1 / len(names)!r}" for a in names]
    table.write_text("\n".join(rows) + "\n")
    fa, ch = write(tmp_path, "fa.json", FATHER), write(tmp_path, "ch.json", CHILD)
    f = str(table)
    given = run_json(capsys, "kinship", "lr", fa, ch, "-r", "parent-child", "-f", f,
                     "--mutation-model", "none", "--min-frequency", "0", "--json")
    assert given["provenance"]["parameters"]["min_frequency"] == 0.0
    assert given["per_locus"]["D3S1358"] == pytest.approx(1 / (2 / 7) / 2, rel=1e-12)
    # every allele listed: no floor needed, the same answer without the option
    plain = run_json(capsys, "kinship", "lr", fa, ch, "-r", "parent-child", "-f", f,
                     "--mutation-model", "none", "--json")
    assert plain["lr"] == pytest.approx(given["lr"], rel=1e-15)
    odd = write(tmp_path, "odd.json", {**CHILD, "loci": {**CHILD["loci"], "vWA": ["16", "30"]}})
    assert main(["kinship", "lr", fa, odd, "-r", "parent-child", "-f", f]) == 1
    assert "--min-frequency" in capsys.readouterr().err
    assert main(["kinship", "lr", fa, odd, "-r", "full-siblings", "-f", f,
                 "--min-frequency", "0"]) == 1
    assert "30" in capsys.readouterr().err
    floored = run_json(capsys, "kinship", "lr", fa, odd, "-r", "full-siblings", "-f", f,
                       "--min-frequency", "0.01", "--json")
    assert "vWA" in floored["renormalised_loci"]
    ped = write(tmp_path, "fam.json", family())
    out = run_json(capsys, "kinship", "pedigree", ped, "--candidate", odd, "-f", f,
                   "--min-frequency", "0.01", "--json")
    assert out["per_locus_detail"]["vWA"]["frequencies"]["30"] == pytest.approx(0.01 / 1.01)
    dvi = run_json(capsys, "dvi", "--victims", odd, "--families",
                   write(tmp_path, "f.json", [family("F")]), "-f", f,
                   "--min-frequency", "0.01", "--json")
    assert dvi["provenance"]["matrix"]["parameters"]["min_frequency"] == 0.01
    assert main(["identify", "--help"]) == 0
    assert "--min-frequency" in capsys.readouterr().out


def test_theta_on_every_pedigree_command(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 16 item 4: --theta on kinship pedigree, dvi and identify (and on kinship lr
    parent-child with a mutation model, which used to refuse it). The pairwise parent-child LR
    with theta equals the pedigree LR of the same duo with theta (1e-12): the issue's trio
    differed 3.1-fold from pedprobr because the pedigree ignored theta."""
    fa, ch = write(tmp_path, "fa.json", FATHER), write(tmp_path, "ch.json", CHILD)
    duo = write(tmp_path, "duo.json", {"individuals": [
        {"id": "FA", "sex": "M", "profile": FATHER}, {"id": "MO", "sex": "F"},
        {"id": "X", "father": "FA", "mother": "MO", "sex": "M"}], "missing": "X"})
    pairwise = run_json(capsys, "kinship", "lr", fa, ch, "-r", "parent-child", "--theta",
                        "0.03", "--mutation-model", "none", "--json")
    pedigree = run_json(capsys, "kinship", "pedigree", duo, "--candidate", ch, "--theta",
                        "0.03", "--mutation-model", "none", "--json")
    assert pedigree["provenance"]["parameters"]["theta"] == 0.03
    assert pedigree["lr"] == pytest.approx(pairwise["lr"], rel=1e-12)
    hw = run_json(capsys, "kinship", "pedigree", duo, "--candidate", ch,
                  "--mutation-model", "none", "--json")
    assert hw["provenance"]["parameters"]["theta"] == 0.0
    assert hw["lr"] != pytest.approx(pedigree["lr"], rel=1e-3)
    # parent-child with the default stepwise model: a pedigree, now with theta
    stepwise = run_json(capsys, "kinship", "lr", fa, ch, "-r", "parent-child", "--theta",
                        "0.03", "--json")
    assert stepwise["provenance"]["parameters"]["theta"] == 0.03
    same = run_json(capsys, "kinship", "pedigree", duo, "--candidate", ch, "--theta", "0.03",
                    "--json")
    assert stepwise["lr"] == pytest.approx(same["lr"], rel=1e-12)
    # dvi: the matrix entry is the pedigree LR with theta
    trio = run_json(capsys, "kinship", "pedigree", write(tmp_path, "trio.json", family()),
                    "--candidate", ch, "--theta", "0.03", "--json")
    out = run_json(capsys, "dvi", "--victims", ch, "--families",
                   write(tmp_path, "families.json", [family("Smith")]), "--theta", "0.03",
                   "--json")
    assert out["provenance"]["matrix"]["parameters"]["theta"] == 0.03
    assert out["matrix"]["lr"][0][0] == pytest.approx(trio["lr"], rel=1e-9)
    assert main(["kinship", "pedigree", duo, "--candidate", ch, "--theta", "1.5"]) == 1
    assert "theta" in capsys.readouterr().err
    assert main(["identify", "--help"]) == 0
    assert "--theta" in capsys.readouterr().out


def _several_missing_case(tmp_path: Path) -> tuple[str, str]:
    """dvir's example2 layout on D8S1179 (NIST 1036 alleles): F1 = father M1, mother R1
    (11/11), son M2, two missing; F2 = father R2 (12/12), daughter M3 missing."""
    def vic(sid: str, alleles: list[str], amel: list[str]) -> dict[str, Any]:
        return {"specimen_id": sid, "loci": {"D8S1179": alleles, "AMEL": amel}}

    victims = [vic("V1", ["10"], ["X", "Y"]), vic("V2", ["10", "11"], ["X", "Y"]),
               vic("V3", ["12", "13"], ["X"])]
    f1 = {"name": "F1", "missing": ["M1", "M2"], "individuals": [
        {"id": "M1", "sex": "M"},
        {"id": "R1", "sex": "F", "profile": {"D8S1179": ["11"]}},
        {"id": "M2", "father": "M1", "mother": "R1", "sex": "M"}]}
    f2 = {"name": "F2", "missing": "M3", "individuals": [
        {"id": "R2", "sex": "M", "profile": {"D8S1179": ["12"]}},
        {"id": "MO2", "sex": "F"},
        {"id": "M3", "father": "R2", "mother": "MO2", "sex": "F"}]}
    return (write(tmp_path, "victims.json", victims), write(tmp_path, "families.json", [f1, f2]))


def test_dvi_several_missing_sex_and_tables(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Families with several missing persons, sex from Amelogenin, GLRs, and the DVI team's
    tables (--out-dir); the numbers equal the Python API's."""
    from locard.formats import read_profiles
    from locard.stats.kinship.dvi import DVIFamily, dvi
    from locard.tables.bundled import get_bundled_table

    victims, families = _several_missing_case(tmp_path)
    out_dir = tmp_path / "out"
    out = run_json(capsys, "dvi", "--victims", victims, "--families", families,
                   "--mutation-model", "none", "--out-dir", str(out_dir), "--json")
    assert out["matrix"]["columns"] == ["F1:M1", "F1:M2", "F2"]
    assert {"victim": "V3", "family": "F1:M1", "reason": "sex"} in out["exclusion_reasons"]
    profiles = [r.profile for r in read_profiles(Path(victims)).records]
    fams = {f["name"]: DVIFamily.from_dict(f) for f in json.loads(Path(families).read_text())}
    ref = dvi(profiles, fams, get_bundled_table("NIST1036:ALL"))
    for victim, post in ref.posteriors.items():
        assert out["posteriors"][victim] == pytest.approx(post, rel=1e-12)
    assert out["glr"]["V1"]["F1:M1"] == pytest.approx(ref.glr["V1"]["F1:M1"], rel=1e-12)
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["assignments.csv", "families.md", "lr_matrix.csv", "pairings.csv",
                     "provenance.json"]
    matrix = (out_dir / "lr_matrix.csv").read_text().splitlines()
    assert matrix[0] == "victim,F1:M1,F1:M2,F2"
    assert float(matrix[1].split(",")[1]) == pytest.approx(out["matrix"]["lr"][0][0])
    pairings = (out_dir / "pairings.csv").read_text()
    assert "V3,F1,M1," in pairings and "excluded (sex)" in pairings
    report = (out_dir / "families.md").read_text()
    assert "## Family F1" in report and "### Missing person M2" in report


def test_dvi_declared_sex_and_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victims, families = _several_missing_case(tmp_path)
    assert main(["dvi", "--victims", victims, "--families", families,
                 "--victim-sex", "V1=female"]) == 1
    assert "Amelogenin says male" in capsys.readouterr().err
    data = json.loads(Path(victims).read_text())
    del data[0]["loci"]["AMEL"]  # V1 without Amelogenin: the declared sex decides
    victims = write(tmp_path, "victims2.json", data)
    out = run_json(capsys, "dvi", "--victims", victims, "--families", families,
                   "--victim-sex", "V1=female", "--json")
    assert {"victim": "V1", "family": "F1:M1", "reason": "sex"} in out["exclusion_reasons"]
    assert main(["dvi", "--victims", victims, "--families", families,
                 "--victim-sex", "V1"]) == 1
    assert "--victim-sex" in capsys.readouterr().err
    strict = run_json(capsys, "dvi", "--victims", victims, "--families", families,
                      "--strict", "--json")
    assert strict["parameters"]["strict"] is True
