"""``locard search``, ``db check``, ``db index`` and ``identify`` against the store, in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures import random_profiles, write_raw_cmf

from locard.cli import main
from locard.genetics import CODIS_CORE_13


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LOCARD_USER", "chief")
    monkeypatch.setenv("LOCARD_INDEX_DIR", str(tmp_path / "indices"))
    path = str(tmp_path / "cli.db")
    assert main(["init", "--db", path, "--lab", "LAB-A"]) == 0
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 and "--json" in args else out, err


@pytest.fixture
def loaded(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """Eight offenders, a forensic trace of one of them (11 core loci) and a relative."""
    offenders = list(random_profiles(8, prefix="CO"))
    f = tmp_path / "co.xml"
    write_raw_cmf(f, [(s, "Convicted Offender", g) for s, g in offenders], source_lab="LAB-A")
    assert main(["import", str(f), "--db", db, "--legal-basis", "conviction"]) == 0
    trace = {k: v for k, v in offenders[4][1].items() if k in CODIS_CORE_13[:11]}
    ff = tmp_path / "f.xml"
    write_raw_cmf(ff, [("F-1", "Forensic, Unknown", trace)], source_lab="LAB-A")
    assert main(["import", str(ff), "--db", db]) == 0
    rel = tmp_path / "rel.xml"
    write_raw_cmf(rel, [("REL-1", "Biological Mother", offenders[0][1])], source_lab="LAB-A")
    assert main(["import", str(rel), "--db", db, "--legal-basis", "consent",
                 "--consent", "C-1"]) == 0
    capsys.readouterr()
    return {"offenders": dict(offenders), "trace": trace, "source": offenders[4][0]}


def test_search_specimen_and_profile_file(db: str, loaded: dict[str, Any], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "search", "F-1", "--db", db, "--purpose", "CASE-1",
                          "--stringency", "high", "--json")
    assert code == 0, err
    assert out["query"] == {"lab": "LAB-A", "specimen_id": "F-1", "index": "forensic"}
    [cand] = out["candidates"]
    assert (cand["specimen_id"], cand["lab"], cand["index"], cand["stringency"]) == (
        loaded["source"], "LAB-A", "offender", "high")
    assert (cand["compared_loci"], cand["mismatches"]) == (11, 0)
    assert cand["rmp"] < 1e-9 and cand["loci"]
    prof = tmp_path / "q.json"
    prof.write_text(json.dumps({"specimen_id": "Q-1", "loci": loaded["offenders"]["CO0000002"]}))
    assert "CO0000002" in loaded["offenders"]
    code, out, err = _run(capsys, "search", str(prof), "--db", db, "--purpose", "CASE-2",
                          "--index", "offender", "--json")
    assert code == 0, err
    assert out["query"]["index"] == "forensic" and out["targets"] == ["offender"]
    assert [c["specimen_id"] for c in out["candidates"]] == ["CO0000002"]
    code, text, err = _run(capsys, "search", "F-1", "--db", db, "--purpose", "CASE-1")
    assert code == 0 and loaded["source"] in text


def test_search_refusals_are_errors(db: str, loaded: dict[str, Any],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "search", "REL-1", "--db", db, "--purpose", "CASE-3")
    assert code == 1 and "locard: error: policy forbids" in err
    code, _, err = _run(capsys, "search", "F-1", "--db", db, "--purpose", "CASE-3",
                        "--index", "relative")
    assert code == 1 and "policy forbids" in err
    code, _, err = _run(capsys, "search", "F-1", "--db", db)
    assert code != 0 and "--purpose" in err
    code, log, _ = _run(capsys, "audit", "log", "--db", db, "--action", "search_refused",
                        "--json")
    assert code == 0 and len(log) == 2


def test_db_check_and_index(db: str, loaded: dict[str, Any], tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    dup = tmp_path / "dup.xml"
    write_raw_cmf(dup, [("F-2", "Forensic, Unknown", loaded["trace"])], source_lab="LAB-A")
    assert main(["import", str(dup), "--db", db]) == 0
    capsys.readouterr()
    code, out, err = _run(capsys, "db", "index", "--db", db, "--json")
    assert code == 0, err
    assert out["counts"] == {"offender": 8, "forensic": 2, "relative": 1}
    code, out, err = _run(capsys, "db", "check", "--db", db, "--pairs-matrix",
                          "--min-loci", "11", "--json")
    assert code == 0, err
    assert "relative" not in out["indices"] and "offender" in out["indices"]
    [pair] = out["pairs"]
    assert {pair["specimen_a"], pair["specimen_b"]} == {"F-1", "F-2"}
    assert pair["kind"] == "duplicate"
    assert sum(map(sum, out["pairs_matrix"]["forensic"])) == 1
    code, _, err = _run(capsys, "db", "check", "--db", db, "--index", "relative")
    assert code == 1 and "never compares relatives" in err
    code, text, _ = _run(capsys, "db", "index", "--db", db, "--rebuild")
    assert code == 0 and "rebuilt" in text


def test_identify_from_pedigree_file(db: str, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    people = dict(random_profiles(12, prefix="P", seed=7))
    father, mother = people.pop("P0000001"), people.pop("P0000002")
    child = {k: [father[k][0], mother[k][-1]] for k in father if k != "AMEL"}
    remains = [(s, "Unidentified Person", g) for s, g in people.items()]
    remains.append(("UHR-CHILD", "Unidentified Person", child))
    f = tmp_path / "uhr.xml"
    write_raw_cmf(f, remains, source_lab="LAB-A")
    off = tmp_path / "off.xml"
    write_raw_cmf(off, [("CO-CHILD", "Convicted Offender", child)], source_lab="LAB-A")
    assert main(["import", str(f), "--db", db]) == 0
    assert main(["import", str(off), "--db", db, "--legal-basis", "conviction"]) == 0
    ped = tmp_path / "case.json"
    ped.write_text(json.dumps({"missing": "MP", "individuals": [
        {"id": "FA", "sex": "M", "profile": {"loci": father}},
        {"id": "MO", "sex": "F", "profile": {"loci": mother}},
        {"id": "MP", "father": "FA", "mother": "MO", "sex": "M"}]}))
    capsys.readouterr()
    code, out, err = _run(capsys, "identify", "--case", str(ped), "--db", db, "--purpose",
                          "MP-1", "--top", "3", "--mutation-model", "none", "--json")
    assert code == 0, err
    first = out["candidates"][0]
    assert (first["specimen_id"], first["index"]) == ("UHR-CHILD", "unidentified")
    assert first["lr"] > 1e6 and len(first["per_locus"]) == 20
    assert all(c["index"] in ("missing_person", "unidentified") for c in out["candidates"])
    assert out["provenance"]["frequency_table"]["name"] == "NIST1036:ALL"
    code, text, err = _run(capsys, "identify", "--case", str(ped), "--db", db, "--purpose",
                           "MP-1", "--top", "2")
    assert code == 0, err
    assert "UHR-CHILD" in text
    code, _, err = _run(capsys, "identify", "--case", str(ped), "--db", db, "--purpose",
                        "MP-1", "--index", "offender")
    assert code == 1 and "policy forbids" in err
