"""Locard: forensic DNA identification from STR profiles.

The typed Python API; the ``locard`` command and the service are thin layers over it::

    import locard
    profile = locard.Profile.parse("D8S1179: 13/14; TH01: 6,9.3; vWA: 16")
    table = locard.get_bundled_table("NIST1036:Cauc")
    result = locard.random_match_probability(profile, table, theta=0.01)
    result.value, result.per_locus, result.provenance

Every name in ``__all__`` loads on first use (PEP 562), so ``import locard`` and the command
line import nothing they do not need: NumPy, SQLAlchemy and Numba load with the first name that
needs them. docs/api.md lists the names, one section each (``scripts/gen_api_reference.py``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Where each public name lives: name -> module (the name is that module's attribute).
_LAZY: dict[str, str] = {
    "__version__": "locard._version",
    # Profiles and genetics
    "Allele": "locard.genetics.alleles",
    "AlleleKind": "locard.genetics.alleles",
    "parse_allele": "locard.genetics.alleles",
    "Kit": "locard.genetics.kits",
    "KitLocus": "locard.genetics.kits",
    "get_kit": "locard.genetics.kits",
    "list_kits": "locard.genetics.kits",
    "positive_control": "locard.genetics.kits",
    "CODIS_CORE_13": "locard.genetics.loci",
    "CODIS_CORE_20": "locard.genetics.loci",
    "ESS_12": "locard.genetics.loci",
    "LOCI": "locard.genetics.loci",
    "LOCUS_SETS": "locard.genetics.loci",
    "LocusInfo": "locard.genetics.loci",
    "LocusKind": "locard.genetics.loci",
    "canonical_locus": "locard.genetics.loci",
    "LocusCall": "locard.genetics.profiles",
    "Profile": "locard.genetics.profiles",

    # Frequency tables
    "DEFAULT_TABLE": "locard.tables.bundled",
    "bundled_table_names": "locard.tables.bundled",
    "get_bundled_table": "locard.tables.bundled",
    "AlleleFrequency": "locard.stats.frequencies",
    "FrequencyTable": "locard.stats.frequencies",
    "list_frequency_tables": "locard.tables",
    "load_frequency_table": "locard.tables",

    # Match statistics
    "DEFAULT_THETA": "locard.stats.match",
    "Formula": "locard.stats.match",
    "InclusionProbability": "locard.stats.match",
    "LocusProbability": "locard.stats.match",
    "MatchProbability": "locard.stats.match",
    "combined_probability_of_inclusion": "locard.stats.match",
    "genotype_probability": "locard.stats.match",
    "most_conservative_rmp": "locard.stats.match",
    "random_match_probability": "locard.stats.match",

    # Profile files
    "read_profiles": "locard.formats",
    "write_profiles": "locard.formats",
    "ReadResult": "locard.formats",
    "ProfileRecord": "locard.formats",
    "default_mutation_rates": "locard.reference",
    "load_mutation_rates": "locard.reference",
    "load_familias_case": "locard.familias",
    "load_familias_dvi": "locard.familias",

    # Kinship
    "Kappa": "locard.stats.kinship",
    "KinshipLR": "locard.stats.kinship",
    "MutationModel": "locard.stats.kinship",
    "Pedigree": "locard.stats.kinship",
    "kinship_lr": "locard.stats.kinship",
    "missing_person_lr": "locard.stats.kinship",
    "genotype_lr_tables": "locard.stats.kinship",
    "DVIFamily": "locard.stats.kinship.dvi",
    "DVIResult": "locard.stats.kinship.dvi",
    "dvi": "locard.stats.kinship.dvi",
    "lr_power": "locard.stats.kinship.power",
    "candidate_power": "locard.stats.kinship.power",

    # Mixtures
    "MixtureCase": "locard.stats.mixture.casefile",
    "parse_case": "locard.stats.mixture.casefile",
    "run_case": "locard.stats.mixture.casefile",
    "run_continuous_case": "locard.stats.mixture.casefile",
    "continuous_report": "locard.stats.mixture.continuous_report",
    "fit_continuous_case": "locard.stats.mixture.casefile",
    "MixtureLR": "locard.stats.mixture",
    "semicontinuous_lr": "locard.stats.mixture",
    "deconvolve": "locard.stats.mixture.deconvolution",
    "estimate_dropout": "locard.stats.mixture.dropout",
    "sensitivity_analysis": "locard.stats.mixture.dropout",
    "non_contributor_test": "locard.stats.mixture.tippet",

    # Database search (no database)
    "ProfileIndex": "locard.search",
    "Stringency": "locard.search",
    "Candidate": "locard.search",
    "find_near_matches": "locard.search",
    "pair_count_matrix": "locard.search",

    # Capillary electrophoresis
    "read_abif": "locard.ce.abif",
    "process_trace": "locard.ce.signal",
    "size_run": "locard.ce.sizing",
    "locate_ladder": "locard.ce.calling",
    "call_sample": "locard.ce.calling",
    "analyze_run": "locard.ce.analysis",

    # The store
    "Store": "locard.store",
    "Policy": "locard.store",
    "load_policy": "locard.store",
    "Index": "locard.store",
    "search_store": "locard.store.searching",
    "SearchReport": "locard.store.searching",
    "enable_search_on_entry": "locard.store.searching",
    "resume_pending_searches": "locard.store.searching",
    "identify": "locard.store.identify",
    "identify_case": "locard.store.identify",
    "rank_store_by_mixture_lr": "locard.store.mixture_search",
    "add_case": "locard.store.cases",
    "get_case": "locard.store.cases",
    "list_cases": "locard.store.cases",
    "remove_case": "locard.store.cases",
    "list_specimens": "locard.store.specimens",
    "count_specimens": "locard.store.specimens",
    "match_detail": "locard.store.matches",
    "report_detail": "locard.store.matches",
    # More operations the command line and the service run
    "rank_store_by_continuous_lr": "locard.store.mixture_search",
    "self_check": "locard.store.selfcheck",
    "import_analyses": "locard.store.ce_intake",
    "pp_validation": "locard.stats.mixture.continuous_validation",
    "case_from_profiles": "locard.formats.lrmix",
    "simulate_codes": "locard.stats.simulate",
    "simulate_families": "locard.stats.simulate",
    "read_mutation_rates": "locard.reference",
}
#: Public submodules reachable as attributes (``locard.errors.InputError``).
_SUBMODULES = frozenset({"errors"})

if TYPE_CHECKING:
    from locard import errors
    from locard._version import __version__
    from locard.ce.abif import read_abif
    from locard.ce.analysis import analyze_run
    from locard.ce.calling import call_sample, locate_ladder
    from locard.ce.signal import process_trace
    from locard.ce.sizing import size_run
    from locard.familias import load_familias_case, load_familias_dvi
    from locard.formats import ProfileRecord, ReadResult, read_profiles, write_profiles
    from locard.formats.lrmix import case_from_profiles
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
    from locard.reference import default_mutation_rates, load_mutation_rates, read_mutation_rates
    from locard.search import (
        Candidate,
        ProfileIndex,
        Stringency,
        find_near_matches,
        pair_count_matrix,
    )
    from locard.stats.frequencies import AlleleFrequency, FrequencyTable
    from locard.stats.kinship import (
        Kappa,
        KinshipLR,
        MutationModel,
        Pedigree,
        genotype_lr_tables,
        kinship_lr,
        missing_person_lr,
    )
    from locard.stats.kinship.dvi import DVIFamily, DVIResult, dvi
    from locard.stats.kinship.power import candidate_power, lr_power
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
    from locard.stats.mixture import MixtureLR, semicontinuous_lr
    from locard.stats.mixture.casefile import (
        MixtureCase,
        fit_continuous_case,
        parse_case,
        run_case,
        run_continuous_case,
    )
    from locard.stats.mixture.continuous_report import continuous_report
    from locard.stats.mixture.continuous_validation import pp_validation
    from locard.stats.mixture.deconvolution import deconvolve
    from locard.stats.mixture.dropout import estimate_dropout, sensitivity_analysis
    from locard.stats.mixture.tippet import non_contributor_test
    from locard.stats.simulate import simulate_codes, simulate_families
    from locard.store import Index, Policy, Store, load_policy
    from locard.store.cases import add_case, get_case, list_cases, remove_case
    from locard.store.ce_intake import import_analyses
    from locard.store.identify import identify, identify_case
    from locard.store.matches import match_detail, report_detail
    from locard.store.mixture_search import rank_store_by_continuous_lr, rank_store_by_mixture_lr
    from locard.store.searching import (
        SearchReport,
        enable_search_on_entry,
        resume_pending_searches,
        search_store,
    )
    from locard.store.selfcheck import self_check
    from locard.store.specimens import count_specimens, list_specimens
    from locard.tables import list_frequency_tables, load_frequency_table
    from locard.tables.bundled import DEFAULT_TABLE, bundled_table_names, get_bundled_table

def __getattr__(name: str) -> Any:
    """PEP 562: import the module that defines ``name`` on first use and keep the value."""
    if name in _SUBMODULES:
        value: Any = importlib.import_module(f"locard.{name}")
    else:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'locard' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names (``__all__``) with the module's own attributes."""
    return sorted(set(globals()) | set(__all__))


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
    "DVIFamily",
    "DVIResult",
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
    "SearchReport",
    "Store",
    "Stringency",
    "__version__",
    "add_case",
    "analyze_run",
    "bundled_table_names",
    "call_sample",
    "candidate_power",
    "canonical_locus",
    "case_from_profiles",
    "combined_probability_of_inclusion",
    "continuous_report",
    "count_specimens",
    "deconvolve",
    "default_mutation_rates",
    "dvi",
    "enable_search_on_entry",
    "errors",
    "estimate_dropout",
    "find_near_matches",
    "fit_continuous_case",
    "genotype_lr_tables",
    "genotype_probability",
    "get_bundled_table",
    "get_case",
    "get_kit",
    "identify",
    "identify_case",
    "import_analyses",
    "kinship_lr",
    "list_cases",
    "list_frequency_tables",
    "list_kits",
    "list_specimens",
    "load_familias_case",
    "load_familias_dvi",
    "load_frequency_table",
    "load_mutation_rates",
    "load_policy",
    "locate_ladder",
    "lr_power",
    "match_detail",
    "missing_person_lr",
    "most_conservative_rmp",
    "non_contributor_test",
    "pair_count_matrix",
    "parse_allele",
    "parse_case",
    "positive_control",
    "pp_validation",
    "process_trace",
    "random_match_probability",
    "rank_store_by_continuous_lr",
    "rank_store_by_mixture_lr",
    "read_abif",
    "read_mutation_rates",
    "read_profiles",
    "remove_case",
    "report_detail",
    "resume_pending_searches",
    "run_case",
    "run_continuous_case",
    "search_store",
    "self_check",
    "semicontinuous_lr",
    "sensitivity_analysis",
    "simulate_codes",
    "simulate_families",
    "size_run",
    "write_profiles",
]
