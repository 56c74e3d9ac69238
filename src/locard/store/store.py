"""The Locard database: persistence and governance of STR profiles.

:class:`Store` is the one door into the database. Every method that touches specimens takes the
acting user's name (``actor``) and writes one entry to the tamper-evident audit log; searches
and exports also take a stated purpose (a case number). What a user may do follows the role
(:data:`PERMISSIONS`) and the lab: a lab sees the details only of its own specimens; another
lab's specimen shows only the lab and specimen IDs (as NDIS does).

Specimens are referred to in the audit log and in tombstones by a salted SHA-256 reference
(:meth:`Store.specimen_ref`), never by their IDs, so that expungement leaves nothing behind but
the tombstone.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import secrets
import shlex
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from locard.errors import (
    AuthenticationFailed,
    DecisionFinal,
    ImportFailed,
    InputError,
    LocardError,
    NotFound,
    PermissionDenied,
    PolicyViolation,
    SchemaTooNew,
    SchemaTooOld,
    StoreError,
    UnknownKit,
)
from locard.formats import ProfileRecord, read_profiles, write_profiles
from locard.formats.cmf import CmfLimit, cmf_limits
from locard.genetics.kits import Kit, find_kit, outside_ladder
from locard.genetics.profiles import Profile, genotype_digest
from locard.store import schema as S
from locard.store.audit import GENESIS_HASH, AuditEntry, canonical_json, entry_hash, verify_chain
from locard.store.categories import Index, canonical_category, index_for_category, parse_index
from locard.store.database import Database
from locard.store.policy import Policy, load_policy

__all__ = [
    "AUDIT_PAGE_MAX",
    "PERMISSIONS",
    "ROLES",
    "AuditPage",
    "CandidateMatch",
    "ExportOmission",
    "ExportReport",
    "ImportProblem",
    "ImportReport",
    "MatchDecision",
    "SpecimenView",
    "Store",
    "User",
]

ROLES = ("analyst", "reviewer", "administrator", "auditor")

#: action -> roles allowed to perform it
PERMISSIONS: dict[str, frozenset[str]] = {
    "import": frozenset({"analyst", "administrator"}),
    "view": frozenset({"analyst", "reviewer", "administrator"}),
    "search": frozenset({"analyst", "reviewer", "administrator"}),
    "export": frozenset({"analyst", "administrator"}),
    "case": frozenset({"analyst", "administrator"}),
    "record_match": frozenset({"analyst", "reviewer", "administrator"}),
    "decide_match": frozenset({"reviewer", "administrator"}),
    "expunge": frozenset({"administrator"}),
    "consent_withdraw": frozenset({"analyst", "administrator"}),
    "retention": frozenset({"administrator"}),
    "users": frozenset({"administrator"}),
    "audit": frozenset({"auditor", "administrator"}),
    "migrate": frozenset({"administrator"}),
}

BATCH = 10_000
#: the most audit entries one page may hold (:meth:`Store.audit_page`)
AUDIT_PAGE_MAX = 10_000
#: the states of a candidate match (decisions: confirmed or rejected)
MATCH_STATUSES = ("pending", "confirmed", "rejected")
TOKEN_PREFIX = "lcd"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def genotype_json(profile: Profile, cache: dict[int, tuple[Any, str]] | None = None) -> str:
    """Canonical JSON of the genotype alone (no specimen ID, no kit): the same text as
    :meth:`Profile.genotype_json` (tested), built faster. ``cache`` (per import) reuses the text
    of locus calls that the reader shares between profiles."""
    parts = []
    for locus in sorted(profile.loci):
        call = profile.loci[locus]
        hit = cache.get(id(call)) if cache is not None else None
        if hit is None or hit[0] is not call:
            entry: dict[str, Any] = {"alleles": [str(a) for a in call.alleles]}
            if call.heights is not None:
                entry["heights"] = list(call.heights)
            if call.inconclusive:
                entry["inconclusive"] = True
            text = json.dumps(entry, sort_keys=True, separators=(",", ":"))
            if cache is not None and len(cache) < 500_000:
                cache[id(call)] = (call, text)
        else:
            text = hit[1]
        parts.append(f"{json.dumps(locus)}:{text}")
    return '{"loci":{' + ",".join(parts) + "}}"


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: str
    lab_id: int
    lab: str
    active: bool = True
    #: moves on logout, token rotation and deactivation; a session issued under another
    #: epoch is dead (:meth:`Store.revoke_sessions`)
    session_epoch: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "lab": self.lab, "active": self.active}


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One bad record: where, what and which rule."""

    file: str
    specimen: str | None
    message: str
    rule: str | None = None
    locus: str | None = None
    value: str | None = None
    record: int | None = None

    def __str__(self) -> str:
        rule = f" [rule {self.rule}]" if self.rule else ""
        if self.message.startswith(Path(self.file).name + ":"):
            return self.message + rule  # a reader's message names the place already
        where = [self.file]
        if self.record is not None:
            where.append(f"record {self.record}")
        if self.specimen:
            where.append(f"specimen {self.specimen!r}")
        if self.locus:
            where.append(self.locus)
        if self.value is not None:
            where.append(f"value {self.value!r}")
        return ": ".join(where) + f": {self.message}{rule}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "specimen": self.specimen, "record": self.record,
                "locus": self.locus, "value": self.value, "rule": self.rule,
                "message": self.message}


@dataclass(frozen=True, slots=True)
class ExportOmission:
    """Something an export did not write, and why: a whole record (``skipped``), or a part of
    one (``left_out``: a locus without a CODIS name, a kit CODIS does not list)."""

    specimen: str
    what: str
    value: str | None
    message: str

    def __str__(self) -> str:
        return f"specimen {self.specimen!r}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"specimen": self.specimen, "what": self.what, "value": self.value,
                "message": self.message}


@dataclass
class ExportReport:
    """What an export wrote: ``count`` specimens to ``path``; ``left_out`` the parts of written
    records that the format cannot carry; ``skipped`` the records it could not write at all
    (only records stored before the import applied the format's rule). Never silent.
    ``local_only`` counts the written profiles kept local (marked in CSV and JSON);
    ``excluded_local_only`` those not written because the export excluded them."""

    path: str
    format: str
    count: int
    left_out: list[ExportOmission] = field(default_factory=list)
    skipped: list[ExportOmission] = field(default_factory=list)
    local_only: int = 0
    excluded_local_only: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"exported": self.count, "path": self.path, "format": self.format,
                "left_out": [x.to_dict() for x in self.left_out],
                "skipped": [x.to_dict() for x in self.skipped],
                "local_only": self.local_only,
                "excluded_local_only": self.excluded_local_only}


@dataclass
class ImportReport:
    """What an import did: counts accepted/rejected per index, every problem."""

    path: str
    format: str | None
    source_digest: str
    lab: str
    accepted: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    local_only: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    seconds: float = 0.0
    first_pk: int | None = None
    last_pk: int | None = None
    #: the specimen IDs stored, in file order
    specimens: list[str] = field(default_factory=list)
    #: the candidate matches that search on entry recorded for this import
    matches: list[CandidateMatch] = field(default_factory=list)
    #: a dry run (``import_file(dry_run=True)``): nothing was written; ``accepted`` is what
    #: would be, ``would_import`` what an import with the same options would store
    dry_run: bool = False
    would_import: int | None = None
    #: records skipped as controls or ladders (the policy's ``[controls]`` patterns): their
    #: sample names, in file order; never stored, not errors
    controls: list[str] = field(default_factory=list)
    #: alleles outside the kit's ladder range in records that were stored all the same (the
    #: index's ``outside_ladder = "flag"``, or ``allow_off_ladder``)
    flagged: list[ImportProblem] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return sum(self.accepted.values())

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "source_sha256": self.source_digest,
                "lab": self.lab, "imported": self.imported,
                "accepted": dict(self.accepted), "rejected": dict(self.rejected),
                "local_only": self.local_only, "seconds": round(self.seconds, 3),
                "problems": [p.to_dict() for p in self.problems],
                "specimens": list(self.specimens),
                "matches_created": len(self.matches),
                "matches": [m.to_dict() for m in self.matches],
                "dry_run": self.dry_run, "would_import": self.would_import,
                "controls": list(self.controls),
                "flagged": [p.to_dict() for p in self.flagged]}


@dataclass(frozen=True, slots=True)
class AuditPage:
    """A page of the audit log: ``entries`` newest first (oldest first when read with
    ``after_seq``); ``next_before`` (or ``next_after``) continues it, None on the last page."""

    entries: tuple[AuditEntry, ...]
    next_before: int | None = None
    next_after: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"entries": [e.to_dict() for e in self.entries],
                "next_before": self.next_before, "next_after": self.next_after}


@dataclass(frozen=True, slots=True)
class SpecimenView:
    """A specimen as one user may see it. ``restricted`` views (another lab's specimen) carry
    only the lab, the specimen ID and the index."""

    lab: str
    specimen_id: str
    index: str
    restricted: bool
    category: str | None = None
    legal_basis: str | None = None
    consent: str | None = None
    local_only: bool | None = None
    kit: str | None = None
    retention_until: str | None = None
    created_at: str | None = None
    #: the profile's RMP over all its loci (CPI for a mixture), when the policy computed it
    rmp: float | None = None
    profile: Profile | None = None
    #: the lab a received record came from (imported with ``--received-from``); the
    #: specimen's ``lab`` owns it. None: the lab's own record.
    source_lab: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"lab": self.lab, "specimen_id": self.specimen_id,
                               "index": self.index, "restricted": self.restricted}
        if not self.restricted:
            out.update({"category": self.category, "legal_basis": self.legal_basis,
                        "consent": self.consent, "local_only": self.local_only,
                        "kit": self.kit, "retention_until": self.retention_until,
                        "created_at": self.created_at, "rmp": self.rmp,
                        "source_lab": self.source_lab,
                        "profile": self.profile.to_dict()["loci"] if self.profile else None})
        return out


@dataclass(frozen=True, slots=True)
class CandidateMatch:
    id: int
    query_lab: str
    query_specimen: str
    candidate_lab: str
    candidate_specimen: str
    mode: str
    stringency: str
    compared_loci: int
    mismatches: int
    #: the statistic of the match: the candidate's RMP over the compared loci (CPI for a
    #: mixture candidate), :func:`locard.store.statistics.match_rmp`
    rmp: float | None
    likelihood_ratio: float | None
    status: str
    reviewer: str | None
    note: str | None
    #: the latest decision (``Store.match_decisions`` has the history); None while pending
    decision_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(frozen=True, slots=True)
class MatchDecision:
    """One decision on a candidate match, never edited: a correction is a new decision whose
    ``supersedes`` is the id of the decision it corrects."""

    id: int
    match_id: int
    status: str
    note: str
    reviewer: str | None
    decided_at: str
    supersedes: int | None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass
class _Staged:
    record_no: int | None
    specimen_id: str
    profile: Profile
    category: str
    index: Index
    legal_basis: str
    local_only: bool
    kit: str | None
    rmp: float | None
    #: the record's own consent reference (CSV column, side file), else the import's
    consent: str | None = None
    #: the lab a received record came from (``received_from``); None: the lab's own
    source_lab: str | None = None


#: run after an import commits, with ``(lab, [specimen keys])``; a hook that records candidate
#: matches (search on entry) returns their IDs, which the import's report lists
ImportHook = Callable[[str, list[int]], Sequence[int] | None]
#: progress of a long operation: ``(phase, done, total)``, total None while unknown
ProgressHook = Callable[[str, int, int | None], None]
ExpungeHook = Callable[[str, list[int]], None]


class Store:
    """A Locard database. Open one with :meth:`open` (checks the schema version) or create
    one with :meth:`init`."""

    def __init__(self, db: Database, policy: Policy) -> None:
        self.db = db
        self.policy = policy
        #: callbacks ``(lab, [specimen keys])`` run after an import / expungement commits
        self.on_import: list[ImportHook] = []
        self.on_expunge: list[ExpungeHook] = []
        #: told the progress of imports and exports (the CLI's progress bars); None: silent
        self.on_progress: ProgressHook | None = None
        self._salt: str | None = None

    # --- opening, creating, migrating ----------------------------------------------------------

    @classmethod
    def open(cls, url_or_path: str | os.PathLike[str] | None = None, *,
             policy: Policy | str | os.PathLike[str] | None = None) -> Store:
        """Open an existing database for use. Raises :class:`SchemaTooOld` (run ``locard db
        migrate``), :class:`SchemaTooNew`, or :class:`StoreError` for a non-Locard database."""
        store = cls(Database.connect(url_or_path), _policy(policy))
        found = store.schema_version()
        if found is None:
            store.close()
            raise StoreError(f"{store.db.display_url} is not a Locard database",
                             remedy="create one with `locard init`")
        if found > S.SCHEMA_VERSION:
            store.close()
            raise SchemaTooNew(found, S.SCHEMA_VERSION)
        if found < S.SCHEMA_VERSION:
            store.close()
            raise SchemaTooOld(found, S.SCHEMA_VERSION)
        return store

    @classmethod
    def init(cls, url_or_path: str | os.PathLike[str] | None = None, *,
             admin: str | None = None, lab: str = "LOCAL",
             policy: Policy | str | os.PathLike[str] | None = None) -> Store:
        """Create (or migrate) a database and its first administrator (``admin``, default the
        OS user) in ``lab``. On an existing, current database this is a no-op that returns it."""
        store = cls(Database.connect(url_or_path, create=True), _policy(policy))
        found = store.schema_version()
        if found is not None and found > S.SCHEMA_VERSION:
            store.close()
            raise SchemaTooNew(found, S.SCHEMA_VERSION)
        applied = store._apply_migrations()
        admin_name = admin or _os_user()
        with store.db.write() as conn:
            has_users = conn.execute(sa.select(sa.func.count()).select_from(S.users)).scalar_one()
            if not has_users:
                lab_id = store._ensure_lab(conn, lab)
                conn.execute(S.users.insert().values(name=admin_name, role="administrator",
                                                     lab_id=lab_id, active=True,
                                                     created_at=_now()))
                store._audit(conn, None, "init", lab=lab, details={
                    "schema_version": S.SCHEMA_VERSION, "migrations": applied,
                    "administrator": admin_name, "lab": lab,
                    "policy": store.policy.name, "policy_sha256": store.policy.sha256})
            elif applied:
                store._audit(conn, None, "migrate", {"migrations": applied,
                                                     "schema_version": S.SCHEMA_VERSION})
        return store

    @classmethod
    def migrate(cls, url_or_path: str | os.PathLike[str] | None = None, *,
                actor: str | None = None) -> list[str]:
        """Apply pending migrations to an existing database; returns their names."""
        store = cls(Database.connect(url_or_path), load_policy())
        try:
            found = store.schema_version()
            if found is None:
                raise StoreError(f"{store.db.display_url} is not a Locard database",
                                 remedy="create one with `locard init`")
            if found > S.SCHEMA_VERSION:
                raise SchemaTooNew(found, S.SCHEMA_VERSION)
            if actor is not None:
                with store.db.read() as conn:
                    user = store._user(conn, actor, legacy=True)
                store._require(user, "migrate")
            applied = store._apply_migrations()
            if applied:
                with store.db.write() as conn:
                    user_row = store._user(conn, actor) if actor else None
                    store._audit(conn, user_row, "migrate",
                                 {"migrations": applied, "schema_version": S.SCHEMA_VERSION})
            return applied
        finally:
            store.close()

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int | None:
        """The version recorded in the database, or None when it is not a Locard database."""
        with self.db.read() as conn:
            if not sa.inspect(conn).has_table("locard_meta"):
                return None
            value = conn.execute(sa.select(S.locard_meta.c.value).where(
                S.locard_meta.c.key == "schema_version")).scalar_one_or_none()
        return int(value) if value is not None else 0

    def _apply_migrations(self, *, upto: int | None = None) -> list[str]:
        target = S.SCHEMA_VERSION if upto is None else upto
        applied: list[str] = []
        with self.db.write() as conn:
            insp = sa.inspect(conn)
            done: set[str] = set()
            if insp.has_table("schema_migrations"):
                done = set(conn.execute(sa.select(S.schema_migrations.c.name)).scalars())
            for version, (name, func) in enumerate(S.MIGRATIONS[:target], start=1):
                if name in done:
                    continue
                func(conn)
                conn.execute(S.schema_migrations.insert().values(
                    version=version, name=name, applied_at=_now()))
                applied.append(name)
            if applied:
                self._set_meta(conn, "schema_version", str(target))
                if self._get_meta(conn, "salt") is None:
                    self._set_meta(conn, "salt", secrets.token_hex(32))
                    self._set_meta(conn, "next_specimen_pk", "1")
                    self._set_meta(conn, "created_at", _now())
        return applied

    @staticmethod
    def _get_meta(conn: sa.Connection, key: str) -> str | None:
        value = conn.execute(sa.select(S.locard_meta.c.value).where(
            S.locard_meta.c.key == key)).scalar_one_or_none()
        return None if value is None else str(value)

    @staticmethod
    def _set_meta(conn: sa.Connection, key: str, value: str) -> None:
        updated = conn.execute(S.locard_meta.update().where(S.locard_meta.c.key == key)
                               .values(value=value)).rowcount
        if not updated:
            conn.execute(S.locard_meta.insert().values(key=key, value=value))

    # --- references and the audit log ----------------------------------------------------------

    def _salt_value(self) -> str:
        if self._salt is None:
            with self.db.read() as conn:
                salt = self._get_meta(conn, "salt")
            if salt is None:
                raise StoreError("database has no salt", remedy="run `locard init`")
            self._salt = salt
        return self._salt

    def specimen_ref(self, lab: str, specimen_id: str) -> str:
        """Salted SHA-256 of lab + specimen ID: how the audit log and tombstones name a
        specimen. An auditor who knows an ID can compute its reference to search the log."""
        data = f"{self._salt_value()}\x1f{lab}\x1f{specimen_id}".encode()
        return hashlib.sha256(data).hexdigest()

    def _audit(self, conn: sa.Connection, user: User | None, action: str,
               details: Mapping[str, Any], *, purpose: str | None = None,
               actor_name: str | None = None, lab: str | None = None) -> int:
        """Append one entry to the chain, inside the caller's write transaction (which holds
        the writer lock: BEGIN IMMEDIATE / advisory lock), so that the chain cannot fork."""
        last = conn.execute(sa.select(S.audit_log.c.seq, S.audit_log.c.entry_hash)
                            .order_by(S.audit_log.c.seq.desc()).limit(1)).first()
        seq = 1 if last is None else int(last.seq) + 1
        prev = GENESIS_HASH if last is None else str(last.entry_hash)
        at = _now()
        name = user.name if user else (actor_name or _os_user())
        role = user.role if user else None
        lab = user.lab if user else lab
        details_text = canonical_json(dict(details))
        h = entry_hash(seq=seq, at=at, user=name, role=role, lab=lab, action=action,
                       purpose=purpose, details=details_text, prev_hash=prev)
        conn.execute(S.audit_log.insert().values(
            seq=seq, at=at, user=name, role=role, lab=lab, action=action, purpose=purpose,
            details=details_text, prev_hash=prev, entry_hash=h))
        return seq

    def _refuse(self, user: User | None, action: str, exc: LocardError,
                details: Mapping[str, Any] | None = None, *, purpose: str | None = None,
                actor_name: str | None = None) -> None:
        """Write a refusal to the audit log (own transaction), then raise ``exc``."""
        with self.db.write() as conn:
            self._audit(conn, user, action, {"refused": str(exc), **dict(details or {})},
                        purpose=purpose, actor_name=actor_name)
        raise exc

    def file_ref(self, name: str) -> str:
        """Salted SHA-256 of a file name: how the audit log names an imported or exported
        file (lab files are often named after a specimen, and the chain cannot be redacted
        after an expungement). An auditor who knows the name can compute it."""
        data = f"{self._salt_value()}\x1ffile\x1f{name}".encode()
        return hashlib.sha256(data).hexdigest()

    def audit_entries(self, *, actor: str, limit: int | None = None,
                      action: str | None = None, user: str | None = None,
                      since: str | None = None, until: str | None = None,
                      before_seq: int | None = None) -> list[AuditEntry]:
        """The audit log of the actor's lab (auditors and administrators), oldest first: the
        last ``limit`` entries (every one without), filtered as in :meth:`audit_page`.
        Reading it is itself audited."""
        page = self._audit_read(actor=actor, limit=limit, before_seq=before_seq,
                                after_seq=None, user=user, action=action, since=since,
                                until=until)
        return list(reversed(page.entries))

    def audit_page(self, *, actor: str, limit: int | None = 100,
                   before_seq: int | None = None, after_seq: int | None = None,
                   user: str | None = None, action: str | None = None,
                   since: str | None = None, until: str | None = None) -> AuditPage:
        """One page of the audit log of the actor's lab (entries whose ``lab`` is the
        reader's; auditors and administrators), read with the filters in SQL: newest first
        below ``before_seq`` (default: from the newest), or oldest first above
        ``after_seq``; at most ``limit`` (1 to :data:`AUDIT_PAGE_MAX`) entries; only
        ``user``'s, only ``action``, only from ``since`` / up to ``until`` (ISO dates or
        times, UTC when no offset is given; a date ``until`` includes that day). The page's
        ``next_before`` / ``next_after`` continue it. A page is an index range
        (``ix_audit_lab_seq``), so its cost does not grow with the log. Reading is audited."""
        if limit is None:
            raise InputError("an audit page needs a limit",
                             remedy=f"give limit 1 to {AUDIT_PAGE_MAX}")
        return self._audit_read(actor=actor, limit=limit, before_seq=before_seq,
                                after_seq=after_seq, user=user, action=action, since=since,
                                until=until)

    def _audit_read(self, *, actor: str, limit: int | None, before_seq: int | None,
                    after_seq: int | None, user: str | None, action: str | None,
                    since: str | None, until: str | None) -> AuditPage:
        if limit is not None and not 1 <= limit <= AUDIT_PAGE_MAX:
            raise InputError(f"audit page limit {limit!r} is not between 1 and "
                             f"{AUDIT_PAGE_MAX}", remedy=f"give limit 1 to {AUDIT_PAGE_MAX} "
                             "and page on with before_seq")
        if before_seq is not None and after_seq is not None:
            raise InputError(f"give before_seq ({before_seq}) or after_seq ({after_seq}), "
                             "not both", remedy="page back with before_seq, forward with "
                             "after_seq")
        lo = _audit_time(since, "since", end=False)
        hi = _audit_time(until, "until", end=True)
        with self.db.read() as conn:
            reader = self._user(conn, actor)
        self._require(reader, "audit")
        filters = {k: v for k, v in (("limit", limit), ("before_seq", before_seq),
                                     ("after_seq", after_seq), ("user", user),
                                     ("action", action), ("since", since), ("until", until))
                   if v is not None}
        with self.db.write() as conn:
            self._audit(conn, reader, "audit_view", filters)
        a = S.audit_log
        q = sa.select(a).where(a.c.lab == reader.lab)
        if user:
            q = q.where(a.c.user == user)
        if action:
            q = q.where(a.c.action == action)
        if lo is not None:
            q = q.where(a.c.at >= lo[0]) if lo[1] else q.where(a.c.at > lo[0])
        if hi is not None:
            q = q.where(a.c.at <= hi[0]) if hi[1] else q.where(a.c.at < hi[0])
        forward = after_seq is not None
        if forward:
            q = q.where(a.c.seq > after_seq).order_by(a.c.seq)
        else:
            if before_seq is not None:
                q = q.where(a.c.seq < before_seq)
            q = q.order_by(a.c.seq.desc())
        if limit is not None:
            q = q.limit(limit + 1)
        with self.db.read() as conn:
            rows = [AuditEntry.from_row(dict(r._mapping)) for r in conn.execute(q)]
        more = limit is not None and len(rows) > limit
        rows = rows[:limit] if limit is not None else rows
        last = rows[-1].seq if rows and more else None
        return AuditPage(tuple(rows), None if forward else last, last if forward else None)

    def specimen_history(self, specimen_id: str, *, lab: str | None = None, actor: str,
                         limit: int = 500) -> list[AuditEntry]:
        """The access history of a specimen, oldest first: the last ``limit`` entries of the
        actor's lab (auditors and administrators) that name its salted reference; another
        lab's entries are never shown (that lab reads its own). Audited."""
        if not 1 <= limit <= AUDIT_PAGE_MAX:
            raise InputError(f"history limit {limit!r} is not between 1 and {AUDIT_PAGE_MAX}",
                             remedy=f"give limit 1 to {AUDIT_PAGE_MAX}")
        with self.db.read() as conn:
            reader = self._user(conn, actor)
        self._require(reader, "audit")
        ref = self.specimen_ref(lab or reader.lab, specimen_id)
        with self.db.write() as conn:
            self._audit(conn, reader, "audit_view", {"specimen_ref": ref, "limit": limit})
        a = S.audit_log
        q = (sa.select(a).where(a.c.lab == reader.lab, a.c.details.contains(ref))
             .order_by(a.c.seq.desc()).limit(limit))
        with self.db.read() as conn:
            rows = [AuditEntry.from_row(dict(r._mapping)) for r in conn.execute(q)]
        return list(reversed(rows))

    def verify_audit(self) -> int:
        """Verify the whole hash chain; returns the number of entries. Raises
        :class:`AuditChainBroken` naming the first edited, deleted or reordered entry."""
        with self.db.read() as conn:
            rows = conn.execute(sa.select(S.audit_log).order_by(S.audit_log.c.seq))
            return verify_chain(dict(r._mapping) for r in rows)

    # --- users, labs, tokens ---------------------------------------------------------------------

    def _ensure_lab(self, conn: sa.Connection, code: str) -> int:
        code = code.strip()
        if not code:
            raise InputError("a lab code cannot be empty")
        lab_id = conn.execute(sa.select(S.labs.c.id).where(S.labs.c.code == code)
                              ).scalar_one_or_none()
        if lab_id is None:
            lab_id = conn.execute(S.labs.insert().values(code=code, created_at=_now())
                                  ).inserted_primary_key[0]  # type: ignore[index]
        return int(lab_id)

    def _lab_id(self, conn: sa.Connection, code: str) -> int:
        lab_id = conn.execute(sa.select(S.labs.c.id).where(S.labs.c.code == code)
                              ).scalar_one_or_none()
        if lab_id is None:
            raise NotFound(f"no lab {code!r} in this database")
        return int(lab_id)

    def _user(self, conn: sa.Connection, name: str | None, *, legacy: bool = False) -> User:
        """The active user ``name``. ``legacy``: without the columns later migrations add
        (for the role check of ``migrate`` on an old database)."""
        name = name or _os_user()
        u = S.users.c
        cols = [u.id, u.name, u.role, u.lab_id, u.active, S.labs.c.code.label("lab_code")]
        if not legacy:
            cols.append(u.session_epoch)
        row = conn.execute(
            sa.select(*cols).join(S.labs, S.labs.c.id == u.lab_id)
            .where(u.name == name)).first()
        if row is None or not row.active:
            raise AuthenticationFailed(f"no active Locard user {name!r} in this database",
                                       remedy="use --user NAME or LOCARD_USER; an "
                                              "administrator adds users with `locard user add`")
        return User(int(row.id), row.name, row.role, int(row.lab_id), row.lab_code,
                    bool(row.active), 0 if legacy else int(row.session_epoch))

    def user(self, name: str | None = None) -> User:
        """The user ``name`` (default ``$LOCARD_USER`` or the OS user)."""
        with self.db.read() as conn:
            return self._user(conn, name)

    def _require(self, user: User, action: str) -> None:
        if user.role not in PERMISSIONS[action]:
            allowed = ", ".join(sorted(PERMISSIONS[action]))
            exc = PermissionDenied(f"user {user.name!r} ({user.role}) may not {action}",
                                   remedy=f"needs the role: {allowed}")
            self._refuse(user, "access_refused", exc, {"attempted": action})

    def _own_lab(self, user: User, action: str, lab: str | None, *,
                 purpose: str | None = None, details: Mapping[str, Any] | None = None) -> str:
        """The lab a write acts on, which is always the actor's own: every write is confined
        to the actor's lab (there is no national administrator). Another lab's code is
        refused before anything changes, and the refusal is audited."""
        lab_code = lab or user.lab
        if lab_code != user.lab:
            exc = PermissionDenied(
                f"user {user.name!r} of lab {user.lab!r} may not {action} for lab "
                f"{lab_code!r}; every write is confined to the user's own lab",
                remedy=f"an administrator of lab {lab_code!r} does it (--user NAME)")
            self._refuse(user, "access_refused", exc,
                         {"attempted": action, "lab": lab_code, **dict(details or {})},
                         purpose=purpose)
        return lab_code

    def add_user(self, name: str, *, role: str, lab: str | None = None, actor: str) -> User:
        """Add a user (administrators only); the lab is created if new."""
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}", remedy="roles: " + ", ".join(ROLES))
        if not name.strip():
            raise InputError("a user name cannot be empty")
        with self.db.read() as conn:
            admin = self._user(conn, actor)
        self._require(admin, "users")
        lab_code = lab or admin.lab
        with self.db.write() as conn:
            exists = conn.execute(sa.select(S.users.c.id).where(S.users.c.name == name)
                                  ).scalar_one_or_none()
            if exists is not None:
                raise InputError(f"user {name!r} already exists")
            lab_id = self._ensure_lab(conn, lab_code)
            conn.execute(S.users.insert().values(name=name, role=role, lab_id=lab_id,
                                                 active=True, created_at=_now()))
            self._audit(conn, admin, "user_change",
                        {"op": "add", "name": name, "role": role, "lab": lab_code})
            return self._user(conn, name)

    def _user_lab(self, conn: sa.Connection, name: str) -> str:
        """The lab of user ``name``, active or not; :class:`NotFound` for no such user."""
        code = conn.execute(sa.select(S.labs.c.code)
                            .join(S.users, S.users.c.lab_id == S.labs.c.id)
                            .where(S.users.c.name == name)).scalar_one_or_none()
        if code is None:
            raise NotFound(f"no user {name!r}", remedy="`locard user add` adds one")
        return str(code)

    @staticmethod
    def _next_epoch() -> sa.ColumnElement[Any]:
        return S.users.c.session_epoch + 1

    def deactivate_user(self, name: str, *, actor: str) -> User:
        """Deactivate a user of the administrator's own lab: the token is revoked and every
        session ends at once (the user's session epoch moves on). Returns the user as now
        stored (inactive)."""
        with self.db.read() as conn:
            admin = self._user(conn, actor)
        self._require(admin, "users")
        with self.db.read() as conn:
            target_lab = self._user_lab(conn, name)
        self._own_lab(admin, "users", target_lab, details={"op": "deactivate", "name": name})
        with self.db.write() as conn:
            n = conn.execute(S.users.update().where(S.users.c.name == name).values(
                active=False, token_prefix=None, token_hash=None,
                session_epoch=self._next_epoch())).rowcount
            if not n:
                raise NotFound(f"no user {name!r}")
            self._audit(conn, admin, "user_change", {"op": "deactivate", "name": name})
            row = conn.execute(sa.select(S.users.c.id, S.users.c.role, S.users.c.lab_id,
                                         S.users.c.session_epoch)
                               .where(S.users.c.name == name)).one()
        return User(int(row.id), name, row.role, int(row.lab_id), target_lab, False,
                    int(row.session_epoch))

    def revoke_sessions(self, name: str, *, actor: str, reason: str = "logout") -> int:
        """End every session of ``name`` at once (logout; or an administrator of the same
        lab). Returns the new session epoch; a session cookie issued under an older epoch is
        refused from now on."""
        with self.db.read() as conn:
            who = self._user(conn, actor)
            target_lab = self._user_lab(conn, name)
        if who.name != name:
            self._require(who, "users")
            self._own_lab(who, "users", target_lab, details={"op": "sessions_end",
                                                             "name": name})
        with self.db.write() as conn:
            conn.execute(S.users.update().where(S.users.c.name == name).values(
                session_epoch=self._next_epoch()))
            epoch = conn.execute(sa.select(S.users.c.session_epoch).where(
                S.users.c.name == name)).scalar_one()
            self._audit(conn, who, "sessions_end", {"for": name, "reason": reason})
        return int(epoch)

    def issue_token(self, name: str, *, actor: str) -> str:
        """A new API token for ``name`` (replacing any old one); returned once, stored only as
        an argon2 hash with a lookup prefix. A user may renew their own token; an
        administrator issues tokens for the users of their own lab. Every session of the user
        ends at once (the old token's sessions with it)."""
        from argon2 import PasswordHasher

        with self.db.read() as conn:
            who = self._user(conn, actor)
            target = self._user(conn, name)
        if who.name != name:
            self._require(who, "users")
            self._own_lab(who, "users", target.lab, details={"op": "token_issue",
                                                             "name": name})
        prefix = secrets.token_hex(6)
        token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        hashed = PasswordHasher().hash(token)
        with self.db.write() as conn:
            conn.execute(S.users.update().where(S.users.c.name == name).values(
                token_prefix=prefix, token_hash=hashed, token_created_at=_now(),
                session_epoch=self._next_epoch()))
            self._audit(conn, who, "token_issue", {"for": name, "prefix": prefix})
        return token

    def authenticate_token(self, token: str) -> User:
        """The user a token belongs to; :class:`AuthenticationFailed` otherwise."""
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
            raise AuthenticationFailed("malformed API token")
        with self.db.read() as conn:
            row = conn.execute(sa.select(S.users.c.name, S.users.c.token_hash).where(
                S.users.c.token_prefix == parts[1], S.users.c.active.is_(True))).first()
            if row is None or row.token_hash is None:
                raise AuthenticationFailed("unknown or revoked API token")
            try:
                PasswordHasher().verify(row.token_hash, token)
            except (VerificationError, InvalidHashError):
                raise AuthenticationFailed("unknown or revoked API token") from None
            return self._user(conn, row.name)

    def list_users(self, *, actor: str) -> list[User]:
        with self.db.read() as conn:
            admin = self._user(conn, actor)
            self._require(admin, "users")
            rows = conn.execute(sa.select(S.users.c.name).order_by(S.users.c.name)).scalars()
            return [self._user(conn, n) for n in rows]

    # --- import ----------------------------------------------------------------------------------

    def import_file(self, path: str | os.PathLike[str], *, format: str | None = None,
                    category: str | None = None, legal_basis: str | None = None,
                    consent: str | None = None, lab: str | None = None,
                    skip_invalid: bool = False, allow_expunged: bool = False,
                    actor: str, purpose: str | None = None,
                    dry_run: bool = False, received_from: str | None = None,
                    consents: Mapping[str, str] | None = None, kit: str | None = None,
                    allow_off_ladder: bool = False) -> ImportReport:
        """Import a profile file (CMF, GeneMapper, CSV, JSON: see ``locard.formats``).

        Transactional: with a bad record (parse problem, unknown category, missing legal basis
        or consent, failed acceptance rule, duplicate, expunged specimen) nothing is imported
        and :class:`ImportFailed` lists every problem, unless ``skip_invalid`` imports the
        good records. All specimens and their genotypes commit in one transaction.

        A specimen ID that was expunged is refused unless ``allow_expunged`` is set *and* a
        legal basis is given explicitly: the old record is never resurrected; a new one is
        created on the new basis.

        ``dry_run`` does everything but the commit (reading, every check, duplicates against
        the database) and returns the report with ``dry_run`` set: nothing is stored, no search
        on entry runs, and :class:`ImportFailed` is not raised; ``would_import`` says how many
        profiles the same import would store (0 when it would fail as all or nothing).

        Without ``legal_basis`` every record gets its category's default legal basis
        (:meth:`Policy.default_legal_basis`), so a file mixing offenders and traces imports in
        one pass. A record that needs consent takes its consent reference from the file (a CSV
        ``consent`` column), else from ``consents`` (specimen ID -> reference, ``--consent-file``),
        else ``consent``.

        A record whose source lab is another lab's is refused unless ``received_from`` names
        that lab: an explicit, audited choice to take in data received from it. The importing
        lab owns such specimens (views, searches, exports them); the source lab is kept as
        provenance (``specimens.source_lab``).

        Data quality at the door: a record whose sample name matches the policy's ``[controls]``
        patterns (positive and negative controls, blanks, allelic ladders) is skipped and listed
        in ``report.controls``, never stored. Every record's kit is recorded: the file's (CMF
        ``KIT``, a GeneMapper ``Panel`` or CSV ``kit`` column), else ``kit``. An allele outside
        that kit's ladder range refuses the record where the index's ``outside_ladder`` is
        ``reject`` (rule ``ladder-range``) unless ``allow_off_ladder`` is set. Where the kit is
        not known, the widest range of every kit Locard knows is used and an allele outside it
        is flagged only. Every flagged allele of a stored record is listed in
        ``report.flagged``.
        """
        found_kit = self._import_kit(kit)
        started = time.perf_counter()
        p = Path(path)
        with self.db.read() as conn:
            user = self._user(conn, actor)
        self._require(user, "import")
        lab_code = self._own_lab(user, "import", lab, purpose=purpose)
        if received_from is not None and received_from.strip() in ("", lab_code):
            raise PolicyViolation(
                f"--received-from {received_from!r} names your own lab; it is for records "
                "received from another lab", remedy="leave out --received-from")
        if allow_expunged and legal_basis is None:
            raise PolicyViolation("re-importing an expunged specimen needs an explicit legal "
                                  "basis", remedy="give --legal-basis")
        digest = _file_digest(p)
        self._progress("reading", 0, None)
        result = read_profiles(p, format=format)
        report = ImportReport(str(p), format, digest, lab_code)
        for prob in result.problems:
            if prob.record is not None and self.policy.is_control(prob.record):
                report.controls.append(prob.record)  # an empty control, a ladder: not errors
                continue
            report.problems.append(ImportProblem(
                str(prob.path or p), prob.record, prob.message, "parse", prob.locus,
                None if prob.value is None else str(prob.value), prob.line or prob.index))
            report.rejected["(unparsed)"] += 1
        staged = self._stage(result.records, report, category=category,
                             legal_basis=legal_basis, consent=consent, lab=lab_code,
                             allow_expunged=allow_expunged, received_from=received_from,
                             consents=consents, kit=kit, found_kit=found_kit,
                             allow_off_ladder=allow_off_ladder)
        if dry_run:
            self._dry_run_import(staged, report, user=user, p=p, skip_invalid=skip_invalid,
                                 purpose=purpose, started=started)
            return report
        if report.problems and not skip_invalid:
            self._fail_import(user, report, purpose)
        try:
            self._commit_import(staged, report, user=user, p=p, digest=digest, consent=consent,
                                legal_basis=legal_basis, category=category, format=format,
                                skip_invalid=skip_invalid, purpose=purpose, started=started,
                                received_from=received_from)
        except _Rollback:
            self._fail_import(user, report, purpose)
        if report.first_pk is not None and report.last_pk is not None:
            keys = list(range(report.first_pk, report.last_pk + 1))
            self._progress("searching on entry", 0, None)
            made: list[int] = []
            for hook in self.on_import:
                made.extend(hook(lab_code, keys) or ())
            report.matches = self._matches_by_id(made)
        return report

    def _dry_run_import(self, staged: list[_Staged], report: ImportReport, *, user: User,
                        p: Path, skip_invalid: bool, purpose: str | None,
                        started: float) -> None:
        """The end of a dry run: the duplicate check the commit would make, then the report
        (audited, as every read of the database is)."""
        with self.db.read() as conn:
            lab_id = conn.execute(sa.select(S.labs.c.id).where(S.labs.c.code == report.lab)
                                  ).scalar_one_or_none()
            existing: set[str] = set() if lab_id is None else set(conn.execute(
                sa.select(S.specimens.c.specimen_id).where(S.specimens.c.lab_id == lab_id)
            ).scalars())
        for s in staged:
            if s.specimen_id in existing:
                report.problems.append(ImportProblem(
                    str(p), s.specimen_id, f"specimen is already in the database for lab "
                    f"{report.lab}", "duplicate", record=s.record_no))
                report.rejected[s.index.value] += 1
                report.accepted[s.index.value] -= 1
        report.accepted = +report.accepted
        kept = [s for s in staged if s.specimen_id not in existing]
        report.dry_run = True
        report.specimens = [s.specimen_id for s in kept]
        report.local_only = sum(1 for s in kept if s.local_only)
        report.would_import = len(kept) if skip_invalid or not report.problems else 0
        report.seconds = time.perf_counter() - started
        with self.db.write() as conn:
            self._audit(conn, user, "import", {
                "file_ref": self.file_ref(p.name), "sha256": report.source_digest,
                "lab": report.lab, "dry_run": True, "imported": 0,
                "would_import": report.would_import, "accepted": dict(report.accepted),
                "rejected": dict(report.rejected), "problems": len(report.problems)},
                purpose=purpose)

    def _progress(self, phase: str, done: int, total: int | None) -> None:
        if self.on_progress is not None:
            self.on_progress(phase, done, total)

    def _commit_import(self, staged: list[_Staged], report: ImportReport, *, user: User,
                       p: Path, digest: str, consent: str | None, legal_basis: str | None,
                       category: str | None, format: str | None, skip_invalid: bool,
                       purpose: str | None, started: float,
                       received_from: str | None = None) -> None:
        lab_code = report.lab
        with self.db.write() as conn:
            lab_id = self._ensure_lab(conn, lab_code)
            existing = set(conn.execute(sa.select(S.specimens.c.specimen_id).where(
                S.specimens.c.lab_id == lab_id)).scalars())
            dup = [s for s in staged if s.specimen_id in existing]
            if dup:
                for s in dup:
                    report.problems.append(ImportProblem(
                        str(p), s.specimen_id, f"specimen is already in the database for lab "
                        f"{lab_code}", "duplicate", record=s.record_no))
                    report.rejected[s.index.value] += 1
                    report.accepted[s.index.value] -= 1
                report.accepted = +report.accepted
                if not skip_invalid:
                    raise _Rollback()
                staged = [s for s in staged if s.specimen_id not in existing]
            consent_id = (self._ensure_consent(conn, lab_id, consent, user)
                          if consent else None)
            consent_ids = {ref: self._ensure_consent(conn, lab_id, ref, user)
                           for ref in sorted({s.consent for s in staged if s.consent})
                           if ref != consent}
            self._write_specimens(conn, staged, lab_id=lab_id, consent_id=consent_id,
                                  user=user, digest=digest, report=report,
                                  consent_ids=consent_ids)
            report.seconds = time.perf_counter() - started
            self._audit(conn, user, "import", {
                "file_ref": self.file_ref(p.name), "sha256": digest, "format": format,
                "lab": lab_code,
                "imported": report.imported, "accepted": dict(report.accepted),
                "rejected": dict(report.rejected), "skip_invalid": skip_invalid,
                "legal_basis": legal_basis, "category": category,
                "consent": consent, "problems": len(report.problems),
                "consents_per_record": len(consent_ids), "received_from": received_from,
                "first_key": report.first_pk, "last_key": report.last_pk},
                purpose=purpose)

    def _fail_import(self, user: User, report: ImportReport, purpose: str | None) -> None:
        with self.db.write() as conn:
            self._audit(conn, user, "import", {
                "file_ref": self.file_ref(Path(report.path).name),
                "sha256": report.source_digest,
                "lab": report.lab, "imported": 0, "failed": True,
                "problems": len(report.problems), "rejected": dict(report.rejected)},
                purpose=purpose)
        raise ImportFailed(report.path, [str(x) for x in report.problems],
                           records=[x.to_dict() for x in report.problems])

    def _stage(self, records: Sequence[ProfileRecord], report: ImportReport, *,
               category: str | None,
               legal_basis: str | None, consent: str | None, lab: str,
               allow_expunged: bool, received_from: str | None = None,
               consents: Mapping[str, str] | None = None, kit: str | None = None,
               found_kit: Kit | None = None,
               allow_off_ladder: bool = False) -> list[_Staged]:
        staged: list[_Staged] = []
        seen: set[str] = set()
        path = report.path
        tomb = self._tombstone_hashes()
        withdrawn = self._withdrawn_consents(lab)
        for n_rec, rec in enumerate(records):
            if n_rec % 1000 == 0:
                self._progress("checking", n_rec, len(records))
            profile: Profile = rec.profile
            sid = rec.specimen_id or profile.specimen_id
            rec_no = rec.line or rec.index
            cat_raw = category or rec.specimen_category

            def bad(message: str, rule: str, idx: str = "(unknown)",
                    sid: str | None = sid, rec_no: int | None = rec_no) -> None:
                report.problems.append(ImportProblem(path, sid, message, rule, record=rec_no))
                report.rejected[idx] += 1

            if not sid:
                bad("record has no specimen ID", "specimen-id")
                continue
            if self.policy.is_control(sid):
                report.controls.append(sid)  # a control or ladder: never stored
                continue
            if sid in seen:
                bad("specimen ID appears twice in the file", "duplicate")
                continue
            seen.add(sid)
            src_lab = rec.source_lab
            if received_from is None and src_lab and src_lab != lab:
                bad(f"record's source lab {src_lab!r} is not the importing lab {lab!r}; to "
                    f"import records received from lab {src_lab} (filed under {lab}, with "
                    f"{src_lab} kept as their source), run: locard import "
                    f"{shlex.quote(path)} --received-from {shlex.quote(src_lab)}",
                    "source-lab")
                continue
            if received_from is not None and src_lab and src_lab != received_from:
                bad(f"record's source lab {src_lab!r} is not {received_from!r} "
                    f"(--received-from); give --received-from {src_lab} for this file",
                    "source-lab")
                continue
            if not cat_raw:
                bad("record has no specimen category (give --category)", "category")
                continue
            try:
                idx = index_for_category(cat_raw)
                cat = canonical_category(cat_raw)
            except InputError as exc:
                bad(str(exc), "category")
                continue
            # one rule with the CMF export: what CMF cannot carry at all is refused here (a
            # locus without a CODIS name is kept; the export leaves it out and says so)
            blocking = [x for x in cmf_limits(ProfileRecord(
                profile, specimen_id=sid, specimen_category=cat, kit=rec.kit or profile.kit))
                if x.blocking]
            if blocking:
                for limit in blocking:
                    report.problems.append(ImportProblem(
                        path, sid, f"{limit}, so the CMF export could not write it",
                        "cmf-export", limit.locus, limit.value, record=rec_no))
                report.rejected[idx.value] += 1
                continue
            rec_consent = rec.consent or (consents or {}).get(sid) or consent
            try:
                basis = self.policy.check_legal_basis(idx, legal_basis, rec_consent,
                                                      category=cat)
            except PolicyViolation as exc:
                bad(str(exc), "legal-basis", idx.value)
                continue
            if rec_consent is not None and rec_consent in withdrawn:
                bad(f"consent {rec_consent!r} has been withdrawn", "consent", idx.value)
                continue
            if self._ref_with_salt(lab, sid) in tomb and not allow_expunged:
                bad("this specimen ID was expunged; re-importing it needs an explicit new legal "
                    "basis (--legal-basis) and --allow-expunged", "expunged", idx.value)
                continue
            rec_kit = rec.kit or profile.kit or kit
            kit_obj = found_kit if rec_kit == kit else find_kit(rec_kit)
            flags = [ImportProblem(path, sid, f"{flag.reason} (use --allow-off-ladder)"
                                   if kit_obj is not None else flag.reason, "ladder-range",
                                   flag.locus, flag.allele, record=rec_no)
                     for flag in outside_ladder(profile, kit_obj)]
            if (flags and kit_obj is not None and not allow_off_ladder
                    and self.policy.indices[idx].outside_ladder == "reject"):
                report.problems.extend(flags)
                report.rejected[idx.value] += 1
                continue
            acc = self.policy.evaluate(profile, idx)
            if not acc.accepted:
                for failure in acc.failures:
                    report.problems.append(ImportProblem(path, sid, failure.message,
                                                         failure.rule, record=rec_no))
                report.rejected[idx.value] += 1
                continue
            # stored all the same: the remedy that refusal names does not apply
            report.flagged.extend(replace(
                f, message=f.message.removesuffix(" (use --allow-off-ladder)")) for f in flags)
            staged.append(_Staged(rec_no, sid, profile, cat, idx, basis, acc.local_only,
                                  rec_kit, acc.rmp, rec_consent if rec_consent != consent else None,
                                  received_from))
            report.accepted[idx.value] += 1
        return staged

    @staticmethod
    def _import_kit(kit: str | None) -> Kit | None:
        """The kit named by an import's ``kit`` option (None without one); :class:`UnknownKit`
        naming the value when Locard does not know it."""
        if kit is None:
            return None
        found = find_kit(kit)
        if found is None:
            raise UnknownKit(kit)
        return found

    def _ref_with_salt(self, lab: str, specimen_id: str) -> str:
        return self.specimen_ref(lab, specimen_id)

    def _tombstone_hashes(self) -> set[str]:
        with self.db.read() as conn:
            return set(conn.execute(sa.select(S.tombstones.c.specimen_hash)).scalars())

    def _withdrawn_consents(self, lab: str) -> set[str]:
        """The references of the lab's withdrawn consents."""
        with self.db.read() as conn:
            return set(conn.execute(
                sa.select(S.consents.c.consent_ref)
                .join(S.labs, S.labs.c.id == S.consents.c.lab_id)
                .where(S.labs.c.code == lab, S.consents.c.withdrawn_at.is_not(None))).scalars())

    def _ensure_consent(self, conn: sa.Connection, lab_id: int, ref: str, user: User) -> int:
        row = conn.execute(sa.select(S.consents.c.id, S.consents.c.withdrawn_at).where(
            S.consents.c.lab_id == lab_id, S.consents.c.consent_ref == ref)).first()
        if row is not None:
            if row.withdrawn_at is not None:
                raise PolicyViolation(f"consent {ref!r} has been withdrawn")
            return int(row.id)
        return int(conn.execute(S.consents.insert().values(
            lab_id=lab_id, consent_ref=ref, recorded_at=_now(), recorded_by=user.id)
        ).inserted_primary_key[0])  # type: ignore[index]

    def _write_specimens(self, conn: sa.Connection, staged: list[_Staged], *, lab_id: int,
                         consent_id: int | None, user: User, digest: str,
                         report: ImportReport,
                         consent_ids: Mapping[str, int] | None = None) -> None:
        if not staged:
            return
        first = int(self._get_meta(conn, "next_specimen_pk") or "1")
        self._set_meta(conn, "next_specimen_pk", str(first + len(staged)))
        now = _now()
        today = _today()
        retention: dict[Index, str | None] = {}
        for idx, ip in self.policy.indices.items():
            retention[idx] = (_add_years(today, ip.retention_years).isoformat()
                              if ip.retention_years > 0 else None)
        cache: dict[int, tuple[Any, str]] = {}
        spec_ins = S.specimens.insert()
        geno_ins = S.genotypes.insert()
        for start in range(0, len(staged), BATCH):
            chunk = staged[start:start + BATCH]
            spec_rows: list[dict[str, Any]] = []
            geno_rows: list[dict[str, Any]] = []
            for i, s in enumerate(chunk, start=first + start):
                gj = genotype_json(s.profile, cache)
                spec_rows.append({
                    "id": i, "lab_id": lab_id, "specimen_id": s.specimen_id,
                    "category": s.category, "idx": s.index.value,
                    "legal_basis": s.legal_basis,
                    "consent_id": (consent_ids or {}).get(s.consent, consent_id)
                    if s.consent else consent_id, "source_lab": s.source_lab,
                    "local_only": s.local_only, "kit": s.kit, "rmp": s.rmp,
                    "retention_until": retention[s.index], "created_at": now,
                    "created_by": user.id, "source_digest": digest})
                geno_rows.append({
                    "specimen_pk": i, "profile_json": gj,
                    "digest": genotype_digest(gj),
                    "n_loci": len(s.profile.loci),
                    "is_mixture": s.profile.max_alleles > 2 and s.profile.is_mixture})
            conn.execute(spec_ins, spec_rows)
            conn.execute(geno_ins, geno_rows)
            self._progress("writing", start + len(chunk), len(staged))
        report.local_only = sum(1 for s in staged if s.local_only)
        report.specimens = [s.specimen_id for s in staged]
        report.first_pk, report.last_pk = first, first + len(staged) - 1
        conn.execute(S.events.insert().values(at=now, kind="import", first_pk=first,
                                              last_pk=first + len(staged) - 1))
        self._record_pending_searches(conn, first, first + len(staged) - 1, now)

    def _record_pending_searches(self, conn: sa.Connection, first: int, last: int,
                                 now: str) -> None:
        """Search on entry is durable: every installed hook with an ``outbox`` (its
        parameters: a search on entry) gets a ``search_outbox`` row in the import's own
        transaction; the hook deletes it once the hits are recorded, and rows a crash left
        behind are resumed on start (:func:`locard.store.searching.resume_pending_searches`)."""
        rows = [{"at": now, "first_pk": first, "last_pk": last,
                 "params": canonical_json(params)}
                for hook in self.on_import
                if (params := getattr(hook, "outbox", None)) is not None]
        if rows:
            conn.execute(S.search_outbox.insert(), rows)

    def add_profile(self, profile: Profile, *, category: str, actor: str,
                    specimen_id: str | None = None, legal_basis: str | None = None,
                    consent: str | None = None, purpose: str | None = None) -> int:
        """Add one profile through the same rules as an import; returns its key."""
        sid = specimen_id or profile.specimen_id
        if not sid:
            raise InputError("a profile needs a specimen ID")
        with self.db.read() as conn:
            user = self._user(conn, actor)
        self._require(user, "import")
        rec = ProfileRecord(profile=profile.with_specimen_id(sid), specimen_id=sid,
                            specimen_category=category, kit=profile.kit, index=1)
        report = ImportReport("<profile>", None, "", user.lab)
        staged = self._stage([rec], report, category=category, legal_basis=legal_basis,
                             consent=consent, lab=user.lab, allow_expunged=False)
        if report.problems:
            first = report.problems[0]
            if first.rule in ("legal-basis", "consent", "category", "expunged"):
                raise PolicyViolation(first.message)
            from locard.errors import AcceptanceRejected

            raise AcceptanceRejected("; ".join(p.message for p in report.problems),
                                     specimen=sid, rule=first.rule)
        with self.db.write() as conn:
            lab_id = self._lab_id(conn, user.lab)
            if conn.execute(sa.select(S.specimens.c.id).where(
                    S.specimens.c.lab_id == lab_id, S.specimens.c.specimen_id == sid)).first():
                raise InputError(f"specimen {sid!r} is already in the database")
            consent_id = self._ensure_consent(conn, lab_id, consent, user) if consent else None
            self._write_specimens(conn, staged, lab_id=lab_id, consent_id=consent_id,
                                  user=user, digest="", report=report)
            self._audit(conn, user, "import", {
                "single": True, "specimen_ref": self.specimen_ref(user.lab, sid),
                "index": staged[0].index.value, "legal_basis": staged[0].legal_basis},
                purpose=purpose)
        assert report.first_pk is not None
        for hook in self.on_import:
            hook(user.lab, [report.first_pk])
        return report.first_pk

    # --- views ------------------------------------------------------------------------------------

    def get_specimen(self, specimen_id: str, *, lab: str | None = None, actor: str,
                     purpose: str | None = None) -> SpecimenView:
        """One specimen as ``actor`` may see it (audited). Another lab's specimen shows only
        its lab, specimen ID and index. Expunged or unknown: :class:`NotFound`."""
        with self.db.read() as conn:
            user = self._user(conn, actor)
        self._require(user, "view")
        lab_code = lab or user.lab
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(S.specimens, S.labs.c.code.label("lab_code"),
                          S.consents.c.consent_ref, S.genotypes.c.profile_json)
                .join(S.labs, S.labs.c.id == S.specimens.c.lab_id)
                .join(S.genotypes, S.genotypes.c.specimen_pk == S.specimens.c.id)
                .outerjoin(S.consents, S.consents.c.id == S.specimens.c.consent_id)
                .where(S.labs.c.code == lab_code, S.specimens.c.specimen_id == specimen_id)
            ).first()
        ref = self.specimen_ref(lab_code, specimen_id)
        with self.db.write() as conn:
            self._audit(conn, user, "view", {"specimen_ref": ref, "lab": lab_code,
                                             "found": row is not None,
                                             "restricted": lab_code != user.lab},
                        purpose=purpose)
        if row is None:
            raise NotFound(f"no specimen {specimen_id!r} of lab {lab_code!r}")
        if lab_code != user.lab:
            return SpecimenView(lab_code, specimen_id, row.idx, True)
        profile = Profile.from_canonical_json(row.profile_json).with_specimen_id(specimen_id)
        return SpecimenView(lab_code, specimen_id, row.idx, False, row.category,
                            row.legal_basis, row.consent_ref, bool(row.local_only), row.kit,
                            row.retention_until, row.created_at, row.rmp, profile,
                            source_lab=row.source_lab)

    def counts(self) -> dict[str, int]:
        """Specimens per index (no identities; unaudited)."""
        with self.db.read() as conn:
            rows = conn.execute(sa.select(S.specimens.c.idx, sa.func.count())
                                .group_by(S.specimens.c.idx)).all()
        return {str(r[0]): int(r[1]) for r in rows}

    def match_counts(self, *, actor: str) -> dict[str, int]:
        """Candidate matches involving the actor's lab, counted by status (``pending``,
        ``confirmed``, ``rejected``; every status present, 0 when none). An aggregate that
        names no specimen, so every role may read it: an auditor's dashboard shows the lab's
        review backlog without the matches themselves (unaudited, like :meth:`counts`)."""
        m = S.candidate_matches
        qs, cs = S.specimens.alias("qs"), S.specimens.alias("cs")
        with self.db.read() as conn:
            user = self._user(conn, actor)
            lab_id = (sa.select(S.labs.c.id).where(S.labs.c.code == user.lab)
                      .scalar_subquery())
            rows = conn.execute(
                sa.select(m.c.status, sa.func.count())
                .join(qs, qs.c.id == m.c.query_pk).join(cs, cs.c.id == m.c.candidate_pk)
                .where(sa.or_(qs.c.lab_id == lab_id, cs.c.lab_id == lab_id))
                .group_by(m.c.status)).all()
        out = dict.fromkeys(("pending", "confirmed", "rejected"), 0)
        out.update({str(r[0]): int(r[1]) for r in rows})
        return out

    def iter_genotypes(self, *, actor: str, purpose: str, index: str | None = None,
                       batch: int = 10_000) -> Iterator[tuple[int, str, str, str, bool, str]]:
        """For the search index: ``(key, lab, specimen_id, index, local_only, genotype
        JSON)`` of every stored profile, one sequential scan (audited once)."""
        with self.db.read() as conn:
            user = self._user(conn, actor)
        self._require(user, "search")
        with self.db.write() as conn:
            self._audit(conn, user, "search", {"op": "index_rebuild", "index": index},
                        purpose=purpose)
        q = (sa.select(S.specimens.c.id, S.labs.c.code, S.specimens.c.specimen_id,
                       S.specimens.c.idx, S.specimens.c.local_only,
                       S.genotypes.c.profile_json)
             .join(S.genotypes, S.genotypes.c.specimen_pk == S.specimens.c.id)
             .join(S.labs, S.labs.c.id == S.specimens.c.lab_id)
             .order_by(S.specimens.c.id))
        if index:
            q = q.where(S.specimens.c.idx == parse_index(index).value)
        with self.db.read() as conn:
            for part in conn.execution_options(yield_per=batch).execute(q).partitions():
                for r in part:
                    yield (int(r[0]), str(r[1]), str(r[2]), str(r[3]), bool(r[4]), str(r[5]))

    def events_since(self, seq: int = 0) -> list[dict[str, Any]]:
        """The event feed after ``seq``: ``{seq, at, kind, first_key, last_key}``."""
        with self.db.read() as conn:
            rows = conn.execute(sa.select(S.events).where(S.events.c.seq > seq)
                                .order_by(S.events.c.seq)).all()
        return [{"seq": r.seq, "at": r.at, "kind": r.kind, "first_key": r.first_pk,
                 "last_key": r.last_pk} for r in rows]

    # --- search authorization and candidate matches -------------------------------------------

    def authorize_search(self, query_index: Index | str,
                         target_index: Index | str | Sequence[Index | str],
                         mode: str = "direct", *, actor: str, purpose: str | None,
                         query_ref: str | None = None, defer_audit: bool = False) -> User:
        """Check role, stated purpose and the search policy matrix; audit the search or its
        refusal. Returns the user (the search engine then scopes results to the policy).

        ``target_index`` may list every target of one request: one forbidden target refuses
        the request as a whole, and the request is audited as one entry (``targets``; a
        single target is audited as ``target_index``). ``query_ref`` (a salted reference,
        :meth:`specimen_ref`) names the query in the entry. A refusal is written at once;
        with ``defer_audit`` an allowed search is not: the caller writes its one entry, with
        the number of hits, through :meth:`audit_search` once the search has run (before it
        shows any result)."""
        with self.db.read() as conn:
            user = self._user(conn, actor)
        self._require(user, "search")
        q = parse_index(query_index)
        many = not isinstance(target_index, str)
        targets = ([parse_index(target_index)] if isinstance(target_index, str)
                   else [parse_index(t) for t in target_index])
        details: dict[str, Any] = {"query_index": q.value}
        if many:
            details["targets"] = [t.value for t in targets]
        else:
            details["target_index"] = targets[0].value
        details["mode"] = mode
        if query_ref is not None:
            details["query_ref"] = query_ref
        if not purpose or not purpose.strip():
            self._refuse(user, "search_refused", PolicyViolation(
                "a search requires a stated purpose (a case number)", remedy="give --purpose"),
                details)
        if not targets:
            self._refuse(user, "search_refused", PolicyViolation(
                f"policy allows no {mode} search of the {q.value} index"), details,
                purpose=purpose)
        for t in targets:
            try:
                self.policy.check_search_allowed(q, t, mode)
            except PolicyViolation as exc:
                self._refuse(user, "search_refused", exc, {**details, "target_index": t.value},
                             purpose=purpose)
        if not defer_audit:
            with self.db.write() as conn:
                self._audit(conn, user, "search", details, purpose=purpose)
        return user

    def authorize_self_check(self, indices: Sequence[Index | str], *, actor: str,
                             purpose: str | None) -> User:
        """Check role, stated purpose and :meth:`Policy.check_self_check_allowed` for a
        self-check of ``indices`` (quality control, its own purpose: not governed by the
        search matrix); audit it as one ``self_check`` entry, or the refusal (a
        ``search_refused`` entry with mode ``self-check``). Returns the user."""
        with self.db.read() as conn:
            user = self._user(conn, actor)
        self._require(user, "search")
        wanted = [parse_index(i) for i in indices]
        details: dict[str, Any] = {"indices": [i.value for i in wanted], "mode": "self-check"}
        if not purpose or not purpose.strip():
            self._refuse(user, "search_refused", PolicyViolation(
                "a self-check requires a stated purpose", remedy="give --purpose"), details)
        for idx in wanted:
            try:
                self.policy.check_self_check_allowed(idx)
            except PolicyViolation as exc:
                self._refuse(user, "search_refused", exc,
                             {**details, "query_index": idx.value}, purpose=purpose)
        with self.db.write() as conn:
            self._audit(conn, user, "self_check", details, purpose=purpose)
        return user

    def audit_search(self, user: User, query_index: Index | str,
                     targets: Sequence[Index | str], mode: str = "direct", *, purpose: str,
                     hits: int, query_ref: str | None = None,
                     details: Mapping[str, Any] | None = None) -> int:
        """The one audit entry of a search authorized with ``defer_audit``: the query index
        and reference, every target, the mode and the number of hits (plus ``details``);
        returns its sequence number."""
        entry: dict[str, Any] = {"query_index": parse_index(query_index).value,
                                 "targets": [parse_index(t).value for t in targets],
                                 "mode": mode, "query_ref": query_ref, "hits": int(hits),
                                 **dict(details or {})}
        with self.db.write() as conn:
            return self._audit(conn, user, "search", entry, purpose=purpose)

    def _key_of(self, conn: sa.Connection, lab: str, specimen_id: str) -> tuple[int, str]:
        row = conn.execute(sa.select(S.specimens.c.id, S.specimens.c.idx)
                           .join(S.labs, S.labs.c.id == S.specimens.c.lab_id)
                           .where(S.labs.c.code == lab,
                                  S.specimens.c.specimen_id == specimen_id)).first()
        if row is None:
            raise NotFound(f"no specimen {specimen_id!r} of lab {lab!r}")
        return int(row.id), str(row.idx)

    def record_candidate_match(self, *, query: tuple[str, str], candidate: tuple[str, str],
                               mode: str, stringency: str, compared_loci: int,
                               mismatches: int, rmp: float | None = None,
                               likelihood_ratio: float | None = None, actor: str,
                               purpose: str) -> int:
        """Record a candidate match ``(lab, specimen_id)`` x ``(lab, specimen_id)`` found by
        the search engine (status pending); the policy matrix is checked again here."""
        with self.db.read() as conn:
            user = self._user(conn, actor)
        self._require(user, "record_match")
        if user.lab not in (query[0], candidate[0]):
            # a match is recorded for the actor's lab: one side must be its own specimen
            self._own_lab(user, "record_match", query[0], purpose=purpose)
        with self.db.read() as conn:
            q_pk, q_idx = self._key_of(conn, *query)
            c_pk, c_idx = self._key_of(conn, *candidate)
        self.policy.check_search_allowed(q_idx, c_idx, mode)
        with self.db.write() as conn:
            mid = conn.execute(S.candidate_matches.insert().values(
                query_pk=q_pk, candidate_pk=c_pk, mode=mode, stringency=stringency,
                compared_loci=compared_loci, mismatches=mismatches, rmp=rmp,
                likelihood_ratio=likelihood_ratio, status="pending", created_at=_now())
            ).inserted_primary_key[0]  # type: ignore[index]
            self._audit(conn, user, "match_recorded", {
                "match": int(mid), "query_ref": self.specimen_ref(*query),
                "candidate_ref": self.specimen_ref(*candidate), "mode": mode,
                "stringency": stringency}, purpose=purpose)
        return int(mid)

    def _match_query(self) -> sa.Select[Any]:
        qs, cs = S.specimens.alias("qs"), S.specimens.alias("cs")
        ql, cl = S.labs.alias("ql"), S.labs.alias("cl")
        m = S.candidate_matches
        latest = (sa.select(sa.func.max(S.match_decisions.c.id))
                  .where(S.match_decisions.c.match_id == m.c.id).scalar_subquery())
        return (sa.select(m, ql.c.code.label("q_lab"), qs.c.specimen_id.label("q_sid"),
                          cl.c.code.label("c_lab"), cs.c.specimen_id.label("c_sid"),
                          S.users.c.name.label("reviewer"), latest.label("decision_id"))
                .join(qs, qs.c.id == m.c.query_pk).join(ql, ql.c.id == qs.c.lab_id)
                .join(cs, cs.c.id == m.c.candidate_pk).join(cl, cl.c.id == cs.c.lab_id)
                .outerjoin(S.users, S.users.c.id == m.c.reviewer_id))

    @staticmethod
    def _match_from_row(r: Any) -> CandidateMatch:
        return CandidateMatch(int(r.id), r.q_lab, r.q_sid, r.c_lab, r.c_sid, r.mode,
                              r.stringency, int(r.compared_loci), int(r.mismatches),
                              r.rmp, r.likelihood_ratio, r.status, r.reviewer, r.note,
                              decision_id=None if r.decision_id is None else int(r.decision_id))

    def list_matches(self, *, actor: str, status: str | None = None, index: str | None = None,
                     since: str | None = None, until: str | None = None
                     ) -> list[CandidateMatch]:
        """Candidate matches involving the actor's lab (the other side shows only lab and
        specimen IDs, as everywhere), oldest first; ``status`` (pending, confirmed, rejected),
        ``index`` (either side's), and ``since`` / ``until`` (an ISO date or time, UTC unless
        an offset is given; a date ``until`` includes the whole day) on when it was recorded."""
        if status and status not in MATCH_STATUSES:
            raise InputError(f"unknown match status {status!r}",
                             remedy="give --status " + ", ".join(MATCH_STATUSES))
        idx = parse_index(index).value if index else None
        lo = _audit_time(since, "since", end=False, what="match filter")
        hi = _audit_time(until, "until", end=True, what="match filter")
        with self.db.read() as conn:
            user = self._user(conn, actor)
        self._require(user, "view")
        m = S.candidate_matches
        q = self._match_query()
        if status:
            q = q.where(m.c.status == status)
        if idx:
            q = q.where(sa.or_(sa.literal_column("qs.idx") == idx,
                               sa.literal_column("cs.idx") == idx))
        if lo is not None:
            q = q.where(m.c.created_at >= lo[0]) if lo[1] else q.where(m.c.created_at > lo[0])
        if hi is not None:
            q = q.where(m.c.created_at <= hi[0]) if hi[1] else q.where(m.c.created_at < hi[0])
        with self.db.read() as conn:
            rows = conn.execute(q.order_by(m.c.id)).all()
        out = [self._match_from_row(r) for r in rows if user.lab in (r.q_lab, r.c_lab)]
        filters = {k: v for k, v in (("index", idx), ("since", since), ("until", until))
                   if v is not None}
        with self.db.write() as conn:
            self._audit(conn, user, "view", {"matches": len(out), "status": status, **filters})
        return out

    def _matches_by_id(self, ids: Sequence[int]) -> list[CandidateMatch]:
        """The candidate matches ``ids`` as recorded (for the report of the import that
        recorded them: their recording is audited, each as ``match_recorded``)."""
        if not ids:
            return []
        with self.db.read() as conn:
            rows = conn.execute(self._match_query().where(
                S.candidate_matches.c.id.in_(list(ids))).order_by(S.candidate_matches.c.id)
            ).all()
        return [self._match_from_row(r) for r in rows]

    def decide_match(self, match_id: int, status: str, *, actor: str, note: str,
                     purpose: str | None = None) -> CandidateMatch:
        """Confirm or reject a candidate match (reviewers, administrators), with a note that
        says why. A decision is final: a second one raises :class:`DecisionFinal`; a correction
        is a new record (:meth:`correct_match_decision`)."""
        return self._decide(match_id, status, actor=actor, note=note, purpose=purpose,
                            supersedes=None)

    def correct_match_decision(self, match_id: int, status: str, *, actor: str, note: str,
                               supersedes: int, purpose: str | None = None) -> CandidateMatch:
        """Correct the latest decision on a match (``supersedes``, its id) by a new decision
        that references it, audited as ``match_decision_correction``; the decision corrected
        stays as it was, in the history (:meth:`match_decisions`)."""
        return self._decide(match_id, status, actor=actor, note=note, purpose=purpose,
                            supersedes=supersedes)

    @staticmethod
    def _decision_rows(conn: sa.Connection, match_id: int) -> list[MatchDecision]:
        d = S.match_decisions
        rows = conn.execute(sa.select(d, S.users.c.name.label("reviewer"))
                            .outerjoin(S.users, S.users.c.id == d.c.reviewer_id)
                            .where(d.c.match_id == match_id).order_by(d.c.id)).all()
        return [MatchDecision(int(r.id), int(r.match_id), r.status, r.note, r.reviewer,
                              r.decided_at, None if r.supersedes_id is None
                              else int(r.supersedes_id)) for r in rows]

    def _decide(self, match_id: int, status: str, *, actor: str, note: str | None,
                purpose: str | None, supersedes: int | None) -> CandidateMatch:
        if status not in ("confirmed", "rejected"):
            raise InputError(f"unknown decision {status!r}", remedy="confirmed or rejected")
        text = (note or "").strip()
        if not text:
            raise InputError(f"a decision on candidate match {match_id} needs a note",
                             remedy="give the reason for it as the note (the API's \"note\", "
                                    "the match page's Note field)")
        with self.db.read() as conn:
            user = self._user(conn, actor)
        self._require(user, "decide_match")
        action = "match_decision" if supersedes is None else "match_decision_correction"
        refusal: LocardError | None = None
        with self.db.write() as conn:
            row = conn.execute(self._match_query().where(S.candidate_matches.c.id == match_id)
                               ).first()
            if row is None or user.lab not in (row.q_lab, row.c_lab):
                raise NotFound(f"no candidate match {match_id}")
            history = self._decision_rows(conn, match_id)
            latest = history[-1] if history else None
            if latest is not None and supersedes != latest.id:
                known = supersedes is None or any(h.id == supersedes for h in history)
                refusal = DecisionFinal(
                    match_id, decision_id=latest.id, status=latest.status,
                    reviewer=latest.reviewer, decided_at=latest.decided_at,
                    reason=None if supersedes is None else
                    f"decision {supersedes} was superseded" if known else
                    f"decision {supersedes} is not one of its decisions")
            elif latest is None and supersedes is not None:
                refusal = InputError(f"candidate match {match_id} has no decision to correct "
                                     f"(supersedes={supersedes})",
                                     remedy="record the first decision without supersedes")
            else:
                now = _now()
                did = int(conn.execute(S.match_decisions.insert().values(
                    match_id=match_id, status=status, note=text, reviewer_id=user.id,
                    decided_at=now, supersedes_id=supersedes)
                ).inserted_primary_key[0])  # type: ignore[index]
                # the match row mirrors its latest decision, in the same transaction
                conn.execute(S.candidate_matches.update().where(
                    S.candidate_matches.c.id == match_id).values(
                    status=status, reviewer_id=user.id, decided_at=now, note=text))
                self._audit(conn, user, action, {"match": match_id, "decision": did,
                                                 "supersedes": supersedes, "status": status,
                                                 "note": text}, purpose=purpose)
                row = conn.execute(self._match_query().where(
                    S.candidate_matches.c.id == match_id)).first()
        if refusal is not None:
            self._refuse(user, action, refusal, {"match": match_id, "supersedes": supersedes},
                         purpose=purpose)
        return self._match_from_row(row)

    def match_decisions(self, match_id: int, *, actor: str) -> list[MatchDecision]:
        """The decisions on a candidate match of the actor's lab, oldest first: the first
        decision, then each correction (``supersedes`` = the id of the one before it)."""
        with self.db.read() as conn:
            user = self._user(conn, actor)
        self._require(user, "view")
        with self.db.read() as conn:
            row = conn.execute(self._match_query().where(S.candidate_matches.c.id == match_id)
                               ).first()
            if row is None or user.lab not in (row.q_lab, row.c_lab):
                raise NotFound(f"no candidate match {match_id}")
            history = self._decision_rows(conn, match_id)
        with self.db.write() as conn:
            self._audit(conn, user, "view", {"match_decisions": match_id,
                                             "decisions": len(history)})
        return history

    # --- export -----------------------------------------------------------------------------------

    def export(self, path: str | os.PathLike[str], *, format: str = "cmf",
               index: str | None = None, actor: str,
               purpose: str | None = None, exclude_local_only: bool = False) -> ExportReport:
        """Write the actor's lab's specimens (optionally one index) to a file; returns what was
        written and, never silently, what was not. Expunged specimens no longer exist, so they
        cannot be exported.

        CMF: the import applies the writer's rule (:func:`locard.formats.cmf.cmf_limits`), so
        every stored record is written; a locus without a CODIS name (or a kit CODIS does not
        list) is left out and listed in ``left_out``. A record that an older Locard stored
        although CMF cannot carry it (a specimen ID over 24 characters) is not written and is
        listed in ``skipped``; it no longer blocks the others.

        ``exclude_local_only`` leaves out the profiles the lab keeps local (never searched
        nationally), as a submission to a national database must; otherwise CSV and JSON mark
        each of them (``localOnly`` column, ``"local_only": true``).

        CSV writes a ``consent`` column: the reference of the consent record a specimen was
        stored under (a reference code, never a personal identifier), so relatives' references
        import again in one pass without ``--consent-file``."""
        with self.db.read() as conn:
            user = self._user(conn, actor)
        self._require(user, "export")
        q = (sa.select(S.specimens.c.specimen_id, S.specimens.c.category, S.specimens.c.kit,
                       S.specimens.c.local_only, S.genotypes.c.profile_json,
                       S.consents.c.consent_ref)
             .join(S.genotypes, S.genotypes.c.specimen_pk == S.specimens.c.id)
             .outerjoin(S.consents, S.consents.c.id == S.specimens.c.consent_id)
             .where(S.specimens.c.lab_id == user.lab_id).order_by(S.specimens.c.id))
        if index:
            q = q.where(S.specimens.c.idx == parse_index(index).value)
        self._progress("reading", 0, None)
        with self.db.read() as conn:
            rows = conn.execute(q).all()
        is_cmf = format.strip().lower() in ("cmf", "xml", "codis")
        excluded = sum(1 for r in rows if r.local_only) if exclude_local_only else 0
        if exclude_local_only:
            rows = [r for r in rows if not r.local_only]
        self._progress("preparing", 0, len(rows))
        records = [ProfileRecord(
            profile=Profile.from_canonical_json(r.profile_json).with_specimen_id(r.specimen_id),
            specimen_id=r.specimen_id, specimen_category=r.category, source_lab=user.lab,
            kit=r.kit, local_only=None if is_cmf else bool(r.local_only),
            consent=None if is_cmf else r.consent_ref) for r in rows]
        options: dict[str, Any] = {}
        report = ExportReport(str(path), format, 0, excluded_local_only=excluded)
        if is_cmf:
            left_out: list[tuple[str, CmfLimit]] = []
            options = {"source_lab": user.lab, "submit_by_user": user.name[:20],
                       "skip_unsupported_loci": True, "left_out": left_out}
            writable = []
            for rec in records:
                blocking = [x for x in cmf_limits(rec) if x.blocking]
                report.skipped.extend(ExportOmission(str(rec.specimen_id), x.what, x.value,
                                                     f"not written: {x}") for x in blocking)
                if not blocking:
                    writable.append(rec)
            records = writable
        self._progress("writing", 0, None)
        report.count = write_profiles(records, Path(path), format=format, **options)
        report.local_only = sum(1 for r in records if r.local_only)
        self._progress("writing", report.count, report.count)
        if options:
            report.left_out = [ExportOmission(sid, x.what, x.value, f"left out: {x}")
                               for sid, x in left_out]
        with self.db.write() as conn:
            self._audit(conn, user, "export", {"file_ref": self.file_ref(Path(path).name),
                                               "format": format,
                                               "index": index, "count": report.count,
                                               "left_out": len(report.left_out),
                                               "skipped": len(report.skipped),
                                               "exclude_local_only": exclude_local_only,
                                               "excluded_local_only": excluded},
                        purpose=purpose)
        return report

    # --- expungement, consent, retention ------------------------------------------------------

    def _expunge_keys(self, conn: sa.Connection, rows: Sequence[Any], reason: str) -> None:
        """Delete genotypes, matches and specimens for real; leave tombstones and events."""
        now = _now()
        keys = [int(r.id) for r in rows]
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            conn.execute(S.candidate_matches.delete().where(
                S.candidate_matches.c.query_pk.in_(part)
                | S.candidate_matches.c.candidate_pk.in_(part)))
            conn.execute(S.case_members.delete().where(S.case_members.c.specimen_pk.in_(part)))
            conn.execute(S.genotypes.delete().where(S.genotypes.c.specimen_pk.in_(part)))
            conn.execute(S.specimens.delete().where(S.specimens.c.id.in_(part)))
        if rows:
            conn.execute(S.tombstones.insert(), [
                {"specimen_hash": self.specimen_ref(r.lab_code, r.specimen_id), "idx": r.idx,
                 "expunged_at": now, "reason": reason} for r in rows])
            conn.execute(S.events.insert(), [
                {"at": now, "kind": "expunge", "first_pk": k, "last_pk": k} for k in keys])

    def _specimen_rows(self, conn: sa.Connection, where: Any) -> list[Any]:
        return list(conn.execute(
            sa.select(S.specimens.c.id, S.specimens.c.specimen_id, S.specimens.c.idx,
                      S.specimens.c.retention_until, S.labs.c.code.label("lab_code"))
            .join(S.labs, S.labs.c.id == S.specimens.c.lab_id).where(where)).all())

    def _after_expunge(self, by_lab: Mapping[str, list[int]]) -> None:
        """After an expungement commits and before it reports success, the genotype leaves
        every file Locard writes: the hooks (search indices loaded in this process) drop the
        keys and save their snapshot; the snapshot beside the database is rewritten without
        them even when no index is loaded (:func:`locard.store.indexing.purge_snapshot`);
        the SQLite WAL is folded in and truncated (``secure_delete`` zeroed the pages)."""
        for lab, keys in by_lab.items():
            for hook in self.on_expunge:
                hook(lab, keys)
        from locard.store.indexing import purge_snapshot  # it builds on this module

        purge_snapshot(self, [k for keys in by_lab.values() for k in keys])
        if not self.db.checkpoint():
            raise StoreError(
                "the specimen is expunged, but another connection was reading, so the "
                f"write-ahead log of {self.db.display_url} could not be truncated and may "
                "still hold the deleted rows",
                remedy="run `locard db index` once the other Locard processes on this "
                       "database are idle: it truncates the log")

    def expunge(self, specimen_id: str, *, reason: str, actor: str, lab: str | None = None,
                purpose: str | None = None) -> str:
        """Expunge a specimen for real: its genotype and specimen rows are deleted and only a
        tombstone (salted hash, date, reason) remains. Returns the specimen reference."""
        if not reason.strip():
            raise InputError("an expungement needs a reason")
        if specimen_id.strip() and specimen_id.strip() in reason:
            # the reason is kept in the tombstone and the audit chain, which outlive the ID
            raise InputError(f"the reason for expunging {specimen_id!r} must not contain the "
                             "specimen ID (it would outlive the expungement)",
                             remedy="state the reason without the ID, e.g. 'conviction "
                                    "quashed'")
        with self.db.read() as conn:
            user = self._user(conn, actor)
        self._require(user, "expunge")
        lab_code = self._own_lab(user, "expunge", lab, purpose=purpose, details={
            "specimen_ref": self.specimen_ref(lab or user.lab, specimen_id)})
        with self.db.write() as conn:
            rows = self._specimen_rows(conn, (S.labs.c.code == lab_code)
                                       & (S.specimens.c.specimen_id == specimen_id))
            if not rows:
                raise NotFound(f"no specimen {specimen_id!r} of lab {lab_code!r}")
            self._expunge_keys(conn, rows, reason)
            ref = self.specimen_ref(lab_code, specimen_id)
            self._audit(conn, user, "expunge", {"specimen_ref": ref, "index": rows[0].idx,
                                                "reason": reason}, purpose=purpose)
        self._after_expunge({lab_code: [int(rows[0].id)]})
        return ref

    def withdraw_consent(self, consent_ref: str, *, actor: str, lab: str | None = None,
                         reason: str = "consent withdrawn") -> int:
        """Withdraw a consent: every specimen stored under it is expunged at once. Returns the
        number expunged."""
        with self.db.read() as conn:
            user = self._user(conn, actor)
        self._require(user, "consent_withdraw")
        lab_code = self._own_lab(user, "consent_withdraw", lab)
        with self.db.write() as conn:
            lab_id = self._lab_id(conn, lab_code)
            row = conn.execute(sa.select(S.consents.c.id, S.consents.c.withdrawn_at).where(
                S.consents.c.lab_id == lab_id, S.consents.c.consent_ref == consent_ref)).first()
            if row is None:
                raise NotFound(f"no consent {consent_ref!r} of lab {lab_code!r}")
            rows = self._specimen_rows(conn, S.specimens.c.consent_id == row.id)
            self._expunge_keys(conn, rows, reason)
            conn.execute(S.consents.update().where(S.consents.c.id == row.id)
                         .values(withdrawn_at=row.withdrawn_at or _now()))
            self._audit(conn, user, "consent_withdraw", {
                "consent": consent_ref, "lab": lab_code, "expunged": len(rows),
                "specimen_refs": [self.specimen_ref(lab_code, r.specimen_id) for r in rows]})
        self._after_expunge({lab_code: [int(r.id) for r in rows]})
        return len(rows)

    def apply_retention(self, *, actor: str, dry_run: bool = False,
                        today: dt.date | None = None) -> list[dict[str, str]]:
        """Expunge every specimen of the actor's lab whose retention date has passed
        (another lab's retention is that lab's administrator's; ``dry_run``: only list
        them). Returns ``[{lab, specimen_id, index, retention_until}]``."""
        with self.db.read() as conn:
            user = self._user(conn, actor)
        self._require(user, "retention")
        day = (today or _today()).isoformat()
        with self.db.write() as conn:
            rows = self._specimen_rows(conn, S.specimens.c.retention_until.is_not(None)
                                       & (S.specimens.c.retention_until < day)
                                       & (S.specimens.c.lab_id == user.lab_id))
            listed = [{"lab": r.lab_code, "specimen_id": r.specimen_id, "index": r.idx,
                       "retention_until": r.retention_until} for r in rows]
            if not dry_run:
                self._expunge_keys(conn, rows, "retention period ended")
            self._audit(conn, user, "retention_apply", {
                "dry_run": dry_run, "date": day, "count": len(rows),
                "specimen_refs": [self.specimen_ref(r.lab_code, r.specimen_id) for r in rows]})
        if not dry_run and rows:
            by_lab: dict[str, list[int]] = {}
            for r in rows:
                by_lab.setdefault(r.lab_code, []).append(int(r.id))
            self._after_expunge(by_lab)
        return listed

    def is_expunged(self, lab: str, specimen_id: str) -> bool:
        """True when a tombstone exists for this lab + specimen ID."""
        ref = self.specimen_ref(lab, specimen_id)
        with self.db.read() as conn:
            return conn.execute(sa.select(S.tombstones.c.id).where(
                S.tombstones.c.specimen_hash == ref)).first() is not None

    def record_policy(self, *, actor: str) -> None:
        """Write the effective policy's name and SHA-256 to the audit log (a policy change)."""
        with self.db.read() as conn:
            user = self._user(conn, actor)
        self._require(user, "users")
        with self.db.write() as conn:
            last = conn.execute(sa.select(S.locard_meta.c.value).where(
                S.locard_meta.c.key == "policy_sha256")).scalar_one_or_none()
            self._set_meta(conn, "policy_sha256", self.policy.sha256)
            self._audit(conn, user, "policy_change", {
                "policy": self.policy.name, "source": self.policy.source,
                "sha256": self.policy.sha256, "previous_sha256": last})


class _Rollback(LocardError):
    """Internal: raised inside the write transaction to roll back a failing import."""

    def __init__(self) -> None:
        super().__init__("import rolled back")


def _policy(policy: Policy | str | os.PathLike[str] | None) -> Policy:
    if isinstance(policy, Policy):
        return policy
    return load_policy(policy)


def _audit_time(text: str | None, name: str, *, end: bool,
                what: str = "audit filter") -> tuple[str, bool] | None:
    """An audit filter bound as the UTC ISO text ``at`` is compared with, and whether the
    bound is inclusive: a date ``until`` ends before the next day."""
    if text is None or not text.strip():
        return None
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            return ((day + dt.timedelta(days=1)).isoformat(), False) if end \
                else (day.isoformat(), True)
        when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{what} {name} {text!r} is not an ISO date or time",
                         remedy=f"give {name} as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[+00:00]"
                         ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds"), True


def _os_user() -> str:
    env = os.environ.get("LOCARD_USER")
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry
        return "locard"


def iter_chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
