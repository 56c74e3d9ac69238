"""Kinship benchmark: database-wide ranking against a reference pedigree, and the DVI matrix.

    .venv/bin/python benchmarks/bench_kinship.py [--sizes 1e6,26e6] [--victims 1000]
        [--families 500] [--workers 1,2]

- Ranking: N synthetic CODIS-20 profiles, encoded as the index stores them (uint8, locus-major
  ``[20, N, 2]``), one of them the missing child of the reference family, ranked against (a) a
  parent-child reference (one parent typed), (b) a three-person pedigree (both parents and a
  full sibling of the missing person typed) and (c) a sibling only (both parents untyped),
  stepwise mutation, at each theta of ``--thetas`` (default 0 and 0.01: Balding-Nichols over
  all founder alleles; only the tables differ, the look-up kernel is the same). The naive figure
  is ``missing_person_lr`` per candidate on a small subset (``--naive``, or ``--naive-theta``
  with theta), **extrapolated** to N.
- DVI: V victims (half of them the missing persons of the families, every fourth of those
  partial; the rest unrelated) against F families (a third each: both parents, one parent and a
  sibling, one sibling), the pairwise LR matrix with stepwise mutation, then the joint
  identification. The naive figure is ``missing_person_lr`` on a subset of pairs, extrapolated.

Prints a table and writes JSON to benchmarks/results/ (git-ignored). Nothing is timed in the
tests.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from pathlib import Path
from typing import Any

import numba
import numpy as np

from locard.errors import CombinatorialLimit
from locard.genetics.profiles import Profile
from locard.search.kinship_rank import kinship_lookup, rank_by_kinship
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship import (
    Individual,
    MutationModel,
    Pedigree,
    Sex,
    genotype_lr_tables,
    missing_person_lr,
)
from locard.stats.kinship.dvi import dvi_identify, dvi_lr_matrix
from locard.stats.simulate import SimulationModel, simulate_codes
from locard.tables.bundled import get_bundled_table

ROOT = Path(__file__).resolve().parents[1]
STEPWISE = MutationModel("stepwise")


def transmit(rng: np.random.Generator, parent: np.ndarray) -> np.ndarray:
    out: np.ndarray = parent[np.arange(parent.shape[0]), rng.integers(0, 2, parent.shape[0])]
    return out


def family_codes(model: SimulationModel, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """father, mother, missing child, sibling: codes [L, 2] each (Mendelian, no mutation)."""
    fa, mo = simulate_codes(model, 2, seed=rng)
    kids = [np.sort(np.stack([transmit(rng, fa), transmit(rng, mo)], axis=1), axis=1)
            for _ in range(2)]
    return fa, mo, kids[0].astype(np.uint8), kids[1].astype(np.uint8)


def pedigree(model: SimulationModel, fa: np.ndarray, mo: np.ndarray, sib: np.ndarray, *,
             typed: tuple[str, ...], tag: str = "") -> Pedigree:
    profiles = model.decode(np.stack([fa, mo, sib]),
                            specimen_ids=[f"FA{tag}", f"MO{tag}", f"SIB{tag}"])
    by_id = dict(zip(("FA", "MO", "SIB"), profiles, strict=True))
    people = [Individual("FA", None, None, Sex.MALE, by_id["FA"] if "FA" in typed else None),
              Individual("MO", None, None, Sex.FEMALE, by_id["MO"] if "MO" in typed else None),
              Individual("X", "FA", "MO", Sex.MALE)]
    if "SIB" in typed:
        people.append(Individual("SIB", "FA", "MO", Sex.FEMALE, by_id["SIB"]))
    return Pedigree.build(people, missing="X")


def timed(fn: Any, repeats: int) -> tuple[list[float], list[float], Any]:
    """Wall-clock and process CPU seconds (all threads) of each call, and the last result."""
    times, cpu, out = [], [], None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return times, cpu, out


def bench_rank(n: int, model: SimulationModel, table: FrequencyTable, repeats: int,
               naive: int, seed: int, thetas: tuple[float, ...] = (0.0,),
               naive_theta: int = 20) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    fa, mo, missing, sib = family_codes(model, rng)
    t0 = time.perf_counter()
    codes = simulate_codes(model, n, seed=seed + 1, locus_major=True)
    planted_row = int(rng.integers(n))
    codes[:, planted_row, :] = missing
    generate_s = time.perf_counter() - t0
    allele_maps = [list(a) for a in model.alleles]
    loci = list(model.loci)
    rows: list[dict[str, Any]] = []
    cases = [(name, typed, theta) for theta in thetas
             for name, typed in (("parent-child", ("FA",)), ("three-person", ("FA", "MO", "SIB")),
                                 ("sibling only", ("SIB",)))]
    for name, typed, theta in cases:
        ped = pedigree(model, fa, mo, sib, typed=typed)
        t0 = time.perf_counter()
        tables = genotype_lr_tables(ped, table, mutation=STEPWISE, theta=theta)
        lookup = kinship_lookup(tables, loci, allele_maps)
        tables_s = time.perf_counter() - t0
        rank_by_kinship(codes[:, :1000], allele_maps, loci, lookup, top=100,
                        locus_major=True)  # compile
        times, cpu, hits = timed(lambda lk=lookup, c=codes: rank_by_kinship(
            c, allele_maps, loci, lk, top=100, locus_major=True), repeats)
        position = next((i for i, h in enumerate(hits) if h.row == planted_row), None)
        # naive: missing_person_lr per candidate on a subset, extrapolated to n
        few = naive if theta == 0 else min(naive, naive_theta)
        subset = model.decode(np.ascontiguousarray(codes[:, :few].transpose(1, 0, 2)),
                              specimen_ids=[str(i) for i in range(few)])
        t0 = time.perf_counter()
        worst = 0.0
        for k, prof in enumerate(subset):
            direct = missing_person_lr(ped, prof, table, mutation=STEPWISE, theta=theta)
            if direct.lr > 0 and np.all(codes[:, k, 0] > 0):
                fast = math.prod(tables[loc].lookup(prof.loci[loc].alleles)
                                 for loc in direct.per_locus)
                worst = max(worst, abs(fast / direct.lr - 1))
        per_candidate = (time.perf_counter() - t0) / few
        median = float(np.median(times))
        rows.append({
            "benchmark": f"rank {n:,} vs {name}, theta {theta:g}", "n": n, "pedigree": name,
            "theta": theta, "max_rel_diff_vs_naive": worst,
            "typed_relatives": list(typed), "generate_s": generate_s,
            "tables_s": tables_s, "rank_median_s": median, "rank_min_s": float(min(times)),
            "rank_times_s": times, "rank_cpu_median_s": float(np.median(cpu)),
            "planted_rank": None if position is None else position + 1,
            "top_lr": hits[0].lr, "naive_per_candidate_s": per_candidate,
            "naive_subset": few, "naive_extrapolated_s": per_candidate * n,
            "speedup": per_candidate * n / median})
    del codes
    return rows


def bench_dvi(n_victims: int, n_families: int, model: SimulationModel, table: FrequencyTable,
              workers: list[int], naive_pairs: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    families: dict[str, Pedigree] = {}
    victims: list[Profile] = []
    kinds = (("FA", "MO"), ("MO", "SIB"), ("SIB",))
    truth: dict[str, str] = {}
    for f in range(n_families):
        fa, mo, missing, sib = family_codes(model, rng)
        name = f"FAM{f:04d}"
        families[name] = pedigree(model, fa, mo, sib, typed=kinds[f % 3], tag=name)
        if len(victims) < n_victims // 2:
            if len(victims) % 4 == 3:  # a partial profile: 8 loci lost
                missing = missing.copy()
                missing[rng.choice(missing.shape[0], 8, replace=False)] = 0
            vid = f"V{len(victims):05d}"
            victims.append(model.decode(missing[None], specimen_ids=[vid])[0])
            truth[vid] = name
    rest = n_victims - len(victims)
    victims += model.decode(simulate_codes(model, rest, seed=seed + 7),
                            specimen_ids=[f"U{i:05d}" for i in range(rest)])
    rows: list[dict[str, Any]] = []
    matrix = None
    for w in workers:
        t0 = time.perf_counter()
        matrix = dvi_lr_matrix(victims, families, table, mutation=STEPWISE, workers=w)
        elapsed = time.perf_counter() - t0
        rows.append({"benchmark": f"DVI matrix {n_victims}x{n_families} (workers={w})",
                     "victims": n_victims, "families": n_families, "workers": w,
                     "matrix_s": elapsed})
    assert matrix is not None
    # naive: missing_person_lr per pair on a subset, extrapolated to V x F
    names = list(families)
    pairs = [(int(rng.integers(n_victims)), int(rng.integers(n_families)))
             for _ in range(naive_pairs)]
    t0 = time.perf_counter()
    worst = 0.0
    for v, f in pairs:
        direct = missing_person_lr(families[names[f]], victims[v], table, mutation=STEPWISE)
        if direct.lr > 0:
            worst = max(worst, abs(matrix.lr[v, f] / direct.lr - 1))
    per_pair = (time.perf_counter() - t0) / naive_pairs
    for row in rows:
        row.update({"naive_per_pair_s": per_pair, "naive_pairs": naive_pairs,
                    "naive_extrapolated_s": per_pair * n_victims * n_families,
                    "speedup": per_pair * n_victims * n_families / row["matrix_s"],
                    "max_rel_diff_vs_naive": worst})
    for exclusion in (1e-3, 1.0, 100.0):
        t0 = time.perf_counter()
        try:
            result = dvi_identify(matrix, exclusion_threshold=exclusion)
        except CombinatorialLimit as exc:
            rows.append({"benchmark": f"DVI joint (exclusion {exclusion:g})",
                         "identify_s": time.perf_counter() - t0,
                         "outcome": f"CombinatorialLimit: {exc.message}"})
            continue
        elapsed = time.perf_counter() - t0
        correct = sum(1 for v in result.matrix.victims
                      if result.best(v)[0] == truth.get(v, "not identified"))
        rows.append({"benchmark": f"DVI joint (exclusion {exclusion:g})", "identify_s": elapsed,
                     "undisputed": len(result.undisputed),
                     "undisputed_correct": sum(1 for u in result.undisputed
                                               if truth.get(u.victim) == u.family),
                     "components": len(result.components),
                     "largest_component": max((c["assignments"] for c in result.components),
                                              default=0),
                     "best_outcome_correct": correct, "outcome": "ok"})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1e6", help="database sizes, comma-separated (26e6: 1 GB)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--naive", type=int, default=200, help="candidates for the naive figure")
    ap.add_argument("--thetas", default="0,0.01",
                    help="theta values of the ranking, comma-separated")
    ap.add_argument("--naive-theta", type=int, default=20,
                    help="candidates for the naive figure with theta > 0 (slower per candidate)")
    ap.add_argument("--victims", type=int, default=1000)
    ap.add_argument("--families", type=int, default=500)
    ap.add_argument("--workers", default="1,2", help="DVI process counts to time")
    ap.add_argument("--naive-pairs", type=int, default=200)
    ap.add_argument("--skip-dvi", action="store_true")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()
    table = get_bundled_table("NIST1036:ALL")
    model = SimulationModel.from_table(table)
    rows: list[dict[str, Any]] = []
    for size in [int(float(x)) for x in args.sizes.split(",") if x.strip()]:
        rows += bench_rank(size, model, table, args.repeats, args.naive, args.seed,
                           tuple(float(x) for x in args.thetas.split(",") if x.strip()),
                           args.naive_theta)
    if not args.skip_dvi:
        rows += bench_dvi(args.victims, args.families, model, table,
                          [int(x) for x in args.workers.split(",")], args.naive_pairs,
                          args.seed)
    print(f"{'benchmark':45} {'fast (s)':>10} {'naive extrap. (s)':>18} {'ratio':>10}  notes")
    for r in rows:
        fast = r.get("rank_median_s", r.get("matrix_s", r.get("identify_s")))
        naive = r.get("naive_extrapolated_s")
        ratio = r.get("speedup")
        notes = []
        if "planted_rank" in r:
            notes.append(f"planted rank {r['planted_rank']}, tables {r['tables_s']:.2f} s, "
                         f"min {r['rank_min_s']:.3f} s, CPU {r['rank_cpu_median_s']:.3f} s")
        if "max_rel_diff_vs_naive" in r:
            notes.append(f"max rel diff vs naive {r['max_rel_diff_vs_naive']:.1e}")
        if "outcome" in r:
            notes.append(r["outcome"] if r["outcome"] != "ok" else
                         f"undisputed {r['undisputed']} ({r['undisputed_correct']} correct), "
                         f"best outcome correct {r['best_outcome_correct']}, "
                         f"largest component {r['largest_component']} assignments")
        print(f"{r['benchmark']:45} {fast:10.3f} "
              f"{'' if naive is None else f'{naive:18.1f}':>18} "
              f"{'' if ratio is None else f'{ratio:10.0f}':>10}  {'; '.join(notes)}")
    out = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                       "numba_threads": numba.get_num_threads(),
                       "python": platform.python_version()},
           "note": "naive figures are missing_person_lr on a subset, extrapolated linearly",
           "results": rows}
    res_dir = ROOT / "benchmarks" / "results"
    res_dir.mkdir(parents=True, exist_ok=True)
    path = res_dir / f"kinship_{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(out, indent=1))
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
