"""CE runs into the store (SQLite and PostgreSQL): the verdict, the import with provenance in
one transaction, the provenance in the specimen view, expunged with the specimen; migration
0010."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from locard.ce import LadderResult, SampleAnalysis, analyze_run, locate_ladder, read_abif
from locard.errors import InputError, NotFound
from locard.store import SCHEMA_VERSION, Store
from locard.store import schema as S
from locard.store.ce_intake import ce_verdict, import_analyses
from locard.store.policy import default_policy

REPO = Path(__file__).resolve().parents[2]
IF = REPO.parent / "shared" / "data" / "ce" / "osiris_test_analysis" / "Identifiler" / "STRbaseIF"
pytestmark = pytest.mark.skipif(not IF.is_dir(), reason=f"reference data not found at {IF}")
VICTIMS = ("MIX05case2_victim.fsa", "MIX05case3_victim.fsa", "MIX05case4_victim.fsa")
FORENSIC = "Forensic, Unknown"


@cache
def _ladder() -> LadderResult:
    return locate_ladder(read_abif(IF / "Identifiler LADDER.fsa"), kit="Identifiler")


@cache
def _analysis(name: str) -> SampleAnalysis:
    return analyze_run(IF / name, ladder=_ladder(), positive_control="9947A")


def _provenance_rows(store: Store) -> int:
    with store.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count())
                                .select_from(S.specimen_provenance)).scalar_one())


def test_verdict_under_the_default_policy() -> None:
    policy = default_policy()
    victim = ce_verdict(_analysis("MIX05case3_victim.fsa"), policy)
    assert not victim.control and victim.allows("forensic") and not victim.allows("offender")
    assert "D1S1656" in victim.why_not("offender")  # 15 Identifiler loci, not the CODIS 20
    for control in ("Positive Control.fsa", "Negative Control.fsa"):
        v = ce_verdict(_analysis(control), policy)
        assert v.control and v.accepted == () and "control" in v.why_not("forensic")


def test_import_with_provenance_shown_and_expunged(store: Store) -> None:
    analyses = [_analysis(n) for n in (*VICTIMS, "Positive Control.fsa",
                                       "Negative Control.fsa")]
    report = import_analyses(store, analyses, category=FORENSIC, actor="admin")
    assert sorted(report.imported.values()) == ["MIX05_A", "MIX05_F", "MIX05_K"]
    assert len(report.keys) == 3 and report.index == "forensic"
    assert set(report.skipped) == {str(IF / "Positive Control.fsa"),
                                   str(IF / "Negative Control.fsa")}
    view = store.get_specimen("MIX05_K", actor="admin")
    assert view.provenance is not None
    sha = hashlib.sha256((IF / "MIX05case3_victim.fsa").read_bytes()).hexdigest()
    assert view.provenance["file_sha256"] == sha
    assert view.provenance["sample"] == "MIX05_K"
    assert view.to_dict()["provenance"]["kit"] == "Identifiler"
    assert view.profile is not None
    assert {k: sorted(str(a) for a in view.profile.alleles(k)) for k in view.profile.typed_loci} \
        == {k: sorted(v) for k, v in _analysis("MIX05case3_victim.fsa").genotype().items()}
    assert _provenance_rows(store) == 3
    store.expunge("MIX05_K", reason="test", actor="admin")
    assert _provenance_rows(store) == 2


def test_a_refusing_verdict_imports_nothing(store: Store) -> None:
    report = import_analyses(store, [_analysis(n) for n in VICTIMS],
                             category="Convicted Offender", actor="admin")
    assert report.imported == {} and report.keys == ()
    assert all("D1S1656" in why for why in report.skipped.values())
    assert store.counts().get("offender", 0) == 0 and _provenance_rows(store) == 0


def test_one_transaction_nothing_half_written(store: Store) -> None:
    """The third sample's specimen ID is already stored: the whole import fails and neither
    of the first two is written."""
    third = _analysis(VICTIMS[2])
    assert third.profile is not None
    store.add_profile(third.profile, category=FORENSIC, actor="admin")
    before = sum(store.counts().values())
    with pytest.raises(InputError, match=third.sample):
        import_analyses(store, [_analysis(n) for n in VICTIMS], category=FORENSIC,
                        actor="admin")
    assert sum(store.counts().values()) == before
    assert _provenance_rows(store) == 0
    with pytest.raises(NotFound):
        store.get_specimen("MIX05_A", actor="admin")


def test_a_failure_after_writing_rolls_everything_back(store: Store,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure inside the transaction after the specimens and their provenance are written
    (the second audit entry) leaves no specimen, genotype or provenance row behind."""
    real = store.write_audit
    calls: list[int] = []

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "write_audit", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        import_analyses(store, [_analysis(n) for n in VICTIMS], category=FORENSIC,
                        actor="admin")
    monkeypatch.undo()
    assert len(calls) == 2
    assert sum(store.counts().values()) == 0 and _provenance_rows(store) == 0


def test_add_profile_keeps_provenance(store: Store) -> None:
    a = _analysis("MIX05case2_victim.fsa")
    assert a.profile is not None
    store.add_profile(a.profile, category=FORENSIC, actor="admin",
                      provenance={"file_sha256": a.sha256, "note": "re-typed"})
    assert store.get_specimen("MIX05_A", actor="admin").provenance == {
        "file_sha256": a.sha256, "note": "re-typed"}
    b = _analysis("MIX05case4_victim.fsa")
    assert b.profile is not None
    store.add_profile(b.profile, category=FORENSIC, actor="admin")
    assert store.get_specimen("MIX05_F", actor="admin").provenance is None


def test_migration_0010_adds_specimen_provenance(db_url: str) -> None:
    with Store.init(db_url, admin="admin", lab="LAB-A"):
        pass
    old = Store.open(db_url)
    with old.db.write() as conn:
        conn.execute(sa.text("DROP TABLE specimen_provenance"))
        conn.execute(S.schema_migrations.delete().where(S.schema_migrations.c.version > 9))
        Store.set_meta(conn, "schema_version", "9")
    old.close()
    assert Store.migrate(db_url, actor="admin") == ["0010_specimen_provenance"]
    with Store.open(db_url) as s:
        assert s.schema_version() == SCHEMA_VERSION
        assert _provenance_rows(s) == 0
