"""Calibration of the continuous (gamma) model's LR: Tippet, Cllr and ECE over simulated
mixtures, with the NFI's ``lir`` (issue 14, item 6), at the model defaults or per configuration.

    python benchmarks/calibrate_continuous.py --cases 100 \
        --out benchmarks/results/calibrate_continuous.json
    python benchmarks/calibrate_continuous.py --config 3p --cases 40
    python benchmarks/calibrate_continuous.py --config all --cases 40

``--config`` names a configuration ``<N>p`` (1 to 3 contributors) followed by any of
``-nodeg`` (no degradation), ``-nostutter`` (no stutter) and ``-nodropin`` (no drop-in), e.g.
``2p-nodeg``; ``all`` runs :data:`CONFIGS`. A configuration changes the simulation and the model
alike (without degradation the simulation has beta = 1 and the model no beta; without stutter
xi = 0 and no xi; without drop-in no drop-in is simulated and the model has pC = 0), so each
configuration is calibrated on data it describes. With ``--config`` the result is written to
``benchmarks/results/calibrate_continuous_<config>.json`` unless ``--out`` says otherwise.

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

With ``--config`` the cases are paired across configurations: case ``i`` draws from its own
stream (``default_rng([seed, i])``), so that every configuration sees the same people, Mx, mu,
sigma and non-contributor (beta and xi are drawn always, and set to 1 and 0 where the
configuration leaves them out); only the heights' draws differ where drop-in is off.

With ``N`` contributors (``--config``) the mixture proportions are a Dirichlet(1, ..., 1) draw
sorted in decreasing order (2 persons: the major U(0.5, 0.95) as above; 1 person: Mx = 1), the
true contributor of case ``i`` is contributor ``i mod N`` (0 the major), Hp = POI + N - 1
unknowns and Hd = N unknowns.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from locard.errors import StatisticsError
from locard.genetics.alleles import Allele
from locard.genetics.kits import get_kit
from locard.genetics.profiles import Profile
from locard.stats.mixture.continuous import ContinuousOptions
from locard.stats.mixture.continuous_fit import ContinuousHypothesis, continuous_lr
from locard.stats.mixture.continuous_simulate import simulate_heights
from locard.stats.mixture.tippet import ECE_LOG_PRIOR_ODDS
from locard.tables.bundled import get_bundled_table

#: the configurations ``--config all`` runs (one factor changed at a time from 2 persons)
CONFIGS = ("1p", "2p", "3p", "2p-nodeg", "2p-nostutter", "2p-nodropin")

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


@dataclass(frozen=True)
class Config:
    """One configuration: contributors, and which of degradation, stutter, drop-in are on."""

    name: str
    persons: int = 2
    degradation: bool = True
    stutter: bool = True
    dropin: bool = True

    @property
    def options(self) -> ContinuousOptions:
        return ContinuousOptions(dropin=0.05 if self.dropin else 0.0,
                                 degradation=self.degradation, backward_stutter=self.stutter)


def parse_config(name: str) -> Config:
    """``<N>p`` with any of ``-nodeg``, ``-nostutter``, ``-nodropin`` (see the docstring)."""
    head, *mods = name.split("-")
    if not (len(head) == 2 and head[0] in "123" and head[1] == "p"):
        raise SystemExit(f"--config {name!r}: expected 1p, 2p or 3p, then any of -nodeg, "
                         f"-nostutter, -nodropin (or all)")
    unknown = set(mods) - {"nodeg", "nostutter", "nodropin"}
    if unknown:
        raise SystemExit(f"--config {name!r}: unknown part(s) {sorted(unknown)}; use -nodeg, "
                         "-nostutter or -nodropin")
    return Config(name=name, persons=int(head[0]), degradation="nodeg" not in mods,
                  stutter="nostutter" not in mods, dropin="nodropin" not in mods)


def _lr(evidence: Any, poi: dict[str, list[Allele]], config: Config) -> float:
    table = get_bundled_table("NIST1036:Cauc")
    profile = Profile.from_mapping({k: [str(a) for a in v] for k, v in poi.items()},
                                   specimen_id="POI")
    n = config.persons
    try:
        result = continuous_lr(
            evidence, {"POI": profile}, ContinuousHypothesis(("POI",), n - 1),
            ContinuousHypothesis((), n), table, poi="POI", threshold=50.0,
            options=config.options, kit=get_kit("GlobalFiler"), min_frequency=0.001)
    except StatisticsError:
        # Pr(E | Hp) = 0 at every start: without drop-in and unknowns under Hp, a peak the POI
        # cannot explain excludes it (LR = 0)
        return -math.inf
    return result.log10_lr


def _mx(rng: np.random.Generator, n: int) -> tuple[float, ...]:
    if n == 1:
        return (1.0,)
    if n == 2:
        major = float(rng.uniform(0.5, 0.95))
        return (major, 1 - major)
    return tuple(float(x) for x in sorted(rng.dirichlet(np.ones(n)), reverse=True))


def run(cases: int, n_loci: int, seed: int, config: Config | None = None) -> dict[str, Any]:
    from lir.data.models import LLRData  # type: ignore[import-untyped]
    from lir.metrics import cllr, cllr_min  # type: ignore[import-untyped]
    from lir.plotting.expected_calibration_error import (  # type: ignore[import-untyped]
        calculate_ece,
    )

    paired = config is not None
    config = config or Config(name="2p")
    n = config.persons
    rng = np.random.default_rng(seed)
    table = get_bundled_table("NIST1036:Cauc")
    loci = CODIS20[:n_loci]
    hp_true: list[float] = []
    hd_true: list[float] = []
    rows = []
    t0 = time.perf_counter()
    for i in range(cases):
        if paired:  # case i: the same people and draws in every configuration
            rng = np.random.default_rng([seed, i])
        people = [_person(rng, loci) for _ in range(n)]
        mx = _mx(rng, n)
        sim = {"mx": mx, "mu": float(math.exp(rng.uniform(math.log(60), math.log(2000)))),
               "sigma": float(rng.uniform(0.15, 0.3))}
        if paired:
            beta, xi = float(rng.uniform(0.6, 1.0)), float(rng.uniform(0.04, 0.1))
            sim["beta"] = beta if config.degradation else 1.0
            sim["xi"] = xi if config.stutter else 0.0
            fresh = _person(rng, loci)  # the non-contributor, drawn before the heights
        else:
            sim["beta"] = float(rng.uniform(0.6, 1.0)) if config.degradation else 1.0
            sim["xi"] = float(rng.uniform(0.04, 0.1)) if config.stutter else 0.0
        evidence = simulate_heights(people, table, threshold=50.0,
                                    dropin=0.05 if config.dropin else 0.0,
                                    dropin_lambda=0.01, kit=get_kit("GlobalFiler"),
                                    seed=rng, **sim)  # type: ignore[arg-type]
        role = ("major", "minor", "third")[i % n] if n > 1 else "single"
        lr1 = _lr(evidence, people[i % n], config)
        lr0 = _lr(evidence, fresh if paired else _person(rng, loci), config)
        hp_true.append(lr1)
        hd_true.append(lr0)
        rows.append({"case": i, "poi": role, **sim,
                     "hp_true_log10_lr": lr1, "hd_true_log10_lr": lr0})
        print(f"[{config.name}] case {i:3d}: Mx {mx[0]:.2f} mu {sim['mu']:7.1f} POI "
              f"{role}: log10 LR contributor {lr1:7.2f}, non-contributor {lr0:7.2f}",
              flush=True)
    seconds = time.perf_counter() - t0
    # an LR of 0 (log10 -inf) is clipped to log10 -300 for lir: its cost is 0 either way
    llrs = np.maximum(np.array(hp_true + hd_true), -300.0)
    labels = np.array([1] * len(hp_true) + [0] * len(hd_true))
    data = LLRData(features=llrs, labels=labels)
    odds = np.power(10.0, np.array(ECE_LOG_PRIOR_ODDS))
    ece = calculate_ece(np.power(10.0, llrs), labels, odds / (1 + odds))
    hp = np.array(hp_true)
    hd = np.array(hd_true)
    return {
        "config": {"name": config.name, "persons": n, "degradation": config.degradation,
                   "backward_stutter": config.stutter, "dropin": config.options.dropin},
        "cases": cases, "loci": list(loci), "seed": seed, "paired": paired,
        "seconds": seconds,
        "cllr": float(cllr(data)), "cllr_min": float(cllr_min(data)),
        "ece": [{"log10_prior_odds": k, "ece": float(v)}
                for k, v in zip(ECE_LOG_PRIOR_ODDS, ece, strict=True)],
        "hp_true": {"min": float(hp.min()), "median": float(np.median(hp)),
                    "share_below_1": float(np.mean(hp < 0))},
        "excluded": {"hp_true": int(np.sum(np.isneginf(hp))),
                     "hd_true": int(np.sum(np.isneginf(hd)))},
        "hd_true": {"max": float(hd.max()), "median": float(np.median(hd)),
                    "share_above_1": float(np.mean(hd > 0)),
                    "share_above_1_by_001": float(np.mean(hd > 0.01)),
                    "share_within_001_of_1": float(np.mean(np.abs(hd) <= 0.01))},
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--loci", type=int, default=6)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--config", default=None,
                        help="<N>p[-nodeg][-nostutter][-nodropin] (N = 1, 2, 3), or all: "
                             + ", ".join(CONFIGS))
    args = parser.parse_args()
    if args.config is None:
        _one(args, None, args.out)
        return
    names = CONFIGS if args.config == "all" else (args.config,)
    configs = [parse_config(n) for n in names]
    for config in configs:
        out = args.out if args.out is not None and len(configs) == 1 else \
            Path("benchmarks/results") / f"calibrate_continuous_{config.name}.json"
        _one(args, config, out)


def _one(args: argparse.Namespace, config: Config | None, out: Path | None) -> None:
    result = run(args.cases, args.loci, args.seed, config)
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
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
