"""The audit through the service: lab-scoped reads (API, audit page, dashboard, specimen
history), keyset paging with filters, and search on entry resumed when the service starts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from locard.service import Settings, create_app
from locard.store import Store
from locard.store import schema as S
from locard.store.searching import EntrySearch, enable_search_on_entry

from .conftest import LAB1, LAB2, Service, forensic_cmf, login

HTML = {"accept": "text/html"}


def _admin_b(service: Service) -> str:
    service.store.add_user("admin2", role="administrator", lab=LAB2, actor="admin")
    token = service.store.issue_token("admin2", actor="admin2")
    service.tokens["admin2"] = token
    return token


def test_other_labs_admin_reads_only_its_own_audit(service: Service) -> None:
    c = service.client
    _admin_b(service)
    # lab A's activity: a view with a case number
    assert c.get("/api/v1/specimens/CO-0000001?purpose=CASE-A-SECRET",
                 headers=service.h("ana")).status_code == 200
    r = c.get("/api/v1/audit?limit=1000", headers=service.h("admin2"))
    assert r.status_code == 200
    entries = r.json()["entries"]
    assert entries and {e["lab"] for e in entries} == {LAB2}
    for secret in ("CASE-A-SECRET", '"ana"', '"rev"', '"aud"'):
        assert secret not in r.text, secret
    # lab A's auditor sees lab A's entries, not lab B's
    r = c.get("/api/v1/audit?limit=1000", headers=service.h("aud"))
    assert {e["lab"] for e in r.json()["entries"]} == {LAB1}
    assert "CASE-A-SECRET" in r.text
    # the web audit page, the dashboard and a specimen's history, as lab B's administrator
    login(c, "admin2", service.tokens["admin2"])
    for url in ("/audit?limit=1000", "/", "/specimens/CO-0000001?lab=" + LAB1):
        page = c.get(url, headers=HTML)
        assert page.status_code == 200, url
        assert "CASE-A-SECRET" not in page.text, url
        assert not re.search(r">\s*ana\s*<", page.text), url


def test_audit_api_pages_by_key_with_filters(service: Service) -> None:
    c = service.client
    for i in range(5):
        c.get(f"/api/v1/specimens/CO-000000{i}?purpose=P-{i}", headers=service.h("ana"))
    seen: list[int] = []
    url = "/api/v1/audit?limit=4&user=ana&action=view"
    while url:
        body = c.get(url, headers=service.h("aud")).json()
        assert len(body["entries"]) <= 4
        seen.extend(e["seq"] for e in body["entries"])
        assert {(e["user"], e["action"]) for e in body["entries"]} <= {("ana", "view")}
        url = (f"/api/v1/audit?limit=4&user=ana&action=view&before={body['next']}"
               if body["next"] is not None else "")
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)
    purposes = [e["purpose"] for e in c.get("/api/v1/audit?user=ana&action=view",
                                            headers=service.h("aud")).json()["entries"]]
    assert purposes == ["P-4", "P-3", "P-2", "P-1", "P-0"]
    body = c.get(f"/api/v1/audit?after={seen[-1]}&limit=2&user=ana",
                 headers=service.h("aud")).json()
    assert [e["seq"] for e in body["entries"]] == sorted(seen)[1:3]
    assert body["next"] == sorted(seen)[2]
    assert c.get("/api/v1/audit?since=2999-01-01",
                 headers=service.h("aud")).json()["entries"] == []
    r = c.get("/api/v1/audit?since=yesterday", headers=service.h("aud"))
    assert r.status_code == 400 and "since" in r.json()["detail"]
    # the web page pages the same way
    login(c, "aud", service.tokens["aud"])
    page = c.get("/audit?limit=2&user=ana&action=view", headers=HTML)
    older = re.search(r'href="(/audit\?[^"]*before=\d+[^"]*)" id="older"', page.text)
    assert page.status_code == 200 and older is not None
    assert c.get(older.group(1).replace("&amp;", "&"), headers=HTML).status_code == 200


class Crash(RuntimeError):
    pass


def test_service_start_resumes_pending_searches(tmp_path: Path, service: Service,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """An import whose search on entry died after the commit: the next start records the hit."""
    monkeypatch.setenv("LOCARD_INDEX_DIR", str(tmp_path / "indices"))
    db = service.tmp / "locard.db"
    store = Store.open(db)
    enable_search_on_entry(store, actor="ana", purpose="ENTRY")
    trace = forensic_cmf(tmp_path / "trace.xml", "FU-CRASH", service.offenders["CO-0000003"])

    def crash(self: EntrySearch, *args: object, **kwargs: object) -> None:
        raise Crash("killed")

    with monkeypatch.context() as m:
        m.setattr(EntrySearch, "find", crash)
        with pytest.raises(Crash):
            store.import_file(trace, legal_basis="casework", actor="ana", purpose="CASE-X")
    with store.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(S.search_outbox)
                            ).scalar_one() == 1
    store.close()
    again = Store.open(db)
    app = create_app(store=again, settings=Settings(secret_key="t", secure_cookies=False))
    with TestClient(app) as client:
        matches = client.get("/api/v1/matches", headers=service.h("rev")).json()["matches"]
    again.close()
    assert [(m["query_specimen"], m["candidate_specimen"]) for m in matches
            if m["query_specimen"] == "FU-CRASH"] == [("FU-CRASH", "CO-0000003")]
