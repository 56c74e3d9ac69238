"""The store's search indices: one :class:`~locard.search.ProfileIndex` per store index.

:class:`StoreIndices` holds an encoded index for every store index (offender, arrestee,
forensic, missing person, unidentified remains, relatives and the local indices), keyed by the
store's specimen primary keys (int64). Single-source profiles go to the encoded segment,
mixtures to the mixture segment (``ProfileIndex.add`` decides). The snapshot carries no
specimen IDs: a key is resolved to lab + specimen ID through the database, at search time.

Lifecycle
---------
- **Snapshot** next to the database: SQLite ``locard.db`` -> ``locard.db.index/``; PostgreSQL
  (or any server) -> ``$LOCARD_INDEX_DIR/<db hash>/`` or ``~/.cache/locard/<db hash>/``.
  One ``<index>.locard-index/`` folder per index and ``state.json`` with the last applied
  store event sequence and the database's identity.
- **Open** (:meth:`StoreIndices.open`): load the snapshot and bring it up to date from
  ``Store.events_since(seq)`` (imports added, expungements removed) instead of rebuilding; a
  missing, foreign or unreadable snapshot is rebuilt from ``Store.iter_genotypes`` (audited).
- **Kept in step**: :meth:`StoreIndices.attach` registers ``on_import`` / ``on_expunge`` hooks
  that apply the new events as soon as the store commits them; an expungement also saves the
  snapshot at once. Opening saves what it applied, so the same events are never applied twice.
- **Expunged leaves no file behind**: after every expungement, before it reports success, the
  store calls :func:`purge_snapshot`, which rewrites each snapshot that still holds one of the
  expunged keys without it (write aside, fsync, rename; the old files deleted), drops a snapshot
  it cannot rewrite, and removes leftovers of interrupted saves; this holds when no index is
  loaded in the process too (the CLI).
- **Expunged never matches**: every key named by an ``expunge`` event (the store's tombstones,
  by key) is passed as ``expunged=`` when a snapshot is loaded, so a stale snapshot cannot bring
  a profile back; the searcher also resolves every candidate key in the database and drops one
  that no longer exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from locard.errors import LocardError
from locard.genetics.profiles import Profile
from locard.search.index import DEFAULT_LOCI, ProfileIndex
from locard.store import schema as S
from locard.store.categories import Index, parse_index
from locard.store.store import Store

__all__ = [
    "INDEX_DIR_ENV",
    "STATE_FORMAT",
    "IndexStatus",
    "SpecimenRow",
    "StoreIndices",
    "expunged_keys",
    "index_dir_for",
    "purge_snapshot",
    "specimen_rows",
]

INDEX_DIR_ENV = "LOCARD_INDEX_DIR"
STATE_FORMAT = "locard-store-indices"
STATE_VERSION = 1
SNAPSHOT_SUFFIX = ".locard-index"
MAINTENANCE_PURPOSE = "search index maintenance"


def index_dir_for(store: Store, directory: str | os.PathLike[str] | None = None) -> Path:
    """Where the store's index snapshot lives: ``directory`` if given; for SQLite the database
    file + ``.index``; otherwise ``$LOCARD_INDEX_DIR/<hash>`` or ``~/.cache/locard/<hash>``,
    ``<hash>`` the first 16 hex digits of the SHA-256 of the database URL (password hidden)."""
    if directory is not None:
        return Path(directory)
    url = sa.make_url(store.db.url)
    if store.db.is_sqlite and url.database:
        return Path(url.database + ".index")
    digest = hashlib.sha256(store.db.display_url.encode()).hexdigest()[:16]
    root = os.environ.get(INDEX_DIR_ENV)
    base = Path(root) if root else Path.home() / ".cache" / "locard"
    return base / digest


def expunged_keys(store: Store) -> set[int]:
    """Every specimen key ever expunged (the ``expunge`` events: the tombstones, by key).
    Keys are never reused, so a key in this set never matches again."""
    with store.db.read() as conn:
        rows = conn.execute(sa.select(S.events.c.first_pk, S.events.c.last_pk)
                            .where(S.events.c.kind == "expunge")).all()
    out: set[int] = set()
    for first, last in rows:
        out.update(range(int(first), int(last) + 1))
    return out


@dataclass(frozen=True, slots=True)
class SpecimenRow:
    """What the search layer needs to know of a stored specimen (resolved from its key)."""

    key: int
    lab: str
    specimen_id: str
    index: Index
    local_only: bool


def specimen_rows(store: Store, keys: Iterable[int]) -> dict[int, SpecimenRow]:
    """Lab, specimen ID, index and local flag of the keys that still exist (an expunged key is
    simply absent). Internal to the store layer: callers scope what they show."""
    wanted = sorted({int(k) for k in keys})
    out: dict[int, SpecimenRow] = {}
    with store.db.read() as conn:
        for start in range(0, len(wanted), 500):
            part = wanted[start:start + 500]
            rows = conn.execute(
                sa.select(S.specimens.c.id, S.labs.c.code, S.specimens.c.specimen_id,
                          S.specimens.c.idx, S.specimens.c.local_only)
                .join(S.labs, S.labs.c.id == S.specimens.c.lab_id)
                .where(S.specimens.c.id.in_(part))).all()
            for r in rows:
                out[int(r[0])] = SpecimenRow(int(r[0]), str(r[1]), str(r[2]),
                                             parse_index(str(r[3])), bool(r[4]))
    return out


def _genotypes_by_key(store: Store, first: int, last: int
                      ) -> Iterator[tuple[int, str, str]]:
    """``(key, index, genotype JSON)`` of the live specimens with keys in [first, last]."""
    q = (sa.select(S.specimens.c.id, S.specimens.c.idx, S.genotypes.c.profile_json)
         .join(S.genotypes, S.genotypes.c.specimen_pk == S.specimens.c.id)
         .where(S.specimens.c.id >= first, S.specimens.c.id <= last)
         .order_by(S.specimens.c.id))
    with store.db.read() as conn:
        for r in conn.execute(q):
            yield int(r[0]), str(r[1]), str(r[2])


@dataclass
class IndexStatus:
    """What :meth:`StoreIndices.open` / :meth:`StoreIndices.refresh` did."""

    directory: Path
    rebuilt: bool = False
    reason: str | None = None
    events_applied: int = 0
    added: int = 0
    removed: int = 0
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The status as a JSON-ready dict."""
        return {"directory": str(self.directory), "rebuilt": self.rebuilt,
                "reason": self.reason, "events_applied": self.events_applied,
                "added": self.added, "removed": self.removed, "skipped": list(self.skipped)}


class StoreIndices:
    """The store's encoded indices, one per :class:`Index`, kept in step with the store.

    Build with :meth:`open`; search through :mod:`locard.store.searching`."""

    def __init__(self, store: Store, directory: Path, *,
                 loci: Sequence[str] = DEFAULT_LOCI) -> None:
        self.store = store
        self.directory = directory
        self.loci = tuple(loci)
        self.indices: dict[Index, ProfileIndex] = {
            idx: ProfileIndex(idx.value, loci=self.loci) for idx in Index}
        self.seq = 0
        self.dirty: set[Index] = set()
        self.status = IndexStatus(directory)
        self._attached = False

    # --- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, store: Store, *, actor: str, directory: str | os.PathLike[str] | None = None,
             loci: Sequence[str] = DEFAULT_LOCI, attach: bool = True,
             save: bool = True) -> StoreIndices:
        """The store's indices from their snapshot, brought up to date from the event feed
        (rebuilt from the database when there is no usable snapshot; the rebuild reads every
        genotype through :meth:`Store.iter_genotypes`, audited as ``actor``). With ``attach``
        the indices follow later imports and expungements; with ``save`` a changed snapshot
        is written back."""
        self = cls(store, index_dir_for(store, directory), loci=loci)
        reason = self._load()
        loaded_seq = self.seq
        if reason is not None:
            self.rebuild(actor=actor, reason=reason)
        else:
            self.refresh()
        # the applied sequence is saved even when no profile changed (an expungement that the
        # loaded snapshot no longer held), so the next open does not apply it again
        if save and (self.dirty or self.status.rebuilt or self.seq != loaded_seq):
            self.save()
        if attach:
            self.attach()
        return self

    def _identity(self) -> str:
        """The database's identity (a salted reference of a fixed name: differs between
        databases, reveals nothing)."""
        return self.store.specimen_ref("\x00locard-index", "\x00identity")[:32]

    def _state_path(self) -> Path:
        return self.directory / "state.json"

    def _load(self) -> str | None:
        """Load the snapshot; returns why a rebuild is needed, or None."""
        state_path = self._state_path()
        if not state_path.is_file():
            return "no snapshot"
        try:
            state = json.loads(state_path.read_text())
        except (OSError, json.JSONDecodeError):
            return "unreadable snapshot state"
        if state.get("format") != STATE_FORMAT or int(state.get("version", 0)) != STATE_VERSION:
            return "snapshot of another format"
        if state.get("database") != self._identity():
            return "snapshot of another database"
        if tuple(state.get("loci", ())) != self.loci:
            return "snapshot of other loci"
        seq = int(state.get("seq", 0))
        events = self.store.events_since(0)
        last = int(events[-1]["seq"]) if events else 0
        if seq > last:
            return "snapshot newer than the database"
        gone = expunged_keys(self.store)
        try:
            for idx in Index:
                folder = self.directory / f"{idx.value}{SNAPSHOT_SUFFIX}"
                if folder.is_dir():
                    loaded = ProfileIndex.load(folder)
                    if loaded.loci != self.loci:
                        return "snapshot of other loci"
                    for key in gone:  # a row still on disk: the snapshot is rewritten
                        if loaded.remove(key):
                            self.dirty.add(idx)
                    self.indices[idx] = loaded
        except (LocardError, OSError, ValueError) as exc:
            return f"unreadable snapshot ({exc})"
        self.seq = seq
        return None

    # --- building and updating -----------------------------------------------------------------

    def _add(self, key: int, index: str, genotype: str) -> None:
        idx = parse_index(index)
        try:
            self.indices[idx].add(key, Profile.from_canonical_json(genotype))
        except LocardError as exc:  # e.g. a mixture beyond the encoder's slots
            self.status.skipped.append(f"key {key}: {exc}")
            return
        self.dirty.add(idx)
        self.status.added += 1

    def rebuild(self, *, actor: str, reason: str = "rebuild requested") -> None:
        """Re-encode every stored profile (one audited scan of the database)."""
        events = self.store.events_since(0)
        seq = int(events[-1]["seq"]) if events else 0
        self.indices = {idx: ProfileIndex(idx.value, loci=self.loci) for idx in Index}
        self.status.rebuilt, self.status.reason = True, reason
        for key, _lab, _sid, index, _local, genotype in self.store.iter_genotypes(
                actor=actor, purpose=MAINTENANCE_PURPOSE):
            self._add(key, index, genotype)
        for idx in self.indices.values():
            idx.compact()
        self.dirty = set(Index)
        self.seq = seq
        # imports committed during the scan are picked up (add replaces a key)
        self.refresh()

    def refresh(self) -> int:
        """Apply the store's events after :attr:`seq`; returns how many were applied."""
        events = self.store.events_since(self.seq)
        for ev in events:
            first, last = int(ev["first_key"]), int(ev["last_key"])
            if ev["kind"] == "import":
                for key, index, genotype in _genotypes_by_key(self.store, first, last):
                    self._add(key, index, genotype)
            elif ev["kind"] == "expunge":
                for key in range(first, last + 1):
                    self._remove(key)
            self.seq = int(ev["seq"])
        self.status.events_applied += len(events)
        return len(events)

    def _remove(self, key: int) -> None:
        for idx, pindex in self.indices.items():
            if pindex.remove(key):
                self.dirty.add(idx)
                self.status.removed += 1
            else:
                pindex.expunged.add(key)

    def attach(self) -> None:
        """Follow the store: every committed import or expungement is applied at once."""
        if self._attached:
            return
        self.store.on_import.insert(0, self._on_import)
        self.store.on_expunge.insert(0, self._on_expunge)
        self._attached = True

    def detach(self) -> None:
        """Stop following the store: remove this object's import and expungement hooks."""
        for hooks, hook in ((self.store.on_import, self._on_import),
                            (self.store.on_expunge, self._on_expunge)):
            while hook in hooks:
                hooks.remove(hook)
        self._attached = False

    def _on_import(self, _lab: str, _keys: list[int]) -> None:
        self.refresh()

    def _on_expunge(self, _lab: str, keys: list[int]) -> None:
        self.refresh()
        for key in keys:  # by key too, whatever the event feed says
            self._remove(key)
        if self.directory.is_dir():  # the snapshot on disk must not keep the genotype
            self.save()

    # --- snapshot --------------------------------------------------------------------------------

    def save(self) -> Path:
        """Write the changed indices and the state (the applied event sequence)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for idx in sorted(self.dirty, key=lambda i: list(Index).index(i)):
            self.indices[idx].save(self.directory / f"{idx.value}{SNAPSHOT_SUFFIX}")
        state = {"format": STATE_FORMAT, "version": STATE_VERSION, "seq": self.seq,
                 "database": self._identity(), "loci": list(self.loci),
                 "counts": {i.value: len(p) for i, p in self.indices.items()}}
        tmp = self._state_path().with_name(f"state.json.tmp-{os.getpid()}")
        try:
            with tmp.open("w") as fh:
                fh.write(json.dumps(state, indent=1, sort_keys=True))
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(self._state_path())
        finally:
            tmp.unlink(missing_ok=True)
        self.dirty.clear()
        return self.directory

    def drop_snapshot(self) -> None:
        """Delete the snapshot folder (the next open rebuilds)."""
        if self.directory.exists():
            shutil.rmtree(self.directory)

    # --- access ----------------------------------------------------------------------------------

    def __getitem__(self, index: Index | str) -> ProfileIndex:
        return self.indices[parse_index(index)]

    def counts(self) -> dict[str, int]:
        """Profiles per index (the index's value), non-empty indices only."""
        return {i.value: len(p) for i, p in self.indices.items() if len(p)}

    def expunged(self) -> set[int]:
        """The record keys expunged since the indices were loaded, all indices together."""
        out: set[int] = set()
        for p in self.indices.values():
            out |= p.expunged
        return out


def _leftover_of_dead_save(path: Path) -> bool:
    """A ``<name>.tmp-<pid>`` / ``<name>.old-<pid>`` folder of a save that will not finish: the
    pid is this process (its save is over) or no longer runs."""
    for marker in (".tmp-", ".old-"):
        head, sep, pid = path.name.rpartition(marker)
        if sep and head and pid.isdigit():
            if int(pid) == os.getpid():
                return True
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                return True
            except OSError:  # alive, another user's
                return False
            return False
    return False


def purge_snapshot(store: Store, keys: Iterable[int], *,
                   directory: str | os.PathLike[str] | None = None) -> list[str]:
    """Remove expunged ``keys`` from the store's index snapshot on disk (called by the store
    after every expungement, before it reports success, whether or not an index is loaded).

    Each ``<index>.locard-index`` folder that still holds one of the keys is rewritten without
    it (:meth:`ProfileIndex.save`: written aside, fsynced, renamed into place, the old files
    deleted); a snapshot that cannot be read or rewritten is deleted with ``state.json``, so
    the next open rebuilds from the database; leftovers of interrupted saves are deleted.
    The applied event sequence is left as it is (the next open applies the expungement to an
    index that no longer holds it). Returns the names of the folders rewritten or deleted."""
    wanted = sorted({int(k) for k in keys})
    folder = index_dir_for(store, directory)
    if not folder.is_dir():
        return []
    done: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.is_dir() and _leftover_of_dead_save(path):
            shutil.rmtree(path, ignore_errors=True)
            done.append(path.name)
    drop = False
    for path in sorted(folder.glob(f"*{SNAPSHOT_SUFFIX}")):
        if not wanted or not path.is_dir():
            continue
        try:
            index = ProfileIndex.load(path)
            held = [k for k in wanted if index.remove(k)]
            if held:
                index.save(path)
                done.append(path.name)
        except (LocardError, OSError, ValueError):
            shutil.rmtree(path, ignore_errors=True)
            done.append(path.name)
            drop = True
        if path.exists() and not (path / "header.json").is_file():
            shutil.rmtree(path, ignore_errors=True)
            drop = True
    if drop:  # an index is missing from the snapshot: the next open must rebuild
        (folder / "state.json").unlink(missing_ok=True)
    return done
