"""Issue 11, item 5: progress and noise. A reject file (``--rejects``), a short summary instead
of every skipped record, a non-zero exit when nothing was imported, JSON errors under
``--json``, and progress bars only on a terminal."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from tests.fixtures import random_profiles, write_raw_cmf

from locard.cli import main
from locard.cli.common import REJECT_COLUMNS, progress
from locard.store import Store


def _cmf(path: Path, n: int, prefix: str, *, seed: int = 1) -> Path:
    write_raw_cmf(path, [(s, "Convicted Offender", g)
                     for s, g in random_profiles(n, prefix=prefix, seed=seed)],
              source_lab="LAB-A")
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == REJECT_COLUMNS
        return list(reader)


@pytest.fixture
def eight(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Eight offenders already in the database (importing them again: eight duplicates)."""
    f = _cmf(tmp_path / "co.xml", 8, "CO")
    assert main(["import", str(f), "--db", db, "--legal-basis", "conviction"]) == 0
    capsys.readouterr()
    return f


def test_skip_invalid_prints_a_summary_not_every_record(
        db: str, eight: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the eight again plus one new: eight duplicates rejected, one imported
    f = tmp_path / "mixed.xml"
    write_raw_cmf(f, [*((s, "Convicted Offender", g) for s, g in random_profiles(8, prefix="CO")),
                  *((s, "Convicted Offender", g)
                    for s, g in random_profiles(1, prefix="NEW", seed=5))],
              source_lab="LAB-A")
    code = main(["import", str(f), "--db", db, "--legal-basis", "conviction",
                 "--skip-invalid"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("rejected: ") == 5  # the first five, not all eight
    assert "... and 3 more (write them all with --rejects FILE)" in out
    assert "1 imported, 8 rejected" in out


def test_rejects_file_lists_every_rejected_record(
        db: str, eight: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rejects = tmp_path / "rejects.csv"
    f = tmp_path / "mixed.xml"
    write_raw_cmf(f, [*((s, "Convicted Offender", g) for s, g in random_profiles(8, prefix="CO")),
                  *((s, "Convicted Offender", g)
                    for s, g in random_profiles(2, prefix="NEW", seed=5))],
              source_lab="LAB-A")
    code = main(["import", str(f), "--db", db, "--legal-basis", "conviction",
                 "--skip-invalid", "--rejects", str(rejects)])
    out = capsys.readouterr().out
    assert code == 0
    assert f"all 8 rejected record(s) are in {rejects}" in out
    rows = _rows(rejects)
    assert [r["specimen"] for r in rows] == [s for s, _ in random_profiles(8, prefix="CO")]
    assert {r["rule"] for r in rows} == {"duplicate"}
    assert all(r["file"] == str(f) and r["record"] for r in rows)


def test_nothing_imported_exits_non_zero(db: str, eight: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    rejects = tmp_path / "rejects.csv"
    code = main(["import", str(eight), "--db", db, "--legal-basis", "conviction",
                 "--skip-invalid", "--rejects", str(rejects)])
    captured = capsys.readouterr()
    assert code == 1
    assert "nothing imported from" in captured.err
    assert len(_rows(rejects)) == 8
    code = main(["import", str(eight), "--db", db, "--legal-basis", "conviction",
                 "--skip-invalid", "--json"])
    captured = capsys.readouterr()
    assert code == 1
    report = json.loads(captured.out)
    assert report["imported"] == 0 and len(report["problems"]) == 8


def test_all_or_nothing_failure_still_writes_the_rejects(
        db: str, eight: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rejects = tmp_path / "rejects.csv"
    code = main(["import", str(eight), "--db", db, "--legal-basis", "conviction",
                 "--rejects", str(rejects)])
    assert code == 1
    assert f"8 rejected record(s) written to {rejects}" in capsys.readouterr().err
    assert [r["rule"] for r in _rows(rejects)] == ["duplicate"] * 8


def test_errors_are_json_under_json(db: str, eight: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["import", str(eight), "--db", db, "--legal-basis", "conviction", "--json"])
    out, err = capsys.readouterr()
    assert code == 1 and "locard: error" not in err
    body: dict[str, Any] = json.loads(out)
    assert body["type"] == "ImportFailed"
    assert "nothing imported" in body["error"] and "--skip-invalid" in body["remedy"]
    assert [p["rule"] for p in body["problems"]] == ["duplicate"] * 8
    code = main(["specimen", "show", "NOPE", "--db", db, "--json"])
    out, err = capsys.readouterr()
    assert code == 1 and err == ""
    assert json.loads(out)["type"] == "NotFound" and "NOPE" in json.loads(out)["error"]
    code = main(["import", str(tmp_path / "missing.xml"), "--db", db, "--json"])
    out, _ = capsys.readouterr()
    assert code == 1 and "missing.xml" in json.loads(out)["error"]
    code = main(["import", str(eight), "--db", db, "--json", "--no-such-option"])
    out, _ = capsys.readouterr()
    assert code == 2 and "--no-such-option" in json.loads(out)["error"]
    # without --json the error stays one line on stderr
    code = main(["specimen", "show", "NOPE", "--db", db])
    out, err = capsys.readouterr()
    assert code == 1 and out == "" and err.startswith("locard: error: no specimen 'NOPE'")


def test_no_progress_bars_off_a_terminal(db: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    f = _cmf(tmp_path / "co.xml", 3, "CO")
    assert main(["import", str(f), "--db", db, "--legal-basis", "conviction"]) == 0
    assert main(["export", "--db", db, "--out", str(tmp_path / "out.xml")]) == 0
    assert capsys.readouterr().err == ""


def test_store_reports_import_and_export_progress(db: str, tmp_path: Path) -> None:
    calls: list[tuple[str, int, int | None]] = []
    with Store.open(db) as store:
        store.on_progress = lambda phase, done, total: calls.append((phase, done, total))
        store.import_file(_cmf(tmp_path / "co.xml", 3, "CO"), legal_basis="conviction",
                          actor="chief")
        phases = list(dict.fromkeys(c[0] for c in calls))
        assert phases == ["reading", "checking", "writing", "searching on entry"]
        assert ("writing", 3, 3) in calls
        calls.clear()
        store.export(tmp_path / "out.xml", actor="chief")
        assert [c[0] for c in calls] == ["reading", "preparing", "writing", "writing"]
        assert calls[-1] == ("writing", 3, 3)


def test_progress_bars_render_each_phase_on_a_terminal() -> None:
    buf = io.StringIO()
    term = Console(file=buf, force_terminal=True, width=100)
    with progress(to=term) as tick:
        assert tick is not None
        tick("reading", 0, None)
        tick("checking", 500, 1000)
        tick("writing", 1000, 1000)
    text = buf.getvalue()
    assert "reading" in text and "checking" in text and "1000/1000" in text
    with progress(to=Console(file=io.StringIO())) as none:
        assert none is None  # not a terminal: no bars


def test_long_commands_show_progress_on_a_terminal(db: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import locard.cli.common as common

    buf = io.StringIO()
    monkeypatch.setattr(common, "err_console", Console(file=buf, force_terminal=True, width=100))
    out = tmp_path / "syn.xml"
    assert main(["synth", "30", "--out", str(out), "--lab", "LAB-A"]) == 0
    assert "simulating" in buf.getvalue() and "writing" in buf.getvalue()
    buf.seek(0)
    buf.truncate()
    assert main(["import", str(out), "--db", db, "--legal-basis", "conviction"]) == 0
    shown = buf.getvalue()
    assert all(p in shown for p in ("reading", "checking", "writing", "searching on entry"))
    assert "30/30" in shown
    buf.seek(0)
    buf.truncate()
    assert main(["export", "--db", db, "--out", str(tmp_path / "back.xml")]) == 0
    assert "preparing" in buf.getvalue() and "writing" in buf.getvalue()
    assert "30 imported" in capsys.readouterr().out  # the summary, on stdout
