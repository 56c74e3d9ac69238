"""Familias ``.fam`` files (issue 16, item 6): our own small cases written by :func:`fam_text`
in the Familias 3 layout (as pedFamilias' ``readFam`` reads it), their pedigrees, database and
mutation models as Locard's objects, ``kinship pedigree`` on a ``.fam``, errors naming file and
line, and tables without sample sizes (an explicit floor)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from locard.cli import main
from locard.errors import FileFormatError, PedigreeError
from locard.familias import load_familias_case
from locard.formats.familias import read_familias_file
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship import (
    Individual,
    MutationModel,
    Pedigree,
    Sex,
    missing_person_lr,
    pedigree_likelihood,
)
from locard.stats.kinship.universe import locus_universe

NORSK = (Path(__file__).resolve().parents[3]
         / "shared/data/frequencies/familias_norstr/NorskDB_v2023.txt")

# (name, female rate, male rate, female code, male code, range, rate2, alleles, freqs)
LOCI: list[tuple[str, float, float, int, int, float, float, list[str], list[float]]] = [
    ("TH01", 0.001, 0.002, 2, 2, 0.1, 1e-6, ["6", "7", "8", "9.3"], [0.2, 0.3, 0.1, 0.4]),
    ("D3S1358", 0.001, 0.002, 2, 2, 0.1, 1e-6, ["14", "15", "16", "17"],
     [0.1, 0.25, 0.25, 0.4]),
    ("AMEL", 0.0, 0.0, 0, 0, 0.1, 0.0, ["X", "Y"], [0.5, 0.5]),
]
# person, male, genotypes as (allele index 1, allele index 2, locus index)
PERSONS: list[tuple[str, bool, list[tuple[int, int, int]]]] = [
    ("AF", True, [(2, 3, 0), (1, 2, 1), (0, 1, 2)]),    # TH01 8/9.3, D3 15/16, X/Y
    ("MO", False, [(0, 1, 0), (0, 3, 1)]),              # TH01 6/7, D3 14/17
    ("CH", False, [(0, 2, 0), (0, 2, 1)]),              # TH01 6/8, D3 14/16
]


def fam_text(*, persons: Sequence[tuple[str, bool, list[tuple[int, int, int]]]] = PERSONS,
             known: tuple[int, int, list[tuple[int, int]]] = (0, 0, []),
             pedigrees: Sequence[tuple[str, int, int, list[tuple[int, int]]]] = (
                 ("H1", 0, 0, [(0, 2), (1, 2)]), ("H2", 0, 0, [(1, 2)])),
             loci: Sequence[tuple[str, float, float, int, int, float, float, list[str],
                                  list[float]]] = LOCI,
             theta: float = 0.0) -> str:
    """A .fam file in the Familias 3 layout (our own writer, for tests)."""
    out = ['"Output from Familias, version 3.3.1"', '"DO NOT EDIT!"', "3.3.1", '""',
           str(len(persons))]
    for name, male, genotypes in persons:
        out += [f'"{name}"', "#FALSE#", "-1", "#FALSE#", "#TRUE#" if male else "#FALSE#",
                str(len(genotypes))]
        for a1, a2, m in genotypes:
            out += [str(a1), str(a2), str(m)]
    out += ['"Known relations"', str(known[0]), str(known[1]), str(len(known[2]))]
    for p, c in known[2]:
        out += [str(p), str(c)]
    out.append(str(len(pedigrees)))
    for k, (name, n_f, n_m, pairs) in enumerate(pedigrees):
        out += [str(k), f'"{name}"', str(n_f), str(n_m), str(len(pairs))]
        for p, c in pairs:
            out += [str(p), str(c)]
    out += [f"#FALSE# (#Databases: 1 ;Theta/Kinship/Fst: {theta:g} )", str(len(loci)),
            "#TRUE#", '"test db"']
    for name, fr, mr, fc, mc, rng, r2, alleles, freqs in loci:
        out += [f'"{name}"', f"{fr:g}", f"{mr:g}", str(fc), str(mc), str(len(alleles)),
                f"{rng:g}", f"{rng:g}", f"{r2:g}", f"{r2:g}", "#FALSE#", "0",
                f"{len(alleles)}\t(DatabaseSize = 500 , Dropout probability = 0 , "
                "Minor allele frequency = 0 )"]
        for a, f in zip(alleles, freqs, strict=True):
            out += [f'"{a}"', f"{f:g}"]
    out += ["[Advanced]", "[[Other]]", "NumberOfDecimals= 10"]
    return "\r\n".join(out) + "\r\n"


def write_fam(tmp_path: Path, text: str | None = None, name: str = "case.fam") -> Path:
    path = tmp_path / name
    path.write_text(text if text is not None else fam_text())
    return path


def test_reads_persons_pedigrees_database_and_models(tmp_path: Path) -> None:
    fam = read_familias_file(write_fam(tmp_path))
    assert fam.version == "3.3.1" and fam.database == "test db" and fam.theta == 0
    assert [(p.id, p.sex) for p in fam.persons] == [("AF", "male"), ("MO", "female"),
                                                   ("CH", "female")]
    af = fam.persons[0].profile
    assert af is not None
    assert [str(a) for a in af.loci["TH01"].alleles] == ["8", "9.3"]
    assert [str(a) for a in af.loci["D3S1358"].alleles] == ["15", "16"]
    assert "AMEL" not in af.loci and "AMEL" in fam.skipped  # not an autosomal STR
    assert [p.name for p in fam.pedigrees] == ["H1", "H2"]
    assert fam.pedigrees[0].parents == {"CH": ("AF", "MO")}
    # H2: the mother only; Familias allows one parent, Locard adds the other, untyped
    assert fam.pedigrees[1].parents == {"CH": ("added_1", "MO")}
    th01 = fam.loci[0]
    assert (th01.female_rate, th01.male_rate, th01.female_model, th01.database_size) == (
        0.001, 0.002, "stepwise", 500)


def test_extras_are_named_and_typed_by_sex(tmp_path: Path) -> None:
    # an extra male (index 3) fathers CH with MO: a half-sib-like hypothesis without AF
    text = fam_text(pedigrees=[("H1", 0, 1, [(3, 2), (1, 2)])])
    fam = read_familias_file(write_fam(tmp_path, text))
    ped = fam.pedigrees[0]
    assert ped.parents == {"CH": ("extra_1", "MO")}
    assert [(p.id, p.sex, p.profile) for p in ped.persons][-1] == ("extra_1", "male", None)


def hand_lr() -> float:
    """Paternity index of AF, mother typed, no mutation: 0.5 / p(obligate paternal allele)
    per locus (TH01: 8, D3S1358: 16), times 1 (AF 8/9.3 carries 8 once: 1/2 / p8)."""
    return (0.5 / 0.1) * (0.5 / 0.25)


def test_fam_case_lr_equals_hand_value_without_mutation(tmp_path: Path) -> None:
    case = load_familias_case(write_fam(tmp_path), missing="AF")
    assert case.hypothesis == "H1"  # the only pedigree where AF has a child
    assert case.candidate is not None and case.pedigree.individual("AF").profile is None
    assert case.table.name == "case:test db" and case.table.n_individuals is None
    result = missing_person_lr(case.pedigree, case.candidate, case.table, mutation=None)
    assert result.lr == pytest.approx(hand_lr(), rel=1e-12)


def test_fam_mutation_models_equal_the_same_case_built_by_hand(tmp_path: Path) -> None:
    case = load_familias_case(write_fam(tmp_path), missing="AF")
    assert case.mutation is not None
    model = case.mutation["TH01"]
    assert (model.model, model.female_rate, model.male_rate, model.range, model.rate2) == (
        "stepwise", 0.001, 0.002, 0.1, 1e-6)
    assert model.rate_source == "case.fam (Familias)"
    table = FrequencyTable.from_mapping(
        {"TH01": {"6": 0.2, "7": 0.3, "8": 0.1, "9.3": 0.4},
         "D3S1358": {"14": 0.1, "15": 0.25, "16": 0.25, "17": 0.4}}, name="hand")
    ped = Pedigree.build([
        Individual("AF", sex=Sex.MALE),
        Individual("MO", sex=Sex.FEMALE, profile=Profile.parse("TH01: 6,7; D3S1358: 14,17")),
        Individual("CH", "AF", "MO", Sex.FEMALE,
                   profile=Profile.parse("TH01: 6,8; D3S1358: 14,16"))], missing="AF")
    by_hand = missing_person_lr(ped, Profile.parse("TH01: 8,9.3; D3S1358: 15,16"), table,
                                mutation=MutationModel("stepwise", female_rate=0.001,
                                                       male_rate=0.002))
    from_file = missing_person_lr(case.pedigree, case.candidate or Profile.parse(""),
                                  case.table, mutation=case.mutation)
    assert from_file.lr == pytest.approx(by_hand.lr, rel=1e-12)
    assert from_file.lr != pytest.approx(hand_lr(), rel=1e-6)  # mutation is on
    assert from_file.provenance["parameters"]["mutation"]["TH01"]["rate_source"] == (
        "case.fam (Familias)")


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code = main(list(args))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = json.loads(captured.out)
    assert isinstance(out, dict)
    return out


def test_kinship_pedigree_reads_a_fam_and_options_override(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(write_fam(tmp_path))
    out = run_json(capsys, "kinship", "pedigree", path, "--missing", "AF", "--json")
    assert out["familias"]["hypothesis"] == "H1"
    assert out["mutation_model"] == "familias"
    assert out["provenance"]["frequency_table"]["name"] == "case:test db"
    case = load_familias_case(path, missing="AF")
    expected = missing_person_lr(case.pedigree, case.candidate or Profile.parse(""),
                                 case.table, mutation=case.mutation)
    assert out["lr"] == pytest.approx(expected.lr, rel=1e-12)
    plain = run_json(capsys, "kinship", "pedigree", path, "--missing", "AF",
                     "--mutation-model", "none", "--json")
    assert plain["lr"] == pytest.approx(hand_lr(), rel=1e-12)
    # H2 (MO the only parent): AF has no relatives there, LR 1 at every locus
    h2 = run_json(capsys, "kinship", "pedigree", path, "--missing", "AF", "--hypothesis", "H2",
                  "--json")
    assert h2["lr"] == pytest.approx(1.0, rel=1e-12)


def test_fam_errors_name_the_file_and_line(tmp_path: Path) -> None:
    bad_index = fam_text(persons=[("AF", True, [(7, 1, 0)]), *PERSONS[1:]])
    with pytest.raises(FileFormatError) as exc:
        read_familias_file(write_fam(tmp_path, bad_index, "bad.fam"))
    assert "bad.fam" in str(exc.value) and "line 12" in str(exc.value)  # AF's first genotype
    assert "allele index 7" in str(exc.value)
    stationary = fam_text(loci=[("TH01", 0.001, 0.002, 3, 3, 0.1, 1e-6, ["6", "7"],
                                 [0.5, 0.5])],
                          persons=[("AF", True, [(0, 1, 0)]), ("CH", False, [(0, 0, 0)])],
                          pedigrees=[("H1", 1, 0, [(0, 1), (2, 1)])])
    path = write_fam(tmp_path, stationary, "stat.fam")
    with pytest.raises(FileFormatError) as exc:
        load_familias_case(path, missing="AF")
    assert "stat.fam" in str(exc.value) and "line " in str(exc.value)
    assert "--mutation-model" in (exc.value.remedy or "")
    # without the file's models (an option overrides them) the same file reads
    assert load_familias_case(path, missing="AF", mutation=False).mutation is None
    text = fam_text().replace('"D3S1358"', '"NOT_A_LOCUS"')
    with pytest.raises(FileFormatError, match="NOT_A_LOCUS"):
        read_familias_file(write_fam(tmp_path, text, "unknown.fam"))


def test_ambiguous_hypothesis_asks_for_one(tmp_path: Path) -> None:
    path = write_fam(tmp_path)
    with pytest.raises(PedigreeError) as exc:
        load_familias_case(path, missing="MO")  # MO is a parent in H1 and in H2
    assert "--hypothesis" in (exc.value.remedy or "")
    assert load_familias_case(path, missing="MO", hypothesis="H2").hypothesis == "H2"


@pytest.mark.skipif(not os.environ.get("LOCARD_PEDFAMILIAS_PATERNITY"),
                    reason="set LOCARD_PEDFAMILIAS_PATERNITY to pedFamilias' "
                           "inst/extdata/paternity.fam (not redistributed here)")
def test_pedfamilias_paternity_example_agrees_with_forrel() -> None:
    """pedFamilias' README (github magnusdv/pedFamilias): ``forrel::kinshipLR(readFam(
    "paternity.fam"))`` gives H1:H2 = 760.3445 (H2: everyone unrelated). Familias' H2 has the
    child a founder, so its LR is H1 / (P(AF) P(CH)); tolerance 1e-6 (the printed digits)."""
    case = load_familias_case(os.environ["LOCARD_PEDFAMILIAS_PATERNITY"], missing="AF")
    assert case.candidate is not None
    child = case.pedigree.individual("CH").profile
    assert child is not None
    lr = 1.0
    for locus in case.table.loci:
        h1 = pedigree_likelihood(case.pedigree, locus, case.table, candidate=case.candidate,
                                 mutation=case.mutation, min_frequency=0)
        u = locus_universe(case.table, locus)
        for person in (case.candidate, child):
            a, b = (u.index[str(x)] for x in (person.loci[locus].alleles[0],
                                              person.loci[locus].alleles[-1]))
            q = u.frequencies
            h1 /= q[a] * q[a] if a == b else 2 * q[a] * q[b]
        lr *= h1
    assert lr == pytest.approx(760.3445, rel=1e-6)


@pytest.mark.skipif(not NORSK.exists(), reason="../shared/data not beside the checkout")
def test_table_without_sample_sizes_needs_an_explicit_floor(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """norSTR's Familias-format table gives no sample size: it loads; an allele absent from it
    is refused with a remedy naming --min-frequency, and given a floor it is computed."""
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    a.write_text(json.dumps({"specimen_id": "A", "loci": {"D3S1358": ["15", "99"]}}))
    b.write_text(json.dumps({"specimen_id": "B", "loci": {"D3S1358": ["15", "16"]}}))
    for rel in ("full-siblings", "parent-child"):
        args = ["kinship", "lr", str(a), str(b), "-r", rel, "-f", str(NORSK)]
        assert main(args) != 0
        err = capsys.readouterr().err
        assert "no sample size" in err and "--min-frequency" in err
        out = run_json(capsys, *args, "--min-frequency", "0.001", "--json")
        assert math.isfinite(out["lr"]) and "D3S1358" in out["renormalised_loci"]
