"""Allele calling on the real runs: every ladder allele found, the positive controls call
exactly 9947A, the negative controls call nothing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from locard.ce.abif import read_abif
from locard.ce.artefacts import review
from locard.ce.calling import (
    LadderChecks,
    LadderLocus,
    call_sample,
    ladder_problems,
    locate_ladder,
    spike_dyes,
)
from locard.ce.signal import Peak
from locard.errors import InvalidParameter
from locard.genetics.kits import get_kit, positive_control

REPO = Path(__file__).resolve().parents[2]
CE = REPO.parent / "shared" / "data" / "ce" / "osiris_test_analysis"
requires_ce = pytest.mark.skipif(not CE.is_dir(), reason=f"reference data not found at {CE}")

RUNS = {  # kit: (ladder, positive control, negative control, ladder alleles)
    "Identifiler": ("Identifiler/STRbaseIF/Identifiler LADDER.fsa",
                    "Identifiler/STRbaseIF/Positive Control.fsa",
                    "Identifiler/STRbaseIF/Negative Control.fsa", 205),
    "PowerPlex 16": ("PowerPlex16/STRBasePP16/PP16 LADDER.fsa",
                     "PowerPlex16/STRBasePP16/positive control.fsa",
                     "PowerPlex16/STRBasePP16/negative control.fsa", 210),
    "Profiler Plus": ("ProfilerPlus/STRbasePP/ProfilerPlus LADDER.fsa",
                      "ProfilerPlus/STRbasePP/positive control.fsa",
                      "ProfilerPlus/STRbasePP/negative control.fsa", 118),
    "COfiler": ("Cofiler/STRbaseCOF/COfiler_LADDER.fsa", "Cofiler/STRbaseCOF/positive_control.fsa",
                "Cofiler/STRbaseCOF/negative_control.fsa", 54),
}


@requires_ce
@pytest.mark.parametrize("kit", sorted(RUNS))
def test_every_ladder_allele_is_found(kit: str) -> None:
    ladder_file, _, _, expected = RUNS[kit]
    ladder = locate_ladder(read_abif(CE / ladder_file), kit=kit)
    assert ladder.expected == expected
    assert ladder.found == expected, ladder.flags()
    # and a good ladder has no ladder-quality problem (no false positives on these four)
    assert ladder.problems() == {}, ladder.flags()
    # found in order: sizes strictly increase within each locus
    for locus in ladder.loci.values():
        sizes = [s for s in locus.sizes if s is not None]
        assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes), locus.locus


@requires_ce
@pytest.mark.parametrize("kit", sorted(RUNS))
def test_positive_control_calls_exactly_9947A(kit: str) -> None:
    ladder_file, positive, _, _ = RUNS[kit]
    ladder = locate_ladder(read_abif(CE / ladder_file), kit=kit)
    calls = call_sample(read_abif(CE / positive), ladder)
    expected = positive_control("9947A").restrict(get_kit(kit).locus_names)
    got = calls.genotype()
    assert set(got) == set(expected.typed_loci)
    for locus in expected.typed_loci:
        assert sorted(got[locus]) == sorted(str(a) for a in expected.alleles(locus)), locus


@requires_ce
@pytest.mark.parametrize("kit", sorted(RUNS))
def test_negative_control_calls_nothing_or_flags_every_peak(kit: str) -> None:
    ladder_file, _, negative, _ = RUNS[kit]
    ladder = locate_ladder(read_abif(CE / ladder_file), kit=kit)
    run = read_abif(CE / negative)
    calls = call_sample(run, ladder)
    flags = [f for f in review(calls, run=run, control="negative")
             if f.rule == "peaks in negative control"]
    if kit == "PowerPlex 16":
        # a 77 RFU peak in dye 1 at Penta E 10, above the 50 RFU default threshold: called,
        # and flagged as a peak in a negative control, naming the locus and the peak
        assert calls.genotype() == {"Penta E": ["10"]}
        assert [(f.locus, f.peak.split(" ")[0] if f.peak else None) for f in flags] == [
            ("Penta E", "10")]
    else:
        assert calls.genotype() == {}
        # nothing called; an off-ladder peak (Identifiler: 84 RFU at AMEL) is still flagged
        assert all(f.peak is not None and f.peak.startswith("OL ") for f in flags), flags


# --- ladder quality on a hand-built locus -----------------------------------------------------
# alleles 8..12 (4-bp repeat) at nominal 100..116 bp, found 2 bp higher, stretch 1, every
# allele 1000 RFU and 8 scans wide (median 1000 RFU, median width 8 scans); scan = 10 x bp

ALLELES = ("8", "9", "10", "11", "12")
NOMINAL = (100.0, 104.0, 108.0, 112.0, 116.0)


def ladder_locus(sizes: tuple[float | None, ...] = (102.0, 106.0, 110.0, 114.0, 118.0),
                 heights: tuple[float | None, ...] = (1000.0,) * 5) -> LadderLocus:
    return LadderLocus(locus="L", dye=1, unit=4, alleles=ALLELES, nominal=NOMINAL,
                       sizes=sizes, heights=heights, offset=2.0, stretch=1.0,
                       window=(90.0, 130.0))


def problems(locus: LadderLocus, extra: Sequence[tuple[float, float, float]] = (),
             other_dyes: tuple[int, ...] = (), checks: LadderChecks | None = None
             ) -> tuple[str, ...]:
    """``extra``: (size bp, height RFU, width scans) peaks of the locus's dye besides the
    alleles; ``other_dyes``: dyes with a peak at the scan of every extra peak."""
    pairs = [(s, h, 8.0) for s, h in zip(locus.sizes, locus.heights, strict=True)
             if s is not None and h is not None] + list(extra)
    peaks = [Peak(dye=1, scan=10 * s, height=h, area=h * w, width=w) for s, h, w in pairs]
    every = peaks + [Peak(dye=d, scan=10 * s, height=200.0, area=1600.0, width=8.0)
                     for s, _, _ in extra for d in other_dyes]
    return ladder_problems(locus, peaks, [s for s, _, _ in pairs], every, checks=checks)


def test_a_good_ladder_locus_has_no_problem() -> None:
    assert problems(ladder_locus()) == ()


def test_extra_peak_above_extra_fraction_and_not_stutter_is_a_problem() -> None:
    # 112 bp: 2 bp below allele 11 (a minus-2 position), so explained only up to
    # stutter_ratio = 0.5 of its 1000 RFU; unexplained, it counts from extra_fraction = 0.5
    assert problems(ladder_locus(), [(112.0, 450.0, 8.0)]) == ()  # below extra_fraction
    assert problems(ladder_locus(), [(112.0, 500.0, 8.0)]) == ()  # minus-2 at 0.5 of 11
    (found,) = problems(ladder_locus(), [(112.0, 600.0, 8.0)])
    assert "extra peak" in found and "112.00 bp" in found and "60%" in found
    assert problems(ladder_locus(), [(112.0, 600.0, 8.0)],
                    checks=LadderChecks(stutter_ratio=0.7)) == ()


def test_a_spike_counts_from_spike_fraction_in_every_dye() -> None:
    # 3 scans wide (< 0.5 x 8), 300 RFU (>= 0.2 x 1000, < extra_fraction): a spike only when
    # at least spike_min_dyes = 3 dyes show a peak at its scan
    spike = [(108.4, 300.0, 3.0)]
    assert problems(ladder_locus(), spike, other_dyes=(2,)) == ()
    (found,) = problems(ladder_locus(), spike, other_dyes=(2, 3))
    assert found.startswith("a spike") and "108.40 bp" in found and "[1, 2, 3]" in found
    assert problems(ladder_locus(), [(108.4, 150.0, 3.0)], other_dyes=(2, 3)) == ()
    wide = [(108.4, 300.0, 6.0)]  # 6 scans is not narrow: not a spike, and under 0.5
    assert problems(ladder_locus(), wide, other_dyes=(2, 3)) == ()


def test_irregular_spacing_beyond_the_tolerance() -> None:
    # 11 -> 12: nominal 4 bp x stretch 1; measured 5.4 (off by +1.4) passes, 6.0 (+2.0) fails
    assert problems(ladder_locus(sizes=(102.0, 106.0, 110.0, 114.0, 119.4))) == ()
    (found,) = problems(ladder_locus(sizes=(102.0, 106.0, 110.0, 114.0, 120.0)))
    assert "irregular spacing 11 to 12" in found and "+2.00 bp" in found
    assert problems(ladder_locus(sizes=(102.0, 106.0, 110.0, 114.0, 120.0)),
                    checks=LadderChecks(spacing_tolerance_bp=2.5)) == ()


def test_a_ladder_allele_far_below_the_median() -> None:
    # median of (1000, 1000, 310 or 290, 1000, 1000) is 1000; min_allele_fraction = 0.3
    assert problems(ladder_locus(heights=(1000.0, 1000.0, 310.0, 1000.0, 1000.0))) == ()
    (found,) = problems(ladder_locus(heights=(1000.0, 1000.0, 290.0, 1000.0, 1000.0)))
    assert found.startswith("ladder allele 10 at 110.00 bp is 290 RFU, 29%")


def test_a_locus_with_fewer_than_two_alleles_has_no_quality_problem() -> None:
    # it is incomplete instead (LadderLocus.missing), flagged as not fitting its definition
    lone = ladder_locus(sizes=(102.0, None, None, None, None),
                        heights=(1000.0, None, None, None, None))
    assert problems(lone) == ()


def test_spike_dyes_and_checks_validation() -> None:
    narrow = Peak(dye=2, scan=100.0, height=500.0, area=1.0, width=2.0)
    every = [Peak(dye=d, scan=101.0, height=100.0, area=1.0, width=8.0) for d in (1, 3, 4)]
    assert spike_dyes(narrow, every, typical_width=8.0) == (1, 2, 3, 4)
    assert spike_dyes(narrow, every, typical_width=4.0) is None  # 2 is not < 0.5 x 4
    assert spike_dyes(narrow, every[:1], typical_width=8.0) is None  # two dyes only
    with pytest.raises(InvalidParameter, match="extra_fraction"):
        LadderChecks(extra_fraction=0.0)
    with pytest.raises(InvalidParameter, match="spacing_tolerance_bp"):
        LadderChecks(spacing_tolerance_bp=0.0)
