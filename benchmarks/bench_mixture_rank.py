"""Mixture LR ranking benchmark: a database ranked by the semi-continuous LR of a mixed trace.

    .venv/bin/python benchmarks/bench_mixture_rank.py [--sizes 1e6,10e6,26e6] [--naive 200]

N synthetic CODIS-20 profiles, encoded as the index stores them (uint8, locus-major
``[20, N, 2]``, built in memory without a database, as ``bench_kinship.py`` does), one of them
a donor of a simulated 2-person, 2-replicate trace (drop-out 0.1, drop-in 0.05, theta 0.01;
Hp: candidate + 1 unknown, Hd: 2 unknowns, the candidate a typed non-contributor), ranked
top 50. The naive figure is one explicit ``semicontinuous_lr`` per candidate on a small subset,
**extrapolated** linearly to N; the ratio is naive / fast. The expected adventitious hits at
LR >= 1000 and the suggested threshold are computed for each N.

Prints a table and writes JSON to benchmarks/results/ (git-ignored). Nothing is timed in the
tests.
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

from locard.genetics.profiles import Profile
from locard.search.mixture_rank import (
    CANDIDATE,
    adventitious_hits,
    mixture_lookup,
    mixture_lr_tables,
    rank_by_mixture_lr,
)
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.casefile import MixtureCase, parse_case
from locard.stats.mixture.semicontinuous import semicontinuous_lr
from locard.stats.simulate import SimulationModel, simulate_codes
from locard.tables.bundled import get_bundled_table

ROOT = Path(__file__).resolve().parents[1]


def trace_case(model: SimulationModel, donor: np.ndarray, other: np.ndarray,
               rng: np.random.Generator) -> MixtureCase:
    evidence: dict[str, dict[str, list[str]]] = {}
    for rep in ("r1", "r2"):
        per: dict[str, list[str]] = {}
        for li, locus in enumerate(model.loci):
            seen = {str(model.alleles[li][c - 1]) for c in (*donor[li], *other[li])
                    if rng.random() >= 0.1}
            if rng.random() < 0.05:
                seen.add(str(model.alleles[li][int(rng.integers(len(model.alleles[li])))]))
            per[locus] = sorted(seen)
        evidence[rep] = per
    return parse_case({
        "frequencies": {"table": "NIST1036:ALL", "min_frequency": 0.001},
        "profiles": {CANDIDATE: {}}, "poi": CANDIDATE, "evidence": evidence,
        "hypotheses": {"hp": {"contributors": [CANDIDATE], "unknowns": 1},
                       "hd": {"contributors": [], "unknowns": 2}},
        "dropout": {CANDIDATE: 0.1, "unknowns_hp": [0.1], "unknowns_hd": [0.1, 0.1]},
        "dropin": {"probability": 0.05}, "theta": 0.01})


def timed(fn: Any, repeats: int) -> tuple[list[float], list[float], Any]:
    times, cpu, out = [], [], None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return times, cpu, out


def bench(n: int, model: SimulationModel, table: FrequencyTable, case: MixtureCase,
          donor: np.ndarray, repeats: int, naive: int, seed: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    codes = simulate_codes(model, n, seed=seed + 1, locus_major=True)
    planted = int(np.random.default_rng(seed).integers(n))
    codes[:, planted, :] = donor
    generate_s = time.perf_counter() - t0
    maps = [list(a) for a in model.alleles]
    loci = list(model.loci)
    t0 = time.perf_counter()
    tables = mixture_lr_tables(case, table)
    lookup = mixture_lookup(tables, loci, maps)
    tables_s = time.perf_counter() - t0
    rank_by_mixture_lr(codes[:, :1000], maps, loci, lookup, top=50, locus_major=True)  # compile
    times, cpu, hits = timed(lambda c=codes: rank_by_mixture_lr(c, maps, loci, lookup, top=50,
                                                                locus_major=True), repeats)
    position = next((i for i, h in enumerate(hits) if h.row == planted), None)
    subset = model.decode(np.ascontiguousarray(codes[:, :naive].transpose(1, 0, 2)),
                          specimen_ids=[str(i) for i in range(naive)])
    spec = case.spec
    t0 = time.perf_counter()
    for prof in subset:
        profiles: dict[str, Profile] = {**case.profiles, CANDIDATE: prof}
        semicontinuous_lr(case.evidence, profiles, case.hp, case.hd, table, poi=CANDIDATE,
                          dropout=case.dropout, dropin=spec.dropin.probability,
                          theta=spec.theta, min_frequency=spec.frequencies.min_frequency)
    per_candidate = (time.perf_counter() - t0) / naive
    t0 = time.perf_counter()
    adv = adventitious_hits(tables, database_size=n, threshold=1000.0)
    adv_s = time.perf_counter() - t0
    median = float(np.median(times))
    del codes
    return {"benchmark": f"rank {n:,} by mixture LR", "n": n, "generate_s": generate_s,
            "tables_s": tables_s, "rank_median_s": median, "rank_min_s": float(min(times)),
            "rank_times_s": times, "rank_cpu_median_s": float(np.median(cpu)),
            "planted_rank": None if position is None else position + 1,
            "top_lr": hits[0].lr, "naive_per_candidate_s": per_candidate,
            "naive_subset": naive, "naive_extrapolated_s": per_candidate * n,
            "ratio": per_candidate * n / median, "adventitious": adv.to_dict(),
            "adventitious_s": adv_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1e6,10e6,26e6",
                    help="database sizes, comma-separated (26e6: 1 GB)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--naive", type=int, default=100, help="candidates for the naive figure")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()
    table = get_bundled_table("NIST1036:ALL")
    model = SimulationModel.from_table(table)
    rng = np.random.default_rng(args.seed)
    donor, other = simulate_codes(model, 2, seed=rng)
    case = trace_case(model, donor, other, rng)
    rows = [bench(int(float(x)), model, table, case, donor, args.repeats, args.naive, args.seed)
            for x in args.sizes.split(",") if x.strip()]
    print(f"{'benchmark':34} {'fast (s)':>9} {'naive extrap. (s)':>18} {'ratio':>10}  notes")
    for r in rows:
        adv = r["adventitious"]
        print(f"{r['benchmark']:34} {r['rank_median_s']:9.3f} "
              f"{r['naive_extrapolated_s']:18.0f} {r['ratio']:10.0f}  "
              f"planted rank {r['planted_rank']}, tables {r['tables_s']:.2f} s, "
              f"min {r['rank_min_s']:.3f} s, CPU {r['rank_cpu_median_s']:.3f} s; "
              f"expected adventitious at LR>=1000: {adv['expected']:.2e}, suggested "
              f"threshold {adv['suggested_threshold']:.3g}")
    out = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                       "numba_threads": numba.get_num_threads(),
                       "python": platform.python_version()},
           "note": "naive figures are semicontinuous_lr per candidate on a subset, "
                   "extrapolated linearly",
           "results": rows}
    res_dir = ROOT / "benchmarks" / "results"
    res_dir.mkdir(parents=True, exist_ok=True)
    path = res_dir / f"mixture_rank_{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(out, indent=1))
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
