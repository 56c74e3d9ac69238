"""Issue 11, items 2-4 from the command line: the lab code at `locard init`, mixed files in one
pass and the export -> import round trip, consent side files, records received from another
lab, and the offender duplicate check with its defaults."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures import random_profiles, write_raw_cmf

from locard.cli import main
from locard.genetics import CODIS_CORE_13


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _mixed(path: Path, source_lab: str = "LAB-A") -> Path:
    people = list(random_profiles(6, seed=5, prefix="P"))
    entries: list[tuple[str, str, Any]] = [
        ("CO-1", "Convicted Offender", people[0][1]), ("CO-2", "Convicted Offender", people[1][1]),
        ("AR-1", "Arrestee", people[2][1]),
        ("F-1", "Forensic, Unknown", {k: v for k, v in people[3][1].items()
                                      if k in CODIS_CORE_13}),
        ("MP-1", "Missing Person", people[4][1])]
    write_raw_cmf(path, entries, source_lab=source_lab)
    return path


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_init_asks_for_and_echoes_the_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", _Terminal("NY0030000\n"))
    code, out, err = _run(capsys, "init", "--db", str(tmp_path / "a.db"), "--user", "root")
    assert code == 0, err
    assert "Lab code" in out and "Lab: NY0030000" in out
    code, _, err = _run(capsys, "specimen", "show", "X", "--db", str(tmp_path / "a.db"),
                        "--user", "root")
    assert code == 1 and "of lab 'NY0030000'" in err


def test_init_json_names_the_lab(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "init", "--db", str(tmp_path / "a.db"), "--user", "root",
                        "--lab", "LAB-Q", "--json")
    assert code == 0 and json.loads(out)["lab"] == "LAB-Q"
    code, out, _ = _run(capsys, "init", "--db", str(tmp_path / "b.db"), "--user", "root",
                        "--json")  # no terminal: the default, said so
    assert code == 0 and json.loads(out)["lab"] == "LOCAL"


def test_mixed_file_and_round_trip(db: str, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "import", str(_mixed(tmp_path / "m.xml")), "--db", db,
                          "--json")
    assert code == 0, err
    assert json.loads(out)["accepted"] == {"offender": 2, "arrestee": 1, "forensic": 1,
                                           "missing_person": 1}
    exported = tmp_path / "export.xml"
    assert _run(capsys, "export", "--db", db, "--out", str(exported))[0] == 0
    fresh = str(tmp_path / "fresh.db")
    assert _run(capsys, "init", "--db", fresh, "--lab", "LAB-A")[0] == 0
    code, out, err = _run(capsys, "import", str(exported), "--db", fresh, "--json")
    assert code == 0, err
    assert json.loads(out)["imported"] == 5
    code, out, _ = _run(capsys, "specimen", "show", "AR-1", "--db", fresh, "--json")
    assert json.loads(out)["legal_basis"] == "arrest"


def test_consent_file(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ((_, geno),) = random_profiles(1, seed=8, prefix="R")
    f = tmp_path / "rel.xml"
    write_raw_cmf(f, [("RM-1", "Biological Mother", geno)], source_lab="LAB-A")
    consents = tmp_path / "consents.csv"
    consents.write_text("specimen_id,consent\nRM-1,C-77\n", encoding="utf-8")
    code, _, err = _run(capsys, "import", str(f), "--db", db)
    assert code == 1 and "--consent-file" in err
    code, _, err = _run(capsys, "import", str(f), "--db", db, "--consent-file", str(consents))
    assert code == 0, err
    code, out, _ = _run(capsys, "specimen", "show", "RM-1", "--db", db, "--json")
    assert json.loads(out)["consent"] == "C-77"


def test_received_from_another_lab(db: str, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    f = _mixed(tmp_path / "from-b.xml", source_lab="LAB-B")
    code, _, err = _run(capsys, "import", str(f), "--db", db)
    assert code == 1 and f"run: locard import {f} --received-from LAB-B" in err
    code, _, err = _run(capsys, "import", str(f), "--db", db, "--received-from", "LAB-B")
    assert code == 0, err
    code, out, _ = _run(capsys, "specimen", "show", "CO-1", "--db", db, "--json")
    view = json.loads(out)
    assert view["lab"] == "LAB-A" and view["source_lab"] == "LAB-B" and view["profile"]
    code, out, _ = _run(capsys, "audit", "log", "--db", db, "--action", "import", "--json")
    assert json.loads(out)[-1]["details"]["received_from"] == "LAB-B"


def test_import_has_no_lab_option(db: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "import", str(_mixed(tmp_path / "m.xml")), "--db", db,
                        "--lab", "LAB-B")
    assert code != 0 and "--lab" in err


def test_db_check_finds_offender_aliases_by_default(db: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    people = list(random_profiles(60, seed=13, prefix="CO"))
    alias = dict(people[7][1])
    other = next(x for _, p in people[10:] for x in p["D18S51"] if x not in alias["D18S51"])
    alias["D18S51"] = sorted({alias["D18S51"][0], other}, key=float)
    f = tmp_path / "off.xml"
    write_raw_cmf(f, [(s, "Convicted Offender", g) for s, g in people]
              + [("ALIAS-7", "Convicted Offender", alias)], source_lab="LAB-A")
    assert _run(capsys, "import", str(f), "--db", db)[0] == 0
    code, out, err = _run(capsys, "db", "check", "--db", db, "--json")
    assert code == 0, err
    check = json.loads(out)
    assert "offender" in check["indices"] and check["min_matching_loci"] == 18
    pairs = {frozenset((p["specimen_a"], p["specimen_b"])) for p in check["pairs"]}
    assert frozenset(("CO0000007", "ALIAS-7")) in pairs


def test_relatives_round_trip_with_their_consents(db: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A CSV export carries each relative's consent reference, so export -> import of
    relatives is one command, no --consent-file."""
    people = list(random_profiles(3, seed=9, prefix="R"))
    f = tmp_path / "family.xml"
    write_raw_cmf(f, [("RM-1", "Biological Mother", people[0][1]),
                  ("RF-1", "Biological Father", people[1][1]),
                  ("CO-9", "Convicted Offender", people[2][1])], source_lab="LAB-A")
    consents = tmp_path / "consents.csv"
    consents.write_text("specimen_id,consent\nRM-1,C-77\nRF-1,C-78\n", encoding="utf-8")
    code, _, err = _run(capsys, "import", str(f), "--db", db, "--consent-file", str(consents))
    assert code == 0, err
    exported = tmp_path / "export.csv"
    assert _run(capsys, "export", "--db", db, "--format", "csv", "--out", str(exported))[0] == 0
    import csv

    with exported.open(encoding="utf-8") as fh:
        column = {r["specimenId"]: r["consent"] for r in csv.DictReader(fh)}
    assert column == {"RM-1": "C-77", "RF-1": "C-78", "CO-9": ""}
    fresh = str(tmp_path / "fresh.db")
    assert _run(capsys, "init", "--db", fresh, "--lab", "LAB-A")[0] == 0
    code, out, err = _run(capsys, "import", str(exported), "--db", fresh, "--json")
    assert code == 0, err
    assert json.loads(out)["accepted"] == {"relative": 2, "offender": 1}
    for sid, ref in (("RM-1", "C-77"), ("RF-1", "C-78")):
        code, out, _ = _run(capsys, "specimen", "show", sid, "--db", fresh, "--json")
        view = json.loads(out)
        assert view["consent"] == ref and view["legal_basis"] == "consent"
