"""DVI with several missing persons per family, sex, undisputed identifications (strict), GLRs
and priors: dvir's documented examples and a naive enumeration beside the fast code."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from locard.errors import CombinatorialLimit, InvalidParameter, PedigreeError
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship import Individual, MutationModel, Pedigree, Sex, missing_person_lr
from locard.stats.kinship.dvi import (
    NOT_IDENTIFIED,
    DVIFamily,
    DVIMatrix,
    dvi,
    dvi_identify,
    dvi_lr_matrix,
    family_joint_lr,
    pair_prior_from,
)

# --- dvir's example2 --------------------------------------------------------------------
# Built from the definition in dvir's data-raw/example2.R (magnusdv/dvir, v3.4): one marker with
# 10 equifrequent alleles; victims V1 (male) 1/1, V2 (male) 1/2, V3 (female) 3/4; family F1 =
# father M1, mother R1 (2/2), son M2; family F2 = father R2 (3/3), mother MO2, daughter M3;
# missing M1, M2, M3.

TEN = FrequencyTable.from_mapping({"D8S1179": {str(a): 0.1 for a in range(1, 11)}},
                                  name="ten-equifrequent")


def v(sid: str, alleles: str, sex: str | None = None) -> Profile:
    text = f"D8S1179: {alleles}" + (f"; AMEL: {sex}" if sex else "")
    return Profile.parse(text, specimen_id=sid)


def example2(*, amelogenin: bool = True) -> tuple[list[Profile], dict[str, DVIFamily]]:
    victims = [v("V1", "1/1", "X/Y" if amelogenin else None),
               v("V2", "1/2", "X/Y" if amelogenin else None),
               v("V3", "3/4", "X" if amelogenin else None)]
    f1 = Pedigree.build([Individual("M1", None, None, Sex.MALE),
                         Individual("R1", None, None, Sex.FEMALE,
                                    Profile.parse("D8S1179: 2/2", specimen_id="R1")),
                         Individual("M2", "M1", "R1", Sex.MALE)], missing="M1")
    f2 = Pedigree.build([Individual("R2", None, None, Sex.MALE,
                                    Profile.parse("D8S1179: 3/3", specimen_id="R2")),
                         Individual("MO2", None, None, Sex.FEMALE),
                         Individual("M3", "R2", "MO2", Sex.FEMALE)], missing="M3")
    return victims, {"F1": DVIFamily.build(f1, ["M1", "M2"]), "F2": DVIFamily.build(f2)}


def test_dvir_example2_posteriors_and_glr() -> None:
    """dvir's README (dviJoint(example2)): 14 assignments, 4 impossible; relative to the best
    (V1=M1, V2=M2, V3=M3) the others are 5, 10, 50 (x4) and 250 (x3) times less likely. Under
    the flat prior the marginal posteriors are 0.879 / 0.948 / 0.833 (dvir's Bmarginal)."""
    victims, families = example2()
    result = dvi(victims, families, TEN, undisputed_threshold=1e4)
    assert result.matrix.labels == ("F1:M1", "F1:M2", "F2")
    post = result.posteriors
    assert post["V1"]["F1:M1"] == pytest.approx(1.224 / 1.392, rel=1e-12)  # 0.879
    assert post["V2"]["F1:M2"] == pytest.approx(1.32 / 1.392, rel=1e-12)  # 0.948
    assert post["V3"]["F2"] == pytest.approx(1.16 / 1.392, rel=1e-12)  # 0.833
    assert round(post["V1"]["F1:M1"], 3) == 0.879
    assert round(post["V2"]["F1:M2"], 3) == 0.948
    assert round(post["V3"]["F2"], 3) == 0.833
    # the posterior factorises over components ({V1, V2; M1, M2} and {V3; M3}): dvir's 10
    # possible joint assignments are the products of the components' assignments
    by_comp: dict[int, list[float]] = {}
    for a in result.assignments:
        by_comp.setdefault(a.component, []).append(a.lr)
    assert [c["assignments"] for c in result.components] == [5, 2]
    lrs = sorted((x * y for x, y in itertools.product(*by_comp.values())), reverse=True)
    best = lrs[0]
    assert [best / x for x in lrs] == pytest.approx([1, 5, 10, 50, 50, 50, 50, 250, 250, 250],
                                                    rel=1e-12)
    assert best == pytest.approx(250.0, rel=1e-12)  # exp(-16.118 + 21.640): against nobody
    assert result.assignments[0].pairs == (("V1", "F1:M1"), ("V2", "F1:M2"))
    assert result.assignments[5].pairs == (("V3", "F2"),)
    # GLR: best with the pair over best without (dvir's dviGLR)
    assert result.glr["V1"]["F1:M1"] == pytest.approx(10.0, rel=1e-12)
    assert result.glr["V2"]["F1:M2"] == pytest.approx(50.0, rel=1e-12)
    assert result.glr["V3"]["F2"] == pytest.approx(5.0, rel=1e-12)
    # V1 = M2 is impossible (R1 is 2/2), V3 and the men are of different sex
    assert ("V1", "F1:M2") in result.excluded
    assert result.exclusion_reasons[("V3", "F1:M1")] == "sex"


def test_example2_declared_sex_equals_amelogenin() -> None:
    victims, families = example2(amelogenin=False)
    declared = dvi(victims, families, TEN,
                   victim_sex={"V1": "male", "V2": "M", "V3": "female"})
    typed = dvi(*example2(), TEN)
    assert declared.posteriors == typed.posteriors
    ignored = dvi(victims, families, TEN)  # sex unknown: more assignments, other posteriors
    assert ignored.components[0]["assignments"] > 10
    assert ignored.posteriors["V3"]["F2"] != pytest.approx(1.16 / 1.392)


def test_joint_is_not_the_product_of_pairwise() -> None:
    """The regression: a family's victims are computed jointly (V1 as father M1 and V2 as son
    M2, mother 2/2: 1/1 and 1/2 explain each other)."""
    victims, families = example2()
    joint = family_joint_lr(families["F1"], {"M1": victims[0], "M2": victims[1]}, TEN)
    single1 = family_joint_lr(families["F1"], {"M1": victims[0]}, TEN)
    single2 = family_joint_lr(families["F1"], {"M2": victims[1]}, TEN)
    assert joint == pytest.approx(50.0, rel=1e-12)  # 1/(2 * 0.1 * 0.1)
    assert single1 * single2 == pytest.approx(5.0, rel=1e-12)
    ped_m2 = families["F1"].pedigree_for("M2")
    assert single2 == pytest.approx(missing_person_lr(ped_m2, victims[1], TEN).lr, rel=1e-12)


# --- a naive enumeration ---------------------------------------------------------------------

THREE = FrequencyTable.from_mapping({"TH01": {"6": 0.5, "7": 0.3, "8": 0.2},
                                     "TPOX": {"8": 0.6, "9": 0.25, "11": 0.15}}, name="three")


def naive_likelihood(people: list[tuple[str, str | None, str | None, str]],
                     genotypes: dict[str, tuple[str, str]], alleles: list[str],
                     freqs: dict[str, float], male: np.ndarray, female: np.ndarray) -> float:
    """Sum over every ordered genotype of every person (typed ones fixed up to order), product
    of founder frequencies and Mendelian transmissions with mutation: explicit loops."""
    idx = {a: i for i, a in enumerate(alleles)}
    options: list[list[tuple[str, str]]] = []
    for pid, _, _, _ in people:
        if pid in genotypes:
            a, b = genotypes[pid]
            options.append(list({(a, b), (b, a)}))
        else:
            options.append([(a, b) for a in alleles for b in alleles])
    total = 0.0
    for choice in itertools.product(*options):
        g = {pid: choice[k] for k, (pid, _, _, _) in enumerate(people)}
        p = 1.0
        for pid, fa, mo, _ in people:
            pat, mat = g[pid]
            if fa is None:
                p *= freqs[pat] * freqs[mat]
            else:
                assert mo is not None
                p *= 0.5 * sum(male[idx[x], idx[pat]] for x in g[fa])
                p *= 0.5 * sum(female[idx[x], idx[mat]] for x in g[mo])
        total += p
    return total


FAMILY_A = [("FA", None, None, "male"), ("MO", None, None, "female"),
            ("C1", "FA", "MO", "male"), ("C2", "FA", "MO", "female"), ("S", "FA", "MO", "male")]
FAMILY_B = [("GF", None, None, "male"), ("GM", None, None, "female"),
            ("P", "GF", "GM", "female"), ("X", None, None, "male"), ("K", "X", "P", "male")]


def build(people: list[tuple[str, str | None, str | None, str]],
          typed: dict[str, dict[str, tuple[str, str]]], missing: list[str]) -> DVIFamily:
    inds = [Individual(pid, fa, mo, Sex(sex),
                       Profile.from_mapping({k: list(g) for k, g in typed[pid].items()},
                                            specimen_id=pid) if pid in typed else None)
            for pid, fa, mo, sex in people]
    return DVIFamily.build(Pedigree.build(inds, missing=missing[0]), missing)


@pytest.mark.parametrize("model", [None, MutationModel("equal", female_rate=0.01,
                                                       male_rate=0.02)],
                         ids=["no-mutation", "equal"])
def test_several_missing_equal_naive_enumeration(model: MutationModel | None) -> None:
    rng = np.random.default_rng(16)
    loci = {k: [str(a) for a in THREE.frequencies[k]] for k in ("TH01", "TPOX")}

    def genotype(locus: str) -> tuple[str, str]:
        a = rng.choice(loci[locus], size=2, p=list(THREE.frequencies[locus].values()))
        return str(a[0]), str(a[1])

    typed_a = {"S": {k: genotype(k) for k in loci}, "MO": {"TH01": genotype("TH01")}}
    typed_b = {"GM": {k: genotype(k) for k in loci}}
    fam_a = build(FAMILY_A, typed_a, ["FA", "C1", "C2"])
    fam_b = build(FAMILY_B, typed_b, ["P", "K"])
    victims = [Profile.from_mapping({k: list(genotype(k)) for k in loci}, specimen_id=f"V{i}")
               for i in range(3)]
    victims.append(Profile.from_mapping({"TH01": list(genotype("TH01"))}, specimen_id="V3"))
    result = dvi(victims, {"A": fam_a, "B": fam_b}, THREE, mutation=model,
                 exclusion_threshold=0, undisputed_threshold=1e300)
    m = result.matrix
    columns = list(zip(m.families, m.missing, strict=True))
    people = {"A": (FAMILY_A, typed_a), "B": (FAMILY_B, typed_b)}

    cache: dict[tuple[str, tuple[tuple[str, str | None], ...]], float] = {}

    def family_lr(fam: str, placed: dict[str, Profile]) -> float:
        key = (fam, tuple(sorted((mid, p.specimen_id) for mid, p in placed.items())))
        if key not in cache:
            cache[key] = naive_family_lr(fam, placed)
        return cache[key]

    def naive_family_lr(fam: str, placed: dict[str, Profile]) -> float:
        pedigree, typed = people[fam]
        out = 1.0
        for locus, alleles in loci.items():
            freqs = {str(a): float(x) for a, x in THREE.frequencies[locus].items()}
            if model is None:
                male = female = np.eye(3)
            else:
                fq = list(freqs.values())
                male = model.matrix(list(THREE.frequencies[locus]), fq, sex="male")
                female = model.matrix(list(THREE.frequencies[locus]), fq, sex="female")
            rel = {pid: g[locus] for pid, g in typed.items() if locus in g}
            vic = {mid: (str(p.loci[locus].alleles[0]), str(p.loci[locus].alleles[-1]))
                   for mid, p in placed.items() if locus in p.loci}
            if not vic or (not rel and len(vic) < 2):
                continue
            hp = naive_likelihood(pedigree, {**rel, **vic}, alleles, freqs, male, female)
            hd = naive_likelihood(pedigree, rel, alleles, freqs, male, female)
            for a, b in vic.values():
                hd *= freqs[a] ** 2 if a == b else 2 * freqs[a] * freqs[b]
            out *= hp / hd
        return out

    weights: dict[tuple[int, ...], float] = {}
    for choice in itertools.product(range(-1, len(columns)), repeat=len(victims)):
        used = [c for c in choice if c >= 0]
        if len(used) != len(set(used)):
            continue
        if any(c >= 0 and m.lr[i, c] <= 0 for i, c in enumerate(choice)):
            continue
        w = 1.0
        for fam in ("A", "B"):
            placed = {columns[c][1]: victims[i] for i, c in enumerate(choice)
                      if c >= 0 and columns[c][0] == fam}
            if placed:
                w *= family_lr(fam, placed)
        weights[choice] = w
    z = sum(weights.values())
    for i, victim in enumerate(m.victims):
        for c in range(-1, len(columns)):
            expected = sum(w for ch, w in weights.items() if ch[i] == c) / z
            label = NOT_IDENTIFIED if c < 0 else m.labels[c]
            assert result.posteriors[victim].get(label, 0.0) == pytest.approx(
                expected, rel=1e-9, abs=1e-15)
    tops: dict[int, float] = {}
    for a in result.assignments:
        tops.setdefault(a.component, a.lr)  # each component's most probable first
    assert math.prod(tops.values()) == pytest.approx(max(weights.values()), rel=1e-9)
    for i, victim in enumerate(m.victims):  # GLR against the naive table
        for label, g in result.glr[victim].items():
            k = m.labels.index(label)
            with_ = max(w for ch, w in weights.items() if ch[i] == k)
            without = max(w for ch, w in weights.items() if ch[i] != k)
            assert g == pytest.approx(with_ / without, rel=1e-9)


# --- undisputed, strict, transfer into the family ------------------------------------------


def fake(lr: list[list[float]]) -> DVIMatrix:
    arr = np.asarray(lr, dtype=float)
    n_v, n_f = arr.shape
    return DVIMatrix(tuple(f"V{i + 1}" for i in range(n_v)),
                     tuple(f"F{j + 1}" for j in range(n_f)), tuple("X" for _ in range(n_f)),
                     ("ALL",), arr, arr[:, :, None], {})


def test_undisputed_default_and_strict() -> None:
    """dvir's undisputedEntries: LR >= T and every other LR in row and column <= LR / T; strict:
    every other LR <= 1 (findUndisputed's planecrash example loses M3 = V2 under strict because
    M3 has LR > 1 against V7)."""
    lr = [[1e9, 3.0], [0.5, 0.2]]
    assert [(u.victim, u.family) for u in dvi_identify(fake(lr)).undisputed] == [("V1", "F1")]
    assert dvi_identify(fake(lr), strict=True).undisputed == ()
    lr2 = [[1e9, 0.9], [0.5, 0.2]]
    assert len(dvi_identify(fake(lr2), strict=True).undisputed) == 1
    # just below the ratio: not undisputed by default
    lr3 = [[1e8, 1e4 + 1], [0.5, 0.2]]
    assert dvi_identify(fake(lr3)).undisputed == ()


def test_undisputed_victim_moves_into_its_family() -> None:
    """After V1 = M1 (the father) is undisputed, V2 against the son M2 is recomputed with V1
    typed as the father (dvir's findUndisputed moves the victim's data into the family): 5 on
    its own, 50 x 1000 given the father, so undisputed only in the second round."""
    _, families = example2()
    strong = [Profile.parse("D8S1179: 1/1; TH01: 6/6; TPOX: 8/8", specimen_id="V1"),
              Profile.parse("D8S1179: 1/2; TH01: 6/6", specimen_id="V2")]
    table = FrequencyTable.from_mapping(
        {"D8S1179": {str(a): 0.1 for a in range(1, 11)},
         "TH01": {"6": 0.001, "7": 0.999}, "TPOX": {"8": 0.001, "9": 0.999}}, name="skewed")
    f1 = families["F1"].pedigree
    son = Individual("S", "M1", "R1", Sex.MALE, Profile.parse("TPOX: 8/8", specimen_id="S"))
    r1 = Individual("R1", None, None, Sex.FEMALE,
                    Profile.parse("D8S1179: 2/2; TPOX: 8/8", specimen_id="R1"))
    people = [r1 if p.id == "R1" else p for p in f1.individuals] + [son]
    fam = DVIFamily.build(Pedigree.build(people, missing="M1"), ["M1", "M2"])
    result = dvi(strong, {"F1": fam}, table, undisputed_threshold=100)
    assert result.matrix.lr[1, 1] == pytest.approx(5.0, rel=1e-12)  # V2 = M2 alone
    found = [(u.victim, u.missing, u.step) for u in result.undisputed]
    assert found == [("V1", "M1", 1), ("V2", "M2", 2)]
    joint = family_joint_lr(fam, {"M1": strong[0], "M2": strong[1]}, table)
    single = family_joint_lr(fam, {"M1": strong[0]}, table)
    assert result.undisputed[1].lr == pytest.approx(joint / single, rel=1e-9)
    assert result.undisputed[1].lr == pytest.approx(5e4, rel=1e-9)


# --- priors, guard, families ---------------------------------------------------------------


def test_pair_prior_changes_the_posterior() -> None:
    a, b = 4.0, 2.0
    m = fake([[a, b]])
    flat = dvi_identify(m, exclusion_threshold=0, undisputed_threshold=1e9)
    assert flat.posteriors["V1"]["F1"] == pytest.approx(a / (1 + a + b))
    prior = pair_prior_from(m, {("V1", "F1"): 0.5, ("V1", "F2"): 2.0})
    weighted = dvi_identify(m, exclusion_threshold=0, undisputed_threshold=1e9,
                            pair_prior=prior)
    z = 1 + 0.5 * a + 2.0 * b
    assert weighted.posteriors["V1"]["F1"] == pytest.approx(0.5 * a / z)
    assert weighted.posteriors["V1"][NOT_IDENTIFIED] == pytest.approx(1 / z)
    # the GLR is a likelihood ratio: the prior does not change it
    assert weighted.glr["V1"]["F1"] == pytest.approx(flat.glr["V1"]["F1"])
    assert flat.glr["V1"]["F1"] == pytest.approx(a / b)  # best with (a) over best without (b)
    with pytest.raises(InvalidParameter, match="pair_prior"):
        dvi_identify(m, pair_prior=[[1.0, -1.0]])


def test_guard_names_the_remedies() -> None:
    with pytest.raises(CombinatorialLimit) as err:
        dvi_identify(fake(np.ones((8, 8)).tolist()), exclusion_threshold=0, max_assignments=100)
    remedy = err.value.remedy or ""
    assert "--exclusion-threshold" in remedy and "--max-assignments" in remedy
    assert "--victim-sex" in remedy


def test_family_from_dict_with_several_missing() -> None:
    fam = DVIFamily.from_dict({"individuals": [
        {"id": "FA", "sex": "M"}, {"id": "MO", "sex": "F", "profile": "D8S1179: 2/2"},
        {"id": "C1", "father": "FA", "mother": "MO", "sex": "M"},
        {"id": "C2", "father": "FA", "mother": "MO", "sex": "F"}], "missing": ["C1", "C2"]})
    assert fam.missing == ("C1", "C2")
    with pytest.raises(PedigreeError, match="MO"):
        DVIFamily.from_dict({"individuals": [{"id": "MO", "sex": "F",
                                              "profile": "D8S1179: 2/2"}],
                             "missing": ["MO"]})
    with pytest.raises(PedigreeError, match="twice"):
        DVIFamily.build(fam.pedigree, ["C1", "C1"])
    matrix = dvi_lr_matrix([v("V1", "2/3")], {"F": fam}, TEN)
    assert matrix.labels == ("F:C1", "F:C2")
    assert math.isclose(float(matrix.lr[0, 0]), 5.0)  # 1/(2 * 0.1)


def test_single_placement_with_theta_is_the_missing_person_lr() -> None:
    victims, families = example2()
    fam = families["F1"]
    for theta in (0.0, 0.02):
        joint = family_joint_lr(fam, {"M2": victims[1]}, TEN, theta=theta)
        direct = missing_person_lr(fam.pedigree_for("M2"), victims[1], TEN, theta=theta)
        assert joint == pytest.approx(direct.lr, rel=1e-10)
    # two victims with theta: the unrelated hypothesis draws both from the subpopulation
    both = {"M1": victims[0], "M2": victims[1]}
    assert family_joint_lr(fam, both, TEN, theta=1e-9) == pytest.approx(
        family_joint_lr(fam, both, TEN), rel=1e-6)
    assert family_joint_lr(fam, both, TEN, theta=0.05) < family_joint_lr(fam, both, TEN)


def test_symmetric_siblings_like_dvir_fire() -> None:
    """The shape of dvir's `fire` example (one family, three missing: a daughter M1 and her two
    nieces M2, M3, full sisters; her brother R1 typed; proportional mutation). dvir's data are
    simulated in R (seed 151, Norwegian frequencies) and are not rebuilt here; what carries
    over: the two sisters are exchangeable, so V2/V3 = M2/M3 has GLR 1 for each order and
    posteriors split evenly, while M1's identification has a GLR above 1 (dvir: 70,582)."""
    from locard.tables.bundled import get_bundled_table

    table = get_bundled_table("NIST1036:ALL")
    rng = np.random.default_rng(151)
    loci = ["D3S1358", "vWA", "D16S539", "CSF1PO", "TPOX", "D8S1179", "D21S11", "D18S51",
            "TH01", "FGA", "D5S818", "D13S317"]

    def founder() -> dict[str, list[str]]:
        out = {}
        for locus in loci:
            p = np.array(list(table.frequencies[locus].values()), dtype=float)
            out[locus] = [str(a) for a in rng.choice([str(x) for x in table.frequencies[locus]],
                                                     size=2,
                                                     p=p / p.sum())]
        return out

    def child(fa: dict[str, list[str]], mo: dict[str, list[str]]) -> dict[str, list[str]]:
        return {k: [fa[k][rng.integers(2)], mo[k][rng.integers(2)]] for k in loci}

    def prof(g: dict[str, list[str]], sid: str) -> Profile:
        return Profile.from_mapping(g, specimen_id=sid)

    fa, mo, wife = founder(), founder(), founder()
    r1, m1, brother = child(fa, mo), child(fa, mo), child(fa, mo)
    m2, m3 = child(brother, wife), child(brother, wife)
    people = [Individual("FA", None, None, Sex.MALE), Individual("MO", None, None, Sex.FEMALE),
              Individual("R1", "FA", "MO", Sex.MALE, prof(r1, "R1")),
              Individual("M1", "FA", "MO", Sex.FEMALE),
              Individual("B", "FA", "MO", Sex.MALE), Individual("W", None, None, Sex.FEMALE),
              Individual("M2", "B", "W", Sex.FEMALE), Individual("M3", "B", "W", Sex.FEMALE)]
    fam = DVIFamily.build(Pedigree.build(people, missing="M1"), ["M1", "M2", "M3"])
    victims = [prof(m1, "V1"), prof(m2, "V2"), prof(m3, "V3")]
    result = dvi(victims, {"F1": fam}, table, mutation=MutationModel("proportional"),
                 exclusion_threshold=0, undisputed_threshold=1e300)
    assert result.glr["V2"]["F1:M2"] == pytest.approx(result.glr["V2"]["F1:M3"], rel=1e-9)
    assert result.posteriors["V2"]["F1:M2"] == pytest.approx(
        result.posteriors["V2"]["F1:M3"], rel=1e-9)
    top = result.assignments
    assert top[0].lr == pytest.approx(top[1].lr, rel=1e-9)  # the two sister orders
    assert {top[0].pairs, top[1].pairs} == {
        (("V1", "F1:M1"), ("V2", "F1:M2"), ("V3", "F1:M3")),
        (("V1", "F1:M1"), ("V2", "F1:M3"), ("V3", "F1:M2"))}
    assert result.glr["V1"]["F1:M1"] > 1
