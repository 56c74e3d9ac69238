"""Kinship frequencies as the table gives them (issue 16, item 2) and the equal model over the
locus's alleles (item 3): hand values, naive computations written here, and the floor rules.

- The alleles a table lists are used at exactly the table's value: no catch-all "unseen" class,
  no rescaling of untyped alleles (before, D10S1248 15 of NIST1036:Cauc was used at 0.18548
  instead of 0.19668 once a mutation model was on).
- An allele absent from the table gets the floor (5/2N, or ``min_frequency``) and its locus is
  renormalised and documented; ``min_frequency=0`` is the table as given (an absent allele is
  refused, naming it and the option).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from locard.errors import StatisticsError
from locard.genetics.alleles import parse_allele
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship import (
    Individual,
    MutationModel,
    Pedigree,
    Sex,
    genotype_lr_table,
    kinship_lr,
    locus_universe,
    missing_person_lr,
    mutation_matrix,
)
from locard.tables.bundled import get_bundled_table

TWO = FrequencyTable.from_mapping({"TH01": {"6": 0.05, "7": 0.95}}, name="Two",
                                  sample_alleles=1000)
NO_N = FrequencyTable.from_mapping(
    {"TH01": {"6": 0.05, "7": 0.25, "8": 0.7}, "vWA": {"14": 0.5, "15": 0.5}},
    name="No sizes")


def father_child(father: str) -> Pedigree:
    return Pedigree.build([
        Individual("FA", sex=Sex.MALE, profile=Profile.parse(father, specimen_id="FA")),
        Individual("MO", sex=Sex.FEMALE),
        Individual("CH", "FA", "MO", Sex.UNKNOWN)], missing="CH")


def test_candidate_allele_keeps_the_table_frequency_under_mutation() -> None:
    """The statistician's case: D10S1248 15 at NIST1036:Cauc's 0.19668, not 0.18548."""
    table = get_bundled_table("NIST1036:Cauc")
    listed = table.frequencies["D10S1248"][parse_allele("15")]
    assert listed == pytest.approx(0.19668, abs=5e-6)
    ped = father_child("D10S1248: 13/14")
    result = missing_person_lr(ped, Profile.parse("D10S1248: 14/15"), table,
                               mutation=MutationModel("stepwise"))
    used = result.per_locus["D10S1248"].frequencies
    assert used["15"] == listed
    assert used["14"] == table.frequencies["D10S1248"][parse_allele("14")]
    assert result.renormalised == {}


@pytest.mark.parametrize(("male", "female"), [(0.0, 0.0), (0.002, 0.0005), (0.01, 0.003)])
def test_father_child_homozygous_equal_model_by_hand(male: float, female: float) -> None:
    """Two alleles (p = 0.05, 0.95), father and child A/A, mother untyped. Equal model over the
    locus's 2 alleles: the father passes A on with 1 - r_m; the mother passes A with
    p (1 - r_f) + (1 - p) r_f / (2 - 1). LR = (1 - r_m)(p (1 - r_f) + (1 - p) r_f) / p^2;
    without mutation 1/p = 20. Tolerance: 1e-12 relative."""
    p = 0.05
    model = MutationModel("equal", female_rate=female, male_rate=male)
    result = missing_person_lr(father_child("TH01: 6"), Profile.parse("TH01: 6"), TWO,
                               mutation=model)
    expected = (1 - male) * (p * (1 - female) + (1 - p) * female) / p ** 2
    assert result.lr == pytest.approx(expected, rel=1e-12)
    if male == 0:
        assert result.lr == pytest.approx(20.0, rel=1e-12)


def _naive_trio_lr(freqs: dict[str, float], father: tuple[str, str], child: tuple[str, str],
                   m_male: np.ndarray, m_female: np.ndarray, labels: list[str]) -> float:
    """Sum over the untyped mother's genotypes and the transmitted alleles, in loops."""
    idx = {a: i for i, a in enumerate(labels)}
    f0, f1 = idx[father[0]], idx[father[1]]
    c0, c1 = idx[child[0]], idx[child[1]]
    hp = 0.0
    for x, y in itertools.product(range(len(labels)), repeat=2):  # mother's ordered genotype
        mother = freqs[labels[x]] * freqs[labels[y]]
        for pat, mat in ((c0, c1), (c1, c0)) if c0 != c1 else ((c0, c1),):
            from_father = 0.5 * (m_male[f0, pat] + m_male[f1, pat])
            from_mother = 0.5 * (m_female[x, mat] + m_female[y, mat])
            hp += mother * from_father * from_mother
    q0, q1 = freqs[child[0]], freqs[child[1]]
    hd = q0 * q0 if c0 == c1 else 2 * q0 * q1
    return hp / hd


@pytest.mark.parametrize("model", ["equal", "proportional", "stepwise"])
def test_father_child_lr_equals_naive_on_the_table_as_given(model: str) -> None:
    """Every allele at the table's own frequency, the matrix over the table's alleles only."""
    table = get_bundled_table("NIST1036:Cauc")
    per = table.frequencies["D10S1248"]
    labels = [str(a) for a in per]
    freqs = {str(a): f for a, f in per.items()}
    mm = MutationModel(model, female_rate=0.0005, male_rate=0.002)
    alleles = [parse_allele(a) for a in labels]
    m_male = mm.matrix(alleles, list(freqs.values()), sex="male", repeat_length=4)
    m_female = mm.matrix(alleles, list(freqs.values()), sex="female", repeat_length=4)
    for fa, ch in [(("13", "14"), ("14", "15")), (("13", "14"), ("15", "16")),
                   (("12", "12"), ("13", "13"))]:
        result = missing_person_lr(father_child(f"D10S1248: {fa[0]}/{fa[1]}"),
                                   Profile.parse(f"D10S1248: {ch[0]}/{ch[1]}"), table,
                                   mutation=mm)
        expected = _naive_trio_lr(freqs, fa, ch, m_male, m_female, labels)
        assert result.lr == pytest.approx(expected, rel=1e-10), (model, fa, ch)


def test_absent_allele_gets_the_floor_and_the_locus_is_renormalised() -> None:
    floor = 5 / 1000
    result = missing_person_lr(father_child("TH01: 6/7"), Profile.parse("TH01: 7/9"), TWO,
                               mutation=MutationModel("equal"))
    used = result.per_locus["TH01"].frequencies
    total = 1 + floor
    assert used["9"] == pytest.approx(floor / total, rel=1e-15)
    assert used["7"] == pytest.approx(0.95 / total, rel=1e-15)
    assert set(result.renormalised) == {"TH01"}
    assert "9" in result.renormalised["TH01"] and "renormalised" in result.renormalised["TH01"]
    assert result.to_dict()["renormalised_loci"] == result.renormalised
    # the same universe, whoever asks: the pairwise formula sees the same frequencies
    pair = kinship_lr(Profile.parse("TH01: 6/7"), Profile.parse("TH01: 7/9"), "parent-child", TWO)
    plain = missing_person_lr(father_child("TH01: 6/7"), Profile.parse("TH01: 7/9"), TWO)
    assert pair.lr == pytest.approx(plain.lr, rel=1e-12)
    assert pair.renormalised == plain.renormalised


def test_min_frequency_zero_is_the_table_as_given() -> None:
    """A table without sample sizes works with no floor; an absent allele is refused with the
    option that fixes it, and a floor of one's own is used for it."""
    ped = father_child("TH01: 6/7; vWA: 14")
    cand = Profile.parse("TH01: 7/8; vWA: 14/15")
    result = missing_person_lr(ped, cand, NO_N, mutation=MutationModel("equal"),
                               min_frequency=0.0)
    assert result.per_locus["TH01"].frequencies["8"] == 0.7
    assert result.provenance["parameters"]["min_frequency"] == 0.0
    # no floor needed when every allele is listed, even without a given min_frequency
    again = missing_person_lr(ped, cand, NO_N, mutation=MutationModel("equal"))
    assert again.lr == pytest.approx(result.lr, rel=1e-15)
    odd = Profile.parse("TH01: 7/9.3; vWA: 14/15")
    with pytest.raises(StatisticsError, match=r"9\.3.*--min-frequency"):
        missing_person_lr(ped, odd, NO_N, min_frequency=0.0)
    floored = missing_person_lr(ped, odd, NO_N, min_frequency=0.01)
    assert floored.per_locus["TH01"].frequencies["9.3"] == pytest.approx(0.01 / 1.01)
    assert floored.provenance["parameters"]["min_frequency"] == 0.01


def test_universe_lists_the_table_alleles_only() -> None:
    u = locus_universe(TWO, "TH01", typed_alleles=["6"])
    assert u.labels == ("6", "7")
    assert list(u.frequencies) == [0.05, 0.95]
    u2 = locus_universe(TWO, "TH01", typed_alleles=["6"], catch_all=True)
    assert u2.labels == ("6", "7", "unseen")
    assert u2.frequencies.sum() == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("model", [None, "equal", "proportional"])
def test_genotype_table_equals_the_direct_lr_for_listed_and_absent_alleles(
        model: str | None) -> None:
    """The search table's entries, including its catch-all row for an allele absent from the
    table and the family, equal the direct missing-person LR (tolerance 1e-10 relative)."""
    table = get_bundled_table("NIST1036:Cauc")
    mm = MutationModel(model) if model else None
    ped = father_child("D10S1248: 13/14")
    tab = genotype_lr_table(ped, "D10S1248", table, mutation=mm)
    for cand in ("14/15", "13/13", "15/16", "14/99"):
        direct = missing_person_lr(ped, Profile.parse(f"D10S1248: {cand}"), table, mutation=mm)
        assert tab.lookup(cand.split("/")) == pytest.approx(direct.lr, rel=1e-10), cand
    as_given = genotype_lr_table(ped, "D10S1248", table, mutation=mm, min_frequency=0.0)
    assert "unseen" not in as_given.alleles
    with pytest.raises(StatisticsError, match="--min-frequency"):
        as_given.lookup(["14", "99"])


def _naive_equal(n: int, rate: float) -> np.ndarray:
    m = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            m[i, j] = 1 - rate if i == j else rate / (n - 1)
    return m


def _naive_proportional(p: list[float], rate: float) -> np.ndarray:
    n = len(p)
    spread = 0.0
    for i in range(n):
        spread += p[i] * (1 - p[i])
    alpha = rate / spread
    m = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            m[i, j] = 1 - alpha * (1 - p[i]) if i == j else alpha * p[j]
    return m


def test_equal_and_proportional_matrices_equal_naive_loops() -> None:
    p = [0.05, 0.1, 0.2, 0.3, 0.35]
    names = [parse_allele(x) for x in ("9", "10", "11", "12", "13")]
    for rate in (0.0005, 0.002, 0.05):
        np.testing.assert_allclose(mutation_matrix("equal", names, p, rate=rate),
                                   _naive_equal(5, rate), rtol=1e-14, atol=0)
        np.testing.assert_allclose(mutation_matrix("proportional", names, p, rate=rate),
                                   _naive_proportional(p, rate), rtol=1e-13, atol=1e-18)
    # pedmut / Familias: the expected proportional rate is the stated one
    m = _naive_proportional(p, 0.002)
    assert math.fsum(p[i] * (1 - m[i, i]) for i in range(5)) == pytest.approx(0.002, rel=1e-12)


# a Familias-style locus: four decimals that sum to 1 only up to rounding (1 + 3e-11)
ROUNDED = {"6": 0.1234567891, "7": 0.2345678901, "8": 0.3456789012, "9.3": 0.2962964196}


@pytest.mark.parametrize("excess", [3e-11, -4e-7])
def test_a_sum_within_the_tolerance_is_not_noted(excess: float) -> None:
    """A locus whose frequencies sum to 1 within RENORMALISE_TOLERANCE (1e-6) is rounding: no
    note (before: 'sum to 1; ... divided by 1' on most loci of a Familias file), the values
    made exact (divided by a total within 1e-6 of 1, so untyped genotypes sum to 1)."""
    from locard.stats.kinship.universe import RENORMALISE_TOLERANCE

    freqs = dict(ROUNDED)
    freqs["9.3"] += excess - (sum(ROUNDED.values()) - 1.0)
    total = sum(freqs.values())
    assert 0 < abs(total - 1.0) <= RENORMALISE_TOLERANCE
    table = FrequencyTable.from_mapping({"TH01": freqs}, name="Rounded", sample_alleles=1000)
    universe = locus_universe(table, "TH01", typed_alleles=["6", "7"])
    assert universe.renormalised is None
    for allele, f in freqs.items():
        used = float(universe.frequencies[universe.index[str(parse_allele(allele))]])
        assert used == pytest.approx(f / total, rel=1e-15)
        assert used == pytest.approx(f, rel=2 * RENORMALISE_TOLERANCE)
    assert float(universe.frequencies.sum()) == pytest.approx(1.0, abs=1e-15)
    result = missing_person_lr(father_child("TH01: 6/7"), Profile.parse("TH01: 7/8"), table)
    assert result.renormalised == {}
    assert result.provenance  # the note is gone, not the result
    # hand value, father 6/7, child 7/8, mother untyped: the father passes 7 (1/2), the mother
    # 8 (p_8), so LR = (p_8 / 2) / (2 p_7 p_8) = 1 / (4 p_7)
    assert result.lr == pytest.approx(total / (4 * freqs["7"]), rel=1e-12)


def test_a_sum_beyond_the_tolerance_is_renormalised_and_noted() -> None:
    freqs = {**ROUNDED, "9.3": ROUNDED["9.3"] + 0.01}
    table = FrequencyTable.from_mapping({"TH01": freqs}, name="Off", sample_alleles=1000)
    universe = locus_universe(table, "TH01")
    assert universe.renormalised is not None and "sum to 1.01" in universe.renormalised
    assert float(universe.frequencies.sum()) == pytest.approx(1.0, abs=1e-15)


def test_an_absent_allele_is_noted_even_when_the_sum_stays_near_1() -> None:
    """The floor went to an absent allele: always renormalised and noted, however small."""
    freqs = dict(ROUNDED)
    freqs["9.3"] -= 1e-7  # the table sums to 1 - 1e-7 + 3e-11; the floor below adds 1e-7
    table = FrequencyTable.from_mapping({"TH01": freqs}, name="Near", sample_alleles=1000)
    universe = locus_universe(table, "TH01", typed_alleles=["10"], min_frequency=1e-7)
    assert universe.renormalised is not None and "10" in universe.renormalised
