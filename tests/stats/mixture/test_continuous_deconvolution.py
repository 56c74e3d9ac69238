"""Continuous model, round 2: the stacked (all loci at once) evaluation against the naive
likelihood, deconvolution of a clear major, and the PP-plot model validation.

Tolerances: stacked vs naive ln L within 1e-10 (absolute); the posteriors of all genotypes of a
contributor sum to 1 within 1e-9; the combination terms log-sum-exp to the locus ln L within
1e-9; the major's genotype is called with posterior > 0.99 at every locus."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from tests.stats.mixture.continuous_naive import naive_loglik

from locard.genetics.alleles import Allele, parse_allele
from locard.genetics.kits import get_kit
from locard.stats.mixture.continuous import (
    ContinuousOptions,
    HeightEvidence,
    Parameters,
    combination_logliks,
    locus_data,
    prepare_hypothesis,
    stack_hypothesis,
    stacked_loglik,
)
from locard.stats.mixture.continuous_fit import (
    ContinuousHypothesis,
    HypothesisFit,
    fit_case_hypothesis,
)
from locard.stats.mixture.continuous_validation import pp_validation
from locard.stats.mixture.deconvolution import deconvolve
from locard.tables.bundled import get_bundled_table

FREQS = {"8": 0.1, "9": 0.12, "10": 0.2, "11": 0.25, "12": 0.15, "13": 0.1, "14": 0.05}
BP = {str(k): 100.0 + 4 * k for k in range(1, 20)}


def test_stacked_loci_match_the_naive_likelihood_locus_by_locus() -> None:
    """Three loci with different replicate counts, stutter-only positions and a drop-in, stacked
    into one evaluation: each locus's value equals the naive enumeration."""
    options = ContinuousOptions(dropin=0.05, dropin_lambda=0.01, degradation=True,
                                backward_stutter=True, forward_stutter=True, theta=0.01)
    params = Parameters(mx=(0.65, 0.35), mu=1200.0, sigma=0.28, beta=0.85, xi_b=0.07,
                        xi_f=0.02)
    loci_reps = [
        [{"9": 70, "10": 900, "11": 420, "13": 300}],
        [{"10": 600, "12": 580, "14": 90}, {"10": 640, "12": 30, "8": 75}],
        [{"11": 1500}, {"11": 1400, "12": 60}, {"11": 1650}],
    ]
    freqs = {parse_allele(a): f for a, f in FREQS.items()}
    prepared = []
    for n, reps in enumerate(loci_reps):
        d = locus_data(f"L{n}", [{parse_allele(a): float(y) for a, y in r.items()} for r in reps],
                       freqs, threshold=50.0, options=options, kit_locus=None,
                       fragment_lengths={**BP, "Q": 170.0})
        prepared.append(prepare_hypothesis(d, [], 2, bn_counts=[0] * (d.n_obs + 1), bn_total=0,
                                           options=options))
    values = stacked_loglik(stack_hypothesis(prepared), params)
    for reps, value in zip(loci_reps, values, strict=True):
        slow = naive_loglik(reps, FREQS, known=[], n_unknowns=2, typed_alleles=[],
                            mx=params.mx, mu=params.mu, sigma=params.sigma, beta=params.beta,
                            xi_b=params.xi_b, xi_f=params.xi_f, bp=BP, q_bp=170.0,
                            threshold=50.0, pc=0.05, lam=0.01, theta=0.01)
        assert value == pytest.approx(slow, rel=0, abs=1e-10)
    # the combination terms of a locus log-sum-exp to its value
    logs = combination_logliks(stack_hypothesis(prepared), params, 1)
    m = float(np.max(logs))
    assert m + math.log(float(np.sum(np.exp(logs - m)))) == pytest.approx(values[1], abs=1e-9)


LOCI = ("D3S1358", "vWA", "D16S539", "CSF1PO", "TPOX", "D8S1179", "D21S11", "D18S51", "D2S441",
        "D19S433", "TH01", "FGA")


def _two_person(seed: int, mx: tuple[float, float], *, sigma: float | None = None
                ) -> tuple[HeightEvidence, list[dict[str, list[Allele]]]]:
    """Peak heights of a 2-person mixture, degradation and backward stutter included (mu 2000,
    beta 0.85, xi 0.06, AT 50): the gamma means, or with ``sigma`` draws from the model."""
    rng = np.random.default_rng(seed)
    table = get_bundled_table("NIST1036:Cauc")
    kit = get_kit("GlobalFiler")
    mu, beta, xi = 2000.0, 0.85, 0.06
    people: list[dict[str, list[Allele]]] = [{}, {}]
    heights: dict[str, dict[Allele, float]] = {}
    for locus in LOCI:
        alleles = list(table.frequencies[locus])
        p = np.array([table.frequencies[locus][a] for a in alleles])
        kl = kit.locus(locus)
        dose: dict[Allele, float] = {}
        for k in range(2):
            gt = sorted(alleles[i] for i in rng.choice(len(alleles), size=2, p=p / p.sum()))
            people[k][locus] = gt
            for a in gt:
                dose[a] = dose.get(a, 0.0) + mx[k] * beta ** ((kl.fragment_length(a) - 125)
                                                             / 100)
        expected: dict[Allele, float] = {}
        for a, dd in dose.items():
            expected[a] = expected.get(a, 0.0) + (1 - xi) * dd * mu
            if a.is_repeat and a.repeats > 1:
                s = Allele.repeat(a.repeats - 1, a.variant)
                expected[s] = expected.get(s, 0.0) + xi * dd * mu
        if sigma is not None:
            expected = {a: float(rng.gamma(y / mu / sigma**2, mu * sigma**2))
                        for a, y in expected.items()}
        heights[locus] = {a: round(y) for a, y in expected.items() if y >= 50}
    return HeightEvidence({"r1": heights}), people


def _fit(evidence: HeightEvidence, *, dropin: float = 0.05) -> HypothesisFit:
    options = ContinuousOptions(dropin=dropin, degradation=True, backward_stutter=True,
                                theta=0.01)
    return fit_case_hypothesis(
        evidence, {}, ContinuousHypothesis((), 2), ContinuousHypothesis((), 2),
        get_bundled_table("NIST1036:Cauc"), which="hd", poi=None, threshold=50,
        options=options, kit=get_kit("GlobalFiler"), min_frequency=0.001)


def test_deconvolution_recovers_a_clear_major() -> None:
    evidence, people = _two_person(11, (0.85, 0.15))
    fitted = _fit(evidence)
    result = deconvolve(fitted, top=200)
    major = max(result.contributors, key=lambda c: c.mx)
    assert major.mx == pytest.approx(0.85, abs=0.05)
    assert set(major.per_locus) == set(LOCI)
    for locus in LOCI:
        call = major.per_locus[locus][0]
        assert sorted(call.alleles) == sorted(str(a) for a in people[0][locus]), locus
        assert call.probability > 0.99, (locus, call)
        for c in result.contributors:  # the marginals are a distribution
            assert sum(g.probability for g in c.per_locus[locus]) == pytest.approx(1, abs=1e-9)
    profile = major.profile(min_probability=0.99)
    assert len(profile) == len(LOCI)
    # the minor is not called with the same certainty everywhere it shares alleles: its calls
    # are distributions too, and the JSON form carries both
    out = json.loads(json.dumps(result.to_dict()))
    assert [c["name"] for c in out["contributors"]] == ["U1", "U2"]


def test_pp_validation_passes_a_good_fit_and_flags_a_bad_one() -> None:
    evidence, _ = _two_person(5, (0.7, 0.3), sigma=0.15)
    good = pp_validation(_fit(evidence))
    assert len(good.points) == sum(len(v) for v in evidence.replicates["r1"].values())
    assert all(0.0 <= p.probability <= 1.0 for p in good.points)
    assert [p.expected for p in good.points] == sorted(p.expected for p in good.points)
    assert not good.poor_fit, good.outside
    # heights without their gamma noise are not gamma-distributed: too close to the median
    exact, _ = _two_person(5, (0.7, 0.3))
    assert pp_validation(_fit(exact)).poor_fit
    # one peak 25 times too high cannot come from the fitted model
    bad_heights = {loc: dict(v) for loc, v in evidence.replicates["r1"].items()}
    first = max(bad_heights["D3S1358"], key=lambda a: bad_heights["D3S1358"][a])
    bad_heights["D3S1358"][first] *= 25
    bad = pp_validation(_fit(HeightEvidence({"r1": bad_heights}), dropin=0.0))
    assert bad.poor_fit
    assert any(p.locus == "D3S1358" and p.allele == str(first) for p in bad.outside)


def test_deconvolve_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from locard.cli import app

    evidence, people = _two_person(11, (0.85, 0.15))
    case = {
        "model": "continuous",
        "frequencies": {"table": "NIST1036:Cauc", "min_frequency": 0.001},
        "profiles": {},
        "evidence": {"r1": {loc: {"alleles": [str(a) for a in v],
                                  "heights": list(v.values())}
                            for loc, v in evidence.replicates["r1"].items()}},
        "hypotheses": {"hp": {"contributors": [], "unknowns": 2},
                       "hd": {"contributors": [], "unknowns": 2}},
        "dropin": {"probability": 0.05, "lambda": 0.01},
        "analytical_threshold": 50, "kit": "GlobalFiler", "theta": 0.01,
    }
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    result = CliRunner().invoke(app, ["mixture", "deconvolve", str(path), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    major = max(out["deconvolution"]["contributors"], key=lambda c: c["mx"])
    assert major["per_locus"]["TH01"][0]["genotype"] == "/".join(
        str(a) for a in people[0]["TH01"])
    assert out["validation"]["peaks"] == sum(len(v) for v in evidence.replicates["r1"].values())
    text = CliRunner().invoke(app, ["mixture", "deconvolve", str(path),
                                    "--pp-plot", str(tmp_path / "pp.png")])
    assert text.exit_code == 0, text.output
    assert "U1" in text.output
    assert (tmp_path / "pp.png").read_bytes()[:4] == b"\x89PNG"


EFM = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "mixtures" / "euroformix"

#: EuroForMix's own expected ln L (tests/testthat/test_CppCodeExamples.R, github oyvble/euroformix)
#: for test_evid1.csv / test_freq.csv at Mx equal, mu 1000, sigma 0.1, beta 1, xi_B 0.1, xi_F 0.01,
#: AT 50, pC 0.05, lambda 0.01, theta 0; rows: (contributors, backward, forward stutter).
EFM_LOGLIK = [
    (1, False, False, -353.5401), (2, False, False, -373.5067), (3, False, False, -370.1198),
    (4, False, False, -350.5569), (1, True, False, -253.415), (2, True, False, -273.3755),
    (3, True, False, -289.5421), (4, True, False, -303.317), (1, True, True, -244.9223),
    (2, True, True, -264.8718), (3, True, True, -280.718), (4, True, True, -296.1194),
]


@pytest.mark.skipif(not EFM.is_dir(), reason="EuroForMix example data not present")
@pytest.mark.parametrize("model", EFM_LOGLIK, ids=[f"{m[0]}p-bw{m[1]:d}-fw{m[2]:d}"
                                                   for m in EFM_LOGLIK])
def test_loglik_matches_euroformix_published_values(model: tuple[int, bool, bool, float]) -> None:
    """Cross-implementation: ln L at fixed parameters equals EuroForMix's to its 4 published
    decimals (tolerance 5e-5, the rounding)."""
    import csv

    from locard.genetics.loci import canonical_locus
    from locard.tables import load_frequency_table

    n, backward, forward, expected = model
    table = load_frequency_table(str(EFM / "examples" / "test_freq.csv"))
    options = ContinuousOptions(dropin=0.05, dropin_lambda=0.01, degradation=False,
                                backward_stutter=backward, forward_stutter=forward, theta=0.0)
    prepared = []
    with (EFM / "examples" / "test_evid1.csv").open() as f:
        for row in csv.DictReader(f):
            locus = canonical_locus(row["Marker"])
            peaks = {parse_allele(row[f"Allele{i}"], locus=locus): float(row[f"Height{i}"])
                     for i in range(1, 6) if row.get(f"Allele{i}")}
            d = locus_data(locus, [peaks], table.frequencies[locus], threshold=50.0,
                           options=options, kit_locus=None)
            prepared.append(prepare_hypothesis(d, [], n, bn_counts=[0] * (d.n_obs + 1),
                                               bn_total=0, options=options))
    assert len(prepared) == 7
    params = Parameters(mx=(1 / n,) * n, mu=1000.0, sigma=0.1, beta=1.0,
                        xi_b=0.1 if backward else 0.0, xi_f=0.01 if forward else 0.0)
    total = float(stacked_loglik(stack_hypothesis(prepared), params).sum())
    assert total == pytest.approx(expected, abs=5e-5)
