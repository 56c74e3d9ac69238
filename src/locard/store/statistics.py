"""The match statistic: one quantity (``rmp``), one function (:func:`profile_rmp`).

The random match probability of a profile is computed here and nowhere else, as the policy
says: NRC II eq. 4.10 with the policy's theta, the most conservative (largest) value over the
policy's ``[rarity] tables`` (:func:`locard.stats.match.most_conservative_rmp`); for a mixture
the combined probability of inclusion (CPI, the probability that a random person is included,
the mixture's counterpart of the RMP), again the most conservative over the tables.

The statistic of a match (:func:`match_rmp`) is the RMP of the candidate's profile over the
*compared* loci: the loci of the search index that both profiles typed (:func:`compared_loci`,
the same set a search reports as compared). A locus typed on one side only is not compared and
carries no genotype probability. Search hits, search on entry, the stored candidate match, the
match page, the API, the PDF report and the CLI all show this one number; the value stored on a
specimen (:class:`~locard.store.SpecimenView` ``rmp``) is the same function over all of the
profile's loci. Where a "1 in X" is shown it is called ``one_in`` (= 1/rmp).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from locard.errors import StatisticsError
from locard.genetics.loci import LOCI, LocusKind
from locard.genetics.profiles import Profile
from locard.search.index import DEFAULT_LOCI
from locard.stats.match import combined_probability_of_inclusion, most_conservative_rmp

if TYPE_CHECKING:
    from locard.store.policy import Policy

__all__ = ["NOT_COMPARED", "MatchRmp", "compared_loci", "match_rmp", "one_in", "profile_rmp"]

#: the reason given for a locus of the profile that the match did not compare
NOT_COMPARED = "not compared (not typed in both profiles)"


def one_in(rmp: float | None) -> float | None:
    """``1 / rmp`` (the "1 in X" figure); infinite for an RMP of 0, None for None."""
    if rmp is None:
        return None
    return math.inf if rmp <= 0 else 1.0 / rmp


@dataclass(frozen=True, slots=True)
class MatchRmp:
    """An RMP (``statistic`` ``"RMP"``; ``"CPI"`` for a mixture) with its per-locus values
    (``prod(per_locus.values()) == rmp``), the loci left out with the reason, the table chosen
    (the most conservative), the value in every population, and the provenance."""

    statistic: str
    rmp: float
    per_locus: dict[str, float]
    excluded: dict[str, str]
    theta: float
    formula: str
    table: dict[str, Any]
    populations: dict[str, float]
    provenance: dict[str, Any] = field(repr=False)

    @property
    def one_in(self) -> float:
        """The RMP as "1 in X" (= 1/rmp)."""
        value = one_in(self.rmp)
        assert value is not None
        return value

    @property
    def lr(self) -> float:
        """Likelihood ratio of a single-source match, 1/RMP."""
        return self.one_in

    @property
    def loci(self) -> tuple[str, ...]:
        """The compared loci, in order."""
        return tuple(self.per_locus)

    def to_dict(self) -> dict[str, Any]:
        """The statistic as a JSON-ready dict."""
        return {"statistic": self.statistic, "rmp": self.rmp, "one_in": self.one_in,
                "lr": self.lr, "theta": self.theta, "formula": self.formula,
                "loci": list(self.per_locus), "per_locus": dict(self.per_locus),
                "excluded": dict(self.excluded), "table": dict(self.table),
                "populations": dict(self.populations), "provenance": self.provenance}


def _order(loci: Iterable[str]) -> list[str]:
    # a fixed order, so that the product is the same float whoever lists the loci
    pos = {name: i for i, name in enumerate(DEFAULT_LOCI)}
    return sorted(dict.fromkeys(loci), key=lambda x: (pos.get(x, len(pos)), x))


def profile_rmp(policy: Policy, profile: Profile, *,
                loci: Iterable[str] | None = None) -> MatchRmp | None:
    """The RMP of ``profile`` over ``loci`` (default: all its typed autosomal STR loci), the
    most conservative over the policy's tables with the policy's theta; the CPI for a mixture.
    None when no locus is left to compute over. :class:`StoreError` when the tables cannot be
    loaded."""
    from locard.store.policy import load_rarity_tables

    tables = load_rarity_tables(policy.rarity_tables)
    wanted = _order(profile.str_loci if loci is None else
                    [x for x in loci if x in profile.str_loci])
    if not wanted or not tables:
        return None
    if profile.is_mixture:
        found = [combined_probability_of_inclusion(profile, t, loci=wanted) for t in tables]
        chosen = max(found, key=lambda r: r.cpi)
        desc = tables[found.index(chosen)].describe()
        return MatchRmp("CPI", chosen.cpi,
                        {k: v.probability for k, v in chosen.per_locus.items()},
                        _excluded(chosen.excluded, loci), 0.0, "cpi", _table(desc),
                        {t.name: r.cpi for t, r in zip(tables, found, strict=True)},
                        chosen.provenance)
    try:
        result = most_conservative_rmp(profile, tables, theta=policy.theta, loci=wanted)
    except StatisticsError:  # pragma: no cover - a single-source profile has <= 2 alleles
        return None
    c = result.chosen
    return MatchRmp("RMP", c.value, {k: v.probability for k, v in c.per_locus.items()},
                    _excluded(c.excluded, loci), c.theta, str(c.formula),
                    _table(c.table.describe()),
                    {name: r.value for name, r in result.results.items()}, c.provenance)


def _table(desc: dict[str, Any]) -> dict[str, Any]:
    return {"name": desc["name"], "sha256": desc["sha256"], "population": desc.get("population")}


def _excluded(excluded: dict[str, str], loci: Iterable[str] | None) -> dict[str, str]:
    if loci is None:
        return dict(excluded)
    return {k: (NOT_COMPARED if v == "not in the requested locus set" else v)
            for k, v in excluded.items()}


def compared_loci(a: Profile, b: Profile, *,
                  loci: Iterable[str] = DEFAULT_LOCI) -> tuple[str, ...]:
    """The loci a search compares for ``a`` and ``b``: the index's ``loci`` that both typed
    (a conclusive call with alleles on each side, no off-ladder peak on either), autosomal
    STRs only."""
    out = []
    for locus in loci:
        ca, cb = a.loci.get(locus), b.loci.get(locus)
        if (ca is None or cb is None or ca.inconclusive or cb.inconclusive
                or not ca.alleles or not cb.alleles or ca.off_ladder or cb.off_ladder):
            continue
        if LOCI[locus].kind is LocusKind.AUTOSOMAL_STR:
            out.append(locus)
    return tuple(out)


def match_rmp(policy: Policy, query: Profile, candidate: Profile, *,
              loci: Iterable[str] | None = None) -> MatchRmp | None:
    """The statistic of a match: :func:`profile_rmp` of the candidate's profile over the
    compared loci (``loci`` when the search reported them, else :func:`compared_loci`)."""
    use = compared_loci(query, candidate) if loci is None else tuple(loci)
    return profile_rmp(policy, candidate, loci=use)
