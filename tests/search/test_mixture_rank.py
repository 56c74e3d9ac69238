"""Database ranking by the semi-continuous LR: the table kernel against a naive reference (one
explicit :func:`semicontinuous_lr` per candidate), untyped loci, alleles outside the evidence and
the table, top-N and threshold, the exact adventitious-hit count against brute force, and the
SmartRank validation searches."""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.conftest import shared_data_path

from locard.errors import InputError, SearchError
from locard.formats.lrmix import case_from_profiles, read_mixture_profiles
from locard.genetics.alleles import Allele, parse_allele
from locard.genetics.loci import canonical_locus
from locard.genetics.profiles import Profile
from locard.search.mixture_rank import (
    CANDIDATE,
    adventitious_hits,
    mixture_lr_tables,
    rank_by_mixture_lr,
)
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.casefile import MixtureCase, parse_case
from locard.stats.mixture.semicontinuous import semicontinuous_lr
from locard.stats.simulate import SimulationModel, simulate_codes
from locard.tables import load_frequency_table
from locard.tables.bundled import get_bundled_table

TABLE = get_bundled_table("NIST1036:Cauc")
LOCI = ["D3S1358", "vWA", "D8S1179", "TH01", "FGA"]
MODEL = SimulationModel.from_table(TABLE, [canonical_locus(x) for x in LOCI])


def _case(*, theta: float, known: bool, dropin: float = 0.05) -> MixtureCase:
    """Trace: donor 0 (the planted candidate) + K1 (known) + drop-in; the loci of LOCI."""
    people = MODEL.decode(simulate_codes(MODEL, 2, seed=11), specimen_ids=["D", "K1"])
    donor, k1 = people
    evidence: dict[str, dict[str, list[str]]] = {"r1": {}, "r2": {}}
    for i, locus in enumerate(MODEL.loci):
        alleles = {str(a) for a in donor.alleles(locus)} | {str(a) for a in k1.alleles(locus)}
        ordered = sorted(alleles)
        evidence["r1"][locus] = ordered if i % 2 else ordered[:-1]  # one drop-out
        evidence["r2"][locus] = ordered
    profiles: dict[str, Any] = {CANDIDATE: {}}
    hp = {"contributors": [CANDIDATE], "unknowns": 1}
    hd = {"contributors": [], "unknowns": 2}
    dropout: dict[str, Any] = {CANDIDATE: 0.1, "unknowns_hp": [0.2], "unknowns_hd": [0.2, 0.2]}
    if known:
        profiles["K1"] = {x: [str(a) for a in k1.alleles(x)] for x in MODEL.loci}
        hp = {"contributors": ["K1", CANDIDATE], "unknowns": 0}
        hd = {"contributors": ["K1"], "unknowns": 1}
        dropout = {CANDIDATE: 0.1, "K1": 0.05, "unknowns_hp": [], "unknowns_hd": [0.2]}
    return parse_case({
        "frequencies": {"table": "NIST1036:Cauc", "min_frequency": 0.001},
        "profiles": profiles, "poi": CANDIDATE, "evidence": evidence,
        "hypotheses": {"hp": hp, "hd": hd}, "dropout": dropout,
        "dropin": {"probability": dropin}, "theta": theta})


def _database(n: int, seed: int) -> tuple[np.ndarray, list[list[Allele]]]:
    """Random profiles [n, L, 2] coded by the simulation model's dictionaries, donor 0 planted
    in row 7, row 3 untyped at the second locus, row 5 with an allele absent from the table
    and from the evidence."""
    codes = simulate_codes(MODEL, n, seed=seed).astype(np.uint8)
    donor = simulate_codes(MODEL, 2, seed=11)[0]
    codes[7] = donor
    codes[3, 1] = 0
    maps = [list(per) for per in MODEL.alleles]
    maps[0].append(parse_allele("99.9", locus=MODEL.loci[0]))
    codes[5, 0] = [codes[5, 0, 0], len(maps[0])]
    return np.sort(codes, axis=2), maps


def _naive(case: MixtureCase, codes: np.ndarray, maps: list[list[Allele]],
           row: int) -> dict[str, float]:
    """One explicit semicontinuous_lr for the candidate of ``row``: its per-locus LRs."""
    loci = {}
    for li, locus in enumerate(MODEL.loci):
        a, b = int(codes[row, li, 0]), int(codes[row, li, 1])
        if a and b:
            loci[locus] = [str(maps[li][a - 1]), str(maps[li][b - 1])]
    profiles = dict(case.profiles)
    profiles[CANDIDATE] = Profile.from_mapping(loci, specimen_id=CANDIDATE)
    spec = case.spec
    result = semicontinuous_lr(
        case.evidence, profiles, case.hp, case.hd, TABLE, poi=CANDIDATE, dropout=case.dropout,
        dropin=spec.dropin.probability, theta=spec.theta,
        min_frequency=spec.frequencies.min_frequency)
    return {k: v.lr for k, v in result.per_locus.items()}


@pytest.mark.parametrize(("theta", "known"), [(0.0, False), (0.01, False), (0.03, True)])
def test_kernel_equals_naive_per_candidate(theta: float, known: bool) -> None:
    case = _case(theta=theta, known=known)
    codes, maps = _database(60, seed=5)
    tables = mixture_lr_tables(case, TABLE)
    hits = rank_by_mixture_lr(codes, maps, MODEL.loci, tables, top=60)
    assert len(hits) == 60
    naive = {row: _naive(case, codes, maps, row) for row in range(60)}
    for hit in hits:
        expected = naive[hit.row]
        assert set(hit.per_locus) == set(expected)
        for locus, lr in expected.items():
            assert math.isclose(hit.per_locus[locus], lr, rel_tol=1e-9), (hit.row, locus)
        assert math.isclose(hit.lr, math.prod(hit.per_locus.values()), rel_tol=1e-12)
    # the same ranking as sorting the naive LRs (ties by row)
    order = sorted(range(60), key=lambda r: (-math.prod(naive[r].values()), r))
    assert [h.row for h in hits] == order
    assert hits[0].row == 7  # the planted donor


def test_untyped_locus_and_unlisted_allele() -> None:
    case = _case(theta=0.01, known=False)
    codes, maps = _database(20, seed=9)
    hits = {h.row: h for h in rank_by_mixture_lr(codes, maps, MODEL.loci,
                                                  mixture_lr_tables(case, TABLE), top=20)}
    assert MODEL.loci[1] not in hits[3].per_locus  # untyped: LR 1, left out
    assert len(hits[3].per_locus) == len(MODEL.loci) - 1
    assert hits[5].per_locus == pytest.approx(_naive(case, codes, maps, 5), rel=1e-9)


def test_top_and_threshold() -> None:
    case = _case(theta=0.0, known=True)
    codes, maps = _database(200, seed=3)
    tables = mixture_lr_tables(case, TABLE)
    every = rank_by_mixture_lr(codes, maps, MODEL.loci, tables, top=200)
    assert [h.row for h in rank_by_mixture_lr(codes, maps, MODEL.loci, tables, top=5)] == \
        [h.row for h in every[:5]]
    t = every[3].lr
    above = rank_by_mixture_lr(codes, maps, MODEL.loci, tables, top=200, threshold=t)
    assert [h.row for h in above] == [h.row for h in every if h.lr >= t]
    alive = np.ones(200, dtype=bool)
    alive[every[0].row] = False
    assert rank_by_mixture_lr(codes, maps, MODEL.loci, tables, top=1,
                              alive=alive)[0].row == every[1].row
    # locus-major layout (the index's) gives the same
    lm = rank_by_mixture_lr(np.ascontiguousarray(codes.transpose(1, 0, 2)), maps, MODEL.loci,
                            tables, top=10, locus_major=True)
    assert [h.row for h in lm] == [h.row for h in every[:10]]
    with pytest.raises(SearchError, match="threshold"):
        rank_by_mixture_lr(codes, maps, MODEL.loci, tables, threshold=0)


def test_candidate_must_be_an_hp_contributor() -> None:
    case = _case(theta=0.0, known=True)
    bad = parse_case({**case.spec.model_dump(),
                      "hypotheses": {"hp": {"contributors": ["K1"], "unknowns": 1},
                                     "hd": {"contributors": ["K1"], "unknowns": 1}},
                      "dropout": {"K1": 0.05, CANDIDATE: 0.1, "unknowns_hp": [0.1],
                                  "unknowns_hd": [0.1]}})
    with pytest.raises(InputError, match=r"hypotheses\.hp\.contributors"):
        mixture_lr_tables(bad, TABLE)


def test_adventitious_hits_bound_brute_force() -> None:
    """The convolution's P(LR >= t | Hd) against an explicit enumeration of every genotype
    combination at two loci: an upper bound, and within loci x resolution in log10."""
    full = _case(theta=0.01, known=True)
    spec = full.spec.model_dump()
    keep = list(MODEL.loci[:2])
    spec["evidence"] = {r: {k: v for k, v in loci.items() if k in keep}
                        for r, loci in spec["evidence"].items()}
    case = parse_case(spec)
    tables = mixture_lr_tables(case, TABLE)
    per: list[list[tuple[float, float]]] = []
    for locus in tables.loci:
        t = tables.tables[locus]
        k = len(t.prob)
        per.append([(float(t.prob[i] * t.prob[j] * (1 if i == j else 2)), float(t.lr[i, j]))
                    for i in range(k) for j in range(i, k) if t.prob[i] * t.prob[j] > 0])
    combos = [(p1 * p2, lr1 * lr2) for (p1, lr1), (p2, lr2) in itertools.product(*per)]
    res = 0.01
    for threshold in (1e-3, 0.5, 1.0, 10.0, 100.0):
        exact = sum(p for p, lr in combos if lr >= threshold)
        looser = sum(p for p, lr in combos if lr >= threshold / 10 ** (2 * res))
        got = adventitious_hits(tables, database_size=1000, threshold=threshold,
                                resolution=res)
        assert got.p_at_or_above is not None
        assert exact - 1e-12 <= got.p_at_or_above <= looser + 1e-12
        assert got.expected == pytest.approx(1000 * min(got.p_at_or_above, 1 / threshold))
    got = adventitious_hits(tables, database_size=1000)
    suggested = got.suggested_threshold
    assert sum(p for p, lr in combos if lr >= suggested) * 1000 < 1 or suggested > 1000
    assert suggested <= 1000 * (1 + 1e-9)  # never above Turing's N


# --- SmartRank validation -------------------------------------------------------------------

SMARTRANK = "smartrank_validation"
#: ValidationTest.java of github:smartrank/smartrank: database, sample, rare allele frequency;
#: every search: drop-in 0.05, theta 0.01, Hp candidate (d 0.03) + 1 unknown (0.03), Hd 2
#: unknowns (0.03); SmartRank computes Pr(E | Hd) once (hd_conditioned=False).
SMARTRANK_RUNS = [("SMARTRANK-27", 1e-4), ("SMARTRANK-42", 1e-4), ("SMARTRANK-49", 1e-4),
                  ("SMARTRANK-234", 1e-4)]


def _smartrank_database(path: Path) -> tuple[list[str], list[str], np.ndarray,
                                             list[list[Allele]]]:
    """SmartRank's CODIS-style database CSV; a row SmartRank reports as a problem (a bad
    field count or allele) is skipped."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    loci: list[str] = []
    for h in header[1:]:
        name = h.rsplit("_", 1)[0]
        if name not in loci:
            loci.append(name)
    canon = [canonical_locus(x) for x in loci]
    maps: list[list[Allele]] = [[] for _ in loci]
    ids: list[str] = []
    out: list[np.ndarray] = []
    for row in rows[1:]:
        if len(row) != len(header):
            continue
        codes = np.zeros((len(loci), 2), np.uint8)
        try:
            for li in range(len(loci)):
                vals = [parse_allele(v, locus=canon[li]) for v in row[1 + 4 * li:5 + 4 * li]
                        if v not in ("NULL", "")]
                got = []
                for a in vals[:2]:
                    if a not in maps[li]:
                        maps[li].append(a)
                    got.append(maps[li].index(a) + 1)
                if got:
                    codes[li] = sorted(got * 2 if len(got) == 1 else got)
        except InputError:
            continue
        ids.append(row[0])
        out.append(codes)
    return ids, canon, np.stack(out), maps


def _smartrank_case(name: str, rare: float, table: FrequencyTable, stats: Path
                    ) -> MixtureCase:
    folder = shared_data_path("mixtures", SMARTRANK)
    sample = read_mixture_profiles(folder / f"{name}-sample.csv")
    spec = case_from_profiles(sample, {}, frequencies=str(stats), poi=None, unknowns_hp=1,
                              unknowns_hd=2, dropout_unknowns=0.03, dropin=0.05, theta=0.01,
                              min_frequency=rare)
    spec["profiles"][CANDIDATE] = {}
    spec["poi"] = CANDIDATE
    spec["hypotheses"]["hp"]["contributors"] = [CANDIDATE]
    spec["dropout"][CANDIDATE] = 0.03
    return parse_case(spec)


def _expected(path: Path) -> list[tuple[str, float]]:
    return [(p[0], float(p[1])) for p in (line.split() for line in path.read_text().splitlines())
            if p and not p[0].startswith("#")]


@pytest.mark.parametrize(("name", "rare"), SMARTRANK_RUNS)
def test_smartrank_validation_ranking(name: str, rare: float) -> None:
    """The same candidates with LR > 1 in the same order as SmartRank's expected results."""
    folder = shared_data_path("mixtures", SMARTRANK)
    stats = folder / "str_base_validation_file.xml"
    table = load_frequency_table(str(stats))
    case = _smartrank_case(name, rare, table, stats)
    ids, loci, codes, maps = _smartrank_database(folder / f"{name}-database.csv")
    tables = mixture_lr_tables(case, table, hd_conditioned=False)
    hits = rank_by_mixture_lr(codes, maps, loci, tables, top=len(ids), threshold=1.0 + 1e-12)
    expected = _expected(folder / f"{name}-expectedresults.txt")
    assert [ids[h.row] for h in hits] == [sid for sid, _ in expected]


@pytest.mark.parametrize(("name", "rare"), SMARTRANK_RUNS)
def test_smartrank_validation_lr_values(name: str, rare: float) -> None:
    """SmartRank's expected LRs with its convention (``q_shutdown_hp=True``: Hp's unknowns carry
    evidence alleles only, SmartRank's default "Q designation shutdown"; Pr(E | Hd) once).
    Printed to 5 significant digits: tolerance 1e-4 relative (measured worst: 1.6e-5)."""
    folder = shared_data_path("mixtures", SMARTRANK)
    stats = folder / "str_base_validation_file.xml"
    table = load_frequency_table(str(stats))
    case = _smartrank_case(name, rare, table, stats)
    ids, loci, codes, maps = _smartrank_database(folder / f"{name}-database.csv")
    tables = mixture_lr_tables(case, table, hd_conditioned=False, q_shutdown_hp=True)
    assert tables.provenance["parameters"]["q_shutdown_hp"] is True
    hits = rank_by_mixture_lr(codes, maps, loci, tables, top=len(ids), threshold=1.0 + 1e-12)
    got = {ids[h.row]: h.lr for h in hits}
    expected = _expected(folder / f"{name}-expectedresults.txt")
    assert sorted(got) == sorted(sid for sid, _ in expected)
    for sid, lr in expected:
        assert got[sid] == pytest.approx(lr, rel=1e-4)
    # Locard's default (LRmix: Q under Hp too) gives a higher LR on the same search
    lrmix = mixture_lr_tables(case, table, hd_conditioned=False)
    for top in rank_by_mixture_lr(codes, maps, loci, lrmix, top=1, threshold=1.0 + 1e-12):
        assert top.lr / got[ids[top.row]] > 1.5
