"""Smoke test of the service over PostgreSQL (127.0.0.1:5432, database ``test``)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres


def test_service_on_postgres(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sa = pytest.importorskip("sqlalchemy")
    from fastapi.testclient import TestClient
    from tests.service.conftest import forensic_cmf, make_store

    from locard.service import Settings, create_app

    base = "postgresql://postgres@127.0.0.1:5432/test"
    schema = f"svc_{uuid.uuid4().hex[:8]}"
    try:
        admin = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://"))
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # pragma: no cover - no server
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    monkeypatch.setenv("LOCARD_INDEX_DIR", str(tmp_path / "index"))
    url = f"{base}?options=-csearch_path%3D{schema}"
    try:
        store, tokens, profiles = make_store(url, tmp_path)
        app = create_app(store=store, settings=Settings(secure_cookies=False))
        with TestClient(app) as client:
            h = {"authorization": f"Bearer {tokens['ana']}"}
            path = forensic_cmf(tmp_path / "f.xml", "FU-PG", profiles["CO-0000001"])
            with path.open("rb") as fh:
                r = client.post("/api/v1/imports", headers=h, files={"file": ("f.xml", fh)},
                                data={"legal_basis": "casework"})
            assert r.status_code == 201 and r.json()["candidate_matches"]
            r = client.post("/api/v1/searches", headers=h,
                            json={"specimen_id": "FU-PG", "purpose": "PG-1"})
            assert [c["specimen_id"] for c in r.json()["candidates"]] == ["CO-0000001"]
            audit = client.get("/api/v1/audit/verify",
                               headers={"authorization": f"Bearer {tokens['aud']}"})
            assert audit.json()["verified"]
        store.close()
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
