"""CLI fixtures: a database initialised through ``locard init``, on SQLite and on the real
PostgreSQL (a test module may override ``db`` with a SQLite-only one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from locard.cli import main


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every database command runs against SQLite and against the real PostgreSQL."""
    monkeypatch.setenv("LOCARD_USER", "chief")
    monkeypatch.setenv("LOCARD_INDEX_DIR", str(tmp_path / "index"))
    url = (str(tmp_path / "cli.db") if request.param == "sqlite"
           else str(request.getfixturevalue("pg_url")))
    assert main(["init", "--db", url, "--lab", "LAB-A"]) == 0
    return url
