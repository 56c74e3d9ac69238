"""Allele calling on the real runs: every ladder allele found, the positive controls call
exactly 9947A, the negative controls call nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from locard.ce.abif import read_abif
from locard.ce.artefacts import review
from locard.ce.calling import call_sample, locate_ladder
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
