"""The web UI's interactive electropherogram: one SVG panel per dye, drawn on the server.

What is drawn is what the analysis computed, nothing recomputed here: the trace of each dye
is the same baseline-free, smoothed signal that ``locard ce plot`` draws
(:func:`locard.ce.signal.process_trace`), sized with the run's lane-standard fit
(:meth:`locard.ce.sizing.SizingResult.size`); the bins are the ladder run's measured allele
positions, ``bin_half_width`` either side (:func:`locard.ce.calling.locate_ladder`); the peaks
and their reasons are :func:`locard.ce.calling.call_sample`'s; the flags are the analysis's.
The ladder run is drawn by the same code (:func:`ladder_electropherogram_svg`): its located
alleles labelled at their measured peaks, its bins, and its loci's ladder-quality problems
(:attr:`locard.ce.calling.LadderLocus.problems`) as flags of the rule ``ladder``.

Downsampling (so that a 96-sample plate stays a page, not a download): the sized part of each
trace is cut into ``buckets`` equal intervals of bp and each interval keeps its lowest and its
highest point, in scan order (min-max decimation). A peak's apex is always kept, so heights
read off the drawing are the signal's; only the flanks between extremes are thinned. With the
default 1000 buckets over ~450 bp an interval is ~0.45 bp (a 3100's ~16 scans per bp: ~7
scans), narrower than a peak.

Geometry: the data group of each panel carries ``transform="matrix(kx 0 0 -ky tx ty)"`` from
(bp, RFU) to pixels, so zooming (``static/ce_epg.js``) changes one attribute per panel; labels,
ticks and flag markers carry their position in data units (``data-bp``, ``data-rfu``) and are
placed again in pixels by the script. Without the script the initial view (the kit's loci) is
complete.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from locard.ce.abif import AbifRun
from locard.ce.calling import CalledPeak, LadderResult, SampleCalls
from locard.ce.signal import SignalParameters, process_trace
from locard.ce.sizing import SizingResult
from locard.errors import InvalidParameter

__all__ = ["EpgFlag", "EpgPeak", "decimate", "electropherogram_svg", "epg_flags",
           "ladder_electropherogram_svg", "ladder_flags", "ladder_missing", "ladder_peaks",
           "sample_peaks"]

WIDTH = 1000
PANEL_HEIGHT = 170
LEFT, RIGHT, TOP, BOTTOM = 56.0, 12.0, 30.0, 20.0
DYE_COLOURS = ("#1f5fbf", "#2a9d3a", "#222222", "#d62728", "#ff7f0e", "#9467bd")
"""The colours of ``locard ce plot`` (:mod:`locard.plots`), dye 1 first."""
_AT_BP = re.compile(r"at (-?\d+(?:\.\d+)?) bp")


class FlagLike(Protocol):
    """A structured analysis flag: what :func:`epg_flags` reads of one."""
    @property
    def rule(self) -> str:
        """The rule that raised the flag."""
    @property
    def locus(self) -> str | None:
        """The locus flagged (None: the whole sample)."""
    @property
    def peak(self) -> str | None:
        """The peak's description (None: no one peak)."""
    @property
    def message(self) -> str:
        """Why the flag was raised."""


@dataclass(frozen=True, slots=True)
class EpgFlag:
    """A flag as the electropherogram marks it: the rule, the locus (None: the whole sample),
    the peak's description, the reason, the sizes (bp) of the peaks it names (a marker at each;
    none: a marker at the locus, or only the list), and the text as the CLI prints it."""

    rule: str
    locus: str | None
    peak: str | None
    message: str
    sizes: tuple[float, ...]
    text: str

    def to_dict(self) -> dict[str, Any]:
        """The flag as a JSON-ready dict (``sizes`` as a list)."""
        return {"rule": self.rule, "locus": self.locus, "peak": self.peak,
                "message": self.message, "sizes": list(self.sizes), "text": self.text}


def epg_flags(flags: Sequence[FlagLike | str]) -> list[EpgFlag]:
    """The analysis's flags for the drawing. A structured flag (``rule``, ``locus``, ``peak``,
    ``message``) is marked at every ``at X bp`` its peak names; a plain line (a ladder or lane
    standard note) is listed under the rule ``note`` with its locus when it starts ``LOCUS:``."""
    out: list[EpgFlag] = []
    for f in flags:
        if isinstance(f, str):
            locus = f.split(":", 1)[0].strip() if ":" in f else None
            sizes = tuple(float(x) for x in _AT_BP.findall(f))
            out.append(EpgFlag("note", locus if locus and " " not in locus else None, None, f,
                               sizes, f))
            continue
        sizes = tuple(float(x) for x in _AT_BP.findall(f.peak or ""))
        out.append(EpgFlag(f.rule, f.locus, f.peak, f.message, sizes, str(f)))
    return out


def decimate(x: npt.ArrayLike, y: npt.ArrayLike, *, lo: float, hi: float,
             buckets: int = 1000) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Min-max decimation of the curve (``x`` ascending) on ``[lo, hi]``: ``buckets`` equal
    intervals, each keeping its lowest and highest point in their original order (one point
    where they coincide). The maximum over any union of whole intervals is preserved
    exactly; at most ``2 * buckets`` points come back."""
    if buckets < 1:
        raise InvalidParameter("buckets", buckets, expected="at least 1")
    if not hi > lo:
        raise InvalidParameter("hi", hi, expected=f"above lo = {lo}")
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    keep = (xs >= lo) & (xs <= hi)
    xs, ys = xs[keep], ys[keep]
    if xs.size == 0:
        return xs, ys
    which = np.minimum(((xs - lo) / (hi - lo) * buckets).astype(np.int64), buckets - 1)
    starts = np.flatnonzero(np.r_[True, which[1:] != which[:-1]])
    ends = np.r_[starts[1:], xs.size]
    idx: list[int] = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        seg = ys[s:e]
        a, b = s + int(np.argmin(seg)), s + int(np.argmax(seg))
        idx.extend(sorted({a, b}))
    sel = np.asarray(idx, dtype=np.int64)
    return xs[sel], ys[sel]


def _f(v: float, digits: int = 2) -> str:
    text = f"{v:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _label(p: CalledPeak | EpgPeak) -> str:
    return f"{p.allele} at {p.size:.2f} bp ({p.height:.0f} RFU)"


def _view(ladder: LadderResult, fallback: tuple[float, float]) -> tuple[float, float]:
    windows = [lo.window for lo in ladder.loci.values()]
    if not windows:
        return fallback
    lo = max(fallback[0], min(w[0] for w in windows) - 5.0)
    hi = min(fallback[1], max(w[1] for w in windows) + 5.0)
    return (lo, hi) if hi > lo else fallback


@dataclass(frozen=True, slots=True)
class EpgPeak:
    """A labelled peak of the drawing: its locus and allele, size (bp) and height (RFU), its
    kind (the CSS class: ``call``, ``ol``, ``filtered`` for a sample's peaks, ``ladder`` for a
    located ladder allele) and why it is drawn so (the tooltip)."""

    locus: str
    allele: str
    size: float
    height: float
    kind: str
    why: str


def sample_peaks(calls: SampleCalls) -> list[EpgPeak]:
    """A called sample's peaks as the drawing labels them: called alleles (``call``),
    off-ladder peaks (``ol``) and filtered peaks (``filtered``, with the filter's reason)."""
    out: list[EpgPeak] = []
    for lname, call in calls.loci.items():
        for p in call.peaks:
            called = p.filtered is None and p.bin != "off-ladder"
            kind = "call" if called else ("ol" if p.filtered is None else "filtered")
            why = ("called allele" + (" (virtual bin)" if p.bin == "virtual" else "")
                   if called else (p.filtered or "off-ladder (OL): in no bin, not called"))
            out.append(EpgPeak(lname, p.allele, p.size, p.height, kind, why))
    return out


def ladder_peaks(ladder: LadderResult) -> list[EpgPeak]:
    """The located ladder alleles as the drawing labels them (``ladder``), each at its
    measured size and height; alleles not located have no peak (see :func:`ladder_missing`)."""
    out: list[EpgPeak] = []
    for lname, lo in ladder.loci.items():
        for allele, nominal, size, height in zip(lo.alleles, lo.nominal, lo.sizes, lo.heights,
                                                 strict=True):
            if size is None or height is None:
                continue
            out.append(EpgPeak(lname, allele, size, height, "ladder",
                               f"ladder allele, {nominal:.2f} bp nominal in the kit definition "
                               f"(bin {size:.2f} bp)"))
    return out


def ladder_flags(ladder: LadderResult) -> list[EpgFlag]:
    """The ladder's quality problems (:attr:`locard.ce.calling.LadderLocus.problems`) as
    flags of the rule ``ladder``, one per problem at its locus, marked at every ``at X bp``
    the problem names (else at the locus)."""
    return [EpgFlag("ladder", name, None, problem,
                    tuple(float(x) for x in _AT_BP.findall(problem)),
                    f"ladder {name}: {problem}")
            for name, problems in ladder.problems().items() for problem in problems]


def ladder_missing(ladder: LadderResult) -> dict[str, tuple[str, ...]]:
    """Locus -> the ladder alleles not located in the ladder run, for the loci missing any."""
    return {name: lo.missing for name, lo in ladder.loci.items() if lo.missing}


def electropherogram_svg(run: AbifRun, calls: SampleCalls, ladder: LadderResult,
                         flags: Sequence[EpgFlag], *, key: str, buckets: int = 1000,
                         bin_half_width: float = 0.5,
                         signal: SignalParameters | None = None) -> str:
    """The interactive electropherogram of one analysed sample as an HTML fragment: a toolbar
    (locus selector, reset), one ``<svg>`` panel per dye (traces, bins with allele labels,
    called peaks labelled, filtered peaks in grey with their reason, flag markers) and the
    list of flags with their reasons. ``key`` makes the element ids unique on the page."""
    sizing = calls.sizing if calls.sizing is not None else ladder.sizing
    return _drawing(run, sizing, ladder, sample_peaks(calls), flags, key=key, buckets=buckets,
                    bin_half_width=bin_half_width, signal=signal, bin_labels=True)


def ladder_electropherogram_svg(run: AbifRun, ladder: LadderResult, *, key: str = "ladder",
                                buckets: int = 1000, bin_half_width: float = 0.5,
                                signal: SignalParameters | None = None) -> str:
    """The interactive electropherogram of the allelic ladder run (``run``, located as
    ``ladder``), drawn as a sample's is: each located ladder allele labelled at its peak, the
    bins it gives (``bin_half_width`` either side), every ladder-quality problem marked at
    its locus with its text (:func:`ladder_flags`), and the alleles not located listed per
    locus (:func:`ladder_missing`)."""
    body = _drawing(run, ladder.sizing, ladder, ladder_peaks(ladder), ladder_flags(ladder),
                    key=key, buckets=buckets, bin_half_width=bin_half_width, signal=signal,
                    bin_labels=False, flags_empty="No ladder-quality problems.")
    missing = ladder_missing(ladder)
    if missing:
        rows = "".join(f'<li data-locus="{escape(name)}"><b>{escape(name)}</b>: '
                       f'{escape(", ".join(alleles))}</li>' for name, alleles in missing.items())
        tail = (f'<div class="ladder-missing"><h4>Ladder alleles not located</h4>'
                f'<ul>{rows}</ul></div>')
    else:
        tail = '<p class="muted ladder-missing">Every ladder allele was located.</p>'
    return body + tail


def _drawing(run: AbifRun, sizing: SizingResult, ladder: LadderResult,
             peaks: Sequence[EpgPeak], flags: Sequence[EpgFlag], *, key: str, buckets: int,
             bin_half_width: float, signal: SignalParameters | None, bin_labels: bool,
             flags_empty: str = "No flags.") -> str:
    """The drawing both electropherograms share: the toolbar, a panel per dye (the run's
    traces, the ladder's bins, ``peaks`` labelled at their apex, ``flags`` marked) and the
    list of flags."""
    if not sizing.ok:
        return (f'<p class="flash bad">No electropherogram in bp: the lane standard could not '
                f'be fitted ({escape(sizing.reason or "")}).</p>')
    k = escape(key)
    scans = np.arange(run.n_scans, dtype=np.float64)
    inside = sizing.in_range(scans)
    bp = sizing.size(scans[inside])
    full = (float(bp[0]), float(bp[-1])) if bp.size else (0.0, 1.0)
    x0, x1 = _view(ladder, full)
    dyes = sorted({lo.dye for lo in ladder.loci.values()} | {sizing.dye})
    dyes = [d for d in dyes if 1 <= d <= run.n_dyes]
    by_dye_loci = {d: [(name, lo) for name, lo in ladder.loci.items() if lo.dye == d]
                   for d in dyes}
    parts: list[str] = []
    loci_options = "".join(
        f'<option value="{escape(name)}" data-lo="{_f(lo.window[0])}" '
        f'data-hi="{_f(lo.window[1])}">{escape(name)}</option>'
        for name, lo in ladder.loci.items())
    parts.append(
        f'<div class="epg" id="epg-{k}" data-x0="{_f(x0)}" data-x1="{_f(x1)}" '
        f'data-full0="{_f(full[0])}" data-full1="{_f(full[1])}" '
        f'data-geom="{WIDTH},{PANEL_HEIGHT},{LEFT:g},{RIGHT:g},{TOP:g},{BOTTOM:g}">'
        f'<div class="epg-tools"><label>Zoom to locus <select class="epg-locus" '
        f'aria-label="zoom to locus"><option value="">(all loci)</option>{loci_options}'
        f'</select></label> <button type="button" class="epg-reset">Reset zoom</button> '
        f'<span class="muted">Mouse wheel: zoom; drag: pan; click a flag marker '
        f'(<span class="flag-glyph">&#9650;</span>) for its reason.</span></div>'
        f'<div class="flag-reason" role="status" aria-live="polite" hidden></div>')
    kx = (WIDTH - LEFT - RIGHT) / (x1 - x0)
    for dye in dyes:
        trace = process_trace(run.trace(dye), params=signal)[inside]
        xs, ys = decimate(bp, trace, lo=full[0], hi=full[1], buckets=buckets)
        view = (xs >= x0) & (xs <= x1)
        ymax = max(100.0, float(ys[view].max()) * 1.1 if view.any() else 100.0)
        ky = (PANEL_HEIGHT - TOP - BOTTOM) / ymax
        tx, ty = LEFT - x0 * kx, PANEL_HEIGHT - BOTTOM
        colour = DYE_COLOURS[(dye - 1) % len(DYE_COLOURS)]
        name = run.dyes[dye - 1] if dye - 1 < len(run.dyes) else f"dye {dye}"
        role = " (lane standard)" if dye == sizing.dye else ""
        parts.append(
            f'<svg class="epg-panel" data-dye="{dye}" viewBox="0 0 {WIDTH} {PANEL_HEIGHT}" '
            f'role="img" aria-label="dye {dye} {escape(name)}{role}" '
            f'xmlns="http://www.w3.org/2000/svg">'
            f'<rect class="epg-bg" x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" '
            f'height="{PANEL_HEIGHT - TOP - BOTTOM}"/>'
            f'<defs><clipPath id="clip-{k}-{dye}"><rect x="{LEFT}" y="0" '
            f'width="{WIDTH - LEFT - RIGHT}" height="{PANEL_HEIGHT - BOTTOM}"/></clipPath></defs>'
            f'<g clip-path="url(#clip-{k}-{dye})">'
            f'<g class="epg-data" data-ymax="{_f(ymax, 0)}" '
            f'transform="matrix({kx:.6g} 0 0 {-ky:.6g} {tx:.6g} {ty:.6g})">')
        for lname, lo in by_dye_loci.get(dye, []):
            for allele, size in zip(lo.alleles, lo.sizes, strict=True):
                if size is None:
                    continue
                parts.append(
                    f'<rect class="bin" data-locus="{escape(lname)}" '
                    f'data-allele="{escape(allele)}" x="{_f(size - bin_half_width, 3)}" y="0" '
                    f'width="{_f(2 * bin_half_width, 3)}" height="1000000"><title>'
                    f'{escape(lname)} {escape(allele)}: ladder bin {size - bin_half_width:.2f}'
                    f'-{size + bin_half_width:.2f} bp</title></rect>')
        points = " ".join(f"{_f(a)},{_f(b, 0)}" for a, b in zip(xs.tolist(), ys.tolist(),
                                                                 strict=True))
        parts.append(f'<polyline class="trace" stroke="{colour}" points="{points}"/>')
        parts.append('</g></g><g class="epg-labels">')
        parts.append(f'<text class="dye-name" x="4" y="14" fill="{colour}">{escape(name)}'
                     f'{role}</text><text class="ymax" x="{LEFT - 4}" y="{TOP + 8}" '
                     f'text-anchor="end">{_f(ymax, 0)}</text>'
                     f'<text class="ylabel" x="{LEFT - 4}" y="{PANEL_HEIGHT - BOTTOM}" '
                     f'text-anchor="end">0 RFU</text>')
        for tick in range(int(np.ceil(full[0] / 10.0)) * 10, int(full[1]) + 1, 10):
            major = tick % 50 == 0
            px = LEFT + (tick - x0) * kx
            hidden = "" if x0 <= tick <= x1 else ' visibility="hidden"'
            parts.append(
                f'<text class="tick{" major" if major else ""}" data-bp="{tick}" '
                f'x="{px:.1f}" y="{PANEL_HEIGHT - 6}" text-anchor="middle"{hidden}>'
                f'{tick if major else ""}</text>')
        for lname, lo in by_dye_loci.get(dye, []):
            centre = (lo.window[0] + lo.window[1]) / 2
            hidden = "" if x0 <= centre <= x1 else ' visibility="hidden"'
            parts.append(
                f'<text class="locus-name" data-bp="{_f(centre)}" '
                f'x="{LEFT + (centre - x0) * kx:.1f}" y="11" text-anchor="middle"'
                f'{hidden}>{escape(lname)}</text>')
            for allele, size in zip(lo.alleles, lo.sizes, strict=True):
                if size is None or not bin_labels:
                    continue
                parts.append(
                    f'<text class="bin-label" data-bp="{_f(size)}" data-locus="{escape(lname)}"'
                    f' x="{LEFT + (size - x0) * kx:.1f}" y="{TOP - 3}" text-anchor="middle" '
                    f'visibility="hidden">{escape(allele)}</text>')
        for p in peaks:
            if p.locus not in ladder.loci or ladder.loci[p.locus].dye != dye:
                continue
            px = LEFT + (p.size - x0) * kx
            py = max(TOP - 2, PANEL_HEIGHT - BOTTOM - p.height * ky - 4)
            hidden = "" if x0 <= p.size <= x1 else ' visibility="hidden"'
            parts.append(
                f'<text class="peak {p.kind}" data-bp="{_f(p.size)}" '
                f'data-rfu="{_f(p.height, 0)}" data-locus="{escape(p.locus)}" '
                f'data-allele="{escape(p.allele)}" x="{px:.1f}" y="{py:.1f}" '
                f'text-anchor="middle"{hidden}><title>{escape(p.locus)} {escape(_label(p))}'
                f': {escape(p.why)}</title>{escape(p.allele)}</text>')
        for i, f in enumerate(flags):
            if not f.locus or f.locus not in ladder.loci or ladder.loci[f.locus].dye != dye:
                continue
            lo = ladder.loci[f.locus]
            marks = f.sizes or ((lo.window[0] + lo.window[1]) / 2,)
            for size in marks:
                px = LEFT + (size - x0) * kx
                hidden = "" if x0 <= size <= x1 else ' visibility="hidden"'
                parts.append(
                    f'<g class="flag-mark" data-flag="{i}" data-bp="{_f(size)}" tabindex="0" '
                    f'role="button" aria-label="flag: {escape(f.rule)} at {escape(f.locus)}" '
                    f'transform="translate({px:.1f} {TOP - 14})"{hidden}>'
                    f'<path d="M0,-6 L6,5 L-6,5 Z"/><title>{escape(f.text)}</title></g>')
        parts.append('</g></svg>')
    items = []
    for i, f in enumerate(flags):
        items.append(
            f'<li class="flag-item" id="flag-{k}-{i}" data-flag="{i}" tabindex="0">'
            f'<span class="rule">{escape(f.rule)}</span> '
            f'{"<b>" + escape(f.locus) + "</b> " if f.locus else ""}'
            f'{escape(f.peak) + ": " if f.peak else ""}'
            f'<span class="reason">{escape(f.message)}</span></li>')
    if items:
        parts.append(f'<ol class="flags">{"".join(items)}</ol>')
    else:
        parts.append(f'<p class="muted">{escape(flags_empty)}</p>')
    parts.append('</div>')
    return "".join(parts)
