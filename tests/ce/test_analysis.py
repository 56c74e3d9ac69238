"""``locard.ce.analysis.analyze_run``: one function from a run to calls, flags, profile and
provenance, the same JSON the CLI prints; the continuous-model case file built from it."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import pytest

from locard.ce import AbifRun, LadderResult, analyze_run, control_kind, locate_ladder, read_abif
from locard.ce.analysis import CallParameters, continuous_case
from locard.ce.artefacts import ArtefactParameters
from locard.ce.signal import SignalParameters
from locard.errors import InputError, InvalidParameter
from locard.genetics.kits import get_kit, positive_control

REPO = Path(__file__).resolve().parents[2]
CE = REPO.parent / "shared" / "data" / "ce" / "osiris_test_analysis"
IF = CE / "Identifiler" / "STRbaseIF"
requires_ce = pytest.mark.skipif(not IF.is_dir(), reason=f"reference data not found at {IF}")


@cache
def _ladder() -> LadderResult:
    return locate_ladder(read_abif(IF / "Identifiler LADDER.fsa"), kit="Identifiler")


@cache
def _run(name: str) -> AbifRun:
    return read_abif(IF / name)


def test_control_kind_from_names() -> None:
    assert control_kind("Negative Control") == "negative"
    assert control_kind("x", "plate/Blank_A02.fsa") == "negative"
    assert control_kind("Positive Control") == "positive"
    assert control_kind("PC 9947A") == "positive"
    assert control_kind("MIX05case3_victim", "MIX05case3_victim.fsa") is None


@requires_ce
def test_positive_control_calls_9947a_with_provenance() -> None:
    path = IF / "Positive Control.fsa"
    a = analyze_run(path, ladder=_ladder(), positive_control="9947A")
    expected = positive_control("9947A").restrict(get_kit("Identifiler").locus_names)
    assert a.control == "positive"
    assert set(a.loci) == set(expected.typed_loci)
    for locus, r in a.loci.items():
        assert sorted(r.alleles) == sorted(str(x) for x in expected.alleles(locus))
        assert len(r.heights) == len(r.sizes) == len(r.areas) == len(r.alleles)
        assert all(h >= 50 for h in r.heights)  # the analytical threshold
    assert not a.flags_by_rule("positive control mismatch")
    # the profile is the called alleles, nothing more
    assert a.profile is not None
    assert {k: sorted(str(x) for x in a.profile.alleles(k)) for k in a.profile.typed_loci} \
        == {k: sorted(r.alleles) for k, r in a.loci.items()}
    p = a.provenance
    assert p["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() == a.sha256
    assert p["ladder_sha256"] == hashlib.sha256(
        (IF / "Identifiler LADDER.fsa").read_bytes()).hexdigest()
    assert p["file_name"] == "Positive Control.fsa" and p["kit"] == "Identifiler"
    assert p["lane_standard"] and p["sizing_method"] == "Local Southern"
    assert p["parameters"]["signal"]["analytical_threshold"] == 50.0
    assert p["parameters"]["calling"]["stutter"] == 0.15
    assert p["parameters"]["artefacts"]["heterozygote_balance"] == 0.6
    assert p["locard_version"]
    json.dumps(p)  # storable as it is


@requires_ce
def test_flags_are_the_reviews_each_naming_rule_locus_and_peak() -> None:
    a = analyze_run(_run("Positive Control.fsa"), ladder=_ladder(), positive_control="2800M")
    mismatch = a.flags_by_rule("positive control mismatch")
    assert mismatch and all(f.locus and "2800M" in f.message for f in mismatch)
    # the review's filtered-peak flags are there, each with its peak
    assert all(f.peak for f in a.flags_by_rule("stutter"))
    d = a.to_dict()
    assert d["flags"] == [str(f) for f in a.flags]
    assert [x["rule"] for x in d["flag_details"]] == [f.rule for f in a.flags]


@requires_ce
def test_negative_control_calls_nothing_and_flags_its_peaks() -> None:
    a = analyze_run(_run("Negative Control.fsa"), ladder=_ladder())
    assert a.control == "negative" and a.loci == {} and a.profile is None
    assert all(f.locus for f in a.flags_by_rule("peaks in negative control"))
    forced = analyze_run(_run("Negative Control.fsa"), ladder=_ladder(), control=None)
    assert forced.control is None and not forced.flags_by_rule("peaks in negative control")


@requires_ce
def test_positive_control_without_a_declared_genotype_is_flagged() -> None:
    a = analyze_run(_run("Positive Control.fsa"), ladder=_ladder())
    (flag,) = a.flags_by_rule("positive control")
    assert "--positive-control" in flag.message


@requires_ce
def test_parameters_change_the_calls_and_are_recorded() -> None:
    strict = analyze_run(_run("MIX05case3_victim.fsa"), ladder=_ladder(),
                         signal=SignalParameters(dye_thresholds={1: 2000.0}),
                         calling=CallParameters(stutter=0.2),
                         artefacts=ArtefactParameters(heterozygote_balance=0.9))
    loose = analyze_run(_run("MIX05case3_victim.fsa"), ladder=_ladder())
    assert sum(len(r.alleles) for r in strict.loci.values()) \
        < sum(len(r.alleles) for r in loose.loci.values())
    assert strict.provenance["parameters"]["signal"]["dye_thresholds"] == {"1": 2000.0}
    assert strict.provenance["parameters"]["calling"]["stutter"] == 0.2


def test_bad_arguments_name_the_value(tmp_path: Path) -> None:
    ladder = _ladder() if IF.is_dir() else None
    if ladder is None:
        pytest.skip("reference data not found")
    with pytest.raises(InvalidParameter, match="control"):
        analyze_run(tmp_path / "x.fsa", ladder=ladder, control="sample")
    with pytest.raises(InputError, match=r"x\.fsa"):
        analyze_run(tmp_path / "x.fsa", ladder=ladder)


@requires_ce
def test_continuous_case_has_one_replicate_per_run_with_heights() -> None:
    a = analyze_run(_run("MIX05case3_victim.fsa"), ladder=_ladder())
    case = continuous_case([a, a])
    assert case["model"] == "continuous" and case["kit"] == "Identifiler"
    assert len(case["evidence"]) == 2
    rep = next(iter(case["evidence"].values()))
    assert "AMEL" not in rep
    for locus, r in a.loci.items():
        if locus != "AMEL":
            assert rep[locus] == {"alleles": list(r.alleles), "heights": list(r.heights)}
    assert case["analytical_threshold"] == 50.0
    with pytest.raises(InputError):
        continuous_case([])
