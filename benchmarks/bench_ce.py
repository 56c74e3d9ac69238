"""CE analysis benchmark: a 96-sample plate (the real Identifiler, PowerPlex 16, Profiler Plus
and COfiler runs repeated) analysed end to end, one ladder per kit located once, as
``locard ce analyze`` does: read the ABIF file, size it (lane standard found and fitted), call
it (peaks of the locus dyes, bins, filters).

    python benchmarks/bench_ce.py --out benchmarks/results/bench_ce.json

Reports the wall time of the plate (target <= 30 s on the 2-core development machine), the time
per sample and the share of each stage (read, size, call).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from locard.ce.abif import read_abif
from locard.ce.calling import call_sample, locate_ladder
from locard.ce.sizing import size_run

CE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ce" / "osiris_test_analysis"
KITS = {
    "Identifiler": ("Identifiler/STRbaseIF", "Identifiler LADDER.fsa"),
    "PowerPlex 16": ("PowerPlex16/STRBasePP16", "PP16 LADDER.fsa"),
    "Profiler Plus": ("ProfilerPlus/STRbasePP", "ProfilerPlus LADDER.fsa"),
    "COfiler": ("Cofiler/STRbaseCOF", "COfiler_LADDER.fsa"),
}


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=96)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    start = time.perf_counter()
    ladders = {}
    pool: list[tuple[str, Path]] = []
    for kit, (folder, name) in KITS.items():
        ladders[kit] = locate_ladder(read_abif(CE / folder / name), kit=kit)
        pool.extend((kit, f) for f in sorted((CE / folder).glob("*.fsa")) if f.name != name)
    ladder_s = time.perf_counter() - start
    stages = {"read": 0.0, "size": 0.0, "call": 0.0}
    called = 0
    plate = time.perf_counter()
    for i in range(args.samples):
        kit, path = pool[i % len(pool)]
        t0 = time.perf_counter()
        run = read_abif(path)
        t1 = time.perf_counter()
        sizing = size_run(run, kit=kit)
        t2 = time.perf_counter()
        if sizing.ok:
            calls = call_sample(run, ladders[kit], sizing=sizing)
            called += bool(calls.genotype())
        t3 = time.perf_counter()
        stages["read"] += t1 - t0
        stages["size"] += t2 - t1
        stages["call"] += t3 - t2
    plate_s = time.perf_counter() - plate
    total = sum(stages.values())
    result = {
        "samples": args.samples, "distinct_files": len(pool), "ladders_s": round(ladder_s, 3),
        "plate_s": round(plate_s, 3), "end_to_end_s": round(ladder_s + plate_s, 3),
        "per_sample_ms": round(1000 * plate_s / args.samples, 1),
        "share": {k: round(v / total, 3) for k, v in stages.items()},
        "samples_with_calls": called, "target_s": 30,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    print(f"{args.samples} samples ({len(pool)} distinct files, 4 kits): "
          f"{result['end_to_end_s']} s end to end ({ladder_s:.2f} s for the 4 ladders), "
          f"{result['per_sample_ms']} ms per sample")
    for k, v in result["share"].items():
        print(f"  {k:<5} {100 * v:5.1f} %")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
