"""Searching the store: planted matches, the policy matrix, lab scoping, search on entry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from locard.errors import PermissionDenied, PolicyViolation
from locard.genetics import CODIS_CORE_13, Profile
from locard.store import Store
from locard.store.audit import AuditEntry
from locard.store.demo_data import write_cmf
from locard.store.indexing import StoreIndices
from locard.store.policy import policy_from_text
from locard.store.searching import (
    enable_search_on_entry,
    search_on_entry_enabled,
    search_store,
    self_check,
)

from .conftest import core13_profile, full_profile


@pytest.fixture(autouse=True)
def _index_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCARD_INDEX_DIR", str(tmp_path / "indices"))


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    s = Store.init(tmp_path / "locard.db", admin="admin", lab="LAB-A")
    try:
        yield s
    finally:
        s.close()


def _offenders(store: Store, seeds: range = range(1, 6), actor: str = "admin",
               prefix: str = "CO") -> None:
    for i in seeds:
        store.add_profile(full_profile(i), specimen_id=f"{prefix}-{i}",
                          category="Convicted Offender", legal_basis="conviction", actor=actor)


def _users(store: Store) -> None:
    store.add_user("ana", role="analyst", lab="LAB-A", actor="admin")
    store.add_user("bob", role="analyst", lab="LAB-B", actor="admin")


def _audit(store: Store, action: str) -> list[AuditEntry]:
    return store.audit_entries(actor="admin", action=action)


def _drop_allele(profile: Profile, locus: str) -> Profile:
    """The profile with ``locus`` reduced to its first allele (drop-out of the second)."""
    loci = {k: [str(a) for a in c.alleles] for k, c in profile.loci.items()}
    loci[locus] = loci[locus][:1]
    return Profile.from_mapping(loci, specimen_id=profile.specimen_id)


def test_planted_match_found_at_the_right_stringency(store: Store) -> None:
    _offenders(store)
    store.add_profile(core13_profile(10, 3), specimen_id="F-1", category="Forensic, Unknown",
                      actor="admin")
    het = next(x for x in CODIS_CORE_13[:10] if len(full_profile(4).loci[x].alleles) == 2)
    store.add_profile(_drop_allele(core13_profile(10, 4), het), specimen_id="F-2",
                      category="Forensic, Unknown", actor="admin")
    report = search_store(store, "F-1", actor="admin", purpose="CASE-1")
    assert report.query_index == "forensic"
    assert set(report.targets) == {"forensic", "offender", "arrestee"}
    [hit] = report.candidates
    assert (hit.specimen_id, hit.lab, hit.index, hit.stringency) == ("CO-3", "LAB-A",
                                                                     "offender", "high")
    assert (hit.compared_loci, hit.mismatches, hit.restricted) == (10, 0, False)
    assert hit.match_rarity is not None and 0 < hit.match_rarity < 1e-10
    assert hit.loci is not None and all(v["comparison"] == "match" for v in hit.loci.values())
    # one allele dropped out: not a high-stringency match, a moderate one
    assert len(search_store(store, "F-2", actor="admin", purpose="CASE-2",
                            stringency="high")) == 0
    [hit2] = search_store(store, "F-2", actor="admin", purpose="CASE-2").candidates
    assert (hit2.specimen_id, hit2.stringency) == ("CO-4", "moderate")
    assert hit2.loci is not None and hit2.loci[het]["comparison"] == "partial"
    # one mismatching locus allowed at high stringency
    [hit3] = search_store(store, "F-2", actor="admin", purpose="CASE-2", stringency="high",
                          mismatches=1).candidates
    assert (hit3.specimen_id, hit3.mismatches) == ("CO-4", 1)
    searches = [e for e in _audit(store, "search") if e.purpose == "CASE-1"]
    assert {e.details["target_index"] for e in searches} == {"forensic", "offender", "arrestee"}


def test_profile_file_query_is_forensic_and_mixture_search(sqlite_store: Store) -> None:
    store = sqlite_store
    _offenders(store)
    report = search_store(store, full_profile(2).with_specimen_id("Q"), actor="admin",
                          purpose="CASE-3", stringency="high")
    assert report.query_index == "forensic" and report.query_lab is None
    assert [c.specimen_id for c in report.candidates] == ["CO-2"]
    a, b = full_profile(1), full_profile(5)
    mix = Profile.from_mapping({k: sorted({str(x) for x in (*a.loci[k].alleles,
                                                             *b.loci[k].alleles)},
                                          key=float)
                                for k in CODIS_CORE_13})
    store.add_profile(mix, specimen_id="F-MIX", category="Forensic Mixture", actor="admin")
    report = search_store(store, "F-MIX", actor="admin", purpose="CASE-4")
    assert report.mode == "mixture"
    found = {c.specimen_id for c in report.candidates}
    assert {"CO-1", "CO-5"} <= found
    top = report.candidates[0]
    assert top.included_loci == 13 and top.stringency == "moderate"


def test_policy_refuses_relatives_direct_and_staff_vs_offender(store: Store) -> None:
    _offenders(store)
    store.add_profile(core13_profile(13, 7), specimen_id="REL-1", category="Biological Mother",
                      legal_basis="consent", consent="C-1", actor="admin")
    store.add_profile(full_profile(3), specimen_id="ST-1", category="Staff",
                      legal_basis="consent", consent="C-2", actor="admin")
    with pytest.raises(PolicyViolation, match="relatives"):
        search_store(store, "REL-1", actor="admin", purpose="CASE-5")
    with pytest.raises(PolicyViolation, match="staff elimination"):
        search_store(store, "ST-1", actor="admin", purpose="CASE-6", indices=["offender"])
    with pytest.raises(PolicyViolation, match="relatives"):
        search_store(store, "REL-1", actor="admin", purpose="CASE-5b",
                     indices=["missing_person"])
    refused = _audit(store, "search_refused")
    assert [e.purpose for e in refused] == ["CASE-5", "CASE-6", "CASE-5b"]
    assert refused[1].details["target_index"] == "offender"
    assert refused[1].details["query_index"] == "staff"
    # refused as a whole: nothing was searched for these purposes
    assert not [e for e in _audit(store, "search")
                if e.purpose in ("CASE-5", "CASE-6", "CASE-5b")]
    # staff contamination check against forensic is allowed (and finds nothing here)
    assert len(search_store(store, "ST-1", actor="admin", purpose="QA-1")) == 0


def test_search_needs_a_purpose_and_the_refusal_is_audited(sqlite_store: Store) -> None:
    _offenders(sqlite_store, range(1, 3))
    with pytest.raises(PolicyViolation, match="stated purpose"):
        search_store(sqlite_store, full_profile(1), actor="admin", purpose=" ")
    assert len(_audit(sqlite_store, "search_refused")) == 1


def test_cross_lab_hit_reveals_only_lab_and_specimen(store: Store) -> None:
    _users(store)
    _offenders(store, range(1, 3), actor="bob", prefix="B-CO")
    store.add_profile(full_profile(1), specimen_id="A-CO-1", category="Convicted Offender",
                      legal_basis="conviction", actor="ana")
    store.add_profile(core13_profile(10, 1), specimen_id="F-1", category="Forensic, Unknown",
                      actor="ana")
    report = search_store(store, "F-1", actor="ana", purpose="CASE-7")
    by_id = {c.specimen_id: c for c in report.candidates}
    assert set(by_id) == {"B-CO-1", "A-CO-1"}
    other = by_id["B-CO-1"].to_dict()
    assert other == {"lab": "LAB-B", "specimen_id": "B-CO-1", "index": "offender",
                     "stringency": "high", "restricted": True}
    assert "alleles" not in json.dumps(other) and by_id["B-CO-1"].loci is None
    mine = by_id["A-CO-1"].to_dict()
    assert mine["loci"] and mine["match_rarity"] is not None
    # a search starts only from one's own lab's specimens
    with pytest.raises(PermissionDenied):
        search_store(store, "B-CO-1", lab="LAB-B", actor="ana", purpose="CASE-8")


def test_other_labs_local_only_profiles_are_never_returned(sqlite_store: Store) -> None:
    store = sqlite_store
    _users(store)
    store.add_profile(full_profile(2), specimen_id="B-SUS", category="Suspect, Known",
                      legal_basis="casework", actor="bob")
    store.add_profile(core13_profile(10, 2), specimen_id="F-1", category="Forensic, Unknown",
                      actor="ana")
    store.add_profile(core13_profile(10, 2), specimen_id="B-F-1", category="Forensic, Unknown",
                      actor="bob")
    # suspect_known -> forensic is allowed: bob's own suspect finds both forensic profiles
    report = search_store(store, "B-SUS", actor="bob", purpose="CASE-9")
    assert {c.specimen_id for c in report.candidates} == {"F-1", "B-F-1"}
    assert all(c.index == "forensic" for c in report.candidates)
    # ana cannot reach bob's local suspect in any way (forensic -> suspect is not allowed)
    with pytest.raises(PolicyViolation):
        search_store(store, "F-1", actor="ana", purpose="CASE-9", indices=["suspect_known"])


def test_search_on_entry_creates_pending_candidate_matches(store: Store,
                                                           tmp_path: Path) -> None:
    _offenders(store)
    hook = enable_search_on_entry(store, actor="admin", purpose="ENTRY")
    assert hook is not None
    f = tmp_path / "forensic.xml"
    geno = {k: [str(a) for a in v.alleles] for k, v in core13_profile(11, 4).loci.items()}
    write_cmf(f, [("F-100", "Forensic, Unknown", geno)], source_lab="LAB-A")
    store.import_file(f, actor="admin", purpose="IMPORT-1")
    [match] = store.list_matches(actor="admin", status="pending")
    assert (match.query_specimen, match.candidate_specimen) == ("F-100", "CO-4")
    assert (match.stringency, match.compared_loci, match.mismatches) == ("high", 11, 0)
    assert match.match_rarity is not None
    # an offender imported later is searched against the forensic index
    store.add_profile(core13_profile(12, 9), specimen_id="F-200", category="Forensic, Unknown",
                      actor="admin")
    store.add_profile(full_profile(9), specimen_id="CO-9", category="Convicted Offender",
                      legal_basis="conviction", actor="admin")
    pairs = {(m.query_specimen, m.candidate_specimen)
             for m in store.list_matches(actor="admin")}
    assert pairs == {("F-100", "CO-4"), ("CO-9", "F-200")}
    assert len(hook.recorded) == 2
    # the searches on entry were authorized and audited under their purpose
    entry = [e for e in _audit(store, "search") if e.purpose == "ENTRY"]
    assert {(e.details["query_index"], e.details["target_index"]) for e in entry} >= {
        ("forensic", "offender"), ("offender", "forensic")}


def test_search_on_entry_is_configurable(sqlite_store: Store) -> None:
    text = Path(__file__).parents[2].joinpath("src/locard/data/policy.toml").read_text()
    off = policy_from_text("search_on_entry = false\n" + text)
    assert not search_on_entry_enabled(off)
    assert search_on_entry_enabled(off, True)
    assert search_on_entry_enabled(sqlite_store.policy)
    assert enable_search_on_entry(sqlite_store, actor="admin", enabled=False) is None
    assert not sqlite_store.on_import


def test_self_check_within_allowed_indices(sqlite_store: Store) -> None:
    store = sqlite_store
    _offenders(store, range(1, 3))
    store.add_profile(core13_profile(13, 5), specimen_id="F-1", category="Forensic, Unknown",
                      actor="admin")
    store.add_profile(core13_profile(13, 5), specimen_id="F-2", category="Forensic, Unknown",
                      actor="admin")
    check = self_check(store, actor="admin", purpose="QA", min_loci=12, pairs_matrix=True)
    assert "offender" not in check.indices and "relative" not in check.indices
    [pair] = check.pairs
    assert {pair.a[1], pair.b[1]} == {"F-1", "F-2"} and pair.kind == "duplicate"
    assert check.pairs_matrix is not None and sum(map(sum, check.pairs_matrix["forensic"])) == 1
    with pytest.raises(PolicyViolation):
        self_check(store, actor="admin", purpose="QA", indices=["relative"])
    assert _audit(store, "search_refused")[-1].details["query_index"] == "relative"


def test_search_reuses_open_indices(sqlite_store: Store) -> None:
    _offenders(sqlite_store, range(1, 4))
    indices = StoreIndices.open(sqlite_store, actor="admin")
    sqlite_store.add_profile(full_profile(8), specimen_id="CO-8",
                             category="Convicted Offender", legal_basis="conviction",
                             actor="admin")
    report = search_store(sqlite_store, full_profile(8), actor="admin", purpose="C",
                          store_indices=indices, stringency="high")
    assert [c.specimen_id for c in report.candidates] == ["CO-8"]
