"""The continuous case computed once for the CLI and the service
(:mod:`locard.stats.mixture.continuous_report`): the fits it keeps are the fits the LR comes from
(equal to a separate fit of each hypothesis), and the non-contributor test at fixed parameters
agrees with a direct evaluation of each person's hypotheses."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from tests.service.test_mixture_continuous_api import CASE

from locard.errors import InputError
from locard.genetics.profiles import Profile
from locard.stats.mixture.casefile import continuous_options, fit_continuous_case, parse_case
from locard.stats.mixture.continuous import Parameters, stack_hypothesis, stacked_loglik
from locard.stats.mixture.continuous_fit import ContinuousHypothesis, hypothesis_loci
from locard.stats.mixture.continuous_report import (
    ContinuousReport,
    continuous_report,
    fixed_parameter_tippet,
)
from locard.stats.simulate import SimulationModel, simulate_codes
from locard.tables.bundled import get_bundled_table

TABLE = get_bundled_table("NIST1036:Cauc")


@pytest.fixture(scope="module")
def report() -> ContinuousReport:
    return continuous_report(parse_case(CASE), TABLE)


def test_the_kept_fits_are_the_lr_fits_and_equal_separate_fits(report: ContinuousReport) -> None:
    case = report.case
    for which, fit in (("hp", report.result.hp_fit), ("hd", report.result.hd_fit)):
        kept = report.fits[which]
        assert kept.fit is fit
        # prepared loci evaluated at the fit give the fit's per-locus values (tolerance 1e-9:
        # the same arithmetic, one stacked pass instead of the optimiser's)
        values = stacked_loglik(stack_hypothesis(kept.loci), fit.parameters)
        assert [lh.data.locus for lh in kept.loci] == list(fit.per_locus)
        assert values == pytest.approx(list(fit.per_locus.values()), abs=1e-9)
        alone = fit_continuous_case(case, TABLE, which=which)
        # the same seeded optimiser: the same maximum, bit for bit
        assert alone.fit.parameters == fit.parameters and alone.fit.loglik == fit.loglik
    assert report.to_dict()["lr"] == report.lr
    assert "conservative" not in report.to_dict()


def _direct_log10_lr(report: ContinuousReport, person: Profile) -> float:
    """A person's fixed-parameter LR the slow way: the case's typed people with ``person`` in
    the POI's place, every locus prepared by ``hypothesis_loci`` under Hd and under each Hp_k
    (the person in unknown slot k), evaluated at the Hd maximum; the best slot."""
    case = report.case
    phi = report.fits["hd"].fit.parameters
    loci = [lh.data for lh in report.fits["hd"].loci]
    options = continuous_options(case)
    profiles = {"X": person}
    hd = ContinuousHypothesis((), 2)
    ll_hd = float(stacked_loglik(stack_hypothesis(
        hypothesis_loci(loci, profiles, ["X"], hd, options)), phi).sum())
    best = -math.inf
    for k in range(2):
        params = Parameters(mx=(phi.mx[k], phi.mx[1 - k]), mu=phi.mu, sigma=phi.sigma,
                            beta=phi.beta, xi_b=phi.xi_b, xi_f=phi.xi_f)
        hp = ContinuousHypothesis(("X",), 1)
        ll_hp = float(stacked_loglik(stack_hypothesis(
            hypothesis_loci(loci, profiles, ["X"], hp, options)), params).sum())
        best = max(best, ll_hp - ll_hd)
    return best / math.log(10)


def test_fixed_parameter_tippet_agrees_with_direct_evaluation(report: ContinuousReport) -> None:
    tip = fixed_parameter_tippet(report, TABLE, simulations=30, seed=3)
    assert len(tip.non_contributor_log10_lrs) == 30
    # the person of interest at the same parameters (tolerance 1e-9 in log10)
    poi = report.case.profiles["POI"]
    assert tip.observed_log10_lr == pytest.approx(_direct_log10_lr(report, poi), abs=1e-9)
    # fixed Hd parameters under Hp can only lose against Hp's own maximum (L(Hd) is at its
    # maximum in both): the fixed-parameter LR of the POI is at most the reported LR
    assert tip.observed_log10_lr <= report.log10_lr + 1e-9
    # the simulated people, reproduced from the same seed, evaluated directly
    loci = [lh.data.locus for lh in report.fits["hd"].loci]
    model = SimulationModel.from_table(TABLE, loci)
    codes = simulate_codes(model, 30, seed=np.random.default_rng(3))
    for i in range(3):
        person = Profile.from_mapping(
            {locus: [str(model.alleles[li][int(c) - 1]) for c in codes[i, li]]
             for li, locus in enumerate(loci)}, specimen_id="X")
        assert tip.non_contributor_log10_lrs[i] == pytest.approx(
            _direct_log10_lr(report, person), abs=1e-9), i
    # a major contributor of six loci: no random person reaches its LR, and the share obeys
    # Turing's bound
    assert tip.at_or_above == 0 and tip.share_at_or_above <= tip.bound
    assert max(tip.non_contributor_log10_lrs) < tip.observed_log10_lr


def test_fixed_parameter_tippet_needs_hp_as_hd_plus_the_poi() -> None:
    case = copy.deepcopy(CASE)
    case["hypotheses"] = {"hp": {"contributors": ["POI"], "unknowns": 1},
                          "hd": {"contributors": [], "unknowns": 1}}
    other = continuous_report(parse_case(case), TABLE)
    with pytest.raises(InputError, match="place of one of Hd's unknowns") as info:
        fixed_parameter_tippet(other, TABLE, simulations=5)
    assert "hypotheses.hd.unknowns" in (info.value.remedy or "")


def test_a_semi_continuous_case_is_refused() -> None:
    from tests.cli.test_mixture_cli import CASE as SEMI

    with pytest.raises(InputError, match="not a continuous case"):
        continuous_report(parse_case(SEMI), TABLE)


def test_fixed_parameter_tippet_with_theta_counts_the_person() -> None:
    # with theta > 0 the Balding-Nichols counts contain the replaced person under both
    # hypotheses; the direct evaluation counts it the same way (tolerance 1e-9 in log10)
    case = copy.deepcopy(CASE)
    case["theta"] = 0.03
    rep = continuous_report(parse_case(case), TABLE)
    tip = fixed_parameter_tippet(rep, TABLE, simulations=4, seed=5)
    assert tip.observed_log10_lr == pytest.approx(
        _direct_log10_lr(rep, rep.case.profiles["POI"]), abs=1e-9)
    loci = [lh.data.locus for lh in rep.fits["hd"].loci]
    model = SimulationModel.from_table(TABLE, loci)
    codes = simulate_codes(model, 4, seed=np.random.default_rng(5))
    person = Profile.from_mapping(
        {locus: [str(model.alleles[li][int(c) - 1]) for c in codes[0, li]]
         for li, locus in enumerate(loci)}, specimen_id="X")
    assert tip.non_contributor_log10_lrs[0] == pytest.approx(_direct_log10_lr(rep, person),
                                                             abs=1e-9)
