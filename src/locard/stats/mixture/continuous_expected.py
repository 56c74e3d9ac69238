"""Expected peak heights of a continuous-model fit, per contributor: what the
electropherogram-style bar plot (:func:`locard.plots.expected_heights_plot`; EuroForMix's
``plotTopEPG``) draws beside the observed heights.

At the fitted parameters and each contributor's genotype (typed, or the most probable one of the
deconvolution), the gamma mean of position ``a`` is ``alpha_a mu sigma^2``, and its share from
contributor ``k`` is::

    mu Mx_k [ (1 - xi_B - xi_F) c_ka d_a + xi_B c_k,a+1 d_a+1 + xi_F c_k,a-1 d_a-1 ]
    d_a = beta^((bp_a - 125)/100)

(``Q`` neither loses nor receives stutter; it is not drawn, having no observed height).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from locard.errors import InputError
from locard.stats.mixture.continuous import degradation_factor
from locard.stats.mixture.continuous_fit import HypothesisFit
from locard.stats.mixture.deconvolution import Deconvolution

__all__ = ["ExpectedHeights", "ExpectedPeak", "expected_heights"]


@dataclass(frozen=True, slots=True)
class ExpectedPeak:
    """One position of a locus (an observed allele or a stutter-only position): the observed
    height in each replicate (0: below AT) and the expected height from each contributor."""

    locus: str
    allele: str
    observed: tuple[float, ...]
    expected: tuple[float, ...]

    @property
    def expected_total(self) -> float:
        """The expected height summed over the contributors (RFU)."""
        return sum(self.expected)

    def to_dict(self) -> dict[str, Any]:
        """The peak as a JSON-ready dict."""
        return {"locus": self.locus, "allele": self.allele, "observed": list(self.observed),
                "expected": list(self.expected), "expected_total": self.expected_total}


@dataclass(frozen=True, slots=True)
class ExpectedHeights:
    """Every position of every locus of a fit, with the contributors' names, mixture
    proportions and the genotypes used (per contributor, per locus)."""

    hypothesis: str
    contributors: tuple[str, ...]
    mx: tuple[float, ...]
    genotypes: tuple[dict[str, tuple[str, str]], ...]
    peaks: tuple[ExpectedPeak, ...]

    @property
    def loci(self) -> tuple[str, ...]:
        """The loci of the peaks, in order of first appearance."""
        return tuple(dict.fromkeys(p.locus for p in self.peaks))

    def to_dict(self) -> dict[str, Any]:
        """The expected heights as a JSON-ready dict."""
        return {"hypothesis": self.hypothesis, "contributors": list(self.contributors),
                "mx": list(self.mx),
                "genotypes": [{k: "/".join(v) for k, v in g.items()} for g in self.genotypes],
                "peaks": [p.to_dict() for p in self.peaks]}


def expected_heights(fitted: HypothesisFit, deconvolution: Deconvolution) -> ExpectedHeights:
    """Observed against expected heights per contributor at ``fitted``'s maximum, each
    contributor's genotype being its call (most probable genotype) in ``deconvolution``."""
    p = fitted.fit.parameters
    names = tuple(c.name for c in deconvolution.contributors)
    if len(names) != len(p.mx):
        raise InputError(f"deconvolution: {len(names)} contributors, the fit has {len(p.mx)}",
                         remedy="deconvolve the same fit (deconvolve(fitted))")
    genotypes: list[dict[str, tuple[str, str]]] = [{} for _ in names]
    peaks: list[ExpectedPeak] = []
    own_share = 1.0 - p.xi_b - p.xi_f
    for lh in fitted.loci:
        d = lh.data
        allele_names = [*(str(a) for a in d.alleles[: d.n_obs]), "Q"]
        code = {a: i for i, a in enumerate(allele_names)}
        dose = []  # per contributor: genotype-allele code -> Mx_k c_kg d_g
        for k, c in enumerate(deconvolution.contributors):
            calls = c.per_locus.get(d.locus)
            if not calls:
                raise InputError(f"deconvolution: no genotype of {c.name} at {d.locus}",
                                 remedy="deconvolve the same fit (deconvolve(fitted))")
            gt = calls[0].alleles
            genotypes[k][d.locus] = gt
            doses: dict[int, float] = {}
            for a in gt:
                g = code[a]
                bp = float(d.bp[g] if g < d.n_obs else d.bp[-1])
                doses[g] = doses.get(g, 0.0) + p.mx[k] * degradation_factor(bp, p.beta)
            dose.append(doses)
        for i in range(d.n_positions - 1):  # Q is not drawn
            own, up, down = int(d.own[i]), int(d.up[i]), int(d.down[i])
            expected = []
            for doses in dose:
                v = own_share * doses.get(own, 0.0) if own >= 0 else 0.0
                if up >= 0:
                    v += p.xi_b * doses.get(up, 0.0)
                if down >= 0:
                    v += p.xi_f * doses.get(down, 0.0)
                expected.append(p.mu * v)
            peaks.append(ExpectedPeak(locus=d.locus, allele=str(d.alleles[i]),
                                      observed=tuple(float(y) for y in d.heights[:, i]),
                                      expected=tuple(expected)))
    return ExpectedHeights(hypothesis=deconvolution.hypothesis, contributors=names, mx=p.mx,
                           genotypes=tuple(genotypes), peaks=tuple(peaks))
