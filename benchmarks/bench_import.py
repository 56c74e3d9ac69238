"""Import benchmark: generate a CMF file of N random single-source offender profiles (alleles
drawn from the bundled NIST 1036 frequencies), import it into a fresh SQLite database through
``Store.import_file`` and report time, rate and peak memory.

    python benchmarks/bench_import.py 100000 1000000 --out benchmarks/results/import.json

Peak RSS is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the process, measured in a fresh
subprocess per size so that one run's peak does not hide the next one's.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from locard.store import Store
from locard.store.demo_data import random_profiles, write_cmf
n, work = int(sys.argv[1]), Path(sys.argv[2])
cmf = work / f"offenders_{n}.xml"
t0 = time.perf_counter()
write_cmf(cmf, ((s, "Convicted Offender", g) for s, g in random_profiles(n, seed=n)),
          source_lab="BENCH0001")
gen = time.perf_counter() - t0
db = work / f"bench_{n}.db"
store = Store.init(db, admin="bench", lab="BENCH0001")
t1 = time.perf_counter()
rep = store.import_file(cmf, format="cmf", legal_basis="conviction", actor="bench",
                        purpose="benchmark")
imp = time.perf_counter() - t1
assert rep.imported == n, rep.to_dict()
store.close()
print(json.dumps({"n": n, "generate_s": gen, "import_s": imp, "rate_per_s": n / imp,
                  "file_mb": cmf.stat().st_size / 1e6, "db_mb": db.stat().st_size / 1e6,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[100_000])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/bench_import.json"))
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="locard-bench-", dir=args.workdir) as tmp:
        for n in args.sizes:
            proc = subprocess.run([sys.executable, "-c", _CHILD, str(n), tmp],
                                  capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return 1
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            results.append(res)
            for f in Path(tmp).iterdir():
                f.unlink()
    print(f"{'profiles':>10} {'import s':>9} {'rate/s':>9} {'peak RSS MB':>12} "
          f"{'file MB':>8} {'db MB':>7} {'generate s':>10}")
    for r in results:
        print(f"{r['n']:>10,} {r['import_s']:>9.1f} {r['rate_per_s']:>9,.0f} "
              f"{r['peak_rss_mb']:>12,.0f} {r['file_mb']:>8,.0f} {r['db_mb']:>7,.0f} "
              f"{r['generate_s']:>10.1f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "benchmark": "import", "python": platform.python_version(),
        "machine": platform.machine(), "cpus": __import__("os").cpu_count(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"), "results": results,
        "peak_rss_parent_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024},
        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
