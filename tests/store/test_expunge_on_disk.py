"""Expungement removes the genotype from every file Locard writes, before it reports success.

Each test reads the files themselves: the database file and its WAL (SQLite), and the search
index snapshot beside it (or under ``$LOCARD_INDEX_DIR`` for PostgreSQL). Before the
expungement the test takes, from those files, the specimen ID, the stored genotype text and
the profile's encoded row exactly as the snapshot holds it; after it, none of them may be
found in any byte of any file under the test's folder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from locard.genetics import Profile
from locard.search import ProfileIndex
from locard.store import Store
from locard.store.imports import genotype_json
from locard.store.indexing import StoreIndices, index_dir_for

from .conftest import full_profile

pytestmark = pytest.mark.usefixtures("index_dir")

#: a specimen ID that cannot occur by chance in any file
SECRET_ID = "XQZEBRA4711"
TARGET_SEED = 77


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _holding(root: Path, needle: bytes) -> list[str]:
    """The files under ``root`` whose bytes contain ``needle``."""
    return [str(p.relative_to(root)) for p in _files(root) if needle in p.read_bytes()]


def _columns_equal(root: Path, row: np.ndarray) -> list[str]:
    """Snapshot code arrays (locus-major, so a profile is not contiguous) holding ``row``."""
    out = []
    for path in root.rglob("*_codes.npy"):
        codes = np.load(path)
        if codes.shape[0] == row.shape[0] and codes.shape[2] == row.shape[1]:
            for j in range(codes.shape[1]):
                if np.array_equal(codes[:, j, :], row):
                    out.append(f"{path.relative_to(root)}[:, {j}]")
    return out


def _add_target(store: Store, how: str) -> int:
    profile = full_profile(TARGET_SEED)
    if how == "consent":
        return store.add_profile(profile, specimen_id=SECRET_ID, category="Biological Sibling",
                                 legal_basis="consent", consent="C-ZEBRA", actor="admin")
    return store.add_profile(profile, specimen_id=SECRET_ID, category="Arrestee",
                             legal_basis="arrest", actor="admin")


def _expunge(store: Store, how: str) -> None:
    if how == "expunge":
        store.expunge(SECRET_ID, reason="court order", actor="admin")
    elif how == "consent":
        assert store.withdraw_consent("C-ZEBRA", actor="admin") == 1
    else:
        view = store.get_specimen(SECRET_ID, actor="admin")
        assert view.retention_until is not None
        later = dt.date.fromisoformat(view.retention_until) + dt.timedelta(days=1)
        done = store.apply_retention(actor="admin", today=later)
        assert [d["specimen_id"] for d in done] == [SECRET_ID]


def _encoded_row(snapshot: Path, key: int) -> np.ndarray:
    """The target's encoded row as the snapshot on disk holds it (read from the files)."""
    keys = np.load(snapshot / "single_keys.npy")
    [col] = np.flatnonzero(keys == key).tolist()
    codes = np.load(snapshot / "single_codes.npy")
    return np.ascontiguousarray(codes[:, col, :])


@pytest.mark.parametrize("how", ["expunge", "consent", "retention"])
@pytest.mark.parametrize("attach", [False, True], ids=["no-index-loaded", "index-attached"])
def test_expunged_genotype_is_in_no_file(store: Store, tmp_path: Path, how: str,
                                         attach: bool) -> None:
    for seed in (1, 2):
        store.add_profile(full_profile(seed), specimen_id=f"CO-{seed}",
                          category="Convicted Offender", legal_basis="conviction",
                          actor="admin")
    key = _add_target(store, how)
    # the target sits alone in its index (arrestee or relative) and beside others in offender
    twin = store.add_profile(full_profile(TARGET_SEED), specimen_id="CO-TWIN",
                             category="Convicted Offender", legal_basis="conviction",
                             actor="admin")
    indices = StoreIndices.open(store, actor="admin", attach=attach)
    folder = index_dir_for(store)
    assert folder.is_relative_to(tmp_path) and (folder / "state.json").is_file()
    index = "relative" if how == "consent" else "arrestee"
    snapshot = folder / f"{index}.locard-index"
    row = _encoded_row(snapshot, key)
    pattern = row.tobytes()
    text = genotype_json(full_profile(TARGET_SEED)).encode()
    # what the files hold before: the encoded row, contiguous in its one-profile snapshot
    assert _holding(tmp_path, pattern) == [str(snapshot.relative_to(tmp_path)
                                               / "single_codes.npy")]
    if store.db.is_sqlite:
        assert _holding(tmp_path, SECRET_ID.encode())
        assert _holding(tmp_path, text)

    _expunge(store, how)

    # the identical genotype of the (kept) twin stays, in the offender snapshot and the rows
    assert indices["offender"].get(twin) is not None
    assert _holding(tmp_path, SECRET_ID.encode()) == []
    assert _holding(tmp_path, pattern) == []
    assert _columns_equal(folder / f"{index}.locard-index", row) == []
    assert ProfileIndex.load(snapshot).get(key) is None
    # nor do the allele dictionaries keep its alleles (it was alone in its index)
    header = json.loads((snapshot / "header.json").read_text())
    assert header["alleles"] == [[] for _ in header["loci"]]
    # the twin's row still holds the same genotype text in SQLite; nothing else does
    if store.db.is_sqlite:
        assert len(_holding(tmp_path, text)) <= 1
    # no temporary or old snapshot folders are left behind
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["state.json", *(p.name for p in folder.glob("*.locard-index"))])
    assert not [p for p in folder.rglob("*") if ".tmp-" in p.name or ".old-" in p.name]


@pytest.mark.parametrize("how", ["expunge", "consent", "retention"])
def test_expunged_genotype_text_leaves_the_database_files(sqlite_store: Store, tmp_path: Path,
                                                          how: str) -> None:
    """No other profile shares the genotype: its text is in no file afterwards (WAL
    checkpointed and truncated, freed pages zeroed by ``secure_delete``)."""
    store = sqlite_store
    store.add_profile(full_profile(1), specimen_id="CO-1", category="Convicted Offender",
                      legal_basis="conviction", actor="admin")
    _add_target(store, how)
    StoreIndices.open(store, actor="admin", attach=False)
    text = genotype_json(full_profile(TARGET_SEED)).encode()
    assert _holding(tmp_path, text)
    _expunge(store, how)
    assert _holding(tmp_path, text) == []
    assert _holding(tmp_path, SECRET_ID.encode()) == []
    wal = tmp_path / "locard.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0


def test_db_index_saves_what_it_applies(store: Store) -> None:
    """Applying events saves the snapshot: the next open has nothing left to apply."""
    for seed in (1, 2, 3):
        store.add_profile(full_profile(seed), specimen_id=f"CO-{seed}",
                          category="Convicted Offender", legal_basis="conviction",
                          actor="admin")
    StoreIndices.open(store, actor="admin", attach=False)
    store.expunge("CO-2", reason="court order", actor="admin")
    first = StoreIndices.open(store, actor="admin", attach=False)
    assert (first.status.rebuilt, first.status.events_applied) == (False, 1)
    second = StoreIndices.open(store, actor="admin", attach=False)
    assert (second.status.rebuilt, second.status.events_applied) == (False, 0)
    assert second.counts() == {"offender": 2}


def test_failed_snapshot_write_leaves_no_temporary_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = ProfileIndex.build([(1, full_profile(1)), (2, full_profile(2))], name="offender")
    target = tmp_path / "snap" / "offender.locard-index"
    target.parent.mkdir()
    index.save(target)
    before = {p.name: p.read_bytes() for p in _files(target)}
    real = np.save
    calls = {"n": 0}

    def failing(path: Any, arr: Any, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        real(path, arr)
        if calls["n"] == 3:
            raise OSError("disk full")

    monkeypatch.setattr(np, "save", failing)
    index.remove(2)
    with pytest.raises(OSError, match="disk full"):
        index.save(target)
    monkeypatch.undo()
    assert [p.name for p in target.parent.iterdir()] == ["offender.locard-index"]
    assert {p.name: p.read_bytes() for p in _files(target)} == before


def test_purge_of_an_unreadable_snapshot_drops_it(sqlite_store: Store) -> None:
    """A snapshot that cannot be rewritten is deleted rather than left holding the profile."""
    store = sqlite_store
    _add_target(store, "expunge")
    indices = StoreIndices.open(store, actor="admin", attach=False)
    snapshot = indices.directory / "arrestee.locard-index"
    (snapshot / "header.json").write_text("{")
    store.expunge(SECRET_ID, reason="court order", actor="admin")
    assert not snapshot.exists()
    again = StoreIndices.open(store, actor="admin", attach=False)
    assert again.counts() == {}


def test_saved_dictionaries_keep_no_trace_of_removed_profiles(tmp_path: Path) -> None:
    """A dictionary grows in order of first sight; saved, it holds only the alleles of live
    rows, in allele order, so neither a removed profile's alleles nor the order of addition
    survive in ``header.json``."""
    gone = Profile.from_mapping({"D8S1179": ["19.3", "20"], "TH01": ["4", "13.3"],
                                 "vWA": ["11", "24"]})
    kept = Profile.from_mapping({"D8S1179": ["14", "13"], "TH01": ["9.3", "6"],
                                 "vWA": ["17", "16"]})
    index = ProfileIndex.build([(1, gone), (2, kept)], name="offender")
    assert "19.3" in (index.save(tmp_path / "a") / "header.json").read_text()
    index.remove(1)
    header = json.loads((index.save(tmp_path / "b") / "header.json").read_text())
    by_locus = dict(zip(header["loci"], header["alleles"], strict=True))
    assert (by_locus["D8S1179"], by_locus["TH01"], by_locus["vWA"]) == (
        ["13", "14"], ["6", "9.3"], ["16", "17"])
    assert sum(map(len, header["alleles"])) == 6
    for folder in (tmp_path / "b", None):
        again = index if folder is None else ProfileIndex.load(folder)
        assert again.get(1) is None
        found = again.get(2)
        assert found is not None and found.loci == kept.loci
        [hit] = again.search(kept, stringency="high", min_loci=3)
        assert hit.key == 2


def test_leftovers_of_interrupted_saves_are_deleted(sqlite_store: Store) -> None:
    """A ``.tmp-<pid>`` / ``.old-<pid>`` folder left by a save that crashed (its process is
    gone) may hold the profile: the purge after an expungement deletes it."""
    import subprocess
    import sys

    store = sqlite_store
    _add_target(store, "expunge")
    indices = StoreIndices.open(store, actor="admin", attach=False)
    snapshot = indices.directory / "arrestee.locard-index"
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(done.stdout)
    leftovers = [snapshot.with_name(f"{snapshot.name}.tmp-{dead}"),
                 snapshot.with_name(f"{snapshot.name}.old-{dead}")]
    for path in leftovers:
        shutil.copytree(snapshot, path)
    alive = snapshot.with_name(f"{snapshot.name}.tmp-{os.getppid()}")  # a running process
    shutil.copytree(snapshot, alive)
    store.expunge(SECRET_ID, reason="court order", actor="admin")
    assert not any(p.exists() for p in leftovers)
    assert alive.exists()  # another live process's save in progress is left alone
