"""PowerPlex 21 on synthetic traces: no raw PowerPlex 21 run is in the reference data.

The traces are generated from the kit definition itself: a ladder run with every ladder allele
at its nominal bp (shifted and stretched per locus as real runs are), and a sample run with a
known genotype, 8 % back stutter, noise and a Promega CC5 ILS 500 lane standard, all through a
non-linear mobility curve.

What this proves: the whole chain (lane-standard recognition, Local Southern sizing, ladder
location by pattern and order for all 21 PowerPlex 21 loci including the 5-base Penta repeats,
binning, stutter filtering, heights) is consistent with the kit definition, and a known
genotype comes back exactly. What it does not prove: anything about real PowerPlex 21
chemistry: the peak shapes, the real bp offsets of each locus, pull-up between these dyes, the
actual stutter ratios and any artefact of a real instrument are not modelled, so it is no
substitute for validation on real PowerPlex 21 runs."""

from __future__ import annotations

import numpy as np

from locard.ce.abif import AbifRun
from locard.ce.calling import call_sample, locate_ladder
from locard.ce.sizing import get_lane_standard
from locard.genetics.alleles import parse_allele
from locard.genetics.kits import KitLocus, get_kit

SCANS = 12000
DYES = ("FL", "JOE", "TMR", "CXR", "CC5")


def _scan(bp: float) -> float:
    return 600.0 + 23.0 * bp - 0.004 * bp**2


def _peak(trace: np.ndarray, bp: float, height: float) -> None:
    x = np.arange(SCANS, dtype=np.float64)
    trace += height * np.exp(-0.5 * ((x - _scan(bp)) / 3.5) ** 2)


def _unit(locus: KitLocus) -> float:
    whole = {a.repeats: bp for a, bp in zip(locus.ladder, locus.ladder_bp, strict=True)
             if a.is_repeat and a.variant == 0}
    steps = [whole[r + 1] - whole[r] for r in whole if r + 1 in whole]
    return float(np.median(steps)) if steps else 4.0


def _run(name: str, peaks: list[tuple[int, float, float]], seed: int) -> AbifRun:
    rng = np.random.default_rng(seed)
    traces = [np.full(SCANS, 40.0) for _ in DYES]
    for size in get_lane_standard("Promega-ILS-CC5-500-IDX").sizes:
        _peak(traces[4], size, rng.uniform(600, 1200))
    for dye, bp, height in peaks:
        _peak(traces[dye - 1], bp, height)
    noisy = tuple(np.round(t + rng.normal(0, 5, SCANS)).astype(np.int16) for t in traces)
    return AbifRun(path=f"{name}.fsa", sha256="0" * 64, version=101, sample_name=name,
                   dyes=DYES, traces=noisy, metadata={}, entries=(), values={})


def _measured(locus_index: int, bp: float) -> float:
    """Where a fragment of nominal ``bp`` runs: a per-locus shift of -3 to +5 bp and a 1 %
    stretch, as the real runs differ from the nominal sizes."""
    return -3.0 + (locus_index % 5) * 2.0 + 1.01 * bp


def test_pp21_synthetic_ladder_and_known_genotype() -> None:
    kit = get_kit("PowerPlex 21")
    rng = np.random.default_rng(21)
    ladder_peaks: list[tuple[int, float, float]] = []
    sample_peaks: list[tuple[int, float, float]] = []
    truth: dict[str, list[str]] = {}
    planted: dict[tuple[str, str], float] = {}
    for k, locus in enumerate(kit.loci):
        dye = locus.fsa_channel or locus.channel
        for bp in locus.ladder_bp:
            ladder_peaks.append((dye, _measured(k, bp), float(rng.uniform(800, 1500))))
        n = len(locus.ladder)
        picks = ([0, 1] if n <= 2 else
                 sorted({int(rng.integers(1, n - 1)), int(rng.integers(1, n - 1))}))
        truth[locus.name] = [str(locus.ladder[i]) for i in picks]
        for i in picks:
            height = float(rng.uniform(900, 2500)) / len(picks)
            bp = locus.ladder_bp[i]
            sample_peaks.append((dye, _measured(k, bp), height))
            planted[(locus.name, str(locus.ladder[i]))] = height
            if locus.name != "AMEL":  # back stutter, one repeat shorter, 8 %
                sample_peaks.append((dye, _measured(k, bp - _unit(locus)), 0.08 * height))
    ladder = locate_ladder(_run("ladder", ladder_peaks, 1), kit="PowerPlex 21")
    assert ladder.sizing.standard is not None
    assert ladder.sizing.standard.name == "Promega-ILS-CC5-500-IDX"
    assert ladder.found == ladder.expected, ladder.flags()
    calls = call_sample(_run("sample", sample_peaks, 2), ladder)
    got = calls.genotype()
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in truth.items()}
    stutters = [p for c in calls.loci.values() for p in c.peaks
                if p.filtered and p.filtered.startswith("stutter")]
    assert len(stutters) >= 15  # stutter above the threshold is seen and filtered, not called
    # heights: the planted height plus the stutter of an allele one repeat longer, when that
    # stutter lands on it (a heterozygote one repeat apart), within 10 % + 15 RFU
    for name, call in calls.loci.items():
        alleles = {a: h for (n, a), h in planted.items() if n == name}
        for allele, height in zip(call.alleles, call.heights, strict=True):
            a = parse_allele(allele)
            above = [h for b, h in alleles.items() if a.is_repeat
                     and parse_allele(b).repeats == a.repeats + 1
                     and parse_allele(b).variant == a.variant]
            expected = planted[(name, allele)] + 0.08 * sum(above)
            assert abs(height - expected) <= 0.1 * expected + 15, (name, allele)
