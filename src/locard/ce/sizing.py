"""Sizing: find the internal lane standard (ILS) in its channel and size by Local Southern.

Finding the standard. The size-standard name stored in a run is unreliable (every ``.fsa`` here
says ``GSLIZ500-250POP6`` whatever was run), so the standard is recognised from the trace: each
candidate standard (those the kit accepts, from ``lane_standards.json``, derived from the OSIRIS
definitions by ``scripts/derive_ils.py``) is matched against the channel's peaks by pattern and
order, never by absolute position; among the acceptable matches, the one with the most
sizes among those that fit about as closely as the best wins.

Matching. The fragment sizes of a standard are irregularly spaced (75 100 139 150 160 ...), and
the migration speed (scans per bp) changes slowly along a run. A dynamic programme assigns each
size, in order, to a distinct peak, in order, minimising the squared log-ratio of successive
local speeds ``(x_i - x_j)/(s_k - s_{k-1})``: a peak that is not part of the standard (primer
peaks, pull-up from the loci, spikes) is simply skipped, and an assignment shifted by one size
breaks the spacing pattern and costs much more. The selected peaks are then accepted only if
(1) their positions correlate with the sizes at least as well as OSIRIS's acceptance threshold
for that standard (Pearson r, e.g. 0.993), and (2) each peak lies within ``max_residual_bp`` of
a smooth (cubic) curve of size on position through all of them. A shifted or wrong assignment
is off by tens of bp; the GS500 standards' known anomalous fragments (250 and 340 bp) are off
by up to about 3 bp on 3100 runs, hence the 4 bp default. The leave-one-out Local Southern
errors at the inner peaks are reported as well.

Local Southern (Elder & Southern 1983; GeneMapper's default): for a fragment at scan ``x``
between ILS peaks ``i`` and ``i+1``, the curve ``L = L0 + c/(x - x0)`` through peaks
``i-1, i, i+1`` and the one through ``i, i+1, i+2`` each give a size; the size is their mean
(one curve at the ends; beyond the first or last ILS peak the edge curve extrapolates and
:meth:`SizingResult.size` says so through :meth:`SizingResult.in_range`). With
``a = x0, b = L0, d = c - L0 x0`` the curve is ``L x = a L + b x + d``, linear in ``(a, b, d)``:
three points give a 3x3 linear system.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from locard.ce.abif import AbifRun
from locard.ce.signal import Peak, SignalParameters, detect_peaks, off_scale_by_dye
from locard.errors import CEAnalysisError, InvalidParameter

__all__ = [
    "LaneStandard",
    "SizingResult",
    "get_lane_standard",
    "lane_standards_for_kit",
    "list_lane_standards",
    "local_southern",
    "size_run",
]

FloatArray = npt.NDArray[np.float64]
MAX_CANDIDATE_PEAKS = 200
"""The tallest peaks of the ILS channel kept for matching (bounds the matching work)."""
MATCH_WINDOW = 16
"""At most ``MATCH_WINDOW - 1`` foreign peaks between two successive lane-standard peaks."""


@dataclass(frozen=True, slots=True)
class LaneStandard:
    """One internal lane standard: its fragment sizes (bp, ascending) and OSIRIS's acceptance
    threshold for the correlation of peak position with size."""

    name: str
    family: str
    dye: str
    sizes: tuple[float, ...]
    correlation_acceptance: float
    display_name: str | None = None


@dataclass(frozen=True, slots=True)
class KitLaneStandards:
    """The internal lane standards a kit can be run with, and the dye they are in."""
    kit: str
    ils_dye: int
    standards: tuple[LaneStandard, ...]


@cache
def _table() -> dict[str, Any]:
    text = resources.files("locard.data").joinpath("lane_standards.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def _standards() -> dict[str, LaneStandard]:
    return {
        r["name"]: LaneStandard(name=r["name"], family=r["family"], dye=r["dye"],
                                sizes=tuple(float(s) for s in r["sizes"]),
                                correlation_acceptance=float(r["correlation_acceptance"]),
                                display_name=r.get("display_name"))
        for r in _table()["lane_standards"]
    }


def list_lane_standards() -> list[LaneStandard]:
    """Every lane standard Locard knows (from the OSIRIS definitions)."""
    return list(_standards().values())


def get_lane_standard(name: str) -> LaneStandard:
    """The lane standard called ``name`` (OSIRIS's name, case-insensitive)."""
    table = _standards()
    found = table.get(name) or next((s for k, s in table.items()
                                     if k.lower() == name.strip().lower()), None)
    if found is None:
        raise CEAnalysisError(f"unknown lane standard {name!r}",
                              remedy="from Python, locard.ce.list_lane_standards() lists them")
    return found


def lane_standards_for_kit(kit: str) -> KitLaneStandards:
    """The ILS dye (1-based, the raw file's channel) and the standards ``kit`` accepts."""
    from locard.genetics.kits import get_kit

    name = get_kit(kit).name
    record = _table()["kits"].get(name)
    if record is None:
        raise CEAnalysisError(f"no lane standards are defined for kit {name!r}",
                              remedy="from Python, pass standards= and ils_dye= to size_run")
    return KitLaneStandards(kit=name, ils_dye=int(record["ils_fsa_channel"]),
                            standards=tuple(_standards()[n] for n in record["lane_standards"]))


# --- Local Southern ------------------------------------------------------------------------


def _southern_coefficients(x: FloatArray, s: FloatArray) -> FloatArray:
    """(a, b, d) of ``L x = a L + b x + d`` through each run of three consecutive points."""
    n = x.shape[0] - 2
    if n < 1:
        return np.empty((0, 3))
    rows = np.stack([np.stack([s[i:i + n], x[i:i + n], np.ones(n)], axis=-1)
                     for i in range(3)], axis=1)  # (n, 3 points, 3 unknowns)
    rhs = np.stack([s[i:i + n] * x[i:i + n] for i in range(3)], axis=1)
    # collinear triplets have no finite Southern curve (c -> infinity): marked NaN, and
    # local_southern interpolates linearly there
    scale = np.abs(rows).max(axis=(1, 2)) ** 2 * np.abs(rows[:, :, 1]).max(axis=1)
    singular = np.abs(np.linalg.det(rows)) <= 1e-12 * scale
    rows[singular] = np.eye(3)
    coef: FloatArray = np.linalg.solve(rows, rhs[..., None])[..., 0]
    coef[singular] = np.nan
    return coef


def _southern_eval(coef: FloatArray, x: FloatArray) -> FloatArray:
    a, b, d = coef[..., 0], coef[..., 1], coef[..., 2]
    out: FloatArray = (b * x + d) / (x - a)
    return out


def local_southern(ils_scans: Sequence[float] | FloatArray,
                   ils_sizes: Sequence[float] | FloatArray,
                   scans: npt.ArrayLike) -> FloatArray:
    """Sizes (bp) of ``scans`` by Local Southern on the ILS points (at least three)."""
    x = np.asarray(ils_scans, dtype=np.float64)
    s = np.asarray(ils_sizes, dtype=np.float64)
    q = np.atleast_1d(np.asarray(scans, dtype=np.float64))
    if x.shape[0] < 3:
        raise CEAnalysisError("Local Southern sizing needs at least three lane-standard peaks")
    coef = _southern_coefficients(x, s)
    m = coef.shape[0]  # triplets 0..m-1; triplet j covers points j, j+1, j+2
    interval = np.clip(np.searchsorted(x, q, side="right") - 1, 0, x.shape[0] - 2)
    lower = np.clip(interval - 1, 0, m - 1)  # triplet (i-1, i, i+1)
    upper = np.clip(interval, 0, m - 1)      # triplet (i, i+1, i+2)
    with np.errstate(divide="ignore", invalid="ignore"):
        first = _southern_eval(coef[lower], q)
        second = _southern_eval(coef[upper], q)
    both = (interval >= 1) & (interval <= m - 1)
    sizes: FloatArray = np.where(both, 0.5 * (first + second),
                                 np.where(interval < 1, second, first))
    degenerate = ~np.isfinite(sizes)
    if degenerate.any():
        i = interval[degenerate]
        slope = (s[i + 1] - s[i]) / (x[i + 1] - x[i])
        sizes[degenerate] = s[i] + slope * (q[degenerate] - x[i])
    return sizes


# --- matching ----------------------------------------------------------------------------


def _match(positions: FloatArray, sizes: FloatArray, *, tolerance: float,
           window: int = MATCH_WINDOW) -> tuple[list[int], float] | None:
    """Indices of the peaks assigned to ``sizes`` in order, and the mean cost per step.

    State ``(j, d)``: the previous size on peak ``j``, the current one on peak ``j + d``, with
    ``1 <= d <= window`` (at most ``window - 1`` foreign peaks between two ILS peaks); the
    work is ``len(sizes) * len(positions) * window**2``."""
    m, n = positions.shape[0], sizes.shape[0]
    if m < n or n < 3:
        return None
    w = max(1, min(window, m - 1))
    j_idx = np.arange(m)[:, None]
    d_idx = np.arange(1, w + 1)[None, :]
    ahead = j_idx + d_idx  # (m, w): peak j + d
    behind = j_idx - d_idx  # (m, w): peak j - d
    with np.errstate(divide="ignore", invalid="ignore"):
        fwd = np.where(ahead < m, np.log(positions[np.minimum(ahead, m - 1)] - positions[:, None]),
                       np.inf)
        bwd = np.where(behind >= 0, np.log(positions[:, None] - positions[np.maximum(behind, 0)]),
                       np.inf)
    fwd = np.where(np.isfinite(fwd), fwd, np.inf)
    bwd = np.where(np.isfinite(bwd), bwd, np.inf)
    cost = np.where(np.isfinite(fwd), 0.0, np.inf)  # cost[j, d]: sizes 0, 1 on j, j + d
    back: list[npt.NDArray[np.intp]] = []
    for k in range(2, n):
        speed_prev = bwd - math.log(sizes[k - 1] - sizes[k - 2])  # (j, d1): peaks j-d1 -> j
        speed_next = fwd - math.log(sizes[k] - sizes[k - 1])      # (j, d2): peaks j -> j+d2
        previous = np.where(behind >= 0, cost[np.maximum(behind, 0), d_idx - 1], np.inf)
        with np.errstate(invalid="ignore"):
            total = previous[:, :, None] + ((speed_next[:, None, :] - speed_prev[:, :, None])
                                            / tolerance) ** 2
        total = np.where(np.isnan(total), np.inf, total)
        best = np.argmin(total, axis=1)  # (j, d2) -> d1 index
        cost = np.take_along_axis(total, best[:, None, :], axis=1)[:, 0, :]
        back.append(best)
    flat = int(np.argmin(cost))
    j, d = divmod(flat, w)
    final = float(cost[j, d])
    if not np.isfinite(final):
        return None
    chosen = [j + d + 1, j]
    for best in reversed(back):
        d1 = int(best[j, d]) + 1
        j, d = j - d1, d1 - 1
        chosen.append(j)
    chosen.reverse()
    return chosen, final / max(1, n - 2)


@dataclass(frozen=True, slots=True, eq=False)
class SizingResult:
    """The lane standard found in a run and the Local Southern fit on it.

    ``ok`` is False when no candidate standard could be fitted; ``reason`` then says why, for
    each candidate (``candidates``: name, accepted, and what was measured). ``correlation`` is
    Pearson's r of ILS peak position with size; ``residuals`` are the deviations (bp) of the
    ILS peaks from a smooth cubic of size on position, ``max_residual`` the largest magnitude;
    ``loo_residuals`` are the leave-one-out Local Southern errors at the inner ILS peaks.
    ``flags`` are warnings that do not fail the sample (lane-standard peaks below
    ``min_ils_rfu``)."""

    sample: str
    ok: bool
    reason: str | None
    standard: LaneStandard | None
    dye: int
    ils_scans: tuple[float, ...] = ()
    ils_sizes: tuple[float, ...] = ()
    ils_heights: tuple[float, ...] = ()
    correlation: float = float("nan")
    residuals: tuple[float, ...] = ()
    loo_residuals: tuple[float, ...] = ()
    flags: tuple[str, ...] = ()
    candidates: tuple[tuple[str, bool, str], ...] = field(default=())
    method: str = "Local Southern"

    @property
    def max_residual(self) -> float:
        """The largest absolute sizing residual (bp); NaN without residuals."""
        return max((abs(r) for r in self.residuals), default=float("nan"))

    @property
    def rms_residual(self) -> float:
        """The root mean square of the sizing residuals (bp): sqrt(sum r^2 / n); NaN without
        residuals.
        """
        if not self.residuals:
            return float("nan")
        return math.sqrt(sum(r * r for r in self.residuals) / len(self.residuals))

    def size(self, scans: npt.ArrayLike) -> FloatArray:
        """Sizes in bp of ``scans`` (fractional scans allowed)."""
        if not self.ok:
            raise CEAnalysisError(f"cannot size: {self.reason}", sample=self.sample)
        return local_southern(self.ils_scans, self.ils_sizes, scans)

    def in_range(self, scans: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether each scan lies between the first and last ILS peak (no extrapolation)."""
        q = np.asarray(scans, dtype=np.float64)
        inside: npt.NDArray[np.bool_] = ((q >= self.ils_scans[0]) & (q <= self.ils_scans[-1])
                                         if self.ok else np.zeros(q.shape, dtype=bool))
        return inside


def _leave_one_out(x: FloatArray, s: FloatArray) -> list[float]:
    out: list[float] = []
    for k in range(1, x.shape[0] - 1):
        keep = np.ones(x.shape[0], dtype=bool)
        keep[k] = False
        if keep.sum() < 3:
            break
        predicted = float(local_southern(x[keep], s[keep], [x[k]])[0])
        out.append(predicted - float(s[k]))
    return out


def _fit_standard(peaks: list[Peak], standard: LaneStandard, *, tolerance: float,
                  max_residual_bp: float) -> tuple[bool, str, dict[str, Any]]:
    positions = np.array([p.scan for p in peaks], dtype=np.float64)
    sizes = np.array(standard.sizes, dtype=np.float64)
    if positions.shape[0] < sizes.shape[0]:
        return False, (f"{positions.shape[0]} peaks above the threshold, the standard has "
                       f"{sizes.shape[0]}"), {}
    matched = _match(positions, sizes, tolerance=tolerance)
    if matched is None:
        return False, "no ordered assignment of the standard's sizes to peaks", {}
    chosen, step_cost = matched
    x = positions[chosen]
    r = float(np.corrcoef(x, sizes)[0, 1])
    smooth = np.polynomial.Polynomial.fit(x, sizes, deg=min(3, sizes.shape[0] - 1))
    residuals = [float(v) for v in smooth(x) - sizes]
    worst = max(abs(v) for v in residuals)
    fit = {"chosen": chosen, "correlation": r, "residuals": residuals,
           "loo": _leave_one_out(x, sizes), "step_cost": step_cost}
    if not r >= standard.correlation_acceptance:
        return False, (f"correlation {r:.4f} is below the standard's acceptance "
                       f"{standard.correlation_acceptance}"), fit
    if worst > max_residual_bp:
        return False, (f"a lane-standard peak is {worst:.2f} bp off a smooth curve through "
                       f"all of them (limit {max_residual_bp} bp)"), fit
    return True, f"r = {r:.5f}, largest deviation from a smooth curve {worst:.2f} bp", fit


def size_run(run: AbifRun, *, kit: str | None = None,
             standards: Iterable[LaneStandard] | None = None, ils_dye: int | None = None,
             params: SignalParameters | None = None, tolerance: float = 0.12,
             max_residual_bp: float = 4.0, min_ils_rfu: float = 150.0) -> SizingResult:
    """Find the lane standard in ``run`` and fit Local Southern sizing to it.

    ``kit`` gives the ILS dye and the candidate standards (OSIRIS's definitions);
    ``standards``/``ils_dye`` override them. ``tolerance`` is the allowed change of log
    migration speed between successive ILS intervals (0.12: about 12 %); ``max_residual_bp``
    the largest deviation of an ILS peak from a smooth curve through all of them;
    ``min_ils_rfu`` the height below which a matched ILS peak is flagged ("ILS too low").
    Returns a result with ``ok`` False and a ``reason`` when no candidate fits (the sample
    fails)."""
    if not tolerance > 0:
        raise InvalidParameter("tolerance", tolerance, expected="a value above 0")
    if not max_residual_bp > 0:
        raise InvalidParameter("max_residual_bp", max_residual_bp, expected="a value above 0 bp")
    if not min_ils_rfu >= 0:
        raise InvalidParameter("min_ils_rfu", min_ils_rfu, expected="a height of 0 RFU or more")
    candidates: tuple[LaneStandard, ...]
    if kit is not None:
        kit_standards = lane_standards_for_kit(kit)
        dye = ils_dye or kit_standards.ils_dye
        candidates = tuple(standards) if standards is not None else kit_standards.standards
    else:
        dye = ils_dye or (5 if run.n_dyes >= 5 else run.n_dyes)
        candidates = tuple(standards) if standards is not None else tuple(list_lane_standards())
    if not 1 <= dye <= run.n_dyes:
        raise InvalidParameter("ils_dye", dye, expected=f"a dye of this run, 1 to {run.n_dyes}")
    off_scale = run.values.get("OfSc1")
    off = off_scale_by_dye(run.traces, () if off_scale is None
                           else np.atleast_1d(np.asarray(off_scale)).tolist())
    peaks = detect_peaks(run.trace(dye), dye=dye, params=params,
                         off_scale_scans=off.get(dye, ()))
    peaks = [p for p in peaks if not p.saturated]
    if len(peaks) > MAX_CANDIDATE_PEAKS:
        tallest = sorted(peaks, key=lambda p: -p.height)[:MAX_CANDIDATE_PEAKS]
        peaks = sorted(tallest, key=lambda p: p.scan)
    tried: list[tuple[str, bool, str]] = []
    accepted_fits: list[tuple[LaneStandard, dict[str, Any]]] = []
    for standard in candidates:
        accepted, note, fit = _fit_standard(peaks, standard, tolerance=tolerance,
                                            max_residual_bp=max_residual_bp)
        tried.append((standard.name, accepted, note))
        if accepted:
            accepted_fits.append((standard, fit))
    best: tuple[LaneStandard, dict[str, Any]] | None = None
    if accepted_fits:
        # the close fits (RMS deviation within max(2 x, 0.5 bp more than) the best), then the
        # most sizes: a shorter variant of the standard fits a subset slightly better, and a
        # misassigned longer variant fits much worse
        rms = [math.sqrt(float(np.mean(np.square(f["residuals"])))) for _, f in accepted_fits]
        limit = max(2.0 * min(rms), min(rms) + 0.5)
        close = [(sf, r) for sf, r in zip(accepted_fits, rms, strict=True) if r <= limit]
        best = max(close, key=lambda c: (len(c[0][0].sizes), -c[1]))[0]
    if best is None:
        reason = ("no lane standard could be fitted in dye "
                  f"{dye} ({run.dyes[dye - 1]}): "
                  + "; ".join(f"{name}: {note}" for name, _, note in tried))
        return SizingResult(sample=run.sample_name or run.path, ok=False, reason=reason,
                            standard=None, dye=dye, candidates=tuple(tried))
    standard, fit = best
    chosen = fit["chosen"]
    low = [f"{size:g} bp ({peaks[i].height:.0f} RFU)"
           for size, i in zip(standard.sizes, chosen, strict=True)
           if peaks[i].height < min_ils_rfu]
    flags = ([f"ILS too low: {len(low)} lane-standard peak(s) below {min_ils_rfu:g} RFU: "
              + ", ".join(low)] if low else [])
    return SizingResult(
        sample=run.sample_name or run.path,
        ok=True,
        reason=None,
        standard=standard,
        dye=dye,
        ils_scans=tuple(peaks[i].scan for i in chosen),
        ils_sizes=standard.sizes,
        ils_heights=tuple(peaks[i].height for i in chosen),
        correlation=fit["correlation"],
        residuals=tuple(fit["residuals"]),
        loo_residuals=tuple(fit["loo"]),
        flags=tuple(flags),
        candidates=tuple(tried),
    )
