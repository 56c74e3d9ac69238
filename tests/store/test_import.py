"""Importing files through the store: transactional, --skip-invalid, crash-safe, concurrent."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import shared_data_path
from tests.fixtures import build_demo_database, random_profiles, write_raw_cmf

from locard.errors import ImportFailed
from locard.genetics import CODIS_CORE_13
from locard.store import Store

LAB = "LAB-A"


def _offenders(path: Path, n: int, *, seed: int = 1, prefix: str = "CO",
               bad: dict[int, str] | None = None) -> Path:
    entries = []
    for i, (sid, loci) in enumerate(random_profiles(n, seed=seed, prefix=prefix)):
        if bad and i in bad:
            if bad[i] == "partial":
                loci = {k: v for k, v in loci.items() if k != "D2S441"}
            elif bad[i] == "allele":
                loci = dict(loci, FGA=["banana"])
        entries.append((sid, "Convicted Offender", loci))
    write_raw_cmf(path, entries, source_lab=LAB)
    return path


def _count(store: Store, table: str) -> int:
    import sqlalchemy as sa

    with store.db.read() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_import_offenders(store: Store, tmp_path: Path) -> None:
    f = _offenders(tmp_path / "off.xml", 25)
    seen: list[int] = []
    store.on_import.append(lambda lab, keys: seen.extend(keys))
    rep = store.import_file(f, legal_basis="conviction", actor="admin", purpose="intake")
    assert rep.imported == 25 and dict(rep.accepted) == {"offender": 25}
    assert seen == list(range(1, 26))
    assert _count(store, "genotypes") == 25
    view = store.get_specimen("CO0000003", actor="admin")
    assert view.category == "Convicted Offender" and view.profile is not None
    assert len(view.profile.str_loci) == 20
    assert store.verify_audit() >= 3


def test_one_bad_record_imports_nothing(store: Store, tmp_path: Path) -> None:
    f = _offenders(tmp_path / "off.xml", 20, bad={4: "partial", 11: "allele"})
    with pytest.raises(ImportFailed) as info:
        store.import_file(f, legal_basis="conviction", actor="admin")
    problems = info.value.problems
    assert len(problems) == 2
    assert any("CO0000004" in p and "missing D2S441" in p and "offender-core-20" in p
               for p in problems)
    assert any("CO0000011" in p and "banana" in p for p in problems)
    assert _count(store, "specimens") == 0 and _count(store, "genotypes") == 0
    entries = store.audit_entries(actor="admin", action="import")
    assert entries[-1].details["failed"] is True


def test_skip_invalid_imports_the_rest(store: Store, tmp_path: Path) -> None:
    f = _offenders(tmp_path / "off.xml", 20, bad={4: "partial", 11: "allele"})
    rep = store.import_file(f, legal_basis="conviction", skip_invalid=True, actor="admin")
    assert rep.imported == 18 and len(rep.problems) == 2
    assert {p.rule for p in rep.problems} == {"offender-core-20", "parse"}
    p4 = next(p for p in rep.problems if p.specimen == "CO0000004")
    assert p4.record == 5 and p4.file.endswith("off.xml")
    assert _count(store, "genotypes") == 18


def test_missing_consent_refuses_file(store: Store, tmp_path: Path) -> None:
    f = _offenders(tmp_path / "off.xml", 3)
    with pytest.raises(ImportFailed, match="requires a consent record"):
        store.import_file(f, category="Biological Mother", actor="admin")


def test_duplicate_and_reimport_of_expunged(store: Store, tmp_path: Path) -> None:
    f = _offenders(tmp_path / "off.xml", 3)
    store.import_file(f, legal_basis="conviction", actor="admin")
    with pytest.raises(ImportFailed, match="already in the database"):
        store.import_file(f, legal_basis="conviction", actor="admin")
    store.expunge("CO0000001", reason="acquitted", actor="admin")
    one = tmp_path / "one.xml"
    write_raw_cmf(one, [(s, "Convicted Offender", loci)
                    for s, loci in random_profiles(2, seed=1, prefix="CO")][1:2],
              source_lab=LAB)
    with pytest.raises(ImportFailed, match="was expunged"):
        store.import_file(one, legal_basis="conviction", actor="admin")
    rep = store.import_file(one, legal_basis="court-order", allow_expunged=True, actor="admin")
    assert rep.imported == 1
    assert store.get_specimen("CO0000001", actor="admin").legal_basis == "court-order"


def test_source_lab_must_match(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "other.xml"
    write_raw_cmf(f, [(s, "Arrestee", g) for s, g in random_profiles(2, prefix="AR")],
              source_lab="LAB-Z")
    with pytest.raises(ImportFailed, match="source lab 'LAB-Z'"):
        store.import_file(f, legal_basis="arrest", actor="admin")


def test_appendix_a_example(db_url: str) -> None:
    path = shared_data_path("cmf", "CODIS-32.AppendixAexample.xml")
    with Store.init(db_url, admin="admin", lab="IADCI0000") as store:
        rep = store.import_file(path, format="cmf", skip_invalid=True, actor="admin",
                                purpose="appendix A")
        # IMP_0001A: 13 core loci, accepted; IMP_0001B: a 3-person-looking mixture with
        # off-ladder "<6" etc. -- whatever the reader makes of it, the report says why
        assert rep.accepted["forensic"] >= 1
        view = store.get_specimen("IMP_0001A", actor="admin")
        assert view.index == "forensic" and view.kit == "PowerPlex 16"
        assert view.profile is not None and set(view.profile.str_loci) == set(CODIS_CORE_13)
        for prob in rep.problems:
            assert prob.specimen in ("IMP_0001B", None)


def test_export_never_returns_expunged(store: Store, tmp_path: Path) -> None:
    f = _offenders(tmp_path / "off.xml", 5)
    store.import_file(f, legal_basis="conviction", actor="admin")
    store.expunge("CO0000002", reason="order", actor="admin")
    out = tmp_path / "out.xml"
    assert store.export(out, format="cmf", actor="admin", purpose="NDIS upload").count == 4
    text = out.read_text()
    assert "CO0000001" in text and "CO0000002" not in text


def test_demo_database(tmp_path: Path) -> None:
    summary = build_demo_database(tmp_path / "demo.db", seed=3)
    counts = summary["index_counts"]
    assert counts["offender"] == 3 and counts["arrestee"] == 2 and counts["forensic"] == 3
    assert counts["relative"] == 2 and counts["missing_person"] == 1
    assert summary["audit"]["verified"] and summary["audit"]["actions"]["import"] == 7
    json.dumps(summary)


# --- crash safety and concurrency (SQLite) -------------------------------------------------

_IMPORTER = """
import sys
from locard.store import Store
s = Store.open(sys.argv[1])
rep = s.import_file(sys.argv[2], legal_basis="conviction", actor="admin")
print(rep.imported)
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _consistent(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n_spec = conn.execute("SELECT count(*) FROM specimens").fetchone()[0]
        n_geno = conn.execute("SELECT count(*) FROM genotypes").fetchone()[0]
        orphans = conn.execute(
            "SELECT count(*) FROM specimens s LEFT JOIN genotypes g ON g.specimen_pk = s.id "
            "WHERE g.specimen_pk IS NULL").fetchone()[0]
        assert orphans == 0
        return int(n_spec), int(n_geno)
    finally:
        conn.close()


@pytest.mark.slow
def test_kill_mid_import_leaves_nothing_partial(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    Store.init(db, admin="admin", lab=LAB).close()
    f = _offenders(tmp_path / "big.xml", 30_000)
    proc = subprocess.Popen([sys.executable, "-c", _IMPORTER, str(db), str(f)], env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # wait until the writer holds the lock (a -wal file with content), then kill it
    deadline = time.monotonic() + 120
    wal = Path(str(db) + "-wal")
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 200_000:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "importer finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.communicate()  # reaps the process and closes its pipes (no unclosed-file warning)
    assert _consistent(db) == (0, 0)
    with Store.open(db) as store:
        store.verify_audit()
        rep = store.import_file(f, legal_basis="conviction", actor="admin")
        assert rep.imported == 30_000
    assert _consistent(db) == (30_000, 30_000)


@pytest.mark.slow
def test_two_concurrent_importers(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    Store.init(db, admin="admin", lab=LAB).close()
    files = [_offenders(tmp_path / f"f{i}.xml", 3000, seed=i, prefix=f"P{i}-") for i in (1, 2)]
    procs = [subprocess.Popen([sys.executable, "-c", _IMPORTER, str(db), str(f)], env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for f in files]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()
        assert out.decode().strip() == "3000"
    assert _consistent(db) == (6000, 6000)
    with Store.open(db) as store:
        assert store.verify_audit() == 3
        keys = [k for k, *_ in store.iter_genotypes(actor="admin", purpose="check")]
        assert keys == list(range(1, 6001))
