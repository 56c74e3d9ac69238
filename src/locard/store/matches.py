"""Candidate matches as a user may review them: the match with both specimens as the actor may
see them, the per-locus comparison and the statistic (:func:`locard.store.statistics.match_rmp`,
the one function for the number). The web pages, the API, the PDF report and ``locard matches``
all read a match through :func:`match_detail`, so they show the same comparison and the same
number."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from locard.errors import InputError, NotFound, PermissionDenied
from locard.genetics.loci import CODIS_CORE_20, LOCI, LocusKind
from locard.genetics.profiles import LocusCall, Profile
from locard.jsonsafe import json_safe
from locard.store.statistics import compared_loci, match_rmp
from locard.store.store import CandidateMatch, MatchDecision, SpecimenView, Store

__all__ = ["MatchDetail", "compare_loci", "find_match", "match_detail", "match_statistics",
           "report_detail"]


def _call_text(call: LocusCall | None) -> str:
    if call is None:
        return ""
    return str(call)


def compare_loci(q: Profile | None, c: Profile | None) -> list[dict[str, Any]]:
    """Per locus: both calls, peak heights, and how they compare (``match`` the same alleles,
    ``partial`` one contained in the other, ``shared`` an allele in common, ``mismatch`` none,
    ``not compared`` untyped on one side, or an autosomal STR outside the loci a search
    compares, :func:`locard.store.statistics.compared_loci`; Amelogenin and other markers are
    shown compared but never enter a statistic). Alleles are flagged shared or not for
    display."""
    compared = set(compared_loci(q, c)) if q is not None and c is not None else set()
    loci: list[str] = []
    for p in (q, c):
        if p is not None:
            loci.extend(x for x in p.loci if x not in loci)
    order = {name: i for i, name in enumerate(CODIS_CORE_20)}
    loci.sort(key=lambda x: (order.get(x, 99), x))
    rows = []
    for locus in loci:
        qc = q.loci.get(locus) if q is not None else None
        cc = c.loci.get(locus) if c is not None else None
        qa = {str(a) for a in qc.alleles} if qc and not qc.inconclusive else set()
        ca = {str(a) for a in cc.alleles} if cc and not cc.inconclusive else set()
        if not qa or not ca or (locus not in compared
                                and LOCI[locus].kind is LocusKind.AUTOSOMAL_STR):
            status = "not compared"
        elif qa == ca:
            status = "match"
        elif qa <= ca or ca <= qa:
            status = "partial"
        elif qa & ca:
            status = "shared"
        else:
            status = "mismatch"
        rows.append({
            "locus": locus, "status": status,
            "query": _alleles(qc, ca), "candidate": _alleles(cc, qa),
            "query_text": _call_text(qc), "candidate_text": _call_text(cc)})
    return rows


def _alleles(call: LocusCall | None, other: set[str]) -> list[dict[str, Any]]:
    if call is None or call.inconclusive:
        return []
    out = []
    for i, a in enumerate(call.alleles):
        h = call.heights[i] if call.heights is not None else None
        out.append({"allele": str(a), "height": h, "shared": str(a) in other})
    return out


def match_statistics(store: Store, query: Profile, candidate: Profile) -> dict[str, Any] | None:
    """The statistic of a match (:func:`locard.store.statistics.match_rmp`: the candidate's
    RMP over the compared loci, the number search stored): ``rmp``, ``one_in`` and ``lr``
    (1/RMP), the compared ``loci`` with their per-locus values, the loci left out with the
    reason, the table and provenance. None when nothing can be computed."""
    found = match_rmp(store.policy, query, candidate)
    return None if found is None else found.to_dict()


@dataclass
class MatchDetail:
    """One candidate match in full: both specimens, the per-locus comparison, statistics and
    decisions.
    """
    match: CandidateMatch
    query: SpecimenView
    candidate: SpecimenView
    loci: list[dict[str, Any]]
    stats: dict[str, Any] | None
    #: the decisions on the match, oldest first (each correction supersedes the one before)
    decisions: list[MatchDecision] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The detail as a JSON-ready dict; the alleles of a restricted side (another lab's) are
        left out.
        """
        return {"match": self.match.to_dict(), "query": self.query.to_dict(),
                "candidate": self.candidate.to_dict(),
                "loci": [{k: v for k, v in row.items()
                          if not (k in ("query", "candidate", "query_text", "candidate_text")
                                  and not self._visible(k))}
                         for row in self.loci],
                "statistics": json_safe(self.stats),
                "decisions": [d.to_dict() for d in self.decisions]}

    def _visible(self, side: str) -> bool:
        view = self.query if side.startswith("query") else self.candidate
        return not view.restricted


def find_match(store: Store, match_id: int, *, actor: str) -> CandidateMatch:
    """The candidate match ``match_id`` as the actor may see it.

    Raises NotFound if there is none, or it does not involve the actor's lab.
    """
    for m in store.list_matches(actor=actor):
        if m.id == match_id:
            return m
    raise NotFound(f"no candidate match {match_id}")


def match_detail(store: Store, match_id: int, *, actor: str,
                 purpose: str | None = None) -> MatchDetail:
    """A candidate match with both specimens as the actor may see them (each view audited),
    the per-locus comparison where both genotypes are visible, and the statistics."""
    m = find_match(store, match_id, actor=actor)
    why = purpose or f"match review {m.id}"
    q = store.get_specimen(m.query_specimen, lab=m.query_lab, actor=actor, purpose=why)
    c = store.get_specimen(m.candidate_specimen, lab=m.candidate_lab, actor=actor, purpose=why)
    both = q.profile is not None and c.profile is not None
    loci = compare_loci(q.profile, c.profile) if both else compare_loci(
        q.profile, None) if q.profile is not None else compare_loci(None, c.profile)
    stats = (match_statistics(store, q.profile, c.profile)
             if q.profile is not None and c.profile is not None else None)
    return MatchDetail(m, q, c, loci, stats, store.match_decisions(m.id, actor=actor))




def report_detail(store: Store, match_id: int, *, actor: str,
                  purpose: str | None = None) -> MatchDetail:
    """:func:`match_detail` of a match that a report may be made of: a confirmed match whose
    two genotypes the actor may see (the report shows both). The one rule for the API, the
    web page and ``locard matches report``."""
    detail = match_detail(store, match_id, actor=actor, purpose=purpose)
    if detail.match.status != "confirmed":
        raise InputError(f"candidate match {match_id} is {detail.match.status}; a report is "
                         "made for confirmed matches only",
                         remedy="confirm it first (`locard matches decide ID --status "
                                "confirmed --note TEXT`, or the match page)")
    if detail.query.restricted or detail.candidate.restricted:
        raise PermissionDenied("the report shows both genotypes; one specimen belongs to "
                               "another lab", remedy="ask that lab for its report")
    return detail
