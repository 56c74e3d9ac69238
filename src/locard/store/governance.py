"""Governance of stored specimens: expungement, consent withdrawal, retention, policy record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from locard.errors import InputError, NotFound, PolicyViolation, StoreError
from locard.store import schema as S
from locard.store.kernel import Kernel, User, utc_now, utc_today

if TYPE_CHECKING:
    from locard.store.store import Store

__all__ = [
    "Governance",
]


class Governance(Kernel):
    """Expungement, consent and retention of a :class:`~locard.store.Store`."""

    # --- expungement, consent, retention ------------------------------------------------------

    def _expunge_keys(self, conn: sa.Connection, rows: Sequence[Any], reason: str) -> None:
        """Delete genotypes, provenance, matches and specimens for real; leave tombstones and
        events."""
        now = utc_now()
        keys = [int(r.id) for r in rows]
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            conn.execute(S.candidate_matches.delete().where(
                S.candidate_matches.c.query_pk.in_(part)
                | S.candidate_matches.c.candidate_pk.in_(part)))
            conn.execute(S.case_members.delete().where(S.case_members.c.specimen_pk.in_(part)))
            conn.execute(S.genotypes.delete().where(S.genotypes.c.specimen_pk.in_(part)))
            conn.execute(S.specimen_provenance.delete().where(
                S.specimen_provenance.c.specimen_pk.in_(part)))
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

        purge_snapshot(cast("Store", self), [k for keys in by_lab.values() for k in keys])
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
        refused = None if lab is None else {"specimen_ref": self.specimen_ref(lab, specimen_id)}
        with self.acting(actor, "expunge", lab=lab, purpose=purpose, refused=refused) as act:
            lab_code = act.lab
            rows = self._specimen_rows(act.conn, (S.labs.c.code == lab_code)
                                       & (S.specimens.c.specimen_id == specimen_id))
            if not rows:
                raise NotFound(f"no specimen {specimen_id!r} of lab {lab_code!r}")
            self._expunge_keys(act.conn, rows, reason)
            ref = self.specimen_ref(lab_code, specimen_id)
            act.details.update({"specimen_ref": ref, "index": rows[0].idx, "reason": reason})
        self._after_expunge({lab_code: [int(rows[0].id)]})
        return ref

    def withdraw_consent(self, consent_ref: str, *, actor: str, lab: str | None = None,
                         reason: str = "consent withdrawn") -> int:
        """Withdraw a consent: every specimen stored under it is expunged at once. Returns the
        number expunged."""
        with self.acting(actor, "consent_withdraw", lab=lab) as act:
            lab_code, conn = act.lab, act.conn
            lab_id = self.lab_id(conn, lab_code)
            row = conn.execute(sa.select(S.consents.c.id, S.consents.c.withdrawn_at).where(
                S.consents.c.lab_id == lab_id, S.consents.c.consent_ref == consent_ref)).first()
            if row is None:
                raise NotFound(f"no consent {consent_ref!r} of lab {lab_code!r}")
            rows = self._specimen_rows(conn, S.specimens.c.consent_id == row.id)
            self._expunge_keys(conn, rows, reason)
            conn.execute(S.consents.update().where(S.consents.c.id == row.id)
                         .values(withdrawn_at=row.withdrawn_at or utc_now()))
            act.details.update({
                "consent": consent_ref, "lab": lab_code, "expunged": len(rows),
                "specimen_refs": [self.specimen_ref(lab_code, r.specimen_id) for r in rows]})
        self._after_expunge({lab_code: [int(r.id) for r in rows]})
        return len(rows)

    def apply_retention(self, *, actor: str, dry_run: bool = False,
                        today: dt.date | None = None) -> list[dict[str, str]]:
        """Expunge every specimen of the actor's lab whose retention date has passed
        (another lab's retention is that lab's administrator's; ``dry_run``: only list
        them). Returns ``[{lab, specimen_id, index, retention_until}]``."""
        day = (today or utc_today()).isoformat()
        with self.acting(actor, "retention", audit_as="retention_apply") as act:
            rows = self._specimen_rows(act.conn, S.specimens.c.retention_until.is_not(None)
                                       & (S.specimens.c.retention_until < day)
                                       & (S.specimens.c.lab_id == act.user.lab_id))
            listed = [{"lab": r.lab_code, "specimen_id": r.specimen_id, "index": r.idx,
                       "retention_until": r.retention_until} for r in rows]
            if not dry_run:
                self._expunge_keys(act.conn, rows, "retention period ended")
            act.details.update({
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
        with self.acting(actor, "users", audit_as="policy_change") as act:
            last = act.conn.execute(sa.select(S.locard_meta.c.value).where(
                S.locard_meta.c.key == "policy_sha256")).scalar_one_or_none()
            self.set_meta(act.conn, "policy_sha256", self.policy.sha256)
            act.details.update({
                "policy": self.policy.name, "source": self.policy.source,
                "sha256": self.policy.sha256, "previous_sha256": last})

    # --- consent and tombstones, as the import checks them -------------------------------

    def tombstone_hashes(self) -> set[str]:
        """The salted references of every expunged specimen (:meth:`specimen_ref`)."""
        with self.db.read() as conn:
            return set(conn.execute(sa.select(S.tombstones.c.specimen_hash)).scalars())

    def withdrawn_consents(self, lab: str) -> set[str]:
        """The references of the lab's withdrawn consents."""
        with self.db.read() as conn:
            return set(conn.execute(
                sa.select(S.consents.c.consent_ref)
                .join(S.labs, S.labs.c.id == S.consents.c.lab_id)
                .where(S.labs.c.code == lab, S.consents.c.withdrawn_at.is_not(None))).scalars())

    def ensure_consent(self, conn: sa.Connection, lab_id: int, ref: str, user: User) -> int:
        """The id of the lab's consent record ``ref``, recorded now if new;
        :class:`PolicyViolation` if it has been withdrawn."""
        row = conn.execute(sa.select(S.consents.c.id, S.consents.c.withdrawn_at).where(
            S.consents.c.lab_id == lab_id, S.consents.c.consent_ref == ref)).first()
        if row is not None:
            if row.withdrawn_at is not None:
                raise PolicyViolation(f"consent {ref!r} has been withdrawn")
            return int(row.id)
        return int(conn.execute(S.consents.insert().values(
            lab_id=lab_id, consent_ref=ref, recorded_at=utc_now(), recorded_by=user.id)
        ).inserted_primary_key[0])  # type: ignore[index]
