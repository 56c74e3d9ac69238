"""Match statistics: hand-calculable values, degenerate reductions and a naive implementation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from locard.errors import InvalidParameter, StatisticsError
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.match import (
    Formula,
    combined_probability_of_inclusion,
    genotype_probability,
    most_conservative_rmp,
    random_match_probability,
)

TABLE = FrequencyTable.from_mapping(
    {
        "TH01": {"6": 0.3, "7": 0.2, "9.3": 0.5},
        "vWA": {"16": 0.2, "17": 0.3, "18": 0.5},
        "FGA": {"20": 0.1, "21": 0.2, "22": 0.3, "23": 0.4},
    },
    name="Hand", population="test", sample_alleles=200,
)


def naive_conditional(genotype: list[float], *, theta: float) -> float:
    """P(second copy of genotype | first copy) from the Balding-Nichols sampling formula,
    drawing the four alleles one at a time: P(next = A | n_A of n seen) =
    (n_A theta + (1 - theta) p_A) / (1 + (n - 1) theta). Written independently of the library."""

    def sequence_probability(alleles: list[float]) -> float:
        seen: dict[float, int] = {}
        prob = 1.0
        for n, p in enumerate(alleles):
            prob *= (seen.get(p, 0) * theta + (1 - theta) * p) / (1 + (n - 1) * theta) if n else p
            seen[p] = seen.get(p, 0) + 1
        return prob

    return sequence_probability(genotype + genotype) / sequence_probability(genotype)


def test_published_homozygote_value() -> None:
    # NRC II eq. 4.10a with theta = 0.01, p = 0.3 (shared/data/README.md): 0.100620
    assert genotype_probability(0.3, theta=0.01) == pytest.approx(0.100620, abs=5e-7)


def test_published_sampling_formula_value() -> None:
    # one person's genotype under theta: P(AA) = p[theta + (1 - theta)p] = 0.0921 (pedprobr)
    assert genotype_probability(0.3, theta=0.01, formula="nrc2-4.1") == pytest.approx(0.0921)


def test_heterozygote_by_hand() -> None:
    # 2[t + (1-t)pA][t + (1-t)pB] / [(1+t)(1+2t)] with t = 0.03, pA = 0.1, pB = 0.2
    t, pa, pb = 0.03, 0.1, 0.2
    expected = 2 * (t + (1 - t) * pa) * (t + (1 - t) * pb) / ((1 + t) * (1 + 2 * t))
    assert genotype_probability(pa, pb, theta=t) == pytest.approx(expected, rel=1e-15)
    # by hand: 2 x 0.127 x 0.224 / (1.03 x 1.06) = 0.056896 / 1.0918 = 0.0521121
    assert expected == pytest.approx(0.0521121, abs=1e-7)


@pytest.mark.parametrize("formula", list(Formula))
@given(p=st.floats(0.001, 0.999), q=st.floats(0.001, 0.999))
def test_theta_zero_is_the_product_rule(formula: Formula, p: float, q: float) -> None:
    assert genotype_probability(p, theta=0.0, formula=formula) == pytest.approx(p * p)
    assert genotype_probability(p, q, theta=0.0, formula=formula) == pytest.approx(2 * p * q)


@given(p=st.floats(0.001, 0.9), q=st.floats(0.001, 0.9), theta=st.floats(0.0, 0.3))
def test_nrc_4_10_equals_naive_sampling_formula(p: float, q: float, theta: float) -> None:
    assert genotype_probability(p, theta=theta) == pytest.approx(
        naive_conditional([p, p], theta=theta), rel=1e-9)
    if abs(p - q) > 1e-9:
        # heterozygote: two orders of the first copy, the naive ratio is order-free
        assert genotype_probability(p, q, theta=theta) == pytest.approx(
            2 * naive_conditional([p, q], theta=theta), rel=1e-9)


def test_theta_raises_match_probability() -> None:
    assert genotype_probability(0.1, theta=0.03) > genotype_probability(0.1, theta=0.01) > 0.01


def test_bad_theta() -> None:
    with pytest.raises(InvalidParameter, match=r"theta = 1.5 is out of range"):
        genotype_probability(0.1, theta=1.5)


def test_rmp_is_product_of_per_locus_and_reports_exclusions() -> None:
    profile = Profile.parse("TH01: 6,9.3; vWA: 17; AMEL: X,Y; D3S1358: 15", specimen_id="S1")
    result = random_match_probability(profile, TABLE, theta=0.01)
    assert set(result.per_locus) == {"TH01", "vWA"}
    per_locus = [p.probability for p in result.per_locus.values()]
    assert result.value == pytest.approx(math.prod(per_locus))
    assert result.per_locus["TH01"].probability == pytest.approx(genotype_probability(0.3, 0.5))
    assert result.per_locus["vWA"].probability == pytest.approx(genotype_probability(0.3))
    assert result.excluded == {
        "AMEL": "not an autosomal STR (sex marker)",
        "D3S1358": "no frequencies in table Hand",
    }
    assert result.likelihood_ratio == pytest.approx(1 / result.value)
    prov = result.provenance
    assert prov["frequency_table"]["sha256"] == TABLE.sha256
    assert prov["parameters"] == {"theta": 0.01, "formula": "nrc2-4.10",
                                  "loci": ["TH01", "vWA"], "min_frequency": None}
    assert prov["locard_version"]


def test_rmp_over_a_locus_set_reports_untyped_loci() -> None:
    profile = Profile.parse("TH01: 6; vWA: 17; FGA: 20,21")
    result = random_match_probability(profile, TABLE, loci=["TH01", "FGA", "D8S1179"], theta=0)
    assert set(result.per_locus) == {"TH01", "FGA"}
    assert result.excluded["D8S1179"] == "not typed in the profile"
    assert result.excluded["vWA"] == "not in the requested locus set"
    assert result.value == pytest.approx(0.3**2 * 2 * 0.1 * 0.2)


def test_unseen_allele_gets_nrc2_minimum_frequency() -> None:
    profile = Profile.parse("TH01: 6,11")  # 11 not in the table; 2N = 200 -> 5/200
    result = random_match_probability(profile, TABLE, theta=0.0, formula="product")
    freqs = {str(f.allele): (f.value, f.source) for f in result.per_locus["TH01"].frequencies}
    assert freqs["11"] == (pytest.approx(5 / 200), "minimum")
    assert result.value == pytest.approx(2 * 0.3 * 0.025)


def test_mixture_is_refused() -> None:
    with pytest.raises(StatisticsError, match="TH01: 3 alleles, so the profile is a mixture"):
        random_match_probability(Profile.parse("TH01: 6,7,9.3"), TABLE)


def test_most_conservative_population() -> None:
    other = FrequencyTable.from_mapping({"TH01": {"6": 0.6, "7": 0.1, "9.3": 0.3}},
                                        name="Other", sample_alleles=100)
    profile = Profile.parse("TH01: 6")
    res = most_conservative_rmp(profile, [TABLE, other], theta=0)
    assert res.chosen.table.name == "Other"
    assert res.chosen.value == pytest.approx(0.36)
    assert res.results["Hand"].value == pytest.approx(0.09)


def test_cpi_by_hand() -> None:
    mixture = Profile.parse("TH01: 6,7,9.3; FGA: 20,21,22")
    res = combined_probability_of_inclusion(mixture, TABLE)
    # TH01: (0.3+0.2+0.5)^2 = 1; FGA: (0.1+0.2+0.3)^2 = 0.36
    assert res.per_locus["TH01"].probability == pytest.approx(1.0)
    assert res.per_locus["FGA"].probability == pytest.approx(0.36)
    assert res.cpi == pytest.approx(0.36)
    assert res.cpe == pytest.approx(0.64)
