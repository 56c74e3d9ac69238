"""The store on SQLite and PostgreSQL: governance, audit chain, expungement, roles, schema."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from locard.errors import (
    AcceptanceRejected,
    AuditChainBroken,
    AuthenticationFailed,
    NotFound,
    PermissionDenied,
    PolicyViolation,
    SchemaTooNew,
    SchemaTooOld,
    StoreError,
)
from locard.store import SCHEMA_VERSION, Store
from locard.store import schema as S

from .conftest import core13_profile, full_profile


def _raw(store: Store, sql: str, **params: object) -> list[sa.Row[tuple[object, ...]]]:
    with store.db.writer.begin() as conn:
        res = conn.execute(sa.text(sql), params)
        return list(res.all()) if res.returns_rows else []


def _actions(store: Store) -> list[str]:
    return [r[0] for r in _raw(store, "SELECT action FROM audit_log ORDER BY seq")]


# --- basics and acceptance through the store ------------------------------------------------------


def test_init_creates_admin_and_version(store: Store) -> None:
    assert store.schema_version() == SCHEMA_VERSION
    admin = store.user("admin")
    assert (admin.role, admin.lab) == ("administrator", "LAB-A")
    assert _actions(store) == ["init"]
    names = [r[0] for r in _raw(store, "SELECT name FROM schema_migrations ORDER BY version")]
    assert names == [n for n, _ in S.MIGRATIONS]


def test_add_and_view_offender(store: Store) -> None:
    key = store.add_profile(full_profile(1), specimen_id="CO-1", category="Convicted Offender",
                            legal_basis="conviction", actor="admin")
    view = store.get_specimen("CO-1", actor="admin", purpose="CASE-1")
    assert view.index == "offender" and view.legal_basis == "conviction"
    assert view.profile is not None and view.profile.with_specimen_id(None) == \
        full_profile(1).with_specimen_id(None)
    assert store.counts() == {"offender": 1}
    assert key == 1
    assert _actions(store)[-2:] == ["import", "view"]


def test_acceptance_rejected_names_rule(store: Store) -> None:
    prof = full_profile(2).restrict([x for x in full_profile(2).str_loci if x != "D2S441"])
    with pytest.raises(AcceptanceRejected, match="missing D2S441") as info:
        store.add_profile(prof, specimen_id="CO-2", category="Convicted Offender",
                          legal_basis="conviction", actor="admin")
    assert info.value.rule == "offender-core-20"
    assert store.counts() == {}


def test_legal_basis_enforced(store: Store) -> None:
    # no stated basis: the category's default (conviction for a convicted offender)
    store.add_profile(full_profile(4), specimen_id="CO-4", category="Convicted Offender",
                      actor="admin")
    assert store.get_specimen("CO-4", actor="admin").legal_basis == "conviction"
    with pytest.raises(PolicyViolation, match="not allowed"):
        store.add_profile(full_profile(3), specimen_id="CO-3", category="Arrestee",
                          legal_basis="conviction", actor="admin")
    with pytest.raises(PolicyViolation, match="consent record"):
        store.add_profile(core13_profile(13, 3), specimen_id="RL-1",
                          category="Biological Mother", legal_basis="consent", actor="admin")
    store.add_profile(core13_profile(13, 3), specimen_id="RL-1", category="Biological Mother",
                      legal_basis="consent", consent="C-77", actor="admin")
    view = store.get_specimen("RL-1", actor="admin")
    assert view.consent == "C-77" and view.index == "relative"


def test_no_personal_identifier_columns(store: Store) -> None:
    forbidden = {"name", "first_name", "last_name", "surname", "dob", "birth_date",
                 "date_of_birth", "address", "ssn", "sex", "race", "ethnicity"}
    insp = sa.inspect(store.db.reader)
    for table in ("specimens", "genotypes", "consents", "tombstones", "candidate_matches"):
        cols = {c["name"] for c in insp.get_columns(table)}
        assert not cols & forbidden, table


# --- search matrix with audit ---------------------------------------------------------------------


def test_search_refusal_is_audited(store: Store) -> None:
    store.authorize_search("forensic", "offender", actor="admin", purpose="CASE-9")
    with pytest.raises(PolicyViolation):
        store.authorize_search("relative", "offender", "direct", actor="admin",
                               purpose="CASE-9")
    with pytest.raises(PolicyViolation, match="requires a stated purpose"):
        store.authorize_search("forensic", "offender", actor="admin", purpose=None)
    store.authorize_search("relative", "unidentified", "kinship", actor="admin",
                           purpose="MP-2")
    assert _actions(store)[1:] == ["search", "search_refused", "search_refused", "search"]
    row = _raw(store, "SELECT purpose, details FROM audit_log WHERE seq = 3")[0]
    assert row[0] == "CASE-9"
    assert json.loads(str(row[1]))["query_index"] == "relative"
    assert store.verify_audit() == 5


# --- audit chain ----------------------------------------------------------------------


def _fill(store: Store, n: int = 5) -> None:
    for i in range(n):
        store.authorize_search("forensic", "offender", actor="admin", purpose=f"C-{i}")


def test_audit_verify_clean(store: Store) -> None:
    _fill(store)
    assert store.verify_audit() == 6


def test_audit_detects_edit(store: Store) -> None:
    _fill(store)
    _raw(store, "UPDATE audit_log SET purpose = 'C-X' WHERE seq = 4")
    with pytest.raises(AuditChainBroken) as info:
        store.verify_audit()
    assert info.value.entry_id == 4 and "edited" in info.value.reason


def test_audit_detects_edit_with_rehash(store: Store) -> None:
    """Recomputing the edited entry's own hash still breaks the next entry's link."""
    from locard.store.audit import entry_hash

    _fill(store)
    row = _raw(store, "SELECT seq, at, \"user\", role, lab, action, purpose, details, prev_hash "
                      "FROM audit_log WHERE seq = 3")[0]
    new = entry_hash(seq=3, at=str(row[1]), user=row[2], role=row[3],  # type: ignore[arg-type]
                     lab=row[4], action=str(row[5]), purpose="FORGED",  # type: ignore[arg-type]
                     details=str(row[7]), prev_hash=str(row[8]))
    _raw(store, "UPDATE audit_log SET purpose = 'FORGED', entry_hash = :h WHERE seq = 3", h=new)
    with pytest.raises(AuditChainBroken) as info:
        store.verify_audit()
    assert info.value.entry_id == 4


def test_audit_detects_delete(store: Store) -> None:
    _fill(store)
    _raw(store, "DELETE FROM audit_log WHERE seq = 3")
    with pytest.raises(AuditChainBroken) as info:
        store.verify_audit()
    assert info.value.entry_id == 4 and "deleted" in info.value.reason


def test_audit_detects_delete_of_last_links(store: Store) -> None:
    """Deleting an entry and renumbering the rest is caught by the prev_hash link."""
    _fill(store)
    _raw(store, "DELETE FROM audit_log WHERE seq = 3")
    for seq in (4, 5, 6):
        _raw(store, "UPDATE audit_log SET seq = :n WHERE seq = :o", n=seq - 1, o=seq)
    with pytest.raises(AuditChainBroken) as info:
        store.verify_audit()
    assert info.value.entry_id == 3 and "prev_hash" in info.value.reason


def test_audit_detects_reorder(store: Store) -> None:
    _fill(store)
    _raw(store, "UPDATE audit_log SET seq = 100 WHERE seq = 3")
    _raw(store, "UPDATE audit_log SET seq = 3 WHERE seq = 4")
    _raw(store, "UPDATE audit_log SET seq = 4 WHERE seq = 100")
    with pytest.raises(AuditChainBroken) as info:
        store.verify_audit()
    assert info.value.entry_id == 3


def test_audit_entry_fields(store: Store) -> None:
    store.authorize_search("forensic", "offender", actor="admin", purpose="CASE-1")
    entries = store.audit_entries(actor="admin")
    e = entries[1]
    assert (e.user, e.role, e.lab, e.action, e.purpose) == (
        "admin", "administrator", "LAB-A", "search", "CASE-1")
    assert e.prev_hash == entries[0].entry_hash and len(e.entry_hash) == 64


# --- expungement, consent, retention --------------------------------------------------------------


def test_expunge_is_real(store: Store) -> None:
    store.add_profile(full_profile(4), specimen_id="CO-4", category="Convicted Offender",
                      legal_basis="conviction", actor="admin")
    store.add_profile(full_profile(5), specimen_id="CO-5", category="Convicted Offender",
                      legal_basis="conviction", actor="admin")
    seen: list[tuple[str, list[int]]] = []
    store.on_expunge.append(lambda lab, keys: seen.append((lab, keys)))
    ref = store.expunge("CO-4", reason="conviction quashed", actor="admin")
    assert seen == [("LAB-A", [1])]
    assert _raw(store, "SELECT count(*) FROM genotypes WHERE specimen_pk = 1")[0][0] == 0
    assert _raw(store, "SELECT count(*) FROM specimens WHERE specimen_id = 'CO-4'")[0][0] == 0
    assert _raw(store, "SELECT count(*) FROM genotypes")[0][0] == 1
    tomb = _raw(store, "SELECT specimen_hash, reason FROM tombstones")
    assert [(t[0], t[1]) for t in tomb] == [(ref, "conviction quashed")]
    with pytest.raises(NotFound):
        store.get_specimen("CO-4", actor="admin")
    assert [k for k, *_ in store.iter_genotypes(actor="admin", purpose="rebuild")] == [2]
    assert store.is_expunged("LAB-A", "CO-4")
    # the specimen ID appears nowhere in the database any more
    for table in ("audit_log", "tombstones", "events", "specimens"):
        dump = json.dumps([list(map(str, r)) for r in _raw(store, f"SELECT * FROM {table}")])
        assert "CO-4" not in dump, table
    events = store.events_since(0)
    assert [e["kind"] for e in events] == ["import", "import", "expunge"]


def test_expunged_specimen_not_resurrected(store: Store) -> None:
    store.add_profile(full_profile(6), specimen_id="CO-6", category="Convicted Offender",
                      legal_basis="conviction", actor="admin")
    store.expunge("CO-6", reason="order", actor="admin")
    with pytest.raises(PolicyViolation, match="expunged"):
        store.add_profile(full_profile(6), specimen_id="CO-6", category="Convicted Offender",
                          legal_basis="conviction", actor="admin")


def test_withdraw_consent_expunges(store: Store) -> None:
    for i in range(2):
        store.add_profile(core13_profile(13, 10 + i), specimen_id=f"RL-{i}",
                          category="Biological Sibling", legal_basis="consent",
                          consent="C-1", actor="admin")
    store.add_profile(core13_profile(13, 12), specimen_id="RL-9", category="Spouse",
                      legal_basis="consent", consent="C-2", actor="admin")
    assert store.withdraw_consent("C-1", actor="admin") == 2
    assert store.counts() == {"relative": 1}
    assert _raw(store, "SELECT count(*) FROM genotypes")[0][0] == 1
    with pytest.raises(PolicyViolation, match="withdrawn"):
        store.add_profile(core13_profile(13, 13), specimen_id="RL-5", category="Spouse",
                          legal_basis="consent", consent="C-1", actor="admin")


def test_retention_apply(store: Store) -> None:
    store.add_profile(full_profile(7), specimen_id="AR-1", category="Arrestee",
                      legal_basis="arrest", actor="admin")
    store.add_profile(full_profile(8), specimen_id="CO-8", category="Convicted Offender",
                      legal_basis="conviction", actor="admin")
    view = store.get_specimen("AR-1", actor="admin")
    assert view.retention_until is not None and store.get_specimen(
        "CO-8", actor="admin").retention_until is None
    later = dt.date.fromisoformat(view.retention_until) + dt.timedelta(days=1)
    assert store.apply_retention(actor="admin") == []
    dry = store.apply_retention(actor="admin", dry_run=True, today=later)
    assert [d["specimen_id"] for d in dry] == ["AR-1"]
    assert store.counts() == {"arrestee": 1, "offender": 1}
    done = store.apply_retention(actor="admin", today=later)
    assert [d["specimen_id"] for d in done] == ["AR-1"]
    assert store.counts() == {"offender": 1}
    assert store.is_expunged("LAB-A", "AR-1")


# --- users, roles, labs, tokens -------------------------------------------------------------------


def test_roles(store: Store) -> None:
    store.add_user("ana", role="analyst", actor="admin")
    store.add_user("rev", role="reviewer", actor="admin")
    store.add_user("aud", role="auditor", actor="admin")
    with pytest.raises(PermissionDenied):
        store.add_user("x", role="analyst", actor="ana")
    with pytest.raises(PermissionDenied):
        store.get_specimen("anything", actor="aud")
    with pytest.raises(PermissionDenied):
        store.audit_entries(actor="ana")
    assert store.audit_entries(actor="aud")
    with pytest.raises(PermissionDenied):
        store.expunge("X", reason="r", actor="ana")
    with pytest.raises(PermissionDenied):
        store.add_profile(full_profile(1), specimen_id="Z", category="Arrestee",
                          legal_basis="arrest", actor="rev")
    with pytest.raises(AuthenticationFailed):
        store.user("nobody")
    assert "access_refused" in _actions(store)
    store.verify_audit()


def test_lab_visibility_and_matches(store: Store) -> None:
    store.add_user("bob", role="analyst", lab="LAB-B", actor="admin")
    store.add_user("rev", role="reviewer", actor="admin")
    store.add_profile(core13_profile(13, 20), specimen_id="FU-1", category="Forensic, Unknown",
                      actor="admin")
    store.add_profile(full_profile(20), specimen_id="CO-B", category="Convicted Offender",
                      legal_basis="conviction", actor="bob")
    other = store.get_specimen("FU-1", lab="LAB-A", actor="bob")
    assert other.restricted and other.profile is None and other.legal_basis is None
    assert other.to_dict() == {"lab": "LAB-A", "specimen_id": "FU-1", "index": "forensic",
                               "restricted": True}
    mid = store.record_candidate_match(query=("LAB-A", "FU-1"), candidate=("LAB-B", "CO-B"),
                                       mode="direct", stringency="moderate", compared_loci=13,
                                       mismatches=0, rmp=1e-15, actor="admin",
                                       purpose="CASE-3")
    assert [m.id for m in store.list_matches(actor="bob")] == [mid]
    with pytest.raises(PermissionDenied):
        store.decide_match(mid, "confirmed", actor="bob", note="n")
    decided = store.decide_match(mid, "confirmed", actor="rev", note="verified by retyping")
    assert (decided.status, decided.reviewer) == ("confirmed", "rev")
    store.add_user("boss", role="administrator", lab="LAB-B", actor="admin")
    store.expunge("CO-B", reason="order", actor="boss")  # only LAB-B's administrator may
    assert store.list_matches(actor="admin") == []


def test_tokens_hashed(store: Store) -> None:
    store.add_user("svc", role="analyst", actor="admin")
    token = store.issue_token("svc", actor="admin")
    row = _raw(store, "SELECT token_prefix, token_hash FROM users WHERE name = 'svc'")[0]
    assert token not in str(row[1]) and str(row[1]).startswith("$argon2")
    assert token.split("_")[1] == row[0]
    assert store.authenticate_token(token).name == "svc"
    with pytest.raises(AuthenticationFailed):
        store.authenticate_token(token[:-2] + "xx")
    with pytest.raises(AuthenticationFailed):
        store.authenticate_token("garbage")
    token2 = store.issue_token("svc", actor="svc")
    with pytest.raises(AuthenticationFailed):
        store.authenticate_token(token)
    assert store.authenticate_token(token2).name == "svc"


# --- schema version ----------------------------------------------------------------------


def test_schema_too_new(db_url: str) -> None:
    Store.init(db_url, admin="admin").close()
    s = Store.open(db_url)
    with s.db.write() as conn:
        Store.set_meta(conn, "schema_version", str(SCHEMA_VERSION + 1))
    s.close()
    with pytest.raises(SchemaTooNew):
        Store.open(db_url)
    with pytest.raises(SchemaTooNew):
        Store.init(db_url)


def test_schema_too_old_then_migrate(db_url: str) -> None:
    Store.init(db_url, admin="admin").close()
    # simulate a database created by an older Locard: only the first migration applied
    old = Store.open(db_url)
    with old.db.write() as conn:
        conn.execute(sa.text("DROP TABLE events"))
        conn.execute(sa.text("DROP TABLE case_members"))
        conn.execute(sa.text("DROP TABLE mp_cases"))
        conn.execute(S.schema_migrations.delete().where(S.schema_migrations.c.version > 1))
        Store.set_meta(conn, "schema_version", "1")
        for ix in ("ix_specimens_idx", "ix_specimens_retention", "ix_specimens_consent",
                   "ix_matches_candidate"):
            conn.execute(sa.text(f"DROP INDEX {ix}"))
    old.close()
    with pytest.raises(SchemaTooOld, match="locard db migrate"):
        Store.open(db_url)
    assert Store.migrate(db_url, actor="admin") == [name for name, _ in S.MIGRATIONS[1:]]
    assert [name for name, _ in S.MIGRATIONS[1:3]] == ["0002_events_and_indexes",
                                                       "0003_missing_person_cases"]
    with Store.open(db_url) as s2:
        assert s2.schema_version() == SCHEMA_VERSION
        assert "migrate" in _actions(s2)
        s2.verify_audit()


def test_open_non_locard(db_url: str) -> None:
    with pytest.raises(StoreError, match="not a Locard database"):
        Store.open(db_url)
