"""The service's door to searching, search on entry and identification.

The store does the work (:mod:`locard.store.searching`, :mod:`locard.store.identify`,
:mod:`locard.store.indexing`): it authorizes every target index (role, purpose, policy
matrix), audits, scopes candidates to the lab, and never returns an expunged profile. The
service holds one :class:`StoreIndices` per process, opened at the first search (a missing
snapshot is rebuilt from the database, audited as that user) and attached so that it follows
imports and expungements; a lock keeps a search from running while an import or an
expungement changes the indices.

A search from the service may record its candidates as pending candidate matches
(``record=True``: the store's ``record_candidate_match``, which checks the matrix again);
imports through the service search every new profile on entry
(:func:`locard.store.searching.enable_search_on_entry`, as the importing user).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from locard.errors import MatchAlreadyRecorded, NotFound, PolicyViolation
from locard.store import Store
from locard.store.indexing import StoreIndices
from locard.store.searching import (
    ResumedSearches,
    SearchReport,
    enable_search_on_entry,
    resume_pending_searches,
    search_on_entry_enabled,
    search_store,
)

__all__ = ["SearchGateway", "SearchOutcome", "identify_available"]

T = TypeVar("T")


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x


@dataclass
class SearchOutcome:
    """A store search report, with the candidate match recorded for each hit (if asked)."""

    report: SearchReport
    match_ids: list[int | None] = field(default_factory=list)

    @property
    def query_specimen(self) -> str | None:
        """The query's specimen ID (None for an ad hoc profile)."""
        return self.report.query_specimen

    @property
    def query_index(self) -> str:
        """The index of the query profile."""
        return self.report.query_index

    @property
    def targets(self) -> list[str]:
        """The indices searched."""
        return list(self.report.targets)

    @property
    def hits(self) -> list[dict[str, Any]]:
        """The candidates as dicts, each with its recorded ``match_id`` (or None)."""
        out = []
        for hit, mid in zip(self.report.candidates, self.match_ids, strict=False):
            d = hit.to_dict()
            d["match_id"] = mid
            out.append(d)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict, the candidates with their match IDs."""
        d = self.report.to_dict()
        d["candidates"] = self.hits
        return d


class SearchGateway:
    """Search indices shared by the requests of one process (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.RLock()
        self._indices: StoreIndices | None = None

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Hold while the store changes (import, expungement): the hooks update the indices."""
        with self._lock:
            yield

    def indices(self, actor: str) -> StoreIndices:
        """The shared search indices, opened on first use and kept up to date by the store's hooks.
        """
        with self._lock:
            if self._indices is None:
                self._indices = StoreIndices.open(self.store, actor=actor, attach=True)
            return self._indices

    def search(self, *, specimen_id: str, lab: str | None, targets: Sequence[str] | None,
               stringency: str, min_loci: int, mismatches: int, actor: str, purpose: str,
               limit: int, record: bool) -> SearchOutcome:
        """Search with a stored specimen on the shared indices and, if ``record``, record each hit
        as a pending candidate match.

        A hit the store refuses to record (not found, policy) gets no match ID.
        """
        with self._lock:
            own = self.indices(actor)
            report = search_store(self.store, specimen_id, actor=actor, purpose=purpose,
                                  lab=lab, stringency=stringency, min_loci=min_loci,
                                  mismatches=mismatches, indices=targets or None,
                                  limit=limit, store_indices=own)
        outcome = SearchOutcome(report)
        if not record:
            outcome.match_ids = [None] * len(report.candidates)
            return outcome
        q_lab = report.query_lab or self.store.user(actor).lab
        q_sid = report.query_specimen or specimen_id
        for hit in report.candidates:
            try:
                mid: int | None = self.store.record_candidate_match(
                    query=(q_lab, q_sid), candidate=(hit.lab, hit.specimen_id),
                    mode="direct", stringency=hit.stringency or stringency,
                    compared_loci=hit.compared_loci or 0, mismatches=hit.mismatches or 0,
                    rmp=_finite(hit.rmp), actor=actor, purpose=purpose)
            except (NotFound, PolicyViolation):
                mid = None
            except MatchAlreadyRecorded as exc:  # on entry, or by an earlier search
                mid = exc.match_id
            outcome.match_ids.append(mid)
        return outcome

    def resume_pending_searches(self) -> ResumedSearches | None:
        """At start: run the searches on entry a crash left pending (each as its importing
        user), unless the policy turned search on entry off."""
        if not search_on_entry_enabled(self.store.policy):
            return None
        with self._lock:
            return resume_pending_searches(self.store, store_indices=self._indices)

    def import_with_entry_search(self, actor: str, run: Callable[[], T]) -> tuple[T, list[int]]:
        """Run an import with search on entry as ``actor``; returns its result and the
        candidate matches recorded on entry."""
        with self._lock:
            own = self.indices(actor)
            hook = enable_search_on_entry(self.store, actor=actor, store_indices=own)
            try:
                result = run()
            finally:
                if hook is not None:
                    while hook in self.store.on_import:
                        self.store.on_import.remove(hook)
        return result, list(hook.recorded) if hook is not None else []

    def identify(self, pedigree: Mapping[str, Any] | str, *, actor: str, purpose: str,
                 limit: int) -> dict[str, Any]:
        """Rank by the missing-person LR of a pedigree (relatives' profiles inline) or of a
        stored case (``pedigree`` is then the case reference)."""
        from locard.reference import DEFAULT_TABLE, default_mutation_rates, get_bundled_table
        from locard.stats.kinship import Pedigree
        from locard.store.identify import identify, identify_case

        ped = None if isinstance(pedigree, str) else Pedigree.from_dict(pedigree)
        # the same defaults as `locard identify`: the default table and stepwise mutation with
        # the bundled published per-locus rates, so a one-step mutation does not exclude a true
        # relative
        table = get_bundled_table(DEFAULT_TABLE)
        mutation = default_mutation_rates()
        with self._lock:
            own = self.indices(actor)
            if ped is None:
                report = identify_case(self.store, str(pedigree), table=table, actor=actor,
                                       purpose=purpose, top=limit, store_indices=own,
                                       mutation=mutation)
            else:
                report = identify(self.store, ped, table=table, actor=actor, purpose=purpose,
                                  top=limit, store_indices=own, mutation=mutation)
        return report.to_dict()

    def rank_mixture(self, case: Any, *, table: Any, actor: str, purpose: str, top: int,
                     threshold: float | None, indices: Sequence[str] | None,
                     trace: str | None, hd_conditioned: bool,
                     q_shutdown_hp: bool = False, refit: int = 3) -> dict[str, Any]:
        """Rank the store by a mixture case's LR (``locard.store.mixture_search``: role,
        purpose, policy matrix and audit are the store's) on the shared indices: the
        semi-continuous LR, or for a ``"model": "continuous"`` case the continuous LR (Hd fitted
        once, every profile scored at its parameters, the best ``refit`` refitted by maximum
        likelihood: ``rank_store_by_continuous_lr``, as ``locard mixture rank``). The lock is
        held throughout (an import waits for a continuous ranking's refits)."""
        from locard.store.mixture_search import (
            rank_store_by_continuous_lr,
            rank_store_by_mixture_lr,
        )

        with self._lock:
            own = self.indices(actor)
            if case.spec.model == "continuous":
                return rank_store_by_continuous_lr(
                    self.store, case, table=table, actor=actor, purpose=purpose, top=top,
                    refit=refit, threshold=threshold, indices=indices, trace=trace,
                    store_indices=own).to_dict()
            report = rank_store_by_mixture_lr(
                self.store, case, table=table, actor=actor, purpose=purpose, top=top,
                threshold=threshold, indices=indices, trace=trace,
                hd_conditioned=hd_conditioned, q_shutdown_hp=q_shutdown_hp,
                store_indices=own)
        return report.to_dict()


def identify_available() -> bool:
    """Whether missing-person identification (:mod:`locard.store.identify`) can be imported."""
    try:
        import locard.store.identify  # noqa: F401
    except ImportError:  # pragma: no cover - part of Locard
        return False
    return True
