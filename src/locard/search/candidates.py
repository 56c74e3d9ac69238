"""A search's candidate, the CODIS stringency it reaches, and the one order candidates are
listed in.

:func:`rank_candidates` is the only place that orders candidates: a profile index orders its
own results with it (:meth:`~locard.search.index.ProfileIndex.search`,
:meth:`~locard.search.index.ProfileIndex.search_mixture`),
:func:`~locard.search.multi_index.search_indices` merges several indices' results with it, and
the store lists its hits in that order (:func:`locard.store.searching.search_store`).

Direct search (a single-source or mixture query compared locus by locus at a stringency),
best first:

1. fewer failing loci (``mismatches``);
2. higher stringency reached (high, moderate, low, none);
3. more loci compared;
4. rarer profile (smaller ``rmp``; a candidate without an RMP after every one with it);
5. smaller key (a stable, reproducible tie-break).

Mixture search (single-source profiles included in a mixture), best first: more loci included,
fewer drop-out loci (``mismatches``), rarer profile, smaller key.

The stringencies are those of CODIS (high, moderate, low: FBI, NDIS Operational Procedures
Manual, match stringencies); the order itself is Locard's convention (the one its searches have
always used), with the RMP (NRC II, 1996, 4.10) and the key as tie-breaks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from locard.genetics.profiles import Profile
from locard.search import kernels
from locard.search.encoding import Comparison

__all__ = [
    "STRINGENCY_RANK",
    "Candidate",
    "Stringency",
    "direct_order",
    "mixture_order",
    "rank_candidates",
]


class Stringency(StrEnum):
    """CODIS match stringency: how one compared locus must agree.

    HIGH: the same alleles. MODERATE: the alleles of one profile all contained in the other's
    (partial profiles, mixtures). LOW: at least one allele shared."""

    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"

    @property
    def mode(self) -> int:
        """The search kernel's code for this stringency."""
        return {"high": kernels.HIGH, "moderate": kernels.MODERATE, "low": kernels.LOW}[self.value]


#: stringency reached -> rank in the candidate order (0 first; no stringency reached last)
STRINGENCY_RANK: dict[Stringency | None, int] = {
    Stringency.HIGH: 0, Stringency.MODERATE: 1, Stringency.LOW: 2, None: 3}


@dataclass(frozen=True, slots=True)
class Candidate:
    """One profile returned by a search, with its per-locus comparison and its RMP.

    ``mismatches`` counts the compared loci that fail the requested stringency (for a mixture
    search: the loci where the candidate is not included, i.e. assumed drop-out);
    ``stringency`` is the highest stringency the candidate reaches with that many failing loci
    allowed; ``rmp`` the random match probability of the candidate's profile over the compared
    loci (CPI for a mixture candidate), None without a frequency table."""

    key: int
    specimen_id: str | None
    index: str
    stringency: Stringency | None
    compared_loci: int
    mismatches: int
    loci: dict[str, Comparison]
    rmp: float | None
    profile: Profile = field(repr=False)
    is_mixture: bool = False
    included_loci: int = 0

    @property
    def matching_loci(self) -> int:
        """How many compared loci match (the count the CODIS stringency rules use)."""
        return sum(1 for c in self.loci.values() if c is Comparison.MATCH)

    @property
    def compared_locus_names(self) -> tuple[str, ...]:
        """The loci compared (typed in both profiles), in the order of :attr:`loci`."""
        return tuple(k for k, c in self.loci.items() if c is not Comparison.NOT_COMPARED)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (what ``--json`` and the API print)."""
        return {
            "key": self.key,
            "specimen_id": self.specimen_id,
            "index": self.index,
            "stringency": self.stringency.value if self.stringency else None,
            "compared_loci": self.compared_loci,
            "mismatches": self.mismatches,
            "included_loci": self.included_loci,
            "is_mixture": self.is_mixture,
            "rmp": self.rmp,
            "loci": {k: v.value for k, v in self.loci.items()},
            "profile": self.profile.to_dict()["loci"],
        }


def _rmp_rank(c: Candidate) -> float:
    return c.rmp if c.rmp is not None else math.inf


def direct_order(c: Candidate) -> tuple[int, int, int, float, int]:
    """Sort key of a direct search's candidate: ``(mismatches, STRINGENCY_RANK[stringency],
    -compared_loci, rmp (None: +inf), key)``, ascending = best first."""
    return (c.mismatches, STRINGENCY_RANK[c.stringency], -c.compared_loci, _rmp_rank(c), c.key)


def mixture_order(c: Candidate) -> tuple[int, int, float, int]:
    """Sort key of a mixture search's candidate: ``(-included_loci, mismatches, rmp (None:
    +inf), key)``, ascending = best first."""
    return (-c.included_loci, c.mismatches, _rmp_rank(c), c.key)


def rank_candidates(candidates: Iterable[Candidate], *, mixture: bool = False,
                    limit: int | None = None) -> list[Candidate]:
    """``candidates`` best first (:func:`direct_order`, or :func:`mixture_order` for a
    mixture search), the first ``limit`` (None: all). The sort is stable and the key ends
    with the candidate's key, so the order does not depend on the input order unless two
    candidates share a key (one profile found in two indices: then the input order)."""
    out = sorted(candidates, key=mixture_order if mixture else direct_order)
    return out if limit is None else out[:limit]
