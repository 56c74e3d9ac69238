"""Disaster victim identification (DVI): many victims against many reference families at once.

The method is that of dvir (Vigeland & Egeland 2021, Sci Rep 11:13661; Egeland & Vigeland
2024/2025 for the generalised LR) and Bonaparte (Dorum et al. 2009; Kling et al. 2019): first
every victim against every missing person, then joint identification, so that one victim is never
given to two missing persons nor one missing person two victims.

**Input.** V victims (single-source profiles, possibly partial; sex from Amelogenin or declared)
and F reference families, each a :class:`Pedigree` with one missing person or a
:class:`DVIFamily` with **several** (a pedigree whose ``missing`` is a list). The C columns are
the missing persons of all families.

**1. Pairwise LR matrix** (:func:`dvi_lr_matrix`, :mod:`.dvi_matrix`). ``LR[v, c]`` is
:func:`missing_person_lr` of victim v as missing person c (the family's other missing persons
untyped): Hp, v is that missing person; Hd, v is unrelated to the family; an optional mutation
model; ``theta`` (default 0, Hardy-Weinberg; above 0 every founder allele, and the unrelated
victim's under Hd, is one Balding-Nichols draw). Each column's :func:`genotype_lr_table` per locus
is built once and every victim is looked up in it
(:func:`~locard.stats.kinship.search_tables.lr_lookup_matrix`), so the cost is C table builds
plus V x C x L look-ups. Per locus the entry equals the direct
:func:`missing_person_lr` for victim alleles listed in the table or typed in the family; a victim
allele in neither is looked up as the table's catch-all (at the floor, the locus renormalised;
``min_frequency=0``, the table as given, refuses such an allele). A locus untyped in the victim
or in every relative, or absent from the frequency table, has LR 1. ``compatible[v, c]`` is False
where both sexes are known and differ.

**2. Joint identification** (:func:`dvi_identify`, :mod:`.dvi_joint`).

- *Exclusions*: a pair with ``LR < exclusion_threshold`` (LR 0 always), of incompatible sex, or
  with prior weight 0 is not admissible.
- *Undisputed identifications* (dvir's ``findUndisputed``): an admissible pair with
  ``LR >= undisputed_threshold`` whose row (the victim against other missing persons) and column
  (the missing person against other victims) hold no other admissible LR above ``LR /
  dominance`` (``dominance`` defaults to the threshold, as in dvir); ``strict``: no other above
  1. It is taken as settled; as dvir does, the victim's profile is moved into its family (the
  missing person becomes a typed member) and the family's other columns are recomputed given
  it; the rule is applied again until nothing changes.
- *Joint search* over the remaining victims and missing persons: an assignment maps victims
  injectively to missing persons (or leaves them unidentified), admissible pairs only. Its LR
  against "nobody identified" is the product over families of the family's **joint** LR of the
  victims placed in it (:func:`family_joint_lr`: ``L(relatives, placed victims) / (L(relatives)
  prod P(victim))``, dvir's ``loglikAssign``; for one victim in a family it is the pairwise
  LR), victims being unrelated to one another unless placed in one family. Prior: **flat over
  the admissible assignments** (dvir's default), or ``pair_prior`` weights whose product over an
  assignment's pairs is its prior; ``P(a | data)`` is proportional to ``LR(a) prior(a)``. The
  admissible pairs split into connected components (the columns of one family always in one);
  the posterior factorises over them exactly, so each is enumerated alone (depth-first). The
  pairing posterior ``P(v = c)`` sums the assignments that pair them; ``P(v not identified)`` is
  the rest. The **generalised LR** of v = c (dvir's ``dviGLR``) is the largest joint LR of an
  assignment with the pair over the largest without it.
- *Guard*: before enumerating, the assignments of each component are counted (stopping at the
  limit); above ``max_assignments`` a :class:`CombinatorialLimit` says which component and
  names the options that shrink it.

:mod:`.dvi_report` writes the tables a DVI team uses (LR matrix, assignments, pairings with
posteriors and GLRs) and a report per family.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship.dvi_joint import (
    DEFAULT_DOMINANCE,
    DEFAULT_EXCLUSION_THRESHOLD,
    DEFAULT_MAX_ASSIGNMENTS,
    DEFAULT_UNDISPUTED_THRESHOLD,
    NOT_IDENTIFIED,
    DVIAssignment,
    DVIResult,
    Identification,
    dvi_identify,
    pair_prior_from,
)
from locard.stats.kinship.dvi_matrix import (
    DVIFamily,
    DVIMatrix,
    dvi_lr_matrix,
    family_joint_lr,
    family_table,
)
from locard.stats.kinship.pedigree import MutationSpec, Pedigree, Sex

__all__ = [
    "DEFAULT_DOMINANCE",
    "DEFAULT_EXCLUSION_THRESHOLD",
    "DEFAULT_MAX_ASSIGNMENTS",
    "DEFAULT_UNDISPUTED_THRESHOLD",
    "NOT_IDENTIFIED",
    "DVIAssignment",
    "DVIFamily",
    "DVIMatrix",
    "DVIResult",
    "Identification",
    "dvi",
    "dvi_identify",
    "dvi_lr_matrix",
    "family_joint_lr",
    "family_table",
    "pair_prior_from",
]


def dvi(
    victims: Sequence[Profile],
    families: Mapping[str, Pedigree | DVIFamily] | Sequence[Pedigree | DVIFamily],
    table: FrequencyTable,
    *,
    mutation: MutationSpec = None,
    loci: Iterable[str] | None = None,
    exclusion_threshold: float = DEFAULT_EXCLUSION_THRESHOLD,
    undisputed_threshold: float = DEFAULT_UNDISPUTED_THRESHOLD,
    dominance: float | None = None,
    strict: bool = False,
    pair_prior: Any = None,
    max_assignments: int = DEFAULT_MAX_ASSIGNMENTS,
    top: int = 10,
    workers: int = 1,
    min_frequency: float | None = None,
    theta: float = 0.0,
    victim_sex: Mapping[str, str | Sex] | None = None,
) -> DVIResult:
    """:func:`dvi_lr_matrix` then :func:`dvi_identify`."""
    matrix = dvi_lr_matrix(victims, families, table, mutation=mutation, loci=loci,
                           workers=workers, min_frequency=min_frequency, theta=theta,
                           victim_sex=victim_sex)
    return dvi_identify(matrix, exclusion_threshold=exclusion_threshold,
                        undisputed_threshold=undisputed_threshold, dominance=dominance,
                        strict=strict, pair_prior=pair_prior, max_assignments=max_assignments,
                        top=top)
