"""The Locard database schema (SQLAlchemy Core) and its named migrations.

Design notes:

- ``specimens`` holds what a DNA database needs about a sample and nothing about a person:
  the lab (its ORI-like code), the lab's specimen ID, the CODIS category and Locard index,
  the legal basis or consent record, the retention date, who imported it from which file
  (SHA-256 of the file), and whether it stays local. No names, birth dates or other
  personal identifiers have a column to go into.
- ``genotypes`` holds one row per specimen: the canonical JSON of the profile (sorted keys,
  canonical locus names, no specimen ID) and its SHA-256. One row per specimen keeps a bulk
  import to two inserts per profile, and a search-index rebuild to one sequential scan.
  Expungement deletes the row (``secure_delete`` is on in SQLite, so the freed pages are
  zeroed, not merely unlinked).
- ``audit_log`` is a hash chain: ``entry_hash`` = SHA-256 over the canonical JSON of the
  entry including ``prev_hash``; appends are serialized inside the write transaction.
- ``tombstones`` keep only a salted hash of lab + specimen ID (salt in ``locard_meta``).
- ``mp_cases`` and ``case_members`` hold a lab's missing-person cases: the pedigree's structure
  (member labels, parents, sex; never names) and, for each typed member, a link to the
  relative's reference specimen. Expunging that specimen deletes the link (``ON DELETE CASCADE``
  and an explicit delete), so the member is simply untyped afterwards.
- ``events`` is an append-only feed (``import``/``expunge`` of ranges of internal specimen keys,
  never specimen IDs) that a search index in another process can follow.

The schema version is the number of migrations applied (``MIGRATIONS``, each recorded by name in
``schema_migrations``).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "audit_log",
    "candidate_matches",
    "case_members",
    "consents",
    "events",
    "genotypes",
    "labs",
    "locard_meta",
    "metadata",
    "mp_cases",
    "schema_migrations",
    "specimens",
    "tombstones",
    "users",
]

metadata = sa.MetaData()

locard_meta = sa.Table(
    "locard_meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

schema_migrations = sa.Table(
    "schema_migrations", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("applied_at", sa.String(40), nullable=False),
)

labs = sa.Table(
    "labs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.String(40), nullable=False),
)

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("lab_id", sa.Integer, sa.ForeignKey("labs.id"), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("token_prefix", sa.String(16), nullable=True, unique=True),
    sa.Column("token_hash", sa.Text, nullable=True),
    sa.Column("token_created_at", sa.String(40), nullable=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.CheckConstraint("role IN ('analyst','reviewer','administrator','auditor')",
                       name="ck_users_role"),
)

consents = sa.Table(
    "consents", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("lab_id", sa.Integer, sa.ForeignKey("labs.id"), nullable=False),
    sa.Column("consent_ref", sa.String(128), nullable=False),
    sa.Column("recorded_at", sa.String(40), nullable=False),
    sa.Column("recorded_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
    sa.Column("withdrawn_at", sa.String(40), nullable=True),
    sa.UniqueConstraint("lab_id", "consent_ref", name="uq_consents_lab_ref"),
)

specimens = sa.Table(
    "specimens", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("lab_id", sa.Integer, sa.ForeignKey("labs.id"), nullable=False),
    sa.Column("specimen_id", sa.String(128), nullable=False),
    sa.Column("category", sa.String(64), nullable=False),
    sa.Column("idx", sa.String(32), nullable=False),
    sa.Column("legal_basis", sa.String(32), nullable=False),
    sa.Column("consent_id", sa.Integer, sa.ForeignKey("consents.id"), nullable=True),
    sa.Column("local_only", sa.Boolean, nullable=False),
    sa.Column("kit", sa.String(64), nullable=True),
    sa.Column("match_rarity", sa.Float, nullable=True),
    sa.Column("retention_until", sa.String(10), nullable=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
    sa.Column("source_digest", sa.String(64), nullable=True),
    sa.UniqueConstraint("lab_id", "specimen_id", name="uq_specimens_lab_specimen"),
)

genotypes = sa.Table(
    "genotypes", metadata,
    sa.Column("specimen_pk", sa.Integer,
              sa.ForeignKey("specimens.id", ondelete="CASCADE"), primary_key=True,
              autoincrement=False),
    sa.Column("profile_json", sa.Text, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("n_loci", sa.Integer, nullable=False),
    sa.Column("is_mixture", sa.Boolean, nullable=False),
)

candidate_matches = sa.Table(
    "candidate_matches", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("query_pk", sa.Integer, sa.ForeignKey("specimens.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("candidate_pk", sa.Integer, sa.ForeignKey("specimens.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("stringency", sa.String(16), nullable=False),
    sa.Column("compared_loci", sa.Integer, nullable=False),
    sa.Column("mismatches", sa.Integer, nullable=False),
    sa.Column("match_rarity", sa.Float, nullable=True),
    sa.Column("likelihood_ratio", sa.Float, nullable=True),
    sa.Column("status", sa.String(16), nullable=False, default="pending"),
    sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
    sa.Column("decided_at", sa.String(40), nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.CheckConstraint("status IN ('pending','confirmed','rejected')", name="ck_match_status"),
    sa.UniqueConstraint("query_pk", "candidate_pk", "mode", name="uq_candidate_pair"),
)

tombstones = sa.Table(
    "tombstones", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("specimen_hash", sa.String(64), nullable=False, index=True),
    sa.Column("idx", sa.String(32), nullable=False),
    sa.Column("expunged_at", sa.String(40), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("user", sa.String(128), nullable=True),
    sa.Column("role", sa.String(32), nullable=True),
    sa.Column("lab", sa.String(64), nullable=True),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("purpose", sa.Text, nullable=True),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
)

events = sa.Table(
    "events", metadata,
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("first_pk", sa.Integer, nullable=False),
    sa.Column("last_pk", sa.Integer, nullable=False),
)

mp_cases = sa.Table(
    "mp_cases", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("lab_id", sa.Integer, sa.ForeignKey("labs.id"), nullable=False),
    sa.Column("case_ref", sa.String(128), nullable=False),
    sa.Column("missing", sa.String(64), nullable=False),
    sa.Column("pedigree_json", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
    sa.UniqueConstraint("lab_id", "case_ref", name="uq_mp_cases_lab_ref"),
)

case_members = sa.Table(
    "case_members", metadata,
    sa.Column("case_id", sa.Integer, sa.ForeignKey("mp_cases.id", ondelete="CASCADE"),
              primary_key=True, autoincrement=False),
    sa.Column("member", sa.String(64), primary_key=True),
    sa.Column("specimen_pk", sa.Integer, sa.ForeignKey("specimens.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.UniqueConstraint("case_id", "specimen_pk", name="uq_case_members_specimen"),
)

_V1_TABLES = [locard_meta, schema_migrations, labs, users, consents, specimens, genotypes,
              candidate_matches, tombstones, audit_log]


def _m0001_core_tables(conn: sa.Connection) -> None:
    metadata.create_all(conn, tables=_V1_TABLES)


def _m0002_events_and_indexes(conn: sa.Connection) -> None:
    metadata.create_all(conn, tables=[events])
    # plain DDL: an sa.Index object would attach itself to the shared Table metadata
    for name, table, column in (("ix_specimens_idx", "specimens", "idx"),
                                ("ix_specimens_retention", "specimens", "retention_until"),
                                ("ix_specimens_consent", "specimens", "consent_id"),
                                ("ix_matches_candidate", "candidate_matches", "candidate_pk")):
        conn.execute(sa.text(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})"))


def _m0003_missing_person_cases(conn: sa.Connection) -> None:
    metadata.create_all(conn, tables=[mp_cases, case_members])


#: (name, function) applied in order; the schema version is the number applied.
MIGRATIONS: list[tuple[str, Callable[[sa.Connection], None]]] = [
    ("0001_core_tables", _m0001_core_tables),
    ("0002_events_and_indexes", _m0002_events_and_indexes),
    ("0003_missing_person_cases", _m0003_missing_person_cases),
]

SCHEMA_VERSION = len(MIGRATIONS)
