"""Artefacts and quality: every reason a sample's calls need an analyst's eye, as flags that
name the rule, the locus and the peak.

Rules (each a :class:`ArtefactFlag` ``rule``; thresholds in :class:`ArtefactParameters`):

``stutter``, ``minus-A``, ``pull-up``, ``spike``
    peaks that :func:`locard.ce.calling.call_sample` filtered for these reasons (its
    ``stutter``/``stutter_ratios``, ``minus_a``, ``pullup_ratio`` and ``spike_scans``), reported
    so that none is dropped silently; with the run's traces (:func:`shape_flags`) also:
``pull-up`` (from off-scale)
    a peak within the extent of a saturated peak of another dye. A saturated height is a lower
    bound, so the ratio test of ``call_sample`` cannot rule pull-up out there.
``spike``
    a peak narrower than ``spike_width_fraction`` of its dye's median peak width (FWHM) with a
    peak within ``spike_scans`` in at least ``spike_min_dyes`` dyes (itself included): an
    electrical spike or air bubble crosses every colour at once and is sharper than DNA.
``dye blob``
    a peak at least ``blob_width_factor`` times its dye's median width: unbound dye runs as a
    broad hump.
``off-scale``
    a called allele whose height is a lower bound (saturated).
``heterozygote balance``
    two alleles at a locus (not Amelogenin), the smaller under ``heterozygote_balance`` of the
    larger. ``Amelogenin imbalance``: X and Y, the smaller under ``amelogenin_balance``.
``mixture``
    more than ``max_alleles`` alleles at a locus.
``peaks in negative control``
    any called or off-ladder peak in a run declared a negative control.
``positive control mismatch``
    a locus of a run declared a positive control whose calls differ from the declared
    genotype (:func:`locard.genetics.kits.positive_control`).
``lane standard``
    the lane standard's warnings (peaks under ``min_ils_rfu``; :mod:`locard.ce.sizing`).
``ladder``
    a locus whose allelic ladder (the one the sample was called against,
    ``SampleCalls.ladder``) has ladder-quality problems (:func:`locard.ce.calling.
    ladder_problems`: a spike or an unexplained extra peak among the ladder alleles,
    irregular spacing, a ladder allele far below the locus's median): the sample's calls
    there rest on questionable bins. One flag per problem, naming the locus, the ladder file
    and the problem, with the sample's called peaks at the locus (None when nothing was
    called). A locus whose ladder does not fit at all (alleles not found) has no calls and
    is flagged by :func:`locard.ce.analysis.analyze_run` instead; its problems are in the
    ladder's own account (``LadderLocus.note``).
``ladder shift``
    a locus whose called peaks (at least ``ladder_shift_min_peaks``) all sit on the same side
    of their nearest ladder alleles, each at least ``ladder_shift_bp`` away
    (:func:`locard.ce.calling.ladder_shift`, offsets ``o_i = s_i - L(a_i)`` from
    :func:`locard.ce.calling.ladder_offsets`): the ladder run's sizes are shifted against the
    sample's, so the calls may be one bin off (e.g. 12.3/13.3 for 13/14). The flag names the
    ladder file, the mean offset, each peak's offset and the ladder allele it is measured
    from; the remedy is a ladder of the sample's own run (``--ladder``).

The thresholds are common laboratory starting points (a heterozygote balance of 0.6, an
Amelogenin balance of 0.5), not validated values: a laboratory sets its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from locard.ce.abif import AbifRun
from locard.ce.calling import (
    CalledPeak,
    SampleCalls,
    ladder_offsets,
    ladder_shift,
    median_width,
    spike_dyes,
)
from locard.ce.signal import SignalParameters, detect_peaks, off_scale_by_dye
from locard.errors import InvalidParameter
from locard.genetics.kits import positive_control as declared_control

__all__ = [
    "CONTROLS",
    "ArtefactFlag",
    "ArtefactParameters",
    "review",
    "shape_flags",
]

CONTROLS = ("negative", "positive")
AMELOGENIN = ("AMEL", "Amelogenin", "AM")
_FILTER_RULES = (("stutter", "stutter"), ("minus-A", "minus-A"), ("pull-up", "pull-up"),
                 ("spike", "spike"))


@dataclass(frozen=True, slots=True)
class ArtefactFlag:
    """One flag: the ``rule`` that raised it, the ``locus`` (None for the whole sample), the
    ``peak`` (allele, size, height; None for a locus-level flag) and what was measured."""

    rule: str
    locus: str | None
    peak: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.locus}: " if self.locus else ""
        what = f"{self.peak}: " if self.peak else ""
        return f"{where}{what}{self.message} [{self.rule}]"


@dataclass(frozen=True, slots=True)
class ArtefactParameters:
    """Thresholds of the quality rules (see the module docstring)."""

    heterozygote_balance: float = 0.6
    amelogenin_balance: float = 0.5
    max_alleles: int = 2
    spike_width_fraction: float = 0.5
    spike_min_dyes: int = 3
    spike_scans: float = 2.0
    blob_width_factor: float = 2.5
    pullup_scans: float = 2.0
    ladder_shift_bp: float = 0.5
    ladder_shift_min_peaks: int = 2

    def __post_init__(self) -> None:
        for name, value in (("heterozygote_balance", self.heterozygote_balance),
                            ("amelogenin_balance", self.amelogenin_balance),
                            ("spike_width_fraction", self.spike_width_fraction)):
            if not 0 < value <= 1:
                raise InvalidParameter(name, value, expected="a ratio in (0, 1]")
        if self.max_alleles < 1:
            raise InvalidParameter("max_alleles", self.max_alleles, expected="at least 1")
        if self.spike_min_dyes < 2:
            raise InvalidParameter("spike_min_dyes", self.spike_min_dyes,
                                   expected="at least 2 dyes")
        if not self.blob_width_factor > 1:
            raise InvalidParameter("blob_width_factor", self.blob_width_factor,
                                   expected="a factor above 1")
        if not self.ladder_shift_bp > 0:
            raise InvalidParameter("ladder_shift_bp", self.ladder_shift_bp,
                                   expected="a distance above 0 bp")
        if self.ladder_shift_min_peaks < 1:
            raise InvalidParameter("ladder_shift_min_peaks", self.ladder_shift_min_peaks,
                                   expected="at least 1 peak")
        for name, value in (("spike_scans", self.spike_scans),
                            ("pullup_scans", self.pullup_scans)):
            if not value >= 0:
                raise InvalidParameter(name, value, expected="0 or more scans")


def _describe(p: CalledPeak) -> str:
    return f"{p.allele} at {p.size:.2f} bp ({p.height:.0f} RFU)"


def _filtered_flags(calls: SampleCalls) -> list[ArtefactFlag]:
    out: list[ArtefactFlag] = []
    for name, call in calls.loci.items():
        for p in call.peaks:
            for prefix, rule in _FILTER_RULES:
                if p.filtered is not None and p.filtered.startswith(prefix):
                    out.append(ArtefactFlag(rule, name, _describe(p),
                                            f"not called: {p.filtered}"))
    return out


def _balance_flags(calls: SampleCalls, params: ArtefactParameters) -> list[ArtefactFlag]:
    out: list[ArtefactFlag] = []
    for name, call in calls.loci.items():
        called = call.called
        for p in called:
            if p.saturated:
                out.append(ArtefactFlag("off-scale", name, _describe(p),
                                        "off-scale: the height is a lower bound"))
        if len(called) > params.max_alleles:
            out.append(ArtefactFlag(
                "mixture", name, ", ".join(_describe(p) for p in called),
                f"{len(called)} alleles, more than max_alleles = {params.max_alleles}: "
                "a possible mixture"))
        if len(called) == 2:
            small, large = sorted(called, key=lambda p: p.height)
            ratio = small.height / large.height if large.height > 0 else 1.0
            amel = name in AMELOGENIN
            limit = params.amelogenin_balance if amel else params.heterozygote_balance
            option = "amelogenin_balance" if amel else "heterozygote_balance"
            if ratio < limit:
                rule = "Amelogenin imbalance" if amel else "heterozygote balance"
                out.append(ArtefactFlag(
                    rule, name, f"{_describe(small)} vs {_describe(large)}",
                    f"peak height ratio {ratio:.2f} < {option} = {limit:g}"))
    return out


def _control_flags(calls: SampleCalls, control: str | None,
                   positive_control: str) -> list[ArtefactFlag]:
    out: list[ArtefactFlag] = []
    if control == "negative":
        for name, call in calls.loci.items():
            for p in (*call.called, *call.off_ladder):
                out.append(ArtefactFlag("peaks in negative control", name, _describe(p),
                                        "a peak above the analytical threshold in a "
                                        "negative control"))
    elif control == "positive":
        expected = declared_control(positive_control)
        for name, call in calls.loci.items():
            if name not in expected.typed_loci:
                continue
            want = sorted(str(a) for a in expected.alleles(name))
            got = sorted(set(call.alleles))
            if got != want:
                out.append(ArtefactFlag(
                    "positive control mismatch", name,
                    ", ".join(_describe(p) for p in call.called) or None,
                    f"called {'/'.join(got) or 'nothing'}, but the declared positive control "
                    f"{positive_control} is {'/'.join(want)}"))
    return out


def _ladder_flags(calls: SampleCalls) -> list[ArtefactFlag]:
    ladder = calls.ladder
    if ladder is None:
        return []
    out: list[ArtefactFlag] = []
    source = Path(ladder.file).name
    for name, problems in ladder.problems().items():
        if not ladder.loci[name].complete:
            continue  # no calls there: analyze_run flags the locus as not fitting
        call = calls.loci.get(name)
        called = ", ".join(_describe(p) for p in call.called) if call is not None else ""
        for problem in problems:
            out.append(ArtefactFlag(
                "ladder", name, called or None,
                f"the ladder {source} is questionable at this locus: {problem}; the calls "
                "here rest on its bins (check the ladder run, or analyse with another ladder "
                "of the plate, --ladder)"))
    return out


def _shift_flags(calls: SampleCalls, params: ArtefactParameters) -> list[ArtefactFlag]:
    ladder = calls.ladder
    if ladder is None:
        return []
    out: list[ArtefactFlag] = []
    source = Path(ladder.file).name
    for name, call in calls.loci.items():
        lad = ladder.loci.get(name)
        if lad is None or not lad.complete:
            continue
        offsets = ladder_offsets(call, lad)
        shift = ladder_shift([o for o, _ in offsets], tolerance_bp=params.ladder_shift_bp,
                             min_peaks=params.ladder_shift_min_peaks)
        if shift is None:
            continue
        each = ", ".join(f"{p.allele} at {p.size:.2f} bp is {o:+.2f} bp from ladder {a}"
                         for p, (o, a) in zip(call.called, offsets, strict=True))
        side = "shorter" if shift < 0 else "longer"
        out.append(ArtefactFlag(
            "ladder shift", name, ", ".join(_describe(p) for p in call.called),
            f"every called peak sits {side} than its nearest allele of the ladder {source}, "
            f"mean offset {shift:+.2f} bp, each at least ladder_shift_bp = "
            f"{params.ladder_shift_bp:g} away ({each}): the ladder run is shifted against "
            f"this sample here and the calls may be one bin off (without the shift: "
            f"{'/'.join(a for _, a in offsets)}); analyse with a ladder of the same run "
            "(--ladder)"))
    return out


def shape_flags(calls: SampleCalls, traces: Sequence[npt.ArrayLike], *,
                off_scale: Sequence[int] = (), params: ArtefactParameters | None = None,
                signal: SignalParameters | None = None) -> list[ArtefactFlag]:
    """Spike, dye-blob and pull-up-from-off-scale flags of ``calls``' peaks, from the peaks of
    every dye of the run's raw ``traces`` (dye ``i + 1`` is ``traces[i]``); ``off_scale`` is
    the instrument's off-scale scan list (ABIF ``OfSc``)."""
    p = params or ArtefactParameters()
    off = off_scale_by_dye(traces, off_scale)
    by_dye = {dye: detect_peaks(trace, dye=dye, params=signal, off_scale_scans=off[dye])
              for dye, trace in enumerate(traces, start=1)}
    medians = {dye: median_width(ps) for dye, ps in by_dye.items()}
    everything = [q for ps in by_dye.values() for q in ps]
    saturated = [q for q in everything if q.saturated]
    out: list[ArtefactFlag] = []
    for name, call in calls.loci.items():
        for cp in call.peaks:
            if cp.filtered is not None and not cp.filtered.startswith("below"):
                continue  # already explained (stutter, minus-A, pull-up, spike)
            own = [q for q in by_dye.get(cp.dye, []) if abs(q.scan - cp.scan) <= 2.0]
            if not own:
                continue
            me = min(own, key=lambda q: abs(q.scan - cp.scan))
            median = medians[cp.dye]
            sources = [] if cp.saturated else [
                q for q in saturated
                if q.dye != cp.dye and abs(q.scan - me.scan) <= q.width / 2 + p.pullup_scans]
            if sources:  # checked first: pull-up from a saturated peak is sharp, like a spike
                src = max(sources, key=lambda q: q.height)
                out.append(ArtefactFlag(
                    "pull-up", name, _describe(cp),
                    f"under an off-scale peak of dye {src.dye} at scan {src.scan:.0f} "
                    f"(>= {src.height:.0f} RFU, a lower bound, so the pull-up ratio cannot "
                    "clear it)"))
                continue
            dyes = spike_dyes(me, everything, typical_width=median,
                              width_fraction=p.spike_width_fraction,
                              min_dyes=p.spike_min_dyes, scans=p.spike_scans)
            if dyes is not None:
                out.append(ArtefactFlag(
                    "spike", name, _describe(cp),
                    f"width {me.width:.1f} scans < spike_width_fraction = "
                    f"{p.spike_width_fraction:g} of dye {cp.dye}'s median {median:.1f}, with "
                    f"peaks at scan {me.scan:.0f} in dyes {list(dyes)}"))
                continue
            if me.width >= p.blob_width_factor * median and not me.saturated:
                out.append(ArtefactFlag(
                    "dye blob", name, _describe(cp),
                    f"width {me.width:.1f} scans >= blob_width_factor = "
                    f"{p.blob_width_factor:g} x dye {cp.dye}'s median {median:.1f}"))
                continue
    return out


def review(calls: SampleCalls, *, run: AbifRun | None = None, control: str | None = None,
           positive_control: str = "9947A", params: ArtefactParameters | None = None,
           signal: SignalParameters | None = None) -> tuple[ArtefactFlag, ...]:
    """Every artefact and quality flag of ``calls`` (see the module docstring). With ``run``
    (the same run's :class:`~locard.ce.abif.AbifRun`) the peak-shape rules are applied too;
    ``control`` declares the run a ``"negative"`` or ``"positive"`` control, the latter of
    genotype ``positive_control``."""
    if control is not None and control not in CONTROLS:
        raise InvalidParameter("control", control, expected="'negative', 'positive' or None")
    p = params or ArtefactParameters()
    flags: list[ArtefactFlag] = []
    flags += _filtered_flags(calls)
    flags += _balance_flags(calls, p)
    flags += _control_flags(calls, control, positive_control)
    if run is not None:
        ofsc = run.values.get("OfSc1")
        scans = [] if ofsc is None else [int(s) for s in np.atleast_1d(np.asarray(ofsc))]
        flags += shape_flags(calls, run.traces, off_scale=scans, params=p, signal=signal)
    if calls.sizing is not None:
        flags += [ArtefactFlag("lane standard", None, None, f) for f in calls.sizing.flags]
    flags += _ladder_flags(calls)
    flags += _shift_flags(calls, p)
    return tuple(flags)
