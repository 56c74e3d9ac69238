"""Import benchmark: generate a CMF file of N random single-source offender profiles (alleles
drawn from the bundled NIST 1036 frequencies), import it into a fresh SQLite database through
``Store.import_file`` and report time, rate and peak memory.

    python benchmarks/bench_import.py 100000 1000000 --out benchmarks/results/import.json

Peak RSS is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the process, measured in a fresh
subprocess per size so that one run's peak does not hide the next one's.

``--search-on-entry`` imports with search on entry (as ``locard import`` does by default):
the database first gets a forensic index of ``--traces`` crime-scene profiles (partial copies
of ``--planted`` offenders, some with an allele dropped out, two two-person mixtures of
offenders, the rest unrelated), the store's search indices are opened and attached, and the
offender file goes through ``Store.import_file`` with ``enable_search_on_entry``; reported:
the import time, the time in the index update and in the search on entry, the candidate
matches recorded and how many planted traces they found. ``--strategy`` (forward, reverse,
auto; several allowed) picks the direction of the search on entry (see
``locard.store.searching.ENTRY_STRATEGIES``).

    python benchmarks/bench_import.py 10000 100000 --search-on-entry --strategy forward reverse
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

#: the repository root: the children run there, to import the test fixtures (tests/fixtures.py)
REPO = Path(__file__).resolve().parents[1]

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from locard.store import Store
from tests.fixtures import random_profiles, write_raw_cmf
n, work = int(sys.argv[1]), Path(sys.argv[2])
cmf = work / f"offenders_{n}.xml"
t0 = time.perf_counter()
write_raw_cmf(cmf, ((s, "Convicted Offender", g) for s, g in random_profiles(n, seed=n)),
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

_CHILD_ENTRY = """
import json, random, resource, sys, time
from pathlib import Path
from locard.genetics import CODIS_CORE_13, CODIS_CORE_20
from locard.store import Store
from tests.fixtures import random_profiles, write_raw_cmf
from locard.store.indexing import StoreIndices
from locard.store.searching import enable_search_on_entry
n, work, strategy = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
n_traces, n_planted = int(sys.argv[4]), int(sys.argv[5])
rng = random.Random(n)
cmf = work / f"offenders_{n}.xml"
t0 = time.perf_counter()
planted_at = set(rng.sample(range(n), min(n, n_planted + 4)))
kept = {}
def offenders():
    for i, (s, g) in enumerate(random_profiles(n, seed=n)):
        if i in planted_at:
            kept[s] = g
        yield s, "Convicted Offender", g
write_raw_cmf(cmf, offenders(), source_lab="BENCH0001")
gen = time.perf_counter() - t0
traces = []
chosen = sorted(kept)
for j, s in enumerate(chosen[:n_planted]):
    g = {k: list(v) for k, v in kept[s].items()
         if k in set(rng.sample(list(CODIS_CORE_13), rng.randint(10, 13)))}
    het = [k for k, v in g.items() if len(v) == 2]
    if j % 2 and het:
        g[het[0]] = g[het[0]][:1]
    traces.append((f"FP-{j:04d}", "Forensic, Unknown", g))
for j in range(2):
    a, b = kept[chosen[-1 - 2 * j]], kept[chosen[-2 - 2 * j]]
    mix = {k: sorted(set(a[k]) | set(b[k]), key=float) for k in CODIS_CORE_20}
    traces.append((f"FM-{j}", "Forensic Mixture", mix))
for s, g in random_profiles(max(0, n_traces - len(traces)), seed=n + 1, prefix="FR"):
    keep = set(rng.sample(list(CODIS_CORE_13), rng.randint(10, 13)))
    traces.append((s, "Forensic, Unknown", {k: v for k, v in g.items() if k in keep}))
tf = work / f"traces_{n}.xml"
write_raw_cmf(tf, traces, source_lab="BENCH0001")
db = work / f"bench_{n}_{strategy}.db"
store = Store.init(db, admin="bench", lab="BENCH0001")
trep = store.import_file(tf, format="cmf", legal_basis="casework", actor="bench",
                         purpose="benchmark", skip_invalid=True)
t1 = time.perf_counter()
own = StoreIndices.open(store, actor="bench", directory=work / f"idx_{n}_{strategy}")
open_s = time.perf_counter() - t1
hook = enable_search_on_entry(store, actor="bench", store_indices=own, strategy=strategy)
assert hook is not None
spent = {}
def timed(name, fn):
    def run(lab, keys):
        t = time.perf_counter()
        fn(lab, keys)
        spent[name] = spent.get(name, 0.0) + time.perf_counter() - t
    return run
store.on_import[:] = [timed("index_update_s" if h is not hook else "entry_search_s", h)
                      for h in store.on_import]
t2 = time.perf_counter()
rep = store.import_file(cmf, format="cmf", legal_basis="conviction", actor="bench",
                        purpose="benchmark")
imp = time.perf_counter() - t2
assert rep.imported == n, rep.to_dict()
matches = store.list_matches(actor="bench")
found = {m.candidate_specimen for m in matches}
expected = {t[0] for t in traces if t[0].startswith(("FP-", "FM-"))}
stored_traces = trep.imported
store.close()
print(json.dumps({"n": n, "strategy": strategy, "strategies": hook.strategies,
                  "traces": stored_traces, "generate_s": gen, "index_open_s": open_s,
                  "import_s": imp, "rate_per_s": n / imp, **spent,
                  "matches": len(matches),
                  "planted_found": len(found & expected), "planted": len(expected),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[100_000])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/bench_import.json"))
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--search-on-entry", action="store_true",
                    help="import with search on entry against a forensic index")
    ap.add_argument("--strategy", nargs="+", default=["auto"],
                    choices=["auto", "forward", "reverse"],
                    help="direction(s) of the search on entry (one run each)")
    ap.add_argument("--traces", type=int, default=300,
                    help="forensic traces stored before the import (--search-on-entry)")
    ap.add_argument("--planted", type=int, default=30,
                    help="of them, partial copies of imported offenders")
    args = ap.parse_args(argv)
    if args.search_on_entry:
        return _entry(args)
    results = []
    with tempfile.TemporaryDirectory(prefix="locard-bench-", dir=args.workdir) as tmp:
        for n in args.sizes:
            proc = subprocess.run([sys.executable, "-c", _CHILD, str(n), tmp],
                                  capture_output=True, text=True, check=False, cwd=REPO)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return 1
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            results.append(res)
            _clear(Path(tmp))
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


def _clear(folder: Path) -> None:
    import shutil

    for f in folder.iterdir():
        if f.is_dir():
            shutil.rmtree(f)
        else:
            f.unlink()


def _entry(args: argparse.Namespace) -> int:
    results = []
    with tempfile.TemporaryDirectory(prefix="locard-bench-", dir=args.workdir) as tmp:
        for n in args.sizes:
            for strategy in args.strategy:
                proc = subprocess.run(
                    [sys.executable, "-c", _CHILD_ENTRY, str(n), tmp, strategy,
                     str(args.traces), str(args.planted)],
                    capture_output=True, text=True, check=False, cwd=REPO)
                if proc.returncode != 0:
                    print(proc.stderr, file=sys.stderr)
                    return 1
                results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
                _clear(Path(tmp))
    print(f"{'offenders':>10} {'strategy':>9} {'traces':>7} {'import s':>9} "
          f"{'index s':>8} {'entry s':>8} {'matches':>8} {'planted':>9} {'peak MB':>8}")
    for r in results:
        print(f"{r['n']:>10,} {r['strategy']:>9} {r['traces']:>7} {r['import_s']:>9.1f} "
              f"{r.get('index_update_s', 0):>8.1f} {r.get('entry_search_s', 0):>8.1f} "
              f"{r['matches']:>8} {r['planted_found']:>4}/{r['planted']:<4} "
              f"{r['peak_rss_mb']:>8,.0f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out = (args.out.with_name(args.out.stem + "_entry" + args.out.suffix)
           if args.out.name == "bench_import.json" else args.out)
    out.write_text(json.dumps({
        "benchmark": "import with search on entry", "python": platform.python_version(),
        "machine": platform.machine(), "cpus": __import__("os").cpu_count(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
