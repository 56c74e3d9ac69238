"""Genotype LR tables: every entry equals the direct missing-person LR of that genotype."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locard.errors import StatisticsError
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship import (
    UNSEEN_ALLELE,
    Individual,
    MutationModel,
    Pedigree,
    Sex,
    genotype_lr_table,
    genotype_lr_tables,
    missing_person_lr,
)

TABLE = FrequencyTable.from_mapping(
    {
        "TH01": {"6": 0.05, "7": 0.1, "8": 0.2, "9": 0.15, "9.3": 0.5},
        "vWA": {"14": 0.1, "15": 0.2, "16": 0.3, "17": 0.4},
        "D21S11": {"28": 0.15, "29": 0.2, "30": 0.25, "30.2": 0.05, "31": 0.1, "31.2": 0.1,
                   "32.2": 0.1, "33.2": 0.05},
    },
    name="Hand", population="test", sample_alleles=1000,
)


def p(spec: str, sid: str) -> Profile:
    return Profile.parse(spec, specimen_id=sid)


def family() -> Pedigree:
    """Missing son X; his father F and a full sister S typed, the mother M untyped, and a
    paternal uncle U typed."""
    people = [
        Individual("GF", None, None, Sex.MALE), Individual("GM", None, None, Sex.FEMALE),
        Individual("F", "GF", "GM", Sex.MALE, p("TH01: 6/9.3; D21S11: 29/30.2", "F")),
        Individual("U", "GF", "GM", Sex.MALE, p("TH01: 7/9.3; vWA: 14/15; D21S11: 30", "U")),
        Individual("M", None, None, Sex.FEMALE),
        Individual("S", "F", "M", Sex.FEMALE, p("TH01: 6/8; D21S11: 30.2/33.2", "S")),
        Individual("X", "F", "M", Sex.MALE),
    ]
    return Pedigree.build(people, missing="X")


MODELS = [None, MutationModel("stepwise"),
          MutationModel("extended-stepwise", female_rate=0.01, male_rate=0.03, rate2=0.005),
          MutationModel("equal", female_rate=0.001, male_rate=0.004)]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.model if m else "none")
@pytest.mark.parametrize("locus", ["TH01", "D21S11", "vWA"])
def test_every_listed_genotype_equals_the_direct_lr(model: MutationModel | None,
                                                    locus: str) -> None:
    pedigree = family()
    table = genotype_lr_table(pedigree, locus, TABLE, mutation=model)
    listed = [a for a in table.alleles if a != UNSEEN_ALLELE]
    for i, a in enumerate(listed):
        for b in listed[i:]:
            cand = p(f"{locus}: {a}/{b}", "cand")
            direct = missing_person_lr(pedigree, cand, TABLE, mutation=model, loci=[locus])
            assert table.lookup([a, b]) == pytest.approx(direct.lr, rel=1e-10, abs=1e-300)
    assert np.array_equal(table.lr, table.lr.T)


@settings(max_examples=30, deadline=None)
@given(alleles=st.lists(st.sampled_from(["6", "7", "8", "9", "9.3", "10", "5.2"]), min_size=1,
                        max_size=2))
def test_unlisted_alleles_use_the_catch_all(alleles: list[str]) -> None:
    """Without mutation the catch-all entry is exact for any allele the table does not list."""
    pedigree = family()
    table = genotype_lr_table(pedigree, "TH01", TABLE)
    cand = p("TH01: " + "/".join(alleles), "cand")
    direct = missing_person_lr(pedigree, cand, TABLE, loci=["TH01"])
    assert table.lookup(alleles) == pytest.approx(direct.lr, rel=1e-12, abs=1e-300)


def test_paternity_table_by_hand() -> None:
    father = p("TH01: 6", "AF")
    pedigree = Pedigree.build([Individual("AF", None, None, Sex.MALE, father),
                               Individual("MO", None, None, Sex.FEMALE),
                               Individual("CH", "AF", "MO", Sex.MALE)], missing="CH")
    table = genotype_lr_table(pedigree, "TH01", TABLE)
    i6 = table.index("6")
    # child 6/6: 1/p6 = 20; child 6/x: 1/(2 p6) = 10; no 6: excluded. An allele absent from
    # the table (12) gets 5/2N = 0.005 and renormalises the locus: 1/(2 * 0.05/1.005) = 10.05
    assert table.lr[i6, i6] == pytest.approx(20.0, rel=1e-12)
    assert table.lookup(["6", "9.3"]) == pytest.approx(10.0, rel=1e-12)
    assert table.lookup(["6", "12"]) == pytest.approx(10.05, rel=1e-12)
    assert table.lookup(["7", "9.3"]) == 0.0
    assert table.index("12") == table.unseen_index == len(table.alleles) - 1
    assert table.allele_index["9.3"] == table.alleles.index("9.3")
    assert table.frequencies[:-1].sum() == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.model if m else "none")
def test_no_relative_typed_gives_ones(model: MutationModel | None) -> None:
    pedigree = family().with_profiles({"U": p("TH01: 7", "U")})
    table = genotype_lr_table(pedigree, "vWA", TABLE, mutation=model)
    assert np.array_equal(table.lr, np.ones_like(table.lr))
    assert "vWA" in missing_person_lr(pedigree, p("vWA: 14", "c"), TABLE, mutation=model).excluded


def test_tables_for_every_typed_locus() -> None:
    tables = genotype_lr_tables(family(), TABLE, mutation=MutationModel())
    assert list(tables) == ["D21S11", "TH01", "vWA"]
    assert all(t.provenance["parameters"]["locus"] == k for k, t in tables.items())
    assert tables["TH01"].provenance["parameters"]["mutation"]["model"] == "stepwise"


def test_impossible_relatives() -> None:
    pedigree = Pedigree.build([
        Individual("F", None, None, Sex.MALE, p("TH01: 6", "F")),
        Individual("M", None, None, Sex.FEMALE),
        Individual("C", "F", "M", Sex.MALE, p("TH01: 7/8", "C")),
        Individual("X", "F", "M", Sex.MALE)], missing="X")
    with pytest.raises(StatisticsError, match="impossible"):
        genotype_lr_table(pedigree, "TH01", TABLE)
    assert genotype_lr_table(pedigree, "TH01", TABLE, mutation=MutationModel()).lookup(["6"]) > 0


def test_lookup_validates_genotype() -> None:
    table = genotype_lr_table(family(), "TH01", TABLE)
    with pytest.raises(StatisticsError):
        table.lookup([])
    assert table.lookup([UNSEEN_ALLELE]) == table.lr[table.unseen_index, table.unseen_index]
