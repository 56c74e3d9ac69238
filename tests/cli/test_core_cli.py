"""The issue-2 commands, called in-process through locard.cli.main."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from locard.cli import main

PROFILE = {
    "specimen_id": "S-1",
    "loci": {"D3S1358": ["15", "16"], "vWA": ["17"], "TH01": ["6", "9.3"], "FGA": ["20", "23"],
             "AMEL": ["X", "Y"]},
}


@pytest.fixture
def profile_file(tmp_path: Path) -> Path:
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(PROFILE))
    return path


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("locard ")


def test_rmp_json_contract(profile_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "rmp", str(profile_file), "--frequencies", "NIST1036:Cauc",
                   "--theta", "0.01", "--json")
    assert isinstance(out, dict)
    assert set(out["per_locus"]) == {"D3S1358", "vWA", "TH01", "FGA"}
    assert out["rmp"] == pytest.approx(math.prod(out["per_locus"].values()))
    assert out["excluded_loci"] == {"AMEL": "not an autosomal STR (sex marker)"}
    prov = out["provenance"]
    assert prov["frequency_table"]["name"] == "NIST1036:Cauc"
    assert len(prov["frequency_table"]["sha256"]) == 64
    assert prov["parameters"]["theta"] == 0.01
    assert prov["parameters"]["formula"] == "nrc2-4.10"


def test_rmp_theta_zero_product_equals_nrc_formulas(profile_file: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    values = {}
    for formula in ("product", "nrc2-4.1", "nrc2-4.10"):
        out = run_json(capsys, "rmp", str(profile_file), "--theta", "0", "--formula", formula,
                       "--json")
        assert isinstance(out, dict)
        values[formula] = out["rmp"]
    assert values["nrc2-4.1"] == pytest.approx(values["product"])
    assert values["nrc2-4.10"] == pytest.approx(values["product"])


def test_rmp_most_conservative(profile_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "rmp", str(profile_file), "-f", "NIST1036:Cauc", "-f", "NIST1036:AfAm",
                   "-f", "NIST1036:Hisp", "--json")
    assert isinstance(out, dict)
    assert out["rmp"] == max(out["per_population"].values())
    assert out["population"] in out["per_population"]


def test_rmp_human_table(profile_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rmp", str(profile_file)]) == 0
    text = capsys.readouterr().out
    assert "D3S1358" in text and "RMP =" in text and "excluded AMEL" in text


def test_rmp_from_stdin(monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("TH01: 6,9.3; vWA: 17"))
    out = run_json(capsys, "rmp", "-", "--json")
    assert isinstance(out, dict) and set(out["per_locus"]) == {"TH01", "vWA"}


def test_errors_funnel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"specimen_id": "B", "loci": {"D18S51": ["9,3"]}}))
    assert main(["rmp", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("locard: error: ")
    assert "D18S51: allele '9,3' is not an allele designation" in err
    assert "bad.json" in err and "'B'" in err
    assert main(["rmp", str(bad), "--frequencies", "NOPE:X"]) == 1
    assert main(["rmp", str(tmp_path / "missing.json")]) == 1
    assert "missing.json" in capsys.readouterr().err
    assert main(["rmp", str(bad), "--theta", "2"]) != 0


def test_kits_and_loci(capsys: pytest.CaptureFixture[str]) -> None:
    kits = run_json(capsys, "kits", "--json")
    assert isinstance(kits, list)
    names = {k["name"] for k in kits}
    assert {"PowerPlex 21", "GlobalFiler"} <= names
    pp21 = run_json(capsys, "kits", "PP21", "--json")
    assert isinstance(pp21, dict) and len(pp21["loci"]) == 21
    loci = run_json(capsys, "loci", "--json")
    assert isinstance(loci, dict) and len(loci["sets"]["CODIS20"]) == 20
    assert main(["kits", "NoSuchKit"]) == 1
    assert "unknown kit 'NoSuchKit'" in capsys.readouterr().err


def test_frequencies_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    rows = run_json(capsys, "frequencies", "list", "--json")
    assert isinstance(rows, list)
    names = {r["name"] for r in rows}
    assert {"NIST1036:AfAm", "NIST1036:Asian", "NIST1036:Cauc", "NIST1036:Hisp",
            "NIST1036:ALL"} <= names
    table = run_json(capsys, "frequencies", "show", "NIST1036:Cauc", "--locus", "CSF1PO",
                     "--json")
    assert isinstance(table, dict) and list(table["loci"]) == ["CSF1PO"]
    assert main(["frequencies", "show", "NIST1036:Cauc"]) == 0
    assert "5/2N" not in capsys.readouterr().err


def test_demo_runs_for_real(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "demo.db"
    out = run_json(capsys, "demo", "--db", str(db), "--population", "400", "--json")
    assert isinstance(out, dict)
    stats = out["control_statistics"]
    assert set(stats["controls"]) == {"2800M", "9947A"}
    for per_pop in stats["controls"].values():
        assert len(per_pop) == 5
        for result in per_pop.values():
            assert 0 < result["rmp"] < 1e-15
            assert len(result["per_locus"]) == 20
    # the database was built through the import path, with every index the scenario uses
    assert out["index_counts"]["offender"] == 400
    assert out["index_counts"]["relative"] == 3
    # search on entry found the offender who left the partial trace
    planted = out["planted_trace"]
    pairs = {(m["query_specimen"], m["candidate_specimen"]) for m in out["candidate_matches"]}
    assert (planted["trace"], planted["source"]) in pairs
    # the remains of the missing person rank first by kinship LR
    best = out["identification"]["candidates"][0]
    assert best["specimen_id"] == out["planted_remains"] and best["lr"] > 1e6
    # ... from the case registered in the database, identified by its reference
    assert out["identification"]["case_ref"] == out["case_ref"]
    capsys.readouterr()
    assert main(["identify", "--case", out["case_ref"], "--db", str(db), "--user",
                 "demo-admin", "--purpose", "MP", "--top", "1", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["candidates"][0]["specimen_id"] == out["planted_remains"]
    assert out["audit"]["verified"] is True
    # a second run replaces its own demo database; any other file is refused
    assert main(["demo", "--db", str(db), "--population", "400", "--json"]) == 0
    capsys.readouterr()
    other = tmp_path / "precious.db"
    other.write_bytes(b"not a demo")
    assert main(["demo", "--db", str(other)]) == 1
    assert "is not a Locard demo database" in capsys.readouterr().err
    assert other.read_bytes() == b"not a demo"


def test_cli_start_up_does_not_load_the_database_layer() -> None:
    """`locard --help` and the statistics commands must not pay for SQLAlchemy, Numba or the
    CE analysis stack (SciPy): the store, the kernels and the analysis load on first use (a
    fresh interpreter, so nothing is cached)."""
    import subprocess
    import sys

    code = ("import sys, locard.cli.app; print(sorted(m for m in "
            "('sqlalchemy', 'numba', 'scipy', 'locard.ce.calling') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
