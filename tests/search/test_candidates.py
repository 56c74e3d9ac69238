"""The one candidate order (:mod:`locard.search.candidates`): hand-made cases, a naive
comparator written out rule by rule, and the places that use it (a profile index, several
indices merged)."""

from __future__ import annotations

import functools
import itertools
import random

import pytest

from locard.genetics.loci import CODIS_CORE_13
from locard.genetics.profiles import Profile
from locard.search import (
    Candidate,
    ProfileIndex,
    Stringency,
    rank_candidates,
    search_indices,
)
from locard.search.candidates import STRINGENCY_RANK, direct_order, mixture_order
from locard.stats.frequencies import FrequencyTable

PROFILE = Profile.from_mapping({"TH01": ["6", "7"]})
H, M, L = Stringency.HIGH, Stringency.MODERATE, Stringency.LOW


def _c(key: int, *, mismatches: int = 0, stringency: Stringency | None = H,
       compared: int = 10, rmp: float | None = None, included: int = 0) -> Candidate:
    return Candidate(key, None, "forensic", stringency, compared, mismatches, {}, rmp, PROFILE,
                     False, included)


def test_direct_order_by_hand() -> None:
    """Fewer failing loci, then stringency, then more compared loci, then rarer (no RMP
    last), then the smaller key: the expected order written out by hand, from every input
    order of the 8 candidates' first 6 and from 50 shuffles of all 8."""
    expected = [
        _c(7, compared=12),                    # 0 failing, high, 12 compared
        _c(9, rmp=1e-12),                      # 0 failing, high, 10 compared, rarest
        _c(5, rmp=1e-9),
        _c(2),                                 # no RMP: after those with one
        _c(3),                                 # same as key 2: the key decides
        _c(1, stringency=M, compared=13),      # moderate beats compared loci
        _c(4, stringency=None, compared=20),   # no stringency reached: after low
        _c(0, mismatches=1, compared=13),      # one failing locus: after every 0
    ]
    keys = [c.key for c in expected]
    for perm in itertools.permutations(expected[:6]):
        assert [c.key for c in rank_candidates(perm)] == keys[:6]
    rng = random.Random(1)
    for _ in range(50):
        shuffled = expected[:]
        rng.shuffle(shuffled)
        assert [c.key for c in rank_candidates(shuffled)] == keys
    assert [c.key for c in rank_candidates(expected, limit=3)] == [7, 9, 5]
    assert direct_order(expected[0]) == (0, 0, -12, float("inf"), 7)


def test_mixture_order_by_hand() -> None:
    """More included loci, then fewer drop-out loci, then rarer, then the smaller key."""
    expected = [
        _c(8, included=13, mismatches=0, rmp=1e-15),
        _c(6, included=13, mismatches=0, rmp=1e-10),
        _c(2, included=13, mismatches=0),
        _c(1, included=13, mismatches=1, rmp=1e-20),
        _c(0, included=12, mismatches=0, rmp=1e-30),
    ]
    for perm in itertools.permutations(expected):
        assert [c.key for c in rank_candidates(perm, mixture=True)] == [8, 6, 2, 1, 0]
    assert mixture_order(expected[2]) == (-13, 0, float("inf"), 2)


def test_degenerate_inputs() -> None:
    assert rank_candidates([]) == []
    assert rank_candidates([], mixture=True, limit=5) == []
    one = [_c(3)]
    assert rank_candidates(one, limit=10) == one
    assert STRINGENCY_RANK[None] == max(STRINGENCY_RANK.values())


def _naive_better(a: Candidate, b: Candidate) -> int:
    """-1 when ``a`` comes first: the rules one after the other, as a reviewer reads them."""
    if a.mismatches != b.mismatches:
        return -1 if a.mismatches < b.mismatches else 1
    levels = [Stringency.HIGH, Stringency.MODERATE, Stringency.LOW, None]
    if a.stringency != b.stringency:
        return -1 if levels.index(a.stringency) < levels.index(b.stringency) else 1
    if a.compared_loci != b.compared_loci:
        return -1 if a.compared_loci > b.compared_loci else 1
    if a.rmp != b.rmp:
        if a.rmp is None:
            return 1
        if b.rmp is None:
            return -1
        return -1 if a.rmp < b.rmp else 1
    return (a.key > b.key) - (a.key < b.key)


def test_rank_candidates_against_a_naive_comparator() -> None:
    rng = random.Random(7)
    for _ in range(30):
        cands = [_c(k, mismatches=rng.randint(0, 2), stringency=rng.choice([H, M, L, None]),
                    compared=rng.randint(8, 10),
                    rmp=rng.choice([None, 1e-9, 1e-12, rng.random()]))
                 for k in rng.sample(range(1000), 40)]
        naive = sorted(cands, key=functools.cmp_to_key(_naive_better))
        assert [c.key for c in rank_candidates(cands)] == [c.key for c in naive]


# --- the places that use it --------------------------------------------------------------


def _random_profile(rng: random.Random, alleles: tuple[str, ...] = ("8", "9", "10", "11")
                    ) -> Profile:
    return Profile.from_mapping({locus: sorted({rng.choice(alleles), rng.choice(alleles)},
                                               key=float)
                                 for locus in CODIS_CORE_13})


def test_profile_index_lists_its_candidates_in_the_one_order(table: FrequencyTable) -> None:
    """With a frequency table (RMPs set) and at low stringency with 2 failing loci allowed
    (many ties on failing loci and stringency), the index's own result is already in the order
    :func:`rank_candidates` gives, direct and mixture."""
    rng = random.Random(3)
    db = [(k, _random_profile(rng, ("8", "9", "10"))) for k in range(300)]
    index = ProfileIndex.build(db, name="offender", table=table)
    query = db[0][1]
    found = index.search(query, stringency="low", min_loci=8, mismatches=2, limit=None)
    assert len(found) > 20 and len({c.mismatches for c in found}) > 1
    assert all(c.rmp is not None for c in found)
    assert found == rank_candidates(found)
    mixture = Profile.from_mapping({locus: ["8", "9", "10"] for locus in CODIS_CORE_13})
    found_mix = index.search_mixture(mixture, max_dropout_loci=2, min_loci=8, limit=None)
    assert len(found_mix) > 5
    assert found_mix == rank_candidates(found_mix, mixture=True)


@pytest.mark.parametrize("mixture", [False, True])
def test_search_indices_equals_one_index_holding_them_all(mixture: bool) -> None:
    """Three indices searched together give the candidates (keys, stringency, loci, in
    order) that one index holding all their profiles gives; an empty index is skipped."""
    rng = random.Random(11)
    db = [(k, _random_profile(rng, ("8", "9", "10", "8", "9", "10", "11"))) for k in range(240)]
    parts = [ProfileIndex.build(db[i::3], name=f"part{i}") for i in range(3)]
    whole = ProfileIndex.build(db, name="whole")
    empty = ProfileIndex(name="empty")
    if mixture:
        query = Profile.from_mapping({locus: ["8", "9", "10"] for locus in CODIS_CORE_13})
        one = whole.search_mixture(query, max_dropout_loci=2, min_loci=8, limit=None)
    else:
        query = _random_profile(random.Random(99))
        one = whole.search(query, stringency="low", min_loci=8, mismatches=2, limit=None)
    merged = search_indices([parts[0], empty, parts[1], parts[2]], query, stringency="low",
                            min_loci=8, mismatches=2, limit_per_index=None)
    assert len(one) > 3
    assert [(c.key, c.stringency, c.mismatches, c.compared_loci, c.loci) for c in merged] == \
        [(c.key, c.stringency, c.mismatches, c.compared_loci, c.loci) for c in one]
    assert {c.index for c in merged} <= {"part0", "part1", "part2"}


def test_search_indices_limits_each_index_not_the_merged_list() -> None:
    rng = random.Random(5)
    db = [(k, _random_profile(rng, ("8", "9"))) for k in range(60)]
    parts = [ProfileIndex.build(db[:30], name="a"), ProfileIndex.build(db[30:], name="b")]
    query = db[0][1]
    merged = search_indices(parts, query, stringency="low", min_loci=8, mismatches=2,
                            limit_per_index=4)
    assert len(merged) == 8
    assert sum(c.index == "a" for c in merged) == 4
    assert merged == rank_candidates(merged)
