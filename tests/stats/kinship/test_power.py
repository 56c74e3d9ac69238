"""How informative is a family (issue 16, item 7): exclusion power by hand and forrel's
published test values, exact expectations against a naive enumeration written here, the
Monte Carlo LR distribution against the exact one, and candidate relatives to sample next."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from locard.errors import InvalidParameter, PedigreeError
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship import Individual, MutationModel, Pedigree, Sex, missing_person_lr
from locard.stats.kinship.power import candidate_power, exclusion_power, lr_power

FREQS = {"6": 0.2, "7": 0.3, "8": 0.1, "9.3": 0.4}
TABLE = FrequencyTable.from_mapping({"TH01": FREQS, "D3S1358": {"14": 0.1, "15": 0.25,
                                                                "16": 0.25, "17": 0.4}},
                                    name="Four alleles")


def trio(*, father: str | None = None, mother: str | None = None, child: str | None = None,
         missing: str) -> Pedigree:
    def prof(text: str | None, pid: str) -> Profile | None:
        return Profile.parse(text, specimen_id=pid) if text else None
    return Pedigree.build([Individual("FA", sex=Sex.MALE, profile=prof(father, "FA")),
                           Individual("MO", sex=Sex.FEMALE, profile=prof(mother, "MO")),
                           Individual("CH", "FA", "MO", Sex.FEMALE,
                                      profile=prof(child, "CH"))], missing=missing)


def test_paternity_duo_exclusion_power_by_hand() -> None:
    """Father a/b typed, the missing child a random person: excluded iff the child carries
    neither a nor b, EP = (1 - p_a - p_b)^2; homozygous father a/a: (1 - p_a)^2."""
    het = exclusion_power(trio(father="TH01: 6,7", missing="CH"), TABLE)
    assert het["exclusion_power"] == pytest.approx((1 - 0.2 - 0.3) ** 2, rel=1e-12)
    hom = exclusion_power(trio(father="TH01: 6", missing="CH"), TABLE)
    assert hom["exclusion_power"] == pytest.approx((1 - 0.2) ** 2, rel=1e-12)
    both = exclusion_power(trio(father="TH01: 6,7; D3S1358: 14", missing="CH"), TABLE)
    assert both["per_locus"]["D3S1358"] == pytest.approx(0.9 ** 2, rel=1e-12)
    assert both["exclusion_power"] == pytest.approx(1 - (1 - 0.25) * (1 - 0.81), rel=1e-12)


def test_forrel_published_exclusion_power_values() -> None:
    """forrel tests/testthat/test-exclusion.R (github magnusdv/forrel), afreq (.5, .3, .2):
    'paternity case with child typed' (child 1/1, father missing): sum(afr[-1])^2;
    'paternity case with parents typed' (1/1 and 2/2, child missing): 1 - 2 afr1 afr2."""
    table = FrequencyTable.from_mapping({"TH01": {"6": 0.5, "7": 0.3, "8": 0.2}}, name="forrel")
    child_typed = exclusion_power(trio(child="TH01: 6", missing="FA"), table)
    assert child_typed["exclusion_power"] == pytest.approx((0.3 + 0.2) ** 2, rel=1e-12)
    parents_typed = exclusion_power(trio(father="TH01: 6", mother="TH01: 7", missing="CH"),
                                    table)
    assert parents_typed["exclusion_power"] == pytest.approx(1 - 2 * 0.5 * 0.3, rel=1e-12)


def test_forrel_published_expected_lr() -> None:
    """forrel tests/testthat/test-expectedLR.R: trio, mother 1/2, p = 0.9, the child simulated
    under H1: E[LR] = 1/(8p(1-p)) + 1/2; with the father 1/1 too: 1/(8p(1-p)) + 1/(4p^2)."""
    p = 0.9
    table = FrequencyTable.from_mapping({"TH01": {"6": p, "7": 1 - p}}, name="forrel")
    mother_only = lr_power(trio(mother="TH01: 6,7", missing="CH"), table, simulations=10)
    assert mother_only.expected_lr_h1 == pytest.approx(1 / (8 * p * (1 - p)) + 0.5, rel=1e-12)
    both = lr_power(trio(father="TH01: 6", mother="TH01: 6,7", missing="CH"), table,
                    simulations=10)
    assert both.expected_lr_h1 == pytest.approx(1 / (8 * p * (1 - p)) + 1 / (4 * p * p),
                                                 rel=1e-12)


def naive(pedigree: Pedigree, locus: str, mutation: MutationModel | None
          ) -> list[tuple[float, float, float]]:
    """(P1, P2, LR) of every genotype of the missing person, one missing_person_lr each."""
    alleles = list(TABLE.frequencies[locus])
    out = []
    for a, b in itertools.combinations_with_replacement(alleles, 2):
        cand = Profile.parse(f"{locus}: {a},{b}")
        lr = missing_person_lr(pedigree, cand, TABLE, mutation=mutation).lr
        pa, pb = TABLE.frequencies[locus][a], TABLE.frequencies[locus][b]
        p2 = pa * pa if a == b else 2 * pa * pb
        out.append((lr * p2, p2, lr))
    return out


SIBSHIP = Pedigree.build([
    Individual("FA", sex=Sex.MALE), Individual("MO", sex=Sex.FEMALE),
    Individual("S1", "FA", "MO", Sex.MALE,
               profile=Profile.parse("TH01: 6,9.3; D3S1358: 15,16", specimen_id="S1")),
    Individual("S2", "FA", "MO", Sex.FEMALE, profile=Profile.parse("TH01: 9.3",
                                                                   specimen_id="S2")),
    Individual("X", "FA", "MO", Sex.MALE)], missing="X")


@pytest.mark.parametrize("mutation", [None, MutationModel("stepwise", female_rate=0.01,
                                                          male_rate=0.02)])
def test_exact_expectations_equal_naive_enumeration(mutation: MutationModel | None) -> None:
    result = lr_power(SIBSHIP, TABLE, mutation=mutation, simulations=10)
    for locus in ("TH01", "D3S1358"):
        rows = naive(SIBSHIP, locus, mutation)
        assert sum(p1 for p1, _, _ in rows) == pytest.approx(1.0, rel=1e-12)
        e_log = sum(p1 * math.log10(lr) for p1, _, lr in rows if p1 > 0)
        e_lr = sum(p1 * lr for p1, _, lr in rows)
        assert result.per_locus[locus].expected_log10_lr_h1 == pytest.approx(e_log, rel=1e-10)
        assert result.per_locus[locus].expected_lr_h1 == pytest.approx(e_lr, rel=1e-10)
    assert result.expected_log10_lr_h1 == pytest.approx(
        sum(v.expected_log10_lr_h1 for v in result.per_locus.values()), rel=1e-12)


def test_simulated_distribution_matches_the_exact_one() -> None:
    """P(LR > t) under H1 and H2 from 20,000 seeded draws within 5 standard errors of the
    exact probability over all genotype pairs of the two loci."""
    n = 20_000
    result = lr_power(SIBSHIP, TABLE, simulations=n, seed=7, thresholds=(1.0, 3.0))
    th01, d3 = naive(SIBSHIP, "TH01", None), naive(SIBSHIP, "D3S1358", None)
    for t in (1.0, 3.0):
        for hyp, k in (("h1", 0), ("h2", 1)):
            exact = sum(x[k] * y[k] for x in th01 for y in d3 if x[2] * y[2] > t)
            se = math.sqrt(exact * (1 - exact) / n)
            assert abs(result.p_lr_above(t, hypothesis=hyp) - exact) <= 5 * se + 1e-12
            if hyp == "h2":
                assert exact <= 1 / t  # Markov: E2[LR] = 1
    assert result.summary["p_lr_above_h2_bound"]["3"] == pytest.approx(1 / 3)
    again = lr_power(SIBSHIP, TABLE, simulations=n, seed=7, thresholds=(1.0, 3.0))
    assert np.array_equal(again.log10_lr_h1, result.log10_lr_h1)  # seeded


def test_candidate_relative_to_sample_next() -> None:
    """Grandmother typed; which untyped relative adds most: the father of the missing child
    (the typed GM's son) or his father? Typing FA must add more; and the candidate's EP
    estimate agrees with an exact sum over FA's genotypes."""
    ped = Pedigree.build([
        Individual("GF", sex=Sex.MALE),
        Individual("GM", sex=Sex.FEMALE, profile=Profile.parse("TH01: 6,7", specimen_id="GM")),
        Individual("FA", "GF", "GM", Sex.MALE), Individual("MO", sex=Sex.FEMALE),
        Individual("X", "FA", "MO", Sex.MALE)], missing="X")
    base = lr_power(ped, TABLE, loci=["TH01"], simulations=10)
    fa = candidate_power(ped, "FA", TABLE, loci=["TH01"], simulations=4000, seed=3)
    gf = candidate_power(ped, "GF", TABLE, loci=["TH01"], simulations=4000, seed=3)
    assert fa.expected_log10_lr_h1 > gf.expected_log10_lr_h1 > 0
    assert fa.expected_log10_lr_h1 > base.expected_log10_lr_h1
    assert base.exclusion_power == 0  # a grandparent never excludes
    # exact: sum over FA's genotypes r of P(r | GM) * EP(FA typed r) (the duo formula)
    q = FREQS
    exact = 0.0
    for a, b in itertools.combinations_with_replacement(q, 2):
        # P(FA = {a, b} | GM 6/7): one allele from GM (6 or 7, 1/2 each), one from GF (q)
        def from_gm(x: str) -> float:
            return 0.5 if x in ("6", "7") else 0.0
        p_r = (from_gm(a) * q[b] + from_gm(b) * q[a]) if a != b else from_gm(a) * q[a]
        ep = (1 - q[a] - (q[b] if b != a else 0.0)) ** 2
        exact += p_r * ep
    assert abs(fa.exclusion_power - exact) < 0.02  # 4000 draws of FA: SE below 0.005


def test_parameters_are_checked() -> None:
    ped = trio(father="TH01: 6,7", missing="CH")
    with pytest.raises(InvalidParameter, match="simulations"):
        lr_power(ped, TABLE, simulations=0)
    with pytest.raises(PedigreeError, match="typed already"):
        candidate_power(ped, "FA", TABLE)
    with pytest.raises(PedigreeError, match="missing person"):
        candidate_power(ped, "CH", TABLE)
