"""Pedigrees: validation and parsing; the exact likelihood checked against a slow brute-force
enumeration written here; the missing-person LR checked against the pairwise formulas and hand
values, with and without mutation."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from locard.errors import CombinatorialLimit, InvalidParameter, PedigreeError, StatisticsError
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship import (
    RELATIONSHIPS,
    Individual,
    MutationModel,
    Pedigree,
    Sex,
    kinship_lr,
    locus_universe,
    missing_person_lr,
    pedigree_likelihood,
)
from locard.stats.kinship._elimination import eliminate
from locard.stats.kinship.universe import LocusUniverse

TABLE = FrequencyTable.from_mapping(
    {
        "TH01": {"6": 0.05, "7": 0.1, "8": 0.2, "9": 0.15, "9.3": 0.5},
        "vWA": {"14": 0.1, "15": 0.2, "16": 0.3, "17": 0.4},
        "FGA": {"20": 0.1, "21": 0.2, "22": 0.3, "23": 0.4},
    },
    name="Hand", population="test", sample_alleles=1000,
)
# a table whose 5/2N floor (5/100 = 0.05) raises allele 6 and whose frequencies do not sum to 1
FLOORED = FrequencyTable.from_mapping(
    {"TH01": {"6": 0.01, "7": 0.3, "8": 0.3, "9.3": 0.35}},
    name="Floored", population="test", sample_alleles=100,
)
SMALL = FrequencyTable.from_mapping(
    {"TH01": {"6": 0.2, "7": 0.3, "9.3": 0.5}},
    name="Small", population="test", min_frequency=0.02,
)
TH01 = ["6", "7", "8", "9", "9.3"]

MODELS: list[MutationModel | None] = [
    None,
    MutationModel("equal", female_rate=0.02, male_rate=0.05),
    MutationModel("proportional", female_rate=0.03, male_rate=0.06),
    MutationModel("stepwise", female_rate=0.03, male_rate=0.08, rate2=0.01, range=0.5),
    MutationModel("extended-stepwise", female_rate=0.04, male_rate=0.07, rate2=0.02, range=0.3),
]


def th01(spec: str, sid: str | None = None) -> Profile:
    return Profile.parse(f"TH01: {spec}", specimen_id=sid)


def person(pid: str, sex: str, father: str | None = None, mother: str | None = None,
           profile: Profile | None = None) -> Individual:
    return Individual(pid, father, mother, Sex(sex), profile)


# --- the slow reference: enumerate every genotype of every untyped person ---------------------


def brute_force_likelihood(pedigree: Pedigree, evidence: Mapping[str, Sequence[str]],
                           universe: LocusUniverse, model: MutationModel | None) -> float:
    """Sum over all unordered genotypes of the untyped people of
    prod(founders: Hardy-Weinberg) * prod(children: P(genotype | parents' genotypes)), with
    P(child {x, y}) = t_f(x) t_m(y) + t_f(y) t_m(x) (x != y), t_f(x) = (M_f[a, x] + M_f[b, x])/2
    for a father {a, b} (Elston-Stewart's genotype-level transmission)."""
    n = universe.size
    q = universe.frequencies
    if model is None:
        male = female = np.eye(n)
    else:
        male = model.matrix(universe.alleles, q, sex="male", repeat_length=4)
        female = model.matrix(universe.alleles, q, sex="female", repeat_length=4)
    genotypes = [(i, j) for i in range(n) for j in range(i, n)]

    def prior(g: tuple[int, int]) -> float:
        i, j = g
        return float(q[i] * q[i]) if i == j else float(2 * q[i] * q[j])

    def transmitted(m: np.ndarray, g: tuple[int, int]) -> list[float]:
        return [0.5 * (m[g[0], x] + m[g[1], x]) for x in range(n)]

    from_father = {g: transmitted(male, g) for g in genotypes}
    from_mother = {g: transmitted(female, g) for g in genotypes}

    def child(g: tuple[int, int], gf: tuple[int, int], gm: tuple[int, int]) -> float:
        tf, tm = from_father[gf], from_mother[gm]
        x, y = g
        return tf[x] * tm[x] if x == y else tf[x] * tm[y] + tf[y] * tm[x]

    fixed: dict[str, tuple[int, int]] = {}
    for pid, als in evidence.items():
        idx = sorted(universe.index[a] for a in als)
        fixed[pid] = (idx[0], idx[-1])
    free = [p.id for p in pedigree.individuals if p.id not in fixed]
    total = 0.0
    for combo in itertools.product(genotypes, repeat=len(free)):
        g = {**fixed, **dict(zip(free, combo, strict=True))}
        prob = 1.0
        for p in pedigree.individuals:
            if p.father is None or p.mother is None:
                prob *= prior(g[p.id])
            else:
                prob *= child(g[p.id], g[p.father], g[p.mother])
            if prob == 0.0:
                break
        total += prob
    return total


def check_against_brute_force(pedigree: Pedigree, candidate: Sequence[str], table: FrequencyTable,
                              model: MutationModel | None) -> None:
    relatives = {p.id: [str(a) for a in p.profile.loci["TH01"].alleles]
                 for p in pedigree.individuals if p.profile is not None}
    typed = [a for g in relatives.values() for a in g]
    universe = locus_universe(table, "TH01", typed_alleles=typed, extra_alleles=candidate)
    cand = th01("/".join(candidate), "cand")
    fast_with = pedigree_likelihood(pedigree, "TH01", table, candidate=cand, mutation=model)
    fast_without = pedigree_likelihood(pedigree, "TH01", table, mutation=model,
                                       extra_alleles=candidate)
    slow_with = brute_force_likelihood(pedigree, {**relatives, pedigree.missing: candidate},
                                       universe, model)
    slow_without = brute_force_likelihood(pedigree, relatives, universe, model)
    assert fast_with == pytest.approx(slow_with, rel=1e-10, abs=1e-300)
    assert fast_without == pytest.approx(slow_without, rel=1e-10, abs=1e-300)
    if slow_without > 0 and relatives:  # no typed relative: the locus is excluded
        q = universe.frequencies
        idx = sorted(universe.index[a] for a in candidate)
        i, j = idx[0], idx[-1]
        p_cand = q[i] * q[i] if i == j else 2 * q[i] * q[j]
        lr = missing_person_lr(pedigree, cand, table, mutation=model)
        assert lr.lr == pytest.approx(slow_with / (slow_without * p_cand), rel=1e-10, abs=1e-300)


FIXED_PEDIGREES = {
    "trio": Pedigree.build([
        person("F", "male", profile=th01("6/7")), person("M", "female"),
        person("C", "male", "F", "M"),
    ], missing="C"),
    "siblings": Pedigree.build([
        person("F", "male"), person("M", "female"),
        person("S1", "female", "F", "M", th01("7/9.3")), person("S2", "male", "F", "M"),
    ], missing="S2"),
    "three generations": Pedigree.build([
        person("GF", "male"), person("GM", "female", profile=th01("6/9.3")),
        person("F", "male", "GF", "GM"), person("M", "female"),
        person("C", "female", "F", "M", th01("7")),
    ], missing="F"),
    # a loop: X is the child of half-siblings D and E (common father A)
    "consanguineous loop": Pedigree.build([
        person("A", "male"), person("B", "female", profile=th01("6/7")), person("C", "female"),
        person("D", "male", "A", "B"), person("E", "female", "A", "C"),
        person("X", "male", "D", "E", th01("7/9.3")),
    ], missing="D"),
}


@pytest.mark.parametrize("name", sorted(FIXED_PEDIGREES))
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.model if m else "none")
@pytest.mark.parametrize("candidate", [["6", "7"], ["9.3"], ["7", "8"]])
def test_fixed_pedigrees_against_brute_force(name: str, model: MutationModel | None,
                                             candidate: list[str]) -> None:
    check_against_brute_force(FIXED_PEDIGREES[name], candidate, SMALL, model)


genotype_st = st.lists(st.sampled_from(["6", "7", "9.3", "8"]), min_size=1, max_size=2).map(
    lambda xs: sorted(set(xs)))


@st.composite
def small_pedigrees(draw: st.DrawFn) -> tuple[Pedigree, list[str]]:
    """3-6 people; each after the first two is a founder or the child of an earlier man and an
    earlier woman (loops allowed); at most four untyped people besides the missing one."""
    size = draw(st.integers(3, 6))
    rows: list[tuple[str, str | None, str | None, str]] = []
    for k in range(size):
        sex = "male" if k == 0 else "female" if k == 1 else draw(st.sampled_from(["male",
                                                                                  "female"]))
        men = [r[0] for r in rows if r[3] == "male"]
        women = [r[0] for r in rows if r[3] == "female"]
        if k >= 2 and draw(st.booleans()):
            rows.append((f"P{k}", draw(st.sampled_from(men)), draw(st.sampled_from(women)), sex))
        else:
            rows.append((f"P{k}", None, None, sex))
    missing = draw(st.sampled_from([r[0] for r in rows]))
    others = [r[0] for r in rows if r[0] != missing]
    typed = {pid for pid in others if draw(st.booleans())}
    for pid in others:  # keep the enumeration small: at most 3 untyped besides the missing one
        if len(set(others) - typed) <= 3:
            break
        typed.add(pid)
    people = [person(pid, sex, f, m, th01("/".join(draw(genotype_st)), pid) if pid in typed
                     else None) for pid, f, m, sex in rows]
    return Pedigree.build(people, missing=missing), draw(genotype_st)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=small_pedigrees(), model=st.sampled_from(MODELS))
def test_random_pedigrees_against_brute_force(case: tuple[Pedigree, list[str]],
                                              model: MutationModel | None) -> None:
    pedigree, candidate = case
    check_against_brute_force(pedigree, candidate, SMALL, model)


# --- the pedigree path equals the pairwise formulas (theta = 0, no mutation) ------------------


def relationship_pedigree(relationship: str, ref: Profile) -> Pedigree:
    """A pedigree in which the typed 'R' and the missing 'X' are related as ``relationship``."""
    people = {
        "parent-child": [person("R", "male", profile=ref), person("M", "female"),
                         person("X", "male", "R", "M")],
        "full-siblings": [person("F", "male"), person("M", "female"),
                          person("R", "male", "F", "M", ref), person("X", "female", "F", "M")],
        "half-siblings": [person("F", "male"), person("M1", "female"), person("M2", "female"),
                          person("R", "male", "F", "M1", ref), person("X", "male", "F", "M2")],
        "grandparent-grandchild": [
            person("R", "male", profile=ref), person("GM", "female"),
            person("P", "male", "R", "GM"), person("S", "female"), person("X", "male", "P", "S")],
        "avuncular": [
            person("GF", "male"), person("GM", "female"), person("R", "male", "GF", "GM", ref),
            person("P", "male", "GF", "GM"), person("S", "female"),
            person("X", "female", "P", "S")],
        "first-cousins": [
            person("GF", "male"), person("GM", "female"), person("P1", "male", "GF", "GM"),
            person("P2", "male", "GF", "GM"), person("S1", "female"), person("S2", "female"),
            person("R", "male", "P1", "S1", ref), person("X", "female", "P2", "S2")],
    }[relationship]
    return Pedigree.build(people, missing="X")


th01_genotypes = st.lists(st.sampled_from([*TH01, "11"]), min_size=1, max_size=2).map(
    lambda xs: "/".join(sorted(set(xs))))


@settings(max_examples=60, deadline=None)
@given(g_ref=th01_genotypes, g_cand=th01_genotypes,
       relationship=st.sampled_from(["parent-child", "full-siblings", "half-siblings",
                                     "grandparent-grandchild", "avuncular", "first-cousins"]),
       table=st.sampled_from([TABLE, FLOORED]))
def test_pedigree_equals_pairwise(g_ref: str, g_cand: str, relationship: str,
                                  table: FrequencyTable) -> None:
    ref, cand = th01(g_ref, "R"), th01(g_cand, "cand")
    pedigree = relationship_pedigree(relationship, ref)
    via_pedigree = missing_person_lr(pedigree, cand, table)
    pairwise = kinship_lr(ref, cand, relationship, table)
    assert via_pedigree.lr == pytest.approx(pairwise.lr, rel=1e-12, abs=1e-15)


@given(g_ref=th01_genotypes, g_cand=th01_genotypes)
def test_parent_as_the_missing_person_equals_pairwise(g_ref: str, g_cand: str) -> None:
    child = th01(g_ref, "C")
    pedigree = Pedigree.build([person("X", "male"), person("M", "female"),
                               person("C", "female", "X", "M", child)], missing="X")
    cand = th01(g_cand, "cand")
    assert missing_person_lr(pedigree, cand, TABLE).lr == pytest.approx(
        kinship_lr(child, cand, "parent-child", TABLE).lr, rel=1e-12, abs=1e-15)


# --- hand values ---------------------------------------------------------------------------


def trio(father: Profile) -> Pedigree:
    return Pedigree.build([person("AF", "male", profile=father), person("MO", "female"),
                           person("CH", "male", "AF", "MO")], missing="CH")


def test_paternity_hand_values() -> None:
    father = Profile.parse("TH01: 6; vWA: 14", specimen_id="AF")
    one = missing_person_lr(trio(father), Profile.parse("TH01: 6"), TABLE)
    assert one.per_locus["TH01"].lr == pytest.approx(20.0, rel=1e-12)
    both = missing_person_lr(trio(father), Profile.parse("TH01: 6; vWA: 14"), TABLE)
    assert both.lr == pytest.approx(200.0, rel=1e-12)
    assert math.prod(both.per_locus_lr.values()) == pytest.approx(both.lr, rel=1e-15)


def test_stepwise_mutation_turns_an_exclusion_into_a_small_lr() -> None:
    table = FrequencyTable.from_mapping({"TH01": {"9": 0.3, "10": 0.3, "11": 0.25, "12": 0.15}},
                                        name="Step", sample_alleles=1000)
    pedigree = trio(th01("10", "AF"))
    child = th01("11", "CH")
    assert missing_person_lr(pedigree, child, table).lr == 0.0
    model = MutationModel("stepwise", male_rate=0.002, female_rate=0.0005, rate2=1e-6, range=0.1)
    lr = missing_person_lr(pedigree, child, table, mutation=model).lr
    # By hand: LR = P(CH 11/11 | AF 10/10) / P(11/11) = t_f(11) t_m(11) / q11^2, where
    # t_f(11) = M_male[10, 11] = 0.002 * 0.1 / (0.1 + 0.1 + 0.01) (one step up or down, or two up)
    # and t_m(11) = sum_x q_x M_female[x, 11] (the untyped mother, with her mutations).
    u = locus_universe(table, "TH01", typed_alleles=["10"], extra_alleles=["11"])
    q = u.frequencies
    female = model.matrix(u.alleles, q, sex="female")
    i11 = u.index["11"]
    t_f = 0.002 * 0.1 / 0.21
    t_m = float(q @ female[:, i11])
    assert lr == pytest.approx(t_f * t_m / q[i11] ** 2, rel=1e-12)
    assert 0 < lr < 0.05


def test_mutation_model_per_locus() -> None:
    father = Profile.parse("TH01: 6; vWA: 14", specimen_id="AF")
    cand = Profile.parse("TH01: 6; vWA: 15")
    model = MutationModel("equal", male_rate=0.01, female_rate=0.01)
    r = missing_person_lr(trio(father), cand, TABLE, mutation={"TH01": None, "VWA": model})
    assert r.per_locus["TH01"].lr == pytest.approx(20.0)
    assert r.per_locus["vWA"].lr > 0
    with pytest.raises(InvalidParameter, match="vWA"):
        missing_person_lr(trio(father), cand, TABLE, mutation={"TH01": model})


def test_excluded_loci_and_provenance() -> None:
    father = Profile.parse("TH01: 6; vWA: 14; D8S1179: 12; AMEL: X,Y", specimen_id="AF")
    cand = Profile.parse("TH01: 6; FGA: 20; D8S1179: 13; AMEL: X,Y", specimen_id="cand")
    r = missing_person_lr(trio(father), cand, TABLE)
    assert set(r.per_locus) == {"TH01"}
    assert r.excluded["vWA"] == "not typed in the candidate"
    assert r.excluded["FGA"] == "no relative typed (no kinship information)"
    assert r.excluded["D8S1179"].startswith("no frequencies")
    assert r.excluded["AMEL"].startswith("not an autosomal STR")
    d = r.to_dict()
    assert d["per_locus"] == {"TH01": pytest.approx(20.0)}
    params = d["provenance"]["parameters"]
    assert params["theta"] == 0.0 and params["mutation"] == {"TH01": None}
    assert "profile_digest" in params["pedigree"]["individuals"][0]
    assert d["provenance"]["candidate_digest"] == cand.genotype_digest()
    assert "missing person 'CH'" in d["hypotheses"]["hp"]


def test_impossible_relatives_are_reported() -> None:
    pedigree = Pedigree.build([person("F", "male", profile=th01("6")), person("M", "female"),
                               person("C", "male", "F", "M", th01("7/8")),
                               person("X", "male", "F", "M")], missing="X")
    with pytest.raises(StatisticsError, match="impossible"):
        missing_person_lr(pedigree, th01("6"), TABLE)


def test_elimination_refuses_huge_tables() -> None:
    factors = [((0, 1), np.ones((10, 10))), ((1, 2), np.ones((10, 10))),
               ((0, 2), np.ones((10, 10)))]
    assert float(eliminate(factors, {0: 10, 1: 10, 2: 10})) == 1000.0
    with pytest.raises(CombinatorialLimit):
        eliminate(factors, {0: 10, 1: 10, 2: 10}, max_entries=50)


# --- validation and parsing -------------------------------------------------------------------


def test_missing_parent() -> None:
    with pytest.raises(PedigreeError, match="'C' has a father but no mother"):
        Pedigree.build([person("F", "male"), Individual("C", "F", None, Sex.MALE)], missing="C")


def test_parent_not_in_pedigree() -> None:
    with pytest.raises(PedigreeError, match="'C': mother 'M' is not in the pedigree"):
        Pedigree.build([person("F", "male"), person("C", "male", "F", "M")], missing="C")


def test_cycle() -> None:
    with pytest.raises(PedigreeError, match="own ancestor"):
        Pedigree.build([person("A", "male", "B", "W"), person("B", "male", "A", "W"),
                        person("W", "female")], missing="A")


def test_self_parent() -> None:
    with pytest.raises(PedigreeError, match="their own father"):
        Pedigree.build([person("A", "male", "A", "W"), person("W", "female")], missing="A")


def test_mother_male() -> None:
    with pytest.raises(PedigreeError, match="'C': mother 'M' has sex male"):
        Pedigree.build([person("F", "male"), person("M", "male"), person("C", "male", "F", "M")],
                       missing="C")


def test_father_unknown_sex() -> None:
    with pytest.raises(PedigreeError, match="father 'F' has sex unknown"):
        Pedigree.build([person("F", "unknown"), person("M", "female"),
                        person("C", "male", "F", "M")], missing="C")


def test_duplicate_id() -> None:
    with pytest.raises(PedigreeError, match="'F' is listed twice"):
        Pedigree.build([person("F", "male"), person("F", "female")], missing="F")


def test_missing_person_checked() -> None:
    with pytest.raises(PedigreeError, match="'Z' is not in the pedigree"):
        Pedigree.build([person("F", "male")], missing="Z")
    with pytest.raises(PedigreeError, match="has a profile"):
        Pedigree.build([person("F", "male", profile=th01("6"))], missing="F")


def test_from_dict() -> None:
    ped = Pedigree.from_dict({
        "individuals": [
            {"id": "AF", "sex": "M", "profile": {"loci": {"TH01": ["6"]}}},
            {"id": "MO", "sex": "female", "father": None, "mother": "0"},
            {"id": "CH", "father": "AF", "mother": "MO", "sex": 1},
            {"id": "SIB", "father": "AF", "mother": "MO", "sex": "F", "profile": "TH01: 6/7"},
            {"id": "X", "sex": "U", "profile": {"vWA": ["14", "15"]}},
        ],
        "missing": "CH",
    })
    assert ped.ids == ("AF", "MO", "CH", "SIB", "X")
    assert ped.typed == ("AF", "SIB", "X")
    assert ped.individual("CH").sex is Sex.MALE
    assert ped.individual("MO").is_founder
    assert ped.parents()["SIB"] == ("AF", "MO")
    assert Pedigree.from_dict(ped.to_dict()) == ped


@pytest.mark.parametrize("data, message", [
    ({"missing": "A"}, "'individuals' list"),
    ({"individuals": []}, "'missing'"),
    ({"individuals": [{"sex": "M"}], "missing": "A"}, "'id'"),
    ({"individuals": [{"id": "A", "sex": "X"}], "missing": "A"}, "sex 'X'"),
])
def test_from_dict_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(PedigreeError, match=message):
        Pedigree.from_dict(data)


def test_from_ped_lines() -> None:
    lines = [
        "# a trio and a sibling",
        "id father mother sex",
        "AF 0 0 1",
        "MO 0 0 2",
        "",
        "CH AF MO 1   # the missing child",
        "SIB AF MO F",
    ]
    profiles = {"AF": th01("6", "AF"), "SIB": th01("6/7", "SIB")}
    ped = Pedigree.from_ped_lines(lines, missing="CH", profiles=profiles)
    assert ped.ids == ("AF", "MO", "CH", "SIB")
    assert ped.individual("SIB").sex is Sex.FEMALE
    assert ped.individual("AF").profile == profiles["AF"]
    plink = ["FID IID PAT MAT SEX PHENOTYPE", "FAM1 AF 0 0 1 -9", "FAM1 MO 0 0 2 -9",
             "FAM1 CH AF MO 1 -9"]
    assert Pedigree.from_ped_lines(plink, missing="CH").ids == ("AF", "MO", "CH")


@pytest.mark.parametrize("lines, message", [
    (["A 0 0"], "line 1: 3 columns"),
    (["F1 A 0 0 1 0", "F2 B 0 0 2 0"], "line 2: family 'F2'"),
    (["A 0 0 7"], "sex '7'"),
    (["A 0 0 1", "B A 0 1"], "'B' has a father but no mother"),
    (["A B C 1", "B 0 0 2", "C 0 0 2"], "father 'B' has sex female"),
])
def test_from_ped_lines_errors(lines: list[str], message: str) -> None:
    with pytest.raises(PedigreeError, match=message):
        Pedigree.from_ped_lines(lines, missing="A")


def test_profile_for_unknown_individual() -> None:
    with pytest.raises(PedigreeError, match="'Q', who is not in the pedigree"):
        Pedigree.from_ped_lines(["A 0 0 1"], missing="A", profiles={"Q": th01("6")})


def test_with_profiles_revalidates() -> None:
    ped = trio(th01("6", "AF"))
    assert ped.with_profiles({"MO": th01("7")}).typed == ("AF", "MO")
    with pytest.raises(PedigreeError, match="has a profile"):
        ped.with_profiles({"CH": th01("7")})


def test_relationships_cover_the_named_kappas() -> None:
    assert set(RELATIONSHIPS) >= {"parent-child", "full-siblings", "half-siblings",
                                  "grandparent-grandchild", "avuncular", "first-cousins"}
