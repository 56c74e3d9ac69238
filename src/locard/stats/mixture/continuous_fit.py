"""Maximum likelihood for the continuous (gamma peak-height) model, and its LR.

``LR = max L(Hp) / max L(Hd)``: each hypothesis's parameters (mixture proportions, ``mu``,
``sigma``, and where modelled the degradation slope ``beta`` and the stutter proportions) are
fitted jointly over all loci and replicates by L-BFGS-B (SciPy) on an unconstrained
reparametrisation (softmax for the proportions, log for ``mu``/``sigma``, logistic for ``beta``
and ``xi``). The likelihood surface has local maxima hundreds of log units below the global
one, so each fit starts with a random pre-search (``presearch`` points per free parameter,
the best ``min_starts`` used as starts), then keeps adding starts from fresh random points
until the best maximum has been reached twice (within ``tolerance`` log units) or
``max_starts`` is spent; every start is reported. Standard errors come from the numerical
Hessian of the log-likelihood at the maximum (delta method onto the natural parameters).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize  # type: ignore[import-untyped]

from locard.errors import InputError, StatisticsError
from locard.genetics.kits import Kit
from locard.genetics.loci import locus_info, locus_sort_key
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.continuous import (
    DEFAULT_MAX_COMBINATIONS,
    ContinuousOptions,
    HeightEvidence,
    LocusData,
    LocusHypothesis,
    Parameters,
    locus_data,
    prepare_hypothesis,
    stack_hypothesis,
    stacked_loglik,
)
from locard.stats.mixture.semicontinuous import describe_contributors
from locard.stats.provenance import make_provenance

__all__ = [
    "ContinuousHypothesis",
    "ContinuousLR",
    "ContinuousLocusLR",
    "Fit",
    "HypothesisFit",
    "ParameterSpace",
    "Restart",
    "continuous_lr",
    "fit_case_hypothesis",
    "fit_hypothesis",
]

MAX_CONTRIBUTORS = 4


@dataclass(frozen=True, slots=True)
class ContinuousHypothesis:
    """Typed contributors (names of profiles) and the number of unknown contributors."""

    contributors: tuple[str, ...]
    unknowns: int = 0

    @property
    def size(self) -> int:
        """The number of contributors: typed plus unknown."""
        return len(self.contributors) + self.unknowns

    def describe(self, *, poi: str | None = None) -> str:
        """The hypothesis in words (:func:`describe_contributors`)."""
        return describe_contributors(self.contributors, self.unknowns, poi=poi)


@dataclass(frozen=True, slots=True)
class Restart:
    """One optimiser start: where it ended (log-likelihood) and whether SciPy converged."""

    start: int
    loglik: float
    converged: bool
    evaluations: int


@dataclass(frozen=True, slots=True)
class Fit:
    """The maximum of one hypothesis: parameters, log-likelihood (natural log), per-locus
    log-likelihoods at the joint maximum, standard errors (None where the Hessian is not
    positive definite) and every restart."""

    parameters: Parameters
    loglik: float
    per_locus: Mapping[str, float]
    standard_errors: Mapping[str, Any] | None
    restarts: tuple[Restart, ...]

    def to_dict(self) -> dict[str, Any]:
        """The fit as a JSON-ready dict: parameters, log-likelihood, standard errors, restarts."""
        return {"parameters": self.parameters.to_dict(), "loglik": self.loglik,
                "standard_errors": self.standard_errors,
                "restarts": [{"start": r.start, "loglik": r.loglik, "converged": r.converged,
                              "evaluations": r.evaluations} for r in self.restarts]}


class ParameterSpace:
    """The map between the optimiser's unconstrained vector and :class:`Parameters` (shared by
    the maximum-likelihood fit and the MCMC of :mod:`continuous_mcmc`): mixture proportions by
    a softmax of k - 1 free logits, mu and sigma by logs, beta and xi by logistic maps (forward
    stutter scaled by 1 - xi_b)."""

    def __init__(self, k: int, options: ContinuousOptions) -> None:
        self.k = k
        self.options = options
        names = [f"mx{i}" for i in range(k - 1)] + ["log_mu", "log_sigma"]
        if options.degradation:
            names.append("beta")
        if options.backward_stutter:
            names.append("xi_b")
        if options.forward_stutter:
            names.append("xi_f")
        self.names = names

    @property
    def dim(self) -> int:
        """The number of free coordinates."""
        return len(self.names)

    def params(self, z: NDArray[np.float64]) -> Parameters:
        """The model parameters at the optimiser coordinates ``z``."""
        k = self.k
        logits = np.concatenate([z[: k - 1], [0.0]])
        e = np.exp(logits - logits.max())
        mx = tuple(float(v) for v in e / e.sum())
        j = k - 1
        mu, sigma = math.exp(z[j]), math.exp(z[j + 1])
        j += 2
        beta = xi_b = xi_f = 0.0
        beta = 1.0
        if self.options.degradation:
            beta = _sigmoid(z[j])
            j += 1
        if self.options.backward_stutter:
            xi_b = _sigmoid(z[j])
            j += 1
        if self.options.forward_stutter:
            xi_f = _sigmoid(z[j]) * (1.0 - xi_b)
        return Parameters(mx=mx, mu=mu, sigma=sigma, beta=beta, xi_b=xi_b, xi_f=xi_f)

    def natural(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        """``(mx..., mu, sigma, beta, xi_b, xi_f)`` at ``z``."""
        p = self.params(z)
        return np.array([*p.mx, p.mu, p.sigma, p.beta, p.xi_b, p.xi_f])

    def bounds(self) -> list[tuple[float, float]]:
        """Box bounds on the coordinates for L-BFGS-B."""
        b = [(-12.0, 12.0)] * (self.k - 1) + [(0.0, 16.0), (math.log(0.005), math.log(5.0))]
        return b + [(-12.0, 12.0)] * (self.dim - self.k - 1)

    def random(self, rng: np.random.Generator, mu0: float) -> NDArray[np.float64]:
        """A random starting point in the working coordinates, clipped to :meth:`bounds`.

        Mixture proportions Dirichlet(1, ..., 1); log mu ~ N(log ``mu0``, 0.5); sigma ~ U(0.05,
        0.8); degradation and stutter, where modelled, uniform on a plausible range.
        """
        mx = rng.dirichlet(np.ones(self.k))
        logits = np.log(np.maximum(mx, 1e-6))
        z = list(logits[:-1] - logits[-1])
        z += [math.log(mu0) + rng.normal(0, 0.5), math.log(rng.uniform(0.05, 0.8))]
        if self.options.degradation:
            z.append(_logit(rng.uniform(0.4, 0.99)))
        if self.options.backward_stutter:
            z.append(_logit(rng.uniform(0.01, 0.2)))
        if self.options.forward_stutter:
            z.append(_logit(rng.uniform(0.005, 0.05)))
        lo, hi = np.array(self.bounds()).T
        out: NDArray[np.float64] = np.clip(np.array(z), lo, hi)
        return out


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def fit_hypothesis(
    loci: Sequence[LocusHypothesis],
    n_contributors: int,
    options: ContinuousOptions,
    *,
    seed: int = 1,
    presearch: int = 20,
    min_starts: int = 3,
    max_starts: int = 10,
    tolerance: float = 0.01,
    standard_errors: bool = True,
) -> Fit:
    """Maximum-likelihood fit of one hypothesis over ``loci`` (see the module docstring)."""
    space = ParameterSpace(n_contributors, options)
    rng = np.random.default_rng(seed)
    sums = [h.data.heights.sum(axis=1) for h in loci]
    mu0 = max(float(np.mean(np.concatenate(sums))) / 2.0, 1.0) if sums else 1000.0
    if any(h.options != options for h in loci):
        raise InputError("fit_hypothesis: the loci were prepared with other model options",
                         remedy="prepare the loci (hypothesis_loci) with the same options")
    stacked = stack_hypothesis(loci)

    def objective(z: NDArray[np.float64]) -> float:
        v = float(stacked_loglik(stacked, space.params(z)).sum())
        return -v if math.isfinite(v) else 1e300

    pool = [space.random(rng, mu0) for _ in range(presearch * space.dim)]
    scored = sorted(pool, key=objective)
    queue = scored[:min_starts]
    restarts: list[Restart] = []
    best_z: NDArray[np.float64] | None = None
    best = -math.inf
    hits = 0
    n = 0
    while n < max_starts:
        z0 = queue[n] if n < len(queue) else space.random(rng, mu0)
        n += 1
        res = optimize.minimize(objective, z0, method="L-BFGS-B", bounds=space.bounds(),
                                options={"maxiter": 2000})
        # the objective's 1e300 stands for probability 0 (ln L = -inf), not a finite value
        ll = -float(res.fun) if float(res.fun) < 1e300 else -math.inf
        restarts.append(Restart(start=n, loglik=ll, converged=bool(res.success),
                                evaluations=int(res.nfev)))
        if ll > best + tolerance:
            best, best_z, hits = ll, np.asarray(res.x), 1
        elif ll >= best - tolerance:
            hits += 1
            if ll > best:
                best, best_z = ll, np.asarray(res.x)
        if n >= min_starts and hits >= 2:
            break
    if best_z is None or not math.isfinite(best):
        raise StatisticsError("the evidence has probability 0 at every start",
                              remedy="allow drop-in (dropin.probability > 0), add unknown "
                                     "contributors, or check the analytical threshold")
    params = space.params(best_z)
    values = stacked_loglik(stacked, params)
    per_locus = {h.data.locus: float(v) for h, v in zip(loci, values, strict=True)}
    ses = _standard_errors(objective, space, best_z) if standard_errors else None
    return Fit(parameters=params, loglik=best, per_locus=per_locus, standard_errors=ses,
               restarts=tuple(restarts))


def _standard_errors(objective: Any, space: ParameterSpace,
                     z: NDArray[np.float64]) -> dict[str, Any] | None:
    """Delta-method standard errors of the natural parameters from the central-difference
    Hessian of the negative log-likelihood in the optimiser's coordinates."""
    d = space.dim
    h = 1e-3
    f0 = objective(z)
    hess = np.zeros((d, d))
    for i in range(d):
        for j in range(i, d):
            ei = np.eye(d)[i] * h
            ej = np.eye(d)[j] * h
            if i == j:
                v = (objective(z + ei) - 2 * f0 + objective(z - ei)) / (h * h)
            else:
                v = (objective(z + ei + ej) - objective(z + ei - ej) - objective(z - ei + ej)
                     + objective(z - ei - ej)) / (4 * h * h)
            hess[i, j] = hess[j, i] = v
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        return None
    jac = np.zeros((len(space.natural(z)), d))
    for i in range(d):
        e = np.eye(d)[i] * 1e-6
        jac[:, i] = (space.natural(z + e) - space.natural(z - e)) / 2e-6
    se = np.sqrt(np.maximum(np.diag(jac @ cov @ jac.T), 0.0))
    k = space.k
    out: dict[str, Any] = {"mx": [float(v) for v in se[:k]], "mu": float(se[k]),
                           "sigma": float(se[k + 1])}
    if space.options.degradation:
        out["beta"] = float(se[k + 2])
    if space.options.backward_stutter:
        out["xi_b"] = float(se[k + 3])
    if space.options.forward_stutter:
        out["xi_f"] = float(se[k + 4])
    return out


# --- the LR over loci ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContinuousLocusLR:
    """One locus at the joint maxima: log-likelihoods (natural log) under Hp and Hd and the
    LR; ``lr == exp(loglik_hp - loglik_hd)``."""

    locus: str
    loglik_hp: float
    loglik_hd: float
    alleles: tuple[str, ...]

    @property
    def lr(self) -> float:
        """The locus LR: exp(loglik_hp - loglik_hd)."""
        return math.exp(self.loglik_hp - self.loglik_hd)

    @property
    def log10_lr(self) -> float:
        """log10 of the locus LR: (loglik_hp - loglik_hd) / ln 10."""
        return (self.loglik_hp - self.loglik_hd) / math.log(10)

    def to_dict(self) -> dict[str, Any]:
        """The locus LR as a JSON-ready dict."""
        return {"lr": self.lr, "log10_lr": self.log10_lr,
                "loglik": {"hp": self.loglik_hp, "hd": self.loglik_hd},
                "evidence_alleles": list(self.alleles)}


@dataclass(frozen=True, slots=True)
class ContinuousLR:
    """``LR = max L(Hp) / max L(Hd)``; ``log10_lr == sum(per_locus log10_lr)``."""

    hp_fit: Fit
    hd_fit: Fit
    per_locus: Mapping[str, ContinuousLocusLR]
    hp: ContinuousHypothesis
    hd: ContinuousHypothesis
    poi: str | None
    notes: Mapping[str, str] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def log10_lr(self) -> float:
        """log10 of the LR: (loglik Hp - loglik Hd) / ln 10 at each hypothesis's maximum."""
        return (self.hp_fit.loglik - self.hd_fit.loglik) / math.log(10)

    @property
    def lr(self) -> float:
        """The LR: exp(loglik Hp - loglik Hd) at each hypothesis's maximum."""
        return math.exp(self.hp_fit.loglik - self.hd_fit.loglik)

    def __repr__(self) -> str:
        return f"ContinuousLR(log10_lr={self.log10_lr:.4f}, loci={len(self.per_locus)})"

    def to_dict(self) -> dict[str, Any]:
        """The LR as a JSON-ready dict: LR, log-likelihoods, parameters, standard errors, restarts.
        """
        return {
            "model": "continuous",
            "lr": self.lr,
            "log10_lr": self.log10_lr,
            "loglik": {"hp": self.hp_fit.loglik, "hd": self.hd_fit.loglik},
            "parameters": {"hp": self.hp_fit.parameters.to_dict(),
                           "hd": self.hd_fit.parameters.to_dict()},
            "standard_errors": {"hp": self.hp_fit.standard_errors,
                                "hd": self.hd_fit.standard_errors},
            "restarts": {"hp": self.hp_fit.to_dict()["restarts"],
                         "hd": self.hd_fit.to_dict()["restarts"]},
            "per_locus": {k: v.to_dict() for k, v in self.per_locus.items()},
            "hypotheses": {"hp": self.hp.describe(poi=self.poi),
                           "hd": self.hd.describe(poi=self.poi)},
            "notes": dict(self.notes),
            "provenance": dict(self.provenance),
        }


def _threshold_for(locus: str, threshold: float | Mapping[str, float], kit: Kit | None) -> float:
    if not isinstance(threshold, Mapping):
        return float(threshold)
    if locus in threshold:
        return float(threshold[locus])
    if kit is not None and locus in kit:
        kl = kit.locus(locus)
        for key in (kl.dye, kl.colour):
            if key in threshold:
                return float(threshold[key])
    if "default" in threshold:
        return float(threshold["default"])
    raise InputError(f"analytical_threshold: no threshold for {locus}",
                     remedy=f"add analytical_threshold.{locus}, its dye, or "
                            "analytical_threshold.default")


def prepare_loci(
    evidence: HeightEvidence,
    profiles: Mapping[str, Profile],
    typed: Sequence[str],
    table: FrequencyTable,
    *,
    threshold: float | Mapping[str, float],
    options: ContinuousOptions,
    kit: Kit | None,
    fragment_lengths: Mapping[str, Mapping[str, float]] | None = None,
    min_frequency: float = 0.0,
) -> tuple[list[LocusData], dict[str, str]]:
    """Every usable locus of the evidence as :class:`LocusData`, and notes on those left out."""
    loci = sorted({loc for per in evidence.replicates.values() for loc in per},
                  key=locus_sort_key)
    out: list[LocusData] = []
    notes: dict[str, str] = {}
    for locus in loci:
        if not locus_info(locus).is_autosomal_str:
            notes[locus] = "left out: not an autosomal STR"
            continue
        missing = [n for n in typed if locus not in profiles[n] or not profiles[n].alleles(locus)]
        if missing:
            notes[locus] = "left out: not typed in " + ", ".join(missing)
            continue
        if locus not in table.frequencies:
            raise InputError(f"{table.name} has no frequencies for {locus}",
                             remedy=f"use a table with {locus}, or remove {locus} from the "
                                    "evidence")
        reps = [per[locus] for per in evidence.replicates.values() if locus in per]
        out.append(locus_data(
            locus, reps, table.frequencies[locus],
            threshold=_threshold_for(locus, threshold, kit), options=options,
            kit_locus=kit.locus(locus) if kit is not None and locus in kit else None,
            fragment_lengths=(fragment_lengths or {}).get(locus), min_frequency=min_frequency))
    return out, notes


def hypothesis_loci(
    loci: Sequence[LocusData],
    profiles: Mapping[str, Profile],
    typed: Sequence[str],
    h: ContinuousHypothesis,
    options: ContinuousOptions,
    *,
    max_combinations: int = DEFAULT_MAX_COMBINATIONS,
) -> list[LocusHypothesis]:
    """Each locus prepared under ``h``; Balding-Nichols counts from every ``typed`` person."""
    out = []
    for d in loci:
        codes: dict[str, tuple[int, int]] = {}
        bn = [0] * (d.n_obs + 1)
        for name in typed:
            gt = profiles[name].alleles(d.locus)
            if len(gt) > 2:
                raise InputError(f"profiles.{name}: {d.locus} has {len(gt)} alleles",
                                 remedy="a typed person has one or two alleles per locus")
            pair = (gt[0], gt[1]) if len(gt) == 2 else (gt[0], gt[0])
            codes[name] = (d.code(pair[0]), d.code(pair[1]))
            for c in codes[name]:
                bn[c] += 1
        out.append(prepare_hypothesis(
            d, [codes[c] for c in h.contributors], h.unknowns, bn_counts=bn,
            bn_total=2 * len(typed), options=options, max_combinations=max_combinations))
    return out


def _prepare_case(
    evidence: HeightEvidence,
    profiles: Mapping[str, Profile],
    hypotheses: Mapping[str, ContinuousHypothesis],
    table: FrequencyTable,
    *,
    poi: str | None,
    threshold: float | Mapping[str, float],
    options: ContinuousOptions,
    kit: Kit | None,
    fragment_lengths: Mapping[str, Mapping[str, float]] | None,
    min_frequency: float,
) -> tuple[list[LocusData], dict[str, str], list[str]]:
    """Check the hypotheses and prepare the usable loci; the typed people (every contributor
    of either hypothesis and the POI) give the Balding-Nichols counts."""
    for hname, h in hypotheses.items():
        if not 1 <= h.size <= MAX_CONTRIBUTORS:
            raise InputError(f"hypotheses.{hname}: {h.size} contributors",
                             remedy=f"the continuous model takes 1 to {MAX_CONTRIBUTORS} "
                                    f"contributors; change hypotheses.{hname}.unknowns")
        for c in h.contributors:
            if c not in profiles:
                raise InputError(f"hypotheses.{hname}.contributors: {c!r} is in no profile",
                                 remedy="add it under profiles; profiles: "
                                        + ", ".join(sorted(profiles)))
    if poi is not None and poi not in profiles:
        raise InputError(f"poi: {poi!r} is in no profile",
                         remedy="add it under profiles; profiles: " + ", ".join(sorted(profiles)))
    typed = list(dict.fromkeys([*(c for h in hypotheses.values() for c in h.contributors),
                                *([poi] if poi is not None else [])]))
    loci, notes = prepare_loci(evidence, profiles, typed, table, threshold=threshold,
                               options=options, kit=kit, fragment_lengths=fragment_lengths,
                               min_frequency=min_frequency)
    if not loci:
        raise InputError("no locus of the evidence can be used",
                         remedy="type the contributors at the evidence's loci")
    return loci, notes, typed


@dataclass(frozen=True, slots=True)
class HypothesisFit:
    """One hypothesis fitted on its own (for deconvolution and model validation): the loci as
    prepared under it, in the order of ``fit.per_locus``, and the fit."""

    hypothesis: ContinuousHypothesis
    loci: tuple[LocusHypothesis, ...]
    fit: Fit
    options: ContinuousOptions
    notes: Mapping[str, str]


def fit_case_hypothesis(
    evidence: HeightEvidence,
    profiles: Mapping[str, Profile],
    hp: ContinuousHypothesis,
    hd: ContinuousHypothesis,
    table: FrequencyTable,
    *,
    which: str = "hd",
    poi: str | None,
    threshold: float | Mapping[str, float],
    options: ContinuousOptions,
    kit: Kit | None = None,
    fragment_lengths: Mapping[str, Mapping[str, float]] | None = None,
    min_frequency: float = 0.0,
    seed: int = 1,
    max_starts: int = 10,
    max_combinations: int = DEFAULT_MAX_COMBINATIONS,
) -> HypothesisFit:
    """The maximum-likelihood fit of Hd (``which="hd"``) or Hp alone, prepared exactly as
    :func:`continuous_lr` prepares it (same loci, same Balding-Nichols counts), without
    standard errors."""
    if which not in ("hp", "hd"):
        raise InputError(f"hypothesis: {which!r} is not hp or hd", remedy="use hp or hd")
    loci, notes, typed = _prepare_case(
        evidence, profiles, {"hp": hp, "hd": hd}, table, poi=poi, threshold=threshold,
        options=options, kit=kit, fragment_lengths=fragment_lengths,
        min_frequency=min_frequency)
    h = hp if which == "hp" else hd
    prepared = hypothesis_loci(loci, profiles, typed, h, options,
                               max_combinations=max_combinations)
    fit = fit_hypothesis(prepared, h.size, options, seed=seed, max_starts=max_starts,
                         standard_errors=False)
    return HypothesisFit(hypothesis=h, loci=tuple(prepared), fit=fit, options=options,
                         notes=notes)


def continuous_lr(
    evidence: HeightEvidence,
    profiles: Mapping[str, Profile],
    hp: ContinuousHypothesis,
    hd: ContinuousHypothesis,
    table: FrequencyTable,
    *,
    poi: str | None,
    threshold: float | Mapping[str, float],
    options: ContinuousOptions,
    kit: Kit | None = None,
    fragment_lengths: Mapping[str, Mapping[str, float]] | None = None,
    min_frequency: float = 0.0,
    seed: int = 1,
    max_starts: int = 10,
    max_combinations: int = DEFAULT_MAX_COMBINATIONS,
) -> ContinuousLR:
    """``max L(Hp) / max L(Hd)`` of the continuous model (see :mod:`.continuous` for the
    likelihood and this module's docstring for the fit), with per-locus values at the joint
    maxima and the fitted parameters."""
    loci, notes, typed = _prepare_case(
        evidence, profiles, {"hp": hp, "hd": hd}, table, poi=poi, threshold=threshold,
        options=options, kit=kit, fragment_lengths=fragment_lengths,
        min_frequency=min_frequency)
    fits = {}
    for hname, h in (("hp", hp), ("hd", hd)):
        prepared = hypothesis_loci(loci, profiles, typed, h, options,
                                   max_combinations=max_combinations)
        fits[hname] = fit_hypothesis(prepared, h.size, options, seed=seed,
                                     max_starts=max_starts)
    per_locus = {d.locus: ContinuousLocusLR(
        locus=d.locus, loglik_hp=fits["hp"].per_locus[d.locus],
        loglik_hd=fits["hd"].per_locus[d.locus],
        alleles=tuple(str(a) for a in d.alleles[: d.n_obs])) for d in loci}
    provenance = make_provenance(
        "continuous mixture LR",
        parameters={
            "model": "continuous (gamma peak heights; Bleka, Storvik & Gill 2016, EuroForMix)",
            "hp": {"contributors": list(hp.contributors), "unknowns": hp.unknowns},
            "hd": {"contributors": list(hd.contributors), "unknowns": hd.unknowns},
            "poi": poi, "theta": options.theta, "dropin": options.dropin,
            "dropin_lambda": options.dropin_lambda, "degradation": options.degradation,
            "stutter": {"backward": options.backward_stutter,
                        "forward": options.forward_stutter},
            "analytical_threshold": (dict(threshold) if isinstance(threshold, Mapping)
                                     else threshold),
            "kit": kit.name if kit is not None else None, "min_frequency": min_frequency,
            "seed": seed, "replicates": list(evidence.replicates),
        },
        tables=table)
    return ContinuousLR(hp_fit=fits["hp"], hd_fit=fits["hd"], per_locus=per_locus, hp=hp, hd=hd,
                        poi=poi, notes=notes, provenance=provenance)
