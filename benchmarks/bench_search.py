"""Search engine benchmark: synthetic PowerPlex 21 / CODIS 20 databases, fast kernels against
a straightforward NumPy reference on the same data, one run.

    .venv/bin/python benchmarks/bench_search.py --sizes 1e6,1e7 [--queries 200]

Prints a table and writes JSON to benchmarks/results/. Encoded arrays are generated directly
(vectorised); nothing is timed in the tests.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numba
import numpy as np

from locard.genetics.loci import CODIS_CORE_20
from locard.search import ProfileIndex, kernels
from locard.search.selfcheck import near_match_rows
from locard.stats.frequencies import FrequencyTable
from locard.stats.simulate import SimulationModel, mixture_profile, simulate_codes

ROOT = Path(__file__).resolve().parents[1]
NIST_CSV = (ROOT.parent / "shared" / "data" / "frequencies" / "nist1036"
            / "nist1036_allele_freqs.csv")


def load_table() -> FrequencyTable:
    try:
        from locard.tables.bundled import get_bundled_table

        return get_bundled_table("NIST1036:ALL")
    except Exception:
        freqs: dict[str, dict[str, float]] = defaultdict(dict)
        with NIST_CSV.open() as fh:
            for row in csv.DictReader(fh):
                if row["population"] == "ALL":
                    freqs[row["locus"]][row["allele"]] = float(row["frequency"])
        return FrequencyTable.from_mapping(freqs, name="NIST1036:ALL", sample_alleles=2072)


def ms(values: list[float]) -> dict[str, float]:
    arr = np.array(values) * 1e3
    return {"median_ms": float(np.median(arr)), "p99_ms": float(np.percentile(arr, 99)),
            "mean_ms": float(arr.mean()), "n": len(values)}


def bench_size(n: int, model: SimulationModel, table: FrequencyTable, n_queries: int,
               seed: int, naive_queries: int) -> dict[str, Any]:
    res: dict[str, Any] = {"n": n}
    rng = np.random.default_rng(seed)
    t = time.perf_counter()
    codes = simulate_codes(model, n, seed=rng, locus_major=True)
    res["simulate_s"] = time.perf_counter() - t
    index = ProfileIndex.from_codes(codes, np.arange(n), loci=model.loci, alleles=model.alleles,
                                    table=table, name="bench")
    res["bytes_per_profile"] = index.bytes_per_profile()
    # queries: half planted true matches (rows of the database), half fresh random people
    planted = rng.integers(0, n, size=n_queries // 2)
    fresh = simulate_codes(model, n_queries - len(planted), seed=rng)
    q_codes = np.concatenate([codes[:, planted].transpose(1, 0, 2), fresh])
    queries = model.decode(q_codes)
    index.search(queries[0], min_loci=10)  # JIT warm-up (cached to disk)
    lat, found = [], 0
    for i, q in enumerate(queries):
        t = time.perf_counter()
        hits = index.search(q, stringency="moderate", min_loci=10)
        lat.append(time.perf_counter() - t)
        if i < len(planted):
            found += int(int(planted[i]) in {c.key for c in hits})
    res["moderate_search"] = ms(lat)
    res["planted_found"] = f"{found}/{len(planted)}"
    # kernel alone vs the NumPy reference, same queries, same answers
    kl, nl = [], []
    for q in queries[:naive_queries]:
        qt = index.encoder.query_table(q)
        order = index._order(qt)
        t = time.perf_counter()
        a = kernels.scan(codes, qt.table, qt.full, order, mode=kernels.MODERATE, max_fail=0,
                         min_loci=10)
        kl.append(time.perf_counter() - t)
        t = time.perf_counter()
        b = kernels.scan_numpy(codes, qt.table, qt.full, order, mode=kernels.MODERATE,
                               max_fail=0, min_loci=10)
        nl.append(time.perf_counter() - t)
        assert np.array_equal(a[0], b[0])
    res["moderate_kernel"] = ms(kl)
    res["moderate_numpy_reference"] = ms(nl)
    res["moderate_speedup"] = float(np.median(nl) / np.median(kl))
    # mixture inclusion: 3-person mixtures of database members
    mix_lat, mix_found, mix_naive, mix_kernel = [], 0, [], []
    n_mix = max(10, n_queries // 4)
    for m in range(n_mix):
        members = rng.choice(n, size=3, replace=False)
        mix = mixture_profile(model, codes[:, members].transpose(1, 0, 2))
        t = time.perf_counter()
        hits = index.search_mixture(mix, max_dropout_loci=0, min_loci=10, limit=50)
        mix_lat.append(time.perf_counter() - t)
        mix_found += int(set(members.tolist()) <= {c.key for c in hits})
        if m < naive_queries:
            qt = index.encoder.query_table(mix)
            order = index._order(qt)
            t = time.perf_counter()
            kernels.scan(codes, qt.table, qt.full, order, mode=kernels.INCLUDED, max_fail=0,
                         min_loci=10)
            mix_kernel.append(time.perf_counter() - t)
            t = time.perf_counter()
            kernels.scan_numpy(codes, qt.table, qt.full, order, mode=kernels.INCLUDED,
                               max_fail=0, min_loci=10)
            mix_naive.append(time.perf_counter() - t)
    res["mixture_search"] = ms(mix_lat)
    res["mixture_contributors_found"] = f"{mix_found}/{n_mix}"
    res["mixture_kernel"] = ms(mix_kernel)
    res["mixture_numpy_reference"] = ms(mix_naive)
    res["mixture_speedup"] = float(np.median(mix_naive) / np.median(mix_kernel))
    # save / load (memory-mapped) and first search after load
    tmp = Path(tempfile.mkdtemp(prefix="locard-bench-"))
    try:
        t = time.perf_counter()
        path = index.save(tmp / "bench.locard-index")
        res["save_s"] = time.perf_counter() - t
        t = time.perf_counter()
        loaded = ProfileIndex.load(path, expunged=[int(planted[0])], table=table)
        res["load_s"] = time.perf_counter() - t
        t = time.perf_counter()
        hits = loaded.search(queries[1], min_loci=10)
        res["load_plus_first_search_s"] = res["load_s"] + time.perf_counter() - t
        res["snapshot_bytes_per_profile"] = sum(
            f.stat().st_size for f in path.iterdir()) / n
        del loaded, hits
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # near-match self-check (pigeonhole blocks) with planted duplicates / one-allele pairs
    t = time.perf_counter()
    rows = near_match_rows(codes, min_matching_loci=18)
    res["selfcheck_s"] = time.perf_counter() - t
    res["selfcheck_pairs"] = int(rows.shape[0])
    del index, codes
    return res


def bench_pairs(model: SimulationModel, n: int, naive_n: int) -> dict[str, Any]:
    codes = simulate_codes(model, n, seed=99, locus_major=True)
    kernels.pair_counts(codes[:, :500])  # warm-up
    t = time.perf_counter()
    table = kernels.pair_counts(codes)
    fast = time.perf_counter() - t
    assert int(table.sum()) == n * (n - 1) // 2
    sub = codes[:, :naive_n]
    t = time.perf_counter()
    ref = kernels.pair_counts_numpy(sub)
    naive = time.perf_counter() - t
    assert np.array_equal(ref, kernels.pair_counts(sub))
    pairs, naive_pairs = n * (n - 1) / 2, naive_n * (naive_n - 1) / 2
    # near-match self-check vs brute force on the same sub-sample
    t = time.perf_counter()
    near_match_rows(sub, min_matching_loci=18)
    blocked = time.perf_counter() - t
    return {"n": n, "pairs": pairs, "pair_matrix_s": fast, "pairs_per_s": pairs / fast,
            "numpy_reference_n": naive_n, "numpy_reference_s": naive,
            "numpy_pairs_per_s": naive_pairs / naive,
            "speedup_per_pair": (pairs / fast) / (naive_pairs / naive),
            "selfcheck_subsample_s": blocked}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1e6", help="comma-separated database sizes")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--naive-queries", type=int, default=10)
    ap.add_argument("--pairs", type=int, default=100_000, help="profiles for the pair table")
    ap.add_argument("--pairs-naive", type=int, default=5_000)
    ap.add_argument("--skip-pairs", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    table = load_table()
    model = SimulationModel.from_table(table, CODIS_CORE_20)
    out: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "cpus": numba.get_num_threads(),
                    "numba": numba.__version__, "numpy": np.__version__},
        "loci": list(model.loci), "table": table.name, "sizes": []}
    for size in [int(float(s)) for s in args.sizes.split(",")]:
        r = bench_size(size, model, table, args.queries, args.seed, args.naive_queries)
        out["sizes"].append(r)
        print(f"\n== {size:,} profiles ({r['bytes_per_profile']:.0f} B/profile in RAM, "
              f"{r['snapshot_bytes_per_profile']:.1f} B on disk; simulate {r['simulate_s']:.1f} s)")
        for key in ("moderate_search", "moderate_kernel", "moderate_numpy_reference",
                    "mixture_search", "mixture_kernel", "mixture_numpy_reference"):
            v = r[key]
            print(f"  {key:28s} median {v['median_ms']:9.2f} ms   p99 {v['p99_ms']:9.2f} ms"
                  f"   (n={v['n']})")
        print(f"  speed-up vs NumPy: moderate x{r['moderate_speedup']:.0f}, "
              f"mixture x{r['mixture_speedup']:.0f}; planted found {r['planted_found']}, "
              f"mixture contributors {r['mixture_contributors_found']}")
        print(f"  save {r['save_s']:.2f} s, load {r['load_s']:.3f} s, load + first search "
              f"{r['load_plus_first_search_s']:.3f} s; near-match self-check "
              f"{r['selfcheck_s']:.1f} s ({r['selfcheck_pairs']} pairs)")
    if not args.skip_pairs:
        p = bench_pairs(model, args.pairs, args.pairs_naive)
        out["pair_matrix"] = p
        print(f"\n== pair-count matrix of {p['n']:,} profiles ({p['pairs']:.3g} pairs): "
              f"{p['pair_matrix_s']:.1f} s ({p['pairs_per_s']:.3g} pairs/s); NumPy reference "
              f"{p['numpy_pairs_per_s']:.3g} pairs/s on {p['numpy_reference_n']:,} -> "
              f"x{p['speedup_per_pair']:.0f} per pair")
    res_dir = ROOT / "benchmarks" / "results"
    res_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = res_dir / f"bench_search-{stamp}.json"
    path.write_text(json.dumps(out, indent=1))
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
