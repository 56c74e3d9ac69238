"""Reading the audit log: scoped to the reader's lab, paged by key, filtered in SQL; and what
an expungement leaves behind (no readable specimen ID: file names are salted hashes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.fixtures import random_profiles, write_raw_cmf

from locard.errors import ImportFailed, InputError, PermissionDenied
from locard.store import Store
from locard.store import schema as S

from .conftest import full_profile


def _two_labs(store: Store) -> None:
    store.add_user("admin_b", role="administrator", lab="LAB-B", actor="admin")
    store.add_user("aud", role="auditor", lab="LAB-A", actor="admin")
    store.add_profile(full_profile(1), specimen_id="CO-A1", category="Convicted Offender",
                      legal_basis="conviction", actor="admin", purpose="CASE-A-SECRET")
    store.add_profile(full_profile(2), specimen_id="CO-B1", category="Convicted Offender",
                      legal_basis="conviction", actor="admin_b", purpose="CASE-B-1")


# --- item 6: audit reads are scoped to the reader's lab -------------------------------------------


def test_audit_reads_are_scoped_to_the_readers_lab(store: Store) -> None:
    _two_labs(store)
    b_entries = store.audit_entries(actor="admin_b")
    assert b_entries, "lab B's administrator sees lab B's entries"
    assert {e.lab for e in b_entries} == {"LAB-B"}
    text = json.dumps([e.to_dict() for e in b_entries])
    assert "CASE-A-SECRET" not in text and '"admin"' not in text
    page = store.audit_page(actor="admin_b", limit=1000)
    assert {e.lab for e in page.entries} == {"LAB-B"}
    # lab A's readers see lab A's entries only, including the init entry of lab A
    a_entries = store.audit_entries(actor="aud")
    assert {e.lab for e in a_entries} == {"LAB-A"}
    assert a_entries[0].action == "init"
    assert "CASE-B-1" not in json.dumps([e.to_dict() for e in a_entries])
    # the chain is verified whole; verification returns a count, no content
    assert store.verify_audit() == _total(store)


def test_specimen_history_is_scoped_to_the_readers_lab(store: Store) -> None:
    _two_labs(store)
    store.get_specimen("CO-A1", actor="admin", purpose="CASE-A-SECRET")
    # lab B's administrator looks at lab A's specimen: only lab B's own entries about it
    store.get_specimen("CO-A1", lab="LAB-A", actor="admin_b", purpose="CASE-B-2")
    history_b = store.specimen_history("CO-A1", lab="LAB-A", actor="admin_b")
    assert history_b and {e.lab for e in history_b} == {"LAB-B"}
    assert all(e.purpose != "CASE-A-SECRET" for e in history_b)
    history_a = store.specimen_history("CO-A1", actor="aud")
    assert {e.lab for e in history_a} == {"LAB-A"}
    assert [e.purpose for e in history_a if e.action == "view"] == ["CASE-A-SECRET"]
    assert any(e.action == "import" for e in history_a)
    with pytest.raises(PermissionDenied):
        store.specimen_history("CO-A1", actor=_analyst(store))


def _analyst(store: Store) -> str:
    store.add_user("ana", role="analyst", lab="LAB-A", actor="admin")
    return "ana"


def _total(store: Store) -> int:
    with store.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(S.audit_log)).scalar_one())


# --- item 9: keyset paging and filters in SQL -----------------------------------------------------


def test_audit_pages_by_key_newest_first(store: Store) -> None:
    _two_labs(store)
    for i in range(7):
        store.authorize_search("forensic", "offender", actor="admin", purpose=f"P-{i}")
    lab_a = [e.seq for e in store.audit_entries(actor="admin")]
    seen: list[int] = []
    before: int | None = None
    while True:
        page = store.audit_page(actor="admin", limit=3, before_seq=before)
        assert len(page.entries) <= 3
        seen.extend(e.seq for e in page.entries)
        if page.next_before is None:
            break
        before = page.next_before
    # newest first, every entry of lab A exactly once (the pages' own audit_view entries are
    # newer than the first page, so they are not in it)
    assert seen == sorted(seen, reverse=True)
    assert set(lab_a) <= set(seen) and len(seen) == len(set(seen))
    newer = store.audit_page(actor="admin", after_seq=lab_a[-1], limit=100)
    assert newer.entries and all(e.seq > lab_a[-1] for e in newer.entries)
    assert all(e.action == "audit_view" for e in newer.entries)


def test_audit_filters_by_user_action_and_date(store: Store) -> None:
    _two_labs(store)
    store.add_user("ana", role="analyst", lab="LAB-A", actor="admin")
    store.authorize_search("forensic", "offender", actor="ana", purpose="P-ANA")
    store.authorize_search("forensic", "offender", actor="admin", purpose="P-ADMIN")
    page = store.audit_page(actor="admin", user="ana", limit=50)
    assert [(e.user, e.action, e.purpose) for e in page.entries] == [("ana", "search", "P-ANA")]
    page = store.audit_page(actor="admin", action="search", limit=50)
    assert [e.purpose for e in page.entries] == ["P-ADMIN", "P-ANA"]
    first = store.audit_entries(actor="admin")[0]
    assert [e.seq for e in store.audit_page(actor="admin", until=first.at,
                                            limit=50).entries] == [first.seq]
    assert store.audit_page(actor="admin", since="2999-01-01", limit=50).entries == ()
    # another lab's user is not a way in
    assert store.audit_page(actor="admin_b", user="admin", limit=50).entries == ()
    with pytest.raises(InputError, match="since"):
        store.audit_page(actor="admin", since="yesterday", limit=50)
    with pytest.raises(InputError, match="limit"):
        store.audit_page(actor="admin", limit=0)
    with pytest.raises(InputError, match="before_seq"):
        store.audit_page(actor="admin", before_seq=5, after_seq=1)


def test_audit_reads_do_not_load_the_log(store: Store) -> None:
    """A page is one bounded SQL query: the statement carries the lab, the cursor and LIMIT."""
    _two_labs(store)
    statements: list[str] = []

    def spy(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "FROM audit_log" in statement and "audit_log.seq" in statement:
            statements.append(statement)

    sa.event.listen(store.db.reader, "before_cursor_execute", spy)
    try:
        store.audit_page(actor="admin", limit=1, before_seq=10_000)
    finally:
        sa.event.remove(store.db.reader, "before_cursor_execute", spy)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")
             and "LIMIT" in s.upper() and "audit_log.lab" in s]
    assert reads, statements


def test_audit_indexes_exist(store: Store) -> None:
    with store.db.read() as conn:
        conn.execute(sa.select(S.audit_log.c.seq).limit(1))  # SQLite: reload the schema
        names = {ix["name"] for ix in sa.inspect(conn).get_indexes("audit_log")}
    assert {"ix_audit_lab_seq", "ix_audit_action", "ix_audit_user", "ix_audit_at"} <= names


# --- item 7: an expunged specimen leaves no readable ID ------------------------------------------


def test_expunged_specimen_id_leaves_no_trace_in_the_database(sqlite_store: Store,
                                                              tmp_path: Path) -> None:
    store = sqlite_store
    sid = "CO-SECRET-7731"
    (_, geno), = list(random_profiles(1, seed=5, prefix="X"))
    f = tmp_path / f"{sid}.xml"  # lab files are often named after the specimen
    write_raw_cmf(f, [(sid, "Convicted Offender", geno)], source_lab="LAB-A")
    store.import_file(f, legal_basis="conviction", actor="admin", purpose="intake")
    # a failed import of the same file (duplicate) is audited too
    with pytest.raises(ImportFailed):
        store.import_file(f, legal_basis="conviction", actor="admin", purpose="intake")
    store.export(tmp_path / f"{sid}-export.xml", actor="admin", purpose="transfer")
    store.get_specimen(sid, actor="admin", purpose="check")
    store.expunge(sid, reason="conviction quashed", actor="admin")
    audit_text = json.dumps([e.to_dict() for e in store.audit_entries(actor="admin")])
    assert sid not in audit_text
    # the import entry names its file by a salted hash an auditor can recompute
    imports = store.audit_entries(actor="admin", action="import")
    assert imports[0].details["file_ref"] == store.file_ref(f"{sid}.xml")
    store.close()
    db = Path(str(tmp_path / "locard.db"))
    for path in (db, Path(f"{db}-wal")):
        if path.exists():
            assert sid.encode() not in path.read_bytes(), path.name


def test_expunge_reason_may_not_name_the_specimen(store: Store) -> None:
    store.add_profile(full_profile(3), specimen_id="CO-77", category="Convicted Offender",
                      legal_basis="conviction", actor="admin")
    with pytest.raises(InputError, match="reason"):
        store.expunge("CO-77", reason="CO-77 conviction quashed", actor="admin")
