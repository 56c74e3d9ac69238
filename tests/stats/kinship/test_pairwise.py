"""Pairwise kinship LRs: hand-calculable values, degenerate reductions, published values, and
an independent theta = 0 implementation from the textbook IBD-1 table."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locard.errors import InvalidParameter, StatisticsError
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship import (
    RELATIONSHIPS,
    Kappa,
    ibd_probabilities,
    kinship_lr,
    resolve_relationship,
    sampling_probability,
)
from locard.stats.match import genotype_probability

TABLE = FrequencyTable.from_mapping(
    {
        "TH01": {"6": 0.05, "7": 0.1, "8": 0.2, "9": 0.15, "9.3": 0.5},
        "vWA": {"14": 0.1, "15": 0.2, "16": 0.3, "17": 0.4},
        "FGA": {"20": 0.1, "21": 0.2, "22": 0.3, "23": 0.4},
    },
    name="Hand", population="test", sample_alleles=1000,
)
TH01 = ["6", "7", "8", "9", "9.3"]


def prof(spec: str, sid: str) -> Profile:
    return Profile.parse(spec, specimen_id=sid)


# --- hand-calculable values ---------------------------------------------------------------


def test_paternity_one_locus_forrel_value() -> None:
    # forrel's own test: father and child both A/A with p(A) = 0.05 -> LR = 1/p = 20
    r = kinship_lr(prof("TH01: 6", "AF"), prof("TH01: 6", "CH"), "parent-child", TABLE)
    assert r.lr == pytest.approx(20.0, rel=1e-12)


def test_paternity_two_loci_forrel_value() -> None:
    # p = 0.05 at TH01 and p = 0.1 at vWA: LR = 20 * 10 = 200
    r = kinship_lr(prof("TH01: 6; vWA: 14", "AF"), prof("TH01: 6; vWA: 14", "CH"),
                   "parent-child", TABLE)
    assert r.lr == pytest.approx(200.0, rel=1e-12)
    assert math.prod(r.per_locus_lr.values()) == pytest.approx(r.lr, rel=1e-15)
    assert set(r.per_locus) == {"TH01", "vWA"}


@pytest.mark.parametrize(
    ("relationship", "g1", "g2", "expected"),
    [
        # Full siblings, both A/A, p = 0.1 (theta = 0), on paper:
        #   LR = k0 + k1 P1/P0 + k2 P2/P0 with P0 = p^2, P1 = p, P2 = 1
        #      = 1/4 + (1/2)(1/p) + (1/4)(1/p^2) = (1 + p)^2 / (4 p^2) = 1.21 / 0.04 = 30.25
        ("full-siblings", "7", "7", 30.25),
        # Full siblings, both A/B, p_A = 0.1 (7), p_B = 0.2 (8):
        #   P0 = 2 p_A p_B = 0.04; P1 = (p_A + p_B)/2 = 0.15; P2 = 1
        #   LR = 0.25 + 0.5 * 0.15/0.04 + 0.25/0.04 = 0.25 + 1.875 + 6.25 = 8.375
        #   (= (1 + p_A + p_B + 2 p_A p_B) / (8 p_A p_B) = 1.34 / 0.16)
        ("full-siblings", "7/8", "7/8", 8.375),
        # Half siblings, both A/A, p = 0.1: LR = 1/2 + (1/2)(p/p^2) = (1 + p)/(2p) = 5.5
        ("half-siblings", "7", "7", 5.5),
        ("grandparent-grandchild", "7", "7", 5.5),
        ("avuncular", "7", "7", 5.5),
        # First cousins, A/A and A/A, p = 0.1: LR = 3/4 + (1/4)(1/p) = 3.25
        ("first-cousins", "7", "7", 3.25),
        # No allele shared: only k0 remains
        ("half-siblings", "7", "8/9", 0.5),
        ("full-siblings", "7", "8/9", 0.25),
        ("first-cousins", "7", "8/9", 0.75),
        ("parent-child", "7", "8/9", 0.0),
        # Parent-child A/B and A/C, p_A = 0.1: LR = P1/P0 = (p_C/2)/(2 p_A p_C) = 1/(4 p_A) = 2.5
        ("parent-child", "7/8", "7/9", 2.5),
        # Identical: LR = 1/P(G) = 1/(2 p_A p_B) = 1/0.04 = 25
        ("identical", "7/8", "7/8", 25.0),
    ],
)
def test_hand_values(relationship: str, g1: str, g2: str, expected: float) -> None:
    r = kinship_lr(prof(f"TH01: {g1}", "X"), prof(f"TH01: {g2}", "Y"), relationship, TABLE)
    assert r.lr == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("g", ["7", "7/8"])
def test_identical_with_theta_is_the_nrc2_match_probability(g: str) -> None:
    """kappa = (0, 0, 1): LR = 1 / P(G | G), NRC II eq. 4.10 (locard.stats.match)."""
    r = kinship_lr(prof(f"TH01: {g}", "X"), prof(f"TH01: {g}", "Y"), "identical", TABLE,
                   theta=0.03)
    freqs = [TABLE.frequency("TH01", a).value for a in g.split("/")]
    assert r.lr == pytest.approx(1 / genotype_probability(*freqs, theta=0.03), rel=1e-12)


def test_paternity_with_theta_closed_form() -> None:
    # Balding & Nichols (1995): PI for A/A, A/A with theta = (1 + 2t) / (3t + (1 - t) p)
    t, p = 0.01, 0.05
    r = kinship_lr(prof("TH01: 6", "AF"), prof("TH01: 6", "CH"), "parent-child", TABLE, theta=t)
    assert r.lr == pytest.approx((1 + 2 * t) / (3 * t + (1 - t) * p), rel=1e-12)


# --- published values of the sampling formula ---------------------------------------------


def test_sampling_formula_pedprobr_value() -> None:
    # pedprobr's own test: theta = 0.01, p = 0.3: P(AA) = p[theta + (1 - theta) p] = 0.0921
    assert sampling_probability(["A", "A"], {"A": 0.3}, theta=0.01) == pytest.approx(0.0921,
                                                                                      abs=1e-12)


def test_sampling_formula_nrc2_4_10a() -> None:
    # NRC II eq. 4.10a, theta = 0.01, p = 0.3: 0.100620 (to 6 places)
    value = sampling_probability(["A", "A"], {"A": 0.3}, theta=0.01, given=["A", "A"])
    assert round(value, 6) == 0.100620


def test_sampling_formula_nrc2_4_10b() -> None:
    t, pa, pb = 0.02, 0.1, 0.3
    value = 2 * sampling_probability(["A", "B"], {"A": pa, "B": pb}, theta=t, given=["A", "B"])
    expected = 2 * (t + (1 - t) * pa) * (t + (1 - t) * pb) / ((1 + t) * (1 + 2 * t))
    assert value == pytest.approx(expected, rel=1e-12)


# --- degenerate reductions and an independent theta = 0 implementation ---------------------

genotypes = st.lists(st.sampled_from(TH01), min_size=1, max_size=2).map(
    lambda xs: sorted(set(xs)))


def textbook_lr(g1: list[str], g2: list[str], kappa: tuple[float, float, float]) -> float:
    """theta = 0, written from the textbook case table of P(G2 | G1, one allele IBD)."""
    p = {a: TABLE.frequencies["TH01"][a] for a in TABLE.frequencies["TH01"]}
    freq = {str(a): f for a, f in p.items()}
    hom1, hom2 = len(g1) == 1, len(g2) == 1
    p_g2 = freq[g2[0]] ** 2 if hom2 else 2 * freq[g2[0]] * freq[g2[1]]
    if hom1:
        a = g1[0]
        if hom2:
            p1 = freq[a] if g2[0] == a else 0.0
        else:
            p1 = freq[g2[1] if g2[0] == a else g2[0]] if a in g2 else 0.0
    else:
        a, b = g1
        if hom2:
            p1 = freq[g2[0]] / 2 if g2[0] in g1 else 0.0
        elif set(g2) == {a, b}:
            p1 = (freq[a] + freq[b]) / 2
        elif set(g2) & {a, b}:
            (other,) = set(g2) - {a, b}
            p1 = freq[other] / 2
        else:
            p1 = 0.0
    p2 = 1.0 if g1 == g2 else 0.0
    k0, k1, k2 = kappa
    return k0 + k1 * p1 / p_g2 + k2 * p2 / p_g2


@given(g1=genotypes, g2=genotypes, rel=st.sampled_from(sorted(RELATIONSHIPS)))
def test_theta_zero_equals_textbook(g1: list[str], g2: list[str], rel: str) -> None:
    r = kinship_lr(prof("TH01: " + "/".join(g1), "X"), prof("TH01: " + "/".join(g2), "Y"),
                   rel, TABLE, theta=0.0)
    assert r.lr == pytest.approx(textbook_lr(g1, g2, RELATIONSHIPS[rel].as_tuple()),
                                 rel=1e-12, abs=1e-15)


@given(g1=genotypes, g2=genotypes, theta=st.floats(0.0, 0.3))
def test_unrelated_kappa_gives_one(g1: list[str], g2: list[str], theta: float) -> None:
    r = kinship_lr(prof("TH01: " + "/".join(g1), "X"), prof("TH01: " + "/".join(g2), "Y"),
                   Kappa(1.0, 0.0, 0.0), TABLE, theta=theta)
    assert r.lr == 1.0


@settings(max_examples=60)
@given(g1=genotypes, g2=genotypes, theta=st.floats(0.0, 0.3),
       rel=st.sampled_from(sorted(RELATIONSHIPS)))
def test_symmetric_in_the_two_people(g1: list[str], g2: list[str], theta: float,
                                     rel: str) -> None:
    a = prof("TH01: " + "/".join(g1), "X")
    b = prof("TH01: " + "/".join(g2), "Y")
    assert kinship_lr(a, b, rel, TABLE, theta=theta).lr == pytest.approx(
        kinship_lr(b, a, rel, TABLE, theta=theta).lr, rel=1e-12, abs=1e-15)


@given(g1=genotypes, g2=genotypes, theta=st.floats(0.0, 0.3))
def test_ibd_probabilities_sum_over_genotypes(g1: list[str], g2: list[str],
                                              theta: float) -> None:
    """Each IBD-state distribution of G2 given G1 sums to 1 over all genotypes of G2 (here the
    table's frequencies sum to 1, so the genotypes listed are all there are)."""
    freqs = {str(a): f for a, f in TABLE.frequencies["TH01"].items()}
    totals = [0.0, 0.0, 0.0]
    for i, x in enumerate(TH01):
        for y in TH01[i:]:
            _, p0, p1, p2 = ibd_probabilities(g1, sorted({x, y}), freqs, theta=theta)
            totals = [totals[0] + p0, totals[1] + p1, totals[2] + p2]
    assert totals == pytest.approx([1.0, 1.0, 1.0], rel=1e-12)


# --- results, exclusions, validation ---------------------------------------------------------


def test_excluded_loci_are_reported() -> None:
    a = prof("TH01: 6; vWA: 14; D8S1179: 12/13; AMEL: X,Y", "X")
    b = prof("TH01: 6; FGA: 20; D8S1179: 12; AMEL: X", "Y")
    r = kinship_lr(a, b, "full-siblings", TABLE)
    assert set(r.per_locus) == {"TH01"}
    assert r.excluded["vWA"] == "not typed in Y"
    assert r.excluded["FGA"] == "not typed in X"
    assert r.excluded["D8S1179"].startswith("no frequencies")
    assert r.excluded["AMEL"].startswith("not an autosomal STR")


def test_requested_loci() -> None:
    a = prof("TH01: 6; vWA: 14", "X")
    b = prof("TH01: 6; vWA: 14", "Y")
    r = kinship_lr(a, b, "parent-child", TABLE, loci=["TH01", "FGA"])
    assert set(r.per_locus) == {"TH01"}
    assert r.excluded == {"FGA": "not typed in X", "vWA": "not in the requested locus set"}


def test_to_dict_and_provenance() -> None:
    r = kinship_lr(prof("TH01: 6", "AF"), prof("TH01: 6", "CH"), "parent-child", TABLE,
                   theta=0.01)
    d = r.to_dict()
    assert {"lr", "per_locus", "provenance", "excluded_loci", "hypotheses"} <= set(d)
    assert d["per_locus"]["TH01"] == r.lr
    params = d["provenance"]["parameters"]
    assert params["relationship"] == "parent-child" and params["theta"] == 0.01
    assert params["kappa"] == [0.0, 1.0, 0.0]
    assert d["provenance"]["frequency_table"]["sha256"] == TABLE.sha256
    detail = d["per_locus_detail"]["TH01"]
    assert detail["hp_likelihood"] / detail["hd_likelihood"] == pytest.approx(r.lr)
    assert "lr=" in repr(r)


def test_mixture_refused() -> None:
    with pytest.raises(StatisticsError, match="mixture"):
        kinship_lr(prof("TH01: 6/7/8", "X"), prof("TH01: 6", "Y"), "parent-child", TABLE)


def test_unseen_allele_uses_minimum_frequency() -> None:
    # allele 11 is not in the table: it gets 5/2N = 5/1000 = 0.005 and the locus is
    # renormalised (total 1.005), so p = 0.005/1.005 and parent-child LR = 1.005/0.005 = 201
    r = kinship_lr(prof("TH01: 11", "X"), prof("TH01: 11", "Y"), "parent-child", TABLE)
    assert r.lr == pytest.approx(201.0, rel=1e-12)
    assert r.per_locus["TH01"].frequencies == {"11": pytest.approx(0.005 / 1.005, rel=1e-15)}
    assert "11" in r.renormalised["TH01"]


@pytest.mark.parametrize("name", ["full siblings", "FULL_SIBLINGS", "Full-Siblings"])
def test_relationship_names_are_forgiving(name: str) -> None:
    assert resolve_relationship(name) == ("full-siblings", Kappa(0.25, 0.5, 0.25))


def test_kappa_triple_accepted() -> None:
    name, kappa = resolve_relationship((0.5, 0.5, 0.0))
    assert kappa == RELATIONSHIPS["half-siblings"]
    assert name.startswith("kappa=")


@pytest.mark.parametrize("bad", [(-0.1, 1.0, 0.1), (0.5, 0.6, 0.0), (0.2, 0.2, 0.2),
                                 (float("nan"), 1.0, 0.0)])
def test_kappa_validated(bad: tuple[float, float, float]) -> None:
    with pytest.raises(InvalidParameter):
        Kappa(*bad)


def test_unknown_relationship() -> None:
    with pytest.raises(InvalidParameter, match="relationship"):
        resolve_relationship("second cousins twice removed")


@pytest.mark.parametrize("theta", [-0.01, 1.0, float("nan")])
def test_theta_validated(theta: float) -> None:
    with pytest.raises(InvalidParameter, match="theta"):
        kinship_lr(prof("TH01: 6", "X"), prof("TH01: 6", "Y"), "parent-child", TABLE,
                   theta=theta)
