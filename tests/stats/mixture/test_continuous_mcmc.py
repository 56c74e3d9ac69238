"""The conservative LR of the continuous model (5% quantile of the Bayesian LR by MCMC).

Tolerances: for a single source with high peaks (12 loci, mu and sigma free) the posterior is
close to normal, so each chain's log-likelihood deficit below the maximum is about chi^2_2 / 2,
an Exp(1) variable; the Bayesian log-LR is the MLE log-LR plus the difference of two independent
deficits, a Laplace(0, 1) variable in natural log, whose 5% quantile is -ln 10 nat = -1 log10
unit. The conservative log10 LR is therefore asserted to lie 1.0 +- 0.3 log10 units below the
MLE one (0.3: Monte Carlo error of 2000 correlated draws; seeds 1-5 gave 0.92-1.15). The last
tuning run's acceptance rate is asserted within the target 0.25 +- 0.1 (EuroForMix's), the final
run's within 0.25 +- 0.15 (200 tuning draws estimate the rate to about +- 0.05)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from tests.stats.mixture.test_continuous_deconvolution import _two_person

from locard.errors import InvalidParameter
from locard.genetics.kits import get_kit
from locard.genetics.profiles import Profile
from locard.stats.mixture.continuous import ContinuousOptions, HeightEvidence
from locard.stats.mixture.continuous_fit import (
    ContinuousHypothesis,
    HypothesisFit,
    fit_case_hypothesis,
)
from locard.stats.mixture.continuous_mcmc import conservative_lr, sample_posterior
from locard.tables.bundled import get_bundled_table

LOCI = ("D3S1358", "vWA", "D16S539", "CSF1PO", "TPOX", "D8S1179", "D21S11", "D18S51", "D2S441",
        "D19S433", "TH01", "FGA")


def _single_source(seed: int) -> dict[str, HypothesisFit]:
    """A single source with peaks near 5000 RFU (gamma draws, sigma 0.1), its donor as POI."""
    table = get_bundled_table("NIST1036:Cauc")
    rng = np.random.default_rng(seed)
    genotypes: dict[str, list[str]] = {}
    heights = {}
    for locus in LOCI:
        alleles = list(table.frequencies[locus])
        p = np.array([table.frequencies[locus][a] for a in alleles])
        gt = sorted(alleles[i] for i in rng.choice(len(alleles), size=2, p=p / p.sum()))
        genotypes[locus] = [str(a) for a in gt]
        dose: dict[object, float] = {}
        for a in gt:
            dose[a] = dose.get(a, 0.0) + 5000.0
        heights[locus] = {a: float(rng.gamma(y / 5000 / 0.01, 5000 * 0.01))
                          for a, y in dose.items()}
    poi = Profile.from_mapping(genotypes, specimen_id="POI")
    options = ContinuousOptions(dropin=0.05, degradation=False, backward_stutter=False)
    return {w: fit_case_hypothesis(
        HeightEvidence({"r1": heights}), {"POI": poi}, ContinuousHypothesis(("POI",)),
        ContinuousHypothesis((), 1), table, which=w, poi="POI", threshold=50, options=options)
        for w in ("hp", "hd")}


def test_single_source_high_peaks_conservative_lr_is_one_log10_below_the_mle() -> None:
    fits = _single_source(3)
    result = conservative_lr(fits["hp"], fits["hd"], samples=2000, seed=1)
    assert result.mle_log10_lr == pytest.approx(
        (fits["hp"].fit.loglik - fits["hd"].fit.loglik) / math.log(10), abs=1e-12)
    assert result.log10_lr <= result.mle_log10_lr
    assert result.mle_log10_lr - result.log10_lr == pytest.approx(1.0, abs=0.3)
    assert result.lr == pytest.approx(10 ** result.log10_lr)
    for chain in (result.hp, result.hd):
        assert len(chain.logliks) == 2000
        assert abs(chain.tuning[-1][1] - 0.25) < 0.1, chain.tuning
        assert abs(chain.acceptance_rate - 0.25) < 0.15, chain.tuning
        # every draw lies at or below the maximum the optimiser found (within 1e-6)
        assert max(chain.logliks) <= chain.mle_loglik + 1e-6
        assert chain.logliks[0] == pytest.approx(chain.mle_loglik, abs=1e-6)
    out = result.to_dict()
    assert out["chains"]["hp"]["acceptance_rate"] == result.hp.acceptance_rate
    assert out["log10_lr_quantiles"]["0.05"] == result.log10_lr
    # seeded: the same seed gives the same chains, another seed others
    again = conservative_lr(fits["hp"], fits["hd"], samples=2000, seed=1)
    assert again.log10_lr == result.log10_lr
    assert conservative_lr(fits["hp"], fits["hd"], samples=2000, seed=2).log10_lr \
        != result.log10_lr


def test_two_person_conservative_lr_is_at_most_the_mle_lr() -> None:
    """A 2-person mixture with degradation and stutter modelled, the minor donor as POI."""
    evidence, people = _two_person(5, (0.7, 0.3), sigma=0.15)
    poi = Profile.from_mapping({k: [str(a) for a in v] for k, v in people[1].items()},
                               specimen_id="POI")
    options = ContinuousOptions(dropin=0.05, degradation=True, backward_stutter=True,
                                theta=0.01)
    fits = {w: fit_case_hypothesis(
        evidence, {"POI": poi}, ContinuousHypothesis(("POI",), 1),
        ContinuousHypothesis((), 2), get_bundled_table("NIST1036:Cauc"), which=w, poi="POI",
        threshold=50, options=options, kit=get_kit("GlobalFiler"), min_frequency=0.001)
        for w in ("hp", "hd")}
    result = conservative_lr(fits["hp"], fits["hd"], samples=1000, seed=7)
    assert result.mle_log10_lr > 5
    assert result.log10_lr <= result.mle_log10_lr
    assert result.distribution["0.05"] <= result.distribution["0.5"] <= \
        result.distribution["0.95"]
    assert 0 < result.hp.acceptance_rate < 1 and 0 < result.hd.acceptance_rate < 1


def test_mcmc_parameters_are_checked() -> None:
    fits = _single_source(3)
    with pytest.raises(InvalidParameter, match="samples"):
        sample_posterior(fits["hd"], samples=1)
    with pytest.raises(InvalidParameter, match="quantile"):
        conservative_lr(fits["hp"], fits["hd"], quantile=1.5)


def test_mixture_lr_cli_conservative_and_plot(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from locard.cli import app

    evidence, people = _two_person(11, (0.8, 0.2), sigma=0.15)
    case = {
        "model": "continuous",
        "frequencies": {"table": "NIST1036:Cauc", "min_frequency": 0.001},
        "profiles": {"POI": {k: [str(a) for a in v] for k, v in people[0].items()}},
        "poi": "POI",
        "evidence": {"r1": {loc: {"alleles": [str(a) for a in v],
                                  "heights": list(v.values())}
                            for loc, v in evidence.replicates["r1"].items()}},
        "hypotheses": {"hp": {"contributors": ["POI"], "unknowns": 1},
                       "hd": {"contributors": [], "unknowns": 2}},
        "dropin": {"probability": 0.05, "lambda": 0.01},
        "analytical_threshold": 50, "kit": "GlobalFiler", "theta": 0.01,
    }
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    plot = tmp_path / "heights.svg"
    result = CliRunner().invoke(app, ["mixture", "lr", str(path), "--json", "--conservative",
                                      "--mcmc-samples", "300", "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    cons = out["conservative"]
    assert cons["samples"] == 300
    assert cons["mle_log10_lr"] == pytest.approx(out["log10_lr"], abs=1e-6)
    assert cons["log10_lr"] <= out["log10_lr"]
    assert 0 < cons["chains"]["hp"]["acceptance_rate"] < 1
    assert plot.read_text().lstrip().startswith("<?xml")
    text = CliRunner().invoke(app, ["mixture", "lr", str(path), "--conservative",
                                    "--mcmc-samples", "50"])
    assert text.exit_code == 0, text.output
    assert "Conservative LR" in text.output and "acceptance Hp" in text.output


def test_conservative_and_plot_refused_for_semi_continuous_cases(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.cli.test_mixture_cli import CASE

    from locard.cli import main

    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE))
    for extra in (["--conservative"], ["--plot", str(tmp_path / "x.png")]):
        assert main(["mixture", "lr", str(path), *extra]) != 0
        err = capsys.readouterr().err
        assert "need the continuous model" in err and "--conservative" in err
