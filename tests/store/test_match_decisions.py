"""Match decisions are final (issue 10, item 4): a second decision is refused, a note is
required, a correction is a new audited record that supersedes the latest one, and the
decisions of a schema-4 database survive the migration. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from locard.errors import DecisionFinal, InputError, NotFound
from locard.store import Store
from locard.store import schema as S

from .conftest import core13_profile, full_profile


def _rows(store: Store, table: sa.Table, order: Any) -> list[dict[str, Any]]:
    with store.db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(order))]


def _decisions(store: Store) -> list[dict[str, Any]]:
    return _rows(store, S.match_decisions, S.match_decisions.c.id)


def _match_rows(store: Store) -> list[dict[str, Any]]:
    return _rows(store, S.candidate_matches, S.candidate_matches.c.id)


def _audit(store: Store, action: str) -> list[Any]:
    return [e for e in store.audit_entries(actor="admin") if e.action == action]


@pytest.fixture
def match_id(store: Store) -> int:
    store.add_user("rev", role="reviewer", actor="admin")
    store.add_user("rev-b", role="reviewer", lab="LAB-B", actor="admin")
    store.add_profile(core13_profile(13, 20), specimen_id="FU-1", category="Forensic, Unknown",
                      actor="admin")
    store.add_profile(full_profile(20), specimen_id="CO-1", category="Convicted Offender",
                      legal_basis="conviction", actor="admin")
    return store.record_candidate_match(
        query=("LAB-A", "FU-1"), candidate=("LAB-A", "CO-1"), mode="direct",
        stringency="moderate", compared_loci=13, mismatches=0, actor="admin", purpose="CASE-1")


def test_second_decision_is_refused_and_changes_nothing(store: Store, match_id: int) -> None:
    first = store.decide_match(match_id, "confirmed", actor="rev", note="13 loci agree")
    assert (first.status, first.reviewer, first.note) == ("confirmed", "rev", "13 loci agree")
    assert first.decision_id is not None
    matches_before, decisions_before = _match_rows(store), _decisions(store)
    for status in ("rejected", "confirmed"):
        with pytest.raises(DecisionFinal) as info:
            store.decide_match(match_id, status, actor="admin", note="second opinion")
        assert info.value.http_status == 409
        assert info.value.decision_id == first.decision_id
        text = str(info.value)
        assert f"candidate match {match_id}" in text and "confirmed by rev" in text
        assert f"supersedes={first.decision_id}" in text
    assert _match_rows(store) == matches_before
    assert _decisions(store) == decisions_before
    refused = _audit(store, "match_decision")
    assert [("refused" in e.details) for e in refused] == [False, True, True]


@pytest.mark.parametrize("note", ["", "   ", None])
def test_empty_note_is_refused(store: Store, match_id: int, note: str | None) -> None:
    with pytest.raises(InputError, match="needs a note"):
        store.decide_match(match_id, "confirmed", actor="rev", note=note)  # type: ignore[arg-type]
    assert _decisions(store) == []
    assert _match_rows(store)[0]["status"] == "pending"
    decided = store.decide_match(match_id, "rejected", actor="rev", note="D8 differs")
    with pytest.raises(InputError, match="needs a note"):
        store.correct_match_decision(match_id, "confirmed", actor="rev",
                                     note=note,  # type: ignore[arg-type]
                                     supersedes=int(decided.decision_id or 0))
    assert len(_decisions(store)) == 1


def test_correction_is_a_new_record_that_supersedes(store: Store, match_id: int) -> None:
    first = store.decide_match(match_id, "confirmed", actor="rev", note="looks right")
    first_row = _decisions(store)[0]
    assert first.decision_id is not None
    fixed = store.correct_match_decision(match_id, "rejected", actor="admin",
                                         note="D21S11 was mistyped; retyping excludes",
                                         supersedes=first.decision_id, purpose="QA-7")
    assert (fixed.status, fixed.reviewer, fixed.note) == \
        ("rejected", "admin", "D21S11 was mistyped; retyping excludes")
    rows = _decisions(store)
    assert rows[0] == first_row  # the first decision is untouched
    assert len(rows) == 2 and rows[1]["supersedes_id"] == first.decision_id
    assert rows[1]["id"] == fixed.decision_id != first.decision_id
    history = store.match_decisions(match_id, actor="rev")
    assert [(d.status, d.reviewer, d.supersedes) for d in history] == [
        ("confirmed", "rev", None), ("rejected", "admin", first.decision_id)]
    assert history[0].note == "looks right"
    # the correction is audited as one, with the decision it supersedes
    [entry] = _audit(store, "match_decision_correction")
    assert entry.purpose == "QA-7"
    assert (entry.details["match"], entry.details["decision"], entry.details["supersedes"],
            entry.details["status"]) == (match_id, fixed.decision_id, first.decision_id,
                                         "rejected")
    # a stale correction (of the first, already superseded) is refused, and so is a plain one
    with pytest.raises(DecisionFinal, match="was superseded"):
        store.correct_match_decision(match_id, "confirmed", actor="rev", note="n",
                                     supersedes=first.decision_id)
    with pytest.raises(DecisionFinal):
        store.decide_match(match_id, "confirmed", actor="rev", note="n")
    # the chain continues from the latest one
    again = store.correct_match_decision(match_id, "confirmed", actor="rev", note="third read",
                                         supersedes=int(fixed.decision_id or 0))
    assert [d.supersedes for d in store.match_decisions(match_id, actor="rev")] == \
        [None, first.decision_id, fixed.decision_id]
    assert again.status == "confirmed"
    store.verify_audit()


def test_correction_needs_a_decision_of_this_match(store: Store, match_id: int) -> None:
    with pytest.raises(InputError, match="no decision to correct"):
        store.correct_match_decision(match_id, "confirmed", actor="rev", note="n", supersedes=1)
    store.add_profile(full_profile(21), specimen_id="CO-2", category="Convicted Offender",
                      legal_basis="conviction", actor="admin")
    other = store.record_candidate_match(
        query=("LAB-A", "FU-1"), candidate=("LAB-A", "CO-2"), mode="direct",
        stringency="moderate", compared_loci=13, mismatches=0, actor="admin", purpose="CASE-1")
    theirs = store.decide_match(other, "rejected", actor="rev", note="excluded")
    store.decide_match(match_id, "confirmed", actor="rev", note="agrees")
    with pytest.raises(DecisionFinal, match="not one of its decisions"):
        store.correct_match_decision(match_id, "rejected", actor="rev", note="n",
                                     supersedes=int(theirs.decision_id or 0))
    assert len(_decisions(store)) == 2


def test_other_lab_cannot_decide_or_read_history(store: Store, match_id: int) -> None:
    with pytest.raises(NotFound):
        store.decide_match(match_id, "confirmed", actor="rev-b", note="n")
    store.decide_match(match_id, "confirmed", actor="rev", note="agrees")
    with pytest.raises(NotFound):
        store.match_decisions(match_id, actor="rev-b")
    with pytest.raises(NotFound):
        store.correct_match_decision(match_id, "rejected", actor="rev-b", note="n",
                                     supersedes=1)


def test_expunging_a_specimen_deletes_its_decisions(store: Store, match_id: int) -> None:
    first = store.decide_match(match_id, "confirmed", actor="rev", note="CO-1 agrees")
    store.correct_match_decision(match_id, "rejected", actor="rev", note="CO-1 excluded",
                                 supersedes=int(first.decision_id or 0))
    store.expunge("CO-1", reason="order", actor="admin")
    assert _decisions(store) == [] and _match_rows(store) == []


def test_migration_from_schema_4_keeps_old_decisions(db_url: str) -> None:
    with Store.init(db_url, admin="admin", lab="LAB-A") as s:
        s.add_user("rev", role="reviewer", actor="admin")
        for n in (1, 2, 3):
            s.add_profile(full_profile(30 + n), specimen_id=f"CO-{n}",
                          category="Convicted Offender", legal_basis="conviction", actor="admin")
        s.add_profile(core13_profile(13, 31), specimen_id="FU-1",
                      category="Forensic, Unknown", actor="admin")
        ids = [s.record_candidate_match(
            query=("LAB-A", "FU-1"), candidate=("LAB-A", f"CO-{n}"), mode="direct",
            stringency="moderate", compared_loci=13, mismatches=0, actor="admin",
            purpose="CASE-1") for n in (1, 2, 3)]
        rev_id = s.user("rev").id
        # what schema 4 left behind: decisions written into the match row, one without a note
        with s.db.write() as conn:
            conn.execute(sa.text("DROP TABLE match_decisions"))
            m = S.candidate_matches
            conn.execute(m.update().where(m.c.id == ids[0]).values(
                status="confirmed", reviewer_id=rev_id, decided_at="2025-01-02T03:04:05+00:00",
                note=None))
            conn.execute(m.update().where(m.c.id == ids[1]).values(
                status="rejected", reviewer_id=rev_id, decided_at="2025-02-03T04:05:06+00:00",
                note="allele drop-in at TH01"))
            conn.execute(S.schema_migrations.delete().where(
                S.schema_migrations.c.name == "0005_match_decisions"))
            Store.set_meta(conn, "schema_version", "4")
    assert "0005_match_decisions" in Store.migrate(db_url, actor="admin")
    with Store.open(db_url) as s:
        rows = [(r["match_id"], r["status"], r["reviewer_id"], r["decided_at"], r["note"],
                 r["supersedes_id"]) for r in _decisions(s)]
        assert rows == [
            (ids[0], "confirmed", rev_id, "2025-01-02T03:04:05+00:00", S.NO_NOTE_BEFORE_V5,
             None),
            (ids[1], "rejected", rev_id, "2025-02-03T04:05:06+00:00", "allele drop-in at TH01",
             None)]
        listed = {m.id: m for m in s.list_matches(actor="rev")}
        assert listed[ids[2]].status == "pending" and listed[ids[2]].decision_id is None
        # the migrated decision is final like any other
        with pytest.raises(DecisionFinal):
            s.decide_match(ids[0], "rejected", actor="rev", note="n")
        s.correct_match_decision(ids[0], "rejected", actor="rev", note="re-read",
                                 supersedes=int(listed[ids[0]].decision_id or 0))
        s.decide_match(ids[2], "confirmed", actor="rev", note="agrees")
        assert [d.status for d in s.match_decisions(ids[0], actor="rev")] == \
            ["confirmed", "rejected"]
