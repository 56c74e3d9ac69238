"""Sample against ladder: a ladder run shifted against the sample (``ladder shift``).

Hand-built cases fix the rule (offsets from the nearest ladder allele, all on one side, each
at least ``ladder_shift_bp``); the Identifiler reference runs check it where it matters: the
2002-10-03 F12 ladder moves the 2002-08-27 Amelogenin-imbalance sample's D19S433 13/14 to
12.3/13.3 and is flagged, the same sample's own plate ladders are not, and no ladder of a
sample's own run flags any of its loci."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from locard.ce.abif import AbifRun, read_abif
from locard.ce.artefacts import ArtefactParameters, review
from locard.ce.calling import (
    CalledPeak,
    LadderLocus,
    LadderResult,
    LocusCall,
    SampleCalls,
    call_sample,
    ladder_offsets,
    ladder_shift,
    locate_ladder,
)
from locard.ce.sizing import SizingResult
from locard.errors import InvalidParameter

REPO = Path(__file__).resolve().parents[2]
IDENTIFILER = REPO.parent / "shared" / "data" / "ce" / "osiris_test_analysis" / "Identifiler"
ARTEFACTS = IDENTIFILER / "Identifiler_Artifacts"
STRBASE = IDENTIFILER / "STRbaseIF"
requires_ce = pytest.mark.skipif(not ARTEFACTS.is_dir(),
                                 reason=f"reference data not found at {ARTEFACTS}")

SAMPLE = "_imbalance_Amel_F04_C2(01-0801).fsa"
OTHER_DAY = "F12_LADDER_Run_3100_1465_027_2002-10-03_198_12.fsa"
SAME_PLATE = ("A12_ID_LADDER1_Run_3100_1465_027_2002-08-27_99_02.fsa",
              "C12_ID_LADDER3_Run_3100_1465_027_2002-08-27_99_06.fsa")


# --- the rule, by hand ------------------------------------------------------------------


@pytest.mark.parametrize(("offsets", "expected"), [
    ((-0.87, -0.96), -0.915),      # the F12 case: both a base short of ladder 13 and 14
    ((-0.5, -0.6), -0.55),         # at the tolerance: flagged (>=)
    ((0.5, 0.7, 0.9), 0.7),        # longer, three peaks
    ((-0.49, -0.9), None),         # one peak just inside half a bin: no shift
    ((-0.26, -0.30), None),        # the largest same-run case in the reference data
    ((-0.9, 0.9), None),           # opposite sides: not one shift
    ((0.1, 1.52), None),           # a peak on a ladder allele and one a base away (noise)
    ((-0.9,), None),               # one peak: a microvariant cannot be told from a shift
    ((), None),
])
def test_ladder_shift_threshold_both_sides(offsets: tuple[float, ...],
                                           expected: float | None) -> None:
    got = ladder_shift(offsets)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, abs=1e-12)


def test_ladder_shift_options() -> None:
    assert ladder_shift((-0.9,), min_peaks=1) == pytest.approx(-0.9)
    assert ladder_shift((-0.45, -0.6), tolerance_bp=0.4) == pytest.approx(-0.525)
    assert ladder_shift((-0.45, -0.6), tolerance_bp=0.5) is None
    with pytest.raises(InvalidParameter, match="tolerance_bp"):
        ladder_shift((-1.0, -1.0), tolerance_bp=0.0)
    with pytest.raises(InvalidParameter, match="min_peaks"):
        ladder_shift((-1.0, -1.0), min_peaks=0)
    with pytest.raises(InvalidParameter, match="ladder_shift_bp"):
        ArtefactParameters(ladder_shift_bp=-0.1)
    with pytest.raises(InvalidParameter, match="ladder_shift_min_peaks"):
        ArtefactParameters(ladder_shift_min_peaks=0)


def _ladder_locus() -> LadderLocus:
    # D19S433-like: ladder 12, 12.2, 13, 13.2, 14 measured at 114.3 .. 122.3 bp (4 bp repeat)
    alleles = ("12", "12.2", "13", "13.2", "14")
    sizes = (115.0, 117.0, 119.3, 121.3, 123.37)
    return LadderLocus(locus="D19S433", dye=2, unit=4, alleles=alleles, nominal=sizes,
                       sizes=sizes, heights=(1000.0,) * 5, offset=0.0, stretch=1.0,
                       window=(110.0, 130.0))


def _peak(allele: str, size: float, bin_: str = "virtual") -> CalledPeak:
    return CalledPeak(locus="D19S433", dye=2, allele=allele, bin=bin_, size=size,
                      height=1500.0, area=15000.0, scan=size * 20, saturated=False)


def _calls(*peaks: CalledPeak) -> SampleCalls:
    locus = _ladder_locus()
    sizing = SizingResult(sample="ladder", ok=True, reason=None, standard=None, dye=5)
    ladder = LadderResult(kit="Identifiler", file="/runs/other_day_LADDER.fsa", sample="ladder",
                          sizing=sizing, loci={"D19S433": locus})
    return SampleCalls(file="x.fsa", sample="x", sha256="0" * 64, kit="Identifiler",
                       loci={"D19S433": LocusCall(locus="D19S433", peaks=peaks)},
                       ladder=ladder)


def test_offsets_are_from_the_nearest_found_ladder_allele() -> None:
    call = _calls(_peak("12.3", 118.43), _peak("13.3", 122.40)).loci["D19S433"]
    offsets = ladder_offsets(call, _ladder_locus())
    assert [a for _, a in offsets] == ["13", "14"]
    assert [o for o, _ in offsets] == pytest.approx([118.43 - 119.3, 122.40 - 123.37])


def test_review_flags_a_hand_built_shift_and_not_calls_on_the_ladder() -> None:
    shifted = review(_calls(_peak("12.3", 118.43), _peak("13.3", 122.40)))
    flags = [f for f in shifted if f.rule == "ladder shift"]
    assert len(flags) == 1 and flags[0].locus == "D19S433"
    message = flags[0].message
    assert "-0.92 bp" in message and "other_day_LADDER.fsa" in message
    assert "without the shift: 13/14" in message and "--ladder" in message
    assert "ladder_shift_bp = 0.5" in message
    # the same peaks 0.4 bp short: in the ladder bins of 13 and 14, not flagged
    on_ladder = review(_calls(_peak("13", 118.9, "ladder"), _peak("14", 122.97, "ladder")))
    assert not [f for f in on_ladder if f.rule == "ladder shift"]
    # a laboratory that wants the 0.4 bp flagged says so
    strict = review(_calls(_peak("13", 118.9, "ladder"), _peak("14", 122.97, "ladder")),
                    params=ArtefactParameters(ladder_shift_bp=0.35))
    assert [f.locus for f in strict if f.rule == "ladder shift"] == ["D19S433"]


def test_no_ladder_no_shift_flag() -> None:
    calls = _calls(_peak("12.3", 118.43), _peak("13.3", 122.40))
    bare = SampleCalls(file=calls.file, sample=calls.sample, sha256=calls.sha256,
                       kit=calls.kit, loci=calls.loci)
    assert not [f for f in review(bare) if f.rule == "ladder shift"]


# --- the reference runs ------------------------------------------------------------------


@cache
def _run(path: Path) -> AbifRun:
    return read_abif(path)


@cache
def _ladder(path: Path) -> LadderResult:
    return locate_ladder(_run(path), kit="Identifiler")


def _shifts(sample: Path, ladder: Path) -> dict[str, str]:
    run = _run(sample)
    return {str(f.locus): f.message for f in review(call_sample(run, _ladder(ladder)), run=run)
            if f.rule == "ladder shift"}


@requires_ce
def test_other_day_ladder_is_flagged_at_d19s433() -> None:
    run = _run(ARTEFACTS / SAMPLE)
    calls = call_sample(run, _ladder(ARTEFACTS / OTHER_DAY))
    assert calls.loci["D19S433"].alleles == ["12.3", "13.3"]  # the wrong calls it explains
    shifts = _shifts(ARTEFACTS / SAMPLE, ARTEFACTS / OTHER_DAY)
    assert set(shifts) == {"D19S433"}
    message = shifts["D19S433"]
    assert OTHER_DAY in message and "without the shift: 13/14" in message
    assert "mean offset -0.9" in message  # -0.87 and -0.96 bp from ladder 13 and 14


@requires_ce
@pytest.mark.parametrize("ladder", SAME_PLATE)
def test_same_plate_ladder_is_not_flagged_and_calls_13_14(ladder: str) -> None:
    calls = call_sample(_run(ARTEFACTS / SAMPLE), _ladder(ARTEFACTS / ladder))
    assert calls.loci["D19S433"].alleles == ["13", "14"]
    assert _shifts(ARTEFACTS / SAMPLE, ARTEFACTS / ladder) == {}


def _same_run_pairs() -> list[tuple[Path, Path]]:
    """Every sample of the reference data with each ladder of its own run (the run start
    dates: 2002-08-27/28 plate 99, 2002-12-31, 2003-01-06, the 2005 STRbaseIF run)."""
    if not ARTEFACTS.is_dir():
        return []
    plate99 = [ARTEFACTS / n for n in (*SAME_PLATE, "_spike_in_D2_and_FGA_B12_ID_LADDER2.fsa")]
    a01 = {d: ARTEFACTS / f"A01_LADDER_Run_3100_1465_027_{d}.fsa"
           for d in ("2002-12-31_418_01", "2003-01-06_445_01")}
    of_run = {
        "_ILS_too_low_A06_OT05897.fsa": [a01["2002-12-31_418_01"]],
        "_stutter_in_D3_D16_A03_TT50.fsa": [a01["2003-01-06_445_01"]],
        "_switched_positive_control_A05_PT84244.fsa": [a01["2003-01-06_445_01"]],
        "_Positive_Control.fsa": [STRBASE / "Identifiler LADDER.fsa"],
    }
    pairs: list[tuple[Path, Path]] = []
    for path in sorted(ARTEFACTS.glob("*.fsa")):
        if "LADDER" in path.name:
            continue
        pairs += [(path, lad) for lad in of_run.get(path.name, plate99)]
    for path in sorted(STRBASE.glob("*.fsa")):
        if "LADDER" not in path.name:
            pairs.append((path, STRBASE / "Identifiler LADDER.fsa"))
    return pairs


@requires_ce
@pytest.mark.parametrize(("sample", "ladder"), _same_run_pairs(),
                         ids=lambda p: p.name[:24])
def test_no_ladder_of_the_samples_own_run_flags_a_shift(sample: Path, ladder: Path) -> None:
    assert _run(sample).metadata.get("run_start_date", "")[:7] == \
        _run(ladder).metadata.get("run_start_date", "")[:7]
    assert _shifts(sample, ladder) == {}
