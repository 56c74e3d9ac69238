"""Reading and verifying the audit log: pages, a specimen's history, the hash chain.

(The chain's format and hashing are in :mod:`locard.store.audit`; entries are written by
:meth:`locard.store.kernel.Kernel.write_audit`.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from locard.errors import InputError
from locard.store import schema as S
from locard.store.audit import AuditEntry, verify_chain
from locard.store.kernel import Kernel, audit_time

__all__ = [
    "AUDIT_PAGE_MAX",
    "AuditLog",
    "AuditPage",
]


#: the most audit entries one page may hold (:meth:`Store.audit_page`)
AUDIT_PAGE_MAX = 10_000


@dataclass(frozen=True, slots=True)
class AuditPage:
    """A page of the audit log: ``entries`` newest first (oldest first when read with
    ``after_seq``); ``next_before`` (or ``next_after``) continues it, None on the last page."""

    entries: tuple[AuditEntry, ...]
    next_before: int | None = None
    next_after: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The page as a JSON-ready dict, with the cursors to the older and newer pages."""
        return {"entries": [e.to_dict() for e in self.entries],
                "next_before": self.next_before, "next_after": self.next_after}


class AuditLog(Kernel):
    """Audit-log reading of a :class:`~locard.store.Store`."""

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
        lo = audit_time(since, "since", end=False)
        hi = audit_time(until, "until", end=True)
        filters = {k: v for k, v in (("limit", limit), ("before_seq", before_seq),
                                     ("after_seq", after_seq), ("user", user),
                                     ("action", action), ("since", since), ("until", until))
                   if v is not None}
        with self.acting(actor, "audit", audit_as="audit_view", details=filters) as act:
            reader = act.user
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
        with self.acting(actor, "audit", audit_as="audit_view") as act:
            reader = act.user
            ref = self.specimen_ref(lab or reader.lab, specimen_id)
            act.details.update(specimen_ref=ref, limit=limit)
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
