"""Ranking encoded profiles by the continuous (gamma) LR of a mixed trace (ProbRank-class).

The fast ranking (per-slot table lookups over the compiled top-N scan, merged over the slots) is
checked against a naive scan (every profile decoded and scored with
``ContinuousLRTables.candidate_lr``, itself checked against the naive likelihood in
tests/stats/mixture/test_continuous_tables.py) to 1e-12 relative; the refit of a candidate
equals a direct ``run_continuous_case`` with that candidate as the person of interest (the
same function on the same inputs: 1e-12 relative)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from locard.errors import InputError
from locard.genetics.alleles import Allele
from locard.genetics.kits import get_kit
from locard.genetics.profiles import Profile
from locard.search.continuous_rank import (
    CANDIDATE,
    continuous_lookups,
    continuous_rank_tables,
    decode_candidate,
    rank_by_continuous_lr,
    refit_hits,
)
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.casefile import MixtureCase, parse_case, run_continuous_case
from locard.stats.mixture.continuous_simulate import simulate_heights
from locard.tables.bundled import get_bundled_table

LOCI = ("D3S1358", "vWA", "D16S539", "TH01", "D8S1179", "D18S51")
INDEX_LOCI = (*LOCI, "FGA")  # the index has a locus the evidence lacks: LR 1 there


@pytest.fixture(scope="module")
def table() -> FrequencyTable:
    return get_bundled_table("NIST1036:ALL")


def _genotype(table: FrequencyTable, locus: str, rng: np.random.Generator) -> list[Allele]:
    alleles = list(table.frequencies[locus])
    p = np.array([table.frequencies[locus][a] for a in alleles])
    return sorted(alleles[int(i)] for i in rng.choice(len(alleles), size=2, p=p / p.sum()))


def _case_json(table: FrequencyTable, seed: int = 5, **extra: Any
               ) -> tuple[dict[str, Any], list[dict[str, list[Allele]]]]:
    rng = np.random.default_rng(seed)
    people = [{loc: _genotype(table, loc, rng) for loc in LOCI} for _ in range(2)]
    ev = simulate_heights(people, table, mx=[0.75, 0.25], mu=1500.0, sigma=0.15, beta=0.85,
                          xi=0.06, kit=get_kit("GlobalFiler"), seed=seed)
    case = {
        "model": "continuous",
        "frequencies": {"table": "NIST1036:ALL", "min_frequency": 0.001},
        "profiles": {CANDIDATE: {}}, "poi": CANDIDATE,
        "evidence": {"r1": {loc: {"alleles": [str(a) for a in v], "heights": list(v.values())}
                            for loc, v in ev.replicates["r1"].items()}},
        "hypotheses": {"hp": {"contributors": [CANDIDATE], "unknowns": 1},
                       "hd": {"contributors": [], "unknowns": 2}},
        "dropin": {"probability": 0.05, "lambda": 0.01}, "analytical_threshold": 50,
        "kit": "GlobalFiler", "theta": 0.0, **extra}
    return case, people


def _database(table: FrequencyTable, people: list[dict[str, list[Allele]]], n: int = 300
              ) -> tuple[np.ndarray, list[list[Allele]]]:
    rng = np.random.default_rng(11)
    maps = [list(table.frequencies[loc]) for loc in INDEX_LOCI]
    codes = np.zeros((n, len(INDEX_LOCI), 2), dtype=np.uint8)
    for li, loc in enumerate(INDEX_LOCI):
        for r in range(n):
            gt = _genotype(table, loc, rng)
            codes[r, li] = [maps[li].index(a) + 1 for a in gt]
    for r, who in ((17, 0), (230, 1)):  # the major and the minor donor
        for li, loc in enumerate(LOCI):
            codes[r, li] = [maps[li].index(a) + 1 for a in people[who][loc]]
    codes[42, 2] = 0  # a profile untyped at one locus
    return codes, maps


@pytest.fixture(scope="module")
def ranked(table: FrequencyTable) -> tuple[MixtureCase, Any, np.ndarray, list[list[Allele]]]:
    spec, people = _case_json(table)
    case = parse_case(spec)
    rt = continuous_rank_tables(case, table)
    codes, maps = _database(table, people)
    return case, rt, codes, maps


def test_fast_ranking_equals_a_naive_scan(ranked: Any) -> None:
    _, rt, codes, maps = ranked
    hits = rank_by_continuous_lr(codes, maps, INDEX_LOCI, rt, top=25)
    naive = []
    for r in range(codes.shape[0]):
        prof = decode_candidate(codes, maps, INDEX_LOCI, r)
        lr, slot, per = rt.tables.candidate_lr(prof)
        naive.append((lr, r, slot, per))
    naive.sort(key=lambda t: (-t[0], t[1]))
    assert [h.row for h in hits] == [r for _, r, _, _ in naive[:25]]
    for h, (lr, _, slot, per) in zip(hits, naive, strict=False):
        assert h.lr_fixed == pytest.approx(lr, rel=1e-12)
        assert h.slot == slot
        assert h.per_locus_fixed == pytest.approx(per, rel=1e-12)
        assert "FGA" not in h.per_locus_fixed  # not in the evidence
    assert {hits[0].row, hits[1].row} == {17, 230}  # both donors on top
    # the major donor's best slot is the unknown with the larger Mx
    mx = rt.tables.parameters.mx
    major = next(h for h in hits if h.row == 17)
    assert mx[major.slot] == max(mx)
    # locus-major layout and a threshold give the same values
    lm = rank_by_continuous_lr(np.ascontiguousarray(codes.transpose(1, 0, 2)), maps,
                               INDEX_LOCI, continuous_lookups(rt, INDEX_LOCI, maps), top=5,
                               locus_major=True, threshold=1.0)
    assert [(h.row, h.slot) for h in lm] == [(h.row, h.slot) for h in hits[:len(lm)]]
    assert all(h.lr_fixed >= 1.0 for h in lm)


def test_untyped_locus_contributes_one(ranked: Any) -> None:
    _, rt, codes, maps = ranked
    prof = decode_candidate(codes, maps, INDEX_LOCI, 42)
    assert "D16S539" not in prof
    lr, _, per = rt.tables.candidate_lr(prof)
    assert "D16S539" not in per and math.prod(per.values()) == pytest.approx(lr, rel=1e-12)


def test_refit_equals_run_continuous_case_with_the_candidate_as_poi(
        ranked: Any, table: FrequencyTable) -> None:
    case, rt, codes, maps = ranked
    hits = rank_by_continuous_lr(codes, maps, INDEX_LOCI, rt, top=3)
    profiles = [decode_candidate(codes, maps, INDEX_LOCI, h.row) for h in hits]
    done = refit_hits(rt, hits, profiles, refit=2)
    assert [h.refit is not None for h in done] == [True, True, False]
    assert done[2].row == hits[2].row  # not refitted: kept in its fixed place after
    assert done[0].refit is not None and done[1].refit is not None
    assert done[0].refit.log10_lr >= done[1].refit.log10_lr
    spec = json.loads(json.dumps(case.spec.model_dump(by_alias=True, exclude_none=True)))
    for h in done[:2]:
        prof = decode_candidate(codes, maps, INDEX_LOCI, h.row)
        direct_spec = {**spec, "profiles": {CANDIDATE: {
            loc: [str(a) for a in prof.alleles(loc)] for loc in prof.loci}}}
        direct = run_continuous_case(parse_case(direct_spec), table)
        assert h.refit is not None
        assert h.refit.lr == pytest.approx(direct.lr, rel=1e-12)
        assert h.lr == h.refit.lr
        # the fixed-parameter and the refitted LR of a true donor agree within 1 log10 unit
        assert abs(h.refit.log10_lr - h.log10_lr_fixed) < 1.0
    out = done[0].to_dict()
    assert set(out["per_locus"]) == set(LOCI) and out["lr"] == done[0].lr


def test_case_checks(table: FrequencyTable) -> None:
    spec, _ = _case_json(table)
    bad = {**spec, "hypotheses": {"hp": {"contributors": [CANDIDATE], "unknowns": 0},
                                  "hd": {"contributors": [], "unknowns": 2}}}
    with pytest.raises(InputError, match="one unknown fewer"):
        continuous_rank_tables(parse_case(bad), table)
    no_candidate = {**spec, "hypotheses": {"hp": {"contributors": [], "unknowns": 2},
                                           "hd": {"contributors": [], "unknowns": 2}}}
    with pytest.raises(InputError, match="not a contributor under Hp"):
        continuous_rank_tables(parse_case(no_candidate), table)
    semi = parse_case({
        "frequencies": {"table": "NIST1036:ALL"}, "profiles": {CANDIDATE: {}},
        "evidence": {"r1": {"TH01": ["6", "7"]}},
        "hypotheses": {"hp": {"contributors": [CANDIDATE]}, "hd": {"unknowns": 1}},
        "dropout": {CANDIDATE: 0.1, "unknowns_hd": [0.1]}, "dropin": {"probability": 0.05}})
    with pytest.raises(InputError, match="not a continuous-model case"):
        continuous_rank_tables(semi, table)


def test_profile_helper_names_the_candidate(ranked: Any) -> None:
    _, _, codes, maps = ranked
    prof = decode_candidate(codes, maps, INDEX_LOCI, 17)
    assert isinstance(prof, Profile) and prof.specimen_id == CANDIDATE
    assert set(prof.loci) == set(INDEX_LOCI)
