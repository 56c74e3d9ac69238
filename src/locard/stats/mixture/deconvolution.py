"""Deconvolution of a mixed trace under the continuous model: the most probable genotype of each
contributor at each locus, with its posterior probability, at the maximum-likelihood parameters
of one hypothesis (EuroForMix's "deconvolution": ``calcMargDC`` at the MLE).

At fixed parameters ``phi`` the posterior of a joint genotype combination ``G`` of the unknowns is
``P(G | E, phi) = P(G | typed, theta) P(E | G, phi) / L(phi)``, and the marginal posterior of
contributor ``k`` having genotype ``g`` is the sum over the combinations with ``G_k = g``. The
unknowns are told apart by their fitted mixture proportions (they are listed in the order of the
fit's ``mx``, after the typed contributors, whose genotypes are given). ``Q`` in a genotype is an
allele not seen in any replicate. A major contributor whose genotype has posterior near 1 at
every locus can be searched as a single-source profile.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from locard.errors import InvalidParameter
from locard.stats.mixture.continuous import combination_logliks, stack_hypothesis
from locard.stats.mixture.continuous_fit import HypothesisFit

__all__ = ["ContributorGenotypes", "Deconvolution", "GenotypePosterior", "deconvolve"]


@dataclass(frozen=True, slots=True)
class GenotypePosterior:
    """One genotype (allele names; ``Q``: an allele not observed) and its posterior."""

    alleles: tuple[str, str]
    probability: float

    def to_dict(self) -> dict[str, Any]:
        """The genotype (``A/B``) and its posterior probability."""
        return {"genotype": "/".join(self.alleles), "probability": self.probability}


@dataclass(frozen=True, slots=True)
class ContributorGenotypes:
    """One contributor: name (``U1``... for the unknowns), fitted mixture proportion, and per
    locus the most probable genotypes, best first (``per_locus[locus][0]`` is the call)."""

    name: str
    mx: float
    typed: bool
    per_locus: Mapping[str, tuple[GenotypePosterior, ...]]

    def profile(self, *, min_probability: float = 0.99) -> dict[str, list[str]]:
        """The loci whose best genotype has posterior >= ``min_probability`` and no ``Q``, as a
        single-source profile (locus -> two alleles) to search the database with."""
        return {locus: list(g[0].alleles) for locus, g in self.per_locus.items()
                if g and g[0].probability >= min_probability and "Q" not in g[0].alleles}

    def to_dict(self) -> dict[str, Any]:
        """The contributor's genotype posteriors as a JSON-ready dict."""
        return {"name": self.name, "mx": self.mx, "typed": self.typed,
                "per_locus": {k: [g.to_dict() for g in v] for k, v in self.per_locus.items()}}


@dataclass(frozen=True, slots=True)
class Deconvolution:
    """Per contributor, per locus, the ranked genotype posteriors at the fitted parameters."""

    hypothesis: str
    loglik: float
    parameters: Mapping[str, Any]
    contributors: tuple[ContributorGenotypes, ...]

    def to_dict(self) -> dict[str, Any]:
        """The deconvolution as a JSON-ready dict."""
        return {"hypothesis": self.hypothesis, "loglik": self.loglik,
                "parameters": dict(self.parameters),
                "contributors": [c.to_dict() for c in self.contributors]}


def deconvolve(fitted: HypothesisFit, *, top: int = 3, hypothesis: str = "hd") -> Deconvolution:
    """Marginal genotype posteriors of every contributor at ``fitted``'s maximum (module
    docstring); the ``top`` most probable genotypes per locus and contributor."""
    if top < 1:
        raise InvalidParameter("top", top, expected="an integer >= 1")
    params = fitted.fit.parameters
    stacked = stack_hypothesis(fitted.loci)
    h = fitted.hypothesis
    names = [*h.contributors, *(f"U{i + 1}" for i in range(h.unknowns))]
    per: list[dict[str, tuple[GenotypePosterior, ...]]] = [{} for _ in names]
    for li, lh in enumerate(fitted.loci):
        d = lh.data
        allele_names = [*(str(a) for a in d.alleles[: d.n_obs]), "Q"]
        logs = combination_logliks(stacked, params, li)
        best = float(np.max(logs))
        if not math.isfinite(best):
            continue
        w = np.exp(logs - best)
        w = w / w.sum()
        for k in range(len(names)):
            if k < lh.n_known:
                # a typed contributor: the given genotype, certain
                a, b = lh.known[k]
                per[k][d.locus] = (GenotypePosterior((allele_names[a], allele_names[b]), 1.0),)
                continue
            u = k - lh.n_known
            marg = np.bincount(lh.combos[:, u], weights=w, minlength=len(lh.genotypes))
            order = np.argsort(-marg, kind="stable")[:top]
            per[k][d.locus] = tuple(
                GenotypePosterior((allele_names[lh.genotypes[g][0]],
                                   allele_names[lh.genotypes[g][1]]), float(marg[g]))
                for g in order)
    contributors = tuple(
        ContributorGenotypes(name=n, mx=float(params.mx[k]), typed=k < len(h.contributors),
                             per_locus=per[k]) for k, n in enumerate(names))
    return Deconvolution(hypothesis=hypothesis, loglik=fitted.fit.loglik,
                         parameters=params.to_dict(), contributors=contributors)

