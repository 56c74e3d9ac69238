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

import json
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from locard.errors import (
    NotFound,
    PolicyViolation,
    SchemaTooNew,
    SchemaTooOld,
    StoreError,
)
from locard.genetics.profiles import Profile
from locard.store import schema as S
from locard.store.audit_log import AUDIT_PAGE_MAX, AuditLog, AuditPage
from locard.store.candidates import CandidateMatch, MatchDecision
from locard.store.categories import Index, parse_index
from locard.store.dashboard import Dashboard
from locard.store.database import Database
from locard.store.exports import ExportOmission, ExportReport, Exports
from locard.store.governance import Governance
from locard.store.imports import ImportProblem, ImportReport, Imports
from locard.store.kernel import PERMISSIONS, ROLES, Act, User, os_user, utc_now
from locard.store.policy import Policy, load_policy
from locard.store.users import Users

__all__ = [
    "AUDIT_PAGE_MAX",
    "PERMISSIONS",
    "ROLES",
    "Act",
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
    #: where the profile came from (e.g. the CE run it was analysed from: file SHA-256,
    #: sample ID, kit, ladder, parameters; :mod:`locard.store.ce_intake`), or None
    provenance: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The view as a JSON-ready dict; only IDs and index when restricted (another lab's)."""
        out: dict[str, Any] = {"lab": self.lab, "specimen_id": self.specimen_id,
                               "index": self.index, "restricted": self.restricted}
        if not self.restricted:
            out.update({"category": self.category, "legal_basis": self.legal_basis,
                        "consent": self.consent, "local_only": self.local_only,
                        "kit": self.kit, "retention_until": self.retention_until,
                        "created_at": self.created_at, "rmp": self.rmp,
                        "source_lab": self.source_lab,
                        "provenance": (dict(self.provenance) if self.provenance is not None
                                       else None),
                        "profile": self.profile.to_dict()["loci"] if self.profile else None})
        return out


class Store(Imports, Exports, Governance, Users, AuditLog, Dashboard):
    """A Locard database. Open one with :meth:`open` (checks the schema version) or create
    one with :meth:`init`."""

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
        admin_name = admin or os_user()
        with store.db.write() as conn:
            has_users = conn.execute(sa.select(sa.func.count()).select_from(S.users)).scalar_one()
            if not has_users:
                lab_id = store.ensure_lab(conn, lab)
                conn.execute(S.users.insert().values(name=admin_name, role="administrator",
                                                     lab_id=lab_id, active=True,
                                                     created_at=utc_now()))
                store.write_audit(conn, None, "init", lab=lab, details={
                    "schema_version": S.SCHEMA_VERSION, "migrations": applied,
                    "administrator": admin_name, "lab": lab,
                    "policy": store.policy.name, "policy_sha256": store.policy.sha256})
            elif applied:
                store.write_audit(conn, None, "migrate", {"migrations": applied,
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
                    user = store.user_in(conn, actor, legacy=True)
                store.require(user, "migrate")
            applied = store._apply_migrations()
            if applied:
                with store.db.write() as conn:
                    user_row = store.user_in(conn, actor) if actor else None
                    store.write_audit(conn, user_row, "migrate",
                                 {"migrations": applied, "schema_version": S.SCHEMA_VERSION})
            return applied
        finally:
            store.close()

    def close(self) -> None:
        """Close the database connections (the store cannot be used after)."""
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
                    version=version, name=name, applied_at=utc_now()))
                applied.append(name)
            if applied:
                self.set_meta(conn, "schema_version", str(target))
                if self.get_meta(conn, "salt") is None:
                    self.set_meta(conn, "salt", secrets.token_hex(32))
                    self.set_meta(conn, "next_specimen_pk", "1")
                    self.set_meta(conn, "created_at", utc_now())
        return applied

    # --- views ------------------------------------------------------------------------------------

    def get_specimen(self, specimen_id: str, *, lab: str | None = None, actor: str,
                     purpose: str | None = None) -> SpecimenView:
        """One specimen as ``actor`` may see it (audited). Another lab's specimen shows only
        its lab, specimen ID and index. Expunged or unknown: :class:`NotFound`."""
        user = self.authorize(actor, "view")
        lab_code = lab or user.lab
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(S.specimens, S.labs.c.code.label("lab_code"),
                          S.consents.c.consent_ref, S.genotypes.c.profile_json,
                          S.specimen_provenance.c.provenance)
                .join(S.labs, S.labs.c.id == S.specimens.c.lab_id)
                .join(S.genotypes, S.genotypes.c.specimen_pk == S.specimens.c.id)
                .outerjoin(S.consents, S.consents.c.id == S.specimens.c.consent_id)
                .outerjoin(S.specimen_provenance,
                           S.specimen_provenance.c.specimen_pk == S.specimens.c.id)
                .where(S.labs.c.code == lab_code, S.specimens.c.specimen_id == specimen_id)
            ).first()
        ref = self.specimen_ref(lab_code, specimen_id)
        with self.db.write() as conn:
            self.write_audit(conn, user, "view", {"specimen_ref": ref, "lab": lab_code,
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
                            source_lab=row.source_lab,
                            provenance=(json.loads(row.provenance)
                                        if row.provenance is not None else None))

    def iter_genotypes(self, *, actor: str, purpose: str, index: str | None = None,
                       batch: int = 10_000) -> Iterator[tuple[int, str, str, str, bool, str]]:
        """For the search index: ``(key, lab, specimen_id, index, local_only, genotype
        JSON)`` of every stored profile, one sequential scan (audited once)."""
        user = self.authorize(actor, "search")
        with self.db.write() as conn:
            self.write_audit(conn, user, "search", {"op": "index_rebuild", "index": index},
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
        user = self.authorize(actor, "search")
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
            self.refuse(user, "search_refused", PolicyViolation(
                "a search requires a stated purpose (a case number)", remedy="give --purpose"),
                details)
        if not targets:
            self.refuse(user, "search_refused", PolicyViolation(
                f"policy allows no {mode} search of the {q.value} index"), details,
                purpose=purpose)
        for t in targets:
            try:
                self.policy.check_search_allowed(q, t, mode)
            except PolicyViolation as exc:
                self.refuse(user, "search_refused", exc, {**details, "target_index": t.value},
                             purpose=purpose)
        if not defer_audit:
            with self.db.write() as conn:
                self.write_audit(conn, user, "search", details, purpose=purpose)
        return user

    def authorize_self_check(self, indices: Sequence[Index | str], *, actor: str,
                             purpose: str | None) -> User:
        """Check role, stated purpose and :meth:`Policy.check_self_check_allowed` for a
        self-check of ``indices`` (quality control, its own purpose: not governed by the
        search matrix); audit it as one ``self_check`` entry, or the refusal (a
        ``search_refused`` entry with mode ``self-check``). Returns the user."""
        user = self.authorize(actor, "search")
        wanted = [parse_index(i) for i in indices]
        details: dict[str, Any] = {"indices": [i.value for i in wanted], "mode": "self-check"}
        if not purpose or not purpose.strip():
            self.refuse(user, "search_refused", PolicyViolation(
                "a self-check requires a stated purpose", remedy="give --purpose"), details)
        for idx in wanted:
            try:
                self.policy.check_self_check_allowed(idx)
            except PolicyViolation as exc:
                self.refuse(user, "search_refused", exc,
                             {**details, "query_index": idx.value}, purpose=purpose)
        with self.db.write() as conn:
            self.write_audit(conn, user, "self_check", details, purpose=purpose)
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
            return self.write_audit(conn, user, "search", entry, purpose=purpose)


def _policy(policy: Policy | str | os.PathLike[str] | None) -> Policy:
    if isinstance(policy, Policy):
        return policy
    return load_policy(policy)
