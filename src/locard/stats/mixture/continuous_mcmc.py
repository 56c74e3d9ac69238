"""The conservative LR of the continuous model: the 5% quantile of the Bayesian LR by Markov
chain Monte Carlo, as EuroForMix offers it (``calcLRmcmc`` and ``contLikMCMC``, github
oyvble/euroformix; Bleka, Storvik & Gill 2016, FSI:Genetics 21:35).

Under each hypothesis a random-walk Metropolis-Hastings chain samples the posterior of the
model's parameters (mixture proportions, ``mu``, ``sigma`` and, where modelled, ``beta`` and the
stutter proportions) under flat priors on the natural parameters, starting at the
maximum-likelihood estimate. The proposal is ``N(0, delta * H^-1)``, ``H`` the numerical Hessian
of the negative log-likelihood at the maximum; ``delta`` (start 2) is tuned on short runs
(``tune_samples`` draws) until the acceptance rate is within ``acceptance_tolerance`` of
``target_acceptance`` (0.25 +- 0.1): ``delta <- delta * rate / target`` (halved when nothing is
accepted), as EuroForMix does. The i-th draw of each chain gives one Bayesian log-LR,
``log L(Hp | phi_p^i) - log L(Hd | phi_d^i)``, and the conservative LR is their ``quantile``
(0.05) quantile.

Differences from EuroForMix: the chain runs in the fit's unconstrained coordinates (log ``mu``,
log ``sigma``, logits of the proportions, ``beta`` and ``xi``) with the Jacobian of the flat
natural-scale prior added to the target, so that a proposal never leaves the parameter space;
``delta`` is tuned for each hypothesis (EuroForMix tunes it under Hp and uses it for both); where
the Hessian is not positive definite (a parameter at its bound), its non-positive directions get
unit variance and ``regularised`` says so. The Bayes factor (Gelfand-Dey) is not computed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from locard.errors import InvalidParameter, StatisticsError
from locard.stats.mixture.continuous import Parameters, stack_hypothesis, stacked_loglik
from locard.stats.mixture.continuous_fit import HypothesisFit, ParameterSpace

__all__ = ["ConservativeLR", "McmcChain", "conservative_lr", "sample_posterior"]


@dataclass(frozen=True, slots=True)
class McmcChain:
    """One hypothesis's chain: its log-likelihoods (natural log) at every draw, the acceptance
    rate of the final run, the tuned proposal scale ``delta`` and the tuning runs' rates."""

    hypothesis: str
    logliks: tuple[float, ...]
    acceptance_rate: float
    delta: float
    tuning: tuple[tuple[float, float], ...]  # (delta, acceptance rate) of each tuning run
    regularised: bool
    mle_loglik: float

    def to_dict(self) -> dict[str, Any]:
        """The chain's summary as a JSON-ready dict (not the samples)."""
        return {"hypothesis": self.hypothesis, "samples": len(self.logliks),
                "acceptance_rate": self.acceptance_rate, "delta": self.delta,
                "tuning": [{"delta": d, "acceptance_rate": r} for d, r in self.tuning],
                "hessian_regularised": self.regularised, "mle_loglik": self.mle_loglik,
                "max_sampled_loglik": max(self.logliks)}


@dataclass(frozen=True, slots=True)
class ConservativeLR:
    """The ``quantile`` quantile of the Bayesian log10 LR beside the MLE-based one;
    ``distribution`` gives the 5/25/50/75/95% quantiles of the sampled log10 LRs."""

    log10_lr: float
    mle_log10_lr: float
    quantile: float
    distribution: Mapping[str, float]
    hp: McmcChain
    hd: McmcChain
    seed: int
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def lr(self) -> float:
        """The conservative LR: 10 ** ``log10_lr``."""
        return float(10.0 ** self.log10_lr)

    def __repr__(self) -> str:
        return (f"ConservativeLR(log10_lr={self.log10_lr:.4f}, "
                f"mle_log10_lr={self.mle_log10_lr:.4f}, quantile={self.quantile})")

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict, with both chains' summaries and the method."""
        return {"lr": self.lr, "log10_lr": self.log10_lr, "mle_log10_lr": self.mle_log10_lr,
                "quantile": self.quantile, "log10_lr_quantiles": dict(self.distribution),
                "samples": len(self.hp.logliks), "seed": self.seed,
                "chains": {"hp": self.hp.to_dict(), "hd": self.hd.to_dict()},
                "method": "Metropolis-Hastings, flat priors, proposal delta * inverse Hessian "
                          "at the MLE (EuroForMix calcLRmcmc)"}


def _to_z(space: ParameterSpace, p: Parameters) -> NDArray[np.float64]:
    """The optimiser coordinates of ``p`` (inverse of ``ParameterSpace.params``), clipped
    to bounds."""
    def logit(v: float) -> float:
        v = min(max(v, 1e-12), 1.0 - 1e-12)
        return math.log(v / (1.0 - v))

    mx = np.maximum(np.asarray(p.mx, dtype=float), 1e-300)
    z = list(np.log(mx[:-1]) - math.log(mx[-1]))
    z += [math.log(p.mu), math.log(p.sigma)]
    if space.options.degradation:
        z.append(logit(p.beta))
    if space.options.backward_stutter:
        z.append(logit(p.xi_b))
    if space.options.forward_stutter:
        z.append(logit(p.xi_f / max(1.0 - p.xi_b, 1e-300)))
    lo, hi = np.array(space.bounds()).T
    out: NDArray[np.float64] = np.clip(np.array(z, dtype=float), lo, hi)
    return out


def _log_jacobian(space: ParameterSpace, z: NDArray[np.float64]) -> float:
    """log |d natural / d z|: the flat prior on the natural parameters, in z coordinates."""
    p = space.params(z)
    k = space.k
    out = float(np.sum(np.log(np.maximum(p.mx, 1e-300)))) if k > 1 else 0.0
    out += float(z[k - 1] + z[k])  # mu = exp(z), sigma = exp(z)
    j = k + 1

    def dlogistic(v: float) -> float:
        return -abs(v) - 2.0 * math.log1p(math.exp(-abs(v)))

    if space.options.degradation:
        out += dlogistic(float(z[j]))
        j += 1
    if space.options.backward_stutter:
        out += dlogistic(float(z[j]))
        j += 1
    if space.options.forward_stutter:
        out += dlogistic(float(z[j])) + math.log(max(1.0 - p.xi_b, 1e-300))
    return out


def _proposal_cholesky(loglik: Any, z: NDArray[np.float64]) -> tuple[NDArray[np.float64], bool]:
    """Cholesky factor of the inverse of the central-difference Hessian of ``-loglik`` at
    ``z``; non-positive (or non-finite) directions get unit variance."""
    d = len(z)
    h = 1e-3
    f0 = -loglik(z)
    hess = np.zeros((d, d))
    eye = np.eye(d) * h
    for i in range(d):
        for j in range(i, d):
            if i == j:
                v = (-loglik(z + eye[i]) - 2 * f0 - loglik(z - eye[i])) / (h * h)
            else:
                v = (-loglik(z + eye[i] + eye[j]) + loglik(z + eye[i] - eye[j])
                     + loglik(z - eye[i] + eye[j]) - loglik(z - eye[i] - eye[j])) / (4 * h * h)
            hess[i, j] = hess[j, i] = v
    regularised = False
    if not np.all(np.isfinite(hess)):
        hess = np.eye(d)
        regularised = True
    vals, vecs = np.linalg.eigh(hess)
    floor = 1e-8 * max(float(np.max(np.abs(vals))), 1.0)
    if np.any(vals <= floor):
        regularised = True
        vals = np.where(vals <= floor, 1.0, vals)
    cov = (vecs / vals) @ vecs.T
    chol: NDArray[np.float64] = np.linalg.cholesky((cov + cov.T) / 2.0)
    return chol, regularised


def _run_chain(target: Any, loglik: Any, z0: NDArray[np.float64], chol: NDArray[np.float64],
               *, n: int, delta: float, rng: np.random.Generator
               ) -> tuple[NDArray[np.float64], float]:
    """``n`` draws (the first is ``z0``) of the random-walk chain; their log-likelihoods and
    the acceptance rate of the ``n - 1`` proposals."""
    steps = rng.standard_normal((n, len(z0))) @ chol.T * math.sqrt(delta)
    u = np.log(rng.uniform(size=n))
    z = z0.copy()
    t = target(z)
    ll = loglik(z)
    out = np.empty(n)
    out[0] = ll
    accepted = 0
    for m in range(1, n):
        cand = z + steps[m]
        tc = target(cand)
        if u[m] < tc - t:
            z, t, ll = cand, tc, loglik(cand)
            accepted += 1
        out[m] = ll
    return out, accepted / max(n - 1, 1)


def sample_posterior(
    fitted: HypothesisFit,
    *,
    samples: int = 2000,
    seed: int = 1,
    hypothesis: str = "hd",
    delta: float = 2.0,
    target_acceptance: float = 0.25,
    acceptance_tolerance: float = 0.1,
    tune_samples: int = 200,
    max_tuning: int = 25,
) -> McmcChain:
    """The Metropolis-Hastings chain of one fitted hypothesis (module docstring)."""
    if samples < 2:
        raise InvalidParameter("samples", samples, expected="an integer >= 2 (--mcmc-samples)")
    if not delta > 0:
        raise InvalidParameter("delta", delta, expected="a proposal scale > 0")
    if not 0 < target_acceptance < 1:
        raise InvalidParameter("target_acceptance", target_acceptance,
                               expected="0 < value < 1")
    space = ParameterSpace(len(fitted.fit.parameters.mx), fitted.options)
    stacked = stack_hypothesis(fitted.loci)
    lo, hi = np.array(space.bounds()).T

    def loglik(z: NDArray[np.float64]) -> float:
        if np.any(z < lo) or np.any(z > hi):
            return -math.inf
        v = float(stacked_loglik(stacked, space.params(z)).sum())
        return v if math.isfinite(v) else -math.inf

    def target(z: NDArray[np.float64]) -> float:
        v = loglik(z)
        return v + _log_jacobian(space, z) if math.isfinite(v) else -math.inf

    z0 = _to_z(space, fitted.fit.parameters)
    if not math.isfinite(loglik(z0)):
        raise StatisticsError(f"{hypothesis}: the evidence has probability 0 at the maximum",
                              remedy="check the fit (locard mixture lr) before sampling")
    chol, regularised = _proposal_cholesky(loglik, z0)
    rng = np.random.default_rng(seed)
    tuning: list[tuple[float, float]] = []
    for _ in range(max_tuning):
        _, rate = _run_chain(target, loglik, z0, chol, n=tune_samples, delta=delta, rng=rng)
        tuning.append((delta, rate))
        if abs(rate - target_acceptance) < acceptance_tolerance:
            break
        delta *= 0.5 if rate == 0 else rate / target_acceptance
    logliks, rate = _run_chain(target, loglik, z0, chol, n=samples, delta=delta, rng=rng)
    return McmcChain(hypothesis=hypothesis, logliks=tuple(float(v) for v in logliks),
                     acceptance_rate=rate, delta=delta, tuning=tuple(tuning),
                     regularised=regularised, mle_loglik=fitted.fit.loglik)


def conservative_lr(
    hp: HypothesisFit,
    hd: HypothesisFit,
    *,
    samples: int = 2000,
    quantile: float = 0.05,
    seed: int = 1,
    delta: float = 2.0,
    target_acceptance: float = 0.25,
    acceptance_tolerance: float = 0.1,
    tune_samples: int = 200,
) -> ConservativeLR:
    """The ``quantile`` (0.05) quantile of the Bayesian log10 LR from one chain per hypothesis
    (module docstring); the Hd chain's seed is ``seed + 999``, as in EuroForMix."""
    if not 0 < quantile < 1:
        raise InvalidParameter("quantile", quantile, expected="0 < quantile < 1")
    chains = {}
    for name, fitted, s in (("hp", hp, seed), ("hd", hd, seed + 999)):
        chains[name] = sample_posterior(
            fitted, samples=samples, seed=s, hypothesis=name, delta=delta,
            target_acceptance=target_acceptance, acceptance_tolerance=acceptance_tolerance,
            tune_samples=tune_samples)
    log10 = ((np.array(chains["hp"].logliks) - np.array(chains["hd"].logliks))
             / math.log(10.0))
    if not np.all(np.isfinite(log10)):
        raise StatisticsError("a sampled log-likelihood is not finite",
                              remedy="check the fit (locard mixture lr) before sampling")
    qs = {f"{q:g}": float(np.quantile(log10, q)) for q in (0.05, 0.25, 0.5, 0.75, 0.95)}
    mle = (hp.fit.loglik - hd.fit.loglik) / math.log(10.0)
    return ConservativeLR(
        log10_lr=float(np.quantile(log10, quantile)), mle_log10_lr=mle, quantile=quantile,
        distribution=qs, hp=chains["hp"], hd=chains["hd"], seed=seed,
        provenance={"samples": samples, "quantile": quantile, "seed": seed, "delta": delta,
                    "target_acceptance": target_acceptance,
                    "acceptance_tolerance": acceptance_tolerance,
                    "tune_samples": tune_samples})
