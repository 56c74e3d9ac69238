"""Precomputed missing-person LRs for every genotype, for ranking a whole database.

For a pedigree and a locus, :func:`genotype_lr_table` computes the LR of Hp (a person is the
missing person) versus Hd (unrelated) for every possible genotype of the missing person over the
locus' alleles (:func:`locus_universe`: the table's alleles, those typed in the relatives, and a
catch-all ``unseen`` allele with the minimum frequency). One elimination pass keeps the missing
person's two allele variables and gives ``F[x, y] = P(relatives, pat = x, mat = y)``; then

    LR[a, b] = (F[a, b] + F[b, a]) / (L(relatives) * 2 q_a q_b)      (a != b)
    LR[a, a] = F[a, a] / (L(relatives) * q_a^2)

a dense symmetric array, so ranking a database is one look-up per locus and the total LR of a
profile is the product of its loci's entries. An entry equals :func:`missing_person_lr` at that
locus for a candidate whose alleles are listed; an allele not listed is looked up as ``unseen``
(exact without mutation for a missing person who is not inbred; under a stepwise model the
catch-all neither mutates nor is reached by mutation, so a candidate's unlisted allele gets no
stepwise credit from the table).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from locard.errors import StatisticsError
from locard.genetics.alleles import Allele, parse_allele
from locard.genetics.loci import LOCI, LocusKind, canonical_locus, locus_sort_key
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship._network import network_likelihood
from locard.stats.kinship.mutation import MutationModel
from locard.stats.kinship.pedigree import (
    MutationSpec,
    Pedigree,
    mutation_for,
    relatives_at,
    transition_matrices,
)
from locard.stats.kinship.universe import UNSEEN_ALLELE, LocusUniverse, locus_universe
from locard.stats.provenance import make_provenance

__all__ = ["GenotypeLRTable", "genotype_lr_table", "genotype_lr_tables"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class GenotypeLRTable:
    """``lr[i, j]``: the LR for a missing-person genotype {alleles[i], alleles[j]} (symmetric).

    ``allele_index`` maps the allele designation (canonical string) to its index; the catch-all
    ``'unseen'`` is the last index. ``frequencies`` are those used (summing to 1).
    """

    locus: str
    alleles: tuple[str, ...]
    allele_index: dict[str, int] = field(repr=False)
    frequencies: FloatArray = field(repr=False)
    lr: FloatArray = field(repr=False)
    relatives_likelihood: float
    provenance: dict[str, Any] = field(repr=False)

    @property
    def unseen_index(self) -> int:
        return self.allele_index[UNSEEN_ALLELE]

    def index(self, allele: Allele | str) -> int:
        """Index of an allele; one not listed maps to the catch-all."""
        if allele == UNSEEN_ALLELE:
            return self.unseen_index
        found = self.allele_index.get(str(parse_allele(allele, locus=self.locus)))
        return self.unseen_index if found is None else found

    def lookup(self, alleles: Sequence[Allele | str]) -> float:
        """LR of a genotype given as its one (homozygote) or two alleles."""
        if not 1 <= len(alleles) <= 2:
            raise StatisticsError(f"{self.locus}: a genotype has one or two alleles, "
                                  f"not {len(alleles)}")
        return float(self.lr[self.index(alleles[0]), self.index(alleles[-1])])


def genotype_lr_table(
    pedigree: Pedigree,
    locus: str,
    table: FrequencyTable,
    *,
    mutation: MutationSpec = None,
) -> GenotypeLRTable:
    """LR for every genotype of the missing person at ``locus`` (see the module docstring).

    With no relative typed at the locus every entry is 1 (no kinship information; as
    :func:`missing_person_lr`, which excludes such a locus). Raises :class:`StatisticsError` when
    the relatives' genotypes are impossible on the pedigree (likelihood 0).
    """
    locus = canonical_locus(locus)
    if LOCI[locus].kind is not LocusKind.AUTOSOMAL_STR:
        raise StatisticsError(f"{locus} is not an autosomal STR")
    relatives = relatives_at(pedigree, locus)
    universe = locus_universe(table, locus,
                              typed_alleles=[a for g in relatives.values() for a in g])
    model = mutation_for(mutation, locus)
    if relatives:
        lr, total = _table(pedigree, universe, relatives, model, locus)
    else:  # no kinship information, as missing_person_lr excludes such a locus
        lr, total = np.ones((universe.size, universe.size)), 1.0
    lr.setflags(write=False)
    provenance = make_provenance(
        "genotype_lr_table",
        parameters={"locus": locus, "theta": 0.0,
                    "mutation": model.to_dict() if model is not None else None,
                    "min_frequency": table.min_frequency,
                    "pedigree": pedigree.to_dict(profiles=False)},
        tables=table,
    )
    return GenotypeLRTable(locus, universe.labels, dict(universe.index), universe.frequencies,
                           lr, total, provenance)


def _table(pedigree: Pedigree, universe: LocusUniverse,
           relatives: Mapping[str, tuple[Allele, ...]], model: MutationModel | None,
           locus: str) -> tuple[FloatArray, float]:
    male, female = transition_matrices(universe, model)
    evidence = {pid: (universe.index[str(g[0])], universe.index[str(g[-1])])
                for pid, g in relatives.items()}
    joint = network_likelihood(pedigree.ids, pedigree.parents(), frequencies=universe.frequencies,
                               male=male, female=female, evidence=evidence,
                               keep=pedigree.missing)
    total = float(joint.sum())
    if total <= 0:
        raise StatisticsError(
            f"{locus}: the relatives' genotypes are impossible on this pedigree "
            f"(likelihood 0)", remedy="check the pedigree and profiles, or allow mutation")
    q = universe.frequencies
    unordered = joint + joint.T
    np.fill_diagonal(unordered, np.diag(joint))
    prior = 2.0 * np.outer(q, q)
    np.fill_diagonal(prior, q * q)
    lr = unordered / (total * prior)
    return 0.5 * (lr + lr.T), total  # exact symmetry


def genotype_lr_tables(
    pedigree: Pedigree,
    table: FrequencyTable,
    *,
    mutation: MutationSpec = None,
    loci: Iterable[str] | None = None,
) -> dict[str, GenotypeLRTable]:
    """:func:`genotype_lr_table` for each locus (default: the autosomal STR loci typed in some
    relative and present in the table)."""
    if loci is not None:
        wanted = [canonical_locus(x) for x in loci]
    else:
        found: set[str] = set()
        for person in pedigree.individuals:
            if person.profile is not None:
                found.update(k for k in person.profile.str_loci if table.has_locus(k))
        wanted = sorted(found, key=locus_sort_key)
    return {locus: genotype_lr_table(pedigree, locus, table, mutation=mutation)
            for locus in dict.fromkeys(wanted)}
