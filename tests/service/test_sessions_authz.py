"""Issue 10, items 2, 5 and 11 through the service: writes confined to the caller's lab,
sessions that logout, token rotation and deactivation end, and rate limits that a trailing
space or a bearer token does not get around."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests.service.conftest import LAB1, LAB2, Service, login

from locard.store import schema as S


def _admin_of_lab2(service: Service) -> dict[str, str]:
    service.store.add_user("admin2", role="administrator", lab=LAB2, actor="admin")
    token = service.store.issue_token("admin2", actor="admin2")
    return {"authorization": f"Bearer {token}"}


def _an_offender_of_lab1(service: Service) -> str:
    return sorted(s for s in service.offenders if s.startswith("CO-"))[0]


# --- item 2: expungement (like every write) stays in the caller's lab ---------------------------


def test_admin_of_another_lab_cannot_expunge(service: Service) -> None:
    c = service.client
    h2 = _admin_of_lab2(service)
    sid = _an_offender_of_lab1(service)
    r = c.post(f"/api/v1/specimens/{sid}/expunge", headers=h2,
               json={"reason": "order", "lab": LAB1, "confirm": sid})
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "permission_denied" and LAB1 in r.json()["detail"]
    # the refusal is the last audit entry, in the name of lab 2's administrator
    with service.store.db.read() as conn:
        last = conn.execute(sa.select(S.audit_log).order_by(S.audit_log.c.seq.desc())
                            .limit(1)).one()
    assert (last.user, last.lab, last.action) == ("admin2", LAB2, "access_refused")
    assert json.loads(last.details)["attempted"] == "expunge"
    # lab 1's offender is intact
    view = c.get(f"/api/v1/specimens/{sid}", headers=service.h("ana"))
    assert view.status_code == 200 and view.json()["profile"]
    assert not service.store.is_expunged(LAB1, sid)
    # lab 1's own administrator may
    r = c.post(f"/api/v1/specimens/{sid}/expunge", headers=service.h("admin"),
               json={"reason": "order", "confirm": sid})
    assert r.status_code == 200, r.text


# --- item 5: sessions end on logout, token rotation and deactivation -----------------------------


def _cookie(client: TestClient) -> str:
    value = client.cookies.get("locard_session")
    assert value
    return value


def _replay(service: Service, cookie: str) -> int:
    fresh = TestClient(service.client.app, raise_server_exceptions=False)
    fresh.cookies.set("locard_session", cookie)
    return fresh.get("/api/v1/me").status_code


def test_cookie_replayed_after_logout_is_refused(service: Service) -> None:
    c = service.client
    csrf = login(c, "rev", service.tokens["rev"])
    cookie = _cookie(c)
    # a second session of the same user, on another browser
    other = TestClient(c.app, raise_server_exceptions=False)
    login(other, "rev", service.tokens["rev"])
    assert _replay(service, cookie) == 200
    r = c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert _replay(service, cookie) == 401
    page = TestClient(c.app, raise_server_exceptions=False)
    page.cookies.set("locard_session", cookie)
    r = page.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert (r.status_code, r.headers.get("location")) == (303, "/login")
    # logout ended every session of the user, and a new login works
    assert other.get("/api/v1/me").status_code == 401
    login(c, "rev", service.tokens["rev"])
    assert c.get("/api/v1/me").status_code == 200
    # the API token was not revoked by logging out
    assert c.get("/api/v1/me", headers=service.h("rev")).status_code == 200


def test_token_rotation_ends_sessions_and_the_old_token(service: Service) -> None:
    c = service.client
    old = service.tokens["rev"]
    assert c.get("/api/v1/me", headers=service.h("rev")).status_code == 200  # now cached
    login(c, "rev", old)
    cookie = _cookie(c)
    new = service.store.issue_token("rev", actor="rev")  # e.g. `locard user token rev`
    assert _replay(service, cookie) == 401
    bare = TestClient(c.app, raise_server_exceptions=False)
    assert bare.get("/api/v1/me", headers={"authorization": f"Bearer {old}"}
                    ).status_code == 401
    assert bare.get("/api/v1/me", headers={"authorization": f"Bearer {new}"}
                    ).status_code == 200


def test_deactivation_through_the_api_ends_sessions_and_token(service: Service) -> None:
    c = service.client
    assert c.get("/api/v1/me", headers=service.h("ana")).status_code == 200  # cached
    login(c, "ana", service.tokens["ana"])
    cookie = _cookie(c)
    bare = TestClient(c.app, raise_server_exceptions=False)
    # not by an analyst, not by another lab's administrator
    r = bare.post("/api/v1/users/ana/deactivate", headers=service.h("rev"))
    assert r.status_code == 403
    r = bare.post("/api/v1/users/ana/deactivate", headers=_admin_of_lab2(service))
    assert r.status_code == 403 and LAB2 in r.json()["detail"]
    assert _replay(service, cookie) == 200
    r = bare.post("/api/v1/users/ana/deactivate", headers=service.h("admin"))
    assert r.status_code == 200, r.text
    assert r.json() == {"user": {"name": "ana", "role": "analyst", "lab": LAB1,
                                 "active": False}}
    assert _replay(service, cookie) == 401
    assert bare.get("/api/v1/me", headers=service.h("ana")).status_code == 401
    assert bare.post("/api/v1/users/nobody/deactivate",
                     headers=service.h("admin")).status_code == 404


# --- item 11: rate limits -------------------------------------------------------------------------


def _try_login(client: TestClient, user: str, token: str) -> int:
    page = client.get("/login")
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert m is not None
    r = client.post("/login", data={"username": user, "token": token,
                                    "csrf_token": m.group(1)}, follow_redirects=False)
    return r.status_code


def test_login_limit_is_keyed_on_the_normalised_user_name(service: Service) -> None:
    c = service.client
    spellings = ["ana", "ana ", " ana", "ANA", "ana\t", "Ana  "]
    statuses = [_try_login(c, name, "lcd_x_wrong") for name in spellings]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    assert _try_login(c, " ana ", service.tokens["ana"]) == 429


def test_login_limit_per_address_across_user_names(service: Service) -> None:
    c = service.client
    limit = service.client.app.state.settings.address_attempts  # type: ignore[attr-defined]
    statuses = [_try_login(c, f"user{i}", "lcd_x_wrong") for i in range(limit + 1)]
    assert statuses[:limit] == [401] * limit and statuses[limit] == 429


def test_bearer_failures_are_limited_per_token_prefix(service: Service) -> None:
    c = service.client
    real = service.tokens["ana"]
    prefix = real.split("_")[1]
    wrong = f"lcd_{prefix}_{'x' * 43}"
    statuses = [c.get("/api/v1/me", headers={"authorization": f"Bearer {wrong}"}).status_code
                for _ in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    r = c.get("/api/v1/me", headers={"authorization": f"Bearer {wrong}"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.json()["error"] == "too_many_requests"
    # the right token of that prefix is refused too while limited; another token is not
    assert c.get("/api/v1/me", headers=service.h("ana")).status_code == 429
    assert c.get("/api/v1/me", headers=service.h("rev")).status_code == 200


def test_bearer_failures_are_limited_per_address(service: Service) -> None:
    c = service.client
    limit = service.client.app.state.settings.address_attempts  # type: ignore[attr-defined]
    statuses = [c.get("/api/v1/me", headers={
        "authorization": f"Bearer lcd_{i:012x}_{'y' * 43}"}).status_code
        for i in range(limit + 1)]
    assert statuses[:limit] == [401] * limit and statuses[limit] == 429
    # a valid token from that address is refused while the address is limited
    assert c.get("/api/v1/me", headers=service.h("rev")).status_code == 429
