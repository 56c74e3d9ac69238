"""Ranking the store by the semi-continuous LR of a mixed trace (``locard mixture rank``).

:func:`rank_store_by_mixture_lr` ranks every single-source profile of the indices the policy
matrix allows (mode ``mixture-lr``, governed by the *direct* matrix of the trace's index,
forensic by default) by the LR of a mixture case file whose Hp names the candidate
``CANDIDATE`` (:mod:`locard.search.mixture_rank`). Like every search it needs a stated purpose,
is authorized for all its targets at once (one forbidden target refuses the request, audited)
and is written to the audit log as one ``search`` entry with its hits, the hypotheses in words,
the parameters and the provenance of the table.

When the trace is a stored specimen of the user's lab (``trace``), each candidate at or above
the threshold (LR > 1 without one) becomes a pending candidate match (mode ``mixture-lr``,
``likelihood_ratio`` set) for a reviewer; the candidate_matches table has no room for the
hypotheses and the per-locus LRs, so they are kept in the search's audit entry (by match ID)
and in the returned report. A pair already recorded in that mode is not recorded twice.

Another lab's candidate shows only its lab, specimen ID, index and total LR (its per-locus LRs
would reveal its genotype); another lab's local-only profile is never shown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa

from locard.errors import InputError, NotFound, SearchError
from locard.search.mixture_rank import (
    CANDIDATE,
    AdventitiousHits,
    MixtureHit,
    adventitious_hits,
    mixture_lr_tables,
    rank_by_mixture_lr,
)
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.casefile import MixtureCase
from locard.stats.mixture.semicontinuous import DEFAULT_MAX_COMBINATIONS
from locard.stats.provenance import make_provenance
from locard.store import schema as S
from locard.store.categories import Index, parse_index
from locard.store.indexing import StoreIndices, specimen_rows
from locard.store.store import Store

__all__ = ["MIXTURE_MODE", "MixtureCandidate", "MixtureRankReport", "rank_store_by_mixture_lr"]

MIXTURE_MODE = "mixture-lr"


@dataclass(frozen=True, slots=True)
class MixtureCandidate:
    """One ranked profile; ``lr == prod(per_locus.values())`` for the user's own lab's."""

    rank: int
    lab: str
    specimen_id: str
    index: str
    lr: float
    log10_lr: float
    restricted: bool
    per_locus: dict[str, float] | None = field(default=None, repr=False)
    match_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rank": self.rank, "lab": self.lab,
                               "specimen_id": self.specimen_id, "index": self.index,
                               "lr": self.lr, "log10_lr": self.log10_lr,
                               "restricted": self.restricted, "match_id": self.match_id}
        if not self.restricted:
            out["per_locus"] = {k: {"lr": v, "log10_lr": math.log10(v) if v > 0 else None}
                                for k, v in (self.per_locus or {}).items()}
        return out


@dataclass(frozen=True, slots=True)
class MixtureRankReport:
    """The ranking: candidates best first, the hypotheses, the expected adventitious hits."""

    targets: tuple[str, ...]
    loci: tuple[str, ...]
    profiles_ranked: Mapping[str, int]
    candidates: tuple[MixtureCandidate, ...]
    hypotheses: Mapping[str, str]
    adventitious: AdventitiousHits
    purpose: str
    notes: Mapping[str, str]
    provenance: Mapping[str, Any] = field(repr=False)
    trace: str | None = None

    def __len__(self) -> int:
        return len(self.candidates)

    def to_dict(self) -> dict[str, Any]:
        return {"trace": self.trace, "targets": list(self.targets), "loci": list(self.loci),
                "profiles_ranked": dict(self.profiles_ranked), "purpose": self.purpose,
                "hypotheses": dict(self.hypotheses),
                "candidates": [c.to_dict() for c in self.candidates],
                "adventitious_hits": self.adventitious.to_dict(),
                "expected_adventitious_hits": self.adventitious.expected,
                "suggested_threshold": self.adventitious.suggested_threshold,
                "notes": dict(self.notes), "provenance": dict(self.provenance)}


def _trace_key(store: Store, lab: str, specimen_id: str) -> tuple[int, Index]:
    with store.db.read() as conn:
        row = conn.execute(
            sa.select(S.specimens.c.id, S.specimens.c.idx)
            .join(S.labs, S.labs.c.id == S.specimens.c.lab_id)
            .where(S.labs.c.code == lab, S.specimens.c.specimen_id == specimen_id)).first()
    if row is None:
        raise NotFound(f"trace: no specimen {specimen_id!r} of lab {lab!r}",
                       remedy="name a stored trace of your lab (--trace), or leave --trace out")
    return int(row.id), parse_index(row.idx)


def _recorded(store: Store, query_pk: int, candidate_pk: int) -> bool:
    m = S.candidate_matches
    with store.db.read() as conn:
        return conn.execute(sa.select(m.c.id).where(
            m.c.query_pk == query_pk, m.c.candidate_pk == candidate_pk,
            m.c.mode == MIXTURE_MODE)).first() is not None


def rank_store_by_mixture_lr(
    store: Store,
    case: MixtureCase,
    *,
    table: FrequencyTable,
    actor: str,
    purpose: str | None,
    top: int = 50,
    threshold: float | None = None,
    indices: Iterable[Index | str] | None = None,
    trace: str | None = None,
    query_index: Index | str = Index.FORENSIC,
    hd_conditioned: bool = True,
    q_shutdown_hp: bool = False,
    store_indices: StoreIndices | None = None,
    max_combinations: int = DEFAULT_MAX_COMBINATIONS,
) -> MixtureRankReport:
    """Rank the store's single-source profiles by the case's LR (candidate ``CANDIDATE``),
    best first: the ``top`` with ``LR >= threshold`` (any LR without one).

    ``indices`` default to what the policy matrix allows for ``query_index`` (the trace's
    index: forensic) in ``mixture-lr`` mode, i.e. the direct matrix; ``trace`` (a specimen ID
    of the user's lab) makes the hits candidate matches. See the module docstring."""
    if top < 1:
        raise SearchError(f"top = {top}: ask for at least one candidate",
                          remedy="give --top 1 or more")
    if threshold is not None and not (threshold > 0 and math.isfinite(threshold)):
        raise InputError(f"threshold = {threshold}: an LR threshold is a positive number",
                         remedy="give --threshold as an LR, e.g. 1000")
    with store.db.read() as conn:
        user = store.user_in(conn, actor)
    q_idx = parse_index(query_index)
    trace_pk: int | None = None
    query_ref: str | None = None
    if trace is not None:
        query_ref = store.specimen_ref(user.lab, trace)
        trace_pk, q_idx = _trace_key(store, user.lab, trace)
    wanted = (store.policy.allowed_targets(q_idx, MIXTURE_MODE) if indices is None
              else list(dict.fromkeys(parse_index(i) for i in indices)))
    # every target checked at once (a forbidden one, or no purpose, refuses the request and
    # is audited); the allowed request is audited once below, with its hits
    user = store.authorize_search(q_idx, wanted or [q_idx], MIXTURE_MODE, actor=actor,
                                  purpose=purpose, query_ref=query_ref, defer_audit=True)
    assert purpose is not None
    tables = mixture_lr_tables(case, table, candidate=CANDIDATE, hd_conditioned=hd_conditioned,
                               q_shutdown_hp=q_shutdown_hp, max_combinations=max_combinations)
    if not tables.loci:
        raise SearchError("no locus of the evidence enters the LR",
                          remedy="type the evidence at loci of the table and the knowns")
    own = store_indices or StoreIndices.open(store, actor=actor, attach=False)
    ranked: dict[str, int] = {}
    hits: list[tuple[Index, MixtureHit]] = []
    for t in wanted:
        pidx = own[t]
        ranked[t.value] = pidx.n_single
        if pidx.n_single == 0:
            continue
        codes, keys = pidx.single_codes()
        alive = (~np.isin(keys, np.fromiter(pidx.expunged, dtype=np.int64))
                 if pidx.expunged else None)
        found = rank_by_mixture_lr(
            codes, [d.alleles for d in pidx.encoder.dictionaries], pidx.loci, tables,
            top=2 * top + 10, threshold=threshold, keys=keys, locus_major=True, alive=alive)
        hits.extend((t, h) for h in found)
    rows = specimen_rows(store, [h.key for _, h in hits if h.key is not None])
    hits.sort(key=lambda th: (-th[1].log10_lr, th[0].value, th[1].key or 0))
    shown: list[MixtureCandidate] = []
    audit_matches: list[dict[str, Any]] = []
    words = tables.hypotheses_in_words()
    for t, hit in hits:
        row = rows.get(hit.key) if hit.key is not None else None
        if row is None or hit.key == trace_pk or (row.local_only and row.lab != user.lab):
            continue
        restricted = row.lab != user.lab
        match_id: int | None = None
        record = trace is not None and hit.lr > 1.0 and (threshold is None
                                                         or hit.lr >= threshold)
        if (record and trace is not None and trace_pk is not None
                and not _recorded(store, trace_pk, row.key)):
            match_id = store.record_candidate_match(
                query=(user.lab, trace), candidate=(row.lab, row.specimen_id),
                mode=MIXTURE_MODE, stringency="lr", compared_loci=len(hit.per_locus),
                mismatches=0, likelihood_ratio=hit.lr, actor=actor, purpose=purpose)
            audit_matches.append({
                "match": match_id, "candidate_ref": store.specimen_ref(row.lab,
                                                                       row.specimen_id),
                "lr": hit.lr, "per_locus": None if restricted else dict(hit.per_locus)})
        shown.append(MixtureCandidate(
            len(shown) + 1, row.lab, row.specimen_id, t.value, hit.lr,
            hit.log10_lr if math.isfinite(hit.log10_lr) else -math.inf, restricted,
            None if restricted else dict(hit.per_locus), match_id))
        if len(shown) >= top:
            break
    n_db = sum(ranked.values())
    adventitious = adventitious_hits(tables, database_size=n_db, threshold=threshold)
    parameters = {"top": top, "threshold": threshold, "targets": [t.value for t in wanted],
                  "hd_conditioned": hd_conditioned, "q_shutdown_hp": q_shutdown_hp,
                  "trace_index": q_idx.value,
                  **dict(tables.provenance.get("parameters", {}))}
    provenance = make_provenance(
        "mixture LR ranking", parameters=parameters, tables=table, purpose=purpose,
        user=user.name, lab=user.lab,
        statistic="semi-continuous (LRmix) LR, per-locus genotype tables "
                  "(locard.search.mixture_rank)")
    store.audit_search(user, q_idx, wanted, MIXTURE_MODE, purpose=purpose, hits=len(shown),
                       query_ref=query_ref, details={
                           "query_source": "store" if trace is not None else "case file",
                           "hypotheses": words, "parameters": parameters,
                           "frequencies": {"name": table.name,
                                           "sha256": table.describe().get("sha256")},
                           "profiles_ranked": n_db,
                           "expected_adventitious_hits": adventitious.expected,
                           "suggested_threshold": adventitious.suggested_threshold,
                           "matches": audit_matches})
    return MixtureRankReport(tuple(t.value for t in wanted), tables.loci, ranked,
                             tuple(shown), words, adventitious, purpose, dict(tables.notes),
                             provenance, trace)
