"""Every write is confined to the actor's own lab; sessions end on logout, rotation and
deactivation (issue 10, items 2 and 5). SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from locard.errors import AuthenticationFailed, PermissionDenied, SchemaTooOld
from locard.store import Store
from locard.store import schema as S

from .conftest import core13_profile, full_profile


def _refusals(store: Store) -> list[dict[str, object]]:
    with store.db.read() as conn:
        rows = conn.execute(sa.select(S.audit_log.c.details).where(
            S.audit_log.c.action == "access_refused").order_by(S.audit_log.c.seq)).scalars()
        return [json.loads(r) for r in rows]


@pytest.fixture
def two_labs(store: Store) -> Store:
    """LAB-A: admin (from init), LAB-B: its own administrator ``boss`` and analyst ``bob``."""
    store.add_user("boss", role="administrator", lab="LAB-B", actor="admin")
    store.add_user("bob", role="analyst", lab="LAB-B", actor="admin")
    store.add_profile(full_profile(30), specimen_id="CO-B", category="Convicted Offender",
                      legal_basis="conviction", actor="bob")
    return store


def test_expunge_of_another_labs_specimen_is_refused_and_audited(two_labs: Store) -> None:
    store = two_labs
    with pytest.raises(PermissionDenied, match="LAB-B") as info:
        store.expunge("CO-B", reason="order", actor="admin", lab="LAB-B")
    assert "LAB-A" in str(info.value)
    # the specimen is intact, and the refusal is in the audit log
    view = store.get_specimen("CO-B", actor="bob")
    assert view.profile is not None and not store.is_expunged("LAB-B", "CO-B")
    assert store.counts() == {"offender": 1}
    refused = _refusals(store)[-1]
    assert refused["attempted"] == "expunge" and refused["lab"] == "LAB-B"
    # the lab's own administrator may
    store.expunge("CO-B", reason="order", actor="boss")
    assert store.is_expunged("LAB-B", "CO-B")
    store.verify_audit()


def test_withdraw_consent_of_another_lab_is_refused(two_labs: Store) -> None:
    store = two_labs
    store.add_profile(core13_profile(13, 31), specimen_id="RL-B", category="Biological Mother",
                      legal_basis="consent", consent="C-B", actor="bob")
    with pytest.raises(PermissionDenied, match="LAB-B"):
        store.withdraw_consent("C-B", actor="admin", lab="LAB-B")
    assert store.get_specimen("RL-B", actor="bob").consent == "C-B"
    assert _refusals(store)[-1]["attempted"] == "consent_withdraw"
    assert store.withdraw_consent("C-B", actor="bob") == 1


def test_import_for_another_lab_is_refused(two_labs: Store, tmp_path: Path) -> None:
    store = two_labs
    path = tmp_path / "co.json"
    path.write_text(json.dumps({"specimen_id": "CO-X", "specimen_category":
                                "Convicted Offender",
                                "loci": full_profile(32).to_dict()["loci"]}))
    with pytest.raises(PermissionDenied, match="LAB-B"):
        store.import_file(path, category="Convicted Offender", legal_basis="conviction",
                          lab="LAB-B", actor="admin")
    assert store.counts() == {"offender": 1}
    assert _refusals(store)[-1]["attempted"] == "import"


def test_retention_expunges_only_the_actors_lab(two_labs: Store) -> None:
    store = two_labs
    store.add_profile(full_profile(33), specimen_id="AR-A", category="Arrestee",
                      legal_basis="arrest", actor="admin")
    store.add_profile(full_profile(34), specimen_id="AR-B", category="Arrestee",
                      legal_basis="arrest", actor="bob")
    until = store.get_specimen("AR-A", actor="admin").retention_until
    assert until is not None
    later = dt.date.fromisoformat(until) + dt.timedelta(days=1)
    dry = store.apply_retention(actor="admin", dry_run=True, today=later)
    assert [(d["lab"], d["specimen_id"]) for d in dry] == [("LAB-A", "AR-A")]
    done = store.apply_retention(actor="admin", today=later)
    assert [(d["lab"], d["specimen_id"]) for d in done] == [("LAB-A", "AR-A")]
    assert store.get_specimen("AR-B", actor="bob").profile is not None
    assert [d["specimen_id"] for d in store.apply_retention(actor="boss", today=later)] == \
        ["AR-B"]


def test_candidate_match_between_two_other_lab_specimens_is_refused(two_labs: Store) -> None:
    store = two_labs
    store.add_profile(core13_profile(13, 30), specimen_id="FU-B",
                      category="Forensic, Unknown", actor="bob")
    with pytest.raises(PermissionDenied, match="LAB-B"):
        store.record_candidate_match(query=("LAB-B", "FU-B"), candidate=("LAB-B", "CO-B"),
                                     mode="direct", stringency="moderate", compared_loci=13,
                                     mismatches=0, actor="admin", purpose="CASE-1")
    assert store.list_matches(actor="bob") == []
    assert _refusals(store)[-1]["attempted"] == "record_match"


def test_user_management_is_confined_to_the_lab(two_labs: Store) -> None:
    store = two_labs
    with pytest.raises(PermissionDenied, match="LAB-B"):
        store.deactivate_user("bob", actor="admin")
    with pytest.raises(PermissionDenied, match="LAB-B"):
        store.issue_token("bob", actor="admin")  # would let lab A act as lab B
    assert store.user("bob").active
    with pytest.raises(PermissionDenied, match="LAB-B"):
        store.revoke_sessions("bob", actor="admin")
    store.deactivate_user("bob", actor="boss")
    with pytest.raises(AuthenticationFailed):
        store.user("bob")


# --- sessions -----------------------------------------------------------------------------------


def test_session_epoch_moves_on_logout_rotation_and_deactivation(store: Store) -> None:
    store.add_user("ana", role="analyst", actor="admin")
    start = store.user("ana").session_epoch
    store.revoke_sessions("ana", actor="ana")  # logout
    after_logout = store.user("ana").session_epoch
    assert after_logout != start
    token = store.issue_token("ana", actor="ana")  # rotation
    after_rotation = store.user("ana").session_epoch
    assert after_rotation not in (start, after_logout)
    assert store.authenticate_token(token).session_epoch == after_rotation
    with pytest.raises(PermissionDenied):
        store.revoke_sessions("admin", actor="ana")  # not someone else's
    store.deactivate_user("ana", actor="admin")
    with store.db.read() as conn:
        row = conn.execute(sa.select(S.users.c.session_epoch, S.users.c.token_hash).where(
            S.users.c.name == "ana")).one()
    assert row.session_epoch not in (start, after_logout, after_rotation)
    assert row.token_hash is None
    with pytest.raises(AuthenticationFailed):
        store.authenticate_token(token)
    actions = [e.action for e in store.audit_entries(actor="admin")]
    assert actions.count("sessions_end") == 1


def test_migration_0006_adds_the_column_to_an_old_database(db_url: str) -> None:
    Store.init(db_url, admin="admin").close()
    old = Store.open(db_url)
    with old.db.write() as conn:
        conn.execute(sa.text("ALTER TABLE users DROP COLUMN session_epoch"))
        conn.execute(S.schema_migrations.delete().where(
            S.schema_migrations.c.name == "0006_session_revocation"))
        Store.set_meta(conn, "schema_version", "5")
    old.close()
    with pytest.raises(SchemaTooOld):
        Store.open(db_url)
    assert Store.migrate(db_url, actor="admin") == ["0006_session_revocation"]
    with Store.open(db_url) as s:
        assert s.user("admin").session_epoch == 0
        s.revoke_sessions("admin", actor="admin")
        assert s.user("admin").session_epoch == 1
