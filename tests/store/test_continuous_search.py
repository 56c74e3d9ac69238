"""Ranking the store by the continuous (gamma) LR of a mixed trace (ProbRank-class): purposed,
policy-scoped, audited with the fitted Hd parameters; the refitted hits become candidate matches
(mode mixture-lr, the refitted LR). SQLite and PostgreSQL.

Tolerances: the refitted LR equals a direct run_continuous_case with the donor as the person of
interest to 1e-9 relative; a fixed-parameter LR is the product of its per-locus values to 1e-9."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from locard.errors import InputError, PolicyViolation
from locard.genetics import CODIS_CORE_20, Profile
from locard.search.mixture_rank import CANDIDATE
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.casefile import MixtureCase, parse_case, run_continuous_case
from locard.stats.mixture.continuous_simulate import simulate_heights
from locard.store import Store
from locard.store.mixture_search import rank_store_by_continuous_lr, rank_store_by_mixture_lr

from .conftest import full_profile

pytestmark = pytest.mark.usefixtures("index_dir")

LOCI = ("D3S1358", "vWA", "D16S539", "TH01", "D8S1179", "D21S11", "D18S51")


def case_for(donor: Profile, other: Profile, table: FrequencyTable,
             profiles: dict[str, Any] | None = None) -> MixtureCase:
    genotypes = [{loc: list(p.alleles(loc)) for loc in LOCI} for p in (donor, other)]
    ev = simulate_heights(genotypes, table, mx=[0.7, 0.3], mu=1500.0, sigma=0.12, seed=3)
    return parse_case({
        "model": "continuous",
        "frequencies": {"table": "NIST1036:ALL", "min_frequency": 0.001},
        "profiles": profiles or {CANDIDATE: {}}, "poi": CANDIDATE,
        "evidence": {"r1": {loc: {"alleles": [str(a) for a in v], "heights": list(v.values())}
                            for loc, v in ev.replicates["r1"].items()}},
        "hypotheses": {"hp": {"contributors": [CANDIDATE], "unknowns": 1},
                       "hd": {"contributors": [], "unknowns": 2}},
        "dropin": {"probability": 0.05, "lambda": 0.01}, "analytical_threshold": 50,
        "degradation": False, "theta": 0.0})


@pytest.fixture
def planted(store: Store, nist_all: FrequencyTable
            ) -> Iterator[tuple[Store, Profile, Profile, MixtureCase]]:
    donor, other = full_profile(7), full_profile(8)
    for seed in range(1, 7):
        store.add_profile(full_profile(seed), specimen_id=f"CO-{seed}",
                          category="Convicted Offender", legal_basis="conviction",
                          actor="admin")
    store.add_profile(donor, specimen_id="CO-DONOR", category="Convicted Offender",
                      legal_basis="conviction", actor="admin")
    mix = {loc: sorted({str(x) for x in (*donor.alleles(loc), *other.alleles(loc))})
           for loc in CODIS_CORE_20}  # stored at all core loci; the case file uses LOCI
    store.add_profile(Profile.from_mapping(mix), specimen_id="F-MIX",
                      category="Forensic, Unknown", actor="admin")
    yield store, donor, other, case_for(donor, other, nist_all)


def test_donor_first_refitted_recorded_and_audited(
        planted: tuple[Store, Profile, Profile, MixtureCase], nist_all: FrequencyTable) -> None:
    store, donor, other, case = planted
    report = rank_store_by_continuous_lr(store, case, table=nist_all, actor="admin",
                                         purpose="CASE-C1", top=3, refit=2, trace="F-MIX")
    first = report.candidates[0]
    assert (first.specimen_id, first.index, first.rank) == ("CO-DONOR", "offender", 1)
    assert first.lr is not None and first.lr > 1e3
    assert first.per_locus_fixed is not None and set(first.per_locus_fixed) == set(LOCI)
    assert math.isclose(math.prod(first.per_locus_fixed.values()), first.lr_fixed,
                        rel_tol=1e-9)
    assert first.per_locus is not None and set(first.per_locus) == set(LOCI)
    # the refit is the full maximum-likelihood LR with the donor as the person of interest
    direct_case = case_for(donor, other, nist_all, profiles={
        CANDIDATE: {loc: [str(a) for a in donor.alleles(loc)] for loc in donor.loci
                    if loc != "AMEL"}})
    direct = run_continuous_case(direct_case, nist_all)
    assert math.isclose(first.lr, direct.lr, rel_tol=1e-9)
    assert [c.lr is not None for c in report.candidates] == [True, True, False]
    assert "F-MIX" not in {c.specimen_id for c in report.candidates}
    assert report.profiles_ranked["offender"] == 7
    assert len(report.hd_parameters["mx"]) == 2 and report.refit == 2
    # the donor is a pending candidate match with the refitted LR
    matches = [m for m in store.list_matches(actor="admin") if m.mode == "mixture-lr"]
    assert ("F-MIX", "CO-DONOR", "pending") in [
        (m.query_specimen, m.candidate_specimen, m.status) for m in matches]
    donor_match = next(m for m in matches if m.candidate_specimen == "CO-DONOR")
    assert donor_match.likelihood_ratio == pytest.approx(first.lr, rel=1e-12)
    assert first.match_id == donor_match.id
    # only refitted candidates with LR > 1 are recorded
    recorded = {m.candidate_specimen for m in matches}
    assert recorded <= {c.specimen_id for c in report.candidates if c.lr is not None
                        and c.lr > 1}
    entry = [e for e in store.audit_entries(actor="admin", action="search")
             if e.purpose == "CASE-C1"][-1]
    details: dict[str, Any] = entry.details
    assert details["mode"] == "mixture-lr" and details["model"] == "continuous"
    assert details["refit"] == 2 and details["hits"] == len(report.candidates)
    assert details["hd_parameters"]["mx"] == pytest.approx(report.hd_parameters["mx"])
    assert details["hd_parameters"]["mu"] == pytest.approx(report.hd_parameters["mu"])
    assert details["matches"][0]["lr"] == pytest.approx(first.lr)
    assert "1 unknown" in details["hypotheses"]["hp"]
    out = report.to_dict()
    assert out["model"] == "continuous" and out["candidates"][0]["refitted"]


def test_refusals(planted: tuple[Store, Profile, Profile, MixtureCase],
                  nist_all: FrequencyTable) -> None:
    store, _, _, case = planted
    with pytest.raises(PolicyViolation, match="purpose"):
        rank_store_by_continuous_lr(store, case, table=nist_all, actor="admin", purpose=" ")
    with pytest.raises(PolicyViolation, match="relative"):
        rank_store_by_continuous_lr(store, case, table=nist_all, actor="admin",
                                    purpose="CASE-C2", indices=["relative"])
    refused = store.audit_entries(actor="admin", action="search_refused")
    assert sum(e.details.get("mode") == "mixture-lr" for e in refused) >= 2
    with pytest.raises(InputError, match="rank_store_by_continuous_lr"):
        rank_store_by_mixture_lr(store, case, table=nist_all, actor="admin",
                                 purpose="CASE-C3")
