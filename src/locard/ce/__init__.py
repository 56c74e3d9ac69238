"""Capillary electrophoresis: from the genetic analyser's raw ABIF run (``.fsa``/``.hid``) to
sized peaks.

``abif``    read the ABIF container: directory, trace channels, dye names, run metadata
``signal``  baseline, smoothing, peaks with per-dye analytical thresholds, off-scale
``sizing``  find the internal lane standard in its channel, size by Local Southern
``calling`` locate the allelic ladder's alleles, bin and call sample peaks, filter artefacts
``artefacts`` flag what needs review: stutter, minus-A, pull-up, spikes, dye blobs, balance,
            mixtures, off-scale, controls; each flag names the rule, the locus and the peak
``analysis`` one run end to end (:func:`analyze_run`): calls, flags, profile, provenance

Depends on :mod:`locard.genetics` (kits) and NumPy/SciPy only; the store, the service and the
command line are thin layers over it.
"""

from __future__ import annotations

from locard.ce.abif import AbifEntry, AbifRun, read_abif
from locard.ce.analysis import (
    CallParameters,
    LocusResult,
    SampleAnalysis,
    analyze_run,
    control_kind,
)
from locard.ce.artefacts import ArtefactFlag, ArtefactParameters, review
from locard.ce.calling import (
    CalledPeak,
    LadderChecks,
    LadderLocus,
    LadderResult,
    LocusCall,
    SampleCalls,
    call_sample,
    ladder_offsets,
    ladder_problems,
    ladder_shift,
    locate_ladder,
)
from locard.ce.signal import Peak, SignalParameters, detect_peaks, process_trace
from locard.ce.sizing import (
    LaneStandard,
    SizingResult,
    get_lane_standard,
    lane_standards_for_kit,
    list_lane_standards,
    size_run,
)

__all__ = [
    "AbifEntry",
    "AbifRun",
    "ArtefactFlag",
    "ArtefactParameters",
    "CallParameters",
    "CalledPeak",
    "LadderChecks",
    "LadderLocus",
    "LadderResult",
    "LaneStandard",
    "LocusCall",
    "LocusResult",
    "Peak",
    "SampleAnalysis",
    "SampleCalls",
    "SignalParameters",
    "SizingResult",
    "analyze_run",
    "call_sample",
    "control_kind",
    "detect_peaks",
    "get_lane_standard",
    "ladder_offsets",
    "ladder_problems",
    "ladder_shift",
    "lane_standards_for_kit",
    "list_lane_standards",
    "locate_ladder",
    "process_trace",
    "read_abif",
    "review",
    "size_run",
]
