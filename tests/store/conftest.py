"""Store fixtures: every store test runs on SQLite and on the real PostgreSQL server.

A PostgreSQL test gets its own fresh schema (``pg_url`` in tests/conftest.py, dropped
afterwards); the PostgreSQL half is skipped, with the reason, only when the server at
127.0.0.1:5432 cannot be reached.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from locard.genetics import CODIS_CORE_13, CODIS_CORE_20, Profile
from locard.stats.frequencies import FrequencyTable
from locard.store import Store
from locard.tables import load_frequency_table


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "locard.db")
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def index_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Search-index snapshots of PostgreSQL stores go under the test's tmp_path."""
    folder = tmp_path / "indices"
    monkeypatch.setenv("LOCARD_INDEX_DIR", str(folder))
    return folder


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    s = Store.init(tmp_path / "locard.db", admin="admin", lab="LAB-A")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.init(db_url, admin="admin", lab="LAB-A")
    try:
        yield s
    finally:
        s.close()


def full_profile(seed: int = 0, specimen_id: str | None = None) -> Profile:
    """A synthetic single-source profile at all 20 CODIS core loci plus Amelogenin."""
    loci: dict[str, list[str]] = {}
    for i, locus in enumerate(CODIS_CORE_20):
        a = 8 + (seed * 7 + i * 3) % 9
        b = 8 + (seed * 5 + i * 11 + 1) % 9
        loci[locus] = [str(a), str(b)]
    loci["AMEL"] = ["X", "Y"]
    return Profile.from_mapping(loci, specimen_id=specimen_id)


def core13_profile(n_loci: int, seed: int = 0, specimen_id: str | None = None) -> Profile:
    p = full_profile(seed, specimen_id)
    return p.restrict(list(CODIS_CORE_13[:n_loci]))


def child_of(father: Profile, mother: Profile) -> Profile:
    """One allele from each parent at every CODIS core locus (the first of the father's, the
    last of the mother's)."""
    return Profile.from_mapping({k: [str(father.loci[k].alleles[0]),
                                     str(mother.loci[k].alleles[-1])]
                                 for k in CODIS_CORE_20})


@pytest.fixture(scope="session")
def nist_all() -> FrequencyTable:
    """The bundled default table, NIST 1036 all populations."""
    return load_frequency_table("NIST1036:ALL")
