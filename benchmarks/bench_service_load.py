"""Service load test on loopback: N stored offender profiles, uvicorn on 127.0.0.1, C concurrent
clients searching (POST /api/v1/searches) for D seconds; errors, throughput, p50/p99 latency.

    python benchmarks/bench_service_load.py --profiles 100000 --clients 50 --duration 60

The store is built through the bulk import path (one CMF file, ``Store.import_file``), and the
search indices are opened once before the clock starts (their snapshot is written next to the
database). Queries are crime-scene profiles stored beforehand, half of them equal to a stored
offender. Everything stays on 127.0.0.1; the run is bounded by ``--duration`` and
``--max-requests``.
Results: a table on stdout and JSON in ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build(work: Path, n: int) -> tuple[Path, str, list[str], float]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/fixtures.py
    from tests.fixtures import random_profiles, write_raw_cmf

    from locard.store import Store

    db = work / "load.db"
    t0 = time.perf_counter()
    store = Store.init(db, admin="bench", lab="BENCH0001")
    store.add_user("searcher", role="analyst", lab="BENCH0001", actor="bench")
    token = store.issue_token("searcher", actor="bench")
    cmf = work / "offenders.xml"
    write_raw_cmf(cmf, ((s, "Convicted Offender", g) for s, g in random_profiles(n, seed=n)),
              source_lab="BENCH0001")
    store.import_file(cmf, format="cmf", legal_basis="conviction", actor="bench",
                      purpose="benchmark")
    cmf.unlink()
    # 20 crime-scene queries: 10 equal to stored offenders, 10 new profiles
    hits = list(random_profiles(10, seed=n))
    new = list(random_profiles(10, seed=n + 1, prefix="NEW"))
    queries = [(f"FU-{i:03d}", g) for i, (_, g) in enumerate(hits + new)]
    q = work / "scene.xml"
    write_raw_cmf(q, [(s, "Forensic, Unknown", g) for s, g in queries], source_lab="BENCH0001")
    store.import_file(q, format="cmf", legal_basis="casework", actor="bench",
                      purpose="benchmark")
    store.close()
    return db, token, [s for s, _ in queries], time.perf_counter() - t0


async def _client(url: str, token: str, specimens: list[str], stop: float, lat: list[float],
                  errors: list[str], budget: list[int]) -> None:
    import httpx

    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        i = 0
        while time.monotonic() < stop and budget[0] > 0:
            budget[0] -= 1
            body = {"specimen_id": specimens[i % len(specimens)], "purpose": "LOAD-TEST",
                    "record": False}
            i += 1
            t = time.perf_counter()
            try:
                r = await client.post("/api/v1/searches", json=body)
                if r.status_code != 200:
                    errors.append(f"{r.status_code}: {r.text[:120]}")
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
            lat.append(time.perf_counter() - t)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profiles", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--max-requests", type=int, default=200_000)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = ap.parse_args(argv)

    import uvicorn

    from locard.service import Settings, create_app
    from locard.store import Store

    tmp = tempfile.TemporaryDirectory(prefix="locard-load-")
    work = args.workdir or Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    print(f"building a store of {args.profiles:,} profiles in {work} ...", flush=True)
    db, token, specimens, build_s = build(work, args.profiles)
    store = Store.open(db)
    app = create_app(store=store, settings=Settings(secure_cookies=False))
    t0 = time.perf_counter()
    app.state.gateway.indices("searcher")
    index_s = time.perf_counter() - t0
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    lat: list[float] = []
    errors: list[str] = []
    budget = [args.max_requests]

    async def run() -> float:
        start = time.monotonic()
        stop = start + args.duration
        await asyncio.gather(*(_client(url, token, specimens, stop, lat, errors, budget)
                               for _ in range(args.clients)))
        return time.monotonic() - start

    print(f"{args.clients} clients searching for {args.duration:.0f} s ...", flush=True)
    elapsed = asyncio.run(run())
    server.should_exit = True
    thread.join(15)
    store.close()
    lat.sort()
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [0.0] * 99
    result = {
        "benchmark": "service_load", "profiles": args.profiles, "clients": args.clients,
        "duration_s": round(elapsed, 2), "requests": len(lat), "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "throughput_rps": round(len(lat) / elapsed, 1) if elapsed else 0.0,
        "latency_ms": {"p50": round(q[49] * 1000, 1), "p99": round(q[98] * 1000, 1),
                       "max": round(max(lat, default=0) * 1000, 1)},
        "build_s": round(build_s, 1), "index_open_s": round(index_s, 1),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                    "cpus": __import__("os").cpu_count()},
        "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    print("\n| profiles | clients | seconds | requests | errors | req/s | p50 ms | p99 ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {args.profiles:,} | {args.clients} | {elapsed:.0f} | {len(lat):,} | "
          f"{len(errors)} | {result['throughput_rps']} | {result['latency_ms']['p50']} | "
          f"{result['latency_ms']['p99']} |")
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"service_load-{args.profiles}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nJSON: {out}")
    tmp.cleanup()
    return 0 if not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
