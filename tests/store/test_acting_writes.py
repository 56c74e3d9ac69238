"""Every write goes through the one door (``Store.acting`` / ``Store.acting_long``): the seam's
own behaviour (a failure recorded then raised, the long act's one transaction, acting on one's
own account, a target's lab checked after the role), a pair recorded twice as a store-level
outcome, and the dashboard's aggregates."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from locard.errors import InputError, MatchAlreadyRecorded, NotFound, PermissionDenied
from locard.store import Store
from locard.store import schema as S

from .conftest import core13_profile, full_profile


def _entries(store: Store) -> list[tuple[str, str, dict[str, Any]]]:
    store.verify_audit()
    with store.db.read() as conn:
        rows = conn.execute(sa.select(S.audit_log.c.user, S.audit_log.c.action,
                                      S.audit_log.c.details).order_by(S.audit_log.c.seq))
        return [(r.user, r.action, json.loads(r.details)) for r in rows]


def _meta(store: Store, key: str) -> str | None:
    with store.db.read() as conn:
        return store.get_meta(conn, key)


def test_a_failed_act_is_recorded_then_raised_and_writes_nothing_else(store: Store) -> None:
    before = len(_entries(store))
    with pytest.raises(InputError, match="not this way"), \
            store.acting("admin", "users", audit_as="user_change") as act:
        act.refuse(InputError("not this way"), {"op": "test"})
    assert _entries(store)[before:] == [
        ("admin", "user_change", {"refused": "not this way", "op": "test"})]


def test_a_long_act_records_in_its_one_transaction(store: Store) -> None:
    before = len(_entries(store))
    with store.acting_long("admin", "export", purpose="CASE-9") as act:
        assert act.lab == "LAB-A" and act.user.name == "admin"
        with act.write() as conn:
            store.set_meta(conn, "long_act", "1")
            act.details["n"] = 1
        assert act.recorded
    assert _entries(store)[before:] == [("admin", "export", {"n": 1})]
    assert _meta(store, "long_act") == "1"


def test_a_long_act_that_fails_in_its_transaction_records_nothing(store: Store) -> None:
    before = len(_entries(store))
    with pytest.raises(RuntimeError), store.acting_long("admin", "export") as act, \
            act.write() as conn:
        store.set_meta(conn, "long_act", "1")
        raise RuntimeError("disk full")
    assert len(_entries(store)) == before
    assert _meta(store, "long_act") is None


def test_a_long_act_without_a_transaction_is_recorded_when_it_ends(store: Store) -> None:
    before = len(_entries(store))
    with pytest.raises(InputError, match="bad file"), \
            store.acting_long("admin", "import") as act:
        act.details["read"] = 3
        act.fail(InputError("bad file"))
    assert _entries(store)[before:] == [("admin", "import", {"read": 3})]


def test_a_user_renews_their_own_token_without_the_role(store: Store) -> None:
    store.add_user("ana", role="analyst", actor="admin")
    store.add_user("bob", role="analyst", actor="admin")
    assert store.issue_token("ana", actor="ana").startswith("lcd_")
    assert _entries(store)[-1][:2] == ("ana", "token_issue")
    before = len(_entries(store))
    with pytest.raises(PermissionDenied, match="'ana' \\(analyst\\) may not users"):
        store.issue_token("bob", actor="ana")
    assert _entries(store)[before:] == [
        ("ana", "access_refused", {"refused": _entries(store)[-1][2]["refused"],
                                   "attempted": "users"})]


def test_the_role_is_checked_before_the_target_is_looked_up(store: Store) -> None:
    """An analyst deactivating a user that does not exist is refused for the role (audited),
    not told whether the user exists."""
    store.add_user("ana", role="analyst", actor="admin")
    with pytest.raises(PermissionDenied):
        store.deactivate_user("nobody", actor="ana")
    assert _entries(store)[-1][:2] == ("ana", "access_refused")
    with pytest.raises(NotFound, match="no user 'nobody'"):
        store.deactivate_user("nobody", actor="admin")


def test_an_administrator_of_another_lab_is_refused_naming_the_user(store: Store) -> None:
    store.add_user("ana", role="analyst", actor="admin")
    store.add_user("adm-b", role="administrator", lab="LAB-B", actor="admin")
    with pytest.raises(PermissionDenied, match="may not users for lab 'LAB-A'"):
        store.revoke_sessions("ana", actor="adm-b")
    user, action, details = _entries(store)[-1]
    assert (user, action) == ("adm-b", "access_refused")
    assert details["op"] == "sessions_end" and details["name"] == "ana"
    assert details["lab"] == "LAB-A" and details["attempted"] == "users"


def test_a_pair_recorded_twice_names_the_recorded_match(store: Store) -> None:
    store.add_profile(core13_profile(13, 20), specimen_id="FU-1", category="Forensic, Unknown",
                      actor="admin")
    store.add_profile(full_profile(20), specimen_id="CO-1", category="Convicted Offender",
                      legal_basis="conviction", actor="admin")
    pair = {"query": ("LAB-A", "FU-1"), "candidate": ("LAB-A", "CO-1"),
            "stringency": "moderate", "compared_loci": 13, "mismatches": 0}
    first = store.record_candidate_match(mode="direct", actor="admin", purpose="C-1", **pair)
    before = len(_entries(store))
    with pytest.raises(MatchAlreadyRecorded) as info:
        store.record_candidate_match(mode="direct", actor="admin", purpose="C-1", **pair)
    assert info.value.match_id == first and info.value.http_status == 409
    assert f"candidate match {first}" in str(info.value)
    assert len(_entries(store)) == before  # the refused insert recorded nothing
    # another mode is another match
    other = store.record_candidate_match(mode="mixture-lr", actor="admin", purpose="C-1",
                                         **pair)
    assert other != first


def test_dashboard_statistics_by_hand(store: Store) -> None:
    assert store.index_statistics() == {"counts": {}, "total": 0, "mixtures": 0,
                                        "growth": {}, "loci_typed": []}
    for n in range(2):
        store.add_profile(full_profile(n), specimen_id=f"CO-{n}", category="Convicted Offender",
                          legal_basis="conviction", actor="admin")
    store.add_profile(core13_profile(13, 5), specimen_id="FU-1", category="Forensic, Unknown",
                      actor="admin")
    stats = store.index_statistics()
    assert stats["counts"] == {"offender": 2, "forensic": 1} == store.counts()
    assert stats["total"] == 3 and stats["mixtures"] == 0
    # full_profile: 20 core loci + AMEL = 21 loci; core13_profile(13): 13
    assert stats["loci_typed"] == [(13, 1), (21, 2)]
    (day, running), = stats["growth"]["offender"]
    assert running == 2 and len(day) == 10


def test_a_batch_is_recorded_item_by_item_in_its_transaction(store: Store) -> None:
    before = len(_entries(store))
    with store.acting_long("admin", "import", purpose="C-2") as act:
        act.items = [{"n": 1}, {"n": 2}]
        with act.write() as conn:
            store.set_meta(conn, "batch", "2")
    assert _entries(store)[before:] == [("admin", "import", {"n": 1}),
                                        ("admin", "import", {"n": 2})]
    assert _meta(store, "batch") == "2"
