"""Continuous (gamma peak-height) mixture LR benchmark: a 2-person and a 3-person 20-locus LR
(GlobalFiler fragment lengths, degradation and backward stutter modelled, one replicate), each
the full maximum-likelihood fit of Hp (POI + unknowns) and Hd (all unknown), with restarts.

    python benchmarks/bench_continuous.py --out benchmarks/results/bench_continuous.json

Profiles are drawn from NIST1036:Cauc with a fixed seed; peak heights are drawn from the model
itself (mu 1000, sigma 0.25, beta 0.8, xi 0.08, Mx 0.7/0.3, 0.6/0.3/0.1 or 0.5/0.25/0.15/0.1
with ``--persons 4``, AT 50). Targets (issue 14): 2-person <= 2 s, 3-person <= 20 s, 4-person
<= 5 min. ``seconds`` is the median wall-clock time of
``--repeat`` runs (``seconds_min`` the fastest, ``cpu_seconds`` the median process CPU time, the
honest figure on a shared machine; the first run of a session also compiles the Numba kernels).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from locard.genetics.alleles import Allele, parse_allele
from locard.genetics.kits import get_kit
from locard.genetics.profiles import Profile
from locard.stats.mixture.continuous import ContinuousOptions, HeightEvidence
from locard.stats.mixture.continuous_fit import ContinuousHypothesis, continuous_lr
from locard.tables.bundled import get_bundled_table

CODIS20 = ("CSF1PO", "D3S1358", "D5S818", "D7S820", "D8S1179", "D13S317", "D16S539", "D18S51",
           "D21S11", "FGA", "TH01", "TPOX", "vWA", "D1S1656", "D2S441", "D2S1338", "D10S1248",
           "D12S391", "D19S433", "D22S1045")


def _simulate(n: int, seed: int) -> tuple[HeightEvidence, Profile]:
    rng = np.random.default_rng(seed)
    table = get_bundled_table("NIST1036:Cauc")
    kit = get_kit("GlobalFiler")
    mx = {2: [0.7, 0.3], 3: [0.6, 0.3, 0.1], 4: [0.5, 0.25, 0.15, 0.1]}[n]
    mu, sigma, beta, xi = 1000.0, 0.25, 0.8, 0.08
    people: list[dict[str, list[Allele]]] = [{} for _ in range(n)]
    heights: dict[str, dict[Allele, float]] = {}
    for locus in CODIS20:
        alleles = list(table.frequencies[locus])
        p = np.array([table.frequencies[locus][a] for a in alleles])
        p = p / p.sum()
        dose: dict[Allele, float] = {}
        kl = kit.locus(locus)
        for k in range(n):
            gt = [alleles[i] for i in rng.choice(len(alleles), size=2, p=p)]
            people[k][locus] = gt
            for a in gt:
                dose[a] = dose.get(a, 0.0) + mx[k] * beta ** ((kl.fragment_length(a) - 125)
                                                             / 100)
        alpha: dict[Allele, float] = {}
        for a, d in dose.items():
            alpha[a] = alpha.get(a, 0.0) + (1 - xi) * d
            if a.is_repeat and a.repeats > 1:
                s = Allele.repeat(a.repeats - 1, a.variant)
                alpha[s] = alpha.get(s, 0.0) + xi * d
        heights[locus] = {}
        for a, al in alpha.items():
            y = float(rng.gamma(al / sigma**2, mu * sigma**2))
            if y >= 50:
                heights[locus][a] = round(y)
    poi = Profile.from_mapping({loc: [str(a) for a in gt] for loc, gt in people[0].items()},
                               specimen_id="POI")
    return HeightEvidence({"r1": heights}), poi


def _run(n: int, seed: int, repeat: int) -> dict[str, Any]:
    evidence, poi = _simulate(n, seed)
    options = ContinuousOptions(dropin=0.05, dropin_lambda=0.01, degradation=True,
                                backward_stutter=True, theta=0.01)
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        lr = continuous_lr(evidence, {"POI": poi}, ContinuousHypothesis(("POI",), n - 1),
                           ContinuousHypothesis((), n), get_bundled_table("NIST1036:Cauc"),
                           poi="POI", threshold=50, options=options,
                           kit=get_kit("GlobalFiler"), min_frequency=0.001)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return {"contributors": n, "loci": len(lr.per_locus),
            "seconds": round(float(np.median(walls)), 3),
            "seconds_min": round(min(walls), 3), "cpu_seconds": round(float(np.median(cpus)), 3),
            "repeats": repeat,
            "log10_lr": lr.log10_lr, "restarts_hp": len(lr.hp_fit.restarts),
            "restarts_hd": len(lr.hd_fit.restarts),
            "hp_parameters": lr.hp_fit.parameters.to_dict(),
            "hd_parameters": lr.hd_fit.parameters.to_dict()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--persons", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs per case; the median wall time is reported")
    args = parser.parse_args()
    # warm-up: compile the kernel
    _ = parse_allele("10")
    results = [_run(n, args.seed, args.repeat) for n in args.persons]
    report = {"benchmark": "continuous mixture LR", "machine": platform.platform(),
              "cpus": os.cpu_count(), "targets_s": {"2": 2.0, "3": 20.0}, "results": results}
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
