"""The ``[DVI]`` section of Familias ``.fam`` files (issue 16, item 6): victims and reference
families read into Locard's DVI objects, written here in the layout Familias uses (as
pedFamilias' ``writeDVI`` writes it and ``readDVI`` reads it: sections nested by brackets,
``Key= value`` lines, allele names), against the same DVI built by hand."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from tests.formats.test_familias_fam import fam_text

from locard.errors import FileFormatError, PedigreeError
from locard.familias import load_familias_dvi
from locard.formats.familias import read_familias_file
from locard.genetics.profiles import Profile
from locard.stats.kinship import Individual, Pedigree, Sex
from locard.stats.kinship.dvi import DVIFamily, dvi

Genotypes = Sequence[tuple[str, str, str]]


def person(depth: int, k: int, name: str, gender: str, genotypes: Genotypes) -> list[str]:
    out = ["[" * depth + f"Person {k}" + "]" * depth, f"Name= {name}", f"Gender= {gender}",
           "[" * (depth + 1) + "DNA data" + "]" * (depth + 1), f"nSystems= {len(genotypes)}"]
    for locus, a1, a2 in genotypes:
        out += [f"SystemName= {locus}", f"Allele1= {a1}", f"Allele2= {a2}"]
    return out


VICTIMS = [("V1", "Male", [("TH01", "6", "8"), ("D3S1358", "14", "16")]),
           ("V2", "Female", [("TH01", "7", "9.3"), ("D3S1358", "15", "15")]),
           ("V3", "Male", [("TH01", "8", "9.3")])]
# family name, persons (name, gender, genotypes), relations (parent, child)
FAMILIES: list[tuple[str, list[tuple[str, str, Genotypes]], list[tuple[str, str]]]] = [
    ("F1", [("R1", "Female", [("TH01", "6", "7"), ("D3S1358", "14", "15")])],
     [("R1", "Missing person")]),
    ("F2", [("R2", "Male", [("TH01", "8", "9.3"), ("D3S1358", "16", "17")]),
            ("R3", "Female", [("TH01", "6", "7"), ("D3S1358", "14", "15")])],
     [("R2", "Missing person 1"), ("R3", "Missing person 1"),
      ("R2", "Missing person 2"), ("R3", "Missing person 2")]),
]


Family = tuple[str, Sequence[tuple[str, str, Genotypes]], Sequence[tuple[str, str]]]


def dvi_section(families: Sequence[Family] = FAMILIES,
                n_persons: int | None = None) -> list[str]:
    out = ["", "[DVI]", "[[Unidentified persons]]",
           f"nPersons= {len(VICTIMS) if n_persons is None else n_persons}"]
    for k, (name, gender, genotypes) in enumerate(VICTIMS, start=1):
        out += person(3, k, name, gender, genotypes)
    out += ["[[Notes]]", f"nFamilies= {len(families)}", *[""] * len(families),
            "[[Reference Families]]", f"nFamilies= {len(families)}"]
    for i, (fname, persons, relations) in enumerate(families, start=1):
        out += [f"[[[Family {i} ]]]", f"Name= {fname}", "[[[[Persons]]]]",
                f"nPersons= {len(persons)}"]
        for j, (pname, pgender, typed) in enumerate(persons, start=1):
            out += person(5, j, pname, pgender, typed)
        rel = [x for parent, child in relations for x in (f"Parent= {parent}",
                                                          f"Child= {child}")]
        out += ["[[[[Pedigrees]]]]", "nPedigrees= 2",
                "[[[[[Pedigree 1]]]]]", "Name= Reference pedigree",
                f"nRelations= {len(relations)}", *rel,
                "[[[[[Pedigree 2]]]]]", f"Name= {fname}", f"nRelations= {len(relations)}", *rel]
    return out


def write_dvi(tmp_path: Path, lines: list[str] | None = None) -> Path:
    text = fam_text(persons=[], pedigrees=[], theta=0.01).replace(
        "[Advanced]", "\r\n".join([*(lines if lines is not None else dvi_section()),
                                   "[Prior]", "UseList= Yes", "[Advanced]"]))
    path = tmp_path / "dvi.fam"
    path.write_text(text)
    return path


def prof(spec: str, sid: str) -> Profile:
    return Profile.parse(spec, specimen_id=sid)


def by_hand() -> tuple[list[Profile], dict[str, DVIFamily]]:
    victims = [prof("TH01: 6/8; D3S1358: 14/16", "V1"), prof("TH01: 7/9.3; D3S1358: 15", "V2"),
               prof("TH01: 8/9.3", "V3")]
    f1 = Pedigree.build([
        Individual("R1", sex=Sex.FEMALE, profile=prof("TH01: 6/7; D3S1358: 14/15", "R1")),
        Individual("Missing person", "added_1", "R1", Sex.UNKNOWN),
        Individual("added_1", sex=Sex.MALE)], missing="Missing person")
    f2 = Pedigree.build([
        Individual("R2", sex=Sex.MALE, profile=prof("TH01: 8/9.3; D3S1358: 16/17", "R2")),
        Individual("R3", sex=Sex.FEMALE, profile=prof("TH01: 6/7; D3S1358: 14/15", "R3")),
        Individual("Missing person 1", "R2", "R3"), Individual("Missing person 2", "R2", "R3")],
        missing="Missing person 1")
    return victims, {"F1": DVIFamily.build(f1),
                     "F2": DVIFamily.build(f2, ["Missing person 1", "Missing person 2"])}


def test_reads_the_dvi_section(tmp_path: Path) -> None:
    fam = read_familias_file(write_dvi(tmp_path))
    assert fam.has_dvi and fam.dvi is not None
    assert [(p.id, p.sex) for p in fam.dvi.unidentified] == [
        ("V1", "male"), ("V2", "female"), ("V3", "male")]
    v2 = fam.dvi.unidentified[1].profile
    assert v2 is not None and [str(a) for a in v2.loci["D3S1358"].alleles] == ["15"]
    f2 = fam.dvi.families[1]
    assert f2.name == "F2" and [p.id for p in f2.persons] == ["R2", "R3"]
    assert [name for name, _ in f2.pedigrees] == ["Reference pedigree", "F2"]
    assert f2.pedigrees[1][1][0] == ("R2", "Missing person 1")


def test_dvi_from_a_fam_equals_the_dvi_built_by_hand(tmp_path: Path) -> None:
    case = load_familias_dvi(write_dvi(tmp_path))
    victims, families = by_hand()
    assert case.theta == 0.01 and case.victim_sex == {"V1": "male", "V2": "female",
                                                     "V3": "male"}
    assert set(case.families) == {"F1", "F2"}
    for name, family in families.items():
        got = case.families[name]
        assert got.missing == family.missing
        assert ({(p.id, p.father, p.mother, p.sex) for p in got.pedigree.individuals}
                == {(p.id, p.father, p.mother, p.sex) for p in family.pedigree.individuals})
    assert [v.genotype_digest() for v in case.victims] == [v.genotype_digest() for v in victims]
    mine = dvi(list(case.victims), case.families, case.table, mutation=case.mutation,
               theta=case.theta, victim_sex=case.victim_sex)
    hand = dvi(victims, families, case.table, mutation=case.mutation, theta=0.01,
               victim_sex={"V1": "male", "V2": "female", "V3": "male"})
    assert mine.matrix.missing == hand.matrix.missing
    np.testing.assert_array_equal(mine.matrix.lr, hand.matrix.lr)
    assert mine.matrix.lr.shape == (3, 3) and np.all(np.isfinite(mine.matrix.lr))


def test_a_family_without_a_missing_person_is_refused(tmp_path: Path) -> None:
    families: list[Family] = [("F1", FAMILIES[0][1], [("R1", "Child")])]
    with pytest.raises(PedigreeError, match=r"DVI family 'F1': no missing person") as e:
        load_familias_dvi(write_dvi(tmp_path, dvi_section(families)))
    assert "Missing" in str(e.value)


def test_a_wrong_count_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match=r"nPersons= 4, but 3 sections follow") as e:
        read_familias_file(write_dvi(tmp_path, dvi_section(n_persons=4)))
    assert "dvi.fam" in str(e.value)


def test_a_file_without_a_dvi_section_is_refused_for_dvi(tmp_path: Path) -> None:
    path = tmp_path / "plain.fam"
    path.write_text(fam_text())
    with pytest.raises(FileFormatError, match=r"no \[DVI\] section"):
        load_familias_dvi(path)


def test_locard_dvi_reads_a_fam(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``locard dvi --families FILE.fam``: the victims, database, mutation models and theta of
    the file by default, the same numbers as the API; options still override."""
    import json

    from locard.cli import main

    path = str(write_dvi(tmp_path))
    assert main(["dvi", "--families", path, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    case = load_familias_dvi(path)
    expected = dvi(list(case.victims), case.families, case.table, mutation=case.mutation,
                   theta=case.theta, victim_sex=case.victim_sex)
    assert out["mutation_model"] == "familias"
    assert out["matrix"]["victims"] == ["V1", "V2", "V3"]
    assert out["matrix"]["lr"] == expected.matrix.lr.tolist()
    matrix_provenance = out["provenance"]["matrix"]
    assert matrix_provenance["parameters"]["theta"] == 0.01
    assert case.table.name in json.dumps(matrix_provenance)
    assert main(["dvi", "--families", path, "--theta", "0", "--mutation-model", "none",
                 "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    expected0 = dvi(list(case.victims), case.families, case.table,
                    victim_sex=case.victim_sex)
    assert plain["matrix"]["lr"] == expected0.matrix.lr.tolist()
