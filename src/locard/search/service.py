"""Several named indices behind one object, as the store and the service will use them.

The store keeps one :class:`~locard.search.index.ProfileIndex` per store index name
("offender", "arrestee", "forensic", ...). :class:`SearchService` holds them, searches the
ones a request names (the store's policy matrix decides which) and merges the candidates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

from locard.errors import SearchError
from locard.genetics.profiles import Profile
from locard.search.index import Candidate, ProfileIndex, Stringency

__all__ = ["SearchService"]


class SearchService:
    """Named indices; ``search`` runs one query against several of them."""

    def __init__(self, indices: Iterable[ProfileIndex] = ()) -> None:
        self._indices: dict[str, ProfileIndex] = {}
        for index in indices:
            self.register(index)

    def register(self, index: ProfileIndex) -> None:
        self._indices[index.name] = index

    def index(self, name: str) -> ProfileIndex:
        try:
            return self._indices[name]
        except KeyError:
            raise SearchError(f"no index {name!r}",
                              remedy="indices: " + (", ".join(self._indices) or "none")) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._indices)

    def __len__(self) -> int:
        return len(self._indices)

    def _targets(self, indices: Iterable[str] | None) -> list[ProfileIndex]:
        names = list(self._indices) if indices is None else list(indices)
        return [self.index(n) for n in names]

    def search(self, query: Profile, *, indices: Iterable[str] | None = None,
               stringency: str | Stringency = Stringency.MODERATE, min_loci: int = 8,
               mismatches: int = 0, limit: int | None = 100) -> list[Candidate]:
        """Search each named index (default: all) and merge, best first."""
        order = {Stringency.HIGH: 0, Stringency.MODERATE: 1, Stringency.LOW: 2, None: 3}
        out: list[Candidate] = []
        for index in self._targets(indices):
            out.extend(index.search(query, stringency=stringency, min_loci=min_loci,
                                    mismatches=mismatches, limit=limit))
        out.sort(key=lambda c: (c.mismatches, order[c.stringency], -c.compared_loci,
                                c.rmp if c.rmp is not None else math.inf, c.index, c.key))
        return out if limit is None else out[:limit]

    def search_mixture(self, mixture: Profile, *, indices: Iterable[str] | None = None,
                       max_dropout_loci: int = 0, min_loci: int = 8,
                       limit: int | None = 100) -> list[Candidate]:
        out: list[Candidate] = []
        for index in self._targets(indices):
            out.extend(index.search_mixture(mixture, max_dropout_loci=max_dropout_loci,
                                            min_loci=min_loci, limit=limit))
        out.sort(key=lambda c: (-c.included_loci, c.mismatches,
                                c.rmp if c.rmp is not None else math.inf, c.index, c.key))
        return out if limit is None else out[:limit]
