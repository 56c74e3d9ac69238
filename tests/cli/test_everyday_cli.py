"""A lab's everyday commands (issue "Daily use", item 8): specimens list/count, batch search,
import --dry-run, export without local-only profiles, the expunge confirmation, frequencies
list, rich text escaping, no stray database file, and output that fits 80 columns."""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import pytest
from tests.fixtures import random_profiles, write_raw_cmf

from locard.cli import main

STRIDER = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "frequencies" / \
    "strider" / "frequencies_STRBASE.xml"


def _json(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


def _cmf(tmp_path: Path, n: int, category: str, prefix: str, *, seed: int = 1) -> Path:
    f = tmp_path / f"{prefix}.xml"
    write_raw_cmf(f, [(s, category, g) for s, g in random_profiles(n, prefix=prefix, seed=seed)],
              source_lab="LAB-A")
    return f


def _stock(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """3 offenders and 2 known suspects (a local-only index) of LAB-A."""
    assert main(["import", str(_cmf(tmp_path, 3, "Convicted Offender", "CO")), "--db", db,
                 "--legal-basis", "conviction", "--no-search-on-entry"]) == 0
    assert main(["import", str(_cmf(tmp_path, 2, "Suspect, Known", "KS", seed=2)), "--db", db,
                 "--legal-basis", "casework", "--no-search-on-entry"]) == 0
    capsys.readouterr()


# --- specimens list / count -----------------------------------------------------------------

def test_specimens_list_and_count_filter_and_page(db: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _stock(db, tmp_path, capsys)
    assert main(["specimens", "count", "--db", db, "--json"]) == 0
    assert _json(capsys) == {"total": 5, "by_index": {"offender": 3, "suspect_known": 2}}
    assert main(["specimens", "count", "--db", db, "--local-only", "--json"]) == 0
    assert _json(capsys) == {"total": 2, "by_index": {"suspect_known": 2}}
    assert main(["specimens", "count", "--db", db, "--category", "Convicted Offender",
                 "--json"]) == 0
    assert _json(capsys) == {"total": 3, "by_index": {"offender": 3}}
    assert main(["specimens", "count", "--db", db, "--until", "2000-01-01", "--json"]) == 0
    assert _json(capsys) == {"total": 0, "by_index": {}}

    assert main(["specimens", "list", "--db", db, "--limit", "2", "--json"]) == 0
    first = _json(capsys)
    assert isinstance(first, dict) and first["total"] == 5
    ids = [s["specimen_id"] for s in first["specimens"]]
    assert ids == ["CO0000000", "CO0000001"] and first["next_after"] is not None
    seen = list(ids)
    after = first["next_after"]
    while after is not None:
        assert main(["specimens", "list", "--db", db, "--limit", "2", "--after", str(after),
                     "--json"]) == 0
        page = _json(capsys)
        assert isinstance(page, dict)
        seen += [s["specimen_id"] for s in page["specimens"]]
        after = page["next_after"]
    assert seen == ["CO0000000", "CO0000001", "CO0000002", "KS0000000", "KS0000001"]
    assert main(["specimens", "list", "--db", db, "--index", "suspect_known",
                 "--not-local-only", "--json"]) == 0
    assert _json(capsys)["specimens"] == []  # type: ignore[index]
    assert main(["specimens", "list", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "KS0000001" in out and "5 of 5 specimen(s) of lab LAB-A" in out


def test_specimens_list_is_audited_and_lab_confined(db: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _stock(db, tmp_path, capsys)
    assert main(["user", "add", "other", "--role", "administrator", "--lab", "LAB-B",
                 "--db", db]) == 0
    capsys.readouterr()
    assert main(["specimens", "list", "--db", db, "--user", "other", "--json"]) == 0
    assert _json(capsys)["total"] == 0  # type: ignore[index]  # LAB-B sees none of LAB-A's
    assert main(["specimens", "list", "--db", db, "--index", "offender", "--json"]) == 0
    assert _json(capsys)["total"] == 3  # type: ignore[index]
    assert main(["audit", "log", "--db", db, "--action", "specimen_list", "--json"]) == 0
    entries = _json(capsys)
    assert isinstance(entries, list) and len(entries) == 1  # LAB-A's log: its own listing
    assert entries[0]["user"] == "chief" and entries[0]["details"]["index"] == "offender"


# --- import --dry-run -----------------------------------------------------------------------

def test_import_dry_run_stores_nothing_and_reports(db: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _stock(db, tmp_path, capsys)
    f = tmp_path / "mixed.xml"
    write_raw_cmf(f, [(s, "Convicted Offender", g) for s, g in
                  random_profiles(4, prefix="CO", seed=1)], source_lab="LAB-A")
    # CO0000000..2 are in the database already; CO0000003 is new
    assert main(["import", str(f), "--db", db, "--legal-basis", "conviction", "--dry-run",
                 "--json"]) == 1
    report = _json(capsys)
    assert isinstance(report, dict)
    assert report["dry_run"] is True and report["would_import"] == 0
    assert sorted(p["rule"] for p in report["problems"]) == ["duplicate"] * 3
    assert main(["import", str(f), "--db", db, "--legal-basis", "conviction", "--dry-run",
                 "--skip-invalid"]) == 0
    out = capsys.readouterr().out
    assert "nothing was stored" in out and "Would import 1, reject 3" in out
    assert main(["specimens", "count", "--db", db, "--json"]) == 0
    assert _json(capsys)["total"] == 5  # type: ignore[index]


# --- export ---------------------------------------------------------------------------------

def test_export_marks_and_can_exclude_local_only(db: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _stock(db, tmp_path, capsys)
    out = tmp_path / "all.csv"
    assert main(["export", "--db", db, "--format", "csv", "--out", str(out), "--json"]) == 0
    report = _json(capsys)
    assert isinstance(report, dict) and report["exported"] == 5 and report["local_only"] == 2
    with out.open() as fh:
        rows = {r["specimenId"]: r["localOnly"] for r in csv.DictReader(fh)}
    assert rows == {"CO0000000": "", "CO0000001": "", "CO0000002": "",
                    "KS0000000": "yes", "KS0000001": "yes"}
    js = tmp_path / "all.json"
    assert main(["export", "--db", db, "--format", "json", "--out", str(js)]) == 0
    marked = {o["specimen_id"]: o.get("local_only") for o in json.loads(js.read_text())}
    assert marked["KS0000000"] is True and marked["CO0000000"] is None
    capsys.readouterr()
    national = tmp_path / "national.xml"
    assert main(["export", "--db", db, "--out", str(national), "--exclude-local-only",
                 "--json"]) == 0
    report = _json(capsys)
    assert isinstance(report, dict)
    assert report["exported"] == 3 and report["excluded_local_only"] == 2
    text = national.read_text()
    assert "CO0000002" in text and "KS0000000" not in text


# --- expunge confirmation -------------------------------------------------------------------

def test_expunge_without_a_terminal_needs_yes(db: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    _stock(db, tmp_path, capsys)
    assert main(["expunge", "CO0000001", "--db", db, "--reason", "court order"]) == 1
    err = capsys.readouterr().err
    assert "no terminal to confirm" in err and "--yes" in err
    assert main(["specimen", "show", "CO0000001", "--db", db, "--json"]) == 0  # still there
    capsys.readouterr()
    assert main(["expunge", "CO0000001", "--db", db, "--reason", "court order", "--yes"]) == 0


@pytest.mark.parametrize(("answer", "status", "kept"), [("n\n", 130, True), ("y\n", 0, False)])
def test_expunge_asks_on_a_terminal(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch, answer: str, status: int,
                                    kept: bool) -> None:
    _stock(db, tmp_path, capsys)
    import io

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Tty(answer))
    assert main(["expunge", "CO0000002", "--db", db, "--reason", "court order"]) == status
    assert "Expunge specimen 'CO0000002'?" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert (main(["specimen", "show", "CO0000002", "--db", db]) == 0) is kept


# --- batch search ---------------------------------------------------------------------------

def test_search_file_searches_every_profile_once_each(db: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    _stock(db, tmp_path, capsys)
    queries = tmp_path / "traces.json"
    traces = [{"specimen_id": f"Q{i}", "loci": g}
              for i, (_, g) in enumerate(random_profiles(3, prefix="CO", seed=1), start=1)]
    traces.append({"specimen_id": "Q-none", "loci": next(iter(
        random_profiles(1, prefix="X", seed=99)))[1]})
    queries.write_text(json.dumps(traces))
    assert main(["search", "--file", str(queries), "--db", db, "--purpose", "CASE-7",
                 "--json"]) == 0
    out = _json(capsys)
    assert isinstance(out, dict) and out["queries"] == 4
    found = {s["query"]["specimen_id"]: [c["specimen_id"] for c in s["candidates"]]
             for s in out["searches"]}
    assert [found.get(f"Q{i}") for i in (1, 2, 3)] == [["CO0000000"], ["CO0000001"],
                                                        ["CO0000002"]]
    assert main(["audit", "log", "--db", db, "--action", "search", "--json"]) == 0
    log = _json(capsys)
    assert isinstance(log, list)
    entries = [e for e in log if e["purpose"] == "CASE-7"]
    assert len(entries) == 4
    assert main(["search", "--db", db, "--purpose", "x"]) == 1
    assert "--file" in capsys.readouterr().err


# --- frequencies, rich text, missing database, 80 columns -----------------------------------

def test_frequencies_list_does_not_crash(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frequencies", "list"]) == 0
    out = capsys.readouterr().out
    assert "NIST1036:Cauc" in out and "29" in out


@pytest.mark.skipif(not STRIDER.is_file(), reason="needs ../shared/data")
def test_rmp_prints_user_text_literally(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    prof = tmp_path / "p.json"
    prof.write_text(json.dumps({"specimen_id": "[bold]X:de:[/bold]",
                                "loci": {"D8S1179": ["13", "14"], "TH01": ["6", "9.3"]}}))
    assert main(["rmp", str(prof), "-f", f"{STRIDER}:GERMANY"]) == 0
    out = capsys.readouterr().out
    assert "[bold]X:de:[/bold]" in out
    assert "STRidER:GERMANY" in out
    assert not any(0x1F1E6 <= ord(ch) <= 0x1F1FF for ch in out)  # no regional-indicator flag


def test_a_missing_database_is_not_created(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "typo.db"
    assert main(["audit", "verify", "--db", str(path)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "locard init" in err
    assert not path.exists()
    assert main(["specimens", "count", "--db", str(path), "--user", "x"]) == 1
    assert not path.exists()
    assert main(["init", "--db", str(path), "--user", "x"]) == 0
    assert path.exists()


def test_policy_show_fits_80_columns(monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["policy", "show"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "\u2026" not in out  # nothing cut short with an ellipsis
    for rule in ("offender-core-20", "forensic-min-8-of-core-13", "staff-single-source"):
        assert rule in out
    import locard.store

    pol = locard.store.load_policy(None)
    assert pol.sha256 in out


def test_frequencies_list_fits_80_columns(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["frequencies", "list"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80 and "\u2026" not in out


# --- consent withdraw confirmation ----------------------------------------------------------

def _relatives(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _cmf(tmp_path, 2, "Biological Father", "RL", seed=3)
    assert main(["import", str(f), "--db", db, "--legal-basis", "consent", "--consent", "C-9",
                 "--no-search-on-entry"]) == 0
    capsys.readouterr()


def test_consent_withdraw_without_a_terminal_needs_yes(db: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    _relatives(db, tmp_path, capsys)
    assert main(["consent", "withdraw", "C-9", "--db", db]) == 1
    err = capsys.readouterr().err
    assert "no terminal to confirm" in err and "--yes" in err
    assert main(["specimens", "count", "--db", db, "--json"]) == 0
    assert _json(capsys)["total"] == 2  # type: ignore[index]  # nothing expunged
    assert main(["consent", "withdraw", "C-9", "--db", db, "--json"]) == 1
    assert "--yes" in _json(capsys)["remedy"]  # type: ignore[index]
    assert main(["consent", "withdraw", "C-9", "--db", db, "--yes", "--json"]) == 0
    assert _json(capsys) == {"consent": "C-9", "expunged": 2}


@pytest.mark.parametrize(("answer", "status", "left"), [("n\n", 130, 2), ("y\n", 0, 0)])
def test_consent_withdraw_asks_on_a_terminal(db: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch, answer: str,
                                             status: int, left: int) -> None:
    _relatives(db, tmp_path, capsys)
    import io

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Tty(answer))
    assert main(["consent", "withdraw", "C-9", "--db", db]) == status
    assert "Withdraw consent 'C-9'?" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["specimens", "count", "--db", db, "--json"]) == 0
    assert _json(capsys)["total"] == left  # type: ignore[index]


# --- every table and title at 80 columns ---------------------------------------------------

_BOX = set("─━│┃┏┓┗┛┌┐└┘├┤┬┴┼┡┩╇┳┻╋╭╮╰╯")


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A small store with something in every listing: offenders, a trace whose search on
    entry made a candidate match, remains, a family with a missing-person case."""
    tmp = tmp_path_factory.mktemp("w80")
    mp = pytest.MonkeyPatch()
    mp.setenv("LOCARD_USER", "chief")
    mp.setenv("LOCARD_INDEX_DIR", str(tmp / "index"))
    db = str(tmp / "w80.db")
    try:
        assert main(["init", "--db", db, "--lab", "NY0030000"]) == 0
        people = dict(random_profiles(8, prefix="P", seed=11))
        father, mother = people.pop("P0000001"), people.pop("P0000002")
        child = {k: [father[k][0], mother[k][-1]] for k in father if k != "AMEL"}
        offenders = list(random_profiles(3, prefix="CO-2026-", seed=4))
        files: dict[str, list[tuple[str, str, object]]] = {
            "off": [(s, "Convicted Offender", g) for s, g in offenders],
            "uhr": [*((s, "Unidentified Person", g) for s, g in people.items()),
                    ("UHR-2026-CHILD", "Unidentified Person", child)],
            "fam": [("REL-FA", "Biological Father", father),
                    ("REL-MO", "Biological Mother", mother)],
            "trace": [("FU-2026-0001", "Forensic, Unknown", offenders[1][1])]}
        for name, rows in files.items():
            write_raw_cmf(tmp / f"{name}.xml", rows, source_lab="NY0030000")  # type: ignore[arg-type]
        assert main(["import", str(tmp / "off.xml"), "--db", db]) == 0
        assert main(["import", str(tmp / "uhr.xml"), "--db", db]) == 0
        assert main(["import", str(tmp / "fam.xml"), "--db", db, "--legal-basis", "consent",
                     "--consent", "C-FAM-1"]) == 0
        assert main(["import", str(tmp / "trace.xml"), "--db", db, "--purpose",
                     "CASE-2026-0001"]) == 0
        (tmp / "case.json").write_text(json.dumps({"missing": "MP", "individuals": [
            {"id": "FA", "sex": "M", "specimen": "REL-FA"},
            {"id": "MO", "sex": "F", "specimen": "REL-MO"},
            {"id": "MP", "father": "FA", "mother": "MO", "sex": "M"}]}))
        assert main(["case", "add", "MP-2026-0017", "--pedigree", str(tmp / "case.json"),
                     "--db", db]) == 0
        (tmp / "p1.json").write_text(json.dumps({"specimen_id": "P1", "loci": {
            "D8S1179": ["13", "14"], "TH01": ["6", "9.3"], "vWA": ["16", "17"]}}))
        (tmp / "p2.json").write_text(json.dumps({"specimen_id": "P2", "loci": {
            "D8S1179": ["13", "15"], "TH01": ["6", "7"], "vWA": ["16", "18"]}}))
        (tmp / "traces.json").write_text(json.dumps([
            {"specimen_id": "Q-2026-1", "loci": offenders[0][1]},
            {"specimen_id": "Q-2026-2", "loci": offenders[2][1]}]))
    finally:
        mp.undo()
    return db, tmp


_COMMANDS = {
    "search": ["search", "FU-2026-0001", "--purpose", "CASE-2026-0001"],
    "search-file": ["search", "--file", "{tmp}/traces.json", "--purpose", "CASE-2026-0001"],
    "specimens-list": ["specimens", "list"],
    "matches-list": ["matches", "list"],
    "matches-show": ["matches", "show", "1"],
    "audit-log": ["audit", "log"],
    "policy-show": ["policy", "show"],
    "frequencies-list": ["frequencies", "list"],
    "frequencies-show": ["frequencies", "show", "NIST1036:Cauc"],
    "kits": ["kits"],
    "loci": ["loci"],
    "rmp": ["rmp", "{tmp}/p1.json"],
    "kinship-lr": ["kinship", "lr", "{tmp}/p1.json", "{tmp}/p2.json", "-r", "parent-child"],
    "identify": ["identify", "--case", "MP-2026-0017", "--purpose", "MP-2026-0017"],
    "db-check": ["db", "check"],
    "case-list": ["case", "list"],
    "case-show": ["case", "show", "MP-2026-0017"],
}
_NEEDS_DB = {"search", "search-file", "specimens-list", "matches-list", "matches-show",
             "audit-log", "identify", "db-check", "case-list", "case-show"}
#: what each command's output must hold on one line (not wrapped, folded or cut short)
_WHOLE = {
    "search": ["NY0030000 CO-2026-0000001"],
    "search-file": ["Q-2026-2 NY0030000 CO-2026-0000002"],
    "specimens-list": ["CO-2026-0000000 offender Convicted Offender conviction"],
    "matches-show": ["query: NY0030000 FU-2026-0001"],
    "audit-log": ["import"],
    "frequencies-show": ["d9f1e003102e3d91c93b8b1e53293ed58213ad28befebad41c089d26247897b8"],
    "kits": ["Kits (source: OSIRIS kit definitions, NCBI, public domain)"],
    "identify": ["Missing person 'MP' (case 'MP-2026-0017'"],
    "case-list": ["MP-2026-0017"],
    "case-show": ["Case 'MP-2026-0017' (lab NY0030000), missing person 'MP'"],
}


@pytest.mark.parametrize("name", sorted(_COMMANDS))
def test_every_table_and_title_fits_80_columns(name: str, small_store: tuple[str, Path],
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """At 80 columns nothing is wider, nothing is cut short with an ellipsis, no title is
    broken into centred fragments, and each command's key line stays whole."""
    db, tmp = small_store
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LOCARD_USER", "chief")
    monkeypatch.setenv("LOCARD_INDEX_DIR", str(tmp / "index"))
    args = [a.replace("{tmp}", str(tmp)) for a in _COMMANDS[name]]
    capsys.readouterr()
    assert main([*args, *(["--db", db] if name in _NEEDS_DB else [])]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines and max(len(line) for line in lines) <= 80
    assert "\u2026" not in out, out
    centred = [not _BOX & set(line) and len(line) - len(line.lstrip()) >= 8
               for line in lines]
    broken = [lines[i] for i in range(1, len(lines)) if centred[i - 1] and centred[i]]
    assert broken == [], out  # a title wrapped into centred fragments
    for whole in _WHOLE.get(name, []):  # these words in this order on one line
        pattern = re.compile(r"\s+".join(re.escape(word) for word in whole.split()))
        assert any(pattern.search(line) for line in lines), (whole, out)
