"""Shared fixtures: the reference data folder beside the checkout, and small hand-made tables."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def shared_data_path(*parts: str) -> Path:
    """Path into ../shared/data; skips the calling test with a reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data not found at {path} (needs ../shared/data beside the repo)")
    return path


@pytest.fixture
def shared_data() -> Path:
    return shared_data_path()


# --- PostgreSQL: the real server on this machine and on CI --------------------------------

PG_BASE = os.environ.get("LOCARD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_error() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_BASE.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as exc:
        return f"PostgreSQL at {PG_BASE} unreachable: {exc}"


_PG_ERROR = _pg_error()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if _PG_ERROR:
        pytest.skip(_PG_ERROR)
    import psycopg

    schema = f"locard_t_{uuid.uuid4().hex[:12]}"
    conninfo = PG_BASE.replace("+psycopg", "")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
