"""Issue 11, item 1: hits are seen. ``locard import`` reports the candidate matches its search
on entry created, and ``locard matches list|show|decide|report`` review them from the command
line (in-process, on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures import random_profiles, write_raw_cmf

from locard.cli import main
from locard.genetics import CODIS_CORE_13


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, json.loads(out) if "--json" in args and out.strip() else out, err


@pytest.fixture
def hit(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """Eight offenders, then a partial trace of offender 5 (11 core loci) whose import's
    search on entry records one candidate match."""
    offenders = list(random_profiles(8, prefix="CO"))
    f = tmp_path / "co.xml"
    write_raw_cmf(f, [(s, "Convicted Offender", g) for s, g in offenders], source_lab="LAB-A")
    assert main(["import", str(f), "--db", db, "--legal-basis", "conviction"]) == 0
    trace = {k: v for k, v in offenders[4][1].items() if k in CODIS_CORE_13[:11]}
    ff = tmp_path / "f.xml"
    write_raw_cmf(ff, [("F-1", "Forensic, Unknown", trace)], source_lab="LAB-A")
    capsys.readouterr()
    code, report, err = _run(capsys, "import", str(ff), "--db", db, "--json")
    assert code == 0, err
    return {"report": report, "source": offenders[4][0], "file": ff, "offenders": offenders}


def test_import_json_lists_the_matches_it_created(hit: dict[str, Any]) -> None:
    report = hit["report"]
    assert report["specimens"] == ["F-1"]
    assert report["matches_created"] == 1
    [m] = report["matches"]
    assert (m["query_specimen"], m["candidate_specimen"]) == ("F-1", hit["source"])
    assert m["status"] == "pending" and m["compared_loci"] == 11


def test_import_text_lists_the_matches_it_created(db: str, hit: dict[str, Any], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    trace = {k: v for k, v in hit["offenders"][1][1].items() if k in CODIS_CORE_13}
    ff = tmp_path / "f2.xml"
    write_raw_cmf(ff, [("F-2", "Forensic, Unknown", trace)], source_lab="LAB-A")
    code, out, _ = _run(capsys, "import", str(ff), "--db", db)
    assert code == 0
    assert "Candidate matches created by search on entry: 1" in out
    assert f"LAB-A F-2 -> LAB-A {hit['offenders'][1][0]}" in out
    assert "1 imported, 0 rejected, 1 candidate match(es) created" in out


def test_matches_list_filters(db: str, hit: dict[str, Any],
                              capsys: pytest.CaptureFixture[str]) -> None:
    mid = hit["report"]["matches"][0]["id"]

    def ids(*extra: str) -> list[int]:
        code, out, err = _run(capsys, "matches", "list", "--db", db, "--json", *extra)
        assert code == 0, err
        return [m["id"] for m in out["matches"]]

    today = dt.datetime.now(dt.UTC).date()
    assert ids() == [mid]
    assert ids("--status", "pending") == [mid]
    assert ids("--status", "confirmed") == []
    assert ids("--index", "forensic") == [mid]
    assert ids("--index", "offender") == [mid]
    assert ids("--index", "missing-person") == []
    assert ids("--since", today.isoformat()) == [mid]
    assert ids("--until", today.isoformat()) == [mid]
    assert ids("--since", (today + dt.timedelta(days=1)).isoformat()) == []
    assert ids("--until", (today - dt.timedelta(days=1)).isoformat()) == []
    code, out, _ = _run(capsys, "matches", "list", "--db", db)
    assert code == 0 and "1 candidate match(es)" in out and hit["source"] in out
    code, _, err = _run(capsys, "matches", "list", "--db", db, "--status", "maybe")
    assert code == 1 and "'maybe'" in err and "--status" in err
    code, _, err = _run(capsys, "matches", "list", "--db", db, "--since", "last week")
    assert code == 1 and "'last week'" in err


def test_matches_show_has_the_stored_number(db: str, hit: dict[str, Any],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    m = hit["report"]["matches"][0]
    code, detail, err = _run(capsys, "matches", "show", str(m["id"]), "--db", db, "--json")
    assert code == 0, err
    assert detail["match"]["id"] == m["id"]
    st = detail["statistics"]
    assert st["rmp"] == m["rmp"] and len(st["loci"]) == 11
    by_locus = {row["locus"]: row["status"] for row in detail["loci"]}
    assert all(by_locus[x] == "match" for x in CODIS_CORE_13[:11])
    code, out, _ = _run(capsys, "matches", "show", str(m["id"]), "--db", db)
    assert code == 0
    assert f"RMP over the 11 compared loci: {m['rmp']:.3g}" in out
    assert "not compared" in out  # the loci the trace never typed
    code, _, err = _run(capsys, "matches", "show", "999", "--db", db)
    assert code == 1 and "no candidate match 999" in err


def test_matches_decide_correct_and_report(db: str, hit: dict[str, Any], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    mid = str(hit["report"]["matches"][0]["id"])
    pdf = tmp_path / "m.pdf"
    # a report is made of confirmed matches only
    code, _, err = _run(capsys, "matches", "report", mid, "--db", db, "--out", str(pdf))
    assert code == 1 and "confirmed matches only" in err and "locard matches decide" in err
    # the note is required
    code, _, err = _run(capsys, "matches", "decide", mid, "--db", db, "--status", "confirmed")
    assert code == 2 and "--note" in err
    code, _, err = _run(capsys, "matches", "decide", mid, "--db", db, "--status", "confirmed",
                        "--note", "  ")
    assert code == 1 and "needs a note" in err
    code, first, err = _run(capsys, "matches", "decide", mid, "--db", db, "--status",
                            "rejected", "--note", "one locus misread", "--json")
    assert code == 0, err
    assert first["status"] == "rejected" and first["note"] == "one locus misread"
    # final: a second decision is refused, a correction names the one it supersedes
    code, _, err = _run(capsys, "matches", "decide", mid, "--db", db, "--status", "confirmed",
                        "--note", "again")
    assert code == 1 and "decision" in err
    code, fixed, err = _run(capsys, "matches", "decide", mid, "--db", db, "--status",
                            "confirmed", "--note", "re-read: all 11 loci agree",
                            "--supersedes", str(first["decision_id"]), "--json")
    assert code == 0, err
    assert fixed["status"] == "confirmed" and fixed["decision_id"] != first["decision_id"]
    code, detail, _ = _run(capsys, "matches", "show", mid, "--db", db, "--json")
    assert [d["status"] for d in detail["decisions"]] == ["rejected", "confirmed"]
    assert detail["decisions"][1]["supersedes"] == first["decision_id"]
    code, out, err = _run(capsys, "matches", "report", mid, "--db", db, "--out", str(pdf),
                          "--json")
    assert code == 0, err
    assert out["path"] == str(pdf) and pdf.read_bytes().startswith(b"%PDF")
    assert out["bytes"] == pdf.stat().st_size
    code, listed, _ = _run(capsys, "matches", "list", "--db", db, "--status", "confirmed",
                           "--json")
    assert [m["id"] for m in listed["matches"]] == [int(mid)]


def test_report_does_not_load_the_web_stack() -> None:
    """`locard matches report` builds the PDF without FastAPI (the service package loads its
    app lazily)."""
    import subprocess
    import sys

    code = ("import sys, locard.cli.match_commands, locard.service.reports; "
            "sys.exit(1 if 'fastapi' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
