"""A real SQLite store in tmp_path with two labs and every role, and a TestClient per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.fixtures import random_profiles, write_raw_cmf

from locard.service import Settings, create_app
from locard.store import Store

LAB1, LAB2 = "LAB0001", "LAB0002"
USERS = {  # name: (role, lab)
    "admin": ("administrator", LAB1),
    "ana": ("analyst", LAB1),
    "rev": ("reviewer", LAB1),
    "aud": ("auditor", LAB1),
    "ana2": ("analyst", LAB2),
    "rev2": ("reviewer", LAB2),
}


@dataclass
class Service:
    client: TestClient
    store: Store
    tokens: dict[str, str]
    tmp: Path
    offenders: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def h(self, user: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.tokens[user]}"}

    def upload(self, user: str, path: Path, **form: Any) -> Any:
        with path.open("rb") as fh:
            return self.client.post("/api/v1/imports", headers=self.h(user),
                                    files={"file": (path.name, fh, "application/xml")},
                                    data={k: str(v) for k, v in form.items()})


def make_store(db: Path | str, tmp: Path) -> tuple[Store, dict[str, str], dict[str, Any]]:
    store = Store.init(db, admin="admin", lab=LAB1)
    for name, (role, lab) in USERS.items():
        if name != "admin":
            store.add_user(name, role=role, lab=lab, actor="admin")
    # each user renews their own token (an administrator issues tokens only in their lab)
    tokens = {name: store.issue_token(name, actor=name) for name in USERS}
    profiles = dict(random_profiles(6, seed=11, prefix="CO-"))
    cmf = tmp / "offenders.xml"
    write_raw_cmf(cmf, [(sid, "Convicted Offender", g) for sid, g in profiles.items()],
              source_lab=LAB1)
    store.import_file(cmf, format="cmf", legal_basis="conviction", actor="ana",
                      purpose="setup")
    other = dict(random_profiles(3, seed=12, prefix="L2-"))
    cmf2 = tmp / "lab2.xml"
    write_raw_cmf(cmf2, [(sid, "Convicted Offender", g) for sid, g in other.items()],
              source_lab=LAB2)
    store.import_file(cmf2, format="cmf", legal_basis="conviction", actor="ana2",
                      purpose="setup")
    return store, tokens, {**profiles, **other}


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory
                ) -> tuple[Path, dict[str, str], dict[str, Any]]:
    """Built once (argon2 token hashing is slow on purpose); each test gets a copy."""
    tmp = tmp_path_factory.mktemp("template")
    store, tokens, profiles = make_store(tmp / "locard.db", tmp)
    store.close()  # the last connection to close folds the WAL into the file
    return tmp / "locard.db", tokens, profiles


@pytest.fixture
def service(tmp_path: Path, template_db: tuple[Path, dict[str, str], dict[str, Any]]
            ) -> Iterator[Service]:
    src, tokens, profiles = template_db
    for suffix in ("", "-wal"):
        if Path(f"{src}{suffix}").exists():
            shutil.copyfile(f"{src}{suffix}", tmp_path / f"locard.db{suffix}")
    store = Store.open(tmp_path / "locard.db")
    app = create_app(store=store, settings=Settings(secret_key="test-secret",
                                                    secure_cookies=False,
                                                    max_upload_bytes=200_000))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Service(client, store, tokens, tmp_path, profiles)
    store.close()


def forensic_cmf(path: Path, sid: str, genotype: dict[str, list[str]], lab: str = LAB1) -> Path:
    """A crime-scene profile (forensic unknown) equal to ``genotype``."""
    write_raw_cmf(path, [(sid, "Forensic, Unknown", genotype)], source_lab=lab)
    return path


def login(client: TestClient, user: str, token: str) -> str:
    """Log in through the form; returns the session's CSRF token (read from a page)."""
    import re

    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    r = client.post("/login", data={"username": user, "token": token,
                                    "csrf_token": csrf.group(1)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    home = client.get("/", headers={"accept": "text/html"})
    m = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert m is not None
    return m.group(1)
