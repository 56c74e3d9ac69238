"""Import accepts only what the CMF export can write (one rule, :func:`cmf_limits`), and the
export of what import accepted never fails and never leaves anything out silently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures import random_profiles

from locard.errors import ImportFailed
from locard.formats.cmf import read_cmf
from locard.store import Store

LONG_ID = "CO-" + "7" * 25  # 28 characters; CMF 3.2 allows 24


def _json_file(path: Path, entries: list[tuple[str, dict[str, Any]]]) -> Path:
    path.write_text(json.dumps([{"specimen_id": sid, "loci": loci} for sid, loci in entries]))
    return path


def _profiles(n: int, seed: int = 5) -> list[tuple[str, dict[str, Any]]]:
    return [(sid, dict(loci)) for sid, loci in random_profiles(n, seed=seed, prefix="CO-")]


def test_a_28_character_specimen_id_is_refused_at_import(store: Store, tmp_path: Path) -> None:
    (ok, loci), (_, other) = _profiles(2)
    f = _json_file(tmp_path / "batch.json", [(ok, loci), (LONG_ID, other)])
    with pytest.raises(ImportFailed) as info:
        store.import_file(f, category="Convicted Offender", legal_basis="conviction",
                          actor="admin")
    (problem,) = info.value.problems
    assert "batch.json" in problem and "record 2" in problem and LONG_ID in problem
    assert "28 characters" in problem and "24" in problem and "[rule cmf-export]" in problem
    report = store.import_file(f, category="Convicted Offender", legal_basis="conviction",
                               actor="admin", skip_invalid=True)
    assert report.imported == 1
    (prob,) = report.problems
    assert (prob.rule, prob.specimen, prob.value, prob.record) == (
        "cmf-export", LONG_ID, LONG_ID, 2)


def test_a_locus_without_a_codis_name_is_stored_and_the_export_says_it_left_it_out(
        store: Store, tmp_path: Path) -> None:
    (sid, loci), (sid2, loci2) = _profiles(2, seed=6)
    loci = {**loci, "F13A01": ["5", "6"]}
    f = _json_file(tmp_path / "f13.json", [(sid, loci), (sid2, loci2)])
    assert store.import_file(f, category="Convicted Offender", legal_basis="conviction",
                             actor="admin").imported == 2
    view = store.get_specimen(sid, actor="admin")
    assert view.profile is not None and "F13A01" in view.profile.loci  # kept for statistics
    out = tmp_path / "out.xml"
    report = store.export(out, format="cmf", actor="admin", purpose="NDIS upload")
    assert report.count == 2 and report.skipped == []
    assert [(x.specimen, x.what, x.value) for x in report.left_out] == [
        (sid, "locus", "F13A01")]
    assert "F13A01" in str(report.left_out[0]) and sid in str(report.left_out[0])
    back = {r.specimen_id: r.profile for r in read_cmf(out).records}
    assert set(back) == {sid, sid2} and "F13A01" not in back[sid].loci
    assert len(back[sid].loci) == len(loci) - 1


def test_export_of_an_old_database_with_a_long_id_does_not_fail(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record that an older Locard let in (imported here with the rule switched off) no
    longer blocks the export: it is named as not written, and every other record is written."""
    import locard.store.imports as store_module

    (ok, loci), (_, other) = _profiles(2, seed=7)
    f = _json_file(tmp_path / "old.json", [(ok, loci), (LONG_ID, other)])
    with monkeypatch.context() as m:
        m.setattr(store_module, "cmf_limits", lambda record: [])
        store.import_file(f, category="Convicted Offender", legal_basis="conviction",
                          actor="admin")
    out = tmp_path / "out.xml"
    report = store.export(out, format="cmf", actor="admin", purpose="NDIS upload")
    assert report.count == 1 and report.left_out == []
    (skipped,) = report.skipped
    assert skipped.specimen == LONG_ID and skipped.what == "specimen ID"
    assert "24" in str(skipped) and LONG_ID in str(skipped)
    assert [r.specimen_id for r in read_cmf(out).records] == [ok]
