"""Locard: forensic DNA identification from STR profiles.

The typed Python API; the ``locard`` command and the service are thin layers over it::

    import locard
    profile = locard.Profile.parse("D8S1179: 13/14; TH01: 6,9.3; vWA: 16")
    table = locard.get_bundled_table("NIST1036:Cauc")
    result = locard.random_match_probability(profile, table, theta=0.01)
    result.value, result.per_locus, result.provenance
"""

from typing import TYPE_CHECKING, Any

from locard import errors
from locard._version import __version__
from locard.genetics.alleles import Allele, AlleleKind, parse_allele
from locard.genetics.kits import Kit, KitLocus, get_kit, list_kits, positive_control
from locard.genetics.loci import (
    CODIS_CORE_13,
    CODIS_CORE_20,
    ESS_12,
    LOCI,
    LOCUS_SETS,
    LocusInfo,
    LocusKind,
    canonical_locus,
)
from locard.genetics.profiles import LocusCall, Profile
from locard.stats.bundled import DEFAULT_TABLE, bundled_table_names, get_bundled_table
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
from locard.tables import list_frequency_tables, load_frequency_table

# Heavier parts (SQLAlchemy, Numba) load on first use, so `import locard` and the CLI start fast.
_LAZY = {
    "read_profiles": "locard.formats",
    "write_profiles": "locard.formats",
    "ReadResult": "locard.formats",
    "ProfileRecord": "locard.formats",
    "Kappa": "locard.stats.kinship",
    "KinshipLR": "locard.stats.kinship",
    "MutationModel": "locard.stats.kinship",
    "Pedigree": "locard.stats.kinship",
    "kinship_lr": "locard.stats.kinship",
    "missing_person_lr": "locard.stats.kinship",
    "genotype_lr_tables": "locard.stats.kinship",
    "ProfileIndex": "locard.search",
    "Stringency": "locard.search",
    "Candidate": "locard.search",
    "find_near_matches": "locard.search",
    "pair_count_matrix": "locard.search",
    "Store": "locard.store",
    "Policy": "locard.store",
    "load_policy": "locard.store",
    "Index": "locard.store",
    "MixtureCase": "locard.stats.mixture.casefile",
    "MixtureLR": "locard.stats.mixture",
    "semicontinuous_lr": "locard.stats.mixture",
    "parse_case": "locard.stats.mixture.casefile",
    "run_case": "locard.stats.mixture.casefile",
    "estimate_dropout": "locard.stats.mixture.dropout",
    "sensitivity_analysis": "locard.stats.mixture.dropout",
    "non_contributor_test": "locard.stats.mixture.tippet",
    "rank_store_by_mixture_lr": "locard.store.mixture_search",
}

if TYPE_CHECKING:
    from locard.formats import ProfileRecord, ReadResult, read_profiles, write_profiles
    from locard.search import (
        Candidate,
        ProfileIndex,
        Stringency,
        find_near_matches,
        pair_count_matrix,
    )
    from locard.stats.kinship import (
        Kappa,
        KinshipLR,
        MutationModel,
        Pedigree,
        genotype_lr_tables,
        kinship_lr,
        missing_person_lr,
    )
    from locard.stats.mixture import MixtureLR, semicontinuous_lr
    from locard.stats.mixture.casefile import MixtureCase, parse_case, run_case
    from locard.stats.mixture.dropout import estimate_dropout, sensitivity_analysis
    from locard.stats.mixture.tippet import non_contributor_test
    from locard.store import Index, Policy, Store, load_policy
    from locard.store.mixture_search import rank_store_by_mixture_lr


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'locard' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

__all__ = [
    "CODIS_CORE_13",
    "CODIS_CORE_20",
    "DEFAULT_TABLE",
    "DEFAULT_THETA",
    "ESS_12",
    "LOCI",
    "LOCUS_SETS",
    "Allele",
    "AlleleFrequency",
    "AlleleKind",
    "Candidate",
    "Formula",
    "FrequencyTable",
    "InclusionProbability",
    "Index",
    "Kappa",
    "KinshipLR",
    "Kit",
    "KitLocus",
    "LocusCall",
    "LocusInfo",
    "LocusKind",
    "LocusProbability",
    "MatchProbability",
    "MixtureCase",
    "MixtureLR",
    "MutationModel",
    "Pedigree",
    "Policy",
    "Profile",
    "ProfileIndex",
    "ProfileRecord",
    "ReadResult",
    "Store",
    "Stringency",
    "__version__",
    "bundled_table_names",
    "canonical_locus",
    "combined_probability_of_inclusion",
    "errors",
    "estimate_dropout",
    "find_near_matches",
    "genotype_lr_tables",
    "genotype_probability",
    "get_bundled_table",
    "get_kit",
    "kinship_lr",
    "list_frequency_tables",
    "list_kits",
    "load_frequency_table",
    "load_policy",
    "missing_person_lr",
    "most_conservative_rmp",
    "non_contributor_test",
    "pair_count_matrix",
    "parse_allele",
    "parse_case",
    "positive_control",
    "random_match_probability",
    "rank_store_by_mixture_lr",
    "read_profiles",
    "run_case",
    "semicontinuous_lr",
    "sensitivity_analysis",
    "write_profiles",
]
