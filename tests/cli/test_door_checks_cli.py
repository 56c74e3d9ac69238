"""`locard import` at the door (issue 11, item 7): a GeneMapper export's positive control is
skipped, its Panel is recorded as the kit, and an allele outside the kit's ladder needs
--allow-off-ladder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.fixtures import random_profiles

from locard.cli import main


def _genemapper(path: Path, *, bad: bool) -> Path:
    rows = ["Sample Name\tPanel\tMarker\tAllele 1\tAllele 2"]
    samples = dict(random_profiles(2, seed=3, prefix="CO"))
    samples["Pos.Ctrl_2800M"] = next(iter(samples.values()))
    if bad:
        samples["CO0000001"] = dict(samples["CO0000001"], D10S1248=["13", "39.3"])
    for name, loci in samples.items():
        for locus, alleles in loci.items():
            rows.append("\t".join([name, "GlobalFiler_Panels_v1", locus, *alleles,
                                   *[""] * (2 - len(alleles))]))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_import_skips_controls_records_the_panel_and_checks_the_ladder(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _genemapper(tmp_path / "run.txt", bad=True)
    args = ["import", str(f), "--db", db, "--category", "Convicted Offender"]
    capsys.readouterr()
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "allele '39.3' is outside the GlobalFiler ladder (8-19)" in err
    assert "--allow-off-ladder" in err
    assert main([*args, "--allow-off-ladder", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["imported"] == 2 and report["controls"] == ["Pos.Ctrl_2800M"]
    assert [(x["locus"], x["value"]) for x in report["flagged"]] == [("D10S1248", "39.3")]
    assert main(["specimen", "show", "CO0000001", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["kit"] == "GlobalFiler_Panels_v1"


def test_import_kit_option_names_an_unknown_kit(db: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    f = _genemapper(tmp_path / "run.txt", bad=False)
    capsys.readouterr()
    assert main(["import", str(f), "--db", db, "--category", "Convicted Offender",
                 "--kit", "NoSuchPlex"]) == 1
    assert "unknown kit 'NoSuchPlex'" in capsys.readouterr().err


def _rows(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_dry_run_and_reject_file_show_flagged_alleles_and_controls(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What the door did besides rejecting (an allele flagged but stored, a control skipped)
    shows in `import --dry-run` and in the --rejects file, one row each with its own rule."""
    f = _genemapper(tmp_path / "run.txt", bad=True)
    args = ["import", str(f), "--db", db, "--category", "Convicted Offender",
            "--allow-off-ladder", "--no-search-on-entry"]
    dry = tmp_path / "dry.csv"
    capsys.readouterr()
    assert main([*args, "--dry-run", "--rejects", str(dry)]) == 0
    out = capsys.readouterr().out
    assert "nothing was stored" in out
    assert "1 control(s) and ladder(s) would be skipped, not stored: Pos.Ctrl_2800M" in out
    assert "would flag: " in out and "D10S1248" in out and "'39.3'" in out
    rows = _rows(dry)
    assert [(r["specimen"], r["locus"], r["value"], r["rule"]) for r in rows] == [
        ("CO0000001", "D10S1248", "39.3", "ladder-range (flagged, would be stored)"),
        ("Pos.Ctrl_2800M", "", "", "control (skipped)")]
    assert all(r["file"] == str(f) for r in rows)
    real = tmp_path / "real.csv"
    assert main([*args, "--rejects", str(real)]) == 0
    assert "rejected record(s)" not in capsys.readouterr().out
    assert [(r["specimen"], r["rule"]) for r in _rows(real)] == [
        ("CO0000001", "ladder-range (flagged, stored)"),
        ("Pos.Ctrl_2800M", "control (skipped)")]
