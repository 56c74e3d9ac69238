"""Search: encode profiles compactly and scan them (CODIS stringencies, mixtures, self-check).

May import :mod:`locard.genetics` and :mod:`locard.stats` only; the store calls in.
"""

from locard.search.candidates import Candidate, Stringency, rank_candidates
from locard.search.encoding import Comparison, Encoder, Equivalence
from locard.search.index import DEFAULT_LOCI, ProfileIndex
from locard.search.multi_index import search_indices
from locard.search.selfcheck import NearMatch, SelfCheck, find_near_matches, pair_count_matrix

__all__ = [
    "DEFAULT_LOCI",
    "Candidate",
    "Comparison",
    "Encoder",
    "Equivalence",
    "NearMatch",
    "ProfileIndex",
    "SelfCheck",
    "Stringency",
    "find_near_matches",
    "pair_count_matrix",
    "rank_candidates",
    "search_indices",
]
