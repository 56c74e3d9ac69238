"""Model validation of a continuous-model fit: the PP-plot of cumulative peak-height
probabilities (EuroForMix's ``validMLEmodel``), with a flag for a poor fit.

For every observed peak ``y`` of allele ``a`` in replicate ``r`` (height >= AT), at the fitted
parameters, the probability of a height at most ``y`` given that it is at least AT and given the
rest of the evidence::

    u = sum_G w_G [F_G(y) - F_G(AT)] / sum_G w_G [1 - F_G(AT)]

``w_G`` is the prior times the likelihood of combination ``G`` with this peak's own density left
out, ``F_G`` the gamma CDF of the peak under ``G``; where ``G`` explains the peak as a drop-in,
``F`` is the drop-in's exponential CDF above AT (and ``w_G`` keeps ``pC p_a``). If the model fits,
the ``u`` are uniform on (0, 1): sorted, the ``i``-th of ``N`` is Beta(i - 1/2, N - i + 3/2)
(EuroForMix's envelope). A peak whose two-sided p-value is below ``alpha / N`` (Bonferroni) lies
outside the envelope, and the fit is flagged as poor. Differences from EuroForMix: the lower limit
is AT (EuroForMix: AT - 1, for integer heights) and the upper limit infinity (EuroForMix: the
0.99999 quantile of a two-copy peak).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats  # type: ignore[import-untyped]

from locard.errors import InvalidParameter
from locard.stats.mixture.continuous import (
    combination_logliks,
    entry_shapes,
    stack_hypothesis,
)
from locard.stats.mixture.continuous_fit import HypothesisFit

__all__ = ["PPPoint", "PPValidation", "pp_validation"]


@dataclass(frozen=True, slots=True)
class PPPoint:
    """One observed peak (``replicate``: its index among the replicates that typed the locus):
    its cumulative probability ``probability`` (``u``), the uniform
    expectation of its rank ``expected``, the two-sided p-value and whether it lies outside the
    Bonferroni envelope."""

    locus: str
    replicate: int
    allele: str
    height: float
    probability: float
    expected: float
    p_value: float
    outside: bool

    def to_dict(self) -> dict[str, Any]:
        """The point as a JSON-ready dict."""
        return {"locus": self.locus, "replicate": self.replicate, "allele": self.allele,
                "height": self.height, "probability": self.probability,
                "expected": self.expected, "p_value": self.p_value, "outside": self.outside}


@dataclass(frozen=True, slots=True)
class PPValidation:
    """Every observed peak's cumulative probability, sorted; ``poor_fit`` if any lies outside
    the envelope at significance ``alpha`` (Bonferroni-adjusted to ``alpha / N``)."""

    hypothesis: str
    alpha: float
    points: tuple[PPPoint, ...]

    @property
    def poor_fit(self) -> bool:
        """Whether any peak falls outside the Bonferroni-corrected band."""
        return any(p.outside for p in self.points)

    @property
    def outside(self) -> tuple[PPPoint, ...]:
        """The peaks outside the band."""
        return tuple(p for p in self.points if p.outside)

    def to_dict(self) -> dict[str, Any]:
        """The validation as a JSON-ready dict, with the Bonferroni alpha (alpha / peaks)."""
        return {"hypothesis": self.hypothesis, "alpha": self.alpha,
                "bonferroni_alpha": self.alpha / max(len(self.points), 1),
                "peaks": len(self.points), "poor_fit": self.poor_fit,
                "outside": [p.to_dict() for p in self.outside],
                "points": [p.to_dict() for p in self.points]}


def _logsumexp(v: np.ndarray[Any, Any]) -> float:
    m = float(np.max(v)) if len(v) else -math.inf
    if not math.isfinite(m):
        return -math.inf
    return m + math.log(float(np.sum(np.exp(v - m))))


def pp_validation(fitted: HypothesisFit, *, alpha: float = 0.01,
                  hypothesis: str = "hd") -> PPValidation:
    """The PP-plot values of ``fitted`` at its maximum (module docstring)."""
    if not 0 < alpha < 1:
        raise InvalidParameter("alpha", alpha, expected="0 < alpha < 1")
    params = fitted.fit.parameters
    options = fitted.options
    stacked = stack_hypothesis(fitted.loci)
    shape_all = entry_shapes(stacked, params)
    scale = params.mu * params.sigma * params.sigma
    lam = options.dropin_lambda
    raw: list[tuple[str, int, str, float, float]] = []
    for li, lh in enumerate(fitted.loci):
        d = lh.data
        logs = combination_logliks(stacked, params, li)
        n_c, n_p = lh.index.shape
        entries = stacked.index[stacked.index_start[li]: stacked.index_start[li + 1]]
        entries = entries.reshape(n_c, n_p)
        at = d.threshold
        for i in range(d.n_positions - 1):  # Q is never observed
            for r in range(d.heights.shape[0]):
                y = float(d.heights[r, i])
                if y <= 0:
                    continue
                shape = shape_all[entries[:, i]]
                zero = stacked.zero[entries[:, i]]
                safe = np.where(zero, 1.0, shape)
                log_dens = np.where(zero, math.log(lam) - lam * (y - at),
                                    stats.gamma.logpdf(y, safe, scale=scale))
                rest = logs - log_dens
                above_at = np.where(zero, 1.0, special.gammaincc(safe, at / scale))
                upto_y = np.where(zero, -math.expm1(-lam * (y - at)),
                                  above_at - special.gammaincc(safe, y / scale))
                with np.errstate(divide="ignore"):
                    num = _logsumexp(rest + np.log(np.maximum(upto_y, 0.0)))
                    den = _logsumexp(rest + np.log(above_at))
                u = math.exp(num - den) if math.isfinite(den) else math.nan
                raw.append((d.locus, r, str(d.alleles[i]), y, min(max(u, 0.0), 1.0)))
    n = len(raw)
    order = sorted(range(n), key=lambda j: raw[j][4])
    points = []
    for rank, j in enumerate(order, start=1):
        locus, r, allele, y, u = raw[j]
        expected = (rank - 0.5) / n
        cdf = float(stats.beta.cdf(u, rank - 0.5, n - rank + 1.5))
        p_value = cdf if u < expected else 1.0 - cdf
        points.append(PPPoint(locus=locus, replicate=r, allele=allele, height=y,
                              probability=u, expected=expected, p_value=p_value,
                              outside=p_value < alpha / n / 2))
    return PPValidation(hypothesis=hypothesis, alpha=alpha, points=tuple(points))
