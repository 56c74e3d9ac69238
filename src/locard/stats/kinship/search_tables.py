"""Precomputed missing-person LRs for every genotype, for ranking a whole database.

For a pedigree and a locus, :func:`genotype_lr_table` computes the LR of Hp (a person is the
missing person) versus Hd (unrelated) for every possible genotype of the missing person over the
locus' alleles (:func:`locus_universe`: the table's alleles at their listed frequencies, and those
typed in the relatives). One elimination pass keeps the missing person's two allele variables and
gives ``F[x, y] = P(relatives, pat = x, mat = y)``; then

    LR[a, b] = (F[a, b] + F[b, a]) / (L(relatives) * 2 q_a q_b)      (a != b)
    LR[a, a] = F[a, a] / (L(relatives) * q_a^2)

a dense symmetric array, so ranking a database is one look-up per locus and the total LR of a
profile is the product of its loci's entries. An entry equals :func:`missing_person_lr` at that
locus for a candidate whose alleles are listed.

A candidate allele absent from the table and the family is looked up as the catch-all
``unseen``: its row and column come from a second pass over the same alleles plus one allele at
the floor (the locus renormalised), exactly what :func:`missing_person_lr` uses for a candidate
carrying one such allele (exact for the equal and proportional models and without mutation;
under a stepwise model the catch-all neither mutates nor is reached by mutation, so such an
allele gets no stepwise credit; a candidate with two different absent alleles is looked up as
the catch-all homozygote). With ``min_frequency=0`` (the table as given) or a table that has
no floor there is no catch-all, and looking up an absent allele is refused.

With ``theta > 0`` (every founder allele one Balding-Nichols draw, as
:func:`missing_person_lr`) Hd is no longer ``L(relatives) q_a q_b``: the unrelated candidate's
alleles are the next two draws after the m founder alleles, whose probability depends on the
founders only through the counts c_a, c_b of a and b among them, so

    G[a, b] = (t^2 E[c_a c_b] + t E[c_a] (t [a = b] + (1 - t) q_b) + (1 - t) t q_a E[c_b]
               + (1 - t) q_a (t [a = b] + (1 - t) q_b) L(relatives)) / ((1 + (m - 1) t)(1 + m t))

with the expectations weighted by P(founders, relatives) (:func:`._network.founder_moments`,
one elimination per pair of founder alleles), and ``LR[a, b] = (F[a, b] + F[b, a]) /
(G[a, b] + G[b, a])`` (one term each on the diagonal). Where the joint founder table is too
large (a sibling-only family at a locus of 27 or more alleles), both sums run over the
identity-by-descent partitions of the founder alleles (:mod:`._network`); a family with too many
untyped founders for that is refused (:class:`CombinatorialLimit`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from locard.errors import StatisticsError
from locard.genetics.alleles import Allele, parse_allele
from locard.genetics.loci import LOCI, LocusKind, canonical_locus, locus_sort_key
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship._network import founder_moments, network_likelihood
from locard.stats.kinship.mutation import MutationModel, mutation_provenance
from locard.stats.kinship.pairwise import check_theta
from locard.stats.kinship.pedigree import (
    MutationSpec,
    Pedigree,
    mutation_for,
    pedigree_network,
    relatives_at,
    transition_matrices,
)
from locard.stats.kinship.universe import (
    UNSEEN_ALLELE,
    LocusUniverse,
    check_min_frequency,
    locus_universe,
)
from locard.stats.provenance import make_provenance

__all__ = ["GenotypeLRTable", "genotype_lr_table", "genotype_lr_tables", "lr_lookup_matrix"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class GenotypeLRTable:
    """``lr[i, j]``: the LR for a missing-person genotype {alleles[i], alleles[j]} (symmetric).

    ``allele_index`` maps the allele designation (canonical string) to its index; the catch-all
    ``'unseen'``, where there is one, is the last index. ``frequencies`` are those used: the
    listed alleles' (summing to 1), then the catch-all's in its own renormalised pass.
    """

    locus: str
    alleles: tuple[str, ...]
    allele_index: dict[str, int] = field(repr=False)
    frequencies: FloatArray = field(repr=False)
    lr: FloatArray = field(repr=False)
    relatives_likelihood: float
    provenance: dict[str, Any] = field(repr=False)

    @property
    def has_catch_all(self) -> bool:
        """Whether the table has the catch-all allele for alleles it does not list
        (``UNSEEN_ALLELE``).
        """
        return UNSEEN_ALLELE in self.allele_index

    @property
    def unseen_index(self) -> int:
        """Index of the catch-all; refused where there is none (no floor)."""
        found = self.allele_index.get(UNSEEN_ALLELE)
        if found is None:
            raise StatisticsError(
                f"{self.locus}: an allele absent from the frequency table, and no floor for "
                "it (min_frequency 0: the table as given)",
                remedy="give a floor for absent alleles (--min-frequency F, e.g. 5/2N)")
        return found

    def index(self, allele: Allele | str) -> int:
        """Index of an allele; one not listed maps to the catch-all (refused without one)."""
        if allele == UNSEEN_ALLELE:
            return self.unseen_index
        label = str(parse_allele(allele, locus=self.locus))
        found = self.allele_index.get(label)
        if found is None and not self.has_catch_all:
            raise StatisticsError(
                f"{self.locus}: allele {label} is not in the frequency table, and no floor is "
                "set (min_frequency 0: the table as given)",
                remedy="give a floor for absent alleles (--min-frequency F, e.g. 5/2N)")
        return self.unseen_index if found is None else found

    def lookup(self, alleles: Sequence[Allele | str]) -> float:
        """LR of a genotype given as its one (homozygote) or two alleles."""
        if not 1 <= len(alleles) <= 2:
            raise StatisticsError(f"{self.locus}: a genotype has one or two alleles, "
                                  f"not {len(alleles)}")
        return float(self.lr[self.index(alleles[0]), self.index(alleles[-1])])


def lr_lookup_matrix(table: GenotypeLRTable,
                     alleles: Sequence[Allele | str | None]) -> FloatArray:
    """``T[code_a, code_b]``: ``table``'s LR re-indexed by a caller's allele codes.

    Code ``k >= 1`` names ``alleles[k - 1]`` (None: a code not in use); code 0 is "untyped" and
    gives LR 1 with any partner (a row and column of ones). An allele the table does not list
    maps to its catch-all ``unseen`` entry. Shape ``(len(alleles) + 1, len(alleles) + 1)``.
    """
    idx = np.empty(len(alleles) + 1, dtype=np.int64)
    idx[0] = 0
    for k, allele in enumerate(alleles, start=1):
        if allele is None:  # a code not in use
            idx[k] = table.unseen_index if table.has_catch_all else 0
        else:
            idx[k] = table.index(allele)
    out = np.array(table.lr[np.ix_(idx, idx)], dtype=np.float64)
    out[0, :] = 1.0
    out[:, 0] = 1.0
    return out


def genotype_lr_table(
    pedigree: Pedigree,
    locus: str,
    table: FrequencyTable,
    *,
    mutation: MutationSpec = None,
    min_frequency: float | None = None,
    theta: float = 0.0,
) -> GenotypeLRTable:
    """LR for every genotype of the missing person at ``locus`` (see the module docstring).

    ``min_frequency``: the frequency of an allele absent from the table (default the table's
    minimum, 5/2N; 0: the table as given, no catch-all); ``theta``: the Balding-Nichols
    coancestry of the founders (module docstring). With no relative typed at the locus
    every entry is 1 (no kinship information; as :func:`missing_person_lr`, which excludes such
    a locus). Raises :class:`StatisticsError` when the relatives' genotypes are impossible on
    the pedigree (likelihood 0).
    """
    locus = canonical_locus(locus)
    if LOCI[locus].kind is not LocusKind.AUTOSOMAL_STR:
        raise StatisticsError(f"{locus} is not an autosomal STR")
    min_frequency = check_min_frequency(min_frequency)
    check_theta(theta)
    model = mutation_for(mutation, locus)
    labels, freqs, lr, total, why = build_lr_table(pedigree, locus, table, model,
                                                   min_frequency=min_frequency,
                                                   transitions=transition_matrices,
                                                   theta=theta)
    provenance = make_provenance(
        "genotype_lr_table",
        parameters={"locus": locus, "theta": float(theta),
                    "mutation": model.to_dict() if model is not None else None,
                    "mutation_rates": mutation_provenance(mutation, [locus])["mutation_rates"],
                    "min_frequency": (min_frequency if min_frequency is not None
                                      else table.min_frequency),
                    "renormalised": why,
                    "pedigree": pedigree.to_dict(profiles=False)},
        tables=table,
    )
    return GenotypeLRTable(locus, labels, {x: i for i, x in enumerate(labels)}, freqs, lr,
                           total, provenance)


Transitions = Callable[[LocusUniverse, MutationModel | None], tuple[FloatArray, FloatArray]]


def _has_floor(table: FrequencyTable, locus: str, min_frequency: float | None) -> bool:
    if min_frequency is not None:
        return min_frequency > 0
    return table.min_frequency is not None or bool(table.sample_alleles.get(locus))


def build_lr_table(pedigree: Pedigree, locus: str, table: FrequencyTable,
                   model: MutationModel | None, *, min_frequency: float | None,
                   transitions: Transitions, theta: float = 0.0
                   ) -> tuple[tuple[str, ...], FloatArray, FloatArray, float, str | None]:
    """(labels, frequencies, LR array, L(relatives), why the locus was renormalised) of one
    locus: the pass over the listed alleles, and where there is a floor the catch-all's row and
    column from the pass with it (the module docstring). ``transitions`` gives the mutation
    matrices of a universe (memoised by DVI)."""
    relatives = relatives_at(pedigree, locus)
    typed = [a for g in relatives.values() for a in g]
    listed = locus_universe(table, locus, typed_alleles=typed, min_frequency=min_frequency)
    wide = (locus_universe(table, locus, typed_alleles=typed, min_frequency=min_frequency,
                           catch_all=True)
            if _has_floor(table, locus, min_frequency) else None)
    n = listed.size
    size = n + (1 if wide is not None else 0)
    freqs = np.asarray(listed.frequencies if wide is None
                       else np.append(listed.frequencies, wide.frequencies[-1]))
    freqs.setflags(write=False)
    labels = wide.labels if wide is not None else listed.labels
    if not relatives:  # no kinship information, as missing_person_lr excludes such a locus
        ones = np.ones((size, size))
        ones.setflags(write=False)
        return labels, freqs, ones, 1.0, listed.renormalised
    lr, total = _table(pedigree, listed, relatives, transitions(listed, model), locus, theta)
    if wide is not None:
        lr_wide, _ = _table(pedigree, wide, relatives, transitions(wide, model), locus, theta)
        lr_wide[:n, :n] = lr
        lr = lr_wide
    lr.setflags(write=False)
    return labels, freqs, lr, total, listed.renormalised


def _table(pedigree: Pedigree, universe: LocusUniverse,
           relatives: Mapping[str, tuple[Allele, ...]],
           matrices: tuple[FloatArray, FloatArray], locus: str,
           theta: float = 0.0) -> tuple[FloatArray, float]:
    male, female = matrices
    evidence = {pid: (universe.index[str(g[0])], universe.index[str(g[-1])])
                for pid, g in relatives.items()}
    if theta > 0:
        return _table_theta(pedigree, universe, evidence, matrices, locus, theta)
    joint = network_likelihood(pedigree.ids, pedigree.parents(), frequencies=universe.frequencies,
                               male=male, female=female, evidence=evidence,
                               keep=pedigree.missing)
    total = float(joint.sum())
    if total <= 0:
        raise StatisticsError(
            f"{locus}: the relatives' genotypes are impossible on the pedigree of the missing "
            f"person {pedigree.missing!r} (likelihood 0)",
            remedy="check the pedigree and profiles, or allow mutation")
    q = universe.frequencies
    unordered = joint + joint.T
    np.fill_diagonal(unordered, np.diag(joint))
    prior = 2.0 * np.outer(q, q)
    np.fill_diagonal(prior, q * q)
    lr = unordered / (total * prior)
    return np.asarray(0.5 * (lr + lr.T)), total  # exact symmetry


def _unordered(joint: FloatArray) -> FloatArray:
    out = joint + joint.T
    np.fill_diagonal(out, np.diag(joint))
    return out


def _table_theta(pedigree: Pedigree, universe: LocusUniverse,
                 evidence: Mapping[str, tuple[int, int]],
                 matrices: tuple[FloatArray, FloatArray], locus: str,
                 theta: float) -> tuple[FloatArray, float]:
    """Hp: the missing person's alleles kept; Hd: an unrelated founder's alleles kept; both
    with every founder allele in one Balding-Nichols draw."""
    male, female = matrices
    hp = pedigree_network(pedigree, locus, frequencies=universe.frequencies, male=male,
                          female=female, evidence=evidence, theta=theta, keep=pedigree.missing)
    total = float(hp.sum())
    if total <= 0:
        raise StatisticsError(
            f"{locus}: the relatives' genotypes are impossible on the pedigree of the missing "
            f"person {pedigree.missing!r} (likelihood 0)",
            remedy="check the pedigree and profiles, or allow mutation")
    # Hd: the unrelated candidate's alleles (a, b) are the next two draws after the m founder
    # alleles, so P(a, b | founders) = (c_a t + (1 - t) q_a)(c_b t + [a = b] t + (1 - t) q_b)
    # / ((1 + (m - 1) t)(1 + m t)); summed over the founders with the moments of c
    w, first, second, m = founder_moments(
        pedigree.ids, pedigree.parents(), frequencies=universe.frequencies, male=male,
        female=female, evidence=evidence, theta=theta)
    q = universe.frequencies
    t = theta
    second_draw = t * np.eye(len(q)) + (1 - t) * q[None, :]
    hd = (t * t * second + t * first[:, None] * second_draw
          + (1 - t) * t * q[:, None] * first[None, :]
          + (1 - t) * q[:, None] * second_draw * w) / ((1 + (m - 1) * t) * (1 + m * t))
    lr = _unordered(hp) / _unordered(hd)
    return np.asarray(0.5 * (lr + lr.T)), total


def genotype_lr_tables(
    pedigree: Pedigree,
    table: FrequencyTable,
    *,
    mutation: MutationSpec = None,
    loci: Iterable[str] | None = None,
    min_frequency: float | None = None,
    theta: float = 0.0,
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
    return {locus: genotype_lr_table(pedigree, locus, table, mutation=mutation,
                                     min_frequency=min_frequency, theta=theta)
            for locus in dict.fromkeys(wanted)}
