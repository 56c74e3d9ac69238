"""`locard audit log`: the reader's lab only, with the filters and the cursor of the API."""

from __future__ import annotations

import json
from typing import Any

import pytest

from locard.cli import main


def _log(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> Any:
    capsys.readouterr()
    assert main(["audit", "log", "--db", db, "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_audit_log_is_lab_scoped_and_filtered(db: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["user", "add", "aud", "--role", "auditor", "--db", db]) == 0
    assert main(["user", "add", "boss", "--role", "administrator", "--lab", "LAB-B",
                 "--db", db]) == 0
    mine = _log(capsys, db, "--user", "aud")
    assert mine and {e["lab"] for e in mine} == {"LAB-A"}
    theirs = _log(capsys, db, "--user", "boss")
    assert theirs and {e["lab"] for e in theirs} == {"LAB-B"}
    assert all(e["user"] == "boss" for e in theirs)  # lab A's names are not shown
    adds = _log(capsys, db, "--user", "aud", "--by", "chief", "--action", "user_change")
    assert [e["details"]["name"] for e in adds] == ["aud", "boss"]
    older = _log(capsys, db, "--user", "aud", "--action", "user_change",
                 "--before", str(adds[-1]["seq"]))
    assert [e["seq"] for e in older] == [adds[0]["seq"]]
    assert _log(capsys, db, "--user", "aud", "--since", "2999-01-01") == []
    assert main(["audit", "log", "--db", db, "--user", "aud", "--until", "soon"]) == 1
    assert "until" in capsys.readouterr().err
