"""CLI component tests: synth -> index snapshot -> search and db check, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from locard.cli.app import main


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_synth_search_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                table: object) -> None:
    db = tmp_path / "db.locard-index"
    profiles = tmp_path / "db.json"
    assert _run(capsys, "synth", "300", "--seed", "4", "--families", "2", "--traces", "2",
                "--out", str(db))[0] == 0
    assert _run(capsys, "synth", "300", "--seed", "4", "--families", "2", "--traces", "2",
                "--out", str(profiles))[0] == 0
    assert _run(capsys, "synth", "10", "--seed", "4", "--out", str(tmp_path / "x.csv"))[0] == 0
    assert (tmp_path / "x.csv").read_text().startswith(
        "specimenId,specimenCategory,sourceLab,CSF1PO_1,CSF1PO_2")
    items = json.loads(profiles.read_text())
    assert len(items) == 300 + 8 + 2
    code, out, err = _run(capsys, "search", str(profiles), "--specimen", "SYN00000007",
                          "--index-file", str(db), "--purpose", "CASE-7", "--stringency",
                          "high", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["purpose"] == "CASE-7"
    first = result["candidates"][0]
    assert first["specimen_id"] == "SYN00000007" and first["stringency"] == "high"
    assert first["compared_loci"] == 20 and first["mismatches"] == 0
    assert first["rmp"] is not None and first["rmp"] < 1e-15
    code, out, err = _run(capsys, "db", "check", "--index-file", str(db), "--pairs-matrix",
                          "--json")
    assert code == 0, err
    check = json.loads(out)
    n = check["profiles"]
    assert sum(map(sum, check["pairs_matrix"])) == n * (n - 1) // 2
    code, _, err = _run(capsys, "search", str(profiles), "--specimen", "SYN00000007",
                        "--index-file", str(tmp_path / "missing"), "--purpose", "X")
    assert code != 0 and "locard: error:" in err


def test_synth_writes_cmf_and_imports_into_a_store(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from locard.formats import read_profiles
    from locard.store import Store

    cmf = tmp_path / "synthetic.xml"
    code, _, err = _run(capsys, "synth", "40", "--seed", "9", "--traces", "2", "--out", str(cmf))
    assert code == 0, err
    result = read_profiles(cmf)  # CMF through the real reader: every record valid
    assert result.problems == [] and len(result.records) == 42
    assert {r.specimen_category for r in result.records} == {"Convicted Offender",
                                                             "Forensic Partial"}
    db = tmp_path / "s.db"
    assert _run(capsys, "init", "--db", str(db), "--user", "admin", "--lab", "SYNTH")[0] == 0
    code, out, err = _run(capsys, "synth", "200", "--seed", "9", "--db", str(db),
                          "--user", "admin", "--json")
    assert code == 0, err
    assert json.loads(out)["imported"] == {"Convicted Offender": 200}
    with Store.open(db) as store:
        assert store.counts() == {"offender": 200}
    # one of --out and --db, never both
    assert _run(capsys, "synth", "5", "--out", str(cmf), "--db", str(db))[0] == 1
