"""DVI benchmark with several missing persons per family (issue 16).

    .venv/bin/python benchmarks/bench_dvi.py [--victims 1000] [--families 500] [--workers 1]
        [--exclusions 1,100]

F families, a third each with 1, 2 and 3 missing children (sexes at random) of the same
parents; references a third each: both parents, the mother and a typed sibling, a typed sibling
only. V victims: the first 60 % of all missing persons (every fourth with 8 of 20 loci lost),
the rest unrelated; victims' sex declared. Stepwise mutation, NIST 1036 (all), CODIS 20.
Times: the pairwise matrix (victims x missing persons), then the joint identification
(undisputed with recomputation, joint family likelihoods, posteriors, GLRs) per exclusion
threshold. Prints a table and writes JSON to benchmarks/results/ (git-ignored). Nothing is
timed in the tests.
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

from locard.errors import CombinatorialLimit
from locard.genetics.profiles import Profile
from locard.stats.kinship import Individual, MutationModel, Pedigree, Sex
from locard.stats.kinship.dvi import DVIFamily, dvi_identify, dvi_lr_matrix
from locard.stats.simulate import SimulationModel, simulate_codes
from locard.tables.bundled import get_bundled_table

ROOT = Path(__file__).resolve().parents[1]
STEPWISE = MutationModel("stepwise")


def _child(rng: np.random.Generator, fa: np.ndarray, mo: np.ndarray) -> np.ndarray:
    idx = np.arange(fa.shape[0])
    kid = np.stack([fa[idx, rng.integers(0, 2, fa.shape[0])],
                    mo[idx, rng.integers(0, 2, mo.shape[0])]], axis=1)
    return np.sort(kid, axis=1).astype(np.uint8)


def build(n_victims: int, n_families: int, model: SimulationModel, seed: int
          ) -> tuple[list[Profile], dict[str, DVIFamily], dict[str, str], dict[str, str]]:
    rng = np.random.default_rng(seed)
    families: dict[str, DVIFamily] = {}
    missing_people: list[tuple[str, str, np.ndarray, Sex]] = []
    kinds = (("FA", "MO"), ("MO", "SIB"), ("SIB",))
    for f in range(n_families):
        name = f"FAM{f:04d}"
        fa, mo = simulate_codes(model, 2, seed=rng)
        k = 1 + f % 3
        kids = [_child(rng, fa, mo) for _ in range(k + 1)]
        sexes = [Sex.MALE if rng.random() < 0.5 else Sex.FEMALE for _ in range(k)]
        typed = kinds[(f // 3) % 3]
        refs = model.decode(np.stack([fa, mo, kids[-1]]),
                            specimen_ids=[f"{name}-FA", f"{name}-MO", f"{name}-SIB"])
        people = [Individual("FA", None, None, Sex.MALE, refs[0] if "FA" in typed else None),
                  Individual("MO", None, None, Sex.FEMALE, refs[1] if "MO" in typed else None)]
        ids = [f"X{j + 1}" for j in range(k)]
        people += [Individual(x, "FA", "MO", s) for x, s in zip(ids, sexes, strict=True)]
        if "SIB" in typed:
            people.append(Individual("SIB", "FA", "MO", Sex.FEMALE, refs[2]))
        families[name] = DVIFamily.build(Pedigree.build(people, missing=ids[0]), ids)
        missing_people += [(name, x, kids[j], sexes[j]) for j, x in enumerate(ids)]
    n_true = min(int(0.6 * len(missing_people)), n_victims)
    victims: list[Profile] = []
    truth: dict[str, str] = {}
    sex: dict[str, str] = {}
    for i, (name, x, codes, s) in enumerate(missing_people[:n_true]):
        vid = f"V{i:05d}"
        if i % 4 == 3:
            codes = codes.copy()
            codes[rng.choice(codes.shape[0], 8, replace=False)] = 0
        victims.append(model.decode(codes[None], specimen_ids=[vid])[0])
        truth[vid] = f"{name}:{x}" if families[name].missing != (x,) else name
        sex[vid] = s.value
    rest = n_victims - len(victims)
    victims += model.decode(simulate_codes(model, rest, seed=seed + 7),
                            specimen_ids=[f"U{i:05d}" for i in range(rest)])
    for i in range(rest):
        sex[f"U{i:05d}"] = "male" if rng.random() < 0.5 else "female"
    return victims, families, truth, sex


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--victims", type=int, default=1000)
    ap.add_argument("--families", type=int, default=500)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--exclusions", default="1,100")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()
    table = get_bundled_table("NIST1036:ALL")
    model = SimulationModel.from_table(table)
    victims, families, truth, sex = build(args.victims, args.families, model, args.seed)
    n_missing = sum(len(f.missing) for f in families.values())
    rows: list[dict[str, Any]] = []
    t0, c0 = time.perf_counter(), time.process_time()
    matrix = dvi_lr_matrix(victims, families, table, mutation=STEPWISE, workers=args.workers,
                           victim_sex=sex)
    matrix_s = time.perf_counter() - t0
    rows.append({"benchmark": f"DVI matrix {len(victims)} x {n_missing} missing "
                              f"({len(families)} families)", "seconds": matrix_s,
                 "cpu_s": time.process_time() - c0, "workers": args.workers,
                 "load_average": os.getloadavg()[0]})
    for exclusion in [float(x) for x in args.exclusions.split(",")]:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            result = dvi_identify(matrix, exclusion_threshold=exclusion)
        except CombinatorialLimit as exc:
            rows.append({"benchmark": f"DVI joint (exclusion {exclusion:g})",
                         "seconds": time.perf_counter() - t0,
                         "outcome": f"CombinatorialLimit: {exc.message}"})
            continue
        elapsed = time.perf_counter() - t0
        correct = sum(1 for v in matrix.victims
                      if result.best(v)[0] == truth.get(v, "not identified"))
        rows.append({
            "benchmark": f"DVI joint (exclusion {exclusion:g})", "seconds": elapsed,
            "undisputed": len(result.undisputed),
            "undisputed_correct": sum(1 for u in result.undisputed
                                      if truth.get(u.victim) == u.label),
            "components": len(result.components),
            "largest_component": max((c["assignments"] for c in result.components), default=0),
            "best_outcome_correct": correct, "victims": len(matrix.victims),
            "cpu_s": time.process_time() - c0, "outcome": "ok"})
    for r in rows:
        extra = {k: v for k, v in r.items() if k not in ("benchmark", "seconds")}
        print(f"{r['benchmark']:50} {r['seconds']:9.2f} s  {extra}")
    out = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                       "python": platform.python_version()},
           "parameters": vars(args), "missing_persons": n_missing, "results": rows}
    res_dir = ROOT / "benchmarks" / "results"
    res_dir.mkdir(parents=True, exist_ok=True)
    path = res_dir / f"dvi_{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(out, indent=1))
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
