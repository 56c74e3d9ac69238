"""``locard expunge`` leaves the genotype in no file, and ``locard db index`` saves what it
applies (its second run has nothing left to apply)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.fixtures import random_profiles, write_raw_cmf

from locard.cli import main

SECRET_ID = "XQZEBRA4711"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LOCARD_USER", "chief")
    path = tmp_path / "data" / "cli.db"
    path.parent.mkdir()
    assert main(["init", "--db", str(path), "--lab", "LAB-A"]) == 0
    return path


def _index(capsys: pytest.CaptureFixture[str], db: Path) -> dict[str, object]:
    capsys.readouterr()
    assert main(["db", "index", "--db", str(db), "--json"]) == 0
    out: dict[str, object] = json.loads(capsys.readouterr().out)
    return out


def test_expunge_then_db_index_twice(db: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    people = list(random_profiles(4, prefix="CO", seed=11))
    # the import file lies outside the database's folder and names no specimen
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    write_raw_cmf(incoming / "batch1.xml",
                  [(sid, "Convicted Offender", g) for sid, g in people[:3]], source_lab="LAB-A")
    write_raw_cmf(incoming / "batch2.xml", [(SECRET_ID, "Arrestee", people[3][1])],
              source_lab="LAB-A")
    assert main(["import", str(incoming / "batch1.xml"), "--db", str(db),
                 "--legal-basis", "conviction"]) == 0
    assert main(["import", str(incoming / "batch2.xml"), "--db", str(db),
                 "--legal-basis", "arrest"]) == 0
    capsys.readouterr()
    assert main(["specimen", "show", SECRET_ID, "--db", str(db), "--json"]) == 0
    first = _index(capsys, db)  # (the imports' search on entry wrote the snapshot already)
    assert first["counts"] == {"offender": 3, "arrestee": 1}
    snapshot = Path(str(first["directory"])) / "arrestee.locard-index"
    keys = np.load(snapshot / "single_keys.npy")
    assert keys.shape == (1,)
    row = np.load(snapshot / "single_codes.npy")[:, 0, :].tobytes()
    folder = db.parent
    assert any(row in p.read_bytes() for p in folder.rglob("*") if p.is_file())

    assert main(["expunge", SECRET_ID, "--db", str(db), "--reason", "court order", "--yes"]) == 0
    held = [str(p) for p in folder.rglob("*") if p.is_file()
            and (row in p.read_bytes() or SECRET_ID.encode() in p.read_bytes())]
    assert held == []
    again = _index(capsys, db)
    assert (again["rebuilt"], again["events_applied"]) == (False, 1)
    third = _index(capsys, db)
    assert (third["rebuilt"], third["events_applied"]) == (False, 0)
    assert third["counts"] == {"offender": 3}
    capsys.readouterr()
    assert main(["db", "index", "--db", str(db)]) == 0
    assert "0 event(s) applied" in capsys.readouterr().out
