"""Database-wide kinship ranking against the direct missing-person LR and a naive ranking."""

from __future__ import annotations

import numpy as np
import pytest

from locard.errors import PolicyViolation, SearchError
from locard.search.index import ProfileIndex
from locard.search.kinship_rank import kinship_lookup, rank_by_kinship, rank_index
from locard.stats.kinship import (
    Individual,
    MutationModel,
    Pedigree,
    Sex,
    genotype_lr_tables,
    missing_person_lr,
)
from locard.stats.simulate import SimulationModel, simulate_codes
from locard.tables.bundled import get_bundled_table

TABLE = get_bundled_table("NIST1036:ALL")
MODEL = SimulationModel.from_table(TABLE)
LOCI = list(MODEL.loci)
ALLELE_LISTS = [[str(a) for a in per] for per in MODEL.alleles]
ALLELE_MAPS = [{a: k + 1 for k, a in enumerate(per)} for per in ALLELE_LISTS]
STEPWISE = MutationModel("stepwise")


def transmit(rng: np.random.Generator, parent: np.ndarray) -> np.ndarray:
    out: np.ndarray = parent[np.arange(parent.shape[0]), rng.integers(0, 2, parent.shape[0])]
    return out


def planted(seed: int, *, three_person: bool = False
            ) -> tuple[Pedigree, np.ndarray]:
    """A family and the missing child's codes [L, 2]: both parents typed, or (with
    ``three_person``) the mother and two full siblings typed, the father untyped."""
    rng = np.random.default_rng(seed)
    fa, mo = simulate_codes(MODEL, 2, seed=rng)
    kids = [np.sort(np.stack([transmit(rng, fa), transmit(rng, mo)], axis=1), axis=1)
            for _ in range(3)]
    people = MODEL.decode(np.stack([fa, mo, kids[1], kids[2]]),
                          specimen_ids=["FA", "MO", "S1", "S2"])
    if three_person:
        ped = [Individual("FA", None, None, Sex.MALE),
               Individual("MO", None, None, Sex.FEMALE, people[1]),
               Individual("S1", "FA", "MO", Sex.FEMALE, people[2]),
               Individual("S2", "FA", "MO", Sex.MALE, people[3])]
    else:
        ped = [Individual("FA", None, None, Sex.MALE, people[0]),
               Individual("MO", None, None, Sex.FEMALE, people[1])]
    ped.append(Individual("X", "FA", "MO", Sex.MALE))
    return Pedigree.build(ped, missing="X"), kids[0].astype(np.uint8)


def database(n: int, seed: int, plant: dict[int, np.ndarray]) -> np.ndarray:
    codes = simulate_codes(MODEL, n, seed=seed)
    for row, genotype in plant.items():
        codes[row] = genotype
    return codes


@pytest.mark.parametrize("three_person", [False, True])
def test_true_missing_person_ranks_first(three_person: bool) -> None:
    pedigree, missing = planted(7, three_person=three_person)
    codes = database(10_000, 99, {4321: missing})
    tables = genotype_lr_tables(pedigree, TABLE, mutation=STEPWISE)
    hits = rank_by_kinship(codes, ALLELE_MAPS, LOCI, tables, top=5)
    assert hits[0].row == 4321
    assert hits[0].lr > 1e3 * hits[1].lr
    assert [h.log10_lr for h in hits] == sorted((h.log10_lr for h in hits), reverse=True)


def test_ranking_equals_the_direct_lr() -> None:
    pedigree, missing = planted(3)
    codes = database(2_000, 5, {10: missing})
    codes[11, :6] = 0  # a partial profile
    tables = genotype_lr_tables(pedigree, TABLE, mutation=STEPWISE)
    hits = rank_by_kinship(codes, ALLELE_MAPS, LOCI, tables, top=25)
    rows = [h.row for h in hits]
    assert 10 in rows
    profiles = MODEL.decode(codes[rows], specimen_ids=[str(r) for r in rows])
    for hit, profile in zip(hits, profiles, strict=True):
        direct = missing_person_lr(pedigree, profile, TABLE, mutation=STEPWISE)
        assert hit.lr == pytest.approx(direct.lr, rel=1e-9)
        assert hit.per_locus.keys() == direct.per_locus.keys()
        for locus, x in hit.per_locus.items():
            assert x == pytest.approx(direct.per_locus[locus].lr, rel=1e-9)
        assert hit.lr == pytest.approx(float(np.prod(list(hit.per_locus.values()))), rel=1e-12)
    # and the partial profile, wherever it ranks
    partial = MODEL.decode(codes[11:12], specimen_ids=["11"])[0]
    everything = rank_by_kinship(codes, ALLELE_MAPS, LOCI, tables, top=2_000)
    hit = next(h for h in everything if h.row == 11)
    direct = missing_person_lr(pedigree, partial, TABLE, mutation=STEPWISE)
    assert hit.lr == pytest.approx(direct.lr, rel=1e-9)
    assert len(hit.per_locus) == len(LOCI) - 6


def naive_ranking(codes: np.ndarray, log10: np.ndarray, top: int) -> list[int]:
    scores = np.zeros(codes.shape[0])
    for li in range(codes.shape[1]):
        scores += log10[li, codes[:, li, 0], codes[:, li, 1]]
    order = np.lexsort((np.arange(codes.shape[0]), -scores))
    return [int(x) for x in order[:top]]


def test_kernels_equal_a_naive_ranking_with_ties_and_layouts() -> None:
    pedigree, missing = planted(11)
    rng = np.random.default_rng(0)
    codes = database(50_000, 1, {})
    codes[rng.random(codes.shape[:2]) < 0.1] = 0  # locus drop-out
    codes[100:110] = missing  # ten identical profiles: exact ties, lower row first
    tables = genotype_lr_tables(pedigree, TABLE, mutation=None)
    lookup = kinship_lookup(tables, LOCI, ALLELE_MAPS)
    expected = naive_ranking(codes, lookup.log10_lr, 300)
    rows = [h.row for h in rank_by_kinship(codes, ALLELE_MAPS, LOCI, lookup, top=300)]
    assert rows[:10] == list(range(100, 110))
    assert rows == expected
    locus_major = np.ascontiguousarray(codes.transpose(1, 0, 2))
    keys = np.arange(codes.shape[0]) * 10
    hits = rank_by_kinship(locus_major, ALLELE_LISTS, LOCI, tables, top=300, locus_major=True,
                           keys=keys)
    assert [h.row for h in hits] == expected
    assert [h.key for h in hits] == [r * 10 for r in expected]


def test_dead_rows_and_unlisted_alleles() -> None:
    pedigree, missing = planted(13)
    codes = database(1_000, 2, {0: missing})
    tables = genotype_lr_tables(pedigree, TABLE, mutation=None)
    alive = np.ones(1_000, dtype=bool)
    alive[0] = False
    hits = rank_by_kinship(codes, ALLELE_MAPS, LOCI, tables, top=3, alive=alive)
    assert 0 not in [h.row for h in hits]
    # a dictionary allele the tables do not list: the catch-all entry
    maps = [dict(m) for m in ALLELE_MAPS]
    maps[0]["99"] = len(maps[0]) + 1
    codes[5, 0] = (maps[0]["99"], maps[0]["99"])
    hit = next(h for h in rank_by_kinship(codes, maps, LOCI, tables, top=1_000) if h.row == 5)
    tab = tables[LOCI[0]]
    assert hit.per_locus[LOCI[0]] == tab.lookup(["unseen", "unseen"])


def test_bad_input() -> None:
    pedigree, _ = planted(1)
    tables = genotype_lr_tables(pedigree, TABLE)
    codes = database(10, 1, {})
    with pytest.raises(SearchError):
        rank_by_kinship(codes.astype(np.int16), ALLELE_MAPS, LOCI, tables)
    with pytest.raises(SearchError):
        rank_by_kinship(codes, ALLELE_MAPS[:-1], LOCI[:-1], tables)
    with pytest.raises(SearchError):
        rank_by_kinship(codes, ALLELE_MAPS, LOCI, tables, top=0)


def index_of(name: str, codes: np.ndarray) -> ProfileIndex:
    return ProfileIndex.from_codes(codes, np.arange(codes.shape[0]) + 1000, loci=LOCI,
                                   alleles=[list(a) for a in MODEL.alleles], name=name,
                                   locus_major=False)


def test_rank_index_only_for_missing_persons_and_remains() -> None:
    pedigree, missing = planted(17)
    codes = database(500, 3, {42: missing})
    tables = genotype_lr_tables(pedigree, TABLE, mutation=STEPWISE)
    for forbidden in ("offender", "arrestee", "forensic", "relative"):
        with pytest.raises(PolicyViolation):
            rank_index(index_of(forbidden, codes), tables)
    hits = rank_index(index_of("unidentified", codes), tables, top=3)
    assert hits[0].key == 1042
    index = index_of("missing_person", codes)
    index.remove(1042)
    assert 1042 not in [h.key for h in rank_index(index, tables, top=3)]

