"""Disaster victim identification: the pairwise matrix, exclusions, undisputed IDs and the joint
search with posterior pairing probabilities."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from locard.errors import CombinatorialLimit, InvalidParameter, StatisticsError
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship import (
    UNSEEN_ALLELE,
    Individual,
    MutationModel,
    Pedigree,
    Sex,
    genotype_lr_table,
    missing_person_lr,
)
from locard.stats.kinship.dvi import (
    NOT_IDENTIFIED,
    DVIMatrix,
    dvi,
    dvi_identify,
    dvi_lr_matrix,
    family_table,
)
from locard.stats.kinship.search_tables import lr_lookup_matrix
from locard.tables.bundled import get_bundled_table

TABLE = get_bundled_table("NIST1036:ALL")
LOCI = ["D3S1358", "vWA", "D16S539", "CSF1PO", "TPOX", "D8S1179", "D21S11", "D18S51",
        "TH01", "FGA", "D5S818", "D13S317"]
STEPWISE = MutationModel("stepwise")


# --- a simple Mendelian generator --------------------------------------------------------


def founder(rng: np.random.Generator, loci: list[str] = LOCI) -> dict[str, list[str]]:
    out = {}
    for locus in loci:
        alleles = [str(a) for a in TABLE.frequencies[locus]]
        p = np.array(list(TABLE.frequencies[locus].values()), dtype=float)
        out[locus] = list(rng.choice(alleles, size=2, p=p / p.sum()))
    return out


def child(rng: np.random.Generator, father: dict[str, list[str]],
          mother: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: [father[k][rng.integers(2)], mother[k][rng.integers(2)]] for k in father}


def prof(genotypes: dict[str, list[str]], sid: str, *, drop: int = 0) -> Profile:
    loci = list(genotypes)[drop:]  # a partial profile: the first `drop` loci lost
    return Profile.from_mapping({k: genotypes[k] for k in loci}, specimen_id=sid)


def trio_family(rng: np.random.Generator, name: str, *, sibling_only: bool = False
                ) -> tuple[Pedigree, dict[str, list[str]]]:
    """Father and mother (or just one full sibling) typed; returns the missing child's
    genotypes too."""
    fa, mo = founder(rng), founder(rng)
    missing, sib = child(rng, fa, mo), child(rng, fa, mo)
    people = [Individual("FA", None, None, Sex.MALE, None if sibling_only else prof(fa, "FA")),
              Individual("MO", None, None, Sex.FEMALE, None if sibling_only else prof(mo, "MO")),
              Individual("X", "FA", "MO", Sex.MALE)]
    if sibling_only:
        people.append(Individual("S", "FA", "MO", Sex.FEMALE, prof(sib, f"{name}-S")))
    return Pedigree.build(people, missing="X"), missing


def fake_matrix(lr: list[list[float]]) -> DVIMatrix:
    arr = np.asarray(lr, dtype=float)
    v, f = arr.shape
    return DVIMatrix(tuple(f"V{i + 1}" for i in range(v)), tuple(f"F{j + 1}" for j in range(f)),
                     tuple("X" for _ in range(f)), ("ALL",), arr, arr[:, :, None], {})


# --- the hand-checkable 2 x 2 case -------------------------------------------------------


def test_two_by_two_by_hand() -> None:
    """Flat prior over the 7 admissible assignments: {}, four singles, two doubles."""
    a, b, c, d = 50.0, 2.0, 4.0, 30.0
    result = dvi_identify(fake_matrix([[a, b], [c, d]]), exclusion_threshold=0,
                          undisputed_threshold=1e9)
    z = 1 + a + b + c + d + a * d + b * c
    post = result.posteriors
    assert post["V1"]["F1"] == pytest.approx((a + a * d) / z, rel=1e-12)
    assert post["V1"]["F2"] == pytest.approx((b + b * c) / z, rel=1e-12)
    assert post["V1"][NOT_IDENTIFIED] == pytest.approx((1 + c + d) / z, rel=1e-12)
    assert post["V2"]["F2"] == pytest.approx((d + a * d) / z, rel=1e-12)
    assert result.components[0]["assignments"] == 7
    best = result.assignments[0]
    assert best.pairs == (("V1", "F1"), ("V2", "F2"))
    assert best.lr == pytest.approx(a * d)
    assert best.posterior == pytest.approx(a * d / z)
    assert result.undisputed == ()


def test_two_by_two_exclusion_and_undisputed() -> None:
    result = dvi_identify(fake_matrix([[1e6, 1e-5], [0.5, 2.0]]), exclusion_threshold=1e-3)
    assert ("V1", "F2") in result.excluded
    assert [(u.victim, u.family) for u in result.undisputed] == [("V1", "F1")]
    assert result.posteriors["V1"] == {"F1": 1.0}
    # V2 is left with F2 only (F1 is settled): {} or {V2-F2}, weights 1 and 2
    assert result.posteriors["V2"]["F2"] == pytest.approx(2 / 3)
    assert result.posteriors["V2"][NOT_IDENTIFIED] == pytest.approx(1 / 3)


def test_dominance_blocks_a_disputed_identification() -> None:
    """Two victims both strongly match F1: neither is undisputed."""
    result = dvi_identify(fake_matrix([[1e8, 1e-9], [1e7, 1e-9]]))
    assert result.undisputed == ()
    assert result.posteriors["V1"]["F1"] == pytest.approx(1e8 / (1 + 1e8 + 1e7))
    again = dvi_identify(fake_matrix([[1e8, 1e-9], [1e7, 1e-9]]), dominance=5)
    assert [(u.victim, u.family) for u in again.undisputed] == [("V1", "F1")]


def naive_posteriors(lr: np.ndarray, admissible: np.ndarray) -> dict[tuple[int, int], float]:
    """Every joint assignment enumerated by brute force (victim -> family or None)."""
    n_v, n_f = lr.shape
    weights: dict[tuple[int | None, ...], float] = {}
    for choice in itertools.product([None, *range(n_f)], repeat=n_v):
        used = [f for f in choice if f is not None]
        if len(used) != len(set(used)):
            continue
        if any(f is not None and not admissible[v, f] for v, f in enumerate(choice)):
            continue
        weights[choice] = math.prod(lr[v, f] for v, f in enumerate(choice) if f is not None)
    z = sum(weights.values())
    out: dict[tuple[int, int], float] = {}
    for choice, w in weights.items():
        for v, f in enumerate(choice):
            key = (v, -1 if f is None else f)
            out[key] = out.get(key, 0.0) + w / z
    return out


def test_joint_search_equals_brute_force() -> None:
    rng = np.random.default_rng(3)
    lr = 10 ** rng.uniform(-4, 3, size=(4, 3))
    lr[0, 2] = 1e-6  # excluded
    result = dvi_identify(fake_matrix(lr.tolist()), exclusion_threshold=1e-3,
                          undisputed_threshold=1e9)
    expected = naive_posteriors(lr, lr >= 1e-3)
    for v in range(4):
        post = result.posteriors[f"V{v + 1}"]
        assert sum(post.values()) == pytest.approx(1.0, abs=1e-12)
        assert post[NOT_IDENTIFIED] == pytest.approx(expected[(v, -1)], rel=1e-9)
        for f in range(3):
            assert post.get(f"F{f + 1}", 0.0) == pytest.approx(expected.get((v, f), 0.0),
                                                               rel=1e-9, abs=1e-15)


def test_combinatorial_guard() -> None:
    with pytest.raises(CombinatorialLimit, match="exclusion threshold"):
        dvi_identify(fake_matrix(np.ones((8, 8)).tolist()), exclusion_threshold=0,
                     max_assignments=1000)
    # the same problem under the limit goes through: sum_k C(3,k)^2 k! = 34 assignments
    ok = dvi_identify(fake_matrix(np.ones((3, 3)).tolist()), exclusion_threshold=0,
                      max_assignments=34)
    assert ok.components[0]["assignments"] == 34
    with pytest.raises(CombinatorialLimit):
        dvi_identify(fake_matrix(np.ones((3, 3)).tolist()), exclusion_threshold=0,
                     max_assignments=33)


def test_parameters_are_checked() -> None:
    with pytest.raises(InvalidParameter):
        dvi_identify(fake_matrix([[1.0]]), exclusion_threshold=-1)
    with pytest.raises(InvalidParameter):
        dvi_identify(fake_matrix([[1.0]]), dominance=0)


# --- the genetic matrix ----------------------------------------------------------------


@pytest.fixture(scope="module")
def planted() -> tuple[list[Profile], dict[str, Pedigree]]:
    """Six families (both parents typed), their six missing children among the victims (two
    of them partial), and three unrelated victims."""
    rng = np.random.default_rng(2024)
    families: dict[str, Pedigree] = {}
    victims: list[Profile] = []
    for k in range(6):
        ped, missing = trio_family(rng, f"FAM{k}")
        families[f"FAM{k}"] = ped
        victims.append(prof(missing, f"V-FAM{k}", drop=4 if k < 2 else 0))
    victims += [prof(founder(rng), f"U{k}") for k in range(3)]
    order = rng.permutation(len(victims))
    return [victims[i] for i in order], families


def test_matrix_entries_equal_the_direct_lr(planted: tuple[list[Profile], dict[str, Pedigree]]
                                            ) -> None:
    victims, families = planted
    for model in (None, STEPWISE):
        matrix = dvi_lr_matrix(victims, families, TABLE, mutation=model)
        assert matrix.shape == (9, 6)
        for v, victim in enumerate(victims[:4]):
            for f, (_name, ped) in enumerate(families.items()):
                direct = missing_person_lr(ped, victim, TABLE, mutation=model)
                assert matrix.lr[v, f] == pytest.approx(direct.lr, rel=1e-9, abs=1e-300)
                per = matrix.pair(v, f)
                assert set(per) == set(direct.per_locus)
                for locus, x in per.items():
                    assert x == pytest.approx(direct.per_locus[locus].lr, rel=1e-9)
        assert np.allclose(np.prod(matrix.per_locus, axis=2), matrix.lr, rtol=1e-12, atol=0)


def test_planted_dvi(planted: tuple[list[Profile], dict[str, Pedigree]]) -> None:
    victims, families = planted
    result = dvi(victims, families, TABLE, mutation=STEPWISE)
    truth = {f"V-{name}": name for name in families}
    assert {(u.victim, u.family) for u in result.undisputed} == set(truth.items())
    for victim in result.matrix.victims:
        post = result.posteriors[victim]
        assert sum(post.values()) == pytest.approx(1.0, abs=1e-12)
        best, _ = result.best(victim)
        assert best == truth.get(victim, NOT_IDENTIFIED)
    json.dumps(result.to_dict())  # JSON-ready
    prov = result.provenance
    assert prov["computation"] == "dvi_identify"
    assert prov["matrix"]["frequency_table"]["name"] == "NIST1036:ALL"
    assert len(prov["matrix"]["victims"]) == 9


def test_sibling_references_need_the_joint_search() -> None:
    """Single full-sibling references on few loci: LRs are moderate, nothing is undisputed,
    and the posteriors still sum to 1 per victim and match brute force."""
    rng = np.random.default_rng(11)
    families: dict[str, Pedigree] = {}
    victims: list[Profile] = []
    for k in range(3):
        ped, missing = trio_family(rng, f"S{k}", sibling_only=True)
        families[f"S{k}"] = ped
        victims.append(prof(missing, f"V{k}", drop=6))
    victims.append(prof(founder(rng), "U0", drop=6))
    result = dvi(victims, families, TABLE, mutation=STEPWISE, exclusion_threshold=0,
                 undisputed_threshold=1e12)
    assert result.undisputed == ()
    lr = result.matrix.lr
    expected = naive_posteriors(lr, lr > 0)
    for v, victim in enumerate(result.matrix.victims):
        post = result.posteriors[victim]
        assert sum(post.values()) == pytest.approx(1.0, abs=1e-12)
        assert post[NOT_IDENTIFIED] == pytest.approx(expected[(v, -1)], rel=1e-9)


def test_workers_give_the_same_matrix(planted: tuple[list[Profile], dict[str, Pedigree]]
                                      ) -> None:
    victims, families = planted
    one = dvi_lr_matrix(victims, families, TABLE, mutation=STEPWISE)
    two = dvi_lr_matrix(victims, families, TABLE, mutation=STEPWISE, workers=2)
    assert np.array_equal(one.per_locus, two.per_locus)


@pytest.mark.parametrize("model", [None, STEPWISE, MutationModel("proportional"),
                                   MutationModel("equal")],
                         ids=lambda m: m.model if m else "none")
def test_family_table_equals_genotype_lr_table(model: MutationModel | None) -> None:
    rng = np.random.default_rng(5)
    ped, _ = trio_family(rng, "F", sibling_only=True)
    cache: dict[tuple[object, ...], tuple[np.ndarray, np.ndarray]] = {}
    for locus in ("TH01", "D21S11", "FGA"):
        for _ in range(2):  # the second time from the cache
            fast = family_table(ped, locus, TABLE, mutation=model, cache=cache)
            ref = genotype_lr_table(ped, locus, TABLE, mutation=model)
            assert fast.alleles == ref.alleles
            assert np.array_equal(fast.lr, ref.lr)


def test_lr_lookup_matrix() -> None:
    hand = FrequencyTable.from_mapping({"TH01": {"6": 0.2, "7": 0.3, "9.3": 0.5}}, name="Hand",
                                       sample_alleles=100)
    ped = Pedigree.build([Individual("F", None, None, Sex.MALE,
                                     Profile.parse("TH01: 6/7", specimen_id="F")),
                          Individual("M", None, None, Sex.FEMALE),
                          Individual("X", "F", "M", Sex.MALE)], missing="X")
    tab = genotype_lr_table(ped, "TH01", hand)
    m = lr_lookup_matrix(tab, ["9.3", "6", "13", None])
    assert m.shape == (5, 5)
    assert np.all(m[0] == 1) and np.all(m[:, 0] == 1)
    assert m[1, 2] == tab.lookup(["9.3", "6"])
    assert m[3, 3] == tab.lookup([UNSEEN_ALLELE, UNSEEN_ALLELE])
    assert m[4, 2] == tab.lookup([UNSEEN_ALLELE, "6"])


def test_bad_victims_are_refused() -> None:
    rng = np.random.default_rng(1)
    ped, _ = trio_family(rng, "F")
    mix = Profile.parse("TH01: 6/7/8", specimen_id="MIX")
    with pytest.raises(StatisticsError, match="mixture"):
        dvi_lr_matrix([mix], [ped], TABLE)
    same = Profile.parse("TH01: 6/7", specimen_id="A")
    with pytest.raises(StatisticsError, match="twice"):
        dvi_lr_matrix([same, same], [ped], TABLE)
    with pytest.raises(StatisticsError, match="at least one"):
        dvi_lr_matrix([same], [], TABLE)
