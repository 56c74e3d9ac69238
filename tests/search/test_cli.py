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
    assert (tmp_path / "x.csv").read_text().startswith("specimenId,CSF1PO_1,CSF1PO_2")
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
    assert first["rarity"] is not None and first["rarity"] < 1e-15
    code, out, err = _run(capsys, "db", "check", "--index-file", str(db), "--pairs-matrix",
                          "--json")
    assert code == 0, err
    check = json.loads(out)
    n = check["profiles"]
    assert sum(map(sum, check["pairs_matrix"])) == n * (n - 1) // 2
    code, _, err = _run(capsys, "search", str(profiles), "--specimen", "SYN00000007",
                        "--index-file", str(tmp_path / "missing"), "--purpose", "X")
    assert code != 0 and "locard: error:" in err
