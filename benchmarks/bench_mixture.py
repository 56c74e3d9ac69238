"""Semi-continuous (LRmix) mixture LR benchmark: one 3-person, 20-locus, 2-replicate LR and one
4-unknown LR, each beside a naive reference (explicit Python loops over every ordered joint
genotype of the unknowns with the sequential Balding-Nichols formula, as in
tests/stats/mixture/test_semicontinuous.py), reported as a ratio.

    python benchmarks/bench_mixture.py --out benchmarks/results/bench_mixture.json

Profiles are drawn from NIST1036:Cauc with a fixed seed; each replicate drops each allele copy
with the contributor's drop-out. Times are the median of --repeat runs (the naive reference:
one run, on --naive-loci loci, scaled per locus).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture import Evidence, Hypothesis, semicontinuous_lr
from locard.tables.bundled import get_bundled_table


def _draw(table: FrequencyTable, loci: Sequence[str], rng: np.random.Generator
          ) -> dict[str, list[str]]:
    out = {}
    for locus in loci:
        alleles = list(table.frequencies[locus])
        p = np.array([table.frequencies[locus][a] for a in alleles])
        pick = rng.choice(len(alleles), size=2, p=p / p.sum())
        out[locus] = [str(alleles[i]) for i in pick]
    return out


def _scenario(n_people: int, n_loci: int, n_reps: int, dropout: float, seed: int
              ) -> tuple[FrequencyTable, dict[str, dict[str, list[str]]], dict[str, Any]]:
    table = get_bundled_table("NIST1036:Cauc")
    rng = np.random.default_rng(seed)
    loci = [x for x in table.loci if x != "AMEL"][:n_loci]
    people = {f"P{i}": _draw(table, loci, rng) for i in range(n_people)}
    evidence: dict[str, dict[str, list[str]]] = {}
    for r in range(n_reps):
        rep: dict[str, list[str]] = {}
        for locus in loci:
            seen = {a for gt in people.values() for a in gt[locus] if rng.random() > dropout}
            rep[locus] = sorted(seen)
        evidence[f"rep{r + 1}"] = rep
    return table, people, evidence


def _median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _naive_locus(reps: Sequence[Sequence[str]], freqs: Mapping[str, float],
                 contributors: Sequence[tuple[tuple[str, str], float]],
                 typed: Sequence[tuple[str, str]], unknown_dropout: Sequence[float],
                 *, dropin: float, theta: float) -> float:
    evidence = sorted({a for r in reps for a in r})
    p = {a: freqs[a] for a in evidence}
    p["Q"] = sum(f for a, f in freqs.items() if a not in evidence)
    universe = [*evidence, "Q"]
    genotypes = [(universe[i], universe[j]) for i in range(len(universe))
                 for j in range(i, len(universe))]
    seen = [a if a in evidence else "Q" for gt in typed for a in gt]
    total = 0.0
    for joint in itertools.product(genotypes, repeat=len(unknown_dropout)):
        drawn = list(seen)
        prior = 1.0
        for gt in joint:
            prior *= 1.0 if gt[0] == gt[1] else 2.0
            for a in gt:
                prior *= (drawn.count(a) * theta + (1 - theta) * p[a]) / (
                    1 + (len(drawn) - 1) * theta)
                drawn.append(a)
        people = [((g[0] if g[0] in evidence else "Q", g[1] if g[1] in evidence else "Q"), d)
                  for g, d in contributors]
        people += list(zip(joint, unknown_dropout, strict=True))
        like = prior
        for rep in reps:
            dropped_in = False
            for a in universe:
                copies = [d for gt, d in people for b in gt if b == a]
                big_d = math.prod(copies) if copies else 1.0
                if a in rep:
                    if copies:
                        like *= 1 - big_d
                    else:
                        like *= dropin * p[a]
                        dropped_in = True
                else:
                    like *= big_d
            if not dropped_in:
                like *= 1 - dropin
        total += like
    return total


def _case(name: str, n_people: int, n_loci: int, n_reps: int, hp_unknowns: int,
          hd_unknowns: int, known: bool, repeat: int, naive_loci: int, seed: int
          ) -> dict[str, Any]:
    d_u, dropin, theta = 0.15, 0.05, 0.01
    table, people, ev = _scenario(n_people, n_loci, n_reps, 0.1, seed)
    profiles = {k: Profile.from_mapping(v) for k, v in people.items()}
    knowns = ("P1",) if known else ()
    hp = Hypothesis((*knowns, "P0"), (d_u,) * hp_unknowns)
    hd = Hypothesis(knowns, (d_u,) * hd_unknowns)
    dropout = {"P0": 0.1, "P1": 0.1}
    evidence = Evidence.from_mapping(ev)

    def fast() -> float:
        return semicontinuous_lr(evidence, profiles, hp, hd, table, poi="P0", dropout=dropout,
                                 dropin=dropin, theta=theta, min_frequency=0.001).lr

    fast_s = _median(fast, repeat)
    result = semicontinuous_lr(evidence, profiles, hp, hd, table, poi="P0", dropout=dropout,
                               dropin=dropin, theta=theta, min_frequency=0.001)
    loci = list(result.per_locus)[:naive_loci]
    t0 = time.perf_counter()
    worst = 0.0
    for locus in loci:
        freqs = {str(a): f for a, f in table.frequencies[locus].items()}
        reps = [ev[r][locus] for r in ev]
        typed = [tuple(people[k][locus]) for k in dict.fromkeys([*knowns, "P0"])]
        contrib_hp = [(tuple(people[k][locus]), dropout[k]) for k in hp.contributors]
        contrib_hd = [(tuple(people[k][locus]), dropout[k]) for k in hd.contributors]
        l_hp = _naive_locus(reps, freqs, contrib_hp, typed, hp.unknown_dropout,  # type: ignore[arg-type]
                            dropin=dropin, theta=theta)
        l_hd = _naive_locus(reps, freqs, contrib_hd, typed, hd.unknown_dropout,  # type: ignore[arg-type]
                            dropin=dropin, theta=theta)
        worst = max(worst, abs(l_hp / l_hd - result.per_locus[locus].lr)
                    / result.per_locus[locus].lr)
    naive_s = (time.perf_counter() - t0) / max(len(loci), 1) * len(result.per_locus)
    alleles = [len(v.alleles) for v in result.per_locus.values()]
    return {"case": name, "loci": len(result.per_locus), "replicates": n_reps,
            "unknowns_hp": hp_unknowns, "unknowns_hd": hd_unknowns,
            "evidence_alleles_max": max(alleles), "log10_lr": result.log10_lr,
            "fast_s": fast_s, "naive_s_scaled": naive_s, "naive_loci_timed": len(loci),
            "speedup": naive_s / fast_s, "max_rel_diff_vs_naive": worst}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--naive-loci", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    rows = [
        _case("3 persons, 20 loci, 2 replicates (Hp: K+POI+1U, Hd: K+2U)", 3, 20, 2, 1, 2, True,
              args.repeat, args.naive_loci, seed=1),
        _case("4 unknowns, 20 loci, 1 replicate (Hp: POI+3U, Hd: 4U)", 4, 20, 1, 3, 4, False,
              args.repeat, args.naive_loci, seed=2),
    ]
    for r in rows:
        print(f"{r['case']}: fast {r['fast_s'] * 1000:.1f} ms, naive {r['naive_s_scaled']:.2f} s "
              f"(x{r['speedup']:.0f}), max alleles {r['evidence_alleles_max']}, "
              f"rel diff {r['max_rel_diff_vs_naive']:.1e}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({
            "benchmark": "bench_mixture", "python": sys.version.split()[0],
            "machine": platform.machine(), "cpus": os.cpu_count(), "results": rows},
            indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
