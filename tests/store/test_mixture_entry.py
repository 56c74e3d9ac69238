"""Mixture search on entry: a reference entering the store is scored against the stored
forensic mixtures by the semi-continuous LR (``[mixture_search]`` in the policy)."""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import pytest

from locard.errors import InputError
from locard.genetics import CODIS_CORE_20, Profile
from locard.search.mixture_rank import CANDIDATE
from locard.stats.mixture.casefile import parse_case
from locard.stats.mixture.semicontinuous import semicontinuous_lr
from locard.store import Store
from locard.store.mixture_entry import mixture_case_for
from locard.store.policy import load_rarity_tables, policy_from_text
from locard.store.searching import enable_search_on_entry

from .conftest import full_profile

pytestmark = pytest.mark.usefixtures("index_dir")

SHIPPED = resources.files("locard.data").joinpath("policy.toml").read_text(encoding="utf-8")


def _mixture(a: Profile, b: Profile) -> Profile:
    return Profile.from_mapping(
        {k: sorted({str(x) for x in (*a.alleles(k), *b.alleles(k))}) for k in CODIS_CORE_20})


def _offender(store: Store, profile: Profile, sid: str) -> None:
    store.add_profile(profile, specimen_id=sid, category="Convicted Offender",
                      legal_basis="conviction", actor="admin")


def _lr_matches(store: Store) -> list[tuple[str, str, float | None]]:
    return sorted((m.query_specimen, m.candidate_specimen, m.likelihood_ratio)
                  for m in store.list_matches(actor="admin") if m.mode == "mixture-lr")


def test_contributor_recorded_unrelated_not(store: Store) -> None:
    donor, other, unrelated = full_profile(7), full_profile(8), full_profile(3)
    store.add_profile(_mixture(donor, other), specimen_id="F-MIX",
                      category="Forensic, Unknown", actor="admin")
    hook = enable_search_on_entry(store, actor="admin", purpose="ENTRY")
    assert hook is not None
    _offender(store, unrelated, "CO-UNREL")
    assert _lr_matches(store) == []
    _offender(store, donor, "CO-DONOR")
    [(query, candidate, lr)] = _lr_matches(store)
    settings = store.policy.mixture_search
    assert (query, candidate) == ("F-MIX", "CO-DONOR")
    assert lr is not None and lr >= settings.lr_threshold
    # the naive reference: one explicit semicontinuous_lr, 2 contributors, the policy's values
    table = load_rarity_tables((store.policy.rarity_tables[0],))[0]
    case = parse_case(mixture_case_for(_mixture(donor, other), table, settings))
    assert (case.hp.unknowns, case.hd.unknowns) == (1, 2)
    naive = semicontinuous_lr(case.evidence, {CANDIDATE: donor.with_specimen_id(CANDIDATE)},
                              case.hp, case.hd, table, poi=CANDIDATE, dropout=case.dropout,
                              dropin=settings.dropin, theta=settings.theta,
                              min_frequency=settings.min_frequency)
    assert math.isclose(lr, naive.lr, rel_tol=1e-9)
    # purposed and audited: one mixture-lr search entry per import, its hits and per-locus LRs
    entries = [e for e in store.audit_entries(actor="admin", action="search")
               if e.purpose == "ENTRY" and e.details.get("mode") == "mixture-lr"]
    assert [e.details["hits"] for e in entries] == [0, 1]
    assert entries[-1].details["on_entry"] is True
    per_locus = entries[-1].details["matches"][0]["per_locus"]
    assert math.isclose(math.prod(per_locus.values()), lr, rel_tol=1e-9)
    # importing the donor again under another ID records that pair only, once
    _offender(store, donor, "CO-DONOR-2")
    assert [c for _, c, _ in _lr_matches(store)] == ["CO-DONOR", "CO-DONOR-2"]


def test_policy_switch_off_records_none(db_url: str) -> None:
    off = policy_from_text(SHIPPED.replace("on_entry = true", "on_entry = false"))
    assert off.mixture_search.on_entry is False
    store = Store.init(db_url, admin="admin", lab="LAB-A", policy=off)
    try:
        donor, other = full_profile(7), full_profile(8)
        store.add_profile(_mixture(donor, other), specimen_id="F-MIX",
                          category="Forensic, Unknown", actor="admin")
        assert enable_search_on_entry(store, actor="admin", purpose="ENTRY") is not None
        _offender(store, donor, "CO-DONOR")
        assert _lr_matches(store) == []
        assert not [e for e in store.audit_entries(actor="admin", action="search")
                    if e.details.get("mode") == "mixture-lr"]
    finally:
        store.close()


def test_threshold_from_policy(tmp_path: Path) -> None:
    """A threshold above the contributor's LR records nothing."""
    strict = policy_from_text(SHIPPED.replace("lr_threshold = 1e4", "lr_threshold = 1e300"))
    store = Store.init(tmp_path / "strict.db", admin="admin", lab="LAB-A", policy=strict)
    try:
        donor, other = full_profile(7), full_profile(8)
        store.add_profile(_mixture(donor, other), specimen_id="F-MIX",
                          category="Forensic, Unknown", actor="admin")
        enable_search_on_entry(store, actor="admin", purpose="ENTRY")
        _offender(store, donor, "CO-DONOR")
        assert _lr_matches(store) == []
    finally:
        store.close()


@pytest.mark.parametrize(("line", "field"), [
    ("dropout = 1.0", "dropout"), ("max_contributors = 5", "max_contributors"),
    ("lr_threshold = 0", "lr_threshold"), ("on_entry = 1", "on_entry")])
def test_bad_settings_named(line: str, field: str) -> None:
    default = {"dropout": "dropout = 0.1", "max_contributors": "max_contributors = 3",
               "lr_threshold": "lr_threshold = 1e4", "on_entry": "on_entry = true"}[field]
    with pytest.raises(InputError, match=rf"\[mixture_search\] {field}"):
        policy_from_text(SHIPPED.replace(default, line))
