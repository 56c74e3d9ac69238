"""One error shape on every route; no 500s under fuzzing; CSRF; login rate limit; pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Mount
from tests.service.conftest import Service, forensic_cmf, login

SHAPE = {"error", "detail", "status"}


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _walk(routes: list[Any]) -> list[Any]:
    """Every route, including those of included routers (FastAPI >= 0.16x nests them)."""
    out = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            out.extend(_walk(list(inner.routes)))
        else:
            out.append(route)
    return out


def _routes(service: Service) -> list[tuple[str, str]]:
    out = []
    for route in _walk(list(service.client.app.routes)):  # type: ignore[attr-defined]
        methods = getattr(route, "methods", None)
        if methods and not isinstance(route, Mount):
            for method in sorted(set(methods) - {"HEAD"}):
                out.append((method, route.path))
    assert len(out) > 20
    return out


def _assert_shape(r: object, status: int | None = None) -> None:
    data = r.json()  # type: ignore[attr-defined]
    assert set(data) == SHAPE, data
    assert data["status"] == r.status_code  # type: ignore[attr-defined]
    assert isinstance(data["error"], str) and isinstance(data["detail"], str)
    assert "Traceback" not in data["detail"]
    if status is not None:
        assert r.status_code == status  # type: ignore[attr-defined]


def test_unauthenticated_error_shape_on_every_route(service: Service) -> None:
    for method, path in _routes(service):
        if path in ("/login", "/openapi.json"):
            continue
        r = service.client.request(method, _fill(path), headers={"accept": "application/json"})
        assert r.status_code in (401, 403, 422), (method, path, r.status_code)
        _assert_shape(r)


def test_wrong_method_and_unknown_path(service: Service) -> None:
    for path in {p for _m, p in _routes(service)}:
        r = service.client.request("DELETE", _fill(path), headers=service.h("ana"))
        _assert_shape(r, 405)
    _assert_shape(service.client.get("/api/v1/nothing", headers=service.h("ana")), 404)
    _assert_shape(service.client.get("/api/v1/matches/abc", headers=service.h("ana")), 422)


def test_auditor_refused_everywhere_but_audit(service: Service) -> None:
    c = service.client
    for method, path in _routes(service):
        if not path.startswith("/api/v1") or path.startswith("/api/v1/audit") \
                or path in ("/api/v1/me", "/api/v1/statistics"):
            continue
        r = c.request(method, _fill(path), headers=service.h("aud"), json={})
        assert r.status_code in (403, 404, 422), (method, path, r.status_code)
        _assert_shape(r)
        assert "alleles" not in r.text


def test_internal_error_is_shaped_and_has_no_trace(service: Service,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(service.store, "counts", boom)
    r = service.client.get("/api/v1/statistics", headers=service.h("ana"))
    _assert_shape(r, 500)
    assert "secret" not in r.text


def test_openapi_is_served(service: Service) -> None:
    spec = service.client.get("/openapi.json").json()
    assert "/api/v1/searches" in spec["paths"] and "/login" not in spec["paths"]


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
                max_size=30)
_json = st.recursive(st.none() | st.booleans() | st.integers(-10**12, 10**12) | _text
                     | st.floats(allow_nan=False, allow_infinity=False),
                     lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(_text, inner, max_size=4), max_leaves=10)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_no_500(service: Service, data: st.DataObject) -> None:
    """Random methods, path parameters, queries and JSON bodies on every API route."""
    routes = [(m, p) for m, p in _routes(service) if p.startswith("/api/v1")]
    method, path = data.draw(st.sampled_from(routes))
    path = re.sub(r"\{[^}]+\}",
                  lambda _m: data.draw(st.sampled_from(["1", "0", "-5", "FU-1", "CO-0000000",
                                                        "%20", "x" * 300, "99999999999"])),
                  path)
    params = data.draw(st.dictionaries(st.sampled_from(["lab", "purpose", "status", "limit",
                                                        "action"]), _text, max_size=3))
    body = data.draw(st.one_of(_json, st.fixed_dictionaries(
        {"specimen_id": _text, "purpose": _text},
        optional={"stringency": _text, "min_loci": st.integers(-3, 50),
                  "mismatches": st.integers(-3, 9), "targets": st.lists(_text, max_size=3),
                  "decision": _text, "note": _text, "reason": _text, "confirm": _text,
                  "pedigree": _json})))
    user = data.draw(st.sampled_from(["ana", "rev", "aud", "ana2", "admin"]))
    r = service.client.request(method, path, params=params, json=body,
                               headers=service.h(user))
    assert r.status_code < 500, (method, path, params, body, r.text)
    if r.status_code >= 400:
        _assert_shape(r)


# --- browser-facing pages ------------------------------------------------------------------


def test_login_pages_and_csrf(service: Service) -> None:
    c = service.client
    csrf = login(c, "rev", service.tokens["rev"])
    cookie = c.cookies.get("locard_session")
    assert cookie
    for path in ("/", "/matches", "/search", "/identify", "/specimens/CO-0000000"):
        r = c.get(path, headers={"accept": "text/html"})
        assert r.status_code == 200, path
        assert "Traceback" not in r.text
    # every POST form needs the CSRF token
    for path, form in (("/search", {"specimen_id": "CO-0000000", "purpose": "C"}),
                       ("/logout", {}), ("/audit/verify", {}),
                       ("/matches/1/decision", {"decision": "rejected", "note": "x"}),
                       ("/expunge", {"specimen_id": "CO-0000000", "reason": "r"})):
        r = c.post(path, data=form)
        _assert_shape(r, 403)
        assert r.json()["error"] == "csrf_failed"
        r = c.post(path, data={**form, "csrf_token": "forged"})
        assert r.json()["error"] == "csrf_failed"
    # cookie-authenticated API writes need the header
    r = c.post("/api/v1/searches", json={"specimen_id": "CO-0000000", "purpose": "C"})
    assert r.json()["error"] == "csrf_failed"
    r = c.post("/api/v1/searches", json={"specimen_id": "CO-0000000", "purpose": "C"},
               headers={"x-csrf-token": csrf})
    assert r.status_code == 200
    r = c.post("/search", data={"specimen_id": "CO-0000000", "purpose": "CASE",
                                "csrf_token": csrf})
    assert r.status_code == 200 and "Results for CO-0000000" in r.text
    # the login form itself is CSRF-protected
    fresh = TestClient(c.app)
    r = fresh.post("/login", data={"username": "rev", "token": service.tokens["rev"]})
    assert r.status_code == 403


def test_session_cookie_flags() -> None:
    from locard.service import Settings

    assert Settings().secure_cookies is True


def test_cookie_is_httponly_strict(service: Service) -> None:
    page = service.client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    r = service.client.post("/login", data={"username": "ana", "token": service.tokens["ana"],
                                            "csrf_token": csrf.group(1)},
                            follow_redirects=False)
    header = r.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=strict" in header


def test_login_rate_limit(service: Service) -> None:
    c = service.client
    statuses = []
    for _ in range(7):
        page = c.get("/login")
        m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert m
        r = c.post("/login", data={"username": "ana", "token": "lcd_x_wrong",
                                   "csrf_token": m.group(1)})
        statuses.append(r.status_code)
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
    assert "retry-after" in r.headers
    # even the right token is refused while limited; another user is not affected
    page = c.get("/login")
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert m
    r = c.post("/login", data={"username": "ana", "token": service.tokens["ana"],
                               "csrf_token": m.group(1)})
    assert r.status_code == 429
    login(c, "rev", service.tokens["rev"])


def test_pages_by_role(service: Service) -> None:
    c = service.client
    login(c, "aud", service.tokens["aud"])
    assert c.get("/audit", headers={"accept": "text/html"}).status_code == 200
    r = c.get("/specimens/CO-0000000", headers={"accept": "text/html"})
    assert r.status_code == 200 and "Audit history" in r.text and "D8S1179" not in r.text
    assert c.get("/matches", headers={"accept": "text/html"}).status_code == 403
    r = c.get("/", headers={"accept": "text/html"})
    assert "Recent activity" in r.text and "<svg" in r.text


def test_upload_page_reports_records(service: Service) -> None:
    c = service.client
    csrf = login(c, "ana", service.tokens["ana"])
    path = forensic_cmf(service.tmp / "w.xml", "FU-W", service.offenders["CO-0000001"])
    with path.open("rb") as fh:
        r = c.post("/upload", data={"csrf_token": csrf, "legal_basis": "casework"},
                   files={"file": ("w.xml", fh)}, headers={"accept": "text/html"})
    assert r.status_code == 200 and "1 imported" in r.text and "forensic" in r.text


def test_expunge_two_steps(service: Service) -> None:
    c = service.client
    csrf = login(c, "admin", service.tokens["admin"])
    r = c.post("/expunge", data={"csrf_token": csrf, "specimen_id": "CO-0000005",
                                 "reason": "court order"})
    assert "Type the specimen ID to confirm" in r.text
    r = c.post("/expunge", data={"csrf_token": csrf, "specimen_id": "CO-0000005",
                                 "reason": "court order", "confirm": "CO-0000", "step": "confirm"})
    assert r.status_code == 400
    r = c.post("/expunge", data={"csrf_token": csrf, "specimen_id": "CO-0000005",
                                 "reason": "court order", "confirm": "CO-0000005",
                                 "step": "confirm"})
    assert r.status_code == 200 and "expunged" in r.text
    assert c.get("/api/v1/specimens/CO-0000005", headers=service.h("ana")).status_code == 404
