"""Searching the store: policy-scoped, audited, lab-scoped searches over the store's indices.

:func:`search_store` compares one query (a stored specimen, or a profile from a file) with the
indices the search policy matrix allows for the query's index. All target indices go through
one :meth:`Store.authorize_search` (role, stated purpose, matrix); a request naming an index
outside the matrix is refused as a whole with :class:`PolicyViolation` before anything is
searched (one ``search_refused`` entry). An allowed request is one ``search`` audit entry
(every target, the salted query reference, the number of hits), written after the search and
before the report is returned.

What a candidate shows follows the lab: for the user's own lab's specimen the index, the
stringency reached, compared loci, failing loci, the ``rmp`` (the candidate's RMP over the
compared loci, :func:`locard.store.statistics.match_rmp`; CPI for a mixture candidate) and the
per-locus comparison with the candidate's alleles; for another lab's
specimen only the lab ID, the specimen ID, the index and the stringency reached (as NDIS). A
local-only profile of another lab is never returned. A candidate whose key no longer exists in
the database (expunged) is never returned, whatever the snapshot holds.

Search on entry (:func:`enable_search_on_entry`): newly imported forensic, missing-person and
unidentified-remains profiles are searched against the indices the matrix allows; offender and
arrestee profiles against the forensic index; each hit becomes a pending candidate match
(:meth:`Store.record_candidate_match`) for a reviewer. A bulk import is searched in reverse
(each target profile against the batch) when that runs fewer searches; see
:class:`EntrySearch`. Search on entry is durable: the store writes each import's pending
search (``search_outbox``) in the import's own transaction, the hook deletes it once the hits
are recorded, and :func:`resume_pending_searches` runs what a crash left pending. New single-source
references are also scored against the stored forensic mixtures by the semi-continuous LR
(``[mixture_search]``, :mod:`locard.store.mixture_entry`).

The self-check of the store's indices (``locard db check``) is :mod:`locard.store.selfcheck`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa

from locard.errors import (
    InputError,
    LocardError,
    NotFound,
    PermissionDenied,
    PolicyViolation,
)
from locard.genetics.profiles import Profile
from locard.search.candidates import Candidate, Stringency
from locard.search.entry import (
    ENTRY_STRATEGIES,
    EntryPair,
    check_entry_strategy,
    entry_direction,
    entry_pairs,
    one_per_pair,
)
from locard.search.multi_index import search_indices
from locard.store import schema as S
from locard.store.audit import canonical_json
from locard.store.categories import Index, parse_index
from locard.store.indexing import SpecimenRow, StoreIndices, specimen_rows
from locard.store.mixture_entry import MixtureEntrySearch
from locard.store.policy import Policy
from locard.store.statistics import profile_rmp
from locard.store.store import Store, User

__all__ = [
    "ENTRY_STRATEGIES",
    "ON_ENTRY_PURPOSE",
    "EntryPair",
    "EntrySearch",
    "ResumedSearches",
    "SearchHit",
    "SearchReport",
    "authorize_targets",
    "enable_search_on_entry",
    "resume_pending_searches",
    "search_on_entry_enabled",
    "search_store",
    "visible",
]

ON_ENTRY_PURPOSE = "search on entry"
#: query index -> the targets searched on entry (then intersected with the policy matrix);
#: None: whatever the matrix allows
ON_ENTRY_TARGETS: dict[Index, frozenset[Index] | None] = {
    Index.FORENSIC: None,
    Index.UNIDENTIFIED: None,
    Index.MISSING_PERSON: None,
    Index.OFFENDER: frozenset({Index.FORENSIC}),
    Index.ARRESTEE: frozenset({Index.FORENSIC}),
}


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One candidate as the searching user may see it. ``restricted`` (another lab's
    specimen): only ``lab``, ``specimen_id``, ``index`` and ``stringency`` are set."""

    lab: str
    specimen_id: str
    index: str
    stringency: str | None
    restricted: bool
    compared_loci: int | None = None
    mismatches: int | None = None
    included_loci: int | None = None
    is_mixture: bool | None = None
    rmp: float | None = None
    loci: dict[str, dict[str, Any]] | None = None
    key: int = field(default=0, repr=False, compare=False)  # internal, never shown

    def to_dict(self) -> dict[str, Any]:
        """The hit as a JSON-ready dict; loci and statistics only when not restricted (another
        lab's).
        """
        out: dict[str, Any] = {"lab": self.lab, "specimen_id": self.specimen_id,
                               "index": self.index, "stringency": self.stringency,
                               "restricted": self.restricted}
        if not self.restricted:
            out.update({"compared_loci": self.compared_loci, "mismatches": self.mismatches,
                        "included_loci": self.included_loci, "is_mixture": self.is_mixture,
                        "rmp": self.rmp, "loci": self.loci})
        return out


@dataclass(frozen=True, slots=True)
class SearchReport:
    """A store search: the query, the indices searched, the parameters, the candidates."""

    query_lab: str | None
    query_specimen: str | None
    query_index: str
    mode: str
    targets: tuple[str, ...]
    parameters: Mapping[str, Any]
    purpose: str
    user: str
    candidates: tuple[SearchHit, ...]

    def __len__(self) -> int:
        return len(self.candidates)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form: the query, mode, target indices, parameters, purpose, user and
        candidates."""
        return {"query": {"lab": self.query_lab, "specimen_id": self.query_specimen,
                          "index": self.query_index},
                "mode": self.mode, "targets": list(self.targets),
                "parameters": dict(self.parameters), "purpose": self.purpose,
                "user": self.user, "candidates": [c.to_dict() for c in self.candidates]}


# --- the query ------------------------------------------------------------------------------------


def _query_profile(store: Store, query: str | Profile, *, lab: str | None,
                   query_index: Index | str | None, user: User, purpose: str
                   ) -> tuple[Profile, Index, str | None, str | None, int | None, str | None]:
    """(profile, index, lab, specimen ID, key, salted reference) of the query. Reading a
    stored query is part of the search and audited in its one entry (no separate view);
    a query that cannot be used is audited here (one entry) before the error is raised."""
    if isinstance(query, Profile):
        idx = parse_index(query_index) if query_index is not None else Index.FORENSIC
        return query, idx, None, query.specimen_id, None, None
    lab_code = lab or user.lab
    ref = store.specimen_ref(lab_code, query)
    if lab_code != user.lab:
        store.refuse(user, "search_refused", PermissionDenied(
            f"a search may start only from the user's own lab's specimens (lab {user.lab!r})",
            remedy="ask the other lab to search, or search with a profile file"),
            {"query_lab": lab_code, "query_ref": ref}, purpose=purpose)
    with store.db.read() as conn:
        row = conn.execute(
            sa.select(S.specimens.c.id, S.specimens.c.idx, S.genotypes.c.profile_json)
            .join(S.labs, S.labs.c.id == S.specimens.c.lab_id)
            .join(S.genotypes, S.genotypes.c.specimen_pk == S.specimens.c.id)
            .where(S.labs.c.code == lab_code, S.specimens.c.specimen_id == query)).first()
    failure: LocardError | None = None
    if row is None:
        failure = NotFound(f"no specimen {query!r} of lab {lab_code!r}")
    elif query_index is not None and parse_index(query_index) is not parse_index(row.idx):
        failure = InputError(f"specimen {query!r} is in the {parse_index(row.idx).value} "
                             f"index, not {parse_index(query_index).value}")
    if failure is not None or row is None:
        with store.db.write() as conn:
            store.write_audit(conn, user, "search", {
                "query_index": None if row is None else parse_index(row.idx).value,
                "targets": [], "mode": "direct", "query_ref": ref, "hits": 0,
                "found": row is not None, "failed": type(failure).__name__},
                purpose=purpose)
        assert failure is not None
        raise failure
    profile = Profile.from_canonical_json(row.profile_json).with_specimen_id(query)
    return profile, parse_index(row.idx), lab_code, query, int(row.id), ref


def _targets(policy: Policy, query_index: Index, indices: Iterable[Index | str] | None,
             mode: str = "direct") -> tuple[list[Index], Index | None]:
    """The requested (default: allowed) targets, and the first one the matrix forbids."""
    wanted = (policy.allowed_targets(query_index, mode) if indices is None
              else list(dict.fromkeys(parse_index(i) for i in indices)))
    if not wanted:  # nothing allowed at all (e.g. relatives in direct mode): refuse
        return [], query_index
    for t in wanted:
        try:
            policy.check_search_allowed(query_index, t, mode)
        except PolicyViolation:
            return wanted, t
    return wanted, None


def authorize_targets(store: Store, query_index: Index, indices: Iterable[Index | str] | None,
                      *, mode: str, actor: str, purpose: str | None) -> tuple[User, list[Index]]:
    """Authorize every target (audited); one forbidden target refuses the whole request
    (the refusal audited, nothing searched)."""
    wanted, bad = _targets(store.policy, query_index, indices, mode)
    if bad is not None:
        store.authorize_search(query_index, bad, mode, actor=actor, purpose=purpose)
        raise PolicyViolation(  # pragma: no cover - authorize_search raised already
            f"policy forbids a {mode} search of the {query_index.value} index")
    user: User | None = None
    for t in wanted:
        user = store.authorize_search(query_index, t, mode, actor=actor, purpose=purpose)
    assert user is not None
    return user, wanted


# --- the statistic and shaping -------------------------------------------------------------------


def _rmp(store: Store, profile: Profile, loci: Sequence[str]) -> float | None:
    """The candidate's RMP over the compared loci (:func:`match_rmp`, the one function the
    match page, the API and the report use too); None when it cannot be computed."""
    try:
        found = profile_rmp(store.policy, profile, loci=loci)
    except LocardError:
        return None
    return None if found is None else found.rmp


def _hit(store: Store, user: User, cand: Candidate, row: SpecimenRow,
         stringency: str | None) -> SearchHit:
    if row.lab != user.lab:
        return SearchHit(row.lab, row.specimen_id, row.index.value, stringency, True,
                         key=cand.key)
    compared = list(cand.compared_locus_names)
    loci = {k: {"comparison": c.value,
                "alleles": [str(a) for a in cand.profile.loci[k].alleles]
                if k in cand.profile.loci else []}
            for k, c in cand.loci.items()}
    return SearchHit(row.lab, row.specimen_id, row.index.value, stringency, False,
                     cand.compared_loci, cand.mismatches, cand.included_loci, cand.is_mixture,
                     _rmp(store, cand.profile, compared), loci,
                     key=cand.key)


def visible(row: SpecimenRow | None, user_lab: str) -> bool:
    """Whether a user of ``user_lab`` may see the specimen ``row`` at all: it exists (not
    expunged) and is the user's own lab's or not local-only."""
    return row is not None and (row.lab == user_lab or not row.local_only)


def search_store(store: Store, query: str | Profile, *, actor: str, purpose: str | None,
                 lab: str | None = None, query_index: Index | str | None = None,
                 stringency: str | Stringency = Stringency.MODERATE, min_loci: int = 8,
                 mismatches: int = 0, indices: Iterable[Index | str] | None = None,
                 limit: int | None = 100, store_indices: StoreIndices | None = None
                 ) -> SearchReport:
    """Search the store for ``query``: a specimen ID of the user's lab (``lab`` defaults to
    it) or a :class:`Profile` (a forensic query unless ``query_index`` says otherwise).

    ``indices`` default to what the policy matrix allows for the query's index; a target the
    matrix forbids refuses the request (:class:`PolicyViolation`, audited). A mixture query
    runs the mixture inclusion search (``mismatches`` = drop-out loci; hits are reported at
    moderate stringency, as CODIS). ``store_indices`` reuses open indices (default: open
    them from the snapshot, brought up to date)."""
    s = Stringency(stringency.lower()) if isinstance(stringency, str) else stringency
    user = store.authorize(actor, "search")
    if not purpose or not purpose.strip():
        # the refusal is audited by authorize_search
        store.authorize_search(query_index or Index.FORENSIC, Index.FORENSIC, actor=actor,
                               purpose=purpose)
    assert purpose is not None
    profile, q_idx, q_lab, q_sid, q_key, q_ref = _query_profile(
        store, query, lab=lab, query_index=query_index, user=user, purpose=purpose)
    targets, _ = _targets(store.policy, q_idx, indices, "direct")
    # every target checked at once: a forbidden one refuses the request (one entry; with
    # nothing allowed at all the refusal names the query's own index); an allowed request
    # is audited once, below, with its number of hits
    user = store.authorize_search(q_idx, targets or [q_idx], "direct", actor=actor,
                                  purpose=purpose, query_ref=q_ref, defer_audit=True)
    own = store_indices or StoreIndices.open(store, actor=actor, attach=False)
    mode = "mixture" if profile.is_mixture else "direct"
    # ranked best first (search_indices); slack for the candidates dropped here (the query
    # itself, expunged specimens, another lab's local-only profiles)
    found = search_indices([own[t] for t in targets], profile, stringency=s,
                           min_loci=min_loci, mismatches=mismatches,
                           limit_per_index=None if limit is None else max(4 * limit, 200))
    rows = specimen_rows(store, [c.key for c in found])
    kept = [c for c in found if c.key != q_key and visible(rows.get(c.key), user.lab)]
    shown = [_hit(store, user, c, rows[c.key],
                  Stringency.MODERATE.value if mode == "mixture"
                  else c.stringency.value if c.stringency else None)
             for c in (kept if limit is None else kept[:limit])]
    params = {"stringency": s.value, "min_loci": min_loci, "mismatches": mismatches,
              "limit": limit, "mixture": mode == "mixture"}
    store.audit_search(user, q_idx, targets, "direct", purpose=purpose, hits=len(shown),
                       query_ref=q_ref, details={
                           "query_source": "file" if q_ref is None else "store",
                           "stringency": s.value, "min_loci": min_loci,
                           "mismatches": mismatches, "limit": limit})
    return SearchReport(q_lab, q_sid, q_idx.value, mode, tuple(t.value for t in targets),
                        params, purpose, user.name, tuple(shown))


# --- search on entry ------------------------------------------------------------------------------


def search_on_entry_enabled(policy: Policy, option: bool | None = None) -> bool:
    """``option`` if given, else the policy's ``search_on_entry`` (top level) or
    ``[search] on_entry``, else True (the default)."""
    if option is not None:
        return option
    return policy.search_on_entry


def _on_entry_targets(policy: Policy, idx: Index) -> list[Index]:
    if idx not in ON_ENTRY_TARGETS:
        return []
    allowed = policy.allowed_targets(idx, "direct")
    wanted = ON_ENTRY_TARGETS[idx]
    return [t for t in allowed if wanted is None or t in wanted]


def _pair_recorded(store: Store, a: int, b: int) -> bool:
    m = S.candidate_matches
    with store.db.read() as conn:
        return conn.execute(sa.select(m.c.id).where(
            ((m.c.query_pk == a) & (m.c.candidate_pk == b))
            | ((m.c.query_pk == b) & (m.c.candidate_pk == a))).limit(1)).first() is not None


_SQL_CHUNK = 500


def _contiguous(keys: Sequence[int]) -> bool:
    return bool(keys) and max(keys) - min(keys) + 1 == len(set(keys))


def _local_only_keys(store: Store, keys: Sequence[int]) -> set[int]:
    """The local-only specimens among ``keys``: one range query for an import's contiguous
    keys, else ``IN`` lists of at most 500."""
    sp = S.specimens
    out: set[int] = set()
    if not keys:
        return out
    with store.db.read() as conn:
        if _contiguous(keys):
            out.update(int(k) for k in conn.execute(
                sa.select(sp.c.id).where(sp.c.id >= min(keys), sp.c.id <= max(keys),
                                         sp.c.local_only.is_(True))).scalars())
            return out
        wanted = sorted({int(k) for k in keys})
        for start in range(0, len(wanted), _SQL_CHUNK):
            out.update(int(k) for k in conn.execute(
                sa.select(sp.c.id).where(sp.c.id.in_(wanted[start:start + _SQL_CHUNK]),
                                         sp.c.local_only.is_(True))).scalars())
    return out


@dataclass
class EntrySearch:
    """The installed search-on-entry hook; ``recorded`` lists the candidate match IDs made,
    ``strategies`` the direction each (query index, target) of the last import ran in.

    The comparisons are :func:`locard.search.entry.entry_pairs` (what a pair must satisfy,
    forward or in reverse, :data:`ENTRY_STRATEGIES`); the hook authorises and audits them per
    query index, and records one pending candidate match per pair."""

    store: Store
    indices: StoreIndices
    actor: str
    purpose: str
    stringency: Stringency = Stringency.MODERATE
    min_loci: int = 8
    mismatches: int = 0
    strategy: str = "auto"
    recorded: list[int] = field(default_factory=list)
    strategies: dict[str, str] = field(default_factory=dict)
    #: the mixture LR search on entry (``[mixture_search]``), made on first use
    mixture_lr: MixtureEntrySearch | None = field(default=None, repr=False)

    @property
    def outbox(self) -> dict[str, Any]:
        """What resuming this search needs: written by the store, in the import's
        transaction, as a pending ``search_outbox`` row (see :func:`resume_pending_searches`)."""
        return {"actor": self.actor, "purpose": self.purpose,
                "stringency": self.stringency.value, "min_loci": self.min_loci,
                "mismatches": self.mismatches, "strategy": self.strategy}

    def __call__(self, lab: str, keys: list[int]) -> list[int]:
        """Search the new specimens ``keys``; returns the IDs of the candidate matches recorded
        for them (the import's report lists them)."""
        self.strategies = {}
        before = len(self.recorded)
        pairs = self.find(keys, audit=True)
        self.record(pairs)
        self.score_mixtures(keys)
        if keys:  # recorded: the pending row of this import goes
            _outbox_done(self.store, S.search_outbox.c.first_pk == min(keys),
                         S.search_outbox.c.last_pk == max(keys),
                         S.search_outbox.c.params == canonical_json(self.outbox))
        return self.recorded[before:]

    def score_mixtures(self, keys: Sequence[int]) -> list[int]:
        """Score the new single-source references among ``keys`` against the stored forensic
        mixtures by the semi-continuous LR (``[mixture_search]``, :mod:`locard.store.
        mixture_entry`); records (and returns) the candidate matches above its threshold."""
        if not self.store.policy.mixture_search.on_entry or not keys:
            return []
        if self.mixture_lr is None:
            self.mixture_lr = MixtureEntrySearch(self.store, self.indices, self.actor,
                                                 self.purpose)
        local = _local_only_keys(self.store, keys)
        made = self.mixture_lr([int(k) for k in keys if int(k) not in local])
        self.recorded.extend(made)
        return made

    # --- finding -----------------------------------------------------------------------------

    def find(self, keys: Sequence[int], *, audit: bool = False) -> list[EntryPair]:
        """Every comparison between the new specimens ``keys`` and what each may be searched
        against on entry (authorized; with ``audit`` one audit entry per query index, with its
        number of hits). Unfiltered: the recording drops expunged and local-only specimens
        and pairs recorded before."""
        store = self.store
        local = _local_only_keys(store, keys)
        new = np.array(sorted({int(k) for k in keys} - local), dtype=np.int64)
        out: list[EntryPair] = []
        if new.size == 0:
            return out
        for q_idx in ON_ENTRY_TARGETS:
            targets = _on_entry_targets(store.policy, q_idx)
            if not targets:
                continue
            batch = self.indices[q_idx].subset(new)
            if len(batch) == 0:
                continue
            user = store.authorize_search(q_idx, targets, "direct", actor=self.actor,
                                          purpose=self.purpose, defer_audit=True)
            found: list[EntryPair] = []
            for t in targets:
                target = self.indices[t]
                if len(target) == 0:
                    continue
                direction = entry_direction(batch, target, self.strategy)
                self.strategies[f"{q_idx.value}->{t.value}"] = direction
                found.extend(entry_pairs(batch, target, direction=direction,
                                         stringency=self.stringency, min_loci=self.min_loci,
                                         mismatches=self.mismatches))
            out.extend(found)
            if audit:
                store.audit_search(user, q_idx, targets, "direct", purpose=self.purpose,
                                   hits=len({f.pair for f in found}), details={
                                       "on_entry": True, "profiles": len(batch),
                                       "first_key": int(new[0]), "last_key": int(new[-1]),
                                       "strategies": {t.value: self.strategies.get(
                                           f"{q_idx.value}->{t.value}") for t in targets}})
        return out

    # --- recording ---------------------------------------------------------------------------

    def record(self, found: Iterable[EntryPair]) -> list[int]:
        """One pending candidate match per pair (the orientation with the lower query key
        where both were searched, :func:`~locard.search.entry.one_per_pair`), unless either
        specimen is gone or local-only or the pair was recorded before (either way round);
        the IDs of the matches made (also appended to :attr:`recorded`)."""
        made: list[int] = []
        pairs = one_per_pair(found)
        if not pairs:
            return made
        store = self.store
        rows = specimen_rows(store, [k for f in pairs for k in f.pair])
        for f in pairs:
            q_row, c_row = rows.get(f.query), rows.get(f.candidate)
            if q_row is None or c_row is None or q_row.local_only or c_row.local_only:
                continue
            if _pair_recorded(store, f.query, f.candidate):
                continue
            mid = store.record_candidate_match(
                query=(q_row.lab, q_row.specimen_id),
                candidate=(c_row.lab, c_row.specimen_id), mode="direct",
                stringency=f.stringency.value, compared_loci=f.compared_loci,
                mismatches=f.mismatches,
                rmp=_rmp(store, f.profile, f.loci),
                actor=self.actor, purpose=self.purpose)
            self.recorded.append(mid)
            made.append(mid)
        return made


def enable_search_on_entry(store: Store, *, actor: str, purpose: str | None = None,
                           enabled: bool | None = None, store_indices: StoreIndices | None = None,
                           stringency: str | Stringency = Stringency.MODERATE,
                           min_loci: int = 8, mismatches: int = 0,
                           strategy: str = "auto", resume: bool = True) -> EntrySearch | None:
    """Search every newly imported profile on entry (see the module docstring), as ``actor``
    (the importing user) for ``purpose`` (default ``'search on entry'``). ``enabled`` overrides
    the policy's ``search_on_entry`` (default on). Returns the hook, or None when disabled.
    The indices are opened (and attached, so they see the import first) when not given.
    ``strategy`` (:data:`ENTRY_STRATEGIES`) only changes the speed, never the matches.
    Durable: the store records each import's pending search in the import's transaction;
    with ``resume`` (default) the searches a crash left pending run first
    (:func:`resume_pending_searches`)."""
    check_entry_strategy(strategy)
    if not search_on_entry_enabled(store.policy, enabled):
        return None
    own = store_indices or StoreIndices.open(store, actor=actor)
    own.attach()
    s = Stringency(stringency.lower()) if isinstance(stringency, str) else stringency
    hook = EntrySearch(store, own, actor, (purpose or "").strip() or ON_ENTRY_PURPOSE, s,
                       min_loci, mismatches, strategy)
    store.on_import.append(hook)
    if resume:
        resume_pending_searches(store, store_indices=own)
    return hook


def _outbox_done(store: Store, *where: Any) -> None:
    with store.db.write() as conn:
        conn.execute(S.search_outbox.delete().where(*where))


@dataclass(frozen=True, slots=True)
class ResumedSearches:
    """What :func:`resume_pending_searches` did: the pending searches (imports) it ran, the
    candidate matches they recorded, and those left pending (why: e.g. the importing user
    was deactivated; they stay in the outbox for a later start)."""

    batches: int
    recorded: tuple[int, ...]
    left: tuple[str, ...] = ()


def resume_pending_searches(store: Store, *,
                            store_indices: StoreIndices | None = None) -> ResumedSearches:
    """Run the searches on entry that a crash left pending (``search_outbox``: written in
    the import's own transaction, deleted once the hits are recorded), each as its importing
    user, for its purpose and with its parameters. Specimens expunged since are skipped;
    a pair recorded before is not recorded again, so running this twice (or after a crash
    half-way through the recording) records every hit exactly once. Called by
    :func:`enable_search_on_entry` (so by ``locard import`` and every import of the
    service) and when the service starts."""
    ob = S.search_outbox
    with store.db.read() as conn:
        pending = conn.execute(sa.select(ob).order_by(ob.c.id)).all()
    recorded: list[int] = []
    left: list[str] = []
    own = store_indices
    for row in pending:
        params = json.loads(row.params)
        with store.db.read() as conn:
            keys = [int(k) for k in conn.execute(
                sa.select(S.specimens.c.id).where(S.specimens.c.id >= row.first_pk,
                                                  S.specimens.c.id <= row.last_pk)
                .order_by(S.specimens.c.id)).scalars()]
        try:
            if keys:
                if own is None:
                    own = StoreIndices.open(store, actor=str(params["actor"]), attach=False)
                else:
                    own.refresh()
                hook = EntrySearch(store, own, str(params["actor"]), str(params["purpose"]),
                                   Stringency(str(params["stringency"])),
                                   int(params["min_loci"]), int(params["mismatches"]),
                                   str(params["strategy"]))
                hook.record(hook.find(keys, audit=True))
                hook.score_mixtures(keys)
                recorded.extend(hook.recorded)
        except LocardError as exc:
            left.append(f"keys {row.first_pk}-{row.last_pk}: {exc}")
            continue
        _outbox_done(store, ob.c.id == row.id)
    return ResumedSearches(len(pending) - len(left), tuple(recorded), tuple(left))
