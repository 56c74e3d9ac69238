"""Statistics: frequency tables, random match probability and likelihood ratios, kinship,
mixtures. Pure numerics on genetics objects; no file or database access."""

from locard.stats.frequencies import AlleleFrequency, FrequencyTable
from locard.stats.match import (
    DEFAULT_THETA,
    Formula,
    InclusionProbability,
    LocusProbability,
    MatchProbability,
    combined_probability_of_inclusion,
    genotype_probability,
    most_conservative_rmp,
    random_match_probability,
)
from locard.stats.provenance import make_provenance

__all__ = [
    "DEFAULT_THETA",
    "AlleleFrequency",
    "Formula",
    "FrequencyTable",
    "InclusionProbability",
    "LocusProbability",
    "MatchProbability",
    "combined_probability_of_inclusion",
    "genotype_probability",
    "make_provenance",
    "most_conservative_rmp",
    "random_match_probability",
]
