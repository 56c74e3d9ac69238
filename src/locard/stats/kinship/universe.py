"""The allele set and frequency distribution of one locus for kinship likelihoods.

A pedigree likelihood sums over the genotypes of untyped people, so it needs a proper probability
distribution over a complete allele set. Locard builds it one way for the pairwise LRs, the
direct missing-person LR, the search tables and DVI, so that they agree exactly, and it uses the
frequencies as the table gives them (forrel's and pedprobr's convention):

- the alleles: every allele the frequency table lists at the locus, at exactly the table's value
  (a floor never rescales or raises them), plus every allele typed in the pedigree or the
  candidate that the table lacks;
- an allele absent from the table gets the floor: ``min_frequency`` when given, else the
  table's own minimum (:meth:`FrequencyTable.minimum_frequency`: its configured floor or NRC II
  5/2N). ``min_frequency=0`` is the table as given: no floor, so an absent allele is refused
  (:class:`StatisticsError` naming it and ``--min-frequency``);
- where an absent allele was added, or the table's own values sum to 1 only within more than
  :data:`RENORMALISE_TOLERANCE` (1e-6), every frequency is divided by the total (as Familias
  does) and :attr:`LocusUniverse.renormalised` says why; results list such loci. A locus that
  sums to 1 within the tolerance (rounded decimals, as Familias files and published tables print
  them) is not noted: its values are divided by their total all the same (a change below 1e-6,
  so that the untyped people's genotypes sum to exactly 1, as pedtools and Familias do);
- no catch-all allele, except for the search tables (``catch_all=True``): an ``unseen`` allele at
  the floor standing for one allele absent from the table and the family, so that a look-up of
  such an allele equals the direct LR of a candidate carrying it (the universe is then
  renormalised with it).

Without mutation and for a missing person who is not inbred the pedigree LR equals the pairwise
formulas exactly, because both use these frequencies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from locard.errors import InvalidParameter, StatisticsError
from locard.genetics.alleles import Allele, parse_allele
from locard.genetics.loci import LOCI, canonical_locus
from locard.stats.frequencies import FrequencyTable

__all__ = ["RENORMALISE_TOLERANCE", "UNSEEN_ALLELE", "LocusUniverse", "check_min_frequency",
           "locus_floor", "locus_universe"]

UNSEEN_ALLELE = "unseen"
"""Label of the search tables' catch-all allele: one allele absent from the table."""

RENORMALISE_TOLERANCE = 1e-6
"""A locus whose listed frequencies sum to 1 within this is rounding in the printed table: made
exact without a note. Beyond it (or with an absent allele at the floor) the locus is renormalised
and noted in :attr:`LocusUniverse.renormalised`."""

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class LocusUniverse:
    """Alleles of one locus (sorted; a catch-all last where asked for, with ``alleles[i]`` None),
    their frequencies (summing to 1), the alleles absent from the table (given the floor), and
    ``renormalised``: why the frequencies were divided by their total, or None if they were not.
    """

    locus: str
    labels: tuple[str, ...]
    alleles: tuple[Allele | None, ...]
    frequencies: FloatArray
    absent: frozenset[str]
    renormalised: str | None
    index: dict[str, int] = field(repr=False)

    @property
    def size(self) -> int:
        """The number of alleles in the universe (catch-all included)."""
        return len(self.labels)

    @property
    def repeat_length(self) -> int | None:
        """The locus's repeat length (bp), None where unknown."""
        return LOCI[self.locus].repeat_length

    def index_of(self, allele: Allele | str) -> int:
        """Index of ``allele``; one not listed maps to the catch-all (refused without one)."""
        label = allele if allele == UNSEEN_ALLELE else str(parse_allele(allele, locus=self.locus))
        found = self.index.get(label)
        if found is None:
            found = self.index.get(UNSEEN_ALLELE)
        if found is None:
            raise StatisticsError(f"{self.locus}: allele {label} is not in the allele set")
        return found


def check_min_frequency(min_frequency: float | None) -> float | None:
    """``min_frequency`` validated: None, or a number in [0, 1)."""
    if min_frequency is None:
        return None
    if (not isinstance(min_frequency, (int, float)) or min_frequency != min_frequency
            or not 0.0 <= min_frequency < 1.0):
        raise InvalidParameter("min_frequency", min_frequency,
                               expected="0 (the table as given) or a floor in (0, 1)")
    return float(min_frequency)


def locus_floor(table: FrequencyTable, locus: str, min_frequency: float | None) -> float:
    """The frequency given to an allele absent from ``table`` at ``locus``: ``min_frequency``
    when given (0: none), else the table's minimum (its floor, or 5/2N)."""
    if min_frequency is not None:
        return min_frequency
    return table.minimum_frequency(locus)


def locus_universe(
    table: FrequencyTable,
    locus: str,
    *,
    typed_alleles: Iterable[Allele | str] = (),
    extra_alleles: Iterable[Allele | str] = (),
    min_frequency: float | None = None,
    catch_all: bool = False,
) -> LocusUniverse:
    """The allele set and distribution of ``locus`` (see the module docstring).

    ``typed_alleles`` (the relatives') and ``extra_alleles`` (the candidate's) join the table's
    alleles; those the table lacks get the floor. ``catch_all`` adds the ``unseen`` allele (it
    needs a floor above 0).
    """
    locus = canonical_locus(locus)
    min_frequency = check_min_frequency(min_frequency)
    if not table.has_locus(locus):
        raise StatisticsError(f"{table.name} has no frequencies for {locus}")
    listed = dict(table.frequencies[locus])
    wanted = {parse_allele(a, locus=locus) for a in (*typed_alleles, *extra_alleles)}
    absent = sorted(a for a in wanted if a not in listed)
    floor = locus_floor(table, locus, min_frequency) if absent or catch_all else 0.0
    if absent and floor <= 0:
        raise StatisticsError(
            f"{locus}: allele {absent[0]} is not in table {table.name}, and no floor is set "
            "(min_frequency 0: the table as given)",
            remedy="give a floor for absent alleles (--min-frequency F, e.g. 5/2N), or use a "
                   "table that lists the allele")
    if catch_all and floor <= 0:
        raise InvalidParameter("min_frequency", floor,
                               expected="a floor above 0 for the catch-all allele")
    ordered = sorted(set(listed) | set(absent))
    raw = [listed.get(a, floor) for a in ordered]
    if catch_all:
        raw.append(floor)
    total = float(np.sum(raw))
    reasons = []
    if absent:
        reasons.append(f"allele(s) {', '.join(str(a) for a in absent)} absent from "
                       f"{table.name}, given the floor {floor:.6g}")
    if catch_all:
        reasons.append(f"the catch-all '{UNSEEN_ALLELE}' allele at the floor {floor:.6g}")
    renormalised: str | None = None
    if total <= 0:
        raise StatisticsError(f"{locus}: the frequencies of {table.name} sum to 0")
    if reasons or abs(total - 1.0) > RENORMALISE_TOLERANCE:
        why = "; ".join(reasons) or f"{table.name}'s frequencies sum to {total:.9g}"
        renormalised = f"{why}; locus renormalised (every frequency divided by {total:.9g})"
    if total != 1.0:  # within the tolerance: rounding, made exact without a note
        raw = [f / total for f in raw]
    labels = tuple(str(a) for a in ordered) + ((UNSEEN_ALLELE,) if catch_all else ())
    alleles: tuple[Allele | None, ...] = (*ordered, *((None,) if catch_all else ()))
    array = np.asarray(raw, dtype=np.float64)
    array.setflags(write=False)
    return LocusUniverse(
        locus=locus,
        labels=labels,
        alleles=alleles,
        frequencies=array,
        absent=frozenset(str(a) for a in absent),
        renormalised=renormalised,
        index={label: i for i, label in enumerate(labels)},
    )
