"""Engines: SQLite (embedded default) and PostgreSQL, with Locard's transaction discipline.

SQLite (Datasette's discipline): WAL, foreign keys on, a busy timeout, ``secure_delete`` on (an
expunged genotype's pages are zeroed); reads on their own connections (``BEGIN``), writes through
one writer connection per process that starts with ``BEGIN IMMEDIATE`` so that two writers never
interleave. PostgreSQL: every write transaction first takes a transaction-scoped advisory lock,
so that appends to the audit chain (and the key counter) are serialized across processes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from locard.errors import StoreError

__all__ = ["DEFAULT_DB", "Database", "normalize_url"]

DEFAULT_DB = "locard.db"
BUSY_TIMEOUT_MS = 60_000
#: advisory lock key for writers on PostgreSQL ("LOCARD" in ASCII)
PG_WRITE_LOCK = 0x4C4F43415244


def normalize_url(url_or_path: str | os.PathLike[str] | None) -> str:
    """A SQLAlchemy URL from ``--db`` (a URL or a file path), else ``$LOCARD_DB``, else
    ``./locard.db``. ``postgresql://`` uses psycopg 3."""
    raw = os.fspath(url_or_path) if url_or_path is not None else (
        os.environ.get("LOCARD_DB") or DEFAULT_DB)
    if "://" not in raw:
        return f"sqlite:///{Path(raw).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def _sqlite_engine(url: str, *, immediate: bool) -> sa.Engine:
    engine = sa.create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        pool_size=1 if immediate else 5, max_overflow=0 if immediate else 10,
        poolclass=sa.pool.QueuePool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=FULL")  # audit entries must survive power loss
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@dataclass
class Database:
    """A reader engine and a writer engine on the same database."""

    url: str
    reader: sa.Engine
    writer: sa.Engine

    @classmethod
    def connect(cls, url_or_path: str | os.PathLike[str] | None = None, *,
                create: bool = False) -> Database:
        """Engines on the database at ``url_or_path``. A SQLite file that does not exist is
        created only with ``create`` (``locard init``); otherwise :class:`StoreError` names
        the path, and nothing is written (SQLite would leave an empty file behind)."""
        url = normalize_url(url_or_path)
        if url.startswith("sqlite"):
            if url in ("sqlite://", "sqlite:///:memory:"):
                raise ValueError("Locard needs a database file, not an in-memory SQLite database")
            database = sa.make_url(url).database
            if not create and database and not Path(database).exists():
                raise StoreError(f"{database} is not a Locard database: there is no such file",
                                 remedy=f"create one with `locard init --db {database}`, or "
                                        "give the right path with --db (or $LOCARD_DB)")
            return cls(url, _sqlite_engine(url, immediate=False),
                       _sqlite_engine(url, immediate=True))
        engine = sa.create_engine(url, pool_pre_ping=True)
        return cls(url, engine, engine)

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is SQLite (else PostgreSQL)."""
        return self.url.startswith("sqlite")

    @property
    def display_url(self) -> str:
        """The database URL with any password masked, for messages and logs."""
        return sa.make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read connection; on SQLite inside a transaction (one snapshot), elsewhere rolled back
        at the end.
        """
        with self.reader.connect() as conn:
            if self.is_sqlite:
                with conn.begin():
                    yield conn
            else:
                yield conn
                conn.rollback()

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """One write transaction: ``BEGIN IMMEDIATE`` on SQLite, an advisory lock on
        PostgreSQL. Commits on success, rolls back on any exception."""
        with self.writer.begin() as conn:
            if not self.is_sqlite:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_WRITE_LOCK})
            yield conn

    def checkpoint(self) -> bool:
        """Fold the SQLite WAL into the database file and truncate it to zero bytes (after an
        expungement, so deleted genotypes do not linger in the WAL; ``secure_delete`` has
        zeroed their pages in the frames being folded in). Returns False when another
        connection's read transaction kept it from completing within the busy timeout; True
        on success and on PostgreSQL (a server: nothing of Locard's to truncate).

        Runs on the writer's DBAPI connection outside any transaction: a checkpoint inside
        the ``BEGIN IMMEDIATE`` that every SQLAlchemy write starts fails ("database table is
        locked")."""
        if not self.is_sqlite:
            return True
        raw = self.writer.raw_connection()
        try:
            cur = raw.cursor()
            try:
                cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                row = cur.fetchone()
            finally:
                cur.close()
        finally:
            raw.close()
        return row is not None and int(row[0]) == 0

    def dispose(self) -> None:
        """Close the reader's and the writer's connection pools."""
        self.reader.dispose()
        if self.writer is not self.reader:
            self.writer.dispose()
