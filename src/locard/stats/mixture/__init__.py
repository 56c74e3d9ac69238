"""Mixed and low-template traces: the semi-continuous (LRmix) likelihood ratio and its case
file. Pure numerics on genetics objects; no file or database access."""

from locard.stats.mixture.semicontinuous import (
    DEFAULT_MAX_COMBINATIONS,
    MAX_REPLICATES,
    MAX_UNKNOWNS,
    Evidence,
    Hypothesis,
    MixtureLocusLR,
    MixtureLR,
    locus_likelihood,
    semicontinuous_lr,
)

__all__ = [
    "DEFAULT_MAX_COMBINATIONS",
    "MAX_REPLICATES",
    "MAX_UNKNOWNS",
    "Evidence",
    "Hypothesis",
    "MixtureLR",
    "MixtureLocusLR",
    "locus_likelihood",
    "semicontinuous_lr",
]
