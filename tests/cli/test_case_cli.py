"""``locard case`` and ``locard identify --case CASE_REF``, in-process, on SQLite and on the
real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures import random_profiles, write_raw_cmf

from locard.cli import main


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 and "--json" in args else out, err


@pytest.fixture
def family(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The parents stored as relatives (with consent); their child among ten remains; the
    child's genotype also in the offender index (never to be reached from a case)."""
    people = dict(random_profiles(12, prefix="P", seed=11))
    father, mother = people.pop("P0000001"), people.pop("P0000002")
    child = {k: [father[k][0], mother[k][-1]] for k in father if k != "AMEL"}
    remains = [(s, "Unidentified Person", g) for s, g in people.items()]
    remains.append(("UHR-CHILD", "Unidentified Person", child))
    files = {"uhr": remains, "off": [("CO-CHILD", "Convicted Offender", child)],
             "fa": [("REL-FA", "Biological Father", father)],
             "mo": [("REL-MO", "Biological Mother", mother)]}
    for name, rows in files.items():
        write_raw_cmf(tmp_path / f"{name}.xml", rows, source_lab="LAB-A")
    assert main(["import", str(tmp_path / "uhr.xml"), "--db", db]) == 0
    assert main(["import", str(tmp_path / "off.xml"), "--db", db,
                 "--legal-basis", "conviction"]) == 0
    for name in ("fa", "mo"):
        assert main(["import", str(tmp_path / f"{name}.xml"), "--db", db, "--legal-basis",
                     "consent", "--consent", f"C-{name.upper()}"]) == 0
    capsys.readouterr()
    return db


def _case_json(tmp_path: Path) -> Path:
    f = tmp_path / "case.json"
    f.write_text(json.dumps({"missing": "MP", "individuals": [
        {"id": "FA", "sex": "M", "specimen": "REL-FA"},
        {"id": "MO", "sex": "F", "specimen": "REL-MO"},
        {"id": "MP", "father": "FA", "mother": "MO", "sex": "M"}]}))
    return f


def test_case_add_show_list_identify_remove(family: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    db = family
    code, out, err = _run(capsys, "case", "add", "MP-2026-7", "--pedigree",
                          str(_case_json(tmp_path)), "--db", db, "--json")
    assert code == 0, err
    assert out["typed"] == ["FA", "MO"] and out["missing"] == "MP"
    code, out, err = _run(capsys, "case", "list", "--db", db, "--json")
    assert code == 0, err
    assert [(c["case_ref"], c["individuals"], c["typed"]) for c in out["cases"]] == \
        [("MP-2026-7", 3, 2)]
    code, out, err = _run(capsys, "case", "show", "MP-2026-7", "--db", db, "--json")
    assert code == 0, err
    assert [p.get("specimen") for p in out["individuals"]] == ["REL-FA", "REL-MO", None]
    assert all("profile" not in p for p in out["individuals"])
    code, text, err = _run(capsys, "case", "show", "MP-2026-7", "--db", db)
    assert code == 0 and "REL-FA" in text and "missing" in text

    code, out, err = _run(capsys, "identify", "--case", "MP-2026-7", "--db", db, "--purpose",
                          "MP-2026-7", "--top", "3", "--json")
    assert code == 0, err
    first = out["candidates"][0]
    assert (first["specimen_id"], first["index"]) == ("UHR-CHILD", "unidentified")
    assert first["lr"] > 1e6 and len(first["per_locus"]) == 20
    assert out["case_ref"] == "MP-2026-7"
    assert out["provenance"]["parameters"]["case_ref"] == "MP-2026-7"
    assert "CO-CHILD" not in {c["specimen_id"] for c in out["candidates"]}
    code, text, err = _run(capsys, "identify", "--case", "MP-2026-7", "--db", db,
                           "--purpose", "MP-2026-7", "--top", "2")
    assert code == 0 and "UHR-CHILD" in text and "case 'MP-2026-7'" in text

    # expunging a relative unlinks it; the case still ranks from the other parent
    assert main(["expunge", "REL-FA", "--db", db, "--reason", "court order", "--yes"]) == 0
    capsys.readouterr()
    code, out, err = _run(capsys, "case", "show", "MP-2026-7", "--db", db, "--json")
    assert code == 0 and out["typed"] == ["MO"]
    assert "specimen" not in out["individuals"][0]
    code, out, err = _run(capsys, "identify", "--case", "MP-2026-7", "--db", db, "--purpose",
                          "MP-2026-7", "--json")
    assert code == 0, err
    assert "UHR-CHILD" in {c["specimen_id"] for c in out["candidates"]}

    code, text, err = _run(capsys, "case", "remove", "MP-2026-7", "--db", db, "--reason",
                           "identified")
    assert code == 0, err
    code, _, err = _run(capsys, "identify", "--case", "MP-2026-7", "--db", db, "--purpose",
                        "MP-2026-7")
    assert code == 1 and "no missing-person case 'MP-2026-7'" in err
    code, out, _ = _run(capsys, "audit", "verify", "--db", db, "--json")
    assert code == 0


def test_case_from_a_ped_file(family: str, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    ped = tmp_path / "family.ped"
    ped.write_text("# id father mother sex\nFA 0 0 1\nMO 0 0 2\nMP FA MO 1\n")
    code, _, err = _run(capsys, "case", "add", "MP-8", "--pedigree", str(ped), "--db", family,
                        "--member", "FA=REL-FA")
    assert code == 1 and f"{ped}: a PED file needs --missing" in err
    code, out, err = _run(capsys, "case", "add", "MP-8", "--pedigree", str(ped), "--db",
                          family, "--missing", "MP", "--member", "FA=REL-FA", "--member",
                          "MO=REL-MO", "--json")
    assert code == 0, err
    assert out["typed"] == ["FA", "MO"]
    code, out, err = _run(capsys, "identify", "--case", "MP-8", "--db", family, "--purpose",
                          "MP-8", "--top", "1", "--json")
    assert code == 0 and out["candidates"][0]["specimen_id"] == "UHR-CHILD"


@pytest.mark.parametrize(("edit", "message"), [
    ({"member": ["FA"]}, "--member 'FA': expected ID=SPECIMEN"),
    ({"member": ["FA=CO-CHILD"]}, "'CO-CHILD' is in the offender index"),
    ({"member": ["FA=NOPE"]}, "no specimen 'NOPE'"),
    ({"profile": True}, "case.json: individual 'FA': a case links stored references"),
    ({"text": "{not json"}, "case.json: not valid JSON"),
])
def test_case_add_errors(family: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                         edit: dict[str, Any], message: str) -> None:
    f = _case_json(tmp_path)
    if "profile" in edit:
        data = json.loads(f.read_text())
        data["individuals"][0]["profile"] = {"loci": {"TH01": ["6", "7"]}}
        f.write_text(json.dumps(data))
    if "text" in edit:
        f.write_text(edit["text"])
    args = ["case", "add", "MP-9", "--pedigree", str(f), "--db", family]
    for m in edit.get("member", []):
        args += ["--member", m]
    code, _, err = _run(capsys, *args)
    assert code == 1 and message in err
    code, out, _ = _run(capsys, "case", "list", "--db", family, "--json")
    assert out["cases"] == []  # nothing half-written


def test_a_case_file_is_not_read_as_an_inline_pedigree(family: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    f = _case_json(tmp_path)
    code, _, err = _run(capsys, "identify", "--case", str(f), "--db", family, "--purpose", "P")
    assert code == 1 and "a case file (members FA, MO name stored specimens)" in err
    assert "locard case add CASE_REF" in err
    profile = tmp_path / "cand.json"
    profile.write_text(json.dumps({"loci": {"TH01": ["6", "7"]}}))
    code, _, err = _run(capsys, "kinship", "pedigree", str(f), "--candidate", str(profile))
    assert code == 1 and "a case file" in err
