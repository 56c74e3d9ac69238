"""Theta in pedigree likelihoods (pedprobr's sense: every founder allele, typed or untyped, is one
Balding-Nichols draw). Checked four ways: pedprobr's own published test values; theta = 0 gives
exactly the Hardy-Weinberg code path; a slow naive enumeration written here (explicit loops over
every person's ordered genotype, the founders' alleles drawn one after another with the
sequential formula, children by Mendel and the mutation matrices) against the fast elimination,
relative tolerance 1e-12; and closed forms (the paternity index under Balding-Nichols; the
pairwise kappa LRs with theta, which agree with pedprobr, for the equivalent two-person
pedigrees)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pytest

from locard.errors import CombinatorialLimit, InvalidParameter
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
    pedigree_likelihood,
)
from locard.stats.kinship.pedigree import transition_matrices

FOUR = FrequencyTable.from_mapping({"TH01": {"6": 0.1, "7": 0.2, "8": 0.3, "9.3": 0.4}},
                                   name="Four", population="test", sample_alleles=1000)
MODELS: list[MutationModel | None] = [
    None,
    MutationModel("equal", female_rate=0.02, male_rate=0.05),
    MutationModel("stepwise", female_rate=0.03, male_rate=0.08, rate2=0.01, range=0.5),
]
THETAS = [0.02, 0.2]


def th01(spec: str, sid: str | None = None) -> Profile:
    return Profile.parse(f"TH01: {spec}", specimen_id=sid)


def ind(pid: str, sex: str, father: str | None = None, mother: str | None = None,
        profile: Profile | None = None) -> Individual:
    return Individual(pid, father, mother, Sex(sex), profile)


# --- the slow reference ------------------------------------------------------------------------


def naive_likelihood(people: Sequence[tuple[str, str | None, str | None]],
                     evidence: Mapping[str, Sequence[str]], table: FrequencyTable, *,
                     theta: float, model: MutationModel | None,
                     alleles: Sequence[str] = ()) -> float:
    """Sum over every ordered genotype (pat, mat) of every person of
    P(founder alleles, drawn in pedigree order, pat then mat, by Balding-Nichols:
    P(next = a | j drawn, n_a of them a) = (n_a theta + (1 - theta) p_a) / (1 + (j - 1) theta))
    * prod(children: (M_f[pat_F, x] + M_f[mat_F, x]) / 2 * (M_m[pat_M, y] + M_m[mat_M, y]) / 2)
    * [each typed person's ordered genotype is an ordering of their alleles].
    A typed person's loop runs over the orderings of their own genotype only (the indicator is
    0 elsewhere)."""
    typed = [a for g in evidence.values() for a in g]
    universe = locus_universe(table, "TH01", typed_alleles=[*typed, *alleles])
    q = universe.frequencies
    k = universe.size
    male, female = transition_matrices(universe, model)
    ids = [pid for pid, _, _ in people]
    choices: list[list[tuple[int, int]]] = []
    for pid in ids:
        if pid in evidence:
            a, b = (universe.index[x] for x in (evidence[pid][0], evidence[pid][-1]))
            choices.append(sorted({(a, b), (b, a)}))
        else:
            choices.append([(x, y) for x in range(k) for y in range(k)])
    total = 0.0
    for genotypes in itertools.product(*choices):
        g = dict(zip(ids, genotypes, strict=True))
        prob = 1.0
        drawn: list[int] = []
        for pid, father, mother in people:
            pat, mat = g[pid]
            if father is None or mother is None:
                for allele in (pat, mat):
                    j = len(drawn)
                    n_a = drawn.count(allele)
                    prob *= (n_a * theta + (1 - theta) * q[allele]) / (1 + (j - 1) * theta)
                    drawn.append(allele)
            else:
                fp, fm = g[father]
                mp, mm = g[mother]
                prob *= 0.5 * (male[fp, pat] + male[fm, pat])
                prob *= 0.5 * (female[mp, mat] + female[mm, mat])
        total += prob
    return total


def naive_lr(people: Sequence[tuple[str, str | None, str | None]],
             relatives: Mapping[str, Sequence[str]], missing: str, candidate: Sequence[str],
             table: FrequencyTable, *, theta: float,
             model: MutationModel | None) -> tuple[float, float]:
    """(Hp, Hd): the candidate as the missing person; the candidate as one more founder."""
    hp = naive_likelihood(people, {**relatives, missing: candidate}, table, theta=theta,
                          model=model)
    hd = naive_likelihood([*people, ("unrelated", None, None)],
                          {**relatives, "unrelated": candidate}, table, theta=theta,
                          model=model)
    return hp, hd


def structure(pedigree: Pedigree) -> list[tuple[str, str | None, str | None]]:
    return [(p.id, p.father, p.mother) for p in pedigree.individuals]


def trio_missing_child() -> Pedigree:
    return Pedigree.build([ind("F", "male", profile=th01("6/7")),
                           ind("M", "female", profile=th01("7/9.3")),
                           ind("X", "male", "F", "M")], missing="X")


def trio_missing_father() -> Pedigree:
    return Pedigree.build([ind("X", "male"), ind("M", "female", profile=th01("8/9.3")),
                           ind("C", "male", "X", "M", th01("7/8"))], missing="X")


def two_generations() -> Pedigree:
    """Untyped father F and mother M1 of a typed son S1 and the missing X; F's typed partner
    M2 and their typed son S2 (X's paternal half-brother)."""
    return Pedigree.build([
        ind("F", "male"), ind("M1", "female"), ind("M2", "female", profile=th01("6/8")),
        ind("S1", "male", "F", "M1", th01("7/9.3")), ind("S2", "male", "F", "M2", th01("6/7")),
        ind("X", "male", "F", "M1")], missing="X")


CASES = {
    "trio, missing child": (trio_missing_child, ["6", "9.3"]),
    "trio, missing father": (trio_missing_father, ["7"]),
    "two generations, untyped founders": (two_generations, ["7", "9.3"]),
}


@pytest.mark.parametrize("theta", THETAS)
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.model if m else "none")
@pytest.mark.parametrize("case", list(CASES))
def test_fast_equals_naive_enumeration(case: str, model: MutationModel | None,
                                       theta: float) -> None:
    build, cand = CASES[case]
    pedigree = build()
    relatives = {p.id: [str(a) for a in p.profile.loci["TH01"].alleles]
                 for p in pedigree.individuals if p.profile is not None}
    candidate = th01("/".join(cand), "C1")
    hp, hd = naive_lr(structure(pedigree), relatives, pedigree.missing, cand, FOUR,
                      theta=theta, model=model)
    result = missing_person_lr(pedigree, candidate, FOUR, mutation=model, theta=theta)
    locus = result.per_locus["TH01"]
    assert locus.hp_likelihood == pytest.approx(hp, rel=1e-12)
    assert locus.hd_likelihood == pytest.approx(hd, rel=1e-12)
    assert result.lr == pytest.approx(hp / hd, rel=1e-12)
    # the relatives alone, and the pedigree likelihood with the candidate as the missing person
    alone = naive_likelihood(structure(pedigree), relatives, FOUR, theta=theta, model=model,
                             alleles=cand)
    assert pedigree_likelihood(pedigree, "TH01", FOUR, mutation=model, theta=theta,
                               extra_alleles=cand) == pytest.approx(alone, rel=1e-12)
    assert pedigree_likelihood(pedigree, "TH01", FOUR, candidate=candidate, mutation=model,
                               theta=theta) == pytest.approx(hp, rel=1e-12)


# --- pedprobr's published values and theta = 0 ----------------------------------------------


def test_pedprobr_published_values() -> None:
    """pedprobr tests/testthat/test-theta-correction.R: linearPed(2) with the great-grandchild
    '5' typed A/A, and ancestralPed(2) with the child '7' A/A, p_A = 0.3, p_B = 0.7:
    likelihood(theta = 0.01) = 0.0921 (= p_A (theta + (1 - theta) p_A)); 0.09 at theta 0."""
    table = FrequencyTable.from_mapping({"TH01": {"6": 0.3, "7": 0.7}}, name="AB")
    linear = Pedigree.build([ind("1", "male"), ind("2", "female"), ind("3", "male", "1", "2"),
                             ind("4", "female"), ind("5", "male", "3", "4", th01("6"))],
                            missing="1")
    ancestral = Pedigree.build([ind("1", "male"), ind("2", "female"), ind("3", "male"),
                                ind("4", "female"), ind("5", "male", "1", "2"),
                                ind("6", "female", "3", "4"),
                                ind("7", "male", "5", "6", th01("6"))], missing="1")
    for pedigree in (linear, ancestral):
        assert pedigree_likelihood(pedigree, "TH01", table, theta=0.01) == pytest.approx(
            0.0921, rel=1e-12)
        assert pedigree_likelihood(pedigree, "TH01", table, theta=0.0) == pytest.approx(
            0.09, rel=1e-12)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.model if m else "none")
@pytest.mark.parametrize("case", list(CASES))
def test_theta_zero_is_the_hardy_weinberg_path(case: str, model: MutationModel | None) -> None:
    build, cand = CASES[case]
    pedigree = build()
    candidate = th01("/".join(cand))
    default = missing_person_lr(pedigree, candidate, FOUR, mutation=model)
    zero = missing_person_lr(pedigree, candidate, FOUR, mutation=model, theta=0.0)
    assert zero.lr == default.lr  # bit-identical
    assert zero.per_locus["TH01"].hd_likelihood == default.per_locus["TH01"].hd_likelihood
    assert zero.provenance["parameters"]["theta"] == 0.0
    # theta > 0 really changes the answer (not a silently ignored option)
    assert missing_person_lr(pedigree, candidate, FOUR, mutation=model,
                             theta=0.05).lr != pytest.approx(default.lr, rel=1e-6)


# --- closed forms --------------------------------------------------------------------------


@pytest.mark.parametrize("theta", [0.0, 0.01, 0.03, 0.1])
def test_paternity_index_closed_form(theta: float) -> None:
    """Child AB, mother AA, alleged father BB (NRC II 1996, ch. 4; Balding & Nichols 1995).

    Hp: the alleged father passed B, the mother A; the founder alleles are {B, B, A, A}:
        L_p = P(B, B, A, A).
    Hd: an untyped unrelated man passed B; his other allele sums out (exchangeable draw):
        L_d = P(B, B, A, A) P(next = B | B, B, A, A)
            = L_p (2 theta + (1 - theta) p_B) / (1 + 3 theta).
    So PI = (1 + 3 theta) / (2 theta + (1 - theta) p_B); 1/p_B at theta = 0."""
    p_b = 0.2  # allele 7 of FOUR
    pedigree = Pedigree.build([ind("AF", "male"), ind("MO", "female", profile=th01("6")),
                               ind("CH", "male", "AF", "MO", th01("6/7"))], missing="AF")
    result = missing_person_lr(pedigree, th01("7", "AF"), FOUR, theta=theta)
    expected = (1 + 3 * theta) / (2 * theta + (1 - theta) * p_b)
    assert result.lr == pytest.approx(expected, rel=1e-12)
    hp, hd = naive_lr(structure(pedigree), {"MO": ["6"], "CH": ["6", "7"]}, "AF", ["7"], FOUR,
                      theta=theta, model=None)
    assert hp / hd == pytest.approx(expected, rel=1e-12)


def _pair_pedigree(relationship: str, ref: Profile) -> Pedigree:
    """The reference R and the missing X related as ``relationship``, everyone else untyped."""
    if relationship == "parent-child":
        return Pedigree.build([ind("R", "male", profile=ref), ind("W", "female"),
                               ind("X", "male", "R", "W")], missing="X")
    if relationship == "full-siblings":
        return Pedigree.build([ind("F", "male"), ind("M", "female"),
                               ind("R", "male", "F", "M", ref), ind("X", "male", "F", "M")],
                              missing="X")
    return Pedigree.build([ind("F", "male"), ind("M1", "female"), ind("M2", "female"),
                           ind("R", "male", "F", "M1", ref), ind("X", "male", "F", "M2")],
                          missing="X")


@pytest.mark.parametrize("theta", [0.01, 0.1])
@pytest.mark.parametrize("relationship", ["parent-child", "full-siblings", "half-siblings"])
@pytest.mark.parametrize(("g_ref", "g_cand"), [("6/7", "7/8"), ("6", "6"), ("6/7", "6/7"),
                                               ("8", "8/9.3"), ("7/9.3", "9.3")])
def test_pedigree_equals_pairwise_with_theta(g_ref: str, g_cand: str, relationship: str,
                                             theta: float) -> None:
    """The pairwise kappa LR with theta (which agrees with pedprobr to 1e-13, issue 16) is the
    pedigree LR of the same two people with theta: the issue's trio paternity differed 3.1-fold
    because the pedigree ignored theta."""
    ref, cand = th01(g_ref, "R"), th01(g_cand, "X")
    pairwise = kinship_lr(ref, cand, relationship, FOUR, theta=theta)
    pedigree = missing_person_lr(_pair_pedigree(relationship, ref), cand, FOUR, theta=theta)
    assert pedigree.lr == pytest.approx(pairwise.lr, rel=1e-12)


# --- the database look-up tables -----------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.model if m else "none")
@pytest.mark.parametrize("build", [two_generations, trio_missing_father],
                         ids=["untyped founders", "missing founder"])
def test_genotype_table_with_theta_equals_the_direct_lr(build: Callable[[], Pedigree],
                                                        model: MutationModel | None) -> None:
    """The table's Hd comes from the founder-allele moments, the direct LR's from an extra
    founder: two routes to the same number."""
    pedigree = build()
    lr_table = genotype_lr_table(pedigree, "TH01", FOUR, mutation=model, theta=0.03)
    assert lr_table.provenance["parameters"]["theta"] == 0.03
    for a, b in itertools.combinations_with_replacement(["6", "7", "8", "9.3"], 2):
        direct = missing_person_lr(pedigree, th01(f"{a}/{b}"), FOUR, mutation=model,
                                   theta=0.03)
        assert lr_table.lookup([a, b]) == pytest.approx(direct.lr, rel=1e-12)
    if model is not None and model.model == "stepwise":
        return  # the catch-all gets no stepwise credit (search_tables module docstring)
    # an allele absent from the table and the family: the catch-all, as the direct LR
    direct = missing_person_lr(pedigree, th01("7/11"), FOUR, mutation=model, theta=0.03)
    assert lr_table.lookup(["7", "11"]) == pytest.approx(direct.lr, rel=1e-12)


def test_genotype_table_theta_zero_unchanged() -> None:
    pedigree = two_generations()
    assert np.array_equal(genotype_lr_table(pedigree, "TH01", FOUR, theta=0.0).lr,
                          genotype_lr_table(pedigree, "TH01", FOUR).lr)


# --- refusals ------------------------------------------------------------------------------


def test_too_many_untyped_founders_is_refused_by_name() -> None:
    """First cousins through four untyped founders, a 20-allele locus and a stepwise model
    (nothing lumps): the joint founder table would have 20^8 entries."""
    many = FrequencyTable.from_mapping(
        {"TH01": {str(a): 1 / 20 for a in range(3, 23)}}, name="Twenty", sample_alleles=1000)
    pedigree = Pedigree.build([
        ind("GF", "male"), ind("GM", "female"), ind("F", "male", "GF", "GM"),
        ind("U", "male", "GF", "GM"), ind("W", "female"), ind("V", "female"),
        ind("C", "male", "U", "V", th01("5/9")), ind("X", "male", "F", "W")], missing="X")
    model = MutationModel("stepwise")
    with pytest.raises(CombinatorialLimit, match=r"missing person 'X', TH01: theta = 0.01") as e:
        missing_person_lr(pedigree, th01("5/10"), many, mutation=model, theta=0.01)
    assert "theta 0" in str(e.value) and "'GF'" in str(e.value)
    # theta 0 on the same pedigree is fine
    assert math.isfinite(missing_person_lr(pedigree, th01("5/10"), many, mutation=model).lr)


@pytest.mark.parametrize("theta", [-0.01, 1.0, float("nan")])
def test_theta_out_of_range(theta: float) -> None:
    with pytest.raises(InvalidParameter, match="theta"):
        missing_person_lr(trio_missing_child(), th01("6"), FOUR, theta=theta)


# --- theta by identity-by-descent partitions (large loci, untyped parents) --------------------


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5, 6])
def test_ibd_partitions_are_the_set_partitions_and_their_probabilities_sum_to_1(m: int) -> None:
    """Untyped draws (every allele possible): Bell(m) partitions (1, 2, 5, 15, 52, 203), and
    the Polya-urn probabilities of the partitions sum to 1 for any theta."""
    from locard.stats.kinship._network import ibd_partitions, partition_probability

    everything = np.arange(4)
    partitions = ibd_partitions([everything] * m, limit=1000)
    assert len(partitions) == [1, 2, 5, 15, 52, 203][m - 1]
    assert len({tuple(map(tuple, p)) for p in partitions}) == len(partitions)
    for theta in (0.0, 0.01, 0.3):
        total = sum(partition_probability([len(b) for b in p], theta=theta) for p in partitions)
        assert total == pytest.approx(1.0, rel=1e-13)
    # two typed alleles with nothing in common are never tied
    typed = ibd_partitions([np.array([0]), np.array([1]), everything], limit=1000)
    assert all(not ({0, 1} <= set(block)) for p in typed for block in p)
    assert len(typed) == 5 - 2  # {01}2 and {012} left out


@pytest.mark.parametrize("theta", THETAS)
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.model if m else "none")
@pytest.mark.parametrize("case", list(CASES))
def test_partition_sum_equals_the_joint_founder_factor_and_naive(case: str,
                                                                 model: MutationModel | None,
                                                                 theta: float) -> None:
    """The same likelihoods with the joint founder factor forbidden (max_founder_entries 0: the
    sum over identity-by-descent partitions), against the joint factor and the naive
    enumeration, relative tolerance 1e-12; kept arrays (Hp tables) too."""
    from locard.stats.kinship._network import founder_moments, network_likelihood

    build, cand = CASES[case]
    pedigree = build()
    relatives = {p.id: [str(a) for a in p.profile.loci["TH01"].alleles]
                 for p in pedigree.individuals if p.profile is not None}
    universe = locus_universe(FOUR, "TH01", typed_alleles=[*cand])
    male, female = transition_matrices(universe, model)
    evidence = {pid: (universe.index[g[0]], universe.index[g[-1]]) for pid, g in relatives.items()}
    placed = {**evidence, pedigree.missing: (universe.index[cand[0]], universe.index[cand[-1]])}
    ids, parents = pedigree.ids, pedigree.parents()

    def lik(ev: Mapping[str, tuple[int, int]], *, keep: str | None = None,
            partitions: bool = False) -> np.ndarray:
        return network_likelihood(ids, parents, frequencies=universe.frequencies, male=male,
                                  female=female, evidence=ev, keep=keep, theta=theta,
                                  max_founder_entries=0 if partitions else 4_000_000)

    for ev in (evidence, placed):
        joint = float(lik(ev))
        parts = float(lik(ev, partitions=True))
        naive = naive_likelihood(structure(pedigree), {
            pid: [universe.labels[a], universe.labels[b]] for pid, (a, b) in ev.items()},
            FOUR, theta=theta, model=model, alleles=cand)
        assert parts == pytest.approx(joint, rel=1e-12)
        assert parts == pytest.approx(naive, rel=1e-12)
    np.testing.assert_allclose(lik(evidence, keep=pedigree.missing, partitions=True),
                               lik(evidence, keep=pedigree.missing), rtol=1e-12, atol=0)
    a = founder_moments(ids, parents, frequencies=universe.frequencies, male=male,
                        female=female, evidence=evidence, theta=theta)
    b = founder_moments(ids, parents, frequencies=universe.frequencies, male=male,
                        female=female, evidence=evidence, theta=theta, max_founder_entries=0)
    assert b[0] == pytest.approx(a[0], rel=1e-12) and b[3] == a[3]
    np.testing.assert_allclose(b[1], a[1], rtol=1e-12, atol=0)
    np.testing.assert_allclose(b[2], a[2], rtol=1e-12, atol=0)


def sibling_only() -> Pedigree:
    """The missing X and a typed brother S, both parents untyped; S carries 36.1 at D21S11,
    which NIST1036:ALL lacks, so the locus has 27 listed alleles, 36.1 and the catch-all."""
    return Pedigree.build([ind("F", "male"), ind("M", "female"),
                           ind("S", "male", "F", "M",
                               Profile.parse("D21S11: 29/36.1; TH01: 6/9.3", specimen_id="S")),
                           ind("X", "male", "F", "M")], missing="X")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.model if m else "none")
def test_sibling_only_genotype_table_with_theta_at_a_large_locus(
        model: MutationModel | None) -> None:
    """Issue 16: identify and dvi refused theta for a family with both parents untyped (D21S11
    of NIST1036:ALL, 29 alleles: an elimination table of 20,511,149 entries, limit 20 M). Every
    entry of the table (for the stepwise model, which does not lump and is slow directly, every
    genotype of a deterministic sample) equals the direct LR, relative tolerance 1e-9."""
    from locard.tables.bundled import get_bundled_table

    table = get_bundled_table("NIST1036:ALL")
    pedigree = sibling_only()
    lr_table = genotype_lr_table(pedigree, "D21S11", table, mutation=model, theta=0.01)
    assert len(lr_table.alleles) == 29 and lr_table.has_catch_all
    listed = [a for a in lr_table.alleles if a != "unseen"]
    genotypes = list(itertools.combinations_with_replacement(listed, 2))
    if model is not None:
        genotypes = [g for g in genotypes if {"29", "36.1"} & set(g)][::4] + genotypes[::60]
    for a, b in genotypes:
        direct = missing_person_lr(pedigree, Profile.parse(f"D21S11: {a}/{b}"), table,
                                   mutation=model, theta=0.01)
        assert lr_table.lookup([a, b]) == pytest.approx(direct.lr, rel=1e-9), (a, b)
    if model is None or model.model != "stepwise":  # the catch-all: no stepwise credit
        direct = missing_person_lr(pedigree, Profile.parse("D21S11: 29/44"), table,
                                   mutation=model, theta=0.01)
        assert lr_table.lookup(["29", "44"]) == pytest.approx(direct.lr, rel=1e-9)
    # theta really acts: a shared allele is less surprising, so the LR falls
    plain = genotype_lr_table(pedigree, "D21S11", table, mutation=model)
    assert lr_table.lookup(["29", "36.1"]) < plain.lookup(["29", "36.1"])


def test_too_many_partitions_is_refused_by_name() -> None:
    """With the joint factor forbidden and the partitions capped, the refusal names theta, the
    untyped founders and the remedy."""
    from locard.stats.kinship._network import network_likelihood

    pedigree = two_generations()
    universe = locus_universe(FOUR, "TH01")
    eye = np.eye(universe.size)
    with pytest.raises(CombinatorialLimit, match=r"theta = 0.02: .*partitions") as e:
        network_likelihood(pedigree.ids, pedigree.parents(), frequencies=universe.frequencies,
                           male=eye, female=eye, evidence={}, keep="X", theta=0.02,
                           max_founder_entries=0, max_partitions=10)
    assert "'F'" in str(e.value) and "theta 0" in str(e.value)


def test_dvi_matrix_with_theta_for_a_sibling_only_family() -> None:
    """The DVI matrix uses the same tables: a sibling-only family at D21S11 with theta now
    computes (before: CombinatorialLimit), equal to the direct LR (relative 1e-9)."""
    from locard.stats.kinship.dvi import dvi_lr_matrix
    from locard.tables.bundled import get_bundled_table

    table = get_bundled_table("NIST1036:ALL")
    victims = [Profile.parse("D21S11: 29/36.1; TH01: 6/7", specimen_id="V1"),
               Profile.parse("D21S11: 30/31; TH01: 9.3", specimen_id="V2")]
    matrix = dvi_lr_matrix(victims, {"SIB": sibling_only()}, table,
                           mutation=MutationModel("stepwise"), theta=0.01)
    for v, victim in enumerate(victims):
        direct = missing_person_lr(sibling_only(), victim, table,
                                   mutation=MutationModel("stepwise"), theta=0.01)
        assert matrix.lr[v, 0] == pytest.approx(direct.lr, rel=1e-9)
