"""The database commands, in-process through ``locard.cli.main``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.fixtures import random_profiles, write_raw_cmf

from locard.cli import main


def _json(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


def _cmf(tmp_path: Path, n: int = 4, category: str = "Convicted Offender",
         prefix: str = "CO") -> Path:
    f = tmp_path / f"{prefix}.xml"
    write_raw_cmf(f, [(s, category, g) for s, g in random_profiles(n, prefix=prefix)],
              source_lab="LAB-A")
    return f


def test_init_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--db", str(tmp_path / "a.db"), "--user", "root", "--json"]) == 0
    out = _json(capsys)
    assert isinstance(out, dict) and out["schema_version"] >= 1


def test_import_show_export_expunge(db: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    f = _cmf(tmp_path)
    capsys.readouterr()
    assert main(["import", str(f), "--db", db, "--legal-basis", "conviction", "--json"]) == 0
    report = _json(capsys)
    assert isinstance(report, dict) and report["imported"] == 4
    assert report["accepted"] == {"offender": 4}
    assert main(["specimen", "show", "CO0000001", "--db", db, "--json"]) == 0
    view = _json(capsys)
    assert isinstance(view, dict) and view["index"] == "offender" and view["profile"]
    out = tmp_path / "out.xml"
    assert main(["export", "--db", db, "--format", "cmf", "--out", str(out),
                 "--purpose", "NDIS"]) == 0
    assert "CO0000001" in out.read_text()
    capsys.readouterr()
    assert main(["expunge", "CO0000001", "--db", db, "--reason", "court order", "--yes"]) == 0
    assert main(["specimen", "show", "CO0000001", "--db", db]) == 1
    assert "no specimen 'CO0000001'" in capsys.readouterr().err
    assert main(["export", "--db", db, "--out", str(out)]) == 0
    assert "CO0000001" not in out.read_text()


def test_import_failure_is_reported(db: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    f = _cmf(tmp_path, 2, "Biological Father", "RL")  # relatives need a consent reference
    capsys.readouterr()
    assert main(["import", str(f), "--db", db]) == 1
    err = capsys.readouterr().err
    assert err.startswith("locard: error:") and "requires a consent record" in err
    assert "nothing imported" in err


def test_unknown_category(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _cmf(tmp_path)
    capsys.readouterr()
    assert main(["import", str(f), "--db", db, "--category", "Crime Thing",
                 "--legal-basis", "conviction"]) == 1
    assert "unknown specimen category 'Crime Thing'" in capsys.readouterr().err


def test_consent_withdraw(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _cmf(tmp_path, 2, "Biological Father", "RL")
    assert main(["import", str(f), "--db", db, "--legal-basis", "consent",
                 "--consent", "C-9"]) == 0
    capsys.readouterr()
    assert main(["consent", "withdraw", "C-9", "--db", db, "--yes", "--json"]) == 0
    assert _json(capsys) == {"consent": "C-9", "expunged": 2}


def test_retention_dry_run(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["retention", "apply", "--dry-run", "--db", db, "--json"]) == 0
    assert _json(capsys) == {"dry_run": True, "specimens": []}


def test_audit_log_and_verify(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["audit", "verify", "--db", db, "--json"]) == 0
    assert _json(capsys) == {"verified": True, "entries": 1}
    assert main(["audit", "log", "--db", db, "--json"]) == 0
    log = _json(capsys)
    assert isinstance(log, list) and log[0]["action"] == "init"
    import sqlalchemy as sa

    from locard.store import normalize_url

    engine = sa.create_engine(normalize_url(db))  # tamper behind Locard's back
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET purpose = 'x' WHERE seq = 1"))
    engine.dispose()
    assert main(["audit", "verify", "--db", db]) == 1
    assert "audit log entry 1" in capsys.readouterr().err


def test_users_roles_tokens(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["user", "add", "ana", "--role", "analyst", "--db", db]) == 0
    assert main(["user", "add", "aud", "--role", "auditor", "--db", db, "--json"]) == 0
    capsys.readouterr()
    assert main(["user", "token", "ana", "--db", db]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("lcd_")
    assert main(["user", "add", "eve", "--role", "administrator", "--db", db,
                 "--user", "ana"]) == 1
    assert "may not users" in capsys.readouterr().err
    assert main(["audit", "log", "--db", db, "--user", "aud", "--json"]) == 0
    assert main(["audit", "log", "--db", db, "--user", "nobody"]) == 1


def test_policy_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "show", "--json"]) == 0
    data = _json(capsys)
    assert isinstance(data, dict)
    assert data["search"]["kinship"]["relative"] == ["missing_person", "unidentified"]
    assert main(["policy", "show"]) == 0
    assert "Search policy matrix" in capsys.readouterr().out


def test_db_migrate_up_to_date(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["db", "migrate", "--db", db, "--json"]) == 0
    assert _json(capsys) == {"applied": []}


def test_env_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LOCARD_DB", str(tmp_path / "env.db"))
    monkeypatch.setenv("LOCARD_USER", "root")
    assert main(["init"]) == 0
    assert (tmp_path / "env.db").exists()
    assert main(["audit", "verify"]) == 0


def test_cmf_rule_at_import_and_export_lists_what_it_left_out(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 28-character specimen ID is refused at import naming the limit; a locus without a
    CODIS name is stored, and ``locard export`` names it as left out of the CMF file."""
    (sid, loci), (_, other) = random_profiles(2, prefix="CO")
    long_id = "CO" + "9" * 26
    f = tmp_path / "batch.json"
    f.write_text(json.dumps([{"specimen_id": sid, "loci": {**loci, "F13A01": ["5", "6"]}},
                             {"specimen_id": long_id, "loci": other}]))
    args = ["import", str(f), "--db", db, "--category", "Convicted Offender",
            "--legal-basis", "conviction"]
    capsys.readouterr()
    assert main(args) == 1
    err = capsys.readouterr().err
    assert long_id in err and "28 characters" in err and "24" in err and "cmf-export" in err
    assert main([*args, "--skip-invalid"]) == 0
    capsys.readouterr()
    out = tmp_path / "out.xml"
    assert main(["export", "--db", db, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Exported 1 specimen(s)" in text and "F13A01" in text and sid in text
    assert main(["export", "--db", db, "--out", str(out), "--json"]) == 0
    data = _json(capsys)
    assert isinstance(data, dict) and data["exported"] == 1 and data["skipped"] == []
    assert [(x["specimen"], x["value"]) for x in data["left_out"]] == [(sid, "F13A01")]
