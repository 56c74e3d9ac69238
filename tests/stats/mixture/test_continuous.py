"""The continuous (gamma peak-height) model: the fast likelihood against a naive one, degenerate
reductions, the optimiser's robustness, and EuroForMix's example data end to end.

Tolerances: fast vs naive ln L within 1e-10 (absolute on ln L, i.e. 1e-10 relative on L);
reductions within 1e-6 in log10 LR; restarts: the same maximum within 0.01 log units."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from tests.stats.mixture.continuous_naive import naive_loglik

from locard.genetics.alleles import parse_allele
from locard.genetics.kits import get_kit
from locard.genetics.loci import canonical_locus
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.continuous import (
    ContinuousOptions,
    HeightEvidence,
    Parameters,
    hypothesis_loglik,
    locus_data,
    prepare_hypothesis,
)
from locard.stats.mixture.continuous_fit import (
    ContinuousHypothesis,
    continuous_lr,
    fit_hypothesis,
    hypothesis_loci,
    prepare_loci,
)

EFM = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "mixtures" / "euroformix"
requires_efm = pytest.mark.skipif(not EFM.is_dir(), reason="EuroForMix example data not present")

FREQS = {"8": 0.1, "9": 0.12, "10": 0.2, "11": 0.25, "12": 0.15, "13": 0.1, "14": 0.05}
BP = {a: 100.0 + 4 * float(a) for a in FREQS}
Q_BP = 170.0


def _fast(replicates: list[dict[str, float]], *, known: list[tuple[str, str]], n_unknowns: int,
          typed: list[tuple[str, str]], params: Parameters, options: ContinuousOptions,
          threshold: float = 50.0) -> float:
    reps = [{parse_allele(a): y for a, y in r.items()} for r in replicates]
    freqs = {parse_allele(a): f for a, f in FREQS.items()}
    overrides = {**BP, "Q": Q_BP}
    # stutter-only positions need lengths too: extend linearly
    for k in range(1, 20):
        overrides.setdefault(str(k), 100.0 + 4 * k)
    d = locus_data("TH01", reps, freqs, threshold=threshold, options=options, kit_locus=None,
                   fragment_lengths=overrides)
    bn = [0] * (d.n_obs + 1)
    for g in typed:
        for a in g:
            bn[d.code(parse_allele(a))] += 1
    h = prepare_hypothesis(
        d, [(d.code(parse_allele(a)), d.code(parse_allele(b))) for a, b in known], n_unknowns,
        bn_counts=bn, bn_total=2 * len(typed), options=options)
    return hypothesis_loglik(h, params, options)


CASES = [
    # (name, replicates, known, unknowns, typed, mx, stutter b/f, degradation, pC, theta)
    ("1 known + 1 unknown, stutter, degradation",
     [{"9": 80, "10": 900, "11": 350, "12": 1200, "13": 60}],
     [("10", "12")], 1, [("10", "12"), ("10", "12")], (0.7, 0.3), (True, False), True, 0.05,
     0.01),
    ("2 unknowns, two replicates, a peak below AT",
     [{"10": 700, "11": 650, "12": 200, "14": 150}, {"10": 800, "11": 500, "12": 40, "14": 180}],
     [], 2, [("10", "11")], (0.75, 0.25), (True, False), True, 0.05, 0.0),
    ("forward stutter, theta",
     [{"9": 90, "10": 1000, "11": 120, "13": 400}],
     [("10", "13")], 1, [("10", "13")], (0.8, 0.2), (True, True), True, 0.1, 0.03),
    ("no stutter, no degradation, typed allele off the evidence (Q)",
     [{"8": 300, "11": 500}],
     [("8", "14")], 1, [("8", "14")], (0.4, 0.6), (False, False), False, 0.05, 0.01),
    ("3 unknowns", [{"9": 300, "10": 500, "11": 450, "12": 200}], [], 3, [],
     (0.5, 0.3, 0.2), (True, False), True, 0.05, 0.0),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_fast_likelihood_matches_naive_enumeration(case: tuple) -> None:  # type: ignore[type-arg]
    _, reps, known, n_u, typed, mx, (sb, sf), degr, pc, theta = case
    options = ContinuousOptions(dropin=pc, dropin_lambda=0.01, degradation=degr,
                                backward_stutter=sb, forward_stutter=sf, theta=theta)
    params = Parameters(mx=mx, mu=1100.0, sigma=0.3, beta=0.8 if degr else 1.0,
                        xi_b=0.08 if sb else 0.0, xi_f=0.03 if sf else 0.0)
    fast = _fast(reps, known=known, n_unknowns=n_u, typed=typed, params=params,
                 options=options)
    slow = naive_loglik(
        reps, FREQS, known=known, n_unknowns=n_u, typed_alleles=[a for g in typed for a in g],
        mx=mx, mu=1100.0, sigma=0.3, beta=params.beta, xi_b=params.xi_b, xi_f=params.xi_f,
        bp={**{str(k): 100.0 + 4 * k for k in range(1, 20)}, **BP}, q_bp=Q_BP, threshold=50.0,
        pc=pc, lam=0.01, theta=theta)
    assert math.isfinite(fast)
    assert fast == pytest.approx(slow, rel=0, abs=1e-10)


def test_stutter_only_position_and_typed_allele_on_it_is_q() -> None:
    options = ContinuousOptions(degradation=False)
    d = locus_data("TH01", [{parse_allele("10"): 900.0, parse_allele("9.3"): 500.0}],
                   {parse_allele(a): f for a, f in FREQS.items()} | {parse_allele("9.3"): 0.1},
                   threshold=50, options=options, kit_locus=None)
    names = [str(a) for a in d.alleles]
    assert names == ["9.3", "10", "8.3", "9"]  # observed, then stutter-only 8.3 and 9
    assert d.n_obs == 2
    assert d.code(parse_allele("9")) == d.n_obs  # a typed 9 is Q


def test_dropin_impossible_without_pc() -> None:
    """A peak no contributor explains needs a drop-in: with pC = 0 the likelihood is 0."""
    options = ContinuousOptions(dropin=0.0, degradation=False, backward_stutter=False)
    params = Parameters(mx=(1.0,), mu=1000.0, sigma=0.3)
    ll = _fast([{"10": 1000, "12": 1000, "8": 300}], known=[("10", "12")], n_unknowns=0,
               typed=[("10", "12")], params=params, options=options)
    assert ll == -math.inf
    with_dropin = _fast([{"10": 1000, "12": 1000, "8": 300}], known=[("10", "12")],
                        n_unknowns=0, typed=[("10", "12")], params=params,
                        options=ContinuousOptions(dropin=0.05, degradation=False,
                                                  backward_stutter=False))
    assert math.isfinite(with_dropin)


# --- reductions ------------------------------------------------------------------------------

TABLE = FrequencyTable.from_mapping(
    {"TH01": FREQS, "D3S1358": FREQS, "FGA": FREQS}, name="toy")


def _single_source_lr(options: ContinuousOptions) -> tuple[float, object]:
    poi = Profile.from_mapping({"TH01": ["10", "12"], "D3S1358": ["11", "11"],
                                "FGA": ["9", "13"]}, specimen_id="POI")
    ev = HeightEvidence({"r1": {
        "TH01": {parse_allele("10"): 5200.0, parse_allele("12"): 4800.0},
        "D3S1358": {parse_allele("11"): 9900.0},
        "FGA": {parse_allele("9"): 5100.0, parse_allele("13"): 4700.0}}})
    lr = continuous_lr(ev, {"POI": poi}, ContinuousHypothesis(("POI",)),
                       ContinuousHypothesis((), 1), TABLE, poi="POI", threshold=50,
                       options=options, fragment_lengths=None)
    return lr.log10_lr, lr


def test_single_source_high_peaks_lr_is_one_over_genotype_probability() -> None:
    options = ContinuousOptions(dropin=0.05, degradation=False, backward_stutter=False)
    log10_lr, result = _single_source_lr(options)
    expected = -math.log10((2 * FREQS["10"] * FREQS["12"]) * FREQS["11"] ** 2
                           * (2 * FREQS["9"] * FREQS["13"]))
    assert log10_lr == pytest.approx(expected, abs=1e-6)
    # Mx of a single source is 1; beta = 1 and xi = 0 when not modelled
    for fit in (result.hp_fit, result.hd_fit):  # type: ignore[attr-defined]
        assert fit.parameters.mx == (1.0,)
        assert fit.parameters.beta == 1.0
        assert fit.parameters.xi_b == 0.0
    assert sum(v.log10_lr for v in result.per_locus.values()) == pytest.approx(  # type: ignore[attr-defined]
        log10_lr, abs=1e-9)


def test_a_fit_with_probability_0_at_every_start_is_refused() -> None:
    """Regression: the optimiser's stand-in for ln L = -inf (1e300) was returned as a fitted
    maximum ln L = -1e300; an impossible hypothesis (a peak no one explains, pC = 0) must raise."""
    from locard.errors import StatisticsError

    poi = Profile.from_mapping({"TH01": ["10", "12"]}, specimen_id="POI")
    ev = HeightEvidence({"r1": {"TH01": {parse_allele("10"): 1000.0,
                                         parse_allele("12"): 1000.0,
                                         parse_allele("8"): 300.0}}})
    options = ContinuousOptions(dropin=0.0, degradation=False, backward_stutter=False)
    with pytest.raises(StatisticsError, match="probability 0 at every start"):
        continuous_lr(ev, {"POI": poi}, ContinuousHypothesis(("POI",)),
                      ContinuousHypothesis((), 1), TABLE, poi="POI", threshold=50,
                      options=options, fragment_lengths=None)


def test_beta_one_equals_no_degradation_and_xi_zero_equals_no_stutter() -> None:
    reps = [{"10": 900, "11": 350, "12": 1200}]
    base = ContinuousOptions(degradation=False, backward_stutter=False)
    p = Parameters(mx=(0.7, 0.3), mu=1000.0, sigma=0.3, beta=1.0)
    plain = _fast(reps, known=[("10", "12")], n_unknowns=1, typed=[("10", "12")], params=p,
                  options=base)
    degraded = _fast(reps, known=[("10", "12")], n_unknowns=1, typed=[("10", "12")], params=p,
                     options=ContinuousOptions(degradation=True, backward_stutter=False))
    assert degraded == pytest.approx(plain, abs=1e-12)
    # beta != 1 changes it when degradation is modelled (the test can fail)
    p8 = Parameters(mx=(0.7, 0.3), mu=1000.0, sigma=0.3, beta=0.8)
    assert _fast(reps, known=[("10", "12")], n_unknowns=1, typed=[("10", "12")], params=p8,
                 options=ContinuousOptions(degradation=True, backward_stutter=False)) != plain


# --- EuroForMix's example data ---------------------------------------------------------------


def _efm_evidence(name: str) -> dict[str, dict[str, dict[str, list]]]:  # type: ignore[type-arg]
    out: dict[str, dict[str, dict[str, list]]] = {}  # type: ignore[type-arg]
    with (EFM / "examples" / name).open() as f:
        for row in csv.DictReader(f):
            alleles = [row[f"Allele{i}"] for i in range(1, 40) if row.get(f"Allele{i}")]
            heights = [float(row[f"Height{i}"]) for i in range(1, 40) if row.get(f"Height{i}")]
            out.setdefault(row["SampleName"], {})[row["Marker"]] = {
                "alleles": alleles, "heights": heights}
    return out


def _efm_refs(name: str) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    with (EFM / "examples" / name).open() as f:
        for row in csv.DictReader(f):
            out.setdefault(row["SampleName"], {})[row["Marker"]] = [row["Allele1"],
                                                                   row["Allele2"]]
    return out


def _efm_table(name: str) -> tuple[str, float]:
    """EuroForMix's frequency file (Locard reads its wide CSV), and its smallest frequency
    (EuroForMix's default for an allele absent from the table)."""
    from locard.tables import load_frequency_table

    path = str(EFM / "examples" / name)
    table = load_frequency_table(path)
    return path, min(min(v.values()) for v in table.frequencies.values())


@requires_efm
def test_euroformix_esx17_end_to_end_through_the_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from locard.cli import app

    evidence = _efm_evidence("ESX17_3p.csv")
    refs = _efm_refs("ESX17_refs.csv")
    freqs = _efm_table("ESX17_freq.csv")
    case = {
        "model": "continuous",
        "frequencies": {"table": freqs[0], "min_frequency": freqs[1]},
        "profiles": {"ref1": refs["ref1"]},
        "poi": "ref1",
        "evidence": evidence,
        "hypotheses": {"hp": {"contributors": ["ref1"], "unknowns": 1},
                       "hd": {"contributors": [], "unknowns": 2}},
        "dropin": {"probability": 0.05, "lambda": 0.01},
        "analytical_threshold": 50,
        "degradation": True,
        "stutter": {"backward": False, "forward": False},
        "kit": "ESX17",
        "theta": 0.0,
    }
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    result = CliRunner().invoke(app, ["mixture", "lr", str(path), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["model"] == "continuous"
    assert set(out["loglik"]) == {"hp", "hd"}
    assert set(out["parameters"]) == {"hp", "hd"}
    assert len(out["per_locus"]) == 16
    total = sum(v["log10_lr"] for v in out["per_locus"].values())
    assert total == pytest.approx(out["log10_lr"], abs=1e-6)
    assert out["log10_lr"] == pytest.approx(
        (out["loglik"]["hp"] - out["loglik"]["hd"]) / math.log(10), abs=1e-9)
    assert out["log10_lr"] > 6  # ref1 is a contributor to this example


@requires_efm
def test_optimiser_reaches_the_same_maximum_from_10_seeds() -> None:
    """Ten different random pre-searches and starts, one maximum (within 0.01 log units)."""
    from locard.tables import load_frequency_table

    evidence = _efm_evidence("ESX17_3p.csv")
    heights = HeightEvidence({rep: {canonical_locus(loc): {
        parse_allele(a, locus=canonical_locus(loc)): h
        for a, h in zip(v["alleles"], v["heights"], strict=True)}
        for loc, v in loci.items()} for rep, loci in evidence.items()})
    path, floor = _efm_table("ESX17_freq.csv")
    table = load_frequency_table(path)
    options = ContinuousOptions(dropin=0.05, degradation=True, backward_stutter=True)
    loci, _ = prepare_loci(heights, {}, [], table, threshold=50, options=options,
                           kit=get_kit("ESX17"), min_frequency=floor)
    prepared = hypothesis_loci(loci, {}, [], ContinuousHypothesis((), 2), options)
    maxima = [fit_hypothesis(prepared, 2, options, seed=s, standard_errors=False).loglik
              for s in range(10)]
    assert max(maxima) - min(maxima) < 0.01, maxima


def test_kit_fragment_lengths_ladder_and_off_ladder() -> None:
    """OSIRIS ESX17 TH01: 9.3 is 176 bp and 10 is 177 bp on the ladder; 14 (off the ladder)
    is 11's 181 bp plus three 4-bp repeats."""
    th01 = get_kit("ESX17").locus("TH01")
    assert th01.fragment_length(parse_allele("9.3")) == 176.0
    assert th01.fragment_length(parse_allele("10")) == 177.0
    assert th01.fragment_length(parse_allele("14")) == 193.0
