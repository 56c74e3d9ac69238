"""Expected heights per contributor (the observed-against-expected bar plot), hand-checked.

Tolerance: 1e-9 relative (the same arithmetic in another order)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.stats.mixture.test_continuous import TABLE

from locard.genetics.alleles import parse_allele
from locard.genetics.profiles import Profile
from locard.plots import expected_heights_plot
from locard.stats.mixture.continuous import ContinuousOptions, HeightEvidence
from locard.stats.mixture.continuous_expected import expected_heights
from locard.stats.mixture.continuous_fit import ContinuousHypothesis, fit_case_hypothesis
from locard.stats.mixture.deconvolution import deconvolve


def test_expected_heights_single_source_with_stutter_by_hand(tmp_path: Path) -> None:
    poi = Profile.from_mapping({"TH01": ["10", "12"], "D3S1358": ["11", "11"]},
                               specimen_id="POI")
    ev = HeightEvidence({"r1": {
        "TH01": {parse_allele("10"): 5200.0, parse_allele("12"): 4800.0,
                 parse_allele("11"): 400.0},
        "D3S1358": {parse_allele("11"): 9900.0, parse_allele("10"): 700.0}}})
    options = ContinuousOptions(dropin=0.05, degradation=False, backward_stutter=True)
    fitted = fit_case_hypothesis(ev, {"POI": poi}, ContinuousHypothesis(("POI",)),
                                 ContinuousHypothesis((), 1), TABLE, which="hp", poi="POI",
                                 threshold=50, options=options)
    result = expected_heights(fitted, deconvolve(fitted, hypothesis="hp"))
    p = fitted.fit.parameters
    mu, xi = p.mu, p.xi_b
    assert 0 < xi < 0.2
    got = {(pk.locus, pk.allele): pk for pk in result.peaks}
    assert set(got) == {("TH01", "9"), ("TH01", "10"), ("TH01", "11"), ("TH01", "12"),
                        ("D3S1358", "9"), ("D3S1358", "10"), ("D3S1358", "11")}
    want = {("TH01", "9"): xi * mu,  # stutter-only position of 10
            ("TH01", "10"): (1 - xi) * mu,
            ("TH01", "11"): xi * mu,  # no own copy: stutter of 12
            ("TH01", "12"): (1 - xi) * mu,
            ("D3S1358", "9"): 0.0,  # stutter-only position of 10, which has no copy
            ("D3S1358", "10"): 2 * xi * mu,
            ("D3S1358", "11"): 2 * (1 - xi) * mu}
    for key, value in want.items():
        assert got[key].expected == pytest.approx((value,), rel=1e-9), key
    assert got[("TH01", "11")].observed == (400.0,)
    assert got[("TH01", "9")].observed == (0.0,)
    assert result.contributors == ("POI",)
    assert result.genotypes[0]["TH01"] == ("10", "12")
    data = expected_heights_plot(result, tmp_path / "epg.png")
    assert data[:4] == b"\x89PNG" and (tmp_path / "epg.png").read_bytes() == data
