"""One run, analysed: read, size, call, review, and the result with its provenance.

:func:`analyze_run` is the one function the command line (``locard ce analyze``), the web
service and the store hand-over (:mod:`locard.store.ce_intake`) call, so that every number
and flag a user sees comes from the same place:

1. read the ABIF run (:func:`locard.ce.abif.read_abif`) unless given one;
2. size it against its internal lane standard and call its peaks into the ladder's bins
   (:func:`locard.ce.calling.call_sample`, with :class:`CallParameters`);
3. review the calls (:func:`locard.ce.artefacts.review`, with the run's traces for the
   peak-shape rules), and add the calling step's own findings as flags of the same kind:
   ``off-ladder`` (an unfiltered peak in no bin, never called silently), ``virtual bin``
   (an allele called between ladder alleles) and ``ladder`` (a locus whose ladder does not
   fit its definition: no calls there; a locus whose ladder fitted but has quality problems,
   :func:`locard.ce.calling.ladder_problems`, is flagged ``ladder`` by ``review``, its calls
   kept);
4. decide the control kind: ``control="auto"`` reads it from the sample name and file name
   (``negative``/``blank``/``NC``; ``positive``/``PC``), a declared ``"negative"`` or
   ``"positive"`` is taken as given, None is a sample;
5. build the :class:`~locard.genetics.profiles.Profile` of the called alleles (alleles only:
   heights, sizes and areas stay in :class:`LocusResult`) and the provenance record.

Provenance holds file hashes, the run's sample ID, run metadata, kit, ladder, lane standard,
parameters and the Locard version: never a person's name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from locard._version import __version__
from locard.ce.abif import AbifRun, read_abif
from locard.ce.artefacts import ArtefactFlag, ArtefactParameters, review
from locard.ce.calling import CalledPeak, LadderResult, SampleCalls, call_sample
from locard.ce.signal import SignalParameters
from locard.errors import InputError, InvalidParameter
from locard.genetics.kits import positive_control as declared_control
from locard.genetics.profiles import Profile

__all__ = [
    "AUTO",
    "CallParameters",
    "LocusResult",
    "SampleAnalysis",
    "analyze_run",
    "continuous_case",
    "control_kind",
]

AUTO = "auto"
"""``control=AUTO``: read the control kind from the sample and file names."""

POSITIVE = re.compile(r"pos(itive)?[\s_-]*(control|ctrl|con)?|\bpc\b", re.IGNORECASE)
NEGATIVE = re.compile(r"neg(ative)?[\s_-]*(control|ctrl|con)?|blank|\bnc\b", re.IGNORECASE)


def control_kind(sample_name: str, file_name: str = "") -> str | None:
    """``"negative"``, ``"positive"`` or None (a sample), from a run's sample name and file
    name: negative for ``neg``/``negative control``/``blank``/``NC``, positive for
    ``pos``/``positive control``/``PC``; negative wins when both match."""
    text = f"{sample_name} {Path(file_name).stem if file_name else ''}"
    if NEGATIVE.search(text):
        return "negative"
    if POSITIVE.search(text):
        return "positive"
    return None


@dataclass(frozen=True, slots=True)
class CallParameters:
    """The allele-calling thresholds of :func:`locard.ce.calling.call_sample` (see its module
    docstring): the bin half-width (bp), the back-stutter ratio and per-locus ratios, the
    pull-up ratio and distance (scans), the minus-A ratio, the fractional filter and the spike
    distance (scans). Defaults are laboratory-style starting points, not validated values."""

    bin_half_width: float = 0.5
    stutter: float = 0.15
    stutter_ratios: Mapping[str, float] = field(default_factory=dict)
    pullup_ratio: float = 0.1
    pullup_scans: float = 1.5
    minus_a: float = 0.3
    min_peak_fraction: float = 0.1
    spike_scans: float = 1.5


@dataclass(frozen=True, slots=True)
class LocusResult:
    """The called alleles of one locus with height (RFU), size (bp) and area (RFU x scans),
    in the same order."""

    alleles: tuple[str, ...]
    heights: tuple[float, ...]
    sizes: tuple[float, ...]
    areas: tuple[float, ...]


@dataclass(frozen=True, slots=True, eq=False)
class SampleAnalysis:
    """One analysed run: per locus the called alleles (``loci``, loci without a call left
    out), every flag (each naming its rule, locus and peak), the control kind, the profile of
    the called alleles, the provenance and the full calls (every peak of every locus window,
    with the reason it was or was not called)."""

    file: str
    sample: str
    kit: str
    control: str | None
    loci: Mapping[str, LocusResult]
    flags: tuple[ArtefactFlag, ...]
    profile: Profile | None
    provenance: Mapping[str, Any]
    calls: SampleCalls = field(repr=False)

    @property
    def sha256(self) -> str:
        """SHA-256 of the instrument file."""
        return str(self.provenance["file_sha256"])

    def genotype(self) -> dict[str, list[str]]:
        """Locus -> called alleles."""
        return {name: list(r.alleles) for name, r in self.loci.items()}

    def flags_by_rule(self, rule: str) -> tuple[ArtefactFlag, ...]:
        """The flags raised by ``rule``."""
        return tuple(f for f in self.flags if f.rule == rule)

    def to_dict(self) -> dict[str, Any]:
        """``{"file", "sample", "loci": {locus: {"alleles", "heights", "sizes", "areas"}},
        "flags": [text], "flag_details": [{rule, locus, peak, message}], "control",
        "provenance"}`` (the JSON of ``locard ce analyze``, less the store's verdict)."""
        return {
            "file": self.file, "sample": self.sample, "kit": self.kit,
            "loci": {name: {"alleles": list(r.alleles), "heights": list(r.heights),
                            "sizes": list(r.sizes), "areas": list(r.areas)}
                     for name, r in self.loci.items()},
            "flags": [str(f) for f in self.flags],
            "flag_details": [{"rule": f.rule, "locus": f.locus, "peak": f.peak,
                              "message": f.message} for f in self.flags],
            "control": self.control,
            "provenance": dict(self.provenance),
        }


def _describe(p: CalledPeak) -> str:
    return f"{p.allele} at {p.size:.2f} bp ({p.height:.0f} RFU)"


def _calling_flags(calls: SampleCalls, ladder: LadderResult) -> list[ArtefactFlag]:
    out: list[ArtefactFlag] = []
    for name, lad in ladder.loci.items():
        if not lad.complete:
            out.append(ArtefactFlag("ladder", name, None,
                                    f"the ladder does not fit its definition ({lad.note}): "
                                    "no alleles called at this locus"))
    for name, call in calls.loci.items():
        for p in call.off_ladder:
            out.append(ArtefactFlag("off-ladder", name, f"OL at {p.size:.2f} bp "
                                    f"({p.height:.0f} RFU)",
                                    "a peak in no ladder or virtual bin: not called"))
        for p in call.called:
            if p.bin == "virtual":
                out.append(ArtefactFlag("virtual bin", name, _describe(p),
                                        "called in a virtual bin (between ladder alleles)"))
    return out


def _profile(calls: SampleCalls) -> Profile | None:
    genotype = calls.genotype()
    if not genotype:
        return None
    return Profile.from_dict({"specimen_id": calls.sample, "kit": calls.kit, "loci": genotype})


def analyze_run(run: AbifRun | str | os.PathLike[str], *, ladder: LadderResult,
                positive_control: str | None = None, control: str | None = AUTO,
                signal: SignalParameters | None = None,
                calling: CallParameters | None = None,
                artefacts: ArtefactParameters | None = None) -> SampleAnalysis:
    """Analyse one run (an :class:`~locard.ce.abif.AbifRun` or its file) against
    ``ladder``, the allelic ladder of its plate (see the module docstring).

    ``positive_control`` names the declared genotype of a positive control
    (:func:`locard.genetics.kits.positive_control`, e.g. ``"9947A"``); a positive control
    without one gets a ``positive control`` flag asking for it. ``control``: ``"auto"``
    (from the names), ``"negative"``, ``"positive"`` or None (a sample). Raises
    :class:`~locard.errors.CEFileError` for an unreadable file and
    :class:`~locard.errors.CEAnalysisError` when the lane standard cannot be fitted."""
    if control is not None and control not in (AUTO, "negative", "positive"):
        raise InvalidParameter("control", control,
                               expected="'auto', 'negative', 'positive' or None")
    if positive_control is not None:
        declared_control(positive_control)  # an unknown name fails before any work
    if not isinstance(run, AbifRun):
        path = Path(run)
        if not path.is_file():
            raise InputError(f"{path}: no such run file",
                             remedy="give an .fsa/.hid run file as written by the instrument")
        run = read_abif(path)
    cp = calling or CallParameters()
    sp = signal or SignalParameters()
    ap = artefacts or ArtefactParameters()
    calls = call_sample(run, ladder, params=sp, bin_half_width=cp.bin_half_width,
                        stutter=cp.stutter, stutter_ratios=cp.stutter_ratios,
                        pullup_ratio=cp.pullup_ratio, pullup_scans=cp.pullup_scans,
                        minus_a=cp.minus_a, min_peak_fraction=cp.min_peak_fraction,
                        spike_scans=cp.spike_scans)
    kind = control_kind(run.sample_name, run.path) if control == AUTO else control
    flags = list(review(calls, run=run, control=None if kind == "positive"
                        and positive_control is None else kind,
                        positive_control=positive_control or "9947A", params=ap, signal=sp))
    if kind == "positive" and positive_control is None:
        flags.append(ArtefactFlag("positive control", None, None,
                                  "a positive control with no declared genotype: not "
                                  "checked (give positive_control, --positive-control)"))
    flags += _calling_flags(calls, ladder)
    loci = {name: LocusResult(tuple(c.alleles), tuple(c.heights), tuple(c.sizes),
                              tuple(c.areas))
            for name, c in calls.loci.items() if c.alleles}
    sizing = calls.sizing
    provenance: dict[str, Any] = {
        "source": "capillary electrophoresis",
        "file_sha256": run.sha256,
        "file_name": Path(run.path).name,
        "sample": run.sample_name,
        "run": {k: v for k, v in run.metadata.items() if k != "sample_name"},
        "dyes": list(run.dyes),
        "kit": calls.kit,
        "ladder_file": Path(ladder.file).name,
        "ladder_sha256": ladder.sha256,
        "ladder_alleles": f"{ladder.found}/{ladder.expected}",
        "lane_standard": (sizing.standard.name if sizing is not None
                          and sizing.standard is not None else None),
        "sizing_method": sizing.method if sizing is not None else None,
        "control": kind,
        "positive_control": positive_control,
        "parameters": {"signal": {**asdict(sp), "dye_thresholds":
                                  {str(k): v for k, v in sp.dye_thresholds.items()}},
                       "calling": {**asdict(cp), "stutter_ratios": dict(cp.stutter_ratios)},
                       "artefacts": asdict(ap)},
        "locard_version": __version__,
    }
    return SampleAnalysis(file=run.path, sample=run.sample_name or Path(run.path).stem,
                          kit=calls.kit, control=kind, loci=loci, flags=tuple(flags),
                          profile=_profile(calls), provenance=provenance, calls=calls)


def _ladder_fitted(analysis: SampleAnalysis, locus: str) -> bool:
    """Whether ``locus``'s ladder fitted its definition for ``analysis`` (a ladder with
    quality problems still fitted: its calls stand, flagged)."""
    ladder = analysis.calls.ladder
    if ladder is not None and locus in ladder.loci:
        return ladder.loci[locus].complete
    return not any(f.rule == "ladder" and f.locus == locus and f.peak is None
                   and "does not fit" in f.message for f in analysis.flags)


NON_STR = ("AMEL", "Amelogenin", "AM", "DYS391", "Yindel", "Y indel")
"""Loci left out of a continuous-model case: sex markers and indels have no allele
frequencies in the STR tables."""


def continuous_case(analyses: Sequence[SampleAnalysis], *, table: str = "NIST1036:Cauc",
                    dropin_probability: float = 0.05, dropin_lambda: float = 0.01,
                    theta: float = 0.0) -> dict[str, Any]:
    """A ``"model": "continuous"`` mixture case file (docs/mixture.md) with the peak heights
    of ``analyses`` as evidence, one replicate per run (several runs of one sample are its
    replicates). Every locus whose ladder fitted is listed in every replicate (a locus with
    no called allele showed nothing); loci whose ladder did not fit are left out (not typed),
    and so are the non-STR markers (:data:`NON_STR`). The hypotheses are one unknown
    contributor under both, with no profiles: the analyst adds the person of interest and
    the contributors (``profiles``, ``poi``, ``hypotheses``). ``analytical_threshold`` is
    the runs' own (:class:`~locard.ce.signal.SignalParameters`); ``kit`` gives the
    degradation's fragment lengths."""
    if not analyses:
        raise InputError("no analysed run to build a case from",
                         remedy="give the runs of one sample")
    for name, value in (("dropin_probability", dropin_probability), ("theta", theta)):
        if not 0 <= value < 1:
            raise InvalidParameter(name, value, expected="a probability in [0, 1)")
    if not dropin_lambda > 0:
        raise InvalidParameter("dropin_lambda", dropin_lambda, expected="a rate above 0")
    kits = {a.kit for a in analyses}
    if len(kits) > 1:
        raise InputError(f"the runs were typed with different kits ({', '.join(sorted(kits))})",
                         remedy="build one case per kit")
    thresholds = {float(a.provenance["parameters"]["signal"]["analytical_threshold"])
                  for a in analyses}
    evidence: dict[str, dict[str, dict[str, list[Any]]]] = {}
    for a in analyses:
        replicate = Path(a.file).stem
        if replicate in evidence:
            replicate = f"{replicate}_{len(evidence) + 1}"
        loci: dict[str, dict[str, list[Any]]] = {}
        for name, call in a.calls.loci.items():
            if name in NON_STR or not _ladder_fitted(a, name):
                continue
            called = call.called
            loci[name] = {"alleles": [p.allele for p in called],
                          "heights": [round(p.height, 1) for p in called]}
        evidence[replicate] = loci
    return {
        "model": "continuous",
        "frequencies": {"table": table, "min_frequency": 0.001},
        "profiles": {},
        "evidence": evidence,
        "hypotheses": {"hp": {"contributors": [], "unknowns": 1},
                       "hd": {"contributors": [], "unknowns": 1}},
        "dropin": {"probability": dropin_probability, "lambda": dropin_lambda},
        "theta": theta,
        "analytical_threshold": min(thresholds),
        "kit": next(iter(kits)),
    }
