"""The store's search indices: snapshot next to the database, kept in step through events and
hooks, and an expunged profile never matching, not even from a stale snapshot."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from locard.genetics import CODIS_CORE_13, Profile
from locard.search import ProfileIndex
from locard.store import Store
from locard.store.indexing import StoreIndices, expunged_keys, index_dir_for
from locard.store.searching import search_store

from .conftest import core13_profile, full_profile

pytestmark = pytest.mark.usefixtures("index_dir")


def _offender(store: Store, seed: int, sid: str | None = None) -> int:
    return store.add_profile(full_profile(seed), specimen_id=sid or f"CO-{seed}",
                             category="Convicted Offender", legal_basis="conviction",
                             actor="admin")


def _ids(store: Store, profile: Profile) -> list[str]:
    report = search_store(store, profile, actor="admin", purpose="T", stringency="high",
                          indices=["offender"])
    return [c.specimen_id for c in report.candidates]


def test_snapshot_location(sqlite_store: Store, tmp_path: Path, pg_url: str) -> None:
    assert index_dir_for(sqlite_store) == tmp_path / "locard.db.index"
    pg = Store.init(pg_url, admin="admin", lab="LAB-A")
    try:
        where = index_dir_for(pg)
        assert where.parent == tmp_path / "indices" and len(where.name) == 16
        assert index_dir_for(pg, tmp_path / "x") == tmp_path / "x"
    finally:
        pg.close()


def test_index_per_store_index_with_mixtures_apart(sqlite_store: Store) -> None:
    store = sqlite_store
    _offender(store, 1)
    store.add_profile(core13_profile(10, 2), specimen_id="F-1", category="Forensic, Unknown",
                      actor="admin")
    a, b = full_profile(3), full_profile(4)
    mix = Profile.from_mapping({k: sorted({str(x) for x in (*a.loci[k].alleles,
                                                             *b.loci[k].alleles)}, key=float)
                                for k in CODIS_CORE_13})
    store.add_profile(mix, specimen_id="F-MIX", category="Forensic Mixture", actor="admin")
    indices = StoreIndices.open(store, actor="admin")
    assert indices.status.rebuilt and indices.status.reason == "no snapshot"
    assert indices.counts() == {"offender": 1, "forensic": 2}
    assert (indices["forensic"].n_single, indices["forensic"].n_mixtures) == (1, 1)
    assert indices["offender"].get(1) is not None
    # the snapshot holds no specimen IDs
    folder = indices.directory / "offender.locard-index"
    assert not (folder / "single_labels.npy").exists() or b"CO-1" not in (
        folder / "single_labels.npy").read_bytes()
    assert json.loads((indices.directory / "state.json").read_text())["seq"] == indices.seq


def test_snapshot_brought_up_to_date_from_events(store: Store) -> None:
    for seed in (1, 2, 3):
        _offender(store, seed)
    first = StoreIndices.open(store, actor="admin", attach=False)
    assert first.status.rebuilt and first.counts() == {"offender": 3}
    # more imports and an expungement, with nobody following the store
    _offender(store, 4)
    _offender(store, 5)
    store.expunge("CO-2", reason="court order", actor="admin")
    again = StoreIndices.open(store, actor="admin", attach=False)
    assert not again.status.rebuilt
    assert again.status.events_applied == 3
    assert again.status.added == 2
    assert again["offender"].get(2) is None  # removed at load (tombstones by key)
    assert again.counts() == {"offender": 4}
    rebuilds = [e for e in store.audit_entries(actor="admin", action="search")
                if e.details.get("op") == "index_rebuild"]
    assert len(rebuilds) == 1  # the second open read only the new events
    assert _ids(store, full_profile(5)) == ["CO-5"]
    assert _ids(store, full_profile(2)) == []
    # and once saved, the next open has nothing to apply
    third = StoreIndices.open(store, actor="admin", attach=False)
    assert (third.status.rebuilt, third.status.events_applied) == (False, 0)


def test_attached_indices_follow_imports_and_expungements(sqlite_store: Store) -> None:
    store = sqlite_store
    indices = StoreIndices.open(store, actor="admin")
    key = _offender(store, 6)
    assert indices["offender"].get(key) is not None
    store.expunge("CO-6", reason="acquitted", actor="admin")
    assert indices["offender"].get(key) is None and key in indices.expunged()
    assert indices["offender"].search(full_profile(6), stringency="high") == []
    indices.detach()
    assert not store.on_import and not store.on_expunge


def test_expunged_never_matches_from_a_stale_snapshot(store: Store) -> None:
    for seed in (1, 2, 3):
        _offender(store, seed)
    indices = StoreIndices.open(store, actor="admin", attach=False)
    folder = indices.directory
    stale = folder.with_name(folder.name + "-stale")
    shutil.copytree(folder, stale)
    key = store.expunge("CO-3", reason="court order", actor="admin") and 3
    assert expunged_keys(store) == {key}
    # a snapshot from before the expungement that claims to be current (its state edited to
    # the latest event): the tombstones, by key, are applied when it is loaded
    shutil.rmtree(folder)
    shutil.copytree(stale, folder)
    state = json.loads((folder / "state.json").read_text())
    state["seq"] = store.events_since(0)[-1]["seq"]
    (folder / "state.json").write_text(json.dumps(state))
    reopened = StoreIndices.open(store, actor="admin", attach=False, save=False)
    assert not reopened.status.rebuilt and reopened.status.events_applied == 0
    assert reopened["offender"].get(key) is None
    assert reopened["offender"].search(full_profile(3), stringency="high") == []
    assert _ids(store, full_profile(3)) == []
    # the bare stale copy still holds the row; loading it with the store's expunged keys hides it
    raw = ProfileIndex.load(stale / "offender.locard-index")
    assert raw.get(key) is not None
    assert ProfileIndex.load(stale / "offender.locard-index",
                             expunged=expunged_keys(store)).get(key) is None
    # and the search above, opening the indices with saving, rewrote the store's snapshot
    assert ProfileIndex.load(folder / "offender.locard-index").get(key) is None


def test_a_foreign_or_damaged_snapshot_is_rebuilt(sqlite_store: Store, tmp_path: Path) -> None:
    _offender(sqlite_store, 1)
    indices = StoreIndices.open(sqlite_store, actor="admin", attach=False)
    other = Store.init(tmp_path / "other.db", admin="admin", lab="LAB-A")
    try:
        foreign = StoreIndices.open(other, actor="admin", directory=indices.directory,
                                    attach=False, save=False)
        assert foreign.status.reason == "snapshot of another database"
        assert foreign.counts() == {}
    finally:
        other.close()
    (indices.directory / "state.json").write_text("{")
    again = StoreIndices.open(sqlite_store, actor="admin", attach=False)
    assert again.status.reason == "unreadable snapshot state"
    assert again.counts() == {"offender": 1}
