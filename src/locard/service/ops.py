"""What the API and the web pages share: thin wrappers over the store's public API that shape
its results for display. Every call that touches specimens goes through a ``Store`` method with
the actor's name, so role, lab and audit are the store's business."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from locard.errors import ImportFailed, LocardError, NotFound
from locard.genetics.loci import CODIS_CORE_20, LOCI, LocusKind
from locard.genetics.profiles import LocusCall, Profile
from locard.jsonsafe import json_safe
from locard.service.engine import Engine
from locard.store import CandidateMatch, MatchDecision, SpecimenView, Store
from locard.store import schema as S
from locard.store.statistics import compared_loci, match_rmp

__all__ = ["MatchDetail", "compare_loci", "import_upload", "index_statistics", "match_detail",
           "match_statistics"]

UPLOAD_FORMATS = ("auto", "cmf", "genemapper", "csv", "json")


def index_statistics(store: Store) -> dict[str, Any]:
    """Counts per index, growth per day and index, and locus completeness (the distribution of
    typed loci per profile). Aggregates only: no specimen is named."""
    counts = store.counts()
    with store.db.read() as conn:
        day = sa.func.substr(S.specimens.c.created_at, 1, 10)
        rows = conn.execute(sa.select(day, S.specimens.c.idx, sa.func.count())
                            .group_by(day, S.specimens.c.idx).order_by(day)).all()
        loci_rows = conn.execute(sa.select(S.genotypes.c.n_loci, sa.func.count())
                                 .group_by(S.genotypes.c.n_loci)
                                 .order_by(S.genotypes.c.n_loci)).all()
        mixtures = conn.execute(sa.select(sa.func.count()).select_from(S.genotypes)
                                .where(S.genotypes.c.is_mixture.is_(True))).scalar_one()
    growth: dict[str, list[tuple[str, int]]] = {}
    running: dict[str, int] = {}
    for d, idx, n in rows:
        running[idx] = running.get(idx, 0) + int(n)
        growth.setdefault(str(idx), []).append((str(d), running[idx]))
    completeness = [(int(k), int(n)) for k, n in loci_rows]
    total = sum(counts.values())
    return {"counts": counts, "total": total, "mixtures": int(mixtures),
            "growth": growth, "loci_typed": completeness}


def import_upload(store: Store, engine: Engine, data: bytes, filename: str, *, format: str | None,
                  category: str | None, legal_basis: str | None, consent: str | None,
                  skip_invalid: bool, actor: str, purpose: str | None) -> dict[str, Any]:
    """Import an uploaded file through ``Store.import_file`` with search on entry; the report
    (with ``candidate_matches``: the match IDs recorded on entry), or (all or nothing refused)
    the problems with ``imported = 0``."""
    safe = "".join(ch for ch in Path(filename or "upload").name
                   if ch.isalnum() or ch in "._-")[:80] or "upload"
    fmt = None if format in (None, "", "auto") else format
    with tempfile.TemporaryDirectory(prefix="locard-upload-") as tmp:
        path = Path(tmp) / safe
        path.write_bytes(data)
        try:
            report, on_entry = engine.import_with_entry_search(
                actor, lambda: store.import_file(
                    path, format=fmt, category=category or None,
                    legal_basis=legal_basis or None, consent=consent or None,
                    skip_invalid=skip_invalid, actor=actor, purpose=purpose or None))
        except ImportFailed as exc:
            return {"file": safe, "imported": 0, "accepted": {}, "rejected": {},
                    "committed": False,
                    "problems": [{"message": _strip(p, tmp)} for p in exc.problems],
                    "summary": f"nothing imported: {len(exc.problems)} problem(s)"}
        except LocardError as exc:
            raise _client_named(exc, tmp) from None
        finally:
            if path.exists():
                os.unlink(path)
    out = report.to_dict()
    out["file"] = safe
    out["path"] = safe
    out["committed"] = True
    out["candidate_matches"] = on_entry
    for p in out["problems"]:
        p["file"] = safe
        p["message"] = _strip(p["message"], tmp)
    out["summary"] = f"{report.imported} imported, {len(report.problems)} problem(s)"
    return out


def _strip(text: str, tmp: str) -> str:
    return text.replace(tmp + os.sep, "").replace(tmp, "")


def _client_named(exc: LocardError, tmp: str) -> LocardError:
    """The error with the server's temporary path replaced by the file's client-side name
    (the upload is saved as ``<tmp>/<client name>``), in its message and its attributes."""
    exc.args = tuple(_strip(a, tmp) if isinstance(a, str) else a for a in exc.args)
    exc.message = _strip(exc.message, tmp)
    for attr in ("path", "file"):
        value = getattr(exc, attr, None)
        if isinstance(value, str):
            setattr(exc, attr, _strip(value, tmp))
    return exc


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
    match: CandidateMatch
    query: SpecimenView
    candidate: SpecimenView
    loci: list[dict[str, Any]]
    stats: dict[str, Any] | None
    #: the decisions on the match, oldest first (each correction supersedes the one before)
    decisions: list[MatchDecision] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
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


