"""Search on entry, the pure part (:mod:`locard.search.entry`): forward and reverse find the
same pairs, and the pairs a brute-force comparison of the allele sets finds. No database."""

from __future__ import annotations

import random

import pytest

from locard.errors import InputError
from locard.genetics.loci import CODIS_CORE_13
from locard.genetics.profiles import Profile
from locard.search import ProfileIndex, Stringency
from locard.search.entry import (
    ENTRY_STRATEGIES,
    EntryPair,
    check_entry_strategy,
    entry_direction,
    entry_pairs,
    one_per_pair,
)

Geno = dict[str, list[str]]
ALLELES = ("8", "9", "10", "11", "12", "13")


def _geno(rng: random.Random, n_loci: int = 13) -> Geno:
    loci = rng.sample(list(CODIS_CORE_13), n_loci)
    return {k: sorted({rng.choice(ALLELES), rng.choice(ALLELES)}, key=float) for k in loci}


def _partial(g: Geno, rng: random.Random) -> Geno:
    """A planted trace of ``g``: 9 to 13 of its loci, one with drop-out, maybe one changed."""
    out = {k: list(v) for k, v in g.items() if k in rng.sample(list(g), rng.randint(9, 13))}
    het = [k for k, v in out.items() if len(v) == 2]
    if het:
        out[het[0]] = out[het[0]][:1]
    if rng.random() < 0.4:
        k = next(iter(out))
        out[k] = ["14", "15"]
    return out


def _mix(*genos: Geno) -> Geno:
    loci = [k for k in CODIS_CORE_13 if all(k in g for g in genos)]
    return {k: sorted({a for g in genos for a in g[k]}, key=float) for k in loci}


def _is_mixture(g: Geno) -> bool:
    return any(len(v) > 2 for v in g.values())


def _reference(new: dict[int, Geno], others: dict[int, Geno], *, stringency: str,
               min_loci: int, mismatches: int) -> dict[tuple[int, int], tuple[int, int, str]]:
    """Brute force over the allele sets: pair -> (compared loci, failing loci, stringency
    reached), the test :mod:`locard.search.entry` states."""
    levels = ("high", "moderate", "low")
    out: dict[tuple[int, int], tuple[int, int, str]] = {}
    for a, ga in new.items():
        for b, gb in others.items():
            if a == b or (_is_mixture(ga) and _is_mixture(gb)):
                continue
            compared = 0
            fails = dict.fromkeys(levels, 0)
            incl_fails = 0
            for locus in set(ga) & set(gb):
                x, y = set(ga[locus]), set(gb[locus])
                compared += 1
                fails["high"] += x != y
                fails["moderate"] += not (x <= y or y <= x)
                fails["low"] += not x & y
                single, mixture = (x, y) if _is_mixture(gb) else (y, x)
                incl_fails += not single <= mixture
            if _is_mixture(ga) or _is_mixture(gb):
                ok, failing, reached = incl_fails <= mismatches, incl_fails, "moderate"
            else:
                ok, failing = fails[stringency] <= mismatches, fails[stringency]
                reached = next(s for s in levels if fails[s] <= mismatches) if ok else ""
            if compared >= min_loci and ok:
                out[(min(a, b), max(a, b))] = (compared, failing, reached)
    return out


def _world(seed: int) -> tuple[dict[int, Geno], dict[int, Geno]]:
    """Old profiles (keys 1..): 60 offenders, planted traces, two mixtures, unrelated
    partial traces; new ones (keys 1000..): traces of old offenders, a duplicate within the
    batch, a duplicate of an old trace, a new mixture of an old offender, new offenders."""
    rng = random.Random(seed)
    offenders = [_geno(rng) for _ in range(60)]
    old: dict[int, Geno] = {k: g for k, g in enumerate(offenders, start=1)}
    for j, i in enumerate(range(0, 60, 7)):
        old[100 + j] = _partial(offenders[i], rng)
    old[200] = _mix(offenders[1], offenders[2])
    old[201] = _mix(offenders[3], _geno(rng))
    for j in range(15):
        old[300 + j] = _geno(rng, rng.randint(9, 13))
    new: dict[int, Geno] = {}
    for j, i in enumerate(range(3, 60, 9)):
        new[1000 + j] = _partial(offenders[i], rng)
    new[1100] = dict(new[1000])
    new[1101] = dict(old[100])
    new[1102] = _mix(offenders[5], _geno(rng))
    for j in range(20):
        new[1200 + j] = _geno(rng)
    new[1300] = dict(offenders[10])  # a new offender already stored: high match
    return old, new


def _index(genos: dict[int, Geno], name: str) -> ProfileIndex:
    return ProfileIndex.build(((k, Profile.from_mapping(g)) for k, g in genos.items()),
                              name=name)


def _table(pairs: list[EntryPair]) -> dict[tuple[int, int], tuple[int, int, int, str]]:
    return {f.pair: (f.query, f.compared_loci, f.mismatches, f.stringency.value)
            for f in one_per_pair(pairs)}


@pytest.mark.parametrize(("stringency", "mismatches"),
                         [("moderate", 0), ("high", 1), ("moderate", 1), ("low", 2)])
@pytest.mark.parametrize("batch_in_target", [False, True])
def test_forward_and_reverse_find_the_pairs_brute_force_finds(
        stringency: str, mismatches: int, batch_in_target: bool) -> None:
    """Forward and reverse give the same pairs, each with the same compared loci, failing
    loci, stringency and orientation (query = the new profile; both new: the lower key), and
    exactly the pairs of the brute-force reference. ``batch_in_target``: the batch was already
    added to the target index (a forensic batch against the forensic index), so pairs within
    the batch are found too, and no profile pairs with itself."""
    old, new = _world(seed=4)
    target_genos = {**old, **new} if batch_in_target else old
    target = _index(target_genos, "target")
    batch = _index({**old, **new}, "all").subset(sorted(new))
    assert len(batch) == len(new)
    found = {}
    for direction in ("forward", "reverse"):
        pairs = entry_pairs(batch, target, direction=direction,
                            stringency=Stringency(stringency), min_loci=8,
                            mismatches=mismatches)
        assert all(f.query in new for f in pairs)
        assert all(f.query != f.candidate for f in pairs)
        found[direction] = _table(pairs)
    assert found["forward"] == found["reverse"]
    ref = _reference(new, target_genos, stringency=stringency, min_loci=8,
                     mismatches=mismatches)
    assert {k: (v[1], v[2], v[3]) for k, v in found["forward"].items()} == ref
    # orientation: the new profile is the query; two new ones: the lower key
    assert all(v[0] == (k[0] if k[0] in new else k[1]) for k, v in found["forward"].items())
    if (stringency, mismatches) == ("moderate", 0):
        assert len(ref) >= 4  # the planted traces, the duplicates, the mixtures
        assert any(k[1] == 1102 or k[0] == 1102 for k in ref)  # the new mixture
        assert (1000, 1100) in ref if batch_in_target else (1000, 1100) not in ref


def test_mixtures_are_never_paired_with_mixtures() -> None:
    rng = random.Random(2)
    a, b, c = _geno(rng), _geno(rng), _geno(rng)
    target = _index({1: _mix(a, b)}, "t")
    batch = _index({2: _mix(a, b, c)}, "b")  # contains every allele of the stored mixture
    for direction in ("forward", "reverse"):
        assert entry_pairs(batch, target, direction=direction, min_loci=8) == []


def test_an_empty_target_or_batch_gives_no_pairs() -> None:
    rng = random.Random(3)
    full = _index({1: _geno(rng), 2: _geno(rng)}, "t")
    empty = ProfileIndex(name="empty")
    for direction in ("forward", "reverse"):
        assert entry_pairs(full, empty, direction=direction) == []
        assert entry_pairs(empty, full, direction=direction) == []
    with pytest.raises(InputError, match="'sideways'"):
        entry_pairs(full, full, direction="sideways")


def test_a_profile_typed_at_too_few_loci_is_skipped() -> None:
    rng = random.Random(8)
    g = _geno(rng)
    few = {k: g[k] for k in list(g)[:5]}
    target = _index({1: g}, "t")
    batch = _index({2: few}, "b")
    for direction in ("forward", "reverse"):
        assert entry_pairs(batch, target, direction=direction, min_loci=8) == []
        assert len(entry_pairs(batch, target, direction=direction, min_loci=5)) == 1


def test_auto_picks_the_direction_that_runs_fewer_searches() -> None:
    rng = random.Random(5)
    three = _index({k: _geno(rng) for k in range(3)}, "three")
    five = _index({k: _geno(rng) for k in range(10, 15)}, "five")
    assert entry_direction(five, three) == "reverse"  # 5 new > 3 stored
    assert entry_direction(three, five) == "forward"
    assert entry_direction(three, three) == "forward"  # equal: forward
    assert entry_direction(five, three, "forward") == "forward"
    assert entry_direction(three, five, "reverse") == "reverse"
    assert check_entry_strategy("auto") == "auto"
    assert ENTRY_STRATEGIES == ("auto", "forward", "reverse")
    with pytest.raises(InputError, match=r"'both'.*auto, forward, reverse"):
        entry_direction(three, five, "both")


def test_one_per_pair_keeps_the_lower_query_key() -> None:
    p = Profile.from_mapping({"TH01": ["6", "7"]})
    s = Stringency.MODERATE
    found = [EntryPair(7, 3, s, 10, 0, (), p), EntryPair(3, 7, s, 10, 0, (), p),
             EntryPair(9, 1, s, 12, 1, (), p), EntryPair(2, 5, Stringency.HIGH, 13, 0, (), p)]
    kept = one_per_pair(found)
    assert [(f.query, f.candidate) for f in kept] == [(9, 1), (2, 5), (3, 7)]
    assert [f.pair for f in kept] == [(1, 9), (2, 5), (3, 7)]
    assert one_per_pair([]) == []
