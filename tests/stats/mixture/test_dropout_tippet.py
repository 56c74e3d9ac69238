"""Drop-out estimation, sensitivity analysis and the non-contributor (Tippet) test.

Statistical tolerances: Monte Carlo estimates are compared with their exact expectation within
4 standard errors (a false failure about 6e-5 of the time, with fixed seeds never flaky)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.casefile import parse_case
from locard.stats.mixture.dropout import (
    DEFAULT_GRID,
    estimate_dropout,
    observed_allele_count,
    sensitivity_analysis,
)
from locard.stats.mixture.tippet import non_contributor_test

TABLE = FrequencyTable.from_mapping(
    {"D3S1358": {"14": 0.1, "15": 0.25, "16": 0.25, "17": 0.2, "18": 0.2},
     "TH01": {"6": 0.2, "7": 0.3, "8": 0.1, "9": 0.4}}, name="hand")


def _single_source(*, dropin: float = 0.0) -> Any:
    return parse_case({
        "frequencies": {"table": "hand"},
        "profiles": {"POI": {"D3S1358": ["15", "16"], "TH01": ["7", "9"]}},
        "poi": "POI",
        "evidence": {"r1": {"D3S1358": ["15", "16"], "TH01": ["7", "9"]}},
        "hypotheses": {"hp": {"contributors": ["POI"], "unknowns": 0},
                       "hd": {"contributors": [], "unknowns": 1}},
        "dropout": {"POI": 0.1, "unknowns_hd": [0.1]},
        "dropin": {"probability": dropin}, "theta": 0})


def test_observed_count_is_lrmix_average_over_replicates_truncated() -> None:
    case = parse_case({
        "frequencies": {"table": "hand"}, "profiles": {"POI": {"TH01": ["7", "9"]}},
        "poi": "POI",
        "evidence": {"r1": {"TH01": ["7", "9"]}, "r2": {"TH01": ["7"]}},
        "hypotheses": {"hp": {"contributors": ["POI"]}, "hd": {"unknowns": 1}},
        "dropout": {"POI": 0.1, "unknowns_hd": 0.1}, "dropin": {"probability": 0.05}})
    assert observed_allele_count(case, ["TH01"]) == 1  # (2 + 1) // 2


def test_dropout_estimate_hp_matches_exact_distribution() -> None:
    # Under Hp only the heterozygous POI contributes (4 allele copies, all observed): d is kept
    # with probability (1 - d)^4, so the kept values follow w(d) = (1 - d)^4 on the grid.
    case = _single_source()
    n = 2000
    est = estimate_dropout(case, TABLE, simulations=n, seed=7)
    grid = np.array(DEFAULT_GRID)
    w = (1 - grid) ** 4
    assert est.observed_alleles == 4
    expected_kept = n * w.sum()
    assert abs(est.accepted["hp"] - expected_kept) <= 4 * math.sqrt(n * (w * (1 - w)).sum())
    cdf = np.cumsum(w) / w.sum()
    exact_p95 = grid[np.searchsorted(cdf, 0.95)]
    assert abs(est.percentile_95["hp"] - exact_p95) <= 0.02
    assert est.low <= est.high and est.conservative in (est.low, est.high)
    again = estimate_dropout(case, TABLE, simulations=n, seed=7)
    assert again.percentile_5 == est.percentile_5 and again.accepted == est.accepted


def test_conservative_dropout_is_the_one_with_the_smaller_lr() -> None:
    case = _single_source(dropin=0.05)
    est = estimate_dropout(case, TABLE, simulations=300, seed=1)
    assert est.lr_at_low is not None and est.lr_at_high is not None
    chosen = est.lr_at_low if est.conservative == est.low else est.lr_at_high
    assert chosen == min(est.lr_at_low, est.lr_at_high)


def test_sensitivity_single_source_without_dropin_is_flat_one_over_2pq() -> None:
    # pC = 0: the unknown must carry both alleles, L(Hd) = (1-d)^2 2pq per locus, L(Hp) = (1-d)^2
    result = sensitivity_analysis(_single_source(), TABLE, grid=[0.01, 0.3, 0.6, 0.99])
    expected = 1 / (2 * 0.25 * 0.25) / (2 * 0.3 * 0.4)
    for point in result.points:
        assert point.lr is not None and math.isclose(point.lr, expected, rel_tol=1e-12)
    assert result.varied == ("POI", "unknowns")


def test_non_contributor_share_matches_genotype_probability() -> None:
    # no drop-out or drop-in: a random person has LR > 0 only with the POI's genotype, whose
    # probability is 2 * 0.25 * 0.25 * 2 * 0.3 * 0.4 = 0.03; then LR equals the observed LR.
    case = parse_case({**_single_source().spec.model_dump(), "dropout": {
        "POI": 0.0, "unknowns_hd": [0.0]}})
    n = 4000
    result = non_contributor_test(case, TABLE, simulations=n, seed=3)
    p = 2 * 0.25 * 0.25 * 2 * 0.3 * 0.4
    assert abs(result.share_at_or_above - p) <= 4 * math.sqrt(p * (1 - p) / n)
    lrs = np.array(result.non_contributor_log10_lrs)
    assert result.at_or_above == int(np.sum(lrs >= result.observed_log10_lr - 1e-12))
    assert set(np.round(lrs[np.isfinite(lrs)], 9)) == {round(result.observed_log10_lr, 9)}
    assert result.share_at_or_above <= result.bound


def test_calibration_measures_come_from_lir_and_agree() -> None:
    result = non_contributor_test(_single_source(dropin=0.05), TABLE, simulations=50, seed=5,
                                  calibration=40)
    cal = result.calibration
    assert cal is not None and len(cal.hp_true_log10_lrs) + cal.skipped == 40
    # ECE at prior odds 1 is Cllr (two lir functions, one quantity)
    assert math.isclose(cal.ece[0.0], cal.cllr, rel_tol=1e-9)
    assert 0 <= cal.cllr_min <= cal.cllr + 1e-12
    assert cal.cllr < 1  # an informative system: better than LR = 1 always


def test_tippet_needs_a_poi() -> None:
    from locard.errors import InvalidParameter

    spec = _single_source().spec.model_dump()
    spec["poi"] = None
    with pytest.raises(InvalidParameter, match="poi"):
        non_contributor_test(parse_case(spec), TABLE, simulations=5)
