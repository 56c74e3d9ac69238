"""Artefacts and quality: each rule on hand-built calls, and the Identifiler artefact set,
whose file names say what each run shows, flagged as named."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from locard.ce.abif import read_abif
from locard.ce.artefacts import ArtefactFlag, ArtefactParameters, review, shape_flags
from locard.ce.calling import (
    CalledPeak,
    LadderResult,
    LocusCall,
    SampleCalls,
    call_sample,
    locate_ladder,
)
from locard.errors import InvalidParameter

REPO = Path(__file__).resolve().parents[2]
IDENTIFILER = REPO.parent / "shared" / "data" / "ce" / "osiris_test_analysis" / "Identifiler"
ARTEFACTS = IDENTIFILER / "Identifiler_Artifacts"
requires_ce = pytest.mark.skipif(not ARTEFACTS.is_dir(),
                                 reason=f"reference data not found at {ARTEFACTS}")


def peak(locus: str, allele: str, height: float, *, size: float = 150.0, dye: int = 1,
         filtered: str | None = None, saturated: bool = False,
         scan: float | None = None) -> CalledPeak:
    return CalledPeak(locus=locus, dye=dye, allele=allele, bin="ladder", size=size,
                      height=height, area=height * 10,
                      scan=size * 20 if scan is None else scan, saturated=saturated,
                      filtered=filtered)


def sample(**loci: list[CalledPeak]) -> SampleCalls:
    return SampleCalls(file="x.fsa", sample="x", sha256="0" * 64, kit="Identifiler",
                       loci={name: LocusCall(locus=name, peaks=tuple(ps))
                             for name, ps in loci.items()})


def rules(flags: tuple[ArtefactFlag, ...]) -> set[tuple[str, str | None]]:
    return {(f.rule, f.locus) for f in flags}


def test_heterozygote_balance_at_the_threshold() -> None:
    balanced = sample(D8S1179=[peak("D8S1179", "12", 600), peak("D8S1179", "13", 1000)])
    assert review(balanced) == ()
    low = sample(D8S1179=[peak("D8S1179", "12", 590), peak("D8S1179", "13", 1000)])
    (flag,) = review(low)
    assert (flag.rule, flag.locus) == ("heterozygote balance", "D8S1179")
    assert flag.peak is not None and "12" in flag.peak
    assert "0.59" in flag.message and "heterozygote_balance" in flag.message
    assert review(low, params=ArtefactParameters(heterozygote_balance=0.5)) == ()


def test_amelogenin_imbalance_has_its_own_threshold() -> None:
    calls = sample(AMEL=[peak("AMEL", "X", 1000), peak("AMEL", "Y", 450)])
    assert rules(review(calls)) == {("Amelogenin imbalance", "AMEL")}
    assert review(calls, params=ArtefactParameters(amelogenin_balance=0.4)) == ()


def test_more_than_two_alleles_is_a_possible_mixture() -> None:
    calls = sample(vWA=[peak("vWA", a, 1000) for a in ("15", "16", "17")])
    flags = review(calls)
    assert rules(flags) == {("mixture", "vWA")}
    assert "3 alleles" in flags[0].message


def test_filtered_artefacts_are_reported_with_their_rule() -> None:
    calls = sample(D3S1358=[
        peak("D3S1358", "15", 100, filtered="stutter of 16 (10.0% <= 15%)"),
        peak("D3S1358", "16", 1000),
        peak("D3S1358", "15.3", 50, filtered="minus-A of 16 (5.0%)"),
        peak("D3S1358", "17", 90, filtered="pull-up from dye 1 (1000 RFU at scan 2000)"),
        peak("D3S1358", "18", 95, filtered="spike: a peak at scan 2400 in every dye"),
        peak("D3S1358", "19", 40, filtered="below 10% of the locus's tallest peak (4.0%)")])
    got = rules(review(calls))
    assert got == {("stutter", "D3S1358"), ("minus-A", "D3S1358"), ("pull-up", "D3S1358"),
                   ("spike", "D3S1358")}


def test_off_scale_alleles_are_flagged() -> None:
    calls = sample(TPOX=[peak("TPOX", "8", 7380, saturated=True)])
    assert rules(review(calls)) == {("off-scale", "TPOX")}


def test_negative_control_any_peak_is_flagged_nothing_is_clean() -> None:
    assert review(sample(D8S1179=[]), control="negative") == ()
    calls = sample(D8S1179=[peak("D8S1179", "10", 77)])
    (flag,) = review(calls, control="negative")
    assert (flag.rule, flag.locus) == ("peaks in negative control", "D8S1179")
    assert flag.peak is not None and "10" in flag.peak and "77 RFU" in flag.peak


def test_positive_control_mismatch_names_locus_and_alleles() -> None:
    # 9947A: TH01 8/9.3, TPOX 8
    good = sample(TH01=[peak("TH01", "8", 900), peak("TH01", "9.3", 800)],
                  TPOX=[peak("TPOX", "8", 900)])
    assert review(good, control="positive", positive_control="9947A") == ()
    bad = sample(TH01=[peak("TH01", "7", 900), peak("TH01", "9.3", 800)],
                 TPOX=[peak("TPOX", "8", 900)])
    flags = review(bad, control="positive", positive_control="9947A")
    assert rules(flags) >= {("positive control mismatch", "TH01")}
    th01 = next(f for f in flags if f.locus == "TH01")
    assert "7" in th01.message and "8" in th01.message and "9947A" in th01.message


def test_invalid_control_and_parameters_name_the_value() -> None:
    with pytest.raises(InvalidParameter, match="control"):
        review(sample(), control="blank")
    with pytest.raises(InvalidParameter, match="heterozygote_balance"):
        ArtefactParameters(heterozygote_balance=1.5)


def _wide_and_narrow_trace(n: int = 6000) -> list[np.ndarray]:
    x = np.arange(n, dtype=np.float64)
    traces = []
    for dye in range(5):
        t = 20.0 + np.zeros(n)
        for c in (1000.0, 2000.0, 3000.0, 4000.0):
            t += 800.0 * np.exp(-0.5 * ((x - c - 37 * dye) / 7.0) ** 2)
        if dye == 0:  # a dye blob: broad
            t += 600.0 * np.exp(-0.5 * ((x - 2500.0) / 30.0) ** 2)
        if dye in (0, 1, 3, 4):  # a spike: narrow, the same scan in four dyes
            t += 500.0 * np.exp(-0.5 * ((x - 3500.0) / 1.2) ** 2)
        traces.append(np.round(t))
    return traces


def test_spike_and_dye_blob_from_peak_shape() -> None:
    calls = sample(D8S1179=[peak("D8S1179", "12", 600, dye=1, size=125.0, scan=2500.0),
                            peak("D8S1179", "13", 500, dye=1, size=175.0, scan=3500.0),
                            peak("D8S1179", "14", 800, dye=1, size=180.0, scan=3000.0)])
    flags = shape_flags(calls, _wide_and_narrow_trace())
    assert {(f.rule, (f.peak or "").split(" ")[0]) for f in flags} == {("dye blob", "12"),
                                                               ("spike", "13")}


# --- the Identifiler artefact set ------------------------------------------------------------

# file: (control, rule, loci that must carry it; None for a sample-level flag)
EXPECTED: dict[str, tuple[str | None, str, set[str | None]]] = {
    "_spike_in_D2_and_FGA_B12_ID_LADDER2.fsa": (None, "spike", {"D2S1338", "FGA"}),
    "_pull-up_D21_vWA_B08_UT57312 .fsa": (None, "pull-up", {"D21S11", "vWA"}),
    "_off_scale_data_D3_D21_vWA_B08_UT57312.fsa": (None, "off-scale", {"D3S1358"}),
    "_stutter_in_D3_D16_A03_TT50.fsa": (None, "stutter", {"D3S1358", "D16S539"}),
    "_ILS_too_low_A06_OT05897.fsa": (None, "lane standard", {None}),
    "_imbalance_Amel_F04_C2(01-0801).fsa": (None, "Amelogenin imbalance", {"AMEL"}),
    "_mixture_G01_ESM7.fsa": (None, "mixture", {"D7S820", "D16S539", "D2S1338", "TH01"}),
    "_switched_positive_control_A05_PT84244.fsa": ("positive", "positive control mismatch",
                                                   {"D8S1179", "TH01", "TPOX"}),
    "_peaks_in_negative_E12_BLANK.fsa": ("negative", "peaks in negative control",
                                         {"D21S11", "D7S820", "CSF1PO"}),
    "_sample_with_probem_laddr_D2_FGA_F04_C2(01-0801).fsa": (None, "ladder",
                                                             {"D2S1338", "FGA"}),
}
SPIKED_LADDER = "_spike_in_D2_and_FGA_B12_ID_LADDER2.fsa"
LADDER_OF = {
    # byte-identical to _imbalance_Amel_F04_C2(01-0801).fsa: the problem is the ladder it was
    # analysed with, the one of its plate (run 2002-08-27) with spikes in D2 and FGA
    "_sample_with_probem_laddr_D2_FGA_F04_C2(01-0801).fsa": SPIKED_LADDER,
}
"""Files analysed with a ladder of the artefact set instead of the clean STRbaseIF ladder."""


@cache
def _ladder(name: str | None = None) -> LadderResult:
    path = (IDENTIFILER / "STRbaseIF" / "Identifiler LADDER.fsa" if name is None
            else ARTEFACTS / name)
    return locate_ladder(read_abif(path), kit="Identifiler")


@requires_ce
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_artefact_set_is_flagged_as_named(name: str) -> None:
    control, rule, loci = EXPECTED[name]
    run = read_abif(ARTEFACTS / name)
    flags = review(call_sample(run, _ladder(LADDER_OF.get(name))), run=run, control=control)
    flagged = {f.locus for f in flags if f.rule == rule}
    assert loci <= flagged, [str(f) for f in flags]
    for f in flags:  # every flag names its rule, and a locus flag names its peak
        assert f.rule in str(f)
        assert f.locus is None or f.peak, str(f)


@requires_ce
def test_a_good_positive_control_is_not_flagged_as_mismatched() -> None:
    run = read_abif(ARTEFACTS / "_Positive_Control.fsa")
    flags = review(call_sample(run, _ladder()), run=run, control="positive")
    assert not [f for f in flags if f.rule == "positive control mismatch"], flags


@requires_ce
def test_pull_up_from_an_off_scale_dye_is_not_itself_off_scale() -> None:
    # regression: the OfSc scans of TH01 9.3 (dye 2, saturated) marked the pull-up peaks at the
    # same scans in dye 1 (D21S11) and dye 3 (vWA) as off-scale
    run = read_abif(ARTEFACTS / "_pull-up_D21_vWA_B08_UT57312 .fsa")
    calls = call_sample(run, _ladder())
    assert [p.allele for p in calls.loci["TH01"].called if p.saturated]
    for locus in ("D21S11", "vWA"):
        assert not [p for p in calls.loci[locus].called if p.saturated], locus


@requires_ce
def test_a_saturated_flat_top_is_called_once() -> None:
    # regression: the flat top of the off-scale TH01 9.3 had two local maxima 4 scans apart
    # and was called twice (186.85 and 187.03 bp)
    run = read_abif(ARTEFACTS / "_off_scale_data_D3_D21_vWA_B08_UT57312.fsa")
    th01 = call_sample(run, _ladder()).loci["TH01"]
    assert [p.allele for p in th01.called] == ["9.3"]
    assert th01.called[0].saturated


PROBLEM_SAMPLE = "_sample_with_probem_laddr_D2_FGA_F04_C2(01-0801).fsa"


@requires_ce
def test_problem_ladder_flag_names_locus_ladder_file_and_problem() -> None:
    run = read_abif(ARTEFACTS / PROBLEM_SAMPLE)
    flags = [f for f in review(call_sample(run, _ladder(SPIKED_LADDER)), run=run)
             if f.rule == "ladder"]
    assert {f.locus for f in flags} == {"D2S1338", "FGA"}, [str(f) for f in flags]
    for f in flags:
        assert SPIKED_LADDER in f.message and "spike" in f.message and "346.0" in f.message
        assert f.peak is not None  # the sample's calls that rest on the questionable bins
    d2 = next(f for f in flags if f.locus == "D2S1338")
    assert d2.peak is not None and d2.peak.startswith("21 at ") and ", 24 at " in d2.peak


@requires_ce
def test_the_same_sample_with_a_clean_ladder_has_no_ladder_flag() -> None:
    # the rule can fail: the same file (byte-identical to the Amelogenin-imbalance run)
    # against the clean STRbaseIF ladder, and against the ladder run just before the
    # spiked one on the same plate, raises no ladder flag
    run = read_abif(ARTEFACTS / PROBLEM_SAMPLE)
    for ladder in (None, "A12_ID_LADDER1_Run_3100_1465_027_2002-08-27_99_02.fsa"):
        flags = review(call_sample(run, _ladder(ladder)), run=run)
        assert not [f for f in flags if f.rule == "ladder"], (ladder, [str(f) for f in flags])


LADDERS_OF_THE_SET = (sorted(p.name for p in ARTEFACTS.glob("*LADDER*.fsa"))
                      if ARTEFACTS.is_dir() else [])


@requires_ce
@pytest.mark.parametrize("name", LADDERS_OF_THE_SET)
def test_which_ladders_of_the_set_have_problems(name: str) -> None:
    # the 8 ladder runs of the artefact set: only the spiked one has problems (its spike at
    # 346 bp, scan 6591, in dyes 1, 2, 4 and 5, inside the D2S1338 and FGA ladder ranges);
    # the others (and the STRbaseIF ladder, tests/ce/test_calling.py) have none
    ladder = _ladder(name)
    assert ladder.complete
    expected = {"D2S1338", "FGA"} if name == SPIKED_LADDER else set()
    assert set(ladder.problems()) == expected, ladder.flags()
    for problems in ladder.problems().values():
        assert len(problems) == 1 and problems[0].startswith("a spike among the ladder")
