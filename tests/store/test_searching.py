"""Searching the store: planted matches, the policy matrix, lab scoping, search on entry."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from tests.fixtures import random_profiles, write_raw_cmf

from locard.errors import PermissionDenied, PolicyViolation
from locard.genetics import CODIS_CORE_13, CODIS_CORE_20, Profile
from locard.search.index import Stringency
from locard.store import Store
from locard.store.audit import AuditEntry
from locard.store.indexing import StoreIndices, specimen_rows
from locard.store.policy import policy_from_text
from locard.store.searching import (
    EntryPair,
    EntrySearch,
    enable_search_on_entry,
    search_on_entry_enabled,
    search_store,
)
from locard.store.selfcheck import self_check

from .conftest import core13_profile, full_profile

pytestmark = pytest.mark.usefixtures("index_dir")


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
    assert hit.rmp is not None and 0 < hit.rmp < 1e-10
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
    # one audit entry per search request: every target, the salted query reference, hits
    [entry] = [e for e in _audit(store, "search") if e.purpose == "CASE-1"]
    assert set(entry.details["targets"]) == {"forensic", "offender", "arrestee"}
    assert entry.details["query_ref"] == store.specimen_ref("LAB-A", "F-1")
    assert entry.details["hits"] == 1 and entry.details["query_index"] == "forensic"
    assert "F-1" not in json.dumps(entry.details)
    assert not [e for e in _audit(store, "view") if e.purpose == "CASE-1"]
    assert len([e for e in _audit(store, "search") if e.purpose == "CASE-2"]) == 3
    assert store.verify_audit() > 0


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
    assert mine["loci"] and mine["rmp"] is not None
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
    write_raw_cmf(f, [("F-100", "Forensic, Unknown", geno)], source_lab="LAB-A")
    store.import_file(f, actor="admin", purpose="IMPORT-1")
    [match] = store.list_matches(actor="admin", status="pending")
    assert (match.query_specimen, match.candidate_specimen) == ("F-100", "CO-4")
    assert (match.stringency, match.compared_loci, match.mismatches) == ("high", 11, 0)
    assert match.rmp is not None
    # an offender imported later is searched against the forensic index
    store.add_profile(core13_profile(12, 9), specimen_id="F-200", category="Forensic, Unknown",
                      actor="admin")
    store.add_profile(full_profile(9), specimen_id="CO-9", category="Convicted Offender",
                      legal_basis="conviction", actor="admin")
    pairs = {(m.query_specimen, m.candidate_specimen)
             for m in store.list_matches(actor="admin")}
    assert pairs == {("F-100", "CO-4"), ("CO-9", "F-200")}
    assert len(hook.recorded) == 2
    # the searches on entry were authorized and audited under their purpose: one entry per
    # import (and query index), listing every target and the pairs found
    entry = [e for e in _audit(store, "search") if e.purpose == "ENTRY"]
    assert [(e.details["query_index"], "offender" in e.details["targets"], e.details["hits"])
            for e in entry] == [("forensic", True, 1), ("forensic", True, 0),
                                ("offender", False, 1)]
    assert entry[0].details["on_entry"] is True


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
    assert "offender" in check.indices and "relative" not in check.indices
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


# --- search on entry: forward and reverse find the same pairs -------------------------------------

Geno = dict[str, list[str]]


def _restrict(geno: Geno, rng: random.Random, n_loci: int) -> Geno:
    keep = rng.sample(list(CODIS_CORE_13), n_loci)
    return {k: list(v) for k, v in geno.items() if k in keep}


def _mix(*genos: Geno, drop: tuple[str, str] | None = None) -> Geno:
    """The union of the contributors at the core loci all of them are typed at (``drop``:
    locus, allele dropped out of the mixture)."""
    out: Geno = {}
    for locus in (k for k in CODIS_CORE_20 if all(k in g for g in genos)):
        alleles = {a for g in genos for a in g[locus]}
        if drop is not None and drop[0] == locus:
            alleles.discard(drop[1])
        out[locus] = sorted(alleles, key=float)
    return out


def _traces(offenders: list[tuple[str, Geno]], seed: int) -> list[tuple[str, str, Geno]]:
    """Forensic traces: planted partial copies of offenders (some with drop-out or one
    changed locus), two-person mixtures (one with a drop-out), unrelated partial traces."""
    rng = random.Random(seed)
    out: list[tuple[str, str, Geno]] = []
    for j, i in enumerate(range(3, len(offenders), max(1, len(offenders) // 9))):
        g = _restrict(offenders[i][1], rng, rng.randint(10, 13))
        het = [k for k, v in g.items() if len(v) == 2]
        if j % 3 == 1 and het:
            g[het[0]] = g[het[0]][:1]  # drop-out: a moderate (not high) match
        elif j % 3 == 2:
            k = next(iter(g))
            g[k] = ["5", "6"] if g[k] != ["5", "6"] else ["6", "7"]  # one mismatching locus
        out.append((f"FP-{j:02d}", "Forensic, Unknown", g))
    a, b, c, d = (offenders[i][1] for i in (1, 2, 5, 7))
    het_d = next(k for k in CODIS_CORE_13 if len(d[k]) == 2 and d[k][1] not in c[k])
    out.append(("FM-1", "Forensic Mixture", _mix(a, b)))
    out.append(("FM-2", "Forensic Mixture", _mix(c, d, drop=(het_d, d[het_d][1]))))
    for sid, g in random_profiles(25, seed=seed + 1, prefix="FR"):
        out.append((sid, "Forensic, Unknown", _restrict(g, rng, rng.randint(10, 13))))
    return out


def _write(path: Path, items: list[tuple[str, str, Geno]]) -> Path:
    write_raw_cmf(path, items, source_lab="LAB-A")
    return path


def _reference(new: dict[int, Geno], others: dict[int, Geno], *, stringency: str,
               min_loci: int, mismatches: int) -> dict[tuple[int, int], tuple[int, int]]:
    """Brute force, from the allele sets: (pair) -> (compared loci, failing loci)."""
    out: dict[tuple[int, int], tuple[int, int]] = {}
    for a, ga in new.items():
        for b, gb in others.items():
            if a == b or (min(a, b), max(a, b)) in out:
                continue
            mix_a = any(len(v) > 2 for v in ga.values())
            mix_b = any(len(v) > 2 for v in gb.values())
            if mix_a and mix_b:
                continue
            compared = fails = 0
            for locus in set(ga) & set(gb):
                x, y = set(ga[locus]), set(gb[locus])
                compared += 1
                if mix_a or mix_b:
                    single, mixture = (x, y) if mix_b else (y, x)
                    ok = single <= mixture
                elif stringency == "high":
                    ok = x == y
                elif stringency == "moderate":
                    ok = x <= y or y <= x
                else:
                    ok = bool(x & y)
                fails += not ok
            if compared >= min_loci and fails <= mismatches:
                out[(min(a, b), max(a, b))] = (compared, fails)
    return out


def _canonical(pairs: list[EntryPair]) -> dict[tuple[int, int], tuple[int, int, int, str]]:
    best: dict[tuple[int, int], EntryPair] = {}
    for f in pairs:
        if f.pair not in best or f.query < best[f.pair].query:
            best[f.pair] = f
    return {k: (f.query, f.compared_loci, f.mismatches, f.stringency.value)
            for k, f in best.items()}


@pytest.mark.parametrize(("stringency", "mismatches"),
                         [("moderate", 0), ("high", 1), ("moderate", 1), ("low", 2)])
def test_entry_search_forward_and_reverse_find_the_same_pairs(
        tmp_path: Path, stringency: str, mismatches: int) -> None:
    """An offender batch against the forensic index, and a forensic batch (new mixtures,
    duplicates within the batch) against forensic and offenders: both directions give the
    same pairs, with the same compared loci, failing loci, stringency and orientation, and
    the pairs a brute-force comparison of the allele sets finds."""
    store = Store.init(tmp_path / "eq.db", admin="admin", lab="LAB-A")
    try:
        offenders = [(s, g) for s, g in random_profiles(240, seed=11, prefix="CO")]
        genos: dict[str, Geno] = {s: g for s, g in offenders}
        old_traces = _traces(offenders[:120], seed=3)
        store.import_file(_write(tmp_path / "f1.xml", old_traces), actor="admin",
                          purpose="IMPORT", skip_invalid=True)
        indices = StoreIndices.open(store, actor="admin")
        rep = store.import_file(
            _write(tmp_path / "o.xml", [(s, "Convicted Offender", g) for s, g in offenders]),
            actor="admin", purpose="IMPORT", legal_basis="conviction")
        # a forensic batch: new traces of both old and new offenders, a duplicate of a new
        # trace within the batch and of an old trace, and new mixtures
        new_traces = _traces(offenders[100:], seed=5)
        new_traces = [(f"N{sid}", cat, g) for sid, cat, g in new_traces]
        new_traces.append(("NDUP-1", "Forensic, Unknown", dict(new_traces[0][2])))
        new_traces.append(("NDUP-2", "Forensic, Unknown", dict(old_traces[0][2])))
        new_traces.append(("NMIX-T", "Forensic Mixture",
                           _mix(offenders[150][1], {k: v for k, v in new_traces[1][2].items()}
                                | {k: offenders[9][1][k] for k in CODIS_CORE_13
                                   if k not in new_traces[1][2]})))
        rep2 = store.import_file(_write(tmp_path / "f2.xml", new_traces), actor="admin",
                                 purpose="IMPORT", skip_invalid=True)
        for sid, _, g in [*old_traces, *new_traces]:
            genos[sid] = g
        rows = specimen_rows(store, range(1, rep2.last_pk + 1))  # type: ignore[operator]
        by_key = {k: genos[r.specimen_id] for k, r in rows.items()}
        index_of = {k: r.index.value for k, r in rows.items()}
        for first, last, targets in ((rep.first_pk, rep.last_pk, {"forensic"}),
                                     (rep2.first_pk, rep2.last_pk,
                                      {"forensic", "offender"})):
            assert first is not None and last is not None
            keys = list(range(first, last + 1))
            found = {}
            for strategy in ("forward", "reverse"):
                hook = EntrySearch(store, indices, "admin", "EQ", Stringency(stringency),
                                   8, mismatches, strategy)
                found[strategy] = _canonical(hook.find(keys))
                assert set(hook.strategies.values()) == {strategy}
            assert found["forward"] == found["reverse"]
            new = {k: by_key[k] for k in keys if k in by_key}
            others = {k: g for k, g in by_key.items() if index_of[k] in targets}
            ref = _reference(new, others, stringency=stringency, min_loci=8,
                             mismatches=mismatches)
            assert {k: v[1:3] for k, v in found["forward"].items()} == ref
            # query = the new specimen (both new: the lower key)
            assert all(v[0] == (k[0] if k[0] >= first else k[1])
                       for k, v in found["forward"].items())
            if (stringency, mismatches) == ("moderate", 0):
                assert len(ref) >= 8  # planted: partial copies and the mixtures
                assert any(len(v) > 2 for k in {k for p in ref for k in p}
                           for v in by_key[k].values())
    finally:
        store.close()


def test_entry_search_strategies_record_the_same_matches(tmp_path: Path) -> None:
    """End to end through Store.import_file: forward and reverse (and auto) record the same
    candidate matches (query = the new specimen, the same stringency, loci and rarity)."""
    offenders = [(s, g) for s, g in random_profiles(150, seed=21, prefix="CO")]
    traces = _traces(offenders, seed=8)
    recorded = {}
    for strategy in ("forward", "reverse", "auto"):
        store = Store.init(tmp_path / f"{strategy}.db", admin="admin", lab="LAB-A")
        try:
            store.import_file(_write(tmp_path / "t.xml", traces), actor="admin",
                              purpose="IMPORT", skip_invalid=True)
            hook = enable_search_on_entry(store, actor="admin", purpose="ENTRY",
                                          strategy=strategy)
            assert hook is not None
            store.import_file(_write(tmp_path / "o.xml", [(s, "Convicted Offender", g)
                                                          for s, g in offenders]),
                              actor="admin", purpose="IMPORT", legal_basis="conviction")
            if strategy == "auto":  # 150 new offenders, fewer forensic traces
                assert hook.strategies == {"offender->forensic": "reverse"}
            recorded[strategy] = sorted(
                (m.query_specimen, m.candidate_specimen, m.stringency, m.compared_loci,
                 m.mismatches, m.rmp) for m in store.list_matches(actor="admin")
                if m.mode == "direct")  # mixture-lr matches: tests/store/test_mixture_entry.py
            [entry] = [e for e in _audit(store, "search")
                       if e.purpose == "ENTRY" and e.details["mode"] == "direct"]
            assert entry.details["hits"] == len(recorded[strategy])
            assert store.verify_audit() > 0
        finally:
            store.close()
    assert recorded["forward"] == recorded["reverse"] == recorded["auto"]
    assert all(q.startswith("CO") and c.startswith("F") for q, c, *_ in recorded["forward"])
    assert {"FM-1", "FM-2"} <= {c for _, c, *_ in recorded["forward"]}
