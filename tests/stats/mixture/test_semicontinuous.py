"""The semi-continuous likelihood: hand-calculable cases, degenerate reductions, bad input, and
a slow naive enumeration written here (explicit loops over each unknown's genotype, the
sequential Balding-Nichols formula allele by allele) against the fast code under hypothesis.

Tolerances: closed forms and the naive enumeration agree to 1e-12 relative (double rounding
only); prod(per-locus) == total to 1e-12."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locard.errors import (
    CombinatorialLimit,
    InputError,
    InvalidParameter,
    StatisticsError,
    UnknownLocus,
)
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture import Evidence, Hypothesis, semicontinuous_lr

LOCUS = "D8S1179"
FREQS = {"8": 0.05, "9": 0.1, "10": 0.15, "11": 0.2, "12": 0.25, "13": 0.25}
TABLE = FrequencyTable.from_mapping({LOCUS: FREQS, "TH01": {"6": 0.3, "7": 0.3, "9.3": 0.4}},
                                    name="hand")
REL = 1e-12


def _profile(genotype: Sequence[str], locus: str = LOCUS) -> Profile:
    return Profile.from_mapping({locus: list(genotype)})


def _lr(reps: Sequence[Sequence[str]], profiles: Mapping[str, Sequence[str]], hp: Hypothesis,
        hd: Hypothesis, *, dropout: Mapping[str, float] | None = None, dropin: float = 0.0,
        theta: float = 0.0, poi: str | None = "POI", min_frequency: float = 0.0,
        table: FrequencyTable = TABLE) -> tuple[float, float, float]:
    result = semicontinuous_lr(
        Evidence.from_mapping({f"r{i}": {LOCUS: list(r)} for i, r in enumerate(reps)}),
        {k: _profile(v) for k, v in profiles.items()}, hp, hd, table, poi=poi,
        dropout=dropout if dropout is not None else dict.fromkeys(profiles, 0.0),
        dropin=dropin, theta=theta, min_frequency=min_frequency)
    loc = result.per_locus[LOCUS]
    return loc.likelihood_hp, loc.likelihood_hd, result.lr


# --- hand-calculable ---------------------------------------------------------------------------


def test_single_source_without_dropout_is_one_over_the_genotype_frequency() -> None:
    _, l_hd, lr = _lr([["10", "12"]], {"POI": ["10", "12"]}, Hypothesis(("POI",)),
                      Hypothesis((), (0.0,)))
    assert l_hd == pytest.approx(2 * 0.15 * 0.25, rel=REL)
    assert lr == pytest.approx(1 / (2 * 0.15 * 0.25), rel=REL)
    _, _, lr_hom = _lr([["11"]], {"POI": ["11"]}, Hypothesis(("POI",)), Hypothesis((), (0.0,)))
    assert lr_hom == pytest.approx(1 / 0.2**2, rel=REL)


@pytest.mark.parametrize("theta", [0.01, 0.03, 0.1])
def test_single_source_with_theta_is_nrc2_4_10(theta: float) -> None:
    """The POI is typed under Hd, so the unknown's genotype is conditioned on it: NRC II 4.10."""
    p, q = 0.15, 0.25
    _, _, lr = _lr([["10", "12"]], {"POI": ["10", "12"]}, Hypothesis(("POI",)),
                   Hypothesis((), (0.0,)), theta=theta)
    het = 2 * (theta + (1 - theta) * p) * (theta + (1 - theta) * q) / (
        (1 + theta) * (1 + 2 * theta))
    assert lr == pytest.approx(1 / het, rel=REL)
    _, _, lr_hom = _lr([["11"]], {"POI": ["11"]}, Hypothesis(("POI",)), Hypothesis((), (0.0,)),
                       theta=theta)
    f = 0.2
    hom = (2 * theta + (1 - theta) * f) * (3 * theta + (1 - theta) * f) / (
        (1 + theta) * (1 + 2 * theta))
    assert lr_hom == pytest.approx(1 / hom, rel=REL)


def test_two_unknowns_theta_zero_is_the_product_rule_by_inclusion_exclusion() -> None:
    """Two unknowns, no drop-out or drop-in: P(4 alleles lie in S and cover S) =
    sum over T subset of S of (-1)^|S-T| (sum_T p)^4."""
    s = ["9", "11", "13"]
    _, l_hd, _ = _lr([s], {"POI": ["9", "11"]}, Hypothesis(("POI",), (0.0,)),
                     Hypothesis((), (0.0, 0.0)))
    expected = sum((-1) ** (len(s) - r) * sum(FREQS[a] for a in t) ** 4
                   for r in range(len(s) + 1) for t in itertools.combinations(s, r))
    assert l_hd == pytest.approx(expected, rel=REL)


def test_no_dropout_no_dropin_reduces_to_inclusion() -> None:
    # the POI carries 8, which is not in the evidence: excluded, LR 0
    l_hp, _, lr = _lr([["10", "12", "13"]], {"POI": ["8", "10"]},
                      Hypothesis(("POI",), (0.0,)), Hypothesis((), (0.0, 0.0)))
    assert l_hp == 0.0
    assert lr == 0.0
    # included, one unknown under Hp must carry 12 and 13 exactly
    l_hp, _, lr = _lr([["10", "12", "13"]], {"POI": ["10", "10"]},
                      Hypothesis(("POI",), (0.0,)), Hypothesis((), (0.0, 0.0)))
    assert l_hp == pytest.approx(2 * 0.25 * 0.25, rel=REL)
    assert lr > 1


def test_empty_replicate_means_everything_dropped_out() -> None:
    """Nothing observed: every allele is Q; L(Hp) = d_poi^2 (1 - pC), L(Hd) = sum over the
    unknown's genotypes of P(G) d^2 (1 - pC) = d^2 (1 - pC) (Q = the whole table)."""
    d_poi, d_u, pc = 0.4, 0.7, 0.05
    l_hp, l_hd, lr = _lr([[]], {"POI": ["10", "12"]}, Hypothesis(("POI",)),
                         Hypothesis((), (d_u,)), dropout={"POI": d_poi}, dropin=pc)
    assert l_hp == pytest.approx(d_poi**2 * (1 - pc), rel=REL)
    assert l_hd == pytest.approx(d_u**2 * (1 - pc), rel=REL)
    assert lr == pytest.approx((d_poi / d_u) ** 2, rel=REL)


def test_dropin_and_homozygote_dropout() -> None:
    """One replicate showing 10 and 13; Hp: the POI (10,10), drop-out d: the 10 stays with
    1 - d^2, the 13 is a drop-in pC p_13. Hd: no contributor but drop-in of both:
    pC^2 p_10 p_13 (and no unknowns)."""
    d, pc = 0.3, 0.1
    l_hp, l_hd, _ = _lr([["10", "13"]], {"POI": ["10"]}, Hypothesis(("POI",)), Hypothesis(()),
                        dropout={"POI": d}, dropin=pc)
    assert l_hp == pytest.approx((1 - d**2) * pc * 0.25, rel=REL)
    assert l_hd == pytest.approx(pc * 0.15 * pc * 0.25, rel=REL)


def test_floor_for_observed_allele_absent_from_the_table_and_q_not_reduced() -> None:
    floor = 0.01
    _, l_hd, _ = _lr([["10", "14"]], {"POI": ["10", "14"]}, Hypothesis(("POI",)),
                     Hypothesis((), (0.0,)), min_frequency=floor)
    assert l_hd == pytest.approx(2 * 0.15 * floor, rel=REL)
    with pytest.raises(InputError, match="min_frequency"):
        _lr([["10", "14"]], {"POI": ["10", "14"]}, Hypothesis(("POI",)), Hypothesis((), (0.0,)))


def test_total_is_product_of_loci_untyped_locus_and_amelogenin_left_out() -> None:
    evidence = Evidence.from_mapping({
        "r1": {LOCUS: ["10", "12"], "TH01": ["6", "9.3"], "AMEL": ["X"]},
        "r2": {LOCUS: ["10"]}})
    profiles = {"POI": Profile.from_mapping({LOCUS: ["10", "12"], "TH01": ["6", "9.3"],
                                             "vWA": ["16", "17"]})}
    result = semicontinuous_lr(evidence, profiles, Hypothesis(("POI",), ()),
                               Hypothesis((), (0.2,)), TABLE, poi="POI",
                               dropout={"POI": 0.2}, dropin=0.05, theta=0.01)
    assert set(result.per_locus) == {LOCUS, "TH01"}
    assert "AMEL" in result.notes
    assert result.lr == pytest.approx(math.prod(v.lr for v in result.per_locus.values()),
                                      rel=REL)
    assert result.loglik_hp - result.loglik_hd == pytest.approx(math.log(result.lr), rel=1e-9)
    assert result.log10_lr == pytest.approx(math.log10(result.lr), rel=REL)
    prov = result.provenance
    assert prov["frequency_table"]["sha256"] == TABLE.sha256
    assert prov["parameters"]["theta"] == 0.01
    out = result.to_dict()
    assert set(out) >= {"lr", "log10_lr", "per_locus", "loglik", "provenance"}


# --- bad input ---------------------------------------------------------------------------------


def test_bad_input_names_the_field_and_the_remedy() -> None:
    with pytest.raises(UnknownLocus, match=r"D99S99.*evidence\.r1"):
        Evidence.from_mapping({"r1": {"D99S99": ["10"]}})
    with pytest.raises(InputError, match=r"hypotheses\.hp\.contributors: 'K9' is in no profile"):
        _lr([["10"]], {"POI": ["10"]}, Hypothesis(("K9", "POI")), Hypothesis((), (0.1,)))
    with pytest.raises(InvalidParameter, match=r"dropout\.POI = 1\.0"):
        _lr([["10"]], {"POI": ["10"]}, Hypothesis(("POI",)), Hypothesis((), (0.1,)),
            dropout={"POI": 1.0})
    with pytest.raises(InvalidParameter, match=r"dropout\.unknowns_hd\[0\] = -0\.1"):
        _lr([["10"]], {"POI": ["10"]}, Hypothesis(("POI",)), Hypothesis((), (-0.1,)))
    with pytest.raises(CombinatorialLimit, match=r"hypotheses\.hd\.unknowns = 5"):
        _lr([["10"]], {"POI": ["10"]}, Hypothesis(("POI",)), Hypothesis((), (0.1,) * 5))


def test_too_many_combinations_is_refused_with_the_estimate() -> None:
    evidence = Evidence.from_mapping({"r1": {LOCUS: list(FREQS)}})
    with pytest.raises(CombinatorialLimit, match=r"combinations \(about .* s\).*max-combin"):
        semicontinuous_lr(evidence, {"POI": _profile(["10", "12"])},
                          Hypothesis(("POI",), (0.1, 0.2, 0.3)),
                          Hypothesis((), (0.1, 0.2, 0.3, 0.4)), TABLE, poi="POI",
                          dropout={"POI": 0.1}, dropin=0.05, theta=0.0, max_combinations=10_000)


# --- the naive enumeration -------------------------------------------------------------------


def _naive_likelihood(reps: Sequence[Sequence[str]], freqs: Mapping[str, float], floor: float,
                      contributors: Sequence[tuple[tuple[str, str], float]],
                      typed: Sequence[tuple[str, str]], unknown_dropout: Sequence[float],
                      *, dropin: float, theta: float, unknowns_q: bool = True) -> float:
    """Written from the model's definition, with explicit loops and no shared code;
    ``unknowns_q=False``: the unknowns carry evidence alleles only (SmartRank's Q shutdown)."""
    evidence = sorted({a for r in reps for a in r})
    p = {a: freqs.get(a, floor) for a in evidence}
    p["Q"] = sum(f for a, f in freqs.items() if a not in evidence)
    universe = [*evidence, "Q"]
    genotypes = [(universe[i], universe[j]) for i in range(len(universe))
                 for j in range(i, len(universe))]
    if not unknowns_q:
        genotypes = [gt for gt in genotypes if "Q" not in gt]

    def as_q(a: str) -> str:
        return a if a in evidence else "Q"

    # what the typed people put in the Balding-Nichols count
    seen: list[str] = []
    for gt in typed:
        for a in gt:
            seen.append(as_q(a) if (a in evidence or a in freqs) else "<nothing>")
    total = 0.0
    for joint in itertools.product(genotypes, repeat=len(unknown_dropout)):
        drawn = list(seen)
        prior = 1.0
        for gt in joint:
            prior *= 1.0 if gt[0] == gt[1] else 2.0
            for a in gt:
                n = len(drawn)
                m = drawn.count(a)
                prior *= (m * theta + (1 - theta) * p[a]) / (1 + (n - 1) * theta)
                drawn.append(a)
        people = [((as_q(g[0]), as_q(g[1])), d) for g, d in contributors]
        people += list(zip(joint, unknown_dropout, strict=True))
        like = prior
        for rep in reps:
            dropped_in = False
            for a in universe:
                copies = [d for gt, d in people for b in gt if b == a]
                big_d = math.prod(copies) if copies else 1.0
                if a in rep:
                    if copies:
                        like *= 1 - big_d
                    else:
                        like *= dropin * p[a]
                        dropped_in = True
                else:
                    like *= big_d
            if not dropped_in:
                like *= 1 - dropin
        total += like
    return total


ALLELES = [*FREQS, "14"]  # "14": absent from the table (floor when observed)

genotype_st = st.tuples(st.sampled_from(ALLELES), st.sampled_from(ALLELES))
prob_st = st.floats(0.0, 0.9)


@settings(max_examples=60, deadline=None)
@given(
    reps=st.lists(st.lists(st.sampled_from(ALLELES), max_size=4, unique=True), min_size=1,
                  max_size=3),
    poi=genotype_st,
    knowns=st.lists(st.tuples(genotype_st, prob_st), max_size=2),
    d_poi=prob_st,
    u_hp=st.lists(prob_st, max_size=2),
    u_hd=st.lists(st.sampled_from([0.0, 0.25, 0.5]), max_size=3),
    dropin=st.floats(0.01, 0.3),
    theta=st.sampled_from([0.0, 0.01, 0.1]),
)
def test_fast_code_equals_naive_enumeration(
        reps: list[list[str]], poi: tuple[str, str],
        knowns: list[tuple[tuple[str, str], float]], d_poi: float, u_hp: list[float],
        u_hd: list[float], dropin: float, theta: float) -> None:
    floor = 0.02
    names = [f"K{i}" for i in range(len(knowns))]
    profiles = {"POI": poi, **{n: gt for n, (gt, _) in zip(names, knowns, strict=True)}}
    dropout = {"POI": d_poi, **{n: d for n, (_, d) in zip(names, knowns, strict=True)}}
    hp = Hypothesis((*names, "POI"), tuple(u_hp))
    hd = Hypothesis(tuple(names), tuple(u_hd))
    typed = [gt for gt, _ in knowns] + [poi]
    known_c = [(gt, d) for gt, d in knowns]
    naive_hp = _naive_likelihood(reps, FREQS, floor, [*known_c, (poi, d_poi)], typed, u_hp,
                                 dropin=dropin, theta=theta)
    naive_hd = _naive_likelihood(reps, FREQS, floor, known_c, typed, u_hd, dropin=dropin,
                                 theta=theta)
    if naive_hd == 0.0:  # a known with drop-out 0 lacks from the evidence: Hd impossible
        with pytest.raises(StatisticsError, match="probability 0"):
            _lr(reps, profiles, hp, hd, dropout=dropout, dropin=dropin, theta=theta,
                min_frequency=floor)
        return
    l_hp, l_hd, _ = _lr(reps, profiles, hp, hd, dropout=dropout, dropin=dropin, theta=theta,
                        min_frequency=floor)
    assert l_hp == pytest.approx(naive_hp, rel=REL, abs=1e-300)
    assert l_hd == pytest.approx(naive_hd, rel=REL, abs=1e-300)


@settings(max_examples=40, deadline=None)
@given(
    reps=st.lists(st.lists(st.sampled_from(ALLELES), max_size=4, unique=True), min_size=1,
                  max_size=2),
    poi=genotype_st,
    d_poi=prob_st,
    u_hp=st.lists(prob_st, min_size=1, max_size=2),
    u_hd=st.lists(st.sampled_from([0.1, 0.5]), min_size=1, max_size=2),
    dropin=st.floats(0.01, 0.3),
    theta=st.sampled_from([0.0, 0.01, 0.1]),
)
def test_q_shutdown_under_hp_equals_naive_enumeration(
        reps: list[list[str]], poi: tuple[str, str], d_poi: float, u_hp: list[float],
        u_hd: list[float], dropin: float, theta: float) -> None:
    """SmartRank's convention (``q_shutdown_hp``): Hp's unknowns on the evidence alleles only,
    Hd unchanged; against the naive enumeration to 1e-12 relative."""
    from locard.stats.mixture.semicontinuous import locus_lr
    floor = 0.02
    hp = Hypothesis(("POI",), tuple(u_hp))
    hd = Hypothesis((), tuple(u_hd))
    evidence = Evidence.from_mapping({f"r{i}": {LOCUS: list(r)} for i, r in enumerate(reps)})
    got = locus_lr(LOCUS, evidence, {"POI": _profile(poi)}, ["POI"], hp, hd, TABLE,
                   dropout={"POI": d_poi}, dropin=dropin, theta=theta, min_frequency=floor,
                   max_combinations=10**7, q_shutdown_hp=True)
    naive_hp = _naive_likelihood(reps, FREQS, floor, [(poi, d_poi)], [poi], u_hp,
                                 dropin=dropin, theta=theta, unknowns_q=False)
    naive_hd = _naive_likelihood(reps, FREQS, floor, [], [poi], u_hd, dropin=dropin,
                                 theta=theta)
    assert got.likelihood_hp == pytest.approx(naive_hp, rel=REL, abs=1e-300)
    assert got.likelihood_hd == pytest.approx(naive_hd, rel=REL, abs=1e-300)
