"""`locard import` at the door (issue 11, item 7): a GeneMapper export's positive control is
skipped, its Panel is recorded as the kit, and an allele outside the kit's ladder needs
--allow-off-ladder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from locard.cli import main
from locard.store.demo_data import random_profiles


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
