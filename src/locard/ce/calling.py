"""Allele calling: locate the allelic ladder, build the run's bins, call sample peaks into them.

Ladder. The kit definitions' fragment lengths (``KitLocus.ladder_bp``, OSIRIS's nominal bp)
are not where the fragments run: measured sizes differ from them by -6.5 to +12 bp depending
on the locus, and the spacing of a locus's alleles is stretched or compressed by a few per
cent. So each locus's ladder is found by pattern and order within its dye, not by absolute
size: among the locus's tall peaks (at least ``min_relative_height`` of the median height of
the tallest ones, which leaves out stutter, pull-up and noise) within a window of the nominal
range widened by ``-max_offset_bp``/``+max_offset_bp``, every pair (first allele, last allele)
defines an affine map ``measured = a + b * nominal`` with ``b`` within ``max_stretch`` of 1;
the map that places the most ladder alleles within ``tolerance_bp`` of a peak (and, among
those, the smallest squared deviation) wins, and the alleles are then assigned in order by
a monotone dynamic programme. A locus whose ladder peaks cannot all be found is reported per
locus (``missing``), never forced.

Bins (GeneMapper's and OSIRIS's convention): a ladder allele's bin is centred on its measured
size in the ladder run, ``bin_half_width`` (0.5 bp) either side. Virtual bins: between ladder
alleles, every whole-base position (``repeats * unit + variant`` bases, e.g. TH01 9.3 = 39
bases) that is not a ladder allele has a bin centred on the size interpolated linearly in
bases between the flanking ladder alleles (so a missing 13 between 12 and 14, or a 9.1). A
peak inside a locus window but in no bin, or beyond the ladder's first or last allele, is
off-ladder (``OL``).

Filters applied before a peak is called an allele (each one recorded with its reason on the
peak, never silently dropped): back stutter (a peak one repeat shorter than a taller allele
and at most ``stutter`` of its height; per-locus ratios in ``stutter_ratios``), pull-up (a peak
within ``pullup_scans`` of a peak of another dye at least ``1 / pullup_ratio`` times taller),
spikes (a peak within ``spike_scans`` of a peak in every other dye), minus-A (one base
shorter than an allele, at most ``minus_a`` of its height), and a peak below
``min_peak_fraction`` of the locus's tallest (OSIRIS's fractional filter). These are simple
first-line rules with laboratory-style defaults, not validated thresholds.

Ladder quality (:func:`ladder_problems`, thresholds in :class:`LadderChecks`). A ladder can
place all its alleles and still be a questionable source of bins; like OSIRIS's ladder
checks (extraneous peaks in a ladder locus, irregular spacing, ladder peaks below the
ladder's fractional filter), each locus of the ladder run gets a list of ``problems``:

(a) extra peaks: within the locus's ladder range (first to last found allele,
    ``tolerance_bp`` either side) a peak that is no ladder allele and is a *spike* (narrower
    than ``spike_width_fraction`` of its dye's median width with a peak within
    ``spike_scans`` in at least ``spike_min_dyes`` dyes, :func:`spike_dyes`) of at least
    ``spike_fraction`` of the locus's median allele height, or any other peak of at least
    ``extra_fraction`` of that median that no rule explains: not back or forward stutter
    (one repeat, ``unit x stretch`` bp within ``tolerance_bp``, from a ladder allele) nor
    minus-A or minus-2 (0.5 to 2.5 bp below a ladder allele) at most ``stutter_ratio`` of
    that allele's height (ladders stutter more than samples: up to 0.45 in the reference
    ladders, whose neighbouring alleles differ in height), not pull-up (a peak of another
    dye within ``pullup_scans``, ``height <= pullup_ratio x`` its height);
(b) spacing: a step between successive found alleles that differs from the kit's nominal
    step times the locus's fitted stretch by more than ``spacing_tolerance_bp``
    (``|(s_j - s_i) - b (n_j - n_i)| > tol``);
(c) heights: a found allele below ``min_allele_fraction`` of the locus's median allele
    height.

A problem does not stop calling (the bins are there); every sample called against the
ladder is flagged ``ladder`` at that locus (:func:`locard.ce.artefacts.review`), naming the
ladder file and the problem, for the analyst to judge. The defaults are set from the
Identifiler, PowerPlex 16, Profiler Plus and COfiler ladders in the reference data (lowest
allele 0.49 of the median, largest step deviation 1.13 bp, tallest unexplained extra peak
0.34 of the median), not validated values.

Sample against ladder (:func:`ladder_offsets`, :func:`ladder_shift`). A ladder from another
run can be regular in itself and still be shifted against the sample (the 2002-10-03
Identifiler ladder against the 2002-08-27 samples: D19S433 13/14 sized 0.9 bp short of the
ladder's 13 and 14, called 12.3/13.3 in virtual bins). Per locus, every called peak's offset
from its nearest ladder allele is measured; when all of them (two or more) sit on the same
side by at least ``tolerance_bp`` the locus is flagged ``ladder shift``
(:func:`locard.ce.artefacts.review`), its calls kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

from locard.ce.abif import AbifRun
from locard.ce.signal import Peak, SignalParameters, detect_peaks, off_scale_by_dye
from locard.ce.sizing import SizingResult, size_run
from locard.errors import CEAnalysisError, InvalidParameter
from locard.genetics.alleles import Allele, parse_allele
from locard.genetics.kits import Kit, KitLocus, get_kit

__all__ = [
    "CalledPeak",
    "LadderChecks",
    "LadderLocus",
    "LadderResult",
    "LocusCall",
    "SampleCalls",
    "call_sample",
    "ladder_offsets",
    "ladder_problems",
    "ladder_shift",
    "locate_ladder",
    "median_width",
    "spike_dyes",
]

OFF_LADDER = "OL"
LONG_JUMP_BP = 8.0
"""A step between successive ladder alleles longer than this (nominal bp) is a long jump."""
LONG_JUMP_SLACK = 0.02
"""Extra tolerance per nominal bp of a long jump."""


def _dye(locus: KitLocus) -> int:
    return locus.fsa_channel or locus.channel


def _unit(locus: KitLocus) -> int:
    """Bases per repeat, from the ladder's own fragment lengths (4 when it cannot tell)."""
    numbered = [(a, b) for a, b in zip(locus.ladder, locus.ladder_bp, strict=False)
                if a.is_repeat]
    if len(numbered) < 2:
        return 4
    (lo, lo_bp), (hi, hi_bp) = numbered[0], numbered[-1]
    if hi.repeats <= lo.repeats:
        return 4
    unit = round((hi_bp - lo_bp - (hi.variant - lo.variant)) / (hi.repeats - lo.repeats))
    return unit if unit > 0 else 4


def _bases(allele: Allele, unit: int) -> int | None:
    return allele.repeats * unit + allele.variant if allele.is_repeat else None


@dataclass(frozen=True, slots=True)
class LadderLocus:
    """One locus as found in the ladder run. ``sizes[i]`` is the measured size (bp) of
    ``alleles[i]`` (None where it was not found), ``heights`` likewise; ``offset`` and
    ``stretch`` are the map ``measured = offset + stretch * nominal`` found for it."""

    locus: str
    dye: int
    unit: int
    alleles: tuple[str, ...]
    nominal: tuple[float, ...]
    sizes: tuple[float | None, ...]
    heights: tuple[float | None, ...]
    offset: float
    stretch: float
    window: tuple[float, float]
    problems: tuple[str, ...] = ()
    """Why the located ladder is questionable (see "Ladder quality" in the module
    docstring); empty for a good locus."""

    @property
    def found(self) -> int:
        """How many of the locus's ladder alleles were found."""
        return sum(s is not None for s in self.sizes)

    @property
    def missing(self) -> tuple[str, ...]:
        """The ladder alleles not found."""
        return tuple(a for a, s in zip(self.alleles, self.sizes, strict=True) if s is None)

    @property
    def complete(self) -> bool:
        """Whether every ladder allele of the locus was found."""
        return not self.missing

    @property
    def note(self) -> str:
        """An honest one-line account of how the ladder fitted its definition."""
        fit = (f"{self.found}/{len(self.alleles)} ladder alleles found, sizes = "
               f"{self.offset:+.2f} + {self.stretch:.4f} x nominal bp")
        if self.missing:
            fit += f"; not found: {', '.join(self.missing)}"
        if self.problems:
            fit += f"; problems: {'; '.join(self.problems)}"
        return fit


@dataclass(frozen=True, slots=True, eq=False)
class LadderResult:
    """The allelic ladder of one run: per-locus ladder positions (the run's bins)."""

    kit: str
    file: str
    sample: str
    sizing: SizingResult
    loci: Mapping[str, LadderLocus]
    sha256: str = ""
    """SHA-256 of the ladder run's file (provenance of the bins)."""

    @property
    def expected(self) -> int:
        """How many ladder alleles the kit defines, over every locus."""
        return sum(len(locus.alleles) for locus in self.loci.values())

    @property
    def found(self) -> int:
        """How many ladder alleles were found, over every locus."""
        return sum(locus.found for locus in self.loci.values())

    @property
    def complete(self) -> bool:
        """Whether every ladder allele of every locus was found."""
        return self.found == self.expected

    def flags(self) -> list[str]:
        """One line per locus whose ladder does not fit its definition or has problems."""
        return [f"ladder {name}: {locus.note}" for name, locus in self.loci.items()
                if not locus.complete or locus.problems]

    def problems(self) -> dict[str, tuple[str, ...]]:
        """Locus -> its ladder-quality problems, for the loci that have any."""
        return {name: locus.problems for name, locus in self.loci.items() if locus.problems}

    def to_dict(self) -> dict[str, Any]:
        """The ladder's account, as ``locard ce analyze --json`` and the API give it:
        ``{"file", "found", "expected", "loci": {locus: {"found", "expected", "note",
        "problems"}}}``."""
        return {"file": self.file, "found": self.found, "expected": self.expected,
                "loci": {name: {"found": locus.found, "expected": len(locus.alleles),
                                "note": locus.note, "problems": list(locus.problems)}
                         for name, locus in self.loci.items()}}


def _tall(sizes: np.ndarray, heights: np.ndarray, count: int, fraction: float) -> np.ndarray:
    if heights.size == 0:
        return np.zeros(0, dtype=bool)
    top = np.sort(heights)[::-1][:max(1, count)]
    keep: np.ndarray = heights >= fraction * float(np.median(top))
    return keep


def _walk(start: int, x: float, nominal: np.ndarray, sizes: np.ndarray, tolerance: np.ndarray,
          max_stretch: float) -> tuple[int, float, list[int | None]]:
    """Ladder allele ``start`` on the peak at ``x``; walk outwards allele by allele, predicting
    each from the last one found and the local spacing (measured over nominal bp of the last
    two found, within ``max_stretch`` of 1), taking the nearest later (earlier) peak within
    tolerance. Returns (alleles found, squared deviation, peak index per allele)."""
    n = nominal.shape[0]
    out: list[int | None] = [None] * n
    first = int(np.argmin(np.abs(sizes - x)))
    out[start] = first
    sq = 0.0
    for step in (1, -1):
        last, prev, edge = start, -1, first
        i = start + step
        while 0 <= i < n:
            stretch = 1.0
            j_last = out[last]
            assert j_last is not None
            gap = abs(float(nominal[i] - nominal[last]))
            # a long jump (FGA's 33.2 to 42.2) takes the spacing of the whole run walked so
            # far, not the last step's, and a little more room
            ref = start if gap > LONG_JUMP_BP and last != start else prev
            if ref >= 0:
                j_ref = out[ref]
                assert j_ref is not None
                stretch = float((sizes[j_last] - sizes[j_ref]) / (nominal[last] - nominal[ref]))
                stretch = min(max(stretch, 1 - max_stretch), 1 + max_stretch)
            predicted = float(sizes[j_last]) + (nominal[i] - nominal[last]) * stretch
            allowed = tolerance[i] + (LONG_JUMP_SLACK * gap if gap > LONG_JUMP_BP else 0.0)
            d = np.abs(sizes - predicted)
            j = int(np.argmin(d))
            if d[j] <= allowed and (j - edge) * step > 0:
                out[i] = j
                sq += float(d[j]) ** 2
                prev, last, edge = last, i, j
            i += step
    return sum(k is not None for k in out), sq, out


def _fit_locus(locus: KitLocus, sizes: np.ndarray, heights: np.ndarray, *, tolerance_bp: float,
               max_offset_bp: tuple[float, float], max_stretch: float,
               min_relative_height: float) -> LadderLocus:
    nominal = np.asarray(locus.ladder_bp, dtype=np.float64)
    lo, hi = float(nominal.min()) + max_offset_bp[0], float(nominal.max()) + max_offset_bp[1]
    span = float(nominal.max() - nominal.min())
    lo_w, hi_w = lo - span * max_stretch, hi + span * max_stretch
    inside = (sizes >= lo_w) & (sizes <= hi_w)
    s, h = sizes[inside], heights[inside]
    tall = _tall(s, h, nominal.shape[0], min_relative_height)
    ts = s[tall]
    gaps = np.diff(nominal)
    near = np.minimum(np.concatenate([[np.inf], gaps]), np.concatenate([gaps, [np.inf]]))
    tolerance = np.minimum(tolerance_bp, 0.45 * near)
    best: tuple[int, float, list[int | None], float] | None = None
    th_all = h[tall]
    for start in range(min(3, nominal.shape[0])):
        for x in ts:
            if not max_offset_bp[0] <= x - nominal[start] <= max_offset_bp[1]:
                continue
            count, sq, chosen = _walk(start, float(x), nominal, ts, tolerance, max_stretch)
            # equal counts (a pattern of whole repeats shifted by one): the taller peaks win
            weight = -float(sum(np.log(th_all[j]) for j in chosen if j is not None))
            if best is None or (-count, weight, sq) < (-best[0], best[3], best[1]):
                best = (count, sq, chosen, weight)
    if best is None:
        return LadderLocus(locus=locus.name, dye=_dye(locus), unit=_unit(locus),
                           alleles=tuple(str(a) for a in locus.ladder),
                           nominal=tuple(float(x) for x in nominal),
                           sizes=(None,) * nominal.shape[0], heights=(None,) * nominal.shape[0],
                           offset=float("nan"), stretch=float("nan"), window=(lo_w, hi_w))
    chosen = best[2]
    th = h[tall]
    got = [(nominal[i], ts[j]) for i, j in enumerate(chosen) if j is not None]
    a, b = float("nan"), float("nan")
    if len(got) >= 2:
        xs, ys = np.array(got).T
        b, a = (float(v) for v in np.polyfit(xs, ys, 1))
    return LadderLocus(
        locus=locus.name, dye=_dye(locus), unit=_unit(locus),
        alleles=tuple(str(al) for al in locus.ladder),
        nominal=tuple(float(x) for x in nominal),
        sizes=tuple(None if j is None else float(ts[j]) for j in chosen),
        heights=tuple(None if j is None else float(th[j]) for j in chosen),
        offset=a, stretch=b, window=(lo_w, hi_w))


@dataclass(frozen=True, slots=True)
class LadderChecks:
    """Thresholds of the ladder-quality rules (see "Ladder quality" in the module
    docstring): fractions are of the locus's median ladder-allele height, widths of the
    dye's median peak width (FWHM), distances in scans or bp as named."""

    extra_fraction: float = 0.5
    stutter_ratio: float = 0.5
    spike_fraction: float = 0.2
    spike_width_fraction: float = 0.5
    spike_min_dyes: int = 3
    spike_scans: float = 2.0
    pullup_ratio: float = 0.1
    pullup_scans: float = 2.0
    spacing_tolerance_bp: float = 1.5
    min_allele_fraction: float = 0.3

    def __post_init__(self) -> None:
        for name, value in (("extra_fraction", self.extra_fraction),
                            ("stutter_ratio", self.stutter_ratio),
                            ("spike_fraction", self.spike_fraction),
                            ("spike_width_fraction", self.spike_width_fraction),
                            ("pullup_ratio", self.pullup_ratio),
                            ("min_allele_fraction", self.min_allele_fraction)):
            if not 0 < value <= 1:
                raise InvalidParameter(name, value, expected="a fraction in (0, 1]")
        if self.spike_min_dyes < 2:
            raise InvalidParameter("spike_min_dyes", self.spike_min_dyes,
                                   expected="at least 2 dyes")
        for name, value in (("spike_scans", self.spike_scans),
                            ("pullup_scans", self.pullup_scans)):
            if not value >= 0:
                raise InvalidParameter(name, value, expected="0 or more scans")
        if not self.spacing_tolerance_bp > 0:
            raise InvalidParameter("spacing_tolerance_bp", self.spacing_tolerance_bp,
                                   expected="a distance above 0 bp")


def median_width(peaks: Sequence[Peak]) -> float:
    """The median full width at half height (scans) of the unsaturated ``peaks`` (NaN when
    there are none): the yardstick of the spike and dye-blob rules."""
    widths = [p.width for p in peaks if not p.saturated]
    return float(np.median(widths)) if widths else float("nan")


def spike_dyes(peak: Peak, every: Sequence[Peak], *, typical_width: float,
               width_fraction: float = 0.5, min_dyes: int = 3,
               scans: float = 2.0) -> tuple[int, ...] | None:
    """The dyes with a peak within ``scans`` of ``peak`` (its own dye included) when
    ``peak`` is a spike, else None. A spike (an electrical spike or an air bubble) crosses
    every colour at once and is sharper than DNA: ``width < width_fraction x
    typical_width`` (the dye's median FWHM, :func:`median_width`) and peaks in at least
    ``min_dyes`` dyes within ``scans`` of its apex, ``every`` holding the peaks of every dye
    of the run."""
    if not peak.width < width_fraction * typical_width:
        return None
    dyes = {q.dye for q in every if abs(q.scan - peak.scan) <= scans} | {peak.dye}
    return tuple(sorted(dyes)) if len(dyes) >= min_dyes else None


def ladder_problems(locus: LadderLocus, peaks: Sequence[Peak], sizes: npt.ArrayLike,
                    every: Sequence[Peak], *, checks: LadderChecks | None = None,
                    tolerance_bp: float = 1.0) -> tuple[str, ...]:
    """The ladder-quality problems of ``locus`` as located in a ladder run (rules (a) to
    (c), "Ladder quality" in the module docstring). ``peaks`` are the peaks of the
    locus's dye with their ``sizes`` (bp), ``every`` the peaks of every dye of the run
    (spikes and pull-up), ``tolerance_bp`` the ladder fit's tolerance. A locus with fewer
    than two found alleles has no problems here: it is already incomplete."""
    c = checks or LadderChecks()
    sz = np.asarray(sizes, dtype=np.float64)
    found = [(a, n, s, h) for a, n, s, h in zip(locus.alleles, locus.nominal, locus.sizes,
                                                 locus.heights, strict=True)
             if s is not None and h is not None]
    if len(found) < 2:
        return ()
    heights = np.array([h for *_, h in found])
    median = float(np.median(heights))
    stretch = locus.stretch if np.isfinite(locus.stretch) else 1.0
    repeat = locus.unit * stretch
    out: list[str] = []
    # (a) extra peaks
    at = np.array([s for _, _, s, _ in found])
    lo, hi = float(at.min()) - tolerance_bp, float(at.max()) + tolerance_bp
    width = median_width(peaks)

    def explained(p: Peak, size: float) -> bool:
        for _, _, s, h in found:
            if p.height > c.stutter_ratio * h:
                continue
            if (abs(s - repeat - size) <= tolerance_bp or abs(s + repeat - size) <= tolerance_bp
                    or 0.5 <= s - size <= 2.5):
                return True
        return any(q.dye != p.dye and abs(q.scan - p.scan) <= c.pullup_scans
                   and p.height <= c.pullup_ratio * q.height for q in every)

    for p, size in zip(peaks, sz.tolist(), strict=True):
        if not lo <= size <= hi or np.any(at == size):
            continue
        dyes = spike_dyes(p, every, typical_width=width, width_fraction=c.spike_width_fraction,
                          min_dyes=c.spike_min_dyes, scans=c.spike_scans)
        if dyes is not None and p.height >= c.spike_fraction * median:
            out.append(f"a spike among the ladder alleles at {size:.2f} bp ({p.height:.0f} RFU, "
                       f"{p.width:.1f} scans wide, < spike_width_fraction = "
                       f"{c.spike_width_fraction:g} of the dye's median {width:.1f}; peaks at "
                       f"scan {p.scan:.0f} in dyes {list(dyes)})")
        elif p.height >= c.extra_fraction * median and not explained(p, size):
            allele, kind, _ = _designate(size, locus, 0.5)
            where = (f" where {allele} would be (not an allele of the kit's ladder)"
                     if kind == "virtual" else "")
            near = [q for q in every if q.dye != p.dye and abs(q.scan - p.scan) <= c.pullup_scans]
            beside = ""
            if near:
                q = max(near, key=lambda q: q.height)
                beside = (f"; dye {q.dye} has a {q.height:.0f} RFU peak at scan {q.scan:.0f} "
                          f"(ratio {p.height / q.height:.2f}, above pullup_ratio = "
                          f"{c.pullup_ratio:g})")
            out.append(f"an extra peak among the ladder alleles at {size:.2f} bp{where} "
                       f"({p.height:.0f} RFU, {p.height / median:.0%} of the median allele "
                       f"{median:.0f} RFU, >= extra_fraction = {c.extra_fraction:g}) that is no "
                       f"ladder allele, stutter, minus-A or pull-up{beside}")
    # (b) spacing
    for (a0, n0, s0, _), (a1, n1, s1, _) in pairwise(found):
        expected = stretch * (n1 - n0)
        if abs((s1 - s0) - expected) > c.spacing_tolerance_bp:
            out.append(f"irregular spacing {a0} to {a1}: {s1 - s0:.2f} bp where the kit's "
                       f"{n1 - n0:g} bp x stretch {stretch:.4f} gives {expected:.2f} (off by "
                       f"{(s1 - s0) - expected:+.2f} bp, beyond spacing_tolerance_bp = "
                       f"{c.spacing_tolerance_bp:g})")
    # (c) heights
    for a, _, s, h in found:
        if h < c.min_allele_fraction * median:
            out.append(f"ladder allele {a} at {s:.2f} bp is {h:.0f} RFU, {h / median:.0%} of "
                       f"the locus's median {median:.0f} RFU (< min_allele_fraction = "
                       f"{c.min_allele_fraction:g})")
    return tuple(out)


def _sized_peaks(run: AbifRun, sizing: SizingResult, dyes: Sequence[int],
                 params: SignalParameters | None) -> dict[int, tuple[list[Peak], np.ndarray]]:
    off_scale = run.values.get("OfSc1")
    off = off_scale_by_dye(run.traces, () if off_scale is None
                           else np.atleast_1d(np.asarray(off_scale)).tolist())
    out: dict[int, tuple[list[Peak], np.ndarray]] = {}
    for dye in dyes:
        peaks = detect_peaks(run.trace(dye), dye=dye, params=params,
                             off_scale_scans=off.get(dye, ()))
        scans = np.array([p.scan for p in peaks], dtype=np.float64)
        keep = sizing.in_range(scans) if peaks else np.zeros(0, dtype=bool)
        peaks = [p for p, k in zip(peaks, keep, strict=True) if k]
        sizes = sizing.size([p.scan for p in peaks]) if peaks else np.zeros(0)
        out[dye] = (peaks, sizes)
    return out


def _sizing_for(run: AbifRun, kit: Kit, sizing: SizingResult | None,
                params: SignalParameters | None) -> SizingResult:
    result = sizing if sizing is not None else size_run(run, kit=kit.name, params=params)
    if not result.ok:
        raise CEAnalysisError(f"the lane standard could not be fitted: {result.reason}",
                              sample=run.sample_name or run.path,
                              remedy="check the run's size-standard channel (dye "
                                     f"{result.dye}); the sample cannot be sized")
    return result


def locate_ladder(run: AbifRun, *, kit: str, sizing: SizingResult | None = None,
                  params: SignalParameters | None = None, tolerance_bp: float = 1.0,
                  max_offset_bp: tuple[float, float] = (-10.0, 15.0), max_stretch: float = 0.08,
                  min_relative_height: float = 0.2,
                  checks: LadderChecks | None = None) -> LadderResult:
    """Find every ladder allele of every locus of ``kit`` in the allelic-ladder ``run``.

    ``tolerance_bp``: how far a ladder peak may lie from the locus's affine map (less where
    the nominal alleles are closer than 2.2 bp: 0.45 of the gap); ``max_offset_bp``: the
    range of the locus's shift from its nominal bp; ``max_stretch``: how far the spacing may
    differ from nominal (0.08: 8 %); ``min_relative_height``: the height, relative to the
    median of the locus's tallest peaks, below which a peak is not a ladder candidate;
    ``checks``: the ladder-quality thresholds (:class:`LadderChecks`), whose findings are
    each locus's ``problems`` (:func:`ladder_problems`)."""
    if not tolerance_bp > 0:
        raise InvalidParameter("tolerance_bp", tolerance_bp, expected="a value above 0 bp")
    if not 0 <= max_stretch < 1:
        raise InvalidParameter("max_stretch", max_stretch, expected="a fraction in [0, 1)")
    if not 0 <= min_relative_height < 1:
        raise InvalidParameter("min_relative_height", min_relative_height,
                               expected="a fraction in [0, 1)")
    k = get_kit(kit)
    sized = _sizing_for(run, k, sizing, params)
    loci = [locus for locus in k.loci if locus.ladder_bp]
    peaks = _sized_peaks(run, sized, sorted({*(_dye(locus) for locus in loci), sized.dye}),
                         params)
    every = [p for dye_peaks, _ in peaks.values() for p in dye_peaks]
    found: dict[str, LadderLocus] = {}
    for locus in loci:
        dye_peaks, sizes = peaks[_dye(locus)]
        heights = np.array([p.height for p in dye_peaks], dtype=np.float64)
        fitted = _fit_locus(locus, sizes, heights, tolerance_bp=tolerance_bp,
                            max_offset_bp=max_offset_bp, max_stretch=max_stretch,
                            min_relative_height=min_relative_height)
        found[locus.name] = replace(fitted, problems=ladder_problems(
            fitted, dye_peaks, sizes, every, checks=checks, tolerance_bp=tolerance_bp))
    return LadderResult(kit=k.name, file=run.path, sample=run.sample_name or run.path,
                        sizing=sized, loci=found, sha256=run.sha256)


# --- calling -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalledPeak:
    """One peak in a locus window. ``allele`` is the bin's allele (``OL`` when off-ladder);
    ``bin`` is ``ladder``, ``virtual`` or ``off-ladder``; ``filtered`` is the reason the peak
    is not called (stutter, pull-up, minus-A, below ``min_peak_fraction`` of the locus's
    tallest peak), or None for a called allele (or, in no bin, an OL peak to review)."""

    locus: str
    dye: int
    allele: str
    bin: str
    size: float
    height: float
    area: float
    scan: float
    saturated: bool
    filtered: str | None = None
    bases: float | None = None


@dataclass(frozen=True, slots=True)
class LocusCall:
    """Every peak of one locus window, called or with the reason it was not."""

    locus: str
    peaks: tuple[CalledPeak, ...]

    @property
    def called(self) -> tuple[CalledPeak, ...]:
        """The peaks called as alleles: in a ladder or virtual bin, not filtered."""
        return tuple(p for p in self.peaks if p.filtered is None and p.bin != "off-ladder")

    @property
    def off_ladder(self) -> tuple[CalledPeak, ...]:
        """Unfiltered peaks in no bin: for the analyst to review, never called silently."""
        return tuple(p for p in self.peaks if p.filtered is None and p.bin == "off-ladder")

    @property
    def alleles(self) -> list[str]:
        """The called alleles, in size order."""
        return [p.allele for p in self.called]

    @property
    def heights(self) -> list[float]:
        """Heights (RFU, 0.1) of the called alleles."""
        return [round(p.height, 1) for p in self.called]

    @property
    def sizes(self) -> list[float]:
        """Sizes (bp, 0.01) of the called alleles."""
        return [round(p.size, 2) for p in self.called]

    @property
    def areas(self) -> list[float]:
        """Areas (RFU x scans, 0.1) of the called alleles."""
        return [round(p.area, 1) for p in self.called]


@dataclass(frozen=True, slots=True, eq=False)
class SampleCalls:
    """The calls of one sample run: per locus the alleles with height, size and area, every
    peak of the locus windows with the reason it was or was not called, and flags."""

    file: str
    sample: str
    sha256: str
    kit: str
    loci: Mapping[str, LocusCall]
    flags: tuple[str, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)
    sizing: SizingResult | None = field(default=None, repr=False)
    """The lane-standard fit the sample was sized with (its ``flags``: ILS peaks too low)."""
    ladder: LadderResult | None = field(default=None, repr=False)
    """The allelic ladder the sample was called against (its loci's ``problems``)."""

    def genotype(self) -> dict[str, list[str]]:
        """Locus -> called alleles, for the loci with at least one call."""
        return {name: call.alleles for name, call in self.loci.items() if call.alleles}

    def to_dict(self) -> dict[str, Any]:
        """The calls as JSON-ready data: per locus with a call its alleles, heights, sizes
        and areas; the flags and parameters."""
        return {"file": self.file, "sample": self.sample, "sha256": self.sha256,
                "kit": self.kit,
                "loci": {name: {"alleles": c.alleles, "heights": c.heights, "sizes": c.sizes,
                                "areas": c.areas}
                         for name, c in self.loci.items() if c.alleles},
                "flags": list(self.flags), "parameters": dict(self.parameters)}


def _locus_map(ladder: LadderLocus) -> tuple[np.ndarray, np.ndarray, set[int]] | None:
    """(bases, measured size) of the found ladder alleles, ascending, and the ladder bases."""
    pts: list[tuple[int, float]] = []
    for text, size in zip(ladder.alleles, ladder.sizes, strict=True):
        allele = parse_allele(text)
        b = _bases(allele, ladder.unit)
        if b is not None and size is not None:
            pts.append((b, size))
    if len(pts) < 2:
        return None
    pts.sort()
    bases = np.array([p[0] for p in pts], dtype=np.float64)
    sizes = np.array([p[1] for p in pts], dtype=np.float64)
    return bases, sizes, {p[0] for p in pts}


def _designate(size: float, ladder: LadderLocus, half: float) -> tuple[str, str, float | None]:
    """(allele, bin kind, bases) of a peak of ``size`` bp at ``ladder``'s locus."""
    for text, center in zip(ladder.alleles, ladder.sizes, strict=True):
        if center is not None and abs(size - center) <= half:
            allele = parse_allele(text)
            return text, "ladder", (None if not allele.is_repeat
                                    else float(_bases(allele, ladder.unit) or 0))
    mapping = _locus_map(ladder)
    if mapping is None:
        return OFF_LADDER, "off-ladder", None
    bases, sizes, _ = mapping
    if not sizes[0] - half <= size <= sizes[-1] + half:
        return OFF_LADDER, "off-ladder", None
    b = float(np.interp(size, sizes, bases))
    k = round(b)
    center = float(np.interp(k, bases, sizes))
    if abs(size - center) > half:
        return OFF_LADDER, "off-ladder", b
    repeats, variant = divmod(int(k), ladder.unit)
    designation = f"{repeats}.{variant}" if variant else str(repeats)
    return designation, "virtual", float(k)


def _window(ladder: LadderLocus, unit_margin: float) -> tuple[float, float] | None:
    found = [s for s in ladder.sizes if s is not None]
    if not found:
        return None
    return min(found) - unit_margin, max(found) + unit_margin


def call_sample(run: AbifRun, ladder: LadderResult, *, sizing: SizingResult | None = None,
                params: SignalParameters | None = None, bin_half_width: float = 0.5,
                stutter: float = 0.15, stutter_ratios: Mapping[str, float] | None = None,
                pullup_ratio: float = 0.1, pullup_scans: float = 1.5,
                minus_a: float = 0.3, min_peak_fraction: float = 0.1,
                spike_scans: float = 1.5) -> SampleCalls:
    """Call the alleles of sample ``run`` into ``ladder``'s bins (see the module docstring)."""
    for name, value in (("bin_half_width", bin_half_width), ("stutter", stutter),
                        ("pullup_ratio", pullup_ratio), ("minus_a", minus_a),
                        ("min_peak_fraction", min_peak_fraction),
                        *((f"stutter_ratios[{k}]", v) for k, v in (stutter_ratios or {}).items())):
        if not 0 <= value < 1 and name != "bin_half_width":
            raise InvalidParameter(name, value, expected="a ratio in [0, 1)")
    if not 0 < bin_half_width <= 2:
        raise InvalidParameter("bin_half_width", bin_half_width, expected="0 to 2 bp")
    kit = get_kit(ladder.kit)
    sized = _sizing_for(run, kit, sizing, params)
    ratios = dict(stutter_ratios or {})
    dyes = sorted({lad.dye for lad in ladder.loci.values()})
    peaks = _sized_peaks(run, sized, sorted({*dyes, sized.dye}), params)
    # pull-up: peaks of other dyes (the lane standard included) by scan
    all_peaks = [(p.scan, p.height, p.dye) for ps, _ in peaks.values() for p in ps]
    scan_arr = np.array([s for s, _, _ in all_peaks])
    height_arr = np.array([h for _, h, _ in all_peaks])
    dye_arr = np.array([d for _, _, d in all_peaks])

    n_dyes = len({d for _, _, d in all_peaks} | {sized.dye, *dyes})

    def pullup_of(p: Peak) -> str | None:
        if scan_arr.size == 0:
            return None
        same = np.abs(scan_arr - p.scan) <= spike_scans
        if len(set(dye_arr[same].tolist()) | {p.dye}) >= n_dyes >= 3:
            return f"spike: a peak at scan {p.scan:.0f} in every dye"
        near = (np.abs(scan_arr - p.scan) <= pullup_scans) & (dye_arr != p.dye)
        near &= height_arr * pullup_ratio >= p.height
        if not near.any():
            return None
        k = int(np.argmax(np.where(near, height_arr, -1.0)))
        return (f"pull-up from dye {int(dye_arr[k])} ({height_arr[k]:.0f} RFU at scan "
                f"{scan_arr[k]:.0f}; ratio {p.height / height_arr[k]:.3f} <= {pullup_ratio:g})")

    # locus windows, from the ladder run's positions, one repeat either side; a peak claimed
    # by two windows goes to the locus whose ladder range is nearer
    windows = {name: w for name, lad in ladder.loci.items()
               if (w := _window(lad, lad.unit + bin_half_width)) is not None}
    calls: dict[str, list[CalledPeak]] = {name: [] for name in ladder.loci}
    for dye in dyes:
        dye_peaks, sizes = peaks[dye]
        names = [n for n, lad in ladder.loci.items() if lad.dye == dye and n in windows]
        for p, size in zip(dye_peaks, sizes, strict=True):
            size = float(size)
            hits = [n for n in names if windows[n][0] <= size <= windows[n][1]]
            if not hits:
                continue

            def distance(n: str, size: float = size) -> float:
                lo, hi = windows[n]
                return max(lo - size, size - hi, -min(size - lo, hi - size))
            name = min(hits, key=distance)
            lad = ladder.loci[name]
            allele, kind, bases = _designate(size, lad, bin_half_width)
            calls[name].append(CalledPeak(locus=name, dye=dye, allele=allele, bin=kind,
                                          size=size, height=p.height, area=p.area, scan=p.scan,
                                          saturated=p.saturated, filtered=pullup_of(p),
                                          bases=bases))
    result: dict[str, LocusCall] = {}
    flags: list[str] = []
    for name, found in calls.items():
        lad = ladder.loci[name]
        ratio = ratios.get(name, stutter)
        filtered: list[CalledPeak] = []
        # a locus whose ladder does not fit its definition gets no calls (its bins cannot be
        # trusted): every peak says why, and the ladder's flag names the locus
        unfit = (None if lad.complete else
                 f"not called: the ladder of {name} does not fit its definition "
                 f"({lad.found}/{len(lad.alleles)} ladder alleles found)")
        for cp in found:
            reason = cp.filtered or unfit
            if reason is None and cp.bases is not None:
                for q in found:
                    if q is cp or q.filtered is not None or q.bases is None:
                        continue
                    if (q.bin != "off-ladder" and abs(q.bases - lad.unit - cp.bases) < 0.5
                            and cp.height <= ratio * q.height):
                        reason = (f"stutter of {q.allele} ({cp.height / q.height:.1%} <= "
                                  f"{ratio:.0%})")
                        break
                    if (abs(q.bases - 1 - cp.bases) < 0.6
                            and cp.height <= minus_a * q.height):
                        reason = f"minus-A of {q.allele} ({cp.height / q.height:.1%})"
                        break
            filtered.append(cp if reason == cp.filtered else CalledPeak(
                locus=cp.locus, dye=cp.dye, allele=cp.allele, bin=cp.bin, size=cp.size,
                height=cp.height, area=cp.area, scan=cp.scan, saturated=cp.saturated,
                filtered=reason, bases=cp.bases))
        tallest = max((cp.height for cp in filtered if cp.filtered is None), default=0.0)
        filtered = [cp if cp.filtered is not None or cp.height >= min_peak_fraction * tallest
                    else CalledPeak(locus=cp.locus, dye=cp.dye, allele=cp.allele, bin=cp.bin,
                                    size=cp.size, height=cp.height, area=cp.area, scan=cp.scan,
                                    saturated=cp.saturated, bases=cp.bases,
                                    filtered=(f"below {min_peak_fraction:.0%} of the locus's "
                                              f"tallest peak ({cp.height / tallest:.1%})"))
                    for cp in filtered]
        call = LocusCall(locus=name, peaks=tuple(filtered))
        result[name] = call
        for cp in call.off_ladder:
            flags.append(f"{name}: off-ladder (OL) peak at {cp.size:.2f} bp ({cp.height:.0f} RFU)"
                         ", not called")
        for cp in call.called:
            if cp.bin == "virtual":
                flags.append(f"{name}: {cp.allele} called in a virtual bin at {cp.size:.2f} bp")
            if cp.saturated:
                flags.append(f"{name}: {cp.allele} is off-scale ({cp.height:.0f} RFU, a lower "
                             "bound)")
    flags.extend(ladder.flags())
    flags.extend(sized.flags)
    parameters = {"ladder": ladder.file, "lane_standard": sized.standard.name
                  if sized.standard else None, "bin_half_width": bin_half_width,
                  "stutter": stutter, "stutter_ratios": ratios, "pullup_ratio": pullup_ratio,
                  "minus_a": minus_a, "min_peak_fraction": min_peak_fraction,
                  "analytical_threshold":
                  (params or SignalParameters()).analytical_threshold}
    return SampleCalls(file=run.path, sample=run.sample_name or run.path, sha256=run.sha256,
                       kit=kit.name, loci=result, flags=tuple(flags), parameters=parameters,
                       sizing=sized, ladder=ladder)


# --- sample against ladder ----------------------------------------------------------------


def ladder_offsets(call: LocusCall, ladder: LadderLocus) -> tuple[tuple[float, str], ...]:
    """Per called peak of ``call`` (in size order), its offset from the ladder and the ladder
    allele it is measured from: ``(o_i, a_i)`` with ``o_i = s_i - L(a_i)``, ``s_i`` the peak's
    size and ``L(a_i)`` the measured size, in the ladder run, of the found ladder allele
    ``a_i`` nearest to it (bp). A peak called into a ladder bin has ``|o_i| <= bin_half_width``;
    a peak in a virtual bin one base from a ladder allele has ``|o_i|`` near 1 bp. Empty
    when the locus's ladder has no found allele."""
    found = [(size, allele) for allele, size in zip(ladder.alleles, ladder.sizes, strict=True)
             if size is not None]
    if not found:
        return ()
    out: list[tuple[float, str]] = []
    for p in call.called:
        size, allele = min(found, key=lambda f: abs(p.size - f[0]))
        out.append((p.size - size, allele))
    return tuple(out)


def ladder_shift(offsets: Sequence[float], *, tolerance_bp: float = 0.5,
                 min_peaks: int = 2) -> float | None:
    """The shift of a sample against its ladder at one locus, or None when there is no
    evidence of one (the sample-versus-ladder check of genotyping software: GeneMapper's
    sizing quality, OSIRIS's tests of a sample's alleles against the ladder's bins).

    From the offsets ``o_i`` of the called peaks (:func:`ladder_offsets`): a shift when there
    are at least ``min_peaks`` of them, all on the same side of their nearest ladder alleles
    (all ``o_i > 0`` or all ``o_i < 0``) and every one at least ``tolerance_bp`` away,
    ``min_i |o_i| >= tolerance_bp``; the result is their mean ``sum(o_i) / n`` (bp, sample
    minus ladder). Using the smallest ``|o_i|``, not the mean, keeps a locus where one called
    peak sits on a ladder allele from being flagged (a genuine microvariant beside a ladder
    allele, or a noise peak a base away): a ladder run shifted against the sample moves every
    peak. Two genuine alleles both one base off the ladder on the same side (e.g. 12.3/13.3 at
    D19S433 where the ladder has 13 and 14) cannot be told from a shift by sizes alone: they
    are flagged too, for the analyst. With the default 0.5 bp (half a bin) a shift is flagged
    only where it has moved calls out of the ladder alleles' bins; the Identifiler reference
    runs put a same-run ladder's largest ``min_i |o_i|`` at 0.26 bp and the 2002-10-03 F12
    ladder against the 2002-08-27 samples at 0.85-0.98 bp (docs/ce.md)."""
    if not tolerance_bp > 0:
        raise InvalidParameter("tolerance_bp", tolerance_bp, expected="a value above 0 bp")
    if min_peaks < 1:
        raise InvalidParameter("min_peaks", min_peaks, expected="at least 1 peak")
    if len(offsets) < min_peaks or not offsets:
        return None
    if not (all(o > 0 for o in offsets) or all(o < 0 for o in offsets)):
        return None
    if min(abs(o) for o in offsets) < tolerance_bp:
        return None
    return float(sum(offsets) / len(offsets))
