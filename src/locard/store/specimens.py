"""Listing and counting a lab's specimens: ``locard specimens list`` and ``specimens count``.

A lab sees its own specimens only (another lab's are reached through a search, which shows
their lab and specimen IDs and nothing else). The filters are the index, the specimen category,
whether the profile is kept local (never searched nationally), and when it was stored
(``since`` / ``until``: an ISO date or time, UTC unless an offset is given; a date ``until``
includes the whole day). A list is read in pages ordered by the specimen's key: ``after`` is the
``next_after`` of the previous page.

Both calls are audited (``specimen_list`` / ``specimen_count``, with the filters); a list names
no specimen in the log, only how many rows the page held.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from locard.store import schema as S
from locard.store.categories import canonical_category, parse_index
from locard.store.kernel import audit_time
from locard.store.store import Store

__all__ = ["SPECIMEN_PAGE_MAX", "SpecimenPage", "SpecimenRow", "count_specimens",
           "list_specimens"]

#: the most specimens one page may hold
SPECIMEN_PAGE_MAX = 10_000


@dataclass(frozen=True, slots=True)
class SpecimenRow:
    """One of the lab's specimens, without its genotype."""

    key: int
    specimen_id: str
    index: str
    category: str
    legal_basis: str
    local_only: bool
    kit: str | None
    created_at: str
    retention_until: str | None

    def to_dict(self) -> dict[str, Any]:
        """The row as a JSON-ready dict of its fields."""
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(frozen=True, slots=True)
class SpecimenPage:
    """A page of specimens, oldest key first; ``next_after`` continues it (None on the last
    page); ``total`` counts every specimen the filters select."""

    lab: str
    specimens: tuple[SpecimenRow, ...]
    total: int
    next_after: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The page as a JSON-ready dict, with the cursor to the next page."""
        return {"lab": self.lab, "total": self.total, "next_after": self.next_after,
                "specimens": [s.to_dict() for s in self.specimens]}


def _filters(lab_id: int, *, index: str | None, category: str | None,
             local_only: bool | None, since: str | None, until: str | None) -> list[Any]:
    c = S.specimens.c
    where: list[Any] = [c.lab_id == lab_id]
    if index:
        where.append(c.idx == parse_index(index).value)
    if category:
        where.append(c.category == canonical_category(category))
    if local_only is not None:
        where.append(c.local_only == local_only)
    lo = audit_time(since, "--since", end=False, what="specimen filter")
    hi = audit_time(until, "--until", end=True, what="specimen filter")
    if lo is not None:
        where.append(c.created_at >= lo[0])
    if hi is not None:
        where.append(c.created_at <= hi[0] if hi[1] else c.created_at < hi[0])
    return where


def _details(**filters: Any) -> dict[str, Any]:
    return {k: v for k, v in filters.items() if v is not None}


def list_specimens(store: Store, *, actor: str, index: str | None = None,
                   category: str | None = None, local_only: bool | None = None,
                   since: str | None = None, until: str | None = None,
                   limit: int = 100, after: int | None = None,
                   purpose: str | None = None) -> SpecimenPage:
    """A page of the actor's lab's specimens (analysts, reviewers, administrators), at most
    ``limit`` (1 to :data:`SPECIMEN_PAGE_MAX`), after key ``after``; audited."""
    from locard.errors import InputError

    if not 1 <= limit <= SPECIMEN_PAGE_MAX:
        raise InputError(f"page size {limit} is outside 1..{SPECIMEN_PAGE_MAX}",
                         remedy=f"give --limit between 1 and {SPECIMEN_PAGE_MAX}")
    user = store.authorize(actor, "view")
    where = _filters(user.lab_id, index=index, category=category, local_only=local_only,
                     since=since, until=until)
    c = S.specimens.c
    page_where = [*where, c.id > after] if after is not None else where
    with store.db.read() as conn:
        total = int(conn.execute(sa.select(sa.func.count()).select_from(S.specimens)
                                 .where(*where)).scalar_one())
        rows = conn.execute(
            sa.select(c.id, c.specimen_id, c.idx, c.category, c.legal_basis, c.local_only,
                      c.kit, c.created_at, c.retention_until)
            .where(*page_where).order_by(c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    specimens = tuple(SpecimenRow(int(r.id), str(r.specimen_id), str(r.idx), str(r.category),
                                  str(r.legal_basis), bool(r.local_only), r.kit,
                                  str(r.created_at), r.retention_until) for r in rows)
    with store.db.write() as conn:
        store.write_audit(conn, user, "specimen_list", _details(
            index=index, category=category, local_only=local_only, since=since, until=until,
            after=after, limit=limit, rows=len(specimens)), purpose=purpose)
    return SpecimenPage(user.lab, specimens, total,
                        specimens[-1].key if more and specimens else None)


def count_specimens(store: Store, *, actor: str, index: str | None = None,
                    category: str | None = None, local_only: bool | None = None,
                    since: str | None = None, until: str | None = None,
                    purpose: str | None = None) -> dict[str, int]:
    """How many of the actor's lab's specimens the filters select, per index (only indices
    with at least one); audited."""
    user = store.authorize(actor, "view")
    where = _filters(user.lab_id, index=index, category=category, local_only=local_only,
                     since=since, until=until)
    with store.db.read() as conn:
        rows = conn.execute(sa.select(S.specimens.c.idx, sa.func.count())
                            .where(*where).group_by(S.specimens.c.idx)
                            .order_by(S.specimens.c.idx)).all()
    counts = {str(r[0]): int(r[1]) for r in rows}
    with store.db.write() as conn:
        store.write_audit(conn, user, "specimen_count", _details(
            index=index, category=category, local_only=local_only, since=since, until=until,
            total=sum(counts.values())), purpose=purpose)
    return counts
