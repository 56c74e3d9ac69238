"""Genetics: alleles, loci and their aliases, kits and profiles. Pure: no I/O."""

from locard.genetics.alleles import Allele, AlleleKind, parse_allele
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

__all__ = [
    "CODIS_CORE_13",
    "CODIS_CORE_20",
    "ESS_12",
    "LOCI",
    "LOCUS_SETS",
    "Allele",
    "AlleleKind",
    "LocusCall",
    "LocusInfo",
    "LocusKind",
    "Profile",
    "canonical_locus",
    "parse_allele",
]
