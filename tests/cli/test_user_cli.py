"""`locard user deactivate`: the token is revoked and every session ends (issue 10, item 5)."""

from __future__ import annotations

import json

import pytest

from locard.cli import main
from locard.errors import AuthenticationFailed
from locard.store import Store


def test_user_deactivate(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["user", "add", "ana", "--role", "analyst", "--db", db]) == 0
    assert main(["user", "add", "boss", "--role", "administrator", "--lab", "LAB-B",
                 "--db", db]) == 0
    assert main(["user", "token", "ana", "--db", db]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    # an analyst may not; another lab's administrator may not
    assert main(["user", "deactivate", "ana", "--db", db, "--user", "ana"]) == 1
    assert "may not users" in capsys.readouterr().err
    assert main(["user", "deactivate", "ana", "--db", db, "--user", "boss"]) == 1
    assert "LAB-A" in capsys.readouterr().err
    assert main(["user", "deactivate", "ana", "--db", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"name": "ana", "role": "analyst", "lab": "LAB-A", "active": False}
    with Store.open(db) as store:
        with pytest.raises(AuthenticationFailed):
            store.authenticate_token(token)
        with pytest.raises(AuthenticationFailed):
            store.user("ana")
    assert main(["user", "deactivate", "nobody", "--db", db]) == 1
    assert "no user 'nobody'" in capsys.readouterr().err
