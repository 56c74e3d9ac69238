"""Continuous (gamma) mixture LR ranking benchmark: a database ranked ProbRank-style.

    .venv/bin/python benchmarks/bench_continuous_rank.py [--sizes 1e6,10e6,26e6] [--refit 5]

N synthetic CODIS-20 profiles, encoded as the index stores them (uint8, locus-major
``[20, N, 2]``, in memory without a database, as ``bench_mixture_rank.py`` does), one of them
the major donor of a simulated 2-person, 20-locus trace (GlobalFiler fragment lengths, Mx
0.7/0.3, mu 1500, sigma 0.15, degradation beta 0.85, backward stutter 0.06, AT 50; Hd: 2
unknowns, Hp: candidate + 1 unknown; theta 0). Stages timed separately:

* ``hd fit + tables``: the maximum-likelihood fit of Hd and the per-slot genotype tables
  (once per case, independent of N);
* ``rank``: the fixed-parameter ranking of all N profiles, top 50 (both unknown slots scanned
  with the compiled kernel shared with the semi-continuous ranking, then merged), median of
  ``--repeats``;
* ``refit``: the full maximum-likelihood LR (Hp and Hd refitted) of the ``--refit`` best,
  per candidate (independent of N). The naive figure is that refit applied to all N profiles,
  **extrapolated** linearly from the per-candidate time; the ratio is naive / rank.

Prints a table and writes JSON to benchmarks/results/bench_continuous_rank.json (git-ignored).
Nothing is timed in the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numba
import numpy as np

from locard.genetics.kits import get_kit
from locard.search.continuous_rank import (
    CANDIDATE,
    ContinuousRankTables,
    continuous_lookups,
    continuous_rank_tables,
    decode_candidate,
    rank_by_continuous_lr,
    refit_hits,
)
from locard.stats.mixture.casefile import parse_case
from locard.stats.mixture.continuous_simulate import simulate_heights
from locard.stats.simulate import SimulationModel, simulate_codes
from locard.tables.bundled import get_bundled_table

ROOT = Path(__file__).resolve().parents[1]


def make_case(model: SimulationModel, donor: np.ndarray, other: np.ndarray,
              seed: int) -> Any:
    table = get_bundled_table("NIST1036:ALL")
    kit = get_kit("GlobalFiler")
    people = [{locus: [model.alleles[li][c - 1] for c in person[li]]
               for li, locus in enumerate(model.loci)} for person in (donor, other)]
    ev = simulate_heights(people, table, mx=[0.7, 0.3], mu=1500.0, sigma=0.15, beta=0.85,
                          xi=0.06, kit=kit, seed=seed)
    return parse_case({
        "model": "continuous",
        "frequencies": {"table": "NIST1036:ALL", "min_frequency": 0.001},
        "profiles": {CANDIDATE: {}}, "poi": CANDIDATE,
        "evidence": {"r1": {loc: {"alleles": [str(a) for a in v], "heights": list(v.values())}
                            for loc, v in ev.replicates["r1"].items()}},
        "hypotheses": {"hp": {"contributors": [CANDIDATE], "unknowns": 1},
                       "hd": {"contributors": [], "unknowns": 2}},
        "dropin": {"probability": 0.05, "lambda": 0.01}, "analytical_threshold": 50,
        "kit": "GlobalFiler", "theta": 0.0})


def bench(n: int, model: SimulationModel, rt: ContinuousRankTables, donor: np.ndarray,
          repeats: int, seed: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    codes = simulate_codes(model, n, seed=seed + 1, locus_major=True)
    planted = int(np.random.default_rng(seed).integers(n))
    codes[:, planted, :] = donor
    generate_s = time.perf_counter() - t0
    maps = [list(a) for a in model.alleles]
    loci = list(model.loci)
    t0 = time.perf_counter()
    lookups = continuous_lookups(rt, loci, maps)
    lookup_s = time.perf_counter() - t0
    rank_by_continuous_lr(codes[:, :1000], maps, loci, lookups, top=50, locus_major=True)
    times, cpu = [], []
    hits: list[Any] = []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        hits = rank_by_continuous_lr(codes, maps, loci, lookups, top=50, locus_major=True)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    position = next((i for i, h in enumerate(hits) if h.row == planted), None)
    top = hits[0]
    profiles = [decode_candidate(codes, maps, loci, h.row, locus_major=True) for h in hits]
    del codes
    return {"benchmark": f"rank {n:,} by continuous LR", "n": n, "generate_s": generate_s,
            "lookup_s": lookup_s, "rank_median_s": float(np.median(times)),
            "rank_min_s": float(min(times)), "rank_times_s": times,
            "rank_cpu_median_s": float(np.median(cpu)),
            "planted_rank": None if position is None else position + 1,
            "top_lr_fixed": top.lr_fixed, "top_slot": top.slot,
            "_hits": hits, "_profiles": profiles}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1e6,10e6,26e6",
                    help="database sizes, comma-separated (26e6: 1 GB of codes)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--refit", type=int, default=5, help="candidates refitted (timed)")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()
    table = get_bundled_table("NIST1036:ALL")
    model = SimulationModel.from_table(table)
    rng = np.random.default_rng(args.seed)
    donor, other = simulate_codes(model, 2, seed=rng)
    case = make_case(model, donor, other, args.seed)
    t0 = time.perf_counter()
    rt = continuous_rank_tables(case, table)
    tables_s = time.perf_counter() - t0
    rows = [bench(int(float(x)), model, rt, donor, args.repeats, args.seed)
            for x in args.sizes.split(",") if x.strip()]
    last = rows[-1]
    t0 = time.perf_counter()
    refitted = refit_hits(rt, last["_hits"][: args.refit], last["_profiles"][: args.refit],
                          refit=args.refit)
    refit_s = time.perf_counter() - t0
    per_refit = refit_s / max(args.refit, 1)
    refit_rows = [{"lr_fixed": h.lr_fixed, "lr": h.lr, "slot": h.slot} for h in refitted]
    for r in rows:
        del r["_hits"], r["_profiles"]
        r["naive_extrapolated_s"] = per_refit * r["n"]
        r["ratio"] = r["naive_extrapolated_s"] / r["rank_median_s"]
    print(f"Hd fit + tables (once per case): {tables_s:.2f} s; Hd parameters "
          f"{rt.hd_fit.fit.parameters.to_dict()}")
    print(f"refit (full ML LR, Hp and Hd): {per_refit:.2f} s per candidate "
          f"({args.refit} candidates, {refit_s:.1f} s)")
    print(f"{'benchmark':34} {'rank (s)':>9} {'target':>7} {'naive extrap. (s)':>18} "
          f"{'ratio':>10}  notes")
    for r in rows:
        print(f"{r['benchmark']:34} {r['rank_median_s']:9.3f} {'<= 10':>7} "
              f"{r['naive_extrapolated_s']:18.0f} {r['ratio']:10.0f}  "
              f"planted rank {r['planted_rank']}, min {r['rank_min_s']:.3f} s, "
              f"CPU {r['rank_cpu_median_s']:.3f} s, lookups {r['lookup_s']:.3f} s")
    out = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                       "numba_threads": numba.get_num_threads(),
                       "python": platform.python_version()},
           "case": "2-person, 20-locus (CODIS core), GlobalFiler, simulated heights; Hd 2 "
                   "unknowns",
           "tables_s": tables_s, "hd_parameters": rt.hd_fit.fit.parameters.to_dict(),
           "refit_per_candidate_s": per_refit, "refitted": refit_rows,
           "note": "naive figures are the full ML refit per candidate, extrapolated linearly "
                   "to N",
           "results": rows}
    path = ROOT / "benchmarks" / "results" / "bench_continuous_rank.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, default=float))
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
