"""Single-source match statistics and mixture inclusion statistics.

Genotype probabilities by the product rule, NRC II (1996) eq. 4.1 and eq. 4.10 (the
Balding-Nichols conditional match probability, Locard's default with theta = 0.01); the random
match probability (RMP) over loci as the product of per-locus values, with every excluded locus
reported and never silently dropped; LR = 1/RMP for a single-source match; the most conservative
figure across populations; CPI/CPE for a mixture.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from locard.errors import InvalidParameter, StatisticsError
from locard.genetics.alleles import Allele
from locard.genetics.loci import LOCI, LocusKind, canonical_locus
from locard.genetics.profiles import Profile
from locard.stats.frequencies import AlleleFrequency, FrequencyTable
from locard.stats.provenance import make_provenance

__all__ = [
    "DEFAULT_THETA",
    "Formula",
    "InclusionProbability",
    "LocusProbability",
    "MatchProbability",
    "combined_probability_of_inclusion",
    "genotype_probability",
    "most_conservative_rmp",
    "random_match_probability",
]

DEFAULT_THETA = 0.01


class Formula(StrEnum):
    """Genotype probability formula: product rule, NRC II eq. 4.1, or NRC II eq. 4.10."""

    PRODUCT = "product"
    NRC2_4_1 = "nrc2-4.1"
    NRC2_4_10 = "nrc2-4.10"


def _check_theta(theta: float) -> None:
    if not (0.0 <= theta < 1.0) or math.isnan(theta):
        raise InvalidParameter("theta", theta, expected="0 <= theta < 1 (typically 0.01-0.03)")


def genotype_probability(p: float, q: float | None = None, *, theta: float = DEFAULT_THETA,
                         formula: Formula | str = Formula.NRC2_4_10) -> float:
    """Probability of a genotype with allele frequencies ``p`` (and ``q`` for a heterozygote).

    - ``product``: homozygote p^2, heterozygote 2pq (Hardy-Weinberg).
    - ``nrc2-4.1``: homozygote p^2 + p(1-p)theta, heterozygote 2pq (NRC II 1996, eq. 4.1a/b).
    - ``nrc2-4.10``: the Balding-Nichols conditional match probability (Balding and Nichols 1994;
      NRC II 1996, eq. 4.10a/b), homozygote AA
      ``[2t + (1-t)p][3t + (1-t)p] / [(1+t)(1+2t)]``, heterozygote AB
      ``2[t + (1-t)p][t + (1-t)q] / [(1+t)(1+2t)]``.

    With theta = 0 all three reduce to the product rule.
    """
    _check_theta(theta)
    f = Formula(formula)
    t = theta
    if q is None:  # homozygote
        if f is Formula.PRODUCT:
            return p * p
        if f is Formula.NRC2_4_1:
            return p * p + p * (1 - p) * t
        return (2 * t + (1 - t) * p) * (3 * t + (1 - t) * p) / ((1 + t) * (1 + 2 * t))
    if f is not Formula.NRC2_4_10:
        return 2 * p * q
    return 2 * (t + (1 - t) * p) * (t + (1 - t) * q) / ((1 + t) * (1 + 2 * t))


@dataclass(frozen=True, slots=True)
class LocusProbability:
    """One locus of a statistic: the alleles, the frequencies used, and the probability."""

    locus: str
    alleles: tuple[Allele, ...]
    frequencies: tuple[AlleleFrequency, ...]
    probability: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form: alleles, their frequencies and sources, the genotype probability."""
        return {
            "alleles": [str(a) for a in self.alleles],
            "frequencies": {str(f.allele): f.value for f in self.frequencies},
            "frequency_sources": {str(f.allele): f.source for f in self.frequencies},
            "probability": self.probability,
        }


@dataclass(frozen=True, slots=True)
class MatchProbability:
    """A random match probability with its per-locus values, excluded loci and provenance.

    ``value`` is the product of ``per_locus`` probabilities; ``likelihood_ratio`` is 1/value
    (single-source match: Hp the suspect is the source, Hd an unrelated person is).
    """

    value: float
    per_locus: dict[str, LocusProbability]
    excluded: dict[str, str]
    table: FrequencyTable
    theta: float
    formula: Formula
    provenance: dict[str, Any] = field(repr=False)

    @property
    def likelihood_ratio(self) -> float:
        """LR = 1 / RMP (infinite for an RMP of 0)."""
        return math.inf if self.value == 0 else 1.0 / self.value

    @property
    def one_in(self) -> float:
        """The RMP as '1 in X'."""
        return self.likelihood_ratio

    def __repr__(self) -> str:
        return (f"MatchProbability(rmp={self.value:.3g}, loci={len(self.per_locus)}, "
                f"table={self.table.name!r})")

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form: RMP, LR, per-locus probabilities with detail, excluded loci,
        provenance."""
        return {
            "rmp": self.value,
            "lr": self.likelihood_ratio,
            "per_locus": {k: v.probability for k, v in self.per_locus.items()},
            "per_locus_detail": {k: v.to_dict() for k, v in self.per_locus.items()},
            "excluded_loci": dict(self.excluded),
            "provenance": self.provenance,
        }


def _exclusion_reason(profile: Profile, locus: str, table: FrequencyTable) -> str | None:
    info = LOCI[locus]
    if info.kind is not LocusKind.AUTOSOMAL_STR:
        return f"not an autosomal STR ({info.kind.value})"
    call = profile.loci.get(locus)
    if call is None:
        return "not typed in the profile"
    if call.inconclusive:
        return "inconclusive call"
    if not table.has_locus(locus):
        return f"no frequencies in table {table.name}"
    return None


def _partition_loci(profile: Profile, table: FrequencyTable,
                    loci: Iterable[str] | None) -> tuple[list[str], dict[str, str]]:
    """The loci a statistic uses, and every other locus of the profile or of ``loci`` with the
    reason it is left out (never silently dropped)."""
    wanted = [canonical_locus(x) for x in loci] if loci is not None else list(profile.loci)
    usable: list[str] = []
    excluded: dict[str, str] = {}
    for locus in dict.fromkeys(wanted):
        reason = _exclusion_reason(profile, locus, table)
        if reason is None:
            usable.append(locus)
        else:
            excluded[locus] = reason
    if loci is not None:
        for locus in profile.loci:
            if locus not in usable and locus not in excluded:
                excluded[locus] = "not in the requested locus set"
    return usable, excluded


def random_match_probability(
    profile: Profile,
    table: FrequencyTable,
    *,
    theta: float = DEFAULT_THETA,
    formula: Formula | str = Formula.NRC2_4_10,
    loci: Iterable[str] | None = None,
) -> MatchProbability:
    """Random match probability of a single-source profile: the product over loci of the
    genotype probability (:func:`genotype_probability`; default NRC II eq. 4.10, theta = 0.01).

    ``loci`` restricts the computation to a locus set (e.g. a kit's); loci of that set missing
    from the profile or the table are listed in ``excluded`` with the reason, as are the
    profile's non-STR loci. A locus with more than two alleles makes this the wrong statistic:
    :class:`StatisticsError` (use CPI for a mixture).
    """
    _check_theta(theta)
    f = Formula(formula)
    usable, excluded = _partition_loci(profile, table, loci)
    per_locus: dict[str, LocusProbability] = {}
    for locus in usable:
        alleles = profile.loci[locus].alleles
        if len(alleles) > 2:
            raise StatisticsError(
                f"{locus}: {len(alleles)} alleles, so the profile is a mixture",
                remedy="random match probability is for single-source profiles; use CPI")
        freqs = tuple(table.frequency(locus, a) for a in alleles)
        if len(freqs) == 1:
            prob = genotype_probability(freqs[0].value, theta=theta, formula=f)
        else:
            prob = genotype_probability(freqs[0].value, freqs[1].value, theta=theta, formula=f)
        per_locus[locus] = LocusProbability(locus, alleles, freqs, prob)
    value = math.prod(p.probability for p in per_locus.values())
    provenance = make_provenance(
        "random_match_probability",
        parameters={"theta": theta, "formula": f.value,
                    "loci": list(per_locus), "min_frequency": table.min_frequency},
        tables=table,
        specimen_id=profile.specimen_id,
    )
    return MatchProbability(value, per_locus, excluded, table, theta, f, provenance)


@dataclass(frozen=True, slots=True)
class ConservativeResult:
    """RMP in several populations; ``chosen`` is the largest (most conservative) one."""

    results: dict[str, MatchProbability]
    chosen: MatchProbability

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict: the chosen (largest) RMP, its population and every
        population's RMP.
        """
        return {
            "rmp": self.chosen.value,
            "population": self.chosen.table.name,
            "per_population": {k: v.value for k, v in self.results.items()},
            "per_locus": {k: v.probability for k, v in self.chosen.per_locus.items()},
            "provenance": self.chosen.provenance,
        }


def most_conservative_rmp(profile: Profile, tables: Sequence[FrequencyTable], *,
                          theta: float = DEFAULT_THETA,
                          formula: Formula | str = Formula.NRC2_4_10,
                          loci: Iterable[str] | None = None) -> ConservativeResult:
    """The RMP in each population; the largest value (the figure most favourable to the
    defence) is chosen, as US labs report across the major population groups."""
    if not tables:
        raise StatisticsError("no frequency tables given", remedy="name at least one table")
    loci_list = list(loci) if loci is not None else None
    results = {t.name: random_match_probability(profile, t, theta=theta, formula=formula,
                                                loci=loci_list) for t in tables}
    chosen = max(results.values(), key=lambda r: r.value)
    return ConservativeResult(results, chosen)


@dataclass(frozen=True, slots=True)
class InclusionProbability:
    """Combined probability of inclusion of a mixture, with its per-locus values.

    ``cpi`` is the product of per-locus PI; ``cpe`` = 1 - cpi.
    """

    cpi: float
    per_locus: dict[str, LocusProbability]
    excluded: dict[str, str]
    provenance: dict[str, Any] = field(repr=False)

    @property
    def cpe(self) -> float:
        """Combined probability of exclusion, CPE = 1 - CPI."""
        return 1.0 - self.cpi

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form: CPI, CPE, per-locus PI with detail, excluded loci, provenance."""
        return {"cpi": self.cpi, "cpe": self.cpe,
                "per_locus": {k: v.probability for k, v in self.per_locus.items()},
                "per_locus_detail": {k: v.to_dict() for k, v in self.per_locus.items()},
                "excluded_loci": dict(self.excluded), "provenance": self.provenance}


def combined_probability_of_inclusion(profile: Profile, table: FrequencyTable, *,
                                      loci: Iterable[str] | None = None) -> InclusionProbability:
    """Combined probability of inclusion (CPI) of a mixture: per locus PI = (sum of the
    frequencies of the alleles observed)^2, CPI the product over loci, CPE = 1 - CPI
    (Budowle et al. 2009, J Forensic Sci 54:810; SWGDAM 2010 guideline 5).

    CPI assumes no allele has dropped out; loci where drop-out is possible should be left out
    with ``loci``. No theta correction is applied.
    """
    usable, excluded = _partition_loci(profile, table, loci)
    per_locus: dict[str, LocusProbability] = {}
    for locus in usable:
        alleles = profile.loci[locus].alleles
        freqs = tuple(table.frequency(locus, a) for a in alleles)
        pi = min(1.0, sum(x.value for x in freqs)) ** 2
        per_locus[locus] = LocusProbability(locus, alleles, freqs, pi)
    cpi = math.prod(p.probability for p in per_locus.values())
    provenance = make_provenance("combined_probability_of_inclusion",
                                 parameters={"loci": list(per_locus)}, tables=table,
                                 specimen_id=profile.specimen_id)
    return InclusionProbability(cpi, per_locus, excluded, provenance)
