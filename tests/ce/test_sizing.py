"""Sizing: Local Southern by hand, a synthetic lane standard with known positions and foreign
peaks, the real runs of the reference data, and a standard that cannot be fitted."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from locard.ce.abif import AbifRun, read_abif
from locard.ce.sizing import (
    get_lane_standard,
    lane_standards_for_kit,
    local_southern,
    size_run,
)
from locard.errors import CEAnalysisError, InvalidParameter

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
CE = SHARED / "ce" / "osiris_test_analysis"
requires_ce = pytest.mark.skipif(not CE.is_dir(), reason=f"reference data not found at {CE}")
SCANS = 12000


def southern(x: np.ndarray, *, l0: float = -60.0, c: float = 3.2e6, x0: float = -6000.0
             ) -> np.ndarray:
    return l0 + c / (x - x0)


def test_local_southern_is_exact_on_a_southern_curve() -> None:
    """Degenerate case: points on one curve L = L0 + c/(x - x0); every local fit is that curve."""
    x = np.array([1000.0, 1800.0, 2500.0, 3300.0, 4200.0, 5000.0, 6100.0])
    sizes = southern(x)
    query = np.array([1200.0, 2000.0, 3900.0, 5900.0])
    assert np.allclose(local_southern(x, sizes, query), southern(query), atol=1e-6)


def test_local_southern_by_hand_on_a_line() -> None:
    """Collinear points have no finite Southern curve through them (c -> infinity): Locard
    falls back to linear interpolation, which is then exact."""
    x = np.array([100.0, 200.0, 300.0, 400.0])
    sizes = np.array([50.0, 60.0, 70.0, 80.0])
    assert local_southern(x, sizes, [250.0])[0] == pytest.approx(65.0)


def _run_with_ils(ils: np.ndarray, *, dyes: int = 5) -> AbifRun:
    flat = np.zeros(SCANS, dtype=np.int16)
    traces = tuple([flat] * (dyes - 1) + [ils.astype(np.int16)])
    return AbifRun(path="synthetic.fsa", sha256="0" * 64, version=101, sample_name="synthetic",
                   dyes=("6FAM", "VIC", "NED", "PET", "LIZ")[:dyes], traces=traces,
                   metadata={}, entries=(), values={})


def _ils_trace(sizes: tuple[float, ...], *, foreign: list[tuple[float, float]],
               seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A LIZ-like channel: each fragment at the scan where a (non-linear) mobility puts it,
    plus foreign peaks (primer peak, pull-up) and noise."""
    s = np.asarray(sizes)
    scans = 600.0 + 23.0 * s - 0.004 * s**2  # slowing down with length
    x = np.arange(SCANS, dtype=np.float64)
    trace = np.full(SCANS, 30.0)
    rng = np.random.default_rng(seed)
    for position in scans:
        trace += rng.uniform(800, 1600) * np.exp(-0.5 * ((x - position) / 3.5) ** 2)
    for position, height in foreign:
        trace += height * np.exp(-0.5 * ((x - position) / 3.5) ** 2)
    return np.round(trace + rng.normal(0, 4, SCANS)), scans


def test_synthetic_standard_found_among_foreign_peaks() -> None:
    standard = get_lane_standard("ABI-LIZ500")
    foreign = [(300.0, 6000.0), (420.0, 5000.0), (2350.0, 700.0), (5200.0, 900.0),
               (7777.0, 1100.0)]
    trace, truth = _ils_trace(standard.sizes, foreign=foreign)
    result = size_run(_run_with_ils(trace), kit="Identifiler")
    assert result.ok, result.reason
    assert result.standard is not None and result.standard.name == "ABI-LIZ500"
    assert np.allclose(result.ils_scans, truth, atol=0.5)
    # fragments between the standard's peaks are sized to within a fraction of a bp
    fragments = np.array([120.0, 187.0, 233.5, 321.0, 444.0])
    at = 600.0 + 23.0 * fragments - 0.004 * fragments**2
    assert np.allclose(result.size(at), fragments, atol=0.1)
    assert result.in_range(at).all()
    assert result.correlation > 0.999 and result.max_residual < 1.0


def test_pattern_not_absolute_position() -> None:
    """The same standard shifted by 700 scans (a slower run) is still found."""
    standard = get_lane_standard("ABI-LIZ500")
    trace, truth = _ils_trace(standard.sizes, foreign=[])
    shifted = np.concatenate([np.full(700, 30.0), trace[:-700]])
    result = size_run(_run_with_ils(shifted), kit="Identifiler")
    assert result.ok and np.allclose(result.ils_scans, truth + 700, atol=0.5)


def test_a_channel_without_the_standard_fails_the_sample_with_a_reason() -> None:
    trace, _ = _ils_trace((100.0, 200.0, 300.0), foreign=[])
    result = size_run(_run_with_ils(trace), kit="Identifiler")
    assert not result.ok and result.standard is None
    assert result.reason is not None and "ABI-LIZ500" in result.reason
    assert "3 peaks above the threshold" in result.reason
    with pytest.raises(CEAnalysisError, match="synthetic: cannot size"):
        result.size([1000.0])


def test_kit_lane_standards_from_the_derived_table() -> None:
    identifiler = lane_standards_for_kit("Identifiler")
    assert identifiler.ils_dye == 5
    assert [s.name for s in identifiler.standards][:2] == ["ABI-LIZ500", "ABI-LIZ450"]
    assert lane_standards_for_kit("GlobalFiler").ils_dye == 5  # kit channel 6 = raw dye 5
    assert lane_standards_for_kit("PP16").ils_dye == 4
    assert get_lane_standard("abi-liz500").sizes[:4] == (75.0, 100.0, 139.0, 150.0)
    with pytest.raises(CEAnalysisError, match="unknown lane standard"):
        get_lane_standard("GS9000")


def test_parameters_are_checked() -> None:
    trace, _ = _ils_trace(get_lane_standard("ABI-LIZ500").sizes, foreign=[])
    with pytest.raises(InvalidParameter, match="tolerance"):
        size_run(_run_with_ils(trace), kit="Identifiler", tolerance=0)
    with pytest.raises(InvalidParameter, match="ils_dye"):
        size_run(_run_with_ils(trace), kit="Identifiler", ils_dye=7)


# --- the real runs -------------------------------------------------------------------------

KIT_OF_FOLDER = {"Identifiler": "Identifiler", "PowerPlex16": "PowerPlex 16",
                 "Cofiler": "COfiler", "ProfilerPlus": "Profiler Plus",
                 "GlobalFilerHID": "GlobalFiler", "PowerPlexFusionHID": "PowerPlex Fusion"}
FAMILY_OF_KIT = {"Identifiler": "ABI-LIZ-500", "PowerPlex 16": "PROMEGA-ILS-600",
                 "COfiler": "ABI-ROX-500", "Profiler Plus": "ABI-ROX-500",
                 "GlobalFiler": "ABI-LIZ-600", "PowerPlex Fusion": "PROMEGA-ILS-CC5-500-IDX"}


@requires_ce
def test_every_real_run_is_sized() -> None:
    runs = sorted([*CE.rglob("*.fsa"), *CE.rglob("*.hid")])
    assert len(runs) == 65
    for path in runs:
        kit = KIT_OF_FOLDER[path.relative_to(CE).parts[0]]
        result = size_run(read_abif(path), kit=kit)
        assert result.ok, f"{path.name}: {result.reason}"
        assert result.standard is not None
        assert result.standard.family == FAMILY_OF_KIT[kit], path.name
        assert result.correlation >= result.standard.correlation_acceptance, path.name
        assert result.max_residual <= 4.0, path.name


@requires_ce
def test_identifiler_ladder_standard_peaks_where_a_person_reads_them() -> None:
    """Read off the LIZ channel by eye: 14 peaks of GS500 75-500 (35 and 50 bp not run)."""
    run = read_abif(CE / "Identifiler/STRbaseIF/Identifiler LADDER.fsa")
    result = size_run(run, kit="Identifiler")
    assert result.standard is not None and result.standard.name == "ABI-LIZ500"
    by_eye = [316, 869, 1746, 1972, 2186, 3092, 4143, 5333, 6183, 6446, 7562, 8610, 9430, 9619]
    assert np.allclose(result.ils_scans, by_eye, atol=1.5)


@requires_ce
def test_pp16_standard_found_despite_taller_early_artefacts() -> None:
    """Promega ILS 600 on the PP16 ladder: 3000-7700 RFU artefacts before the standard, and
    ILS peaks of 100-270 RFU. The matched peaks show the standard's own signature that the
    matcher does not use: the 100, 200, 300, 400 and 500 bp fragments are the brightest."""
    run = read_abif(CE / "PowerPlex16/STRBasePP16/PP16 LADDER.fsa")
    result = size_run(run, kit="PowerPlex 16")
    assert result.ok and result.standard is not None
    assert result.standard.family == "PROMEGA-ILS-600"
    assert max(result.ils_heights) < 400 and min(result.ils_scans) > 1000
    heights = dict(zip(result.ils_sizes, result.ils_heights, strict=True))
    brightest = sorted(heights, key=lambda size: -heights[size])[:5]
    assert sorted(brightest) == [100.0, 200.0, 300.0, 400.0, 500.0]


@requires_ce
def test_wrong_standard_is_refused_with_a_reason() -> None:
    run = read_abif(CE / "Identifiler/STRbaseIF/Identifiler LADDER.fsa")
    result = size_run(run, kit="Identifiler",
                      standards=[get_lane_standard("ABI-LIZ-600-60-TO-600")])
    assert not result.ok and "ABI-LIZ-600-60-TO-600" in (result.reason or "")


@requires_ce
def test_ils_too_low_is_flagged() -> None:
    run = read_abif(CE / "Identifiler/Identifiler_Artifacts/_ILS_too_low_A06_OT05897.fsa")
    result = size_run(run, kit="Identifiler")
    assert result.ok and any(f.startswith("ILS too low") for f in result.flags)
    normal = size_run(read_abif(CE / "Identifiler/STRbaseIF/Identifiler LADDER.fsa"),
                      kit="Identifiler")
    assert normal.flags == ()


# --- the derivation -------------------------------------------------------------------------


@pytest.mark.skipif(not (SHARED / "kits").is_dir(), reason="reference data not found")
def test_derive_script_reproduces_committed_table(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "derive_ils.py"),
                             "--data-dir", str(SHARED / "kits"), "--out-dir", str(tmp_path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    committed = resources.files("locard.data").joinpath("lane_standards.json").read_bytes()
    assert (tmp_path / "lane_standards.json").read_bytes() == committed


@pytest.mark.skipif(not (SHARED / "kits").is_dir(), reason="reference data not found")
def test_derive_script_check_mode_reports_stale(tmp_path: Path) -> None:
    (tmp_path / "lane_standards.json").write_text("{}\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "derive_ils.py"),
                             "--data-dir", str(SHARED / "kits"), "--out-dir", str(tmp_path),
                             "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "stale" in result.stderr
