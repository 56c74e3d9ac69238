"""One continuous-model (EuroForMix-class) case file computed once for every reader: the CLI
(``locard mixture lr`` on a ``"model": "continuous"`` case), the web service's API route, its
web page and its PDF report all call :func:`continuous_report`, so that each number they show
comes from one function.

**The report.** :func:`continuous_report` runs
:func:`~locard.stats.mixture.casefile.run_continuous_case` (``LR = max L(Hp) / max L(Hd)``,
Bleka, Storvik & Gill 2016, FSI:Genetics 21:35) and keeps both hypotheses' fits as
:class:`~locard.stats.mixture.continuous_fit.HypothesisFit` (the loci prepared exactly as
:func:`~locard.stats.mixture.casefile.fit_continuous_case` prepares them, and the *same* fit the
LR comes from, not a refit), so that the conservative LR (MCMC), the observed-against-expected
heights and the PP-plot are drawn at the parameters the LR reports.

**The non-contributor (Tippet) test at fixed parameters** (:func:`fixed_parameter_tippet`): a full
maximum-likelihood refit per simulated person is too slow for a page, so the parameters are
fixed at the Hd maximum ``phi_d`` (which does not depend on the person of interest), as ProbRank
(NFI 2023) scores a database. Hp must be Hd's typed contributors plus the person of interest in
the place of one of Hd's ``n`` unknowns. A person ``r`` (a random non-contributor drawn from the
frequency table, or the person of interest) in unknown slot ``k`` has, per locus ``l``::

    LR_{k,l}(r) = L_l(Hp_k: r | phi_d) / L_l(Hd, r typed | phi_d)

``Hp_k``: Hd's typed contributors and ``r`` with their Hd proportions, ``r`` taking ``Mx_k``,
the other ``n - 1`` unknowns theirs; the Balding-Nichols counts contain ``r``'s alleles under
both hypotheses (as the case's person of interest is counted). ``LR(r) = max_k prod_l
LR_{k,l}(r)`` (one person, one slot at every locus). The share of non-contributors with
``LR(r) >= LR(POI)``, the person of interest's LR *at the same parameters*, estimates
``P(LR >= observed | Hd)`` and is bounded by ``1 / LR(POI)`` (Turing's bound); the reported LR (the
two separate maxima) is beside it, not in the comparison.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from locard.errors import InputError, InvalidParameter
from locard.genetics.alleles import Allele
from locard.genetics.kits import get_kit
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.casefile import MixtureCase, continuous_options, run_continuous_case
from locard.stats.provenance import make_provenance

if TYPE_CHECKING:
    from locard.stats.mixture.continuous import LocusData
    from locard.stats.mixture.continuous_expected import ExpectedHeights
    from locard.stats.mixture.continuous_fit import ContinuousLR, HypothesisFit
    from locard.stats.mixture.continuous_mcmc import ConservativeLR
    from locard.stats.mixture.continuous_validation import PPValidation
    from locard.stats.mixture.tippet import TippetResult

__all__ = ["ContinuousReport", "continuous_report", "fixed_parameter_tippet"]

#: non-contributors of the fixed-parameter Tippet test on the web page and in the PDF report
TIPPET_SIMULATIONS = 200


@dataclass(frozen=True, slots=True)
class ContinuousReport:
    """A continuous case computed: the LR (``result``), both hypotheses' fits as
    :class:`HypothesisFit` (``fits["hp"]``, ``fits["hd"]``: the fits the LR comes from), and the
    conservative LR when asked for."""

    case: MixtureCase
    result: ContinuousLR
    fits: Mapping[str, HypothesisFit]
    conservative: ConservativeLR | None = None

    @property
    def lr(self) -> float:
        """The LR of the result."""
        return self.result.lr

    @property
    def log10_lr(self) -> float:
        """log10 of the LR of the result."""
        return self.result.log10_lr

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``locard mixture lr --json`` (and ``POST /api/v1/mixtures/lr``):
        :meth:`ContinuousLR.to_dict`, with ``conservative`` when computed."""
        out = self.result.to_dict()
        if self.conservative is not None:
            out["conservative"] = self.conservative.to_dict()
        return out

    def expected_heights(self, which: str = "hp") -> ExpectedHeights:
        """Observed against expected heights per contributor at ``which``'s maximum, each
        contributor at its most probable genotype (the bar plot's values)."""
        from locard.stats.mixture.continuous_expected import expected_heights
        from locard.stats.mixture.deconvolution import deconvolve

        fitted = self._fit(which)
        return expected_heights(fitted, deconvolve(fitted, top=1, hypothesis=which))

    def pp_validation(self, which: str = "hd", *, alpha: float = 0.01) -> PPValidation:
        """The PP-plot values of ``which``'s fit, with the poor-fit flag
        (:func:`~locard.stats.mixture.continuous_validation.pp_validation`)."""
        from locard.stats.mixture.continuous_validation import pp_validation

        return pp_validation(self._fit(which), alpha=alpha, hypothesis=which)

    def _fit(self, which: str) -> HypothesisFit:
        if which not in self.fits:
            raise InputError(f"hypothesis: {which!r} is not hp or hd", remedy="use hp or hd")
        return self.fits[which]


def _typed(case: MixtureCase) -> list[str]:
    """Every contributor of either hypothesis and the person of interest, as
    :func:`~locard.stats.mixture.continuous_fit.continuous_lr` counts them."""
    poi = case.spec.poi
    return list(dict.fromkeys([*case.hp.contributors, *case.hd.contributors,
                               *([poi] if poi is not None else [])]))


def _hypothesis_fits(case: MixtureCase, table: FrequencyTable,
                     result: ContinuousLR) -> dict[str, HypothesisFit]:
    """Both hypotheses as :class:`HypothesisFit`: the loci prepared as ``continuous_lr``
    prepares them, with the fits of ``result``."""
    from locard.stats.mixture.continuous import DEFAULT_MAX_COMBINATIONS
    from locard.stats.mixture.continuous_fit import (
        HypothesisFit,
        hypothesis_loci,
        prepare_loci,
    )

    spec = case.spec
    assert case.heights is not None and spec.analytical_threshold is not None
    options = continuous_options(case)
    typed = _typed(case)
    loci, notes = prepare_loci(
        case.heights, case.profiles, typed, table, threshold=spec.analytical_threshold,
        options=options, kit=get_kit(spec.kit) if spec.kit else None,
        fragment_lengths=spec.fragment_lengths, min_frequency=spec.frequencies.min_frequency)
    out = {}
    for name, h, fit in (("hp", result.hp, result.hp_fit), ("hd", result.hd, result.hd_fit)):
        prepared = hypothesis_loci(loci, case.profiles, typed, h, options,
                                   max_combinations=DEFAULT_MAX_COMBINATIONS)
        out[name] = HypothesisFit(hypothesis=h, loci=tuple(prepared), fit=fit, options=options,
                                  notes=notes)
    return out


def continuous_report(case: MixtureCase, table: FrequencyTable, *, conservative: bool = False,
                      mcmc_samples: int = 2000) -> ContinuousReport:
    """The continuous-model LR of a case file (``"model": "continuous"``) with both fits and,
    with ``conservative``, the conservative LR (the 5% quantile of the Bayesian LR from
    ``mcmc_samples`` MCMC draws per hypothesis, seeded with the case's ``seed``; EuroForMix)."""
    if case.spec.model != "continuous":
        raise InputError("continuous_report: not a continuous case file",
                         remedy="set \"model\": \"continuous\" and give peak heights")
    result = run_continuous_case(case, table)
    fits = _hypothesis_fits(case, table, result)
    cons = None
    if conservative:
        from locard.stats.mixture.continuous_mcmc import conservative_lr

        cons = conservative_lr(fits["hp"], fits["hd"], samples=mcmc_samples,
                               seed=case.spec.seed)
    return ContinuousReport(case=case, result=result, fits=fits, conservative=cons)


def _pair(alleles: Sequence[Allele], d: LocusData) -> tuple[int, int]:
    """A person's genotype at ``d`` as sorted genotype-allele codes (``Q`` for an allele no
    replicate shows; a single allele is a homozygote)."""
    a = d.code(alleles[0])
    b = d.code(alleles[1]) if len(alleles) > 1 else a
    return (min(a, b), max(a, b))


def _slot_check(case: MixtureCase) -> tuple[str, tuple[str, ...], int]:
    """The person of interest, Hd's typed contributors and Hd's unknowns, when Hp is Hd with
    the person of interest in the place of one unknown; else an error naming the remedy."""
    poi = case.spec.poi
    if poi is None:
        raise InvalidParameter("poi", None, expected="a case file with a person of interest "
                               "(poi) to replace")
    hp, hd = case.hp, case.hd
    if (poi in hd.contributors or set(hp.contributors) != {*hd.contributors, poi}
            or hp.unknowns != hd.unknowns - 1):
        raise InputError(
            "the fixed-parameter Tippet test needs Hp = Hd's contributors and the person of "
            f"interest in the place of one of Hd's unknowns (Hp: {list(hp.contributors)} + "
            f"{hp.unknowns} unknown(s); Hd: {list(hd.contributors)} + {hd.unknowns})",
            remedy="state the hypotheses so (hypotheses.hd.unknowns = hypotheses.hp.unknowns "
                   "+ 1, the same typed contributors but the POI)")
    return poi, tuple(hd.contributors), hd.unknowns


def fixed_parameter_tippet(report: ContinuousReport, table: FrequencyTable, *,
                           simulations: int = TIPPET_SIMULATIONS,
                           seed: int | None = 1) -> TippetResult:
    """The non-contributor (Tippet) test at the Hd maximum (module docstring): the LRs of
    ``simulations`` random people in the place of the person of interest, and the person of
    interest's own LR at the same parameters as ``observed_lr``."""
    from locard.stats.mixture.continuous import (
        Parameters,
        hypothesis_loglik,
        prepare_hypothesis,
    )
    from locard.stats.mixture.tippet import TippetResult
    from locard.stats.simulate import SimulationModel, simulate_codes

    if simulations < 1:
        raise InvalidParameter("simulations", simulations, expected="simulations >= 1")
    case = report.case
    poi, known, n_unknowns = _slot_check(case)
    fitted = report.fits["hd"]
    options = fitted.options
    phi = fitted.fit.parameters
    n_known = len(known)
    slot_params = []
    for k in range(n_unknowns):
        others = [phi.mx[n_known + j] for j in range(n_unknowns) if j != k]
        slot_params.append(Parameters(mx=(*phi.mx[:n_known], phi.mx[n_known + k], *others),
                                      mu=phi.mu, sigma=phi.sigma, beta=phi.beta,
                                      xi_b=phi.xi_b, xi_f=phi.xi_f))
    others_typed = [n for n in _typed(case) if n != poi]
    loci = [lh.data for lh in fitted.loci]
    model = SimulationModel.from_table(table, [d.locus for d in loci])
    rng = np.random.default_rng(seed)
    codes = simulate_codes(model, simulations, seed=rng)  # [N, L, 2], 1-based

    total = 2 * (len(others_typed) + 1)
    # per slot and locus: log LR of each (mapped) genotype pair, cached
    logs = np.zeros((simulations, n_unknowns))
    poi_logs = np.zeros(n_unknowns)
    poi_profile = case.profiles[poi]
    for li, d in enumerate(loci):
        base_counts = [0] * (d.n_obs + 1)
        for name in others_typed:
            for c in _pair(case.profiles[name].alleles(d.locus), d):
                base_counts[c] += 1
        known_codes = [_pair(case.profiles[n].alleles(d.locus), d) for n in known]
        cache: dict[tuple[int, int], NDArray[np.float64]] = {}
        # with theta = 0 the Hd prior does not involve the person: one Hd value per locus
        hd_once = (hypothesis_loglik(prepare_hypothesis(
            d, known_codes, n_unknowns, bn_counts=[0] * (d.n_obs + 1), bn_total=0,
            options=options), phi, options) if options.theta == 0 else None)

        def locus_logs(pair: tuple[int, int], d: LocusData = d,
                       counts0: list[int] = base_counts,
                       known_codes: list[tuple[int, int]] = known_codes,
                       cache: dict[tuple[int, int], NDArray[np.float64]] = cache,
                       hd_once: float | None = hd_once) -> NDArray[np.float64]:
            if pair not in cache:
                counts = list(counts0)
                counts[pair[0]] += 1
                counts[pair[1]] += 1
                if hd_once is None:
                    hd = prepare_hypothesis(d, known_codes, n_unknowns, bn_counts=counts,
                                            bn_total=total, options=options)
                    ll_hd = hypothesis_loglik(hd, phi, options)
                else:
                    ll_hd = hd_once
                vals = []
                for k in range(n_unknowns):
                    hp = prepare_hypothesis(d, [*known_codes, pair], n_unknowns - 1,
                                            bn_counts=counts, bn_total=total,
                                            options=options)
                    vals.append(hypothesis_loglik(hp, slot_params[k], options) - ll_hd)
                cache[pair] = np.array(vals)
            return cache[pair]

        poi_logs += locus_logs(_pair(poi_profile.alleles(d.locus), d))
        for i in range(simulations):
            gt = [model.alleles[li][int(c) - 1] for c in codes[i, li]]
            logs[i] += locus_logs(_pair(gt, d))
    log10_lrs = logs.max(axis=1) / math.log(10)
    poi_log10 = float(poi_logs.max()) / math.log(10)
    at_or_above = int(np.sum(log10_lrs >= poi_log10 - 1e-12))
    provenance = make_provenance(
        "non-contributor (Tippet) test at fixed parameters (continuous model)",
        parameters={"simulations": simulations, "seed": seed, "poi": poi,
                    "loci": [d.locus for d in loci],
                    "parameters": "the Hd maximum", "hd_parameters": phi.to_dict(),
                    "poi_log10_lr_at_these_parameters": poi_log10,
                    "reported_log10_lr": report.log10_lr, "theta": options.theta},
        tables=table)
    return TippetResult(
        observed_lr=10.0 ** poi_log10,
        non_contributor_log10_lrs=tuple(float(x) for x in log10_lrs),
        share_at_or_above=at_or_above / simulations, at_or_above=at_or_above,
        calibration=None, provenance=provenance)

