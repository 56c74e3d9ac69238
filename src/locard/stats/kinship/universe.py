"""The allele set and frequency distribution of one locus for pedigree likelihoods.

A pedigree likelihood sums over the genotypes of untyped people, so it needs a proper probability
distribution over a complete allele set. Locard builds it the same way for the direct missing-
person LR and for the search tables, so that the two agree exactly:

- the alleles: every allele of the frequency table at the locus, every allele typed in the
  pedigree or the candidate that the table lacks, and a catch-all ``unseen`` allele standing for
  every allele not listed (frequency: the table's minimum, 5/2N);
- the alleles typed in the relatives ("pinned") keep exactly the frequency
  :meth:`FrequencyTable.frequency` gives (observed, or the 5/2N minimum), as the closed-form
  pairwise formulas use;
- all other alleles share the remaining mass ``1 - sum(pinned)`` in proportion to their table
  frequencies (so the distribution sums to 1 even where 5/2N floors raised some frequencies);
- should the pinned alleles alone reach a total of 1 (a toy table, never a real one with its
  floor for unseen alleles), every frequency is divided by the total instead.

Without mutation the frequency of an allele seen only in the candidate cancels from the LR
(unless the missing person is inbred), so the pedigree LR equals the pairwise formulas exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from locard.errors import StatisticsError
from locard.genetics.alleles import Allele, parse_allele
from locard.genetics.loci import LOCI, canonical_locus
from locard.stats.frequencies import FrequencyTable

__all__ = ["UNSEEN_ALLELE", "LocusUniverse", "locus_universe"]

UNSEEN_ALLELE = "unseen"
"""Label of the catch-all allele: any allele not otherwise listed at the locus."""

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class LocusUniverse:
    """Alleles of one locus (sorted, the catch-all last), their frequencies (summing to 1), and
    which labels are pinned at their table frequency. ``alleles[i]`` is None for the catch-all.
    """

    locus: str
    labels: tuple[str, ...]
    alleles: tuple[Allele | None, ...]
    frequencies: FloatArray
    pinned: frozenset[str]
    index: dict[str, int] = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.labels)

    @property
    def repeat_length(self) -> int | None:
        return LOCI[self.locus].repeat_length

    def index_of(self, allele: Allele | str) -> int:
        """Index of ``allele``; an allele not listed maps to the catch-all."""
        label = allele if allele == UNSEEN_ALLELE else str(parse_allele(allele, locus=self.locus))
        found = self.index.get(label)
        return found if found is not None else self.index[UNSEEN_ALLELE]


def locus_universe(
    table: FrequencyTable,
    locus: str,
    *,
    typed_alleles: Iterable[Allele | str] = (),
    extra_alleles: Iterable[Allele | str] = (),
) -> LocusUniverse:
    """The allele set and distribution of ``locus`` (see the module docstring).

    ``typed_alleles`` are the alleles typed in the relatives (pinned at their table frequency);
    ``extra_alleles`` those of the candidate (listed, not pinned).
    """
    locus = canonical_locus(locus)
    if not table.has_locus(locus):
        raise StatisticsError(f"{table.name} has no frequencies for {locus}")
    pinned = {parse_allele(a, locus=locus) for a in typed_alleles}
    listed = set(table.frequencies[locus]) | pinned | {parse_allele(a, locus=locus)
                                                       for a in extra_alleles}
    ordered = sorted(listed)
    raw = [table.frequency(locus, a).value for a in ordered]
    raw_unseen = table.minimum_frequency(locus)
    pinned_mass = sum(f for a, f in zip(ordered, raw, strict=True) if a in pinned)
    other_mass = sum(f for a, f in zip(ordered, raw, strict=True) if a not in pinned) + raw_unseen
    rest = 1.0 - pinned_mass
    if rest > 0:
        scale = rest / other_mass
        freqs = [f if a in pinned else f * scale for a, f in zip(ordered, raw, strict=True)]
        freqs.append(raw_unseen * scale)
    else:  # the relatives' alleles carry all the mass (a toy table): divide by the total
        total = pinned_mass + other_mass
        freqs = [f / total for f in raw]
        freqs.append(raw_unseen / total)
    labels = (*(str(a) for a in ordered), UNSEEN_ALLELE)
    array = np.asarray(freqs, dtype=np.float64)
    array.setflags(write=False)
    return LocusUniverse(
        locus=locus,
        labels=labels,
        alleles=(*ordered, None),
        frequencies=array,
        pinned=frozenset(str(a) for a in pinned),
        index={label: i for i, label in enumerate(labels)},
    )
