"""Search: encode profiles compactly and scan them (CODIS stringencies, mixtures, self-check).

May import :mod:`locard.genetics` and :mod:`locard.stats` only; the store calls in.
"""

from locard.search.encoding import Comparison, Encoder, Equivalence
from locard.search.index import DEFAULT_LOCI, Candidate, ProfileIndex, Stringency
from locard.search.selfcheck import NearMatch, SelfCheck, find_near_matches, pair_count_matrix
from locard.search.service import SearchService

__all__ = [
    "DEFAULT_LOCI",
    "Candidate",
    "Comparison",
    "Encoder",
    "Equivalence",
    "NearMatch",
    "ProfileIndex",
    "SearchService",
    "SelfCheck",
    "Stringency",
    "find_near_matches",
    "pair_count_matrix",
]
