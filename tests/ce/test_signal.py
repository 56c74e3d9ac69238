"""Trace processing on synthetic traces whose peaks, heights and baseline are known."""

from __future__ import annotations

import numpy as np
import pytest

from locard.ce.signal import (
    SignalParameters,
    detect_peaks,
    off_scale_by_dye,
    process_trace,
    remove_baseline,
)
from locard.errors import InvalidParameter

SCANS = 4000


def gaussian(scan: float, height: float, sigma: float = 3.0) -> np.ndarray:
    x = np.arange(SCANS, dtype=np.float64)
    return height * np.exp(-0.5 * ((x - scan) / sigma) ** 2)


def synthetic(peaks: list[tuple[float, float]], *, drift: bool = True, noise: float = 3.0,
              seed: int = 7) -> np.ndarray:
    x = np.arange(SCANS, dtype=np.float64)
    trace = 40.0 + 30.0 * np.sin(x / 900.0) if drift else np.zeros(SCANS)
    for scan, height in peaks:
        trace = trace + gaussian(scan, height)
    rng = np.random.default_rng(seed)
    return np.round(trace + rng.normal(0.0, noise, SCANS))


KNOWN = [(500.3, 1200.0), (1100.0, 400.0), (1900.7, 85.0), (2600.0, 3000.0), (3400.2, 250.0)]


def test_peaks_found_at_their_positions_and_heights() -> None:
    peaks = detect_peaks(synthetic(KNOWN), dye=1)
    assert len(peaks) == len(KNOWN)
    for peak, (scan, height) in zip(peaks, KNOWN, strict=True):
        assert peak.scan == pytest.approx(scan, abs=0.5)
        assert peak.height == pytest.approx(height, rel=0.08, abs=8)
        # area of a Gaussian: height * sigma * sqrt(2 pi)
        assert peak.area == pytest.approx(height * 3.0 * np.sqrt(2 * np.pi), rel=0.15)
        assert not peak.saturated


def test_baseline_removal_takes_out_offset_and_drift() -> None:
    trace = synthetic([], noise=0.0)
    assert float(np.abs(remove_baseline(trace)).max()) < 3.0
    assert float(trace.mean()) > 30.0


def test_per_dye_analytical_threshold() -> None:
    trace = synthetic(KNOWN)
    params = SignalParameters(analytical_threshold=50.0, dye_thresholds={2: 100.0})
    on_dye_1 = {round(p.scan) for p in detect_peaks(trace, dye=1, params=params)}
    on_dye_2 = {round(p.scan) for p in detect_peaks(trace, dye=2, params=params)}
    assert 1901 in on_dye_1 or 1900 in on_dye_1
    assert on_dye_1 - on_dye_2 == {round(p.scan) for p in detect_peaks(trace, dye=1)
                                   if p.height < 100}
    assert len(on_dye_2) == 4


def test_noise_alone_gives_no_peaks() -> None:
    assert detect_peaks(synthetic([], noise=5.0), dye=1) == []


def test_saturation_from_level_and_from_the_instruments_off_scale_list() -> None:
    trace = synthetic(KNOWN)
    params = SignalParameters(saturation_rfu=2500.0)
    flagged = [p for p in detect_peaks(trace, dye=1, params=params) if p.saturated]
    assert [round(p.scan) for p in flagged] == [2600]
    by_list = [p for p in detect_peaks(trace, dye=1, off_scale_scans=[1101]) if p.saturated]
    assert [round(p.scan) for p in by_list] == [1100]


def test_smoothing_keeps_height() -> None:
    smooth = process_trace(synthetic([(2000.0, 1000.0)], noise=0.0))
    assert float(smooth.max()) == pytest.approx(1000.0, rel=0.03)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"analytical_threshold": 0}, "analytical_threshold"),
    ({"dye_thresholds": {3: -1.0}}, "dye_thresholds[3]"),
    ({"smoothing_window": 4}, "smoothing_window"),
    ({"baseline_window": 1}, "baseline_window"),
    ({"saturation_rfu": 0}, "saturation_rfu"),
])
def test_invalid_parameters_name_the_value(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidParameter, match=name.replace("[", r"\[").replace("]", r"\]")):
        SignalParameters(**kwargs)  # type: ignore[arg-type]


def test_off_scale_list_is_attributed_to_the_dye_that_saturated() -> None:
    # the ABIF OfSc entry lists scans, not dyes: a scan off-scale in dye 1 must not mark dye 2's
    # (pull-up) peak at the same scan as saturated
    tall = synthetic([(1100.0, 30000.0), (2600.0, 800.0)])
    pulled = synthetic([(1100.0, 900.0), (2600.0, 700.0)], seed=8)
    listed = [1099, 1100, 1101]
    by_dye = off_scale_by_dye([tall, pulled], listed)
    assert by_dye == {1: listed, 2: []}
    dye1 = [round(p.scan) for p in detect_peaks(tall, dye=1, off_scale_scans=by_dye[1])
            if p.saturated]
    dye2 = [round(p.scan) for p in detect_peaks(pulled, dye=2, off_scale_scans=by_dye[2])
            if p.saturated]
    assert dye1 == [1100] and dye2 == []
    # a scan outside every trace is dropped, not an error
    assert off_scale_by_dye([tall, pulled], [SCANS + 5]) == {1: [], 2: []}


def _flat_top(dip: float) -> np.ndarray:
    """A peak clipped to a plateau at 7600 RFU (scans 1996-2004) with a notch ``dip`` (a
    fraction of the plateau) deep at its middle: two local maxima on one flat top."""
    trace = 40.0 + gaussian(2000, 7600.0, sigma=4.0)
    trace[1996:2005] = 7600.0
    trace[2000] = 7600.0 * (1 - dip)
    trace[1999] = trace[2001] = 7600.0 * (1 - dip / 2)
    return trace


def test_saturated_flat_top_is_one_peak() -> None:
    """A saturated flat top with two local maxima (the TH01 9.3 of the off-scale Identifiler
    run) is one peak; the instrument's off-scale list marks it saturated."""
    params = SignalParameters(smoothing_window=3)
    trace = _flat_top(0.04)
    off = [*range(1996, 1999), *range(2002, 2005)]  # both maxima off-scale, not the notch
    split = detect_peaks(trace, params=SignalParameters(smoothing_window=3, plateau_dip=0.0),
                         off_scale_scans=off)
    assert len([p for p in split if p.height > 5000]) == 2  # the bug this fixes
    (peak,) = [p for p in detect_peaks(trace, params=params, off_scale_scans=off)
               if p.height > 5000]
    assert peak.saturated and abs(peak.scan - 2000) <= 1.0
    # the same notch on an unsaturated peak is two maxima: only flat tops are merged
    assert len([p for p in detect_peaks(trace, params=params) if p.height > 5000]) == 2
    # a deep valley is two peaks even where saturated
    deep = detect_peaks(_flat_top(0.5), params=params, off_scale_scans=off)
    assert len([p for p in deep if p.height > 3000]) == 2


def test_plateau_dip_is_checked() -> None:
    with pytest.raises(InvalidParameter, match="plateau_dip"):
        SignalParameters(plateau_dip=1.0)


def test_a_split_saturated_top_listed_off_scale_is_one_peak() -> None:
    """A saturated peak whose top the detector split deeply (the TH01 9.3 of MIX05case4:
    maxima 9 scans apart, a 29 % dip) is one peak when the instrument lists every scan of
    the stretch as off-scale; the same split with the valley not off-scale is two."""
    params = SignalParameters(smoothing_window=3)
    trace = _flat_top(0.3)
    one = [p for p in detect_peaks(trace, params=params, off_scale_scans=range(1996, 2005))
           if p.height > 3000]
    assert len(one) == 1 and one[0].saturated
    gap = [*range(1996, 1999), *range(2002, 2005)]  # the valley itself not listed
    two = [p for p in detect_peaks(trace, params=params, off_scale_scans=gap)
           if p.height > 3000]
    assert len(two) == 2
