"""Audit read benchmark: the time of one page of the audit log (``Store.audit_page``, what
``GET /api/v1/audit`` and the dashboard call) at N entries, for a few page sizes, newest first
and one page back (``before_seq``); beside it, the time to load the whole log as reads did
before keyset paging (for comparison only).

    python benchmarks/bench_audit.py 20000 200000 --out benchmarks/results/bench_audit.json

The log is filled through the store's own append (two labs, alternating; real hash chain) in
one transaction per 10,000 entries. A page read includes its own audited ``audit_view``
append, as in the service. Times are the median of ``--repeat`` reads on a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from locard.store import Store
from locard.store import schema as S

LABS = ("BENCH0001", "BENCH0002")


def _fill(store: Store, n: int) -> None:
    users = [store.user("bench"), store.user("bench2")]
    done = store.verify_audit()
    while done < n:
        with store.db.write() as conn:
            for i in range(done, min(n, done + 10_000)):
                # the store's own append (a benchmark fixture; nothing else writes the chain)
                store._audit(conn, users[i % 2], "view",
                             {"specimen_ref": f"{i:064x}", "found": True}, purpose=f"CASE-{i}")
        done = min(n, done + 10_000)


def _median(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _load_all(store: Store) -> int:
    with store.db.read() as conn:
        return len(conn.execute(sa.select(S.audit_log).order_by(S.audit_log.c.seq)).all())


def run(n: int, limits: list[int], repeat: int, work: Path) -> list[dict[str, object]]:
    db = work / f"audit_{n}.db"
    store = Store.init(db, admin="bench", lab=LABS[0])
    try:
        store.add_user("bench2", role="administrator", lab=LABS[1], actor="bench")
        t0 = time.perf_counter()
        _fill(store, n)
        fill_s = time.perf_counter() - t0
        middle = n // 2
        out: list[dict[str, object]] = []
        for limit in limits:
            newest = _median(lambda lim=limit: store.audit_page(actor="bench", limit=lim),
                             repeat)
            back = _median(lambda lim=limit: store.audit_page(actor="bench", limit=lim,
                                                              before_seq=middle), repeat)
            filtered = _median(lambda lim=limit: store.audit_page(
                actor="bench", limit=lim, user="bench", action="view"), repeat)
            out.append({"entries": n, "limit": limit, "newest_ms": newest * 1e3,
                        "before_middle_ms": back * 1e3, "filtered_ms": filtered * 1e3,
                        "fill_s": fill_s})
        whole = _median(lambda: _load_all(store), max(1, repeat // 5))
        for r in out:
            r["load_whole_log_ms"] = whole * 1e3
        return out
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[20_000, 200_000])
    ap.add_argument("--limits", nargs="+", type=int, default=[1, 100])
    ap.add_argument("--repeat", type=int, default=25)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/bench_audit.json"))
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="locard-bench-", dir=args.workdir) as tmp:
        for n in args.sizes:
            results.extend(run(n, args.limits, args.repeat, Path(tmp)))
    print(f"{'entries':>9} {'limit':>6} {'newest ms':>10} {'back ms':>8} {'filtered ms':>12} "
          f"{'whole log ms':>13}")
    for r in results:
        print(f"{r['entries']:>9,} {r['limit']:>6} {r['newest_ms']:>10.2f} "
              f"{r['before_middle_ms']:>8.2f} {r['filtered_ms']:>12.2f} "
              f"{r['load_whole_log_ms']:>13.0f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "benchmark": "audit_reads", "python": platform.python_version(),
        "machine": platform.machine(), "cpus": os.cpu_count(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
