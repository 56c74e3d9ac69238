"""Calibration of the continuous (gamma) model's LR at the model defaults: Tippet, Cllr and ECE
over simulated 2-person mixtures, with the NFI's ``lir`` (issue 14, item 6).

    python benchmarks/calibrate_continuous.py --cases 100 \
        --out benchmarks/results/calibrate_continuous.json

Each case draws two unrelated people from NIST1036:Cauc at the ``--loci`` (6) first CODIS loci and
simulates one replicate of their mixture from the gamma model itself
(:func:`locard.stats.mixture.continuous_simulate.simulate_heights`; GlobalFiler fragment
lengths): Mx of the major uniform on (0.5, 0.95), mu log-uniform on (60, 2000) RFU (low-template,
with drop-out, to high), sigma uniform on (0.15, 0.3), beta on (0.6, 1), backward stutter xi
on (0.04, 0.1), drop-in 0.05 per locus with lambda 0.01, AT 50. The LR is computed at the model
defaults (:class:`~locard.stats.mixture.continuous.ContinuousOptions`: drop-in 0.05, lambda 0.01,
degradation, backward stutter, theta 0; Hp = POI + 1 unknown, Hd = 2 unknowns) for a true
contributor (the major in even cases, the minor in odd ones: Hp true) and for a fresh unrelated
non-contributor (Hd true). Cllr, Cllr_min and the ECE come from ``lir`` (as in
:mod:`locard.stats.mixture.tippet`).
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

import numpy as np

from locard.genetics.alleles import Allele
from locard.genetics.kits import get_kit
from locard.genetics.profiles import Profile
from locard.stats.bundled import get_bundled_table
from locard.stats.mixture.continuous import ContinuousOptions
from locard.stats.mixture.continuous_fit import ContinuousHypothesis, continuous_lr
from locard.stats.mixture.continuous_simulate import simulate_heights
from locard.stats.mixture.tippet import ECE_LOG_PRIOR_ODDS

CODIS20 = ("CSF1PO", "D3S1358", "D5S818", "D7S820", "D8S1179", "D13S317", "D16S539", "D18S51",
           "D21S11", "FGA", "TH01", "TPOX", "vWA", "D1S1656", "D2S441", "D2S1338", "D10S1248",
           "D12S391", "D19S433", "D22S1045")


def _person(rng: np.random.Generator, loci: tuple[str, ...]) -> dict[str, list[Allele]]:
    table = get_bundled_table("NIST1036:Cauc")
    out: dict[str, list[Allele]] = {}
    for locus in loci:
        alleles = list(table.frequencies[locus])
        p = np.array([table.frequencies[locus][a] for a in alleles])
        out[locus] = sorted(alleles[i] for i in rng.choice(len(alleles), size=2, p=p / p.sum()))
    return out


def _lr(evidence: Any, poi: dict[str, list[Allele]]) -> float:
    table = get_bundled_table("NIST1036:Cauc")
    profile = Profile.from_mapping({k: [str(a) for a in v] for k, v in poi.items()},
                                   specimen_id="POI")
    result = continuous_lr(
        evidence, {"POI": profile}, ContinuousHypothesis(("POI",), 1),
        ContinuousHypothesis((), 2), table, poi="POI", threshold=50.0,
        options=ContinuousOptions(), kit=get_kit("GlobalFiler"), min_frequency=0.001)
    return result.log10_lr


def run(cases: int, n_loci: int, seed: int) -> dict[str, Any]:
    from lir.data.models import LLRData  # type: ignore[import-untyped]
    from lir.metrics import cllr, cllr_min  # type: ignore[import-untyped]
    from lir.plotting.expected_calibration_error import (  # type: ignore[import-untyped]
        calculate_ece,
    )

    rng = np.random.default_rng(seed)
    table = get_bundled_table("NIST1036:Cauc")
    loci = CODIS20[:n_loci]
    hp_true: list[float] = []
    hd_true: list[float] = []
    rows = []
    t0 = time.perf_counter()
    for i in range(cases):
        people = [_person(rng, loci), _person(rng, loci)]
        major = float(rng.uniform(0.5, 0.95))
        sim = {"mx": (major, 1 - major), "mu": float(math.exp(rng.uniform(math.log(60),
                                                                          math.log(2000)))),
               "sigma": float(rng.uniform(0.15, 0.3)), "beta": float(rng.uniform(0.6, 1.0)),
               "xi": float(rng.uniform(0.04, 0.1))}
        evidence = simulate_heights(people, table, threshold=50.0, dropin=0.05,
                                    dropin_lambda=0.01, kit=get_kit("GlobalFiler"),
                                    seed=rng, **sim)  # type: ignore[arg-type]
        donor = people[i % 2]
        lr1 = _lr(evidence, donor)
        lr0 = _lr(evidence, _person(rng, loci))
        hp_true.append(lr1)
        hd_true.append(lr0)
        rows.append({"case": i, "poi": "major" if i % 2 == 0 else "minor", **sim,
                     "hp_true_log10_lr": lr1, "hd_true_log10_lr": lr0})
        print(f"case {i:3d}: Mx {major:.2f} mu {sim['mu']:7.1f} POI "
              f"{'major' if i % 2 == 0 else 'minor'}: log10 LR contributor {lr1:7.2f}, "
              f"non-contributor {lr0:7.2f}", flush=True)
    seconds = time.perf_counter() - t0
    llrs = np.array(hp_true + hd_true)
    labels = np.array([1] * len(hp_true) + [0] * len(hd_true))
    data = LLRData(features=llrs, labels=labels)
    odds = np.power(10.0, np.array(ECE_LOG_PRIOR_ODDS))
    ece = calculate_ece(np.power(10.0, llrs), labels, odds / (1 + odds))
    hp = np.array(hp_true)
    hd = np.array(hd_true)
    return {
        "cases": cases, "loci": list(loci), "seed": seed, "seconds": seconds,
        "cllr": float(cllr(data)), "cllr_min": float(cllr_min(data)),
        "ece": [{"log10_prior_odds": k, "ece": float(v)}
                for k, v in zip(ECE_LOG_PRIOR_ODDS, ece, strict=True)],
        "hp_true": {"min": float(hp.min()), "median": float(np.median(hp)),
                    "share_below_1": float(np.mean(hp < 0))},
        "hd_true": {"max": float(hd.max()), "median": float(np.median(hd)),
                    "share_above_1": float(np.mean(hd > 0))},
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--loci", type=int, default=6)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    result = run(args.cases, args.loci, args.seed)
    report = {"machine": platform.platform(), "cpus": os.cpu_count(), **result}
    print(f"Cllr {result['cllr']:.4f}  Cllr_min {result['cllr_min']:.4f}  "
          f"contributors: min log10 LR {result['hp_true']['min']:.2f}, median "
          f"{result['hp_true']['median']:.2f}, share LR < 1 "
          f"{result['hp_true']['share_below_1']:.3f}; "
          f"non-contributors: max {result['hd_true']['max']:.2f}, median "
          f"{result['hd_true']['median']:.2f}, share LR > 1 "
          f"{result['hd_true']['share_above_1']:.3f}; {result['seconds']:.0f} s")
    ece0 = next(e["ece"] for e in result["ece"] if e["log10_prior_odds"] == 0)
    print(f"ECE at prior odds 1: {ece0:.4f}")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
