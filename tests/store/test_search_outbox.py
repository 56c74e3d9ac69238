"""Search on entry is durable: the pending search is written in the import's transaction
(``search_outbox``) and resumed after a crash, its hits recorded exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.fixtures import write_raw_cmf

from locard.errors import ImportFailed
from locard.store import Store
from locard.store import schema as S
from locard.store.searching import EntrySearch, enable_search_on_entry, resume_pending_searches

from .conftest import core13_profile, full_profile

pytestmark = pytest.mark.usefixtures("index_dir")


class Crash(RuntimeError):
    """The process dies after the import committed, before its hits were recorded."""


def _offenders(store: Store) -> None:
    for i in range(1, 6):
        store.add_profile(full_profile(i), specimen_id=f"CO-{i}", category="Convicted Offender",
                          legal_basis="conviction", actor="admin")


def _traces(path: Path, seeds: dict[str, int]) -> Path:
    entries = []
    for sid, seed in seeds.items():
        geno = {k: [str(a) for a in v.alleles]
                for k, v in core13_profile(11, seed).loci.items()}
        entries.append((sid, "Forensic, Unknown", geno))
    write_raw_cmf(path, entries, source_lab="LAB-A")
    return path


def _pending(store: Store) -> int:
    with store.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(S.search_outbox))
                   .scalar_one())


def _pairs(store: Store) -> list[tuple[str, str]]:
    return sorted((m.query_specimen, m.candidate_specimen)
                  for m in store.list_matches(actor="admin"))


def _crash_on_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    def find(self: EntrySearch, *args: object, **kwargs: object) -> None:
        raise Crash("killed after the import committed")

    monkeypatch.setattr(EntrySearch, "find", find)


def test_crash_after_import_loses_no_hit(db_url: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.init(db_url, admin="admin", lab="LAB-A")
    _offenders(store)
    enable_search_on_entry(store, actor="admin", purpose="ENTRY")
    f = _traces(tmp_path / "t.xml", {"F-1": 2, "F-2": 4})
    with monkeypatch.context() as m:
        _crash_on_entry(m)
        with pytest.raises(Crash):
            store.import_file(f, actor="admin", purpose="IMPORT-1")
    store.close()
    assert _pairs_after_reopen(db_url) == []  # nothing recorded yet, the outbox holds it
    # a retry of the import is refused (the import did commit), so only the outbox can help
    again = Store.open(db_url)
    try:
        assert _pending(again) == 1
        with pytest.raises(ImportFailed):
            again.import_file(f, actor="admin", purpose="IMPORT-1")
        hook = enable_search_on_entry(again, actor="admin", purpose="OTHER")  # resumes
        assert hook is not None
        assert _pairs(again) == [("F-1", "CO-2"), ("F-2", "CO-4")]
        assert _pending(again) == 0
        # the resumed search ran under the import's user and purpose, audited
        resumed = [e for e in again.audit_entries(actor="admin", action="search")
                   if e.details.get("on_entry")]
        assert resumed and {e.purpose for e in resumed} == {"ENTRY"}
        # resuming again records nothing twice
        assert resume_pending_searches(again).recorded == ()
        assert _pairs(again) == [("F-1", "CO-2"), ("F-2", "CO-4")]
    finally:
        again.close()


def _pairs_after_reopen(db_url: str) -> list[tuple[str, str]]:
    with Store.open(db_url) as s:
        return _pairs(s)


def test_crash_while_recording_resumes_without_duplicates(sqlite_store: Store, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """A crash after the first of two hits was recorded: the resume records the second only."""
    store = sqlite_store
    _offenders(store)
    enable_search_on_entry(store, actor="admin", purpose="ENTRY")
    calls = {"n": 0}
    real = Store.record_candidate_match

    def record_then_crash(self: Store, **kwargs: object) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Crash("killed while recording")
        return real(self, **kwargs)  # type: ignore[arg-type]

    f = _traces(tmp_path / "t.xml", {"F-1": 2, "F-2": 4})
    with monkeypatch.context() as m:
        m.setattr(Store, "record_candidate_match", record_then_crash)
        with pytest.raises(Crash):
            store.import_file(f, actor="admin", purpose="IMPORT-1")
    assert len(_pairs(store)) == 1 and _pending(store) == 1
    report = resume_pending_searches(store)
    assert report.batches == 1 and len(report.recorded) == 1
    assert _pairs(store) == [("F-1", "CO-2"), ("F-2", "CO-4")]
    assert _pending(store) == 0


def test_resume_skips_expunged_keys(sqlite_store: Store, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    store = sqlite_store
    _offenders(store)
    enable_search_on_entry(store, actor="admin", purpose="ENTRY")
    f = _traces(tmp_path / "t.xml", {"F-1": 2, "F-2": 4})
    with monkeypatch.context() as m:
        _crash_on_entry(m)
        with pytest.raises(Crash):
            store.import_file(f, actor="admin", purpose="IMPORT-1")
    store.expunge("F-1", reason="sample destroyed", actor="admin")
    report = resume_pending_searches(store)
    assert report.batches == 1 and len(report.recorded) == 1
    assert _pairs(store) == [("F-2", "CO-4")]
    assert _pending(store) == 0


def test_a_completed_search_on_entry_leaves_no_pending_row(sqlite_store: Store,
                                                           tmp_path: Path) -> None:
    store = sqlite_store
    _offenders(store)
    hook = enable_search_on_entry(store, actor="admin", purpose="ENTRY")
    assert hook is not None
    store.import_file(_traces(tmp_path / "t.xml", {"F-1": 2}), actor="admin", purpose="I")
    assert _pending(store) == 0 and len(hook.recorded) == 1
    # without search on entry no row is written at all
    store.on_import.remove(hook)
    store.import_file(_traces(tmp_path / "u.xml", {"F-3": 3}), actor="admin", purpose="I")
    assert _pending(store) == 0
