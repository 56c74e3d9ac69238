"""Start-up benchmark: how long each ``locard`` command takes before it does any work.

    .venv/bin/python benchmarks/bench_startup.py [--repeat 7] [--label after]

Every command runs in a fresh interpreter (``python -m locard.cli ...``, what the console
script runs), ``--repeat`` times; the table gives the median and the minimum wall time, and
the heaviest modules of one ``-X importtime`` run (cumulative microseconds, as CPython reports
them). The real commands (``kits``, ``rmp``, ``search --index-file``) run on a small synthetic
snapshot made once in a temporary folder, so their time is start-up plus a little work.

Prints a table and writes JSON to benchmarks/results/bench_startup.json. Wall times depend on
the machine and its load (the JSON records both); nothing here is asserted in the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
HEAVY = ("numpy", "scipy", "numba", "sqlalchemy", "fastapi", "pydantic", "matplotlib",
         "reportlab", "locard.stats", "locard.search", "locard.store", "locard.formats")


def _cmd(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "locard.cli", *args]


def _time_once(args: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(_cmd(args), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"locard {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed


def _importtime(args: list[str], top: int) -> tuple[list[tuple[str, int]], list[str]]:
    """The ``top`` modules by cumulative import time (µs) and which HEAVY packages loaded."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "locard.cli", *args],
                          capture_output=True, text=True, check=False)
    rows: list[tuple[str, int]] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = line.split(":", 1)[1].split("|")
        rows.append((name.strip(), int(cumulative)))
    names = {name for name, _ in rows}
    loaded = sorted(h for h in HEAVY if h in names)
    rows.sort(key=lambda r: r[1], reverse=True)
    return rows[:top], loaded


def _fixtures(tmp: Path) -> tuple[Path, Path]:
    snapshot = tmp / "bench.locard-index"
    query = tmp / "query.json"
    subprocess.run(_cmd(["synth", "2000", "-o", str(snapshot), "--seed", "7"]), check=True,
                   capture_output=True)
    subprocess.run(_cmd(["synth", "1", "-o", str(query), "--seed", "7"]), check=True,
                   capture_output=True)
    return snapshot, query


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--label", default="current")
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmpdir:
        snapshot, query = _fixtures(Path(tmpdir))
        commands: list[list[str]] = [
            ["--help"],
            ["--version"],
            ["search", "--help"],
            ["mixture", "lr", "--help"],
            ["ce", "analyze", "--help"],
            ["kinship", "--help"],
            ["kits"],
            ["rmp", str(query)],
            ["search", str(query), "--index-file", str(snapshot), "--purpose", "bench",
             "--json"],
        ]
        baseline = [sys.executable, "-c", "pass"]
        bare: list[float] = []
        for _ in range(opts.repeat):
            start = time.perf_counter()
            subprocess.run(baseline, check=True)
            bare.append(time.perf_counter() - start)

        results: list[dict[str, Any]] = []
        for args in commands:
            _time_once(args)  # warm the file cache and __pycache__
            times = [_time_once(args) for _ in range(opts.repeat)]
            top, loaded = _importtime(args, opts.top)
            shown = " ".join(a if not a.startswith(tmpdir) else Path(a).name for a in args)
            results.append({
                "command": f"locard {shown}",
                "median_s": statistics.median(times),
                "min_s": min(times),
                "runs": len(times),
                "heavy_loaded": loaded,
                "top_imports_us": top,
            })

    width = max(len(r["command"]) for r in results)
    print(f"{'command':<{width}}  median_s  min_s  heavy packages loaded")
    print(f"{'python -c pass':<{width}}  {statistics.median(bare):8.3f}  {min(bare):5.3f}")
    for r in results:
        print(f"{r['command']:<{width}}  {r['median_s']:8.3f}  {r['min_s']:5.3f}  "
              f"{' '.join(r['heavy_loaded']) or '-'}")
    print("\nheaviest imports (cumulative ms) per command:")
    for r in results:
        top = ", ".join(f"{name} {us / 1e3:.0f}" for name, us in r["top_imports_us"][:5])
        print(f"  {r['command']}: {top}")

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "bench_startup.json"
    record = {
        "label": opts.label,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "processor": platform.processor() or platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python_bare_median_s": statistics.median(bare),
        "repeat": opts.repeat,
        "results": results,
    }
    previous: dict[str, Any] = {}
    if out.exists():
        try:
            previous = json.loads(out.read_text())
        except json.JSONDecodeError:
            previous = {}
    runs = previous.get("runs", []) if isinstance(previous.get("runs"), list) else []
    runs = [r for r in runs if r.get("label") != opts.label] + [record]
    out.write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
