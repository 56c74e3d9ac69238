"""Kinship statistics: pairwise relationship LRs, mutation models, pedigree likelihoods and the
missing-person LR, and per-genotype LR tables for database-wide ranking.

- :mod:`.pairwise`: LR of a stated relationship (kappa) versus unrelated, with theta.
- :mod:`.mutation`: equal, proportional, stepwise and extended-stepwise mutation matrices.
- :mod:`.pedigree`: :class:`Pedigree`, exact likelihoods by elimination, :func:`missing_person_lr`.
- :mod:`.search_tables`: :func:`genotype_lr_table`, the LR of every genotype of the missing person.
- :mod:`.universe`: the allele set and frequency distribution shared by the pedigree computations.
"""

from locard.stats.kinship.mutation import (
    DEFAULT_FEMALE_RATE,
    DEFAULT_MALE_RATE,
    DEFAULT_RANGE,
    DEFAULT_RATE2,
    MUTATION_MODELS,
    MutationModel,
    MutationRates,
    mutation_matrix,
    mutation_provenance,
    per_locus_models,
    rates_from_rows,
)
from locard.stats.kinship.pairwise import (
    RELATIONSHIPS,
    Kappa,
    ibd_probabilities,
    kinship_lr,
    resolve_relationship,
    sampling_probability,
)
from locard.stats.kinship.pedigree import (
    Individual,
    MutationSpec,
    Pedigree,
    Sex,
    missing_person_lr,
    pedigree_likelihood,
    validate_pedigree,
)
from locard.stats.kinship.results import KinshipLR, LocusKinshipLR
from locard.stats.kinship.search_tables import (
    GenotypeLRTable,
    genotype_lr_table,
    genotype_lr_tables,
)
from locard.stats.kinship.universe import UNSEEN_ALLELE, LocusUniverse, locus_universe

__all__ = [
    "DEFAULT_FEMALE_RATE",
    "DEFAULT_MALE_RATE",
    "DEFAULT_RANGE",
    "DEFAULT_RATE2",
    "MUTATION_MODELS",
    "RELATIONSHIPS",
    "UNSEEN_ALLELE",
    "GenotypeLRTable",
    "Individual",
    "Kappa",
    "KinshipLR",
    "LocusKinshipLR",
    "LocusUniverse",
    "MutationModel",
    "MutationRates",
    "MutationSpec",
    "Pedigree",
    "Sex",
    "genotype_lr_table",
    "genotype_lr_tables",
    "ibd_probabilities",
    "kinship_lr",
    "locus_universe",
    "missing_person_lr",
    "mutation_matrix",
    "mutation_provenance",
    "pedigree_likelihood",
    "per_locus_models",
    "rates_from_rows",
    "resolve_relationship",
    "sampling_probability",
    "validate_pedigree",
]
