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

:func:`rank_store_by_continuous_lr` does the same for a ``"model": "continuous"`` case file
(ProbRank-class, :mod:`locard.search.continuous_rank`): Hd fitted once, every profile scored at
the Hd parameters, the best ``refit`` refitted by maximum likelihood; its audit entry adds the
model, the fitted Hd parameters and ``refit``, and its candidate matches carry the refitted LR.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa

from locard.errors import InputError, NotFound, SearchError
from locard.search.index import ProfileIndex
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
from locard.store.kernel import User
from locard.store.store import Store

__all__ = ["MIXTURE_MODE", "ContinuousCandidate", "ContinuousRankReport", "MixtureCandidate",
           "MixtureRankReport", "rank_store_by_continuous_lr", "rank_store_by_mixture_lr"]

MIXTURE_MODE = "mixture-lr"


def _per_locus_json(values: Mapping[str, float]) -> dict[str, dict[str, float | None]]:
    """Per-locus LRs as the JSON gives them: ``{locus: {"lr", "log10_lr"}}`` (log10 None for an
    LR of 0)."""
    return {k: {"lr": v, "log10_lr": math.log10(v) if v > 0 else None} for k, v in values.items()}


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
        """The candidate as a JSON-ready dict; per-locus LRs only when not restricted."""
        out: dict[str, Any] = {"rank": self.rank, "lab": self.lab,
                               "specimen_id": self.specimen_id, "index": self.index,
                               "lr": self.lr, "log10_lr": self.log10_lr,
                               "restricted": self.restricted, "match_id": self.match_id}
        if not self.restricted:
            out["per_locus"] = _per_locus_json(self.per_locus or {})
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
        """The report as a JSON-ready dict, with the adventitious-hit estimate."""
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


@dataclass(frozen=True, slots=True)
class _Request:
    """A ranking request once checked and authorised: the acting user, the trace's index, the
    trace's key and salted reference (a stored trace), the target indices."""

    user: User
    q_idx: Index
    trace_pk: int | None
    query_ref: str | None
    wanted: list[Index]


def _authorize_ranking(store: Store, *, actor: str, purpose: str | None, top: int,
                       threshold: float | None, indices: Iterable[Index | str] | None,
                       trace: str | None, query_index: Index | str) -> _Request:
    """The checks both rankings make before any work: ``top`` and ``threshold``, the stored
    trace, the targets (default: what the policy matrix allows in ``mixture-lr`` mode), every
    target authorised at once (a forbidden one, or no purpose, refuses the request and is
    audited; the allowed request is audited once, with its hits, by the caller)."""
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
    user = store.authorize_search(q_idx, wanted or [q_idx], MIXTURE_MODE, actor=actor,
                                  purpose=purpose, query_ref=query_ref, defer_audit=True)
    return _Request(user, q_idx, trace_pk, query_ref, wanted)


def _single_source(pidx: ProfileIndex) -> tuple[Any, Any, Any]:
    """An index's single-source codes, their keys and the mask of those not expunged (None
    when none is)."""
    codes, keys = pidx.single_codes()
    alive = (~np.isin(keys, np.fromiter(pidx.expunged, dtype=np.int64))
             if pidx.expunged else None)
    return codes, keys, alive


def _record_hit(store: Store, req: _Request, row: Any, *, trace: str | None, lr: float | None,
                threshold: float | None, compared_loci: int, actor: str,
                purpose: str) -> int | None:
    """A hit on a stored trace with ``LR > 1`` (and ``>= threshold`` when given) becomes a
    pending candidate match (mode ``mixture-lr``), unless that pair was recorded before;
    returns its ID, or None."""
    if (trace is None or req.trace_pk is None or lr is None or not lr > 1.0
            or (threshold is not None and lr < threshold)
            or _recorded(store, req.trace_pk, row.key)):
        return None
    return store.record_candidate_match(
        query=(req.user.lab, trace), candidate=(row.lab, row.specimen_id),
        mode=MIXTURE_MODE, stringency="lr", compared_loci=compared_loci, mismatches=0,
        likelihood_ratio=lr, actor=actor, purpose=purpose)


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
    if case.spec.model == "continuous":
        raise InputError("rank_store_by_mixture_lr: a continuous-model case file",
                         remedy="use rank_store_by_continuous_lr (locard mixture rank does)")
    req = _authorize_ranking(store, actor=actor, purpose=purpose, top=top, threshold=threshold,
                             indices=indices, trace=trace, query_index=query_index)
    user, q_idx, trace_pk, query_ref, wanted = (req.user, req.q_idx, req.trace_pk,
                                                req.query_ref, req.wanted)
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
        codes, keys, alive = _single_source(pidx)
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
        match_id = _record_hit(store, req, row, trace=trace, lr=hit.lr, threshold=threshold,
                               compared_loci=len(hit.per_locus), actor=actor, purpose=purpose)
        if match_id is not None:
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


# --- the continuous (gamma peak-height) model: ProbRank-class ranking --------------------------


@dataclass(frozen=True, slots=True)
class ContinuousCandidate:
    """One profile ranked by the continuous LR: ``lr_fixed`` at the Hd parameters (best slot
    ``slot``, ``== prod(per_locus_fixed.values())``) and ``lr``, the refitted maximum-likelihood
    LR (None beyond the refitted ``K``); per-locus values only for the user's own lab."""

    rank: int
    lab: str
    specimen_id: str
    index: str
    slot: int
    lr_fixed: float
    lr: float | None
    restricted: bool
    per_locus_fixed: dict[str, float] | None = field(default=None, repr=False)
    per_locus: dict[str, float] | None = field(default=None, repr=False)
    parameters: dict[str, Any] | None = field(default=None, repr=False)
    match_id: int | None = None

    @property
    def log10_lr_fixed(self) -> float:
        """log10 of the LR at the Hd-fitted parameters (-inf for an LR of 0)."""
        return math.log10(self.lr_fixed) if self.lr_fixed > 0 else -math.inf

    @property
    def log10_lr(self) -> float | None:
        """log10 of the refitted LR (-inf for 0), or None where it was not refitted."""
        if self.lr is None:
            return None
        return math.log10(self.lr) if self.lr > 0 else -math.inf

    def to_dict(self) -> dict[str, Any]:
        """The candidate as a JSON-ready dict; per-locus LRs and parameters only when not
        restricted.
        """
        out: dict[str, Any] = {"rank": self.rank, "lab": self.lab,
                               "specimen_id": self.specimen_id, "index": self.index,
                               "slot": self.slot, "lr_fixed": self.lr_fixed,
                               "log10_lr_fixed": self.log10_lr_fixed, "lr": self.lr,
                               "log10_lr": self.log10_lr, "refitted": self.lr is not None,
                               "restricted": self.restricted, "match_id": self.match_id}
        if not self.restricted:
            out["per_locus_fixed"] = (None if self.per_locus_fixed is None
                                      else _per_locus_json(self.per_locus_fixed))
            out["per_locus"] = None if self.per_locus is None else _per_locus_json(self.per_locus)
            out["parameters"] = self.parameters
        return out


@dataclass(frozen=True, slots=True)
class ContinuousRankReport:
    """The continuous ranking: the Hd fit, the candidates (refitted first, by refitted LR)."""

    targets: tuple[str, ...]
    loci: tuple[str, ...]
    profiles_ranked: Mapping[str, int]
    candidates: tuple[ContinuousCandidate, ...]
    hypotheses: Mapping[str, str]
    hd_parameters: Mapping[str, Any]
    hd_loglik: float
    refit: int
    purpose: str
    notes: Mapping[str, str]
    provenance: Mapping[str, Any] = field(repr=False)
    trace: str | None = None

    def __len__(self) -> int:
        return len(self.candidates)

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (``model: "continuous"``)."""
        return {"model": "continuous", "trace": self.trace, "targets": list(self.targets),
                "loci": list(self.loci), "profiles_ranked": dict(self.profiles_ranked),
                "purpose": self.purpose, "hypotheses": dict(self.hypotheses),
                "hd_parameters": dict(self.hd_parameters), "hd_loglik": self.hd_loglik,
                "refit": self.refit, "candidates": [c.to_dict() for c in self.candidates],
                "notes": dict(self.notes), "provenance": dict(self.provenance)}


def rank_store_by_continuous_lr(
    store: Store,
    case: MixtureCase,
    *,
    table: FrequencyTable,
    actor: str,
    purpose: str | None,
    top: int = 50,
    refit: int = 20,
    threshold: float | None = None,
    indices: Iterable[Index | str] | None = None,
    trace: str | None = None,
    query_index: Index | str = Index.FORENSIC,
    store_indices: StoreIndices | None = None,
    max_combinations: int | None = None,
) -> ContinuousRankReport:
    """Rank the store's single-source profiles by the continuous LR of a ``"model":
    "continuous"`` case file (candidate ``CANDIDATE``; :mod:`locard.search.continuous_rank`):
    Hd fitted once, every allowed profile scored at the Hd parameters, the ``refit`` best
    refitted with the full maximum-likelihood LR and re-ordered by it.

    Purpose, authorization of all targets, audit (one ``search`` entry, mode ``mixture-lr``,
    with the fitted Hd parameters, ``refit`` and model "continuous") and candidate matches (the
    refitted candidates with LR > 1, and >= ``threshold`` when given, for a stored ``trace``;
    ``likelihood_ratio`` the refitted LR) as :func:`rank_store_by_mixture_lr`. ``threshold``
    also selects on the fixed-parameter LR."""
    from locard.search.continuous_rank import (
        ContinuousHit,
        continuous_lookups,
        continuous_rank_tables,
        decode_candidate,
        rank_by_continuous_lr,
        refit_hits,
    )

    if refit < 0:
        raise SearchError(f"refit = {refit}: a number of candidates to refit",
                          remedy="give --refit 0 or more")
    req = _authorize_ranking(store, actor=actor, purpose=purpose, top=top, threshold=threshold,
                             indices=indices, trace=trace, query_index=query_index)
    user, q_idx, trace_pk, query_ref, wanted = (req.user, req.q_idx, req.trace_pk,
                                                req.query_ref, req.wanted)
    assert purpose is not None
    rt = continuous_rank_tables(case, table, candidate=CANDIDATE,
                                max_combinations=max_combinations)
    if not rt.loci:
        raise SearchError("no locus of the evidence enters the LR",
                          remedy="type the evidence at loci of the table and the knowns")
    own = store_indices or StoreIndices.open(store, actor=actor, attach=False)
    ranked: dict[str, int] = {}
    found: list[tuple[Index, ContinuousHit, Any]] = []
    for t in wanted:
        pidx = own[t]
        ranked[t.value] = pidx.n_single
        if pidx.n_single == 0:
            continue
        codes, keys, alive = _single_source(pidx)
        maps = [d.alleles for d in pidx.encoder.dictionaries]
        lookups = continuous_lookups(rt, pidx.loci, maps)
        for h in rank_by_continuous_lr(codes, maps, pidx.loci, lookups, top=2 * top + 10,
                                       threshold=threshold, keys=keys, locus_major=True,
                                       alive=alive):
            found.append((t, h, decode_candidate(codes, maps, pidx.loci, h.row,
                                                 locus_major=True)))
    rows = specimen_rows(store, [h.key for _, h, _ in found if h.key is not None])
    found.sort(key=lambda th: (-th[1].log10_lr_fixed, th[0].value, th[1].key or 0))
    kept = []
    for t, hit, prof in found:
        row = rows.get(hit.key) if hit.key is not None else None
        if row is None or hit.key == trace_pk or (row.local_only and row.lab != user.lab):
            continue
        kept.append((t, hit, prof, row))
        if len(kept) >= top:
            break
    refitted = refit_hits(rt, [h for _, h, _, _ in kept], [p for _, _, p, _ in kept],
                          refit=refit, max_combinations=max_combinations)
    by_key = {h.key: (t, row) for t, h, _, row in kept}  # the specimen's key: unique
    shown: list[ContinuousCandidate] = []
    audit_matches: list[dict[str, Any]] = []
    for hit in refitted:
        t, row = by_key[hit.key]
        restricted = row.lab != user.lab
        lr = hit.lr
        per_locus = (None if hit.refit is None
                     else {k: v.lr for k, v in hit.refit.per_locus.items()})
        params = (None if hit.refit is None
                  else {"hp": hit.refit.hp_fit.parameters.to_dict(),
                        "hd": hit.refit.hd_fit.parameters.to_dict()})
        match_id = _record_hit(store, req, row, trace=trace, lr=lr, threshold=threshold,
                               compared_loci=len(per_locus or {}), actor=actor,
                               purpose=purpose)
        if match_id is not None:
            audit_matches.append({
                "match": match_id, "candidate_ref": store.specimen_ref(row.lab,
                                                                       row.specimen_id),
                "lr": lr, "lr_fixed": hit.lr_fixed,
                "per_locus": None if restricted else per_locus,
                "parameters": None if restricted else params})
        shown.append(ContinuousCandidate(
            len(shown) + 1, row.lab, row.specimen_id, t.value, hit.slot, hit.lr_fixed, lr,
            restricted, None if restricted else dict(hit.per_locus_fixed),
            None if restricted else per_locus, None if restricted else params, match_id))
    n_db = sum(ranked.values())
    hd_parameters = rt.hd_fit.fit.parameters.to_dict()
    parameters = {"top": top, "refit": refit, "threshold": threshold,
                  "targets": [t.value for t in wanted], "trace_index": q_idx.value,
                  **dict(rt.provenance.get("parameters", {}))}
    provenance = make_provenance(
        "mixture LR ranking", parameters=parameters, tables=table, purpose=purpose,
        user=user.name, lab=user.lab,
        statistic="continuous (gamma peak-height, EuroForMix model) LR: per-locus genotype "
                  "tables at the Hd maximum (locard.search.continuous_rank), the top "
                  f"{refit} refitted by maximum likelihood")
    words = rt.hypotheses_in_words()
    store.audit_search(user, q_idx, wanted, MIXTURE_MODE, purpose=purpose, hits=len(shown),
                       query_ref=query_ref, details={
                           "query_source": "store" if trace is not None else "case file",
                           "model": "continuous", "hypotheses": words,
                           "parameters": parameters, "hd_parameters": hd_parameters,
                           "refit": refit,
                           "frequencies": {"name": table.name,
                                           "sha256": table.describe().get("sha256")},
                           "profiles_ranked": n_db, "matches": audit_matches})
    return ContinuousRankReport(tuple(t.value for t in wanted), rt.loci, ranked, tuple(shown),
                                words, hd_parameters, rt.hd_fit.fit.loglik, refit, purpose,
                                dict(rt.notes), provenance, trace)
