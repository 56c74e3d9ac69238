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
- ``match_decisions`` is append-only: a reviewer's decision on a candidate match (status, a
  note that cannot be empty, who, when) is never updated; a correction is a new row whose
  ``supersedes_id`` names the decision it corrects (unique, so the history is one chain, and at
  most one first decision per match). ``candidate_matches.status``/``reviewer_id``/``note``/
  ``decided_at`` mirror the latest decision, written in the same transaction as its row.

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
    "match_decisions",
    "metadata",
    "mp_cases",
    "schema_migrations",
    "search_outbox",
    "specimen_provenance",
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
    # moved on logout, token rotation and deactivation: a session cookie carries the epoch
    # it was issued under and is dead once the user's epoch has moved on (migration 0006)
    sa.Column("session_epoch", sa.Integer, nullable=False, default=0, server_default="0"),
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
    sa.Column("rmp", sa.Float, nullable=True),
    sa.Column("retention_until", sa.String(10), nullable=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
    sa.Column("source_digest", sa.String(64), nullable=True),
    #: the lab a received record came from (``import --received-from``), kept as provenance;
    #: the importing lab (``lab_id``) owns the specimen. NULL: the lab's own record.
    sa.Column("source_lab", sa.String(64), nullable=True),
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
    sa.Column("rmp", sa.Float, nullable=True),
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

match_decisions = sa.Table(
    "match_decisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("match_id", sa.Integer,
              sa.ForeignKey("candidate_matches.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
    sa.Column("decided_at", sa.String(40), nullable=False),
    sa.Column("supersedes_id", sa.Integer,
              sa.ForeignKey("match_decisions.id", ondelete="CASCADE"), nullable=True,
              unique=True),
    sa.CheckConstraint("status IN ('confirmed','rejected')", name="ck_match_decision_status"),
    sa.CheckConstraint("length(note) > 0", name="ck_match_decision_note"),
    # one first decision per match; every later one supersedes its predecessor
    sa.Index("uq_match_decisions_first", "match_id", unique=True,
             sqlite_where=sa.text("supersedes_id IS NULL"),
             postgresql_where=sa.text("supersedes_id IS NULL")),
)

#: the note given to decisions migrated from schema 4, which did not require one
NO_NOTE_BEFORE_V5 = "(no note recorded before schema 5)"

#: search on entry is durable: one row per import and installed search-on-entry hook,
#: written in the import's transaction (keys ``first_pk..last_pk``, the hook's ``params`` as
#: canonical JSON: actor, purpose, stringency, ...), deleted once its hits are recorded; rows
#: left by a crash are resumed on start (:func:`locard.store.searching.resume_pending_searches`)
search_outbox = sa.Table(
    "search_outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("first_pk", sa.Integer, nullable=False),
    sa.Column("last_pk", sa.Integer, nullable=False),
    sa.Column("params", sa.Text, nullable=False),
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


def has_column(conn: sa.Connection, table: str, column: str) -> bool:
    """True when ``table`` already has ``column``. Migration 0001 creates its tables from the
    current metadata, so a later migration that adds or renames a column must check first."""
    return any(c["name"] == column for c in sa.inspect(conn).get_columns(table))


def _m0004_rmp_name(conn: sa.Connection) -> None:
    """``match_rarity`` -> ``rmp``: one quantity, one name. ``specimens.match_rarity`` held
    1/RMP and becomes the RMP (1/value; an infinite value, RMP 0, becomes 0);
    ``candidate_matches.match_rarity`` held the RMP already and is only renamed."""
    for table in ("specimens", "candidate_matches"):
        if has_column(conn, table, "match_rarity"):
            conn.execute(sa.text(f"ALTER TABLE {table} RENAME COLUMN match_rarity TO rmp"))
            if table == "specimens":
                col = specimens.c.rmp
                conn.execute(sa.update(specimens).where(col.is_not(None)).values(
                    rmp=sa.case((col > 0, sa.literal(1.0) / col), else_=sa.null())))


def _m0005_match_decisions(conn: sa.Connection) -> None:
    """Match decisions as append-only records that may supersede each other; each decided
    candidate match of an older database becomes one first decision (its missing note becomes
    :data:`NO_NOTE_BEFORE_V5`)."""
    metadata.create_all(conn, tables=[match_decisions])
    m = candidate_matches.c
    recorded = sa.select(match_decisions.c.id).where(match_decisions.c.match_id == m.id)
    rows = conn.execute(sa.select(m.id, m.status, m.reviewer_id, m.decided_at, m.note,
                                  m.created_at)
                        .where(m.status != "pending", ~sa.exists(recorded))
                        .order_by(m.id)).all()
    if rows:
        conn.execute(match_decisions.insert(), [
            {"match_id": r.id, "status": r.status, "reviewer_id": r.reviewer_id,
             "decided_at": r.decided_at or r.created_at, "supersedes_id": None,
             "note": (r.note or "").strip() or NO_NOTE_BEFORE_V5} for r in rows])


def _m0006_session_revocation(conn: sa.Connection) -> None:
    """Sessions that logout, deactivation and token rotation end at once: ``users.
    session_epoch`` (0 for every existing user, so their current sessions stay valid until
    the next logout)."""
    if not has_column(conn, "users", "session_epoch"):
        conn.execute(sa.text(
            "ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0"))


def _m0007_search_outbox(conn: sa.Connection) -> None:
    """Pending searches on entry, recorded in the import's transaction."""
    metadata.create_all(conn, tables=[search_outbox])


def _m0008_audit_reads(conn: sa.Connection) -> None:
    """Indexes for keyset paging and filtering of the audit log: a page is an index range
    (``WHERE lab = ? AND seq < ? ORDER BY seq DESC LIMIT n``), not a scan of the log."""
    for name, columns in (("ix_audit_lab_seq", '"lab", "seq"'), ("ix_audit_action", '"action"'),
                          ("ix_audit_user", '"user"'), ("ix_audit_at", '"at"')):
        conn.execute(sa.text(f"CREATE INDEX IF NOT EXISTS {name} ON audit_log ({columns})"))


def _m0009_specimen_source_lab(conn: sa.Connection) -> None:
    """``specimens.source_lab``: the lab a record received from another lab came from
    (provenance; the importing lab owns it). NULL for every existing specimen."""
    if not has_column(conn, "specimens", "source_lab"):
        conn.execute(sa.text("ALTER TABLE specimens ADD COLUMN source_lab VARCHAR(64)"))


specimen_provenance = sa.Table(
    "specimen_provenance", metadata,
    sa.Column("specimen_pk", sa.Integer, sa.ForeignKey("specimens.id"), primary_key=True),
    sa.Column("provenance", sa.Text, nullable=False),
)
"""Where a specimen's profile came from, one row per specimen that has it (canonical JSON):
for a profile analysed from a capillary-electrophoresis run, the instrument file's SHA-256
and name, the sample ID, the run metadata, the kit, the ladder's SHA-256, the lane standard,
the analysis parameters and the Locard version (:mod:`locard.store.ce_intake`). File hashes,
sample IDs and parameters only, never a person's name. Expungement deletes the row."""


def _m0010_specimen_provenance(conn: sa.Connection) -> None:
    """``specimen_provenance``: provenance of a specimen's profile (e.g. the CE run it was
    analysed from). Empty for every existing specimen."""
    metadata.create_all(conn, tables=[specimen_provenance])


#: (name, function) applied in order; the schema version is the number applied.
MIGRATIONS: list[tuple[str, Callable[[sa.Connection], None]]] = [
    ("0001_core_tables", _m0001_core_tables),
    ("0002_events_and_indexes", _m0002_events_and_indexes),
    ("0003_missing_person_cases", _m0003_missing_person_cases),
    ("0004_rmp_name", _m0004_rmp_name),
    ("0005_match_decisions", _m0005_match_decisions),
    ("0006_session_revocation", _m0006_session_revocation),
    ("0007_search_outbox", _m0007_search_outbox),
    ("0008_audit_reads", _m0008_audit_reads),
    ("0009_specimen_source_lab", _m0009_specimen_source_lab),
    ("0010_specimen_provenance", _m0010_specimen_provenance),
]

SCHEMA_VERSION = len(MIGRATIONS)
