"""Ranking the store by a mixed trace's LR: policy-scoped, purposed, audited; the hits become
candidate matches with the hypotheses and per-locus LRs kept in the audit entry."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from locard.errors import PolicyViolation
from locard.genetics import CODIS_CORE_20, Profile
from locard.search.mixture_rank import CANDIDATE
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.casefile import MixtureCase, parse_case
from locard.stats.mixture.semicontinuous import semicontinuous_lr
from locard.store import Store
from locard.store.mixture_search import rank_store_by_mixture_lr

from .conftest import full_profile

pytestmark = pytest.mark.usefixtures("index_dir")


def _mixture(a: Profile, b: Profile) -> dict[str, list[str]]:
    return {k: sorted({str(x) for x in (*a.alleles(k), *b.alleles(k))}) for k in CODIS_CORE_20}


def case_for(trace: dict[str, list[str]]) -> MixtureCase:
    return parse_case({
        "frequencies": {"table": "NIST1036:ALL", "min_frequency": 0.001},
        "profiles": {CANDIDATE: {}}, "poi": CANDIDATE,
        "evidence": {"r1": trace},
        "hypotheses": {"hp": {"contributors": [CANDIDATE], "unknowns": 1},
                       "hd": {"contributors": [], "unknowns": 2}},
        "dropout": {CANDIDATE: 0.05, "unknowns_hp": [0.05], "unknowns_hd": [0.05, 0.05]},
        "dropin": {"probability": 0.05}, "theta": 0.01})


@pytest.fixture
def planted(store: Store) -> Iterator[tuple[Store, Profile, MixtureCase]]:
    donor, other = full_profile(7), full_profile(8)  # distinct from seeds 1-6 (mod 9)
    for seed in range(1, 7):
        store.add_profile(full_profile(seed), specimen_id=f"CO-{seed}",
                          category="Convicted Offender", legal_basis="conviction",
                          actor="admin")
    store.add_profile(donor, specimen_id="CO-DONOR", category="Convicted Offender",
                      legal_basis="conviction", actor="admin")
    trace = _mixture(donor, other)
    store.add_profile(Profile.from_mapping(trace), specimen_id="F-MIX",
                      category="Forensic, Unknown", actor="admin")
    yield store, donor, case_for(trace)


def test_donor_ranked_first_and_recorded(planted: tuple[Store, Profile, MixtureCase],
                                         nist_all: FrequencyTable) -> None:
    store, donor, case = planted
    report = rank_store_by_mixture_lr(store, case, table=nist_all, actor="admin",
                                      purpose="CASE-M1", top=3, threshold=1000, trace="F-MIX")
    first = report.candidates[0]
    assert (first.specimen_id, first.index, first.rank) == ("CO-DONOR", "offender", 1)
    assert first.per_locus is not None and len(first.per_locus) == 20
    assert math.isclose(math.prod(first.per_locus.values()), first.lr, rel_tol=1e-9)
    # the naive reference: one explicit semicontinuous_lr with the donor as the candidate
    profiles = {CANDIDATE: donor.with_specimen_id(CANDIDATE)}
    naive = semicontinuous_lr(case.evidence, profiles, case.hp, case.hd, nist_all,
                              poi=CANDIDATE, dropout=case.dropout, dropin=0.05, theta=0.01,
                              min_frequency=0.001)
    assert math.isclose(first.lr, naive.lr, rel_tol=1e-9)
    assert all(c.lr >= 1000 for c in report.candidates)
    assert "F-MIX" not in {c.specimen_id for c in report.candidates}
    assert report.profiles_ranked["offender"] == 7
    adv = report.adventitious
    assert adv.database_size == sum(report.profiles_ranked.values())
    assert adv.expected is not None and adv.expected <= adv.database_size / 1000
    assert adv.suggested_threshold <= adv.database_size * (1 + 1e-9)
    # the hit is a pending candidate match; hypotheses and per-locus LRs are in the audit
    matches = [m for m in store.list_matches(actor="admin") if m.mode == "mixture-lr"]
    assert [(m.query_specimen, m.candidate_specimen, m.status) for m in matches] == \
        [("F-MIX", "CO-DONOR", "pending")]
    assert matches[0].likelihood_ratio == pytest.approx(first.lr, rel=1e-12)
    assert first.match_id == matches[0].id
    entry = [e for e in store.audit_entries(actor="admin", action="search")
             if e.purpose == "CASE-M1"][-1]
    details: dict[str, Any] = entry.details
    assert details["mode"] == "mixture-lr" and details["hits"] == len(report.candidates)
    assert "1 unknown" in details["hypotheses"]["hp"]
    assert details["matches"][0]["match"] == first.match_id
    assert details["matches"][0]["per_locus"] == pytest.approx(first.per_locus)
    assert details["parameters"]["theta"] == 0.01
    # a second ranking does not record the pair again
    again = rank_store_by_mixture_lr(store, case, table=nist_all, actor="admin",
                                     purpose="CASE-M1", top=3, threshold=1000, trace="F-MIX")
    assert again.candidates[0].match_id is None
    assert len([m for m in store.list_matches(actor="admin") if m.mode == "mixture-lr"]) == 1


def test_refusals_are_audited(planted: tuple[Store, Profile, MixtureCase],
                              nist_all: FrequencyTable) -> None:
    store, _, case = planted
    with pytest.raises(PolicyViolation, match="purpose"):
        rank_store_by_mixture_lr(store, case, table=nist_all, actor="admin", purpose=" ")
    with pytest.raises(PolicyViolation, match="relative"):
        rank_store_by_mixture_lr(store, case, table=nist_all, actor="admin",
                                 purpose="CASE-M2", indices=["relative"])
    refused = store.audit_entries(actor="admin", action="search_refused")
    assert any(e.details.get("mode") == "mixture-lr" for e in refused)
    assert len(refused) >= 2
