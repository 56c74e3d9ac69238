"""Candidate matches: recording them, listing them, and the reviewers' decisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from locard.errors import DecisionFinal, InputError, MatchAlreadyRecorded, NotFound
from locard.store import schema as S
from locard.store.categories import parse_index
from locard.store.kernel import Kernel, User, audit_time, utc_now

__all__ = [
    "MATCH_STATUSES",
    "CandidateMatch",
    "Candidates",
    "MatchDecision",
]


#: the states of a candidate match (decisions: confirmed or rejected)
MATCH_STATUSES = ("pending", "confirmed", "rejected")


@dataclass(frozen=True, slots=True)
class CandidateMatch:
    """A candidate match recorded between a query and a candidate specimen, with its statistic and
    status.
    """
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
        """The match as a JSON-ready dict of its fields."""
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
        """The decision as a JSON-ready dict of its fields."""
        return {k: getattr(self, k) for k in self.__slots__}


class Candidates(Kernel):
    """Candidate matches of a :class:`~locard.store.Store`."""

    def match_counts(self, *, actor: str) -> dict[str, int]:
        """Candidate matches involving the actor's lab, counted by status (``pending``,
        ``confirmed``, ``rejected``; every status present, 0 when none). An aggregate that
        names no specimen, so every role may read it: an auditor's dashboard shows the lab's
        review backlog without the matches themselves (unaudited, like :meth:`counts`)."""
        m = S.candidate_matches
        qs, cs = S.specimens.alias("qs"), S.specimens.alias("cs")
        with self.db.read() as conn:
            user = self.user_in(conn, actor)
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
        the search engine (status pending); the policy matrix is checked again here. A pair
        recorded before in this mode raises :class:`MatchAlreadyRecorded` (its ``match_id``
        is the recorded match)."""
        def other_side(_conn: sa.Connection, user: User) -> str | None:
            # a match is recorded for the actor's lab: one side must be its own specimen
            return None if user.lab in (query[0], candidate[0]) else query[0]

        try:
            with self.acting(actor, "record_match", audit_as="match_recorded",
                             lab=other_side, purpose=purpose) as act:
                q_pk, q_idx = self._key_of(act.conn, *query)
                c_pk, c_idx = self._key_of(act.conn, *candidate)
                self.policy.check_search_allowed(q_idx, c_idx, mode)
                mid = act.conn.execute(S.candidate_matches.insert().values(
                    query_pk=q_pk, candidate_pk=c_pk, mode=mode, stringency=stringency,
                    compared_loci=compared_loci, mismatches=mismatches, rmp=rmp,
                    likelihood_ratio=likelihood_ratio, status="pending", created_at=utc_now())
                ).inserted_primary_key[0]  # type: ignore[index]
                act.details.update({
                    "match": int(mid), "query_ref": self.specimen_ref(*query),
                    "candidate_ref": self.specimen_ref(*candidate), "mode": mode,
                    "stringency": stringency})
        except sa.exc.IntegrityError:
            known = self._recorded_match(query, candidate, mode)
            if known is None:
                raise
            raise MatchAlreadyRecorded(known, mode=mode) from None
        return int(mid)

    def _recorded_match(self, query: tuple[str, str], candidate: tuple[str, str],
                        mode: str) -> int | None:
        """The id of the candidate match already recorded for this pair and mode, if any."""
        m = S.candidate_matches
        with self.db.read() as conn:
            q_pk, _ = self._key_of(conn, *query)
            c_pk, _ = self._key_of(conn, *candidate)
            found = conn.execute(sa.select(m.c.id).where(
                m.c.query_pk == q_pk, m.c.candidate_pk == c_pk, m.c.mode == mode)
            ).scalar_one_or_none()
        return None if found is None else int(found)

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
        lo = audit_time(since, "since", end=False, what="match filter")
        hi = audit_time(until, "until", end=True, what="match filter")
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
        filters = {k: v for k, v in (("index", idx), ("since", since), ("until", until))
                   if v is not None}
        with self.acting(actor, "view") as act:
            rows = act.conn.execute(q.order_by(m.c.id)).all()
            out = [self._match_from_row(r) for r in rows if act.user.lab in (r.q_lab, r.c_lab)]
            act.details.update({"matches": len(out), "status": status, **filters})
        return out

    def matches_by_id(self, ids: Sequence[int]) -> list[CandidateMatch]:
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
        action = "match_decision" if supersedes is None else "match_decision_correction"
        with self.acting(actor, "decide_match", audit_as=action, purpose=purpose) as act:
            user, conn = act.user, act.conn
            row = conn.execute(self._match_query().where(S.candidate_matches.c.id == match_id)
                               ).first()
            if row is None or user.lab not in (row.q_lab, row.c_lab):
                raise NotFound(f"no candidate match {match_id}")
            history = self._decision_rows(conn, match_id)
            latest = history[-1] if history else None
            refused = {"match": match_id, "supersedes": supersedes}
            if latest is not None and supersedes != latest.id:
                known = supersedes is None or any(h.id == supersedes for h in history)
                act.refuse(DecisionFinal(
                    match_id, decision_id=latest.id, status=latest.status,
                    reviewer=latest.reviewer, decided_at=latest.decided_at,
                    reason=None if supersedes is None else
                    f"decision {supersedes} was superseded" if known else
                    f"decision {supersedes} is not one of its decisions"), refused)
            elif latest is None and supersedes is not None:
                act.refuse(InputError(f"candidate match {match_id} has no decision to correct "
                                      f"(supersedes={supersedes})",
                                      remedy="record the first decision without supersedes"),
                           refused)
            else:
                now = utc_now()
                did = int(conn.execute(S.match_decisions.insert().values(
                    match_id=match_id, status=status, note=text, reviewer_id=user.id,
                    decided_at=now, supersedes_id=supersedes)
                ).inserted_primary_key[0])  # type: ignore[index]
                # the match row mirrors its latest decision, in the same transaction
                conn.execute(S.candidate_matches.update().where(
                    S.candidate_matches.c.id == match_id).values(
                    status=status, reviewer_id=user.id, decided_at=now, note=text))
                act.details.update({"match": match_id, "decision": did,
                                    "supersedes": supersedes, "status": status, "note": text})
                row = conn.execute(self._match_query().where(
                    S.candidate_matches.c.id == match_id)).first()
        return self._match_from_row(row)

    def match_decisions(self, match_id: int, *, actor: str) -> list[MatchDecision]:
        """The decisions on a candidate match of the actor's lab, oldest first: the first
        decision, then each correction (``supersedes`` = the id of the one before it)."""
        with self.acting(actor, "view") as act:
            row = act.conn.execute(self._match_query().where(
                S.candidate_matches.c.id == match_id)).first()
            if row is None or act.user.lab not in (row.q_lab, row.c_lab):
                raise NotFound(f"no candidate match {match_id}")
            history = self._decision_rows(act.conn, match_id)
            act.details.update({"match_decisions": match_id, "decisions": len(history)})
        return history
