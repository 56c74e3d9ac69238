"""The index and its kernels against the slow reference matcher, and planted cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from search_reference import naive_mixture_search, naive_search

from locard.errors import SearchError
from locard.genetics.loci import CODIS_CORE_20
from locard.genetics.profiles import Profile
from locard.search import Comparison, Equivalence, ProfileIndex, Stringency, kernels
from locard.stats.frequencies import FrequencyTable
from locard.stats.simulate import (
    SimulationModel,
    degrade,
    mixture_profile,
    simulate_codes,
    simulate_families,
)

LOCI6 = ("D3S1358", "vWA", "FGA", "D8S1179", "D21S11", "TH01")
ALPHABET = ("8", "9", "10", "11", "12", "9.3", "OL", ">11", "<9")


def _profile(draw: st.DrawFn, *, max_alleles: int) -> Profile:
    loci = {}
    for locus in LOCI6:
        if draw(st.integers(0, 5)) == 0:
            continue
        k = draw(st.integers(1, max_alleles))
        loci[locus] = draw(st.lists(st.sampled_from(ALPHABET), min_size=k, max_size=k,
                                    unique=True))
    return Profile.from_mapping(loci)


@st.composite
def databases(draw: st.DrawFn) -> tuple[list[tuple[int, Profile]], Profile]:
    n = draw(st.integers(1, 25))
    db = [(key, _profile(draw, max_alleles=4 if draw(st.integers(0, 6)) == 0 else 2))
          for key in range(n)]
    query = _profile(draw, max_alleles=4 if draw(st.booleans()) else 2)
    return db, query


def _fast(index: ProfileIndex, query: Profile, **kw: object) -> dict[int, dict[str, Comparison]]:
    return {c.key: c.loci for c in index.search(query, limit=None, **kw)}  # type: ignore[arg-type]


def _check_against_reference(db: list[tuple[int, Profile]], query: Profile, eq: Equivalence,
                             loci: tuple[str, ...], **params: object) -> None:
    index = ProfileIndex.build(db, loci=loci, equivalence=eq)
    typed = sum(1 for x in loci if x in query.loci and not query.loci[x].off_ladder)
    for stringency in ("high", "moderate", "low"):
        for min_loci in (1, 2, 4):
            for mismatches in (0, 1, 2):
                expected = naive_search(query, db, loci, stringency=stringency,
                                        min_loci=min_loci, mismatches=mismatches, eq=eq)
                if typed < min_loci:
                    with pytest.raises(SearchError):
                        index.search(query, stringency=stringency, min_loci=min_loci,
                                     mismatches=mismatches)
                    continue
                got = _fast(index, query, stringency=stringency, min_loci=min_loci,
                            mismatches=mismatches)
                assert got == expected, (stringency, min_loci, mismatches)
        for dropout in (0, 1):
            if typed < 2:
                continue
            want = naive_mixture_search(query, db, loci, max_dropout_loci=dropout,
                                        min_loci=2, eq=eq)
            found = index.search_mixture(query, max_dropout_loci=dropout, min_loci=2,
                                         limit=None)
            assert {c.key: c.included_loci for c in found} == want


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(databases(), st.sampled_from([Equivalence(), Equivalence(bins=False)]))
def test_kernel_equals_reference_matcher(case: tuple[list[tuple[int, Profile]], Profile],
                                         eq: Equivalence) -> None:
    db, query = case
    _check_against_reference(db, query, eq, LOCI6)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_seeded_batches_equal_reference(model: SimulationModel, seed: int) -> None:
    rng = np.random.default_rng(seed)
    codes = simulate_codes(model, 300, seed=rng)
    # relatives and traces make the candidate sets non-trivial
    fam = simulate_families(model, 20, children=2, seed=rng)
    traces = degrade(codes[:40], locus_dropout=0.3, allele_dropout=0.2, seed=rng)
    all_codes = np.concatenate([codes, fam.fathers, fam.children[:, 0], fam.children[:, 1],
                                traces])
    profiles = model.decode(all_codes)
    mixes = [mixture_profile(model, codes[i:i + 3], specimen_id=f"MIX{i}") for i in (0, 10)]
    db = list(enumerate([*profiles, *mixes]))
    queries = [profiles[5], profiles[305], model.decode(traces[3:4])[0], mixes[0],
               model.decode(fam.children[0:1, 1])[0]]
    for query in queries:
        for stringency in ("high", "moderate", "low"):
            for min_loci, mismatches in ((8, 0), (6, 1), (10, 3)):
                if len(query.str_loci) < min_loci:
                    continue
                expected = naive_search(query, db, CODIS_CORE_20, stringency=stringency,
                                        min_loci=min_loci, mismatches=mismatches)
                index = ProfileIndex.build(db, loci=CODIS_CORE_20)
                got = _fast(index, query, stringency=stringency, min_loci=min_loci,
                            mismatches=mismatches)
                assert got == expected


def test_numpy_reference_kernel_agrees(model: SimulationModel) -> None:
    codes = simulate_codes(model, 5000, seed=7, locus_major=True)
    index = ProfileIndex.from_codes(codes, np.arange(5000), loci=model.loci,
                                    alleles=model.alleles)
    for row in (0, 17, 4000):
        query = model.decode(codes[:, row:row + 1].transpose(1, 0, 2))[0]
        q = index.encoder.query_table(query)
        for mode in (kernels.HIGH, kernels.MODERATE, kernels.LOW, kernels.INCLUDED):
            for max_fail in (0, 2, 5):
                a = kernels.scan(codes, q.table, q.full, q.loci, mode=mode, max_fail=max_fail,
                                 min_loci=12, chunk=1000)
                b = kernels.scan_numpy(codes, q.table, q.full, q.loci, mode=mode,
                                       max_fail=max_fail, min_loci=12)
                for x, y in zip(a, b, strict=True):
                    np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="module")
def planted(model: SimulationModel, table: FrequencyTable) -> dict[str, object]:
    rng = np.random.default_rng(42)
    base = simulate_codes(model, 3000, seed=rng)
    fam = simulate_families(model, 5, children=2, mutation_rate=0.0, seed=rng)
    db_codes = np.concatenate([base, fam.fathers, fam.children[:, 0]])
    db = list(enumerate(model.decode(db_codes)))
    index = ProfileIndex.build(db, loci=CODIS_CORE_20, table=table)
    return {"index": index, "base": base, "fam": fam, "n_base": 3000, "db": db}


def test_exact_match_found_at_high_with_rarity(planted: dict[str, object],
                                               model: SimulationModel) -> None:
    index = planted["index"]
    assert isinstance(index, ProfileIndex)
    query = planted["db"][123][1]  # type: ignore[index]
    found = index.search(query, stringency="high", min_loci=20)
    assert [c.key for c in found] == [123]
    c = found[0]
    assert c.stringency is Stringency.HIGH and c.compared_loci == 20 and c.mismatches == 0
    assert all(v is Comparison.MATCH for v in c.loci.values())
    assert c.rmp is not None and 0 < c.rmp < 1e-15
    assert c.to_dict()["stringency"] == "high"


def test_relatives_found_at_low_not_high(planted: dict[str, object],
                                         model: SimulationModel) -> None:
    index = planted["index"]
    assert isinstance(index, ProfileIndex)
    fam = planted["fam"]
    n_base = int(planted["n_base"])  # type: ignore[call-overload]
    child = model.decode(fam.children[0:1, 1])[0]  # type: ignore[attr-defined]
    father_key, child_key = n_base + 0, n_base + 5
    low = {c.key for c in index.search(child, stringency="low", min_loci=20, limit=None)}
    assert father_key in low  # a parent shares an allele at every locus (no mutation here)
    # a full sibling may share nothing at a few loci (IBS 0): allowed as mismatches
    a, b = fam.children[0, 1], fam.children[0, 0]  # type: ignore[attr-defined]
    ibs0 = int(sum(not (set(a[li].tolist()) & set(b[li].tolist())) for li in range(20)))
    sib = {c.key for c in index.search(child, stringency="low", min_loci=20,
                                       mismatches=ibs0, limit=None)}
    assert child_key in sib
    high = {c.key for c in index.search(child, stringency="high", min_loci=20)}
    assert father_key not in high and child_key not in high


def test_partial_trace_found_at_moderate_not_high(planted: dict[str, object],
                                                  model: SimulationModel) -> None:
    index = planted["index"]
    assert isinstance(index, ProfileIndex)
    base = planted["base"]
    trace_codes = degrade(base[50:51], locus_dropout=0.3, allele_dropout=0.4, seed=3)  # type: ignore[index]
    trace = model.decode(trace_codes)[0]
    assert trace_codes[0, :, 0].tolist() != base[50, :, 0].tolist() or True  # type: ignore[index]
    moderate = [c.key for c in index.search(trace, stringency="moderate", min_loci=8)]
    assert 50 in moderate
    dropped = int(((trace_codes[0, :, 0] == trace_codes[0, :, 1])
                   & (base[50, :, 0] != base[50, :, 1])  # type: ignore[index]
                   & (trace_codes[0, :, 0] != 0)).sum())
    high = [c.key for c in index.search(trace, stringency="high", min_loci=8)]
    assert (50 in high) == (dropped == 0)


def test_mixture_contributors_found(planted: dict[str, object], model: SimulationModel) -> None:
    index = planted["index"]
    assert isinstance(index, ProfileIndex)
    base = planted["base"]
    mix = mixture_profile(model, base[[10, 20, 30]], specimen_id="MIX")  # type: ignore[index]
    found = index.search_mixture(mix, max_dropout_loci=0, min_loci=15)
    keys = [c.key for c in found]
    assert {10, 20, 30} <= set(keys)
    assert all(c.included_loci == 20 for c in found if c.key in (10, 20, 30))
    # a moderate search with the mixture as query finds them too; high does not
    assert {10, 20, 30} <= {c.key for c in index.search(mix, stringency="moderate",
                                                         min_loci=15, limit=None)}
    assert not {10, 20, 30} & {c.key for c in index.search(mix, stringency="high",
                                                            min_loci=15)}
    # drop-out: remove contributor 10's allele at two loci: found only with K >= 2
    dropped = mix.loci
    c10 = model.decode(base[10:11])[0]  # type: ignore[index]
    changed = dict(dropped)
    for locus in list(c10.str_loci)[:2]:
        keep = [a for a in dropped[locus].alleles if a not in c10.loci[locus].alleles]
        if keep:
            changed[locus] = type(dropped[locus])(tuple(keep))
        else:
            del changed[locus]
    mix2 = Profile._build(changed, specimen_id="MIX2", kit=None)
    k0 = {c.key for c in index.search_mixture(mix2, max_dropout_loci=0, min_loci=15)}
    k2 = {c.key: c for c in index.search_mixture(mix2, max_dropout_loci=2, min_loci=15,
                                                  limit=None)}
    if len(mix2.str_loci) == 20:
        assert 10 not in k0 and 10 in k2
        assert k2[10].included_loci == 18 and k2[10].mismatches == 2


def test_removed_profile_never_returned(planted: dict[str, object], tmp_path: object,
                                        table: FrequencyTable) -> None:
    from pathlib import Path

    db = planted["db"]
    index = ProfileIndex.build(db[:500], loci=CODIS_CORE_20, name="offender")  # type: ignore[index]
    query = db[77][1]  # type: ignore[index]
    stale = index.save(Path(str(tmp_path)) / "stale.locard-index")
    assert [c.key for c in index.search(query, stringency="high")] == [77]
    assert index.remove(77)
    assert index.search(query, stringency="high", mismatches=3) == []
    assert index.get(77) is None
    # the stale snapshot still holds 77 alive, but the expunged keys keep it out
    reloaded = ProfileIndex.load(stale, expunged=index.expunged)
    assert 77 not in {c.key for c in reloaded.search(query, stringency="low", mismatches=5,
                                                      limit=None)}
    # a snapshot saved after the removal records the expunged key itself
    fresh = index.save(Path(str(tmp_path)) / "fresh.locard-index")
    again = ProfileIndex.load(fresh)
    assert 77 in again.expunged
    assert 77 not in {c.key for c in again.search(query, stringency="low", mismatches=5,
                                                   limit=None)}
    assert len(again) == 499
    # without the expunged set the stale snapshot would have returned it
    assert [c.key for c in ProfileIndex.load(stale).search(query)] == [77]


def test_add_update_and_snapshot_roundtrip(planted: dict[str, object], tmp_path: object) -> None:
    from pathlib import Path

    db = planted["db"]
    index = ProfileIndex.build(db[:200], loci=CODIS_CORE_20, name="arrestee")  # type: ignore[index]
    newcomer = db[300][1]  # type: ignore[index]
    index.add(9999, newcomer)  # goes to the delta segment
    assert [c.key for c in index.search(newcomer, stringency="high")] == [9999]
    index.add(5, newcomer)  # replaces key 5
    assert sorted(c.key for c in index.search(newcomer, stringency="high")) == [5, 9999]
    assert index.get(5) == newcomer.with_specimen_id(newcomer.specimen_id)
    path = index.save(Path(str(tmp_path)) / "a.locard-index")
    loaded = ProfileIndex.load(path)
    assert len(loaded) == len(index) == 201
    assert sorted(c.key for c in loaded.search(newcomer, stringency="high")) == [5, 9999]
    hit = loaded.search(newcomer, stringency="high")[0]
    assert hit.specimen_id == newcomer.specimen_id and hit.index == "arrestee"
    loaded.add(12345, db[301][1])  # type: ignore[index]
    assert [c.key for c in loaded.search(db[301][1], stringency="high")] == [12345]  # type: ignore[index]
    assert loaded.bytes_per_profile() == 49


def test_encoding_bytes_and_roundtrip(model: SimulationModel) -> None:
    index = ProfileIndex(loci=(*CODIS_CORE_20, "Penta D", "Penta E", "D6S1043", "SE33"))
    assert index.bytes_per_profile() == 57 <= 64
    profiles = model.decode(simulate_codes(model, 20, seed=1))
    for p in profiles:
        row = index.encoder.encode(p)
        assert row.dtype == np.uint8 and row.shape == (24, 2)
        assert index.encoder.decode(row, specimen_id=p.specimen_id) == p


def test_bad_parameters(planted: dict[str, object]) -> None:
    index = planted["index"]
    assert isinstance(index, ProfileIndex)
    query = planted["db"][1][1]  # type: ignore[index]
    with pytest.raises(SearchError):
        index.search(query, stringency="extreme")
    with pytest.raises(SearchError):
        index.search(query, min_loci=0)
    with pytest.raises(SearchError):
        index.search(query, min_loci=21)
    with pytest.raises(SearchError):
        index.search(Profile.parse("TH01: 6/7"), min_loci=8)


def test_single_labels_are_row_for_row_with_single_codes() -> None:
    """The public labels (``locard db check --index-file`` names pairs with them): aligned
    with :meth:`ProfileIndex.single_codes` after additions and removals, mixtures left out,
    None for an index built from codes without labels."""
    loci = ("TH01", "vWA")
    index = ProfileIndex.build(
        [(5, Profile.from_mapping({"TH01": ["6", "7"], "vWA": ["14", "15"]}, specimen_id="E")),
         (2, Profile.from_mapping({"TH01": ["8"], "vWA": ["16"]}, specimen_id="B")),
         (9, Profile.from_mapping({"TH01": ["6", "7", "9"], "vWA": ["14"]}, specimen_id="M"))],
        loci=loci)
    index.add(3, Profile.from_mapping({"TH01": ["9"], "vWA": ["17"]}, specimen_id="C"))
    index.remove(5)
    codes, keys = index.single_codes()
    labels = index.single_labels()
    assert labels is not None
    assert keys.tolist() == [2, 3]
    assert [str(x) for x in labels.tolist()] == ["B", "C"]
    assert codes.shape[1] == len(labels)
    bare = ProfileIndex.from_codes(np.zeros((2, 1, 2), np.uint8), [1], loci=loci,
                                   alleles=[[], []])
    assert bare.single_labels() is None
