"""How informative is a family? The missing-person LR before anyone is compared (forrel's
``missingPersonEP``, ``exclusionPower`` and ``LRpower``; Vigeland, Marsico, Herrera-Pinero &
Egeland 2020, Forensic Sci Int Genet 44:102376; Kling, Tillmar & Egeland 2014, Forensic
Sci Int Genet 11:e1).

Given a pedigree with its typed relatives, the missing person's genotype ``g`` at a locus has
two distributions: under H1 (the person of interest is the missing person)
``P1(g) = P(g | relatives) = LR(g) P(g)``, and under H2 (an unrelated person)
``P2(g) = P(g)`` (Hardy-Weinberg over the locus's alleles, :mod:`.universe`), where
``LR(g)`` is the missing-person LR of that genotype (:func:`.search_tables.genotype_lr_table`,
one elimination per locus). Loci are independent given the relatives, so:

- exclusion power (exact): ``EP_l = sum_g P2(g) [LR0(g) = 0]``, the probability that an
  unrelated person is incompatible with the family at locus ``l`` (LR0: without mutation, as
  forrel, since a mutation model never excludes), and ``EP = 1 - prod_l (1 - EP_l)``. A
  paternity duo (father typed a/b, the missing child a random person): ``EP = (1 - p_a -
  p_b)^2``;
- expectations (exact): ``E1[log10 LR] = sum_l sum_g P1(g) log10 LR(g)`` and
  ``E1[LR] = prod_l sum_g LR(g)^2 P(g)`` (forrel's ``expectedLR``); ``E2[LR] = 1``;
- the LR distribution (Monte Carlo, ``simulations`` draws, ``seed``): each draw picks one
  genotype per locus from P1 (or P2) and multiplies the loci's LRs; summaries are
  ``P(LR > t)`` under each hypothesis (under H2 at most 1/t, Markov's inequality, stated beside
  it) and the median log10 LR.

Which relative to sample next (:func:`candidate_power`): for an untyped relative R, each draw
picks R's genotype at each locus from ``P(r | relatives)`` (the same elimination, keeping R),
types R with it, and takes the exact EP and E1[log10 LR] of the family so extended (and one
draw of the LR under H1); the averages over the draws estimate what typing R would give.
Tables are memoised per (locus, genotype of R), so the cost grows with the distinct genotypes
drawn, not the draws.

Theta is 0 here (Hardy-Weinberg founders): the H2 distribution of a genotype is then ``P(g)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from locard.errors import InvalidParameter, PedigreeError, StatisticsError
from locard.genetics.loci import LOCI, LocusKind, canonical_locus, locus_sort_key
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship._network import network_likelihood
from locard.stats.kinship.mutation import mutation_provenance
from locard.stats.kinship.pedigree import (
    MutationSpec,
    Pedigree,
    mutation_for,
    relatives_at,
    transition_matrices,
)
from locard.stats.kinship.search_tables import build_lr_table
from locard.stats.kinship.universe import UNSEEN_ALLELE, check_min_frequency, locus_universe
from locard.stats.provenance import make_provenance

__all__ = [
    "DEFAULT_SIMULATIONS",
    "DEFAULT_THRESHOLDS",
    "CandidatePower",
    "LocusPower",
    "PowerResult",
    "candidate_power",
    "exclusion_power",
    "lr_power",
]

DEFAULT_SIMULATIONS = 1000
DEFAULT_THRESHOLDS = (1.0, 1e2, 1e4, 1e6)
MAX_SIMULATIONS = 10_000_000

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class LocusPower:
    """One locus: exact exclusion power, E1[log10 LR] and E1[LR] (module docstring)."""

    locus: str
    exclusion_power: float | None
    expected_log10_lr_h1: float
    expected_lr_h1: float
    genotypes: int
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The locus's power as a JSON-ready dict."""
        return {"exclusion_power": self.exclusion_power,
                "expected_log10_lr_h1": self.expected_log10_lr_h1,
                "expected_lr_h1": self.expected_lr_h1, "genotypes": self.genotypes,
                "note": self.note}


@dataclass(frozen=True, slots=True)
class _Locus:
    """Genotype distributions of one locus: P2 (unrelated) and P1 (the missing person), the
    LR of each genotype, and whether an unrelated genotype is excluded (no mutation)."""

    p1: FloatArray
    p2: FloatArray
    lr: FloatArray
    excluded: FloatArray | None  # 1.0 where LR0 = 0; None: relatives inconsistent w/o mutation


def _summarise(h1: FloatArray, h2: FloatArray | None,
               thresholds: Sequence[float]) -> dict[str, Any]:
    out: dict[str, Any] = {"median_log10_lr_h1": float(np.median(h1)),
                           "mean_log10_lr_h1": float(np.mean(h1)),
                           "p_lr_above_h1": {f"{t:g}": float(np.mean(h1 > math.log10(t)))
                                             for t in thresholds}}
    if h2 is not None:
        out["median_log10_lr_h2"] = float(np.median(h2))
        out["p_lr_above_h2"] = {f"{t:g}": float(np.mean(h2 > math.log10(t)))
                                for t in thresholds}
        out["p_lr_above_h2_bound"] = {f"{t:g}": min(1.0, 1.0 / t) for t in thresholds}
    return out


@dataclass(frozen=True, slots=True)
class PowerResult:
    """Exclusion power (``exclusion_power`` = 1 - prod(1 - per-locus EP)), exact expectations
    (``expected_log10_lr_h1`` = sum of the loci's), and the simulated log10 LRs under H1 and H2
    (``log10_lr_h1``, ``log10_lr_h2``; -inf for an exclusion) with their ``summary``."""

    missing: str
    exclusion_power: float
    expected_log10_lr_h1: float
    expected_lr_h1: float
    per_locus: dict[str, LocusPower]
    excluded: dict[str, str]
    simulations: int
    seed: int
    thresholds: tuple[float, ...]
    log10_lr_h1: FloatArray = field(repr=False)
    log10_lr_h2: FloatArray = field(repr=False)
    provenance: dict[str, Any] = field(repr=False)

    def p_lr_above(self, threshold: float, *, hypothesis: str = "h1") -> float:
        """Simulated P(LR > threshold) under 'h1' or 'h2'."""
        sims = self.log10_lr_h1 if hypothesis == "h1" else self.log10_lr_h2
        return float(np.mean(sims > math.log10(threshold)))

    @property
    def summary(self) -> dict[str, Any]:
        """Median and mean simulated log10 LR under H1 and P(LR > t) per threshold t under H1 and
        H2, with the bound P(LR > t | H2) <= 1/t.
        """
        return _summarise(self.log10_lr_h1, self.log10_lr_h2, self.thresholds)

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict."""
        return {"missing": self.missing, "exclusion_power": self.exclusion_power,
                "expected_log10_lr_h1": self.expected_log10_lr_h1,
                "expected_lr_h1": self.expected_lr_h1,
                "per_locus": {k: v.to_dict() for k, v in self.per_locus.items()},
                "excluded_loci": dict(self.excluded), "simulations": self.simulations,
                "seed": self.seed, "summary": self.summary, "provenance": self.provenance}


@dataclass(frozen=True, slots=True)
class CandidatePower:
    """What typing the untyped relative ``candidate`` would give, averaged over ``simulations``
    draws of its genotype: the exclusion power, E1[log10 LR], and P(LR > t | H1)."""

    candidate: str
    exclusion_power: float
    expected_log10_lr_h1: float
    simulations: int
    seed: int
    thresholds: tuple[float, ...]
    log10_lr_h1: FloatArray = field(repr=False)
    distinct_genotypes: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict, with the H1 summary."""
        return {"candidate": self.candidate, "exclusion_power": self.exclusion_power,
                "expected_log10_lr_h1": self.expected_log10_lr_h1,
                "simulations": self.simulations, "seed": self.seed,
                "summary": _summarise(self.log10_lr_h1, None, self.thresholds),
                "distinct_genotypes": self.distinct_genotypes}


# --- per-locus distributions -----------------------------------------------------------------


def _pairs(n: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    return np.triu_indices(n)


def _locus(pedigree: Pedigree, locus: str, table: FrequencyTable, mutation: MutationSpec,
           min_frequency: float | None) -> _Locus:
    model = mutation_for(mutation, locus)
    labels, freqs, lr, _, _ = build_lr_table(pedigree, locus, table, model,
                                             min_frequency=min_frequency,
                                             transitions=transition_matrices)
    n = len(labels) - (1 if labels and labels[-1] == UNSEEN_ALLELE else 0)
    q = np.asarray(freqs[:n], dtype=np.float64)
    i, j = _pairs(n)
    p2 = np.where(i == j, q[i] * q[i], 2.0 * q[i] * q[j])
    values = np.asarray(lr[:n, :n][i, j], dtype=np.float64)
    p1 = values * p2
    total = float(p1.sum())
    if not total > 0:  # pragma: no cover - build_lr_table refuses an impossible family
        raise StatisticsError(f"{locus}: no genotype of the missing person is possible")
    p1 = p1 / total  # 1 up to rounding: sum_g P(g | relatives)
    excluded: FloatArray | None
    if model is None:
        excluded = (values <= 0).astype(np.float64)
    else:
        try:
            _, _, lr0, _, _ = build_lr_table(pedigree, locus, table, None,
                                             min_frequency=min_frequency,
                                             transitions=transition_matrices)
        except StatisticsError:  # the relatives need a mutation: no exclusion evidence
            excluded = None
        else:
            excluded = (np.asarray(lr0[:n, :n][i, j]) <= 0).astype(np.float64)
    return _Locus(p1, p2, values, excluded)


def _exact(dist: _Locus) -> tuple[float | None, float, float]:
    """(EP, E1[log10 LR], E1[LR]) of one locus."""
    ep = float(np.dot(dist.p2, dist.excluded)) if dist.excluded is not None else None
    keep = dist.p1 > 0
    e_log = float(np.dot(dist.p1[keep], np.log10(dist.lr[keep])))
    e_lr = float(np.dot(dist.p1, dist.lr))
    return ep, e_log, e_lr


def _default_loci(pedigree: Pedigree, table: FrequencyTable,
                  loci: Iterable[str] | None) -> tuple[list[str], dict[str, str]]:
    excluded: dict[str, str] = {}
    if loci is not None:
        wanted = [canonical_locus(x) for x in loci]
    else:
        found: set[str] = set()
        for person in pedigree.individuals:
            if person.profile is not None:
                found.update(person.profile.str_loci)
        wanted = sorted(found, key=locus_sort_key)
    out = []
    for locus in dict.fromkeys(wanted):
        if LOCI[locus].kind is not LocusKind.AUTOSOMAL_STR:
            excluded[locus] = f"not an autosomal STR ({LOCI[locus].kind.value})"
        elif not table.has_locus(locus):
            excluded[locus] = f"no frequencies in table {table.name}"
        else:
            out.append(locus)
    return out, excluded


def _check(simulations: int, seed: int, thresholds: Sequence[float]) -> None:
    if (isinstance(simulations, bool) or not isinstance(simulations, int)
            or not 1 <= simulations <= MAX_SIMULATIONS):
        raise InvalidParameter("simulations", simulations,
                               expected=f"a whole number in 1..{MAX_SIMULATIONS}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidParameter("seed", seed, expected="a whole number >= 0")
    for t in thresholds:
        if not isinstance(t, (int, float)) or not t > 0 or math.isinf(t):
            raise InvalidParameter("threshold", t, expected="a positive LR threshold")


def _draw(rng: np.random.Generator, p: FloatArray, size: int) -> npt.NDArray[np.intp]:
    cdf = np.cumsum(p)
    cdf[-1] = 1.0 if cdf[-1] > 0 else cdf[-1]
    return np.asarray(np.searchsorted(cdf, rng.random(size), side="right"), dtype=np.intp)


def _log10(values: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore"):
        return np.log10(values)


# --- the family as it is ---------------------------------------------------------------------


def exclusion_power(pedigree: Pedigree, table: FrequencyTable, *,
                    loci: Iterable[str] | None = None,
                    min_frequency: float | None = None) -> dict[str, Any]:
    """Exact exclusion power of the family: ``{"exclusion_power": EP, "per_locus": {locus:
    EP_l}, "excluded_loci": {...}}`` with ``EP = 1 - prod(1 - EP_l)`` (module docstring). A
    locus where the relatives are inconsistent without mutation has EP_l None (no exclusion
    evidence) and counts as 0."""
    min_frequency = check_min_frequency(min_frequency)
    wanted, excluded = _default_loci(pedigree, table, loci)
    per: dict[str, float | None] = {}
    for locus in wanted:
        if not relatives_at(pedigree, locus):
            excluded[locus] = "no relative typed (no kinship information)"
            continue
        try:
            per[locus] = _exact(_locus(pedigree, locus, table, None, min_frequency))[0]
        except StatisticsError:  # the relatives need a mutation: no exclusion evidence
            per[locus] = None
    total = 1.0 - math.prod(1.0 - (v or 0.0) for v in per.values())
    return {"exclusion_power": total, "per_locus": per, "excluded_loci": excluded}


def lr_power(
    pedigree: Pedigree,
    table: FrequencyTable,
    *,
    mutation: MutationSpec = None,
    loci: Iterable[str] | None = None,
    simulations: int = DEFAULT_SIMULATIONS,
    seed: int = 1,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    min_frequency: float | None = None,
) -> PowerResult:
    """Exclusion power, exact expectations and the simulated LR distribution of the family
    under H1 and H2 (module docstring). ``loci``: default every autosomal STR typed in some
    relative and in the table; loci without a typed relative are listed in ``excluded``."""
    _check(simulations, seed, thresholds)
    min_frequency = check_min_frequency(min_frequency)
    wanted, excluded = _default_loci(pedigree, table, loci)
    rng = np.random.default_rng(seed)
    h1 = np.zeros(simulations)
    h2 = np.zeros(simulations)
    per: dict[str, LocusPower] = {}
    for locus in wanted:
        if not relatives_at(pedigree, locus):
            excluded[locus] = "no relative typed (no kinship information)"
            continue
        dist = _locus(pedigree, locus, table, mutation, min_frequency)
        ep, e_log, e_lr = _exact(dist)
        note = (None if dist.excluded is not None
                else "the relatives are inconsistent without mutation: no exclusion")
        per[locus] = LocusPower(locus, ep, e_log, e_lr, len(dist.p2), note)
        logs = _log10(dist.lr)
        h1 += logs[_draw(rng, dist.p1, simulations)]
        h2 += logs[_draw(rng, dist.p2, simulations)]
    if not per:
        raise StatisticsError(f"the pedigree of {pedigree.missing!r} has no typed relative at "
                              "any locus of the table", remedy="type a relative first, or "
                              "compare candidate relatives (--candidates)")
    total_ep = 1.0 - math.prod(1.0 - (v.exclusion_power or 0.0) for v in per.values())
    provenance = make_provenance(
        "lr_power",
        parameters={**mutation_provenance(mutation, per), "loci": list(per),
                    "simulations": simulations, "seed": seed, "theta": 0.0,
                    "thresholds": list(thresholds),
                    "min_frequency": (min_frequency if min_frequency is not None
                                      else table.min_frequency),
                    "pedigree": pedigree.to_dict(profiles=False)},
        tables=table)
    return PowerResult(
        pedigree.missing, total_ep, sum(v.expected_log10_lr_h1 for v in per.values()),
        math.prod(v.expected_lr_h1 for v in per.values()), per, excluded, simulations, seed,
        tuple(float(t) for t in thresholds), h1, h2, provenance)


# --- a relative to sample next ---------------------------------------------------------------


def _genotype_distribution(pedigree: Pedigree, locus: str, candidate: str,
                           table: FrequencyTable, mutation: MutationSpec,
                           min_frequency: float | None) -> tuple[list[tuple[str, str]], FloatArray]:
    """The candidate's unordered genotypes over the table's alleles (and the relatives') and
    their probabilities given the typed relatives."""
    relatives = relatives_at(pedigree, locus)
    universe = locus_universe(table, locus,
                              typed_alleles=[a for g in relatives.values() for a in g],
                              min_frequency=min_frequency)
    male, female = transition_matrices(universe, mutation_for(mutation, locus))
    evidence = {pid: (universe.index[str(g[0])], universe.index[str(g[-1])])
                for pid, g in relatives.items()}
    joint = network_likelihood(pedigree.ids, pedigree.parents(),
                               frequencies=universe.frequencies, male=male, female=female,
                               evidence=evidence, keep=candidate)
    n = universe.size
    i, j = _pairs(n)
    probs = np.where(i == j, joint[i, j], joint[i, j] + joint[j, i])
    total = float(probs.sum())
    if not total > 0:
        raise StatisticsError(f"{locus}: the relatives' genotypes are impossible on the "
                              f"pedigree (likelihood 0)", remedy="check the pedigree and "
                              "profiles, or allow mutation")
    labels = universe.labels
    return [(labels[a], labels[b]) for a, b in zip(i, j, strict=True)], probs / total


def candidate_power(
    pedigree: Pedigree,
    candidate: str,
    table: FrequencyTable,
    *,
    mutation: MutationSpec = None,
    loci: Iterable[str] | None = None,
    simulations: int = 100,
    seed: int = 1,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    min_frequency: float | None = None,
) -> CandidatePower:
    """What typing the untyped relative ``candidate`` would add (module docstring): its
    genotype drawn ``simulations`` times from P(r | relatives), and for each draw the exact EP
    and E1[log10 LR] of the family with it typed, and one LR drawn under H1. ``loci``: default
    every autosomal STR locus of the table typed in some relative (all of the table's if none
    is typed)."""
    _check(simulations, seed, thresholds)
    min_frequency = check_min_frequency(min_frequency)
    person = pedigree.individual(candidate)
    if candidate == pedigree.missing:
        raise PedigreeError(f"{candidate!r} is the missing person",
                            remedy="name an untyped relative of the missing person")
    if person.profile is not None:
        raise PedigreeError(f"{candidate!r} is typed already",
                            remedy="name an untyped relative (--candidates)")
    if loci is None and not pedigree.typed:
        loci = [x for x in table.loci if LOCI[x].kind is LocusKind.AUTOSOMAL_STR]
    wanted, _ = _default_loci(pedigree, table, loci)
    rng = np.random.default_rng(seed)
    ep_keep = np.ones(simulations)  # prod over loci of (1 - EP_l)
    e_log = np.zeros(simulations)
    h1 = np.zeros(simulations)
    distinct = 0
    for locus in wanted:
        genotypes, probs = _genotype_distribution(pedigree, locus, candidate, table, mutation,
                                                  min_frequency)
        drawn = _draw(rng, probs, simulations)
        for k in np.unique(drawn):
            rows = drawn == k
            typed = pedigree.with_profiles({candidate: Profile.from_mapping(
                {locus: list(genotypes[int(k)])}, specimen_id=candidate)})
            dist = _locus(typed, locus, table, mutation, min_frequency)
            ep, mean_log, _ = _exact(dist)
            ep_keep[rows] *= 1.0 - (ep or 0.0)
            e_log[rows] += mean_log
            h1[rows] += _log10(dist.lr)[_draw(rng, dist.p1, int(rows.sum()))]
            distinct += 1
    return CandidatePower(candidate, float(np.mean(1.0 - ep_keep)), float(np.mean(e_log)),
                          simulations, seed, tuple(float(t) for t in thresholds), h1, distinct)
