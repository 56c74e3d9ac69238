"""One query against several profile indices, the candidates merged in the one candidate order.

The store keeps one :class:`~locard.search.index.ProfileIndex` per store index ("offender",
"forensic", ...); which of them a query may be compared with is the store's policy matrix
(:func:`locard.store.searching.search_store` decides and audits). :func:`search_indices` runs
the query against the indices it is given and merges the candidates with
:func:`~locard.search.candidates.rank_candidates`.
"""

from __future__ import annotations

from collections.abc import Iterable

from locard.genetics.profiles import Profile
from locard.search.candidates import Candidate, Stringency, rank_candidates
from locard.search.index import ProfileIndex

__all__ = ["search_indices"]


def search_indices(indices: Iterable[ProfileIndex], query: Profile, *,
                   stringency: str | Stringency = Stringency.MODERATE, min_loci: int = 8,
                   mismatches: int = 0, limit_per_index: int | None = 100) -> list[Candidate]:
    """Every index's candidates for ``query``, merged best first.

    A mixture query runs :meth:`ProfileIndex.search_mixture` (``mismatches`` = drop-out loci,
    ``stringency`` unused; order :func:`~locard.search.candidates.mixture_order`), any other
    query :meth:`ProfileIndex.search` (order :func:`~locard.search.candidates.direct_order`).
    Each index returns at most ``limit_per_index`` candidates (None: all); the merged list is
    not cut, so a caller that drops candidates afterwards (another lab's local-only profiles)
    cuts it itself. An empty index is skipped (it could not answer a query typed at fewer than
    ``min_loci`` of its loci anyway)."""
    mixture = query.is_mixture
    found: list[Candidate] = []
    for index in indices:
        if len(index) == 0:
            continue
        if mixture:
            found.extend(index.search_mixture(query, max_dropout_loci=mismatches,
                                              min_loci=min_loci, limit=limit_per_index))
        else:
            found.extend(index.search(query, stringency=stringency, min_loci=min_loci,
                                      mismatches=mismatches, limit=limit_per_index))
    return rank_candidates(found, mixture=mixture)
