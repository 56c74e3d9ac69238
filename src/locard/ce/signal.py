"""Trace processing: baseline removal, smoothing, peak detection with per-dye analytical
thresholds, and off-scale (saturation) detection.

Baseline: a morphological opening (moving minimum, then moving maximum, over
``baseline_window`` scans) follows the slowly varying floor under the peaks without being pulled
up by them, a moving average of the same width smooths its steps, and the median excess of the
trace over it (the noise's half-range: most scans are noise) lifts it from the noise's lower
envelope to its middle; it is subtracted from the trace. Smoothing: Savitzky-Golay (quadratic,
``smoothing_window`` scans), which keeps peak heights and positions. Peaks:
:func:`scipy.signal.find_peaks` on the smoothed, baseline-free trace with the dye's analytical
threshold (RFU) as the minimum height and half of it as the minimum prominence; the apex is
refined by a parabola through the three highest samples.

Off-scale: a peak is ``saturated`` when the raw signal within it reaches ``saturation_rfu`` or
when the instrument listed one of its scans as off-scale (the ABIF ``OfSc`` entry). A saturated
peak has a flat, wavy or split top, so it can show two local maxima: two neighbouring
saturated maxima are one peak when every scan between them is off-scale (the raw signal at
``saturation_rfu`` or listed in ``OfSc``: one saturated stretch, however deep the split the
detector's saturation made in it) or when the dip between them is no deeper than
``plateau_dip`` of the lower one (``min(signal between) >= (1 - plateau_dip) *
min(apexes)``). The merged peak has the higher height, the apex midway between them, the
width from the first's left to the last's right half-height crossing and the area summed
over the merged extent. The ABIF
specification's ``OfSc`` is a list of scan numbers only, with no dye; :func:`off_scale_by_dye`
gives each listed scan to the dye whose raw signal is highest around it (the dye that saturated
the detector; the others show its pull-up there). Heights of saturated peaks are lower bounds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.ndimage import (  # type: ignore[import-untyped]
    maximum_filter1d,
    minimum_filter1d,
    uniform_filter1d,
)
from scipy.signal import find_peaks, savgol_filter  # type: ignore[import-untyped]

from locard.errors import InvalidParameter

__all__ = ["Peak", "SignalParameters", "detect_peaks", "off_scale_by_dye", "process_trace",
           "remove_baseline"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class SignalParameters:
    """Parameters of trace processing; every value is in scans or RFU.

    ``analytical_threshold`` applies to every dye without an entry in ``dye_thresholds``
    (keyed by 1-based dye number). 50 RFU is a common laboratory default, not a validated
    value for any instrument."""

    analytical_threshold: float = 50.0
    dye_thresholds: Mapping[int, float] = field(default_factory=dict)
    baseline_window: int = 201
    smoothing_window: int = 7
    saturation_rfu: float = 32000.0
    min_distance: int = 3
    plateau_dip: float = 0.1

    def __post_init__(self) -> None:
        for name, value in (("analytical_threshold", self.analytical_threshold),
                            *((f"dye_thresholds[{k}]", v) for k, v in
                              self.dye_thresholds.items())):
            if not value > 0:
                raise InvalidParameter(name, value, expected="a threshold above 0 RFU")
        if self.baseline_window < 3:
            raise InvalidParameter("baseline_window", self.baseline_window,
                                   expected="at least 3 scans")
        if self.smoothing_window < 3 or self.smoothing_window % 2 == 0:
            raise InvalidParameter("smoothing_window", self.smoothing_window,
                                   expected="an odd number of scans, at least 3")
        if not self.saturation_rfu > 0:
            raise InvalidParameter("saturation_rfu", self.saturation_rfu,
                                   expected="a level above 0 RFU")
        if self.min_distance < 1:
            raise InvalidParameter("min_distance", self.min_distance, expected="at least 1 scan")
        if not 0 <= self.plateau_dip < 1:
            raise InvalidParameter("plateau_dip", self.plateau_dip,
                                   expected="a fraction in [0, 1)")

    def threshold(self, dye: int) -> float:
        """The analytical threshold of dye ``dye`` (1-based)."""
        return float(self.dye_thresholds.get(dye, self.analytical_threshold))


@dataclass(frozen=True, slots=True)
class Peak:
    """One peak of one dye. ``scan`` is the refined apex (fractional scans); ``height`` is in
    RFU above the baseline; ``area`` is the baseline-free signal summed over 1.5 widths either
    side of the apex, within the peak's bases (RFU x scans); ``width`` is the full width at
    half height in scans."""

    dye: int
    scan: float
    height: float
    area: float
    width: float
    saturated: bool = False


def off_scale_by_dye(traces: Sequence[npt.ArrayLike], scans: Iterable[int], *,
                     window: int = 2) -> dict[int, list[int]]:
    """The instrument's off-scale scans (ABIF ``OfSc``, which names no dye) per dye (1-based):
    each scan goes to the dye with the highest raw signal within ``window`` scans of it. Scans
    outside the traces are dropped."""
    if window < 0:
        raise InvalidParameter("window", window, expected="0 or more scans")
    raws = [np.asarray(t, dtype=np.float64) for t in traces]
    out: dict[int, list[int]] = {dye: [] for dye in range(1, len(raws) + 1)}
    n = min((r.size for r in raws), default=0)
    for scan in scans:
        s = int(scan)
        if not 0 <= s < n:
            continue
        lo, hi = max(0, s - window), min(n, s + window + 1)
        out[1 + int(np.argmax([r[lo:hi].max() for r in raws]))].append(s)
    return out


def remove_baseline(trace: npt.ArrayLike, *, window: int = 201) -> FloatArray:
    """``trace`` minus its baseline (morphological opening then a moving average)."""
    values = np.asarray(trace, dtype=np.float64)
    if values.size == 0:
        return values
    opened = maximum_filter1d(minimum_filter1d(values, size=window, mode="nearest"),
                              size=window, mode="nearest")
    baseline = uniform_filter1d(opened, size=window, mode="nearest")
    # the opening follows the lower envelope of the noise; lift it to the noise's middle (the
    # median excess over the envelope: most scans of a trace are noise, not peaks)
    baseline = baseline + float(np.median(values - baseline))
    corrected: FloatArray = values - baseline
    return corrected


def process_trace(trace: npt.ArrayLike, *, params: SignalParameters | None = None) -> FloatArray:
    """Baseline-free, smoothed trace."""
    p = params or SignalParameters()
    corrected = remove_baseline(trace, window=p.baseline_window)
    if corrected.size < p.smoothing_window:
        return corrected
    smoothed: FloatArray = savgol_filter(corrected, p.smoothing_window, 2)
    return smoothed


def detect_peaks(trace: npt.ArrayLike, *, dye: int = 1, params: SignalParameters | None = None,
                 off_scale_scans: Iterable[int] = (), processed: FloatArray | None = None,
                 ) -> list[Peak]:
    """The peaks of one dye's raw ``trace`` at or above the dye's analytical threshold."""
    p = params or SignalParameters()
    raw = np.asarray(trace, dtype=np.float64)
    signal = process_trace(raw, params=p) if processed is None else processed
    threshold = p.threshold(dye)
    if signal.size < 3:
        return []
    apexes, props = find_peaks(signal, height=threshold, prominence=threshold / 2,
                               distance=p.min_distance, width=0, rel_height=0.5)
    off_scale = np.zeros(signal.size, dtype=bool)
    off_idx = np.fromiter((s for s in off_scale_scans if 0 <= s < signal.size), dtype=np.int64)
    off_scale[off_idx] = True
    peaks: list[Peak] = []
    for k, apex in enumerate(apexes):
        i = int(apex)
        scan = float(i)
        height = float(signal[i])
        if 0 < i < signal.size - 1:
            left, mid, right = signal[i - 1], signal[i], signal[i + 1]
            denom = left - 2 * mid + right
            if denom < 0:
                shift = 0.5 * (left - right) / denom
                scan = i + float(np.clip(shift, -0.5, 0.5))
        width = float(props["widths"][k])
        half = max(1, round(width))
        # +-1.5 FWHM (about +-3.5 sigma of a Gaussian), never past the peak's bases
        reach = max(1, round(1.5 * width))
        lo = max(int(props["left_bases"][k]), i - reach)
        hi = min(int(props["right_bases"][k]), i + reach)
        area = max(0.0, float(signal[lo:hi + 1].sum()))
        window = slice(max(0, i - half), min(signal.size, i + half + 1))
        saturated = bool(raw[window].max(initial=0.0) >= p.saturation_rfu
                         or off_scale[window].any())
        peaks.append(Peak(dye=dye, scan=scan, height=height, area=area, width=width,
                          saturated=saturated))
    off_scale |= raw[:off_scale.size] >= p.saturation_rfu
    return _merge_plateaus(peaks, signal, props, p.plateau_dip, off_scale)


def _merge_plateaus(peaks: list[Peak], signal: FloatArray, props: Mapping[str, npt.NDArray[Any]],
                    dip: float, off_scale: npt.NDArray[np.bool_]) -> list[Peak]:
    """Merge runs of neighbouring saturated maxima of one flat top (see the module
    docstring); ``props`` are :func:`scipy.signal.find_peaks`'s, in the order of ``peaks``."""
    if len(peaks) < 2:
        return peaks
    out: list[Peak] = []
    k = 0
    while k < len(peaks):
        j = k
        while j + 1 < len(peaks):
            a, b = peaks[j], peaks[j + 1]
            lo, hi = round(a.scan), round(b.scan)
            valley = float(signal[lo:hi + 1].min()) if hi > lo else min(a.height, b.height)
            stretch = bool(off_scale[lo:hi + 1].all()) if hi > lo else True
            if not (a.saturated and b.saturated
                    and (stretch or valley >= (1 - dip) * min(a.height, b.height))):
                break
            j += 1
        if j == k:
            out.append(peaks[k])
        else:
            group = peaks[k:j + 1]
            left, right = float(props["left_ips"][k]), float(props["right_ips"][j])
            reach_l = max(1, round(1.5 * group[0].width))
            reach_r = max(1, round(1.5 * group[-1].width))
            lo = max(int(props["left_bases"][k]), round(group[0].scan) - reach_l)
            hi = min(int(props["right_bases"][j]), round(group[-1].scan) + reach_r)
            out.append(Peak(dye=group[0].dye, scan=(group[0].scan + group[-1].scan) / 2,
                            height=max(q.height for q in group),
                            area=max(0.0, float(signal[lo:hi + 1].sum())),
                            width=right - left, saturated=True))
        k = j + 1
    return out
