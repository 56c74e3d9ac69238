"""Per-locus genotype LR tables of the continuous model at fixed parameters (the first stage of the
ProbRank-class database search), against the naive enumeration.

Tolerances: table LR vs naive L(Hp)/L(Hd) (explicit genotype enumeration with scipy.stats.gamma,
tests/stats/mixture/continuous_naive.py) within 1e-9 relative; the single-source hand case
within 1e-9 relative of 1/P(g) (the other genotypes' weight is below 1e-20 there)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from tests.stats.mixture.continuous_naive import naive_loglik

from locard.errors import InputError
from locard.genetics.alleles import parse_allele
from locard.genetics.profiles import Profile
from locard.stats.mixture.continuous import (
    ContinuousOptions,
    Parameters,
    locus_data,
    prepare_hypothesis,
)
from locard.stats.mixture.continuous_tables import (
    continuous_lr_tables,
    typed_genotype_probability,
)

FREQS = {"8": 0.1, "9": 0.12, "10": 0.2, "11": 0.25, "12": 0.15, "13": 0.1, "14": 0.05}
BP = {str(k): 100.0 + 4 * k for k in range(1, 20)}
Q_BP = 170.0

LOCI = {
    "TH01": [{"9": 80, "10": 900, "11": 350, "12": 1200}],
    "TPOX": [{"10": 700, "11": 650, "14": 150}, {"10": 800, "11": 500, "12": 40, "14": 180}],
    "CSF1PO": [{"11": 1500, "12": 90}],
}


def _prepare(reps: list[dict[str, float]], known: list[tuple[str, str]], n_unknowns: int,
             options: ContinuousOptions, locus: str = "TH01"):  # type: ignore[no-untyped-def]
    d = locus_data(locus, [{parse_allele(a): float(y) for a, y in r.items()} for r in reps],
                   {parse_allele(a): f for a, f in FREQS.items()}, threshold=50.0,
                   options=options, kit_locus=None, fragment_lengths={**BP, "Q": Q_BP})
    codes = [(d.code(parse_allele(a)), d.code(parse_allele(b))) for a, b in known]
    bn = [0] * (d.n_obs + 1)
    for a, b in codes:
        bn[a] += 1
        bn[b] += 1
    return d, prepare_hypothesis(d, codes, n_unknowns, bn_counts=bn, bn_total=sum(bn),
                                 options=options)


def _naive(reps: list[dict[str, float]], known: list[tuple[str, str]], n_unknowns: int,
           typed: list[str], mx: tuple[float, ...], params: Parameters, theta: float) -> float:
    return naive_loglik(reps, FREQS, known=known, n_unknowns=n_unknowns, typed_alleles=typed,
                        mx=mx, mu=params.mu, sigma=params.sigma, beta=params.beta,
                        xi_b=params.xi_b, xi_f=params.xi_f, bp=BP, q_bp=Q_BP, threshold=50.0,
                        pc=0.05, lam=0.01, theta=theta)


@pytest.mark.parametrize("theta", [0.0, 0.03])
@pytest.mark.parametrize("known", [[], [("10", "12")]], ids=["2 unknowns", "1 known + 2"])
def test_table_equals_naive_hp_over_hd(theta: float, known: list[tuple[str, str]]) -> None:
    """Every candidate genotype over the evidence's alleles + Q (a candidate allele off the
    evidence, 8 or the stutter-only 9 at CSF1PO, is Q), in every slot, at every locus: the table
    value is the naive L(Hp: candidate in that slot) / L(Hd: candidate a typed non-contributor)
    at the same parameters."""
    options = ContinuousOptions(dropin=0.05, dropin_lambda=0.01, degradation=True,
                                backward_stutter=True, theta=theta)
    mx = (0.5, 0.3, 0.2) if known else (0.65, 0.35)
    params = Parameters(mx=mx, mu=1100.0, sigma=0.3, beta=0.8, xi_b=0.08)
    prepared = [_prepare(reps, known, 2, options, locus=name)[1]
                for name, reps in LOCI.items()]
    tables = continuous_lr_tables(prepared, params)
    assert tables.slots == 2 and tables.n_known == len(known)
    n_known = len(known)
    checked = 0
    for name, reps in LOCI.items():
        t = tables.tables[name]
        off = "8" if name != "CSF1PO" else "9"  # not observed: Q
        names = [str(a) for a in t.data.alleles[: t.data.n_obs]] + [off]
        assert "8" not in names[:-1] and "9" not in {k for r in reps for k, y in r.items()
                                                      if y >= 50 and name == "CSF1PO"}
        for i, j in itertools.combinations_with_replacement(range(len(names)), 2):
            g = (names[i], names[j])
            typed = [a for p in [*known, g] for a in p]
            hd = _naive(reps, known, 2, typed, mx, params, theta)
            for k in range(2):
                other = [mx[n_known + u] for u in range(2) if u != k]
                mx_hp = (*mx[:n_known], mx[n_known + k], *other)
                hp = _naive(reps, [*known, g], 1, typed, mx_hp, params, theta)
                expected = math.exp(hp - hd)
                got = tables.genotype_lr(name, parse_allele(g[0]), parse_allele(g[1]), slot=k)
                assert got == pytest.approx(expected, rel=1e-9, abs=0), (name, g, k)
                checked += 1
    # 4, 3 (12 at 40 RFU is below AT) and 2 observed alleles + Q: pairs x slots
    assert checked == 2 * (15 + 10 + 6)


def test_single_source_high_peaks_gives_one_over_genotype_probability() -> None:
    """One unknown, peaks far above the threshold, no stutter, no degradation: the true
    genotype's posterior is 1 (every alternative needs a drop-in of height 5000, weight
    ~exp(-49)), so its table LR is 1/P(g) = 1/(2 p10 p12); a genotype that cannot explain both
    peaks has LR ~ 0."""
    options = ContinuousOptions(dropin=0.05, dropin_lambda=0.01, degradation=False,
                                backward_stutter=False)
    _, h = _prepare([{"10": 5000, "12": 5200}], [], 1, options)
    tables = continuous_lr_tables([h], Parameters(mx=(1.0,), mu=5000.0, sigma=0.1))
    lr = tables.genotype_lr("TH01", parse_allele("10"), parse_allele("12"), slot=0)
    assert lr == pytest.approx(1 / (2 * 0.2 * 0.15), rel=1e-9)
    assert tables.genotype_lr("TH01", parse_allele("10"), parse_allele("8"), slot=0) < 1e-15
    # the same candidate as a profile: one locus, slot 0
    value, slot, per = tables.candidate_lr(Profile.from_mapping({"TH01": ["12", "10"]}))
    assert (slot, list(per)) == (0, ["TH01"]) and value == pytest.approx(lr, rel=1e-12)


def test_candidate_lr_takes_the_best_slot_at_every_locus_and_skips_untyped_loci() -> None:
    options = ContinuousOptions(dropin=0.05, degradation=True, backward_stutter=True)
    params = Parameters(mx=(0.7, 0.3), mu=1100.0, sigma=0.3, beta=0.8, xi_b=0.08)
    prepared = [_prepare(reps, [], 2, options, locus=name)[1] for name, reps in LOCI.items()]
    tables = continuous_lr_tables(prepared, params)
    cand = Profile.from_mapping({"TH01": ["10", "12"], "TPOX": ["10", "11"]})
    value, slot, per = tables.candidate_lr(cand)
    assert list(per) == ["TH01", "TPOX"]  # L3 untyped: left out (LR 1)
    by_slot = [math.prod(tables.genotype_lr(loc, *cand.alleles(loc)[:2], slot=k)
                         for loc in ("TH01", "TPOX")) for k in range(2)]
    assert value == pytest.approx(max(by_slot), rel=1e-12)
    assert slot == by_slot.index(max(by_slot))
    assert math.prod(per.values()) == pytest.approx(value, rel=1e-12)


def test_typed_genotype_probability_is_balding_nichols() -> None:
    freq = np.array([0.2, 0.3, 0.5])
    # theta 0: Hardy-Weinberg
    assert typed_genotype_probability(0, 1, freq, [0, 0, 0], theta=0.0) == pytest.approx(0.12)
    assert typed_genotype_probability(2, 2, freq, [3, 1, 0], theta=0.0) == pytest.approx(0.25)
    # theta > 0, homozygote, 2 typed copies of allele 0 among 4 (NRC II 4.10a by hand)
    th = 0.1
    expected = ((2 * th + 0.9 * 0.2) / (1 + 3 * th)) * ((3 * th + 0.9 * 0.2) / (1 + 4 * th))
    assert typed_genotype_probability(0, 0, freq, [2, 2, 0], theta=th) == pytest.approx(expected)


def test_hd_without_unknowns_is_refused() -> None:
    options = ContinuousOptions(degradation=False, backward_stutter=False)
    _, h = _prepare([{"10": 900}], [("10", "10")], 0, options)
    with pytest.raises(InputError, match="unknown"):
        continuous_lr_tables([h], Parameters(mx=(1.0,), mu=900.0, sigma=0.2))
