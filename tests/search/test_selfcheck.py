"""Self-check: the dbCompare table against DNAtools' expected values, near matches against
brute force."""

from __future__ import annotations

import csv
import itertools

import numpy as np
import pytest

from conftest import SHARED
from locard.genetics.loci import CODIS_CORE_20
from locard.genetics.profiles import Profile
from locard.search import ProfileIndex, find_near_matches, kernels, pair_count_matrix
from locard.stats.simulate import SimulationModel, degrade, simulate_codes

DBCOMPARE = SHARED / "dbcompare"


def _db_example() -> list[tuple[int, Profile]]:
    path = DBCOMPARE / "dbExample.csv"
    if not path.is_file():
        pytest.skip(f"reference data not found at {path}")
    with path.open() as fh:
        rows = list(csv.reader(fh))
    header = rows[0][1:]
    loci = [header[i][:-2] for i in range(0, len(header), 2)]
    out = []
    for row in rows[1:]:
        values = row[1:]
        out.append((int(row[0]), Profile.from_mapping(
            {loc: values[2 * i:2 * i + 2] for i, loc in enumerate(loci)})))
    return out


def test_pair_count_matrix_equals_dnatools_dbcompare() -> None:
    db = _db_example()
    loci = list(db[0][1].loci)
    index = ProfileIndex.build(db, loci=loci)
    got = pair_count_matrix(index)
    expected_path = DBCOMPARE / "dbExample_match_partial_matrix_expected.csv"
    expected = np.loadtxt(expected_path, delimiter=",", skiprows=1, usecols=range(1, 12),
                          dtype=np.int64)
    assert got.shape == (11, 11)
    np.testing.assert_array_equal(got, expected)
    assert int(got.sum()) == 499_500
    codes, _ = index.single_codes()
    np.testing.assert_array_equal(kernels.pair_counts_numpy(codes), expected)


def _brute_force(codes: np.ndarray, min_match: int) -> set[tuple[int, int, int, int, int]]:
    n_loci, n, _ = codes.shape
    out = set()
    for i, j in itertools.combinations(range(n), 2):
        m = p = c = 0
        for li in range(n_loci):
            a, b = codes[li, i].tolist(), codes[li, j].tolist()
            if a[0] == 0 or b[0] == 0:
                continue
            c += 1
            if a == b:
                m += 1
            elif set(a) & set(b):
                p += 1
        if m >= min_match:
            out.add((i, j, m, p, c))
    return out


@pytest.mark.parametrize("min_match", [20, 18, 15])
def test_near_matches_equal_brute_force(model: SimulationModel, min_match: int) -> None:
    rng = np.random.default_rng(min_match)
    base = simulate_codes(model, 400, seed=rng)
    # duplicates, one-allele differences, partial copies
    dup = base[:30].copy()
    one = base[30:60].copy()
    one[:, 3, 1] = np.where(one[:, 3, 0] < 5, one[:, 3, 0] + 1, one[:, 3, 0] - 1)
    one[:, 3] = np.sort(one[:, 3], axis=1)
    partial = degrade(base[60:90], locus_dropout=0.1, seed=rng)
    all_codes = np.concatenate([base, dup, one, partial])
    index = ProfileIndex.from_codes(all_codes, np.arange(len(all_codes)) * 10, loci=model.loci,
                                    alleles=model.alleles, locus_major=False)
    codes, _ = index.single_codes()
    want = _brute_force(codes, min_match)
    got = find_near_matches(index, min_matching_loci=min_match)
    assert {(p.key_a // 10, p.key_b // 10, p.matching, p.partial, p.compared)
            for p in got.pairs} == want
    assert len(got.pairs) == len(want) >= 30
    if min_match == 18:
        kinds = {p.kind for p in got.pairs}
        assert {"duplicate", "one allele"} <= kinds


def test_default_threshold_is_all_but_two(model: SimulationModel) -> None:
    codes = simulate_codes(model, 50, seed=5)
    codes = np.concatenate([codes, codes[:3]])
    index = ProfileIndex.from_codes(codes, np.arange(53), loci=CODIS_CORE_20,
                                    alleles=model.alleles, locus_major=False)
    check = find_near_matches(index)
    assert check.min_matching_loci == 18 and len(check.blocks) == 3
    assert {(p.key_a, p.key_b) for p in check.pairs} == {(0, 50), (1, 51), (2, 52)}
    assert all(p.kind == "duplicate" for p in check.pairs)


def test_default_threshold_follows_the_loci_profiles_have(model: SimulationModel) -> None:
    """An index 24 loci wide whose profiles are typed at 20 (offenders): the default is the
    median typed count minus 2 (18), not the width minus 2 (22, which finds nothing). Aliases
    with 1-2 loci differing or missing are all found."""
    n = 200
    codes = simulate_codes(model, n, seed=11)  # [n, 20, 2]
    wide = np.zeros((n + 4, 24, 2), np.uint8)
    wide[:n, :20] = codes
    alias = codes[:4].copy()
    alias[0, 3] = codes[10, 3] if not np.array_equal(codes[10, 3], codes[0, 3]) else codes[11, 3]
    alias[1, 5] = alias[1, 6] = 0  # two loci missing
    alias[2, 7] = 0  # one missing, one differing
    alias[2, 8] = codes[12, 8] if not np.array_equal(codes[12, 8], codes[2, 8]) else codes[13, 8]
    alias[3, 1] = 0  # one missing
    wide[n:, :20] = alias
    loci = [*CODIS_CORE_20, "Penta D", "Penta E", "D6S1043", "SE33"]
    alleles = [*model.alleles, *([model.alleles[0]] * 4)]
    index = ProfileIndex.from_codes(wide, np.arange(n + 4), loci=loci, alleles=alleles,
                                    locus_major=False)
    check = find_near_matches(index)
    assert check.min_matching_loci == 18
    pairs = {(p.key_a, p.key_b) for p in check.pairs}
    assert {(i, n + i) for i in range(4)} <= pairs
    assert find_near_matches(index, min_matching_loci=22).pairs == ()
