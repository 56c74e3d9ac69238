"""Schemathesis against the ASGI app in-process: the OpenAPI schema at ``/openapi.json`` is
true. Every ``/api/v1`` operation gets Schemathesis's deterministic coverage phase and a
bounded, derandomized run of schema-valid (positive) and schema-violating (negative) requests,
authenticated with a real token of a test user; every response goes through the checks named
in ``CHECKS`` (no 5xx; status code, content type, headers and body as declared; invalid data
refused, valid data accepted; the bearer scheme enforced). The response models forbid fields
they do not name, so an undeclared field fails too; the real bodies of stored matches,
decisions, cases and expungements are checked as well, and two tests show that the run
reports a schema made false."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi import checks as openapi_checks
from tests.service.conftest import Service, forensic_cmf

from locard.service import Settings, create_app

#: per operation and generation mode; bounded so the whole run stays short
MAX_EXAMPLES = 20

#: A schema-valid request may still be refused for what a schema cannot say: a file that is
#: not a profile file, a specimen ID that is not stored or not repeated in 'confirm', a record
#: the policy refuses. Those answers are 400 (input error), 404 and 422 (an import's refused
#: records, in the import report shape), each declared in the schema with its body.
POSITIVE_EXPECTED = ["2XX", "400", "401", "403", "404", "409", "422"]

#: the checks every response goes through, named (not left to whatever the installed
#: Schemathesis enables by default): no 5xx; status, content type, headers and body as the
#: schema declares them for that status; schema-violating requests refused with a 4xx and
#: schema-valid ones accepted (or refused only as POSITIVE_EXPECTED says); the bearer scheme
#: enforced (the request again without the token, and with a wrong one, must get 401)
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.positive_data_acceptance,
    openapi_checks.missing_required_header,
    openapi_checks.unsupported_method,
    openapi_checks.ignored_auth,
]


def _config(token: str) -> SchemathesisConfig:
    """The test user's real token for the declared bearer scheme (the auth checks take it off
    and put a wrong one on to see the API refuse), and the statuses above."""
    return SchemathesisConfig.from_dict({
        "auth": {"openapi": {"HTTPBearer": {"bearer": token}}},
        "checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_EXPECTED}}})


def _exercise(operation: Any, mode: GenerationMode, statuses: set[int],
              max_examples: int = MAX_EXAMPLES) -> list[str]:
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=max_examples, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        try:
            response = case.call_and_validate(checks=CHECKS)
            statuses.add(response.status_code)
        except FailureGroup as group:
            for failure in group.exceptions:
                text = f"{operation.label} [{mode.value}] {failure.title}: {failure.message}"
                if text not in failures:
                    failures.append(text)
        except Exception as exc:  # the app raised (in-process, a 5xx arrives as its exception)
            text = f"{operation.label} [{mode.value}] server error: {type(exc).__name__}: {exc}"
            text = text.splitlines()[0]
            if text not in failures:
                failures.append(text)

    run()
    return failures


def _coverage(operation: Any, statuses: set[int]) -> list[str]:
    """Schemathesis's coverage phase for one operation: a fixed set of requests at and just
    past every declared bound (lengths, ranges, enums, required fields, wrong types, missing
    auth, other methods), deterministic where the fuzzing above is by chance. (The driver is
    Schemathesis's own, as its engine runs it; the version is pinned in pyproject.)"""
    from schemathesis.generation.drivers import CoverageGenerator
    from schemathesis.generation.feedback import NO_FEEDBACK
    from schemathesis.generation.overrides import Override

    generation = operation.schema.config.generation_for(operation=operation, phase="coverage")
    failures: list[str] = []
    for case in CoverageGenerator(operation=operation, generation_modes=list(GenerationMode),
                                  generation_config=generation, auth_storage=None,
                                  override=Override(), feedback=NO_FEEDBACK):
        try:
            statuses.add(case.call_and_validate(checks=CHECKS).status_code)
        except FailureGroup as group:
            failures += [f"{operation.label} [coverage] {f.title}: {f.message}"
                         for f in group.exceptions]
        except Exception as exc:
            failures.append(f"{operation.label} [coverage] server error: "
                            f"{type(exc).__name__}: {exc}".splitlines()[0])
    return list(dict.fromkeys(failures))


def _app(service: Service) -> Any:
    """The fixture's store behind an app whose failed-authentication limit the run cannot
    reach: the auth checks send hundreds of wrong tokens, and the limit (429) has tests of its
    own."""
    return create_app(store=service.store, settings=Settings(
        secret_key="test-secret", secure_cookies=False, max_upload_bytes=200_000,
        login_attempts=1_000_000, address_attempts=1_000_000))


def _operations(schema: Any) -> tuple[list[Any], list[str]]:
    operations, invalid = [], []
    for result in schema.get_all_operations():
        if isinstance(result, Ok):
            operations.append(result.ok())
        else:
            invalid.append(f"invalid schema: {result.err()}")
    return operations, invalid


def test_api_conforms_to_its_schema(service: Service) -> None:
    # Nothing is excluded: expunge is exercised too (a generated request cannot expunge a
    # stored specimen unless it repeats its ID in 'confirm', and the fixture store is a copy).
    schema = schemathesis.openapi.from_asgi("/openapi.json", _app(service),
                                            config=_config(service.tokens["admin"]))
    operations, failures = _operations(schema)
    assert len(operations) >= 17
    answered: dict[str, set[int]] = {}
    for operation in operations:
        assert operation.path.startswith("/api/v1/")
        statuses = answered.setdefault(operation.label, set())
        failures += _coverage(operation, statuses)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _exercise(operation, mode, statuses)
    assert not failures, "\n".join(failures)
    # the run was authenticated and reached the routes' bodies, not only the 401 and 422 of
    # the doors: these operations answered their success status at least once
    for label in ("GET /api/v1/me", "GET /api/v1/statistics", "GET /api/v1/matches",
                  "GET /api/v1/cases", "GET /api/v1/audit", "GET /api/v1/audit/verify"):
        assert 200 in answered[label], (label, answered[label])


def _broken(service: Service, label: str, breaking: Callable[[dict[str, Any]], None]
            ) -> list[str]:
    """The run of one operation against the app's schema with one thing made false."""
    app = _app(service)
    spec = copy.deepcopy(app.openapi())
    method, path = label.split(" ", 1)
    breaking(spec["paths"][path][method.lower()])
    schema = schemathesis.openapi.from_dict(spec, config=_config(service.tokens["admin"]))
    schema.app = app
    operations, invalid = _operations(schema)
    assert not invalid
    failures: list[str] = []
    for operation in operations:
        if operation.label == label:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures += _exercise(operation, mode, set(), max_examples=10)
    return failures


def test_the_run_finds_an_undeclared_status(service: Service) -> None:
    # the run can fail: with 404 taken out of a route's responses, the 404 of an unknown
    # specimen is reported
    failures = _broken(service, "GET /api/v1/specimens/{specimen_id}",
                       lambda op: op["responses"].pop("404"))
    assert any("Undocumented status code" in f and "Received: 404" in f
               for f in failures), failures


def test_the_run_finds_a_false_body_schema(service: Service) -> None:
    # ... and with a field of a response declared with the wrong type, the body is reported
    def breaking(op: dict[str, Any]) -> None:
        op["responses"]["200"]["content"]["application/json"]["schema"] = {
            "type": "object", "required": ["auth"], "properties": {"auth": {"type": "integer"}}}

    failures = _broken(service, "GET /api/v1/me", breaking)
    assert any("Response violates schema" in f for f in failures), failures


#: the checks of a response the test obtained itself (no generated request to compare with)
RESPONSE_CHECKS: list[CheckFunction] = [
    not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
]


def test_real_bodies_conform_to_their_schema(service: Service) -> None:
    # Generated requests rarely name a stored match, case or specimen; here each route answers
    # about real ones (a match found on entry, decided and corrected; a case; an expungement),
    # and every answer, success or error, is checked against the schema of its status.
    from tests.service.test_api import _entry
    from tests.service.test_cases_api import _family

    schema = schemathesis.openapi.from_asgi("/openapi.json", _app(service),
                                            config=_config(service.tokens["admin"]))
    operations = {op.label: op for op in _operations(schema)[0]}
    c, h = service.client, service.h
    checked: list[str] = []
    failures: list[str] = []

    def check(label: str, response: Any, status: int) -> Any:
        assert response.status_code == status, (label, response.status_code, response.text)
        try:
            operations[label].Case().validate_response(response, checks=RESPONSE_CHECKS)
        except FailureGroup as group:
            failures.extend(f"{label} {response.status_code} {f.title}: {f.message}"
                            for f in group.exceptions)
        checked.append(label)
        return response.json() if status != 200 or not label.endswith(".pdf") else None

    mid = _entry(service)  # an import with search on entry (its 201 is checked below)
    trace = forensic_cmf(service.tmp / "FU-2.xml", "FU-2", service.offenders["CO-0000001"])
    check("POST /api/v1/imports", service.upload("ana", trace, legal_basis="casework"), 201)
    check("POST /api/v1/imports", service.upload("ana", trace, legal_basis="casework"), 422)
    check("GET /api/v1/me", c.get("/api/v1/me", headers=h("rev")), 200)
    check("GET /api/v1/statistics", c.get("/api/v1/statistics", headers=h("rev")), 200)
    check("GET /api/v1/matches", c.get("/api/v1/matches", headers=h("rev")), 200)
    check("GET /api/v1/matches/{match_id}", c.get(f"/api/v1/matches/{mid}", headers=h("rev")),
          200)
    decision = f"/api/v1/matches/{mid}/decision"
    first = check("POST /api/v1/matches/{match_id}/decision", c.post(
        decision, headers=h("rev"), json={"decision": "rejected", "note": "TH01 differs"}), 200)
    check("POST /api/v1/matches/{match_id}/decision", c.post(
        decision, headers=h("rev"), json={"decision": "confirmed", "note": "again"}), 409)
    check("POST /api/v1/matches/{match_id}/decision", c.post(
        decision, headers=h("rev"), json={"decision": "confirmed", "note": "a reading error",
                                          "supersedes": first["decision_id"]}), 200)
    detail = check("GET /api/v1/matches/{match_id}",
                   c.get(f"/api/v1/matches/{mid}", headers=h("rev")), 200)
    assert len(detail["decisions"]) == 2 and detail["statistics"]["per_locus"]
    check("GET /api/v1/matches/{match_id}/report.pdf",
          c.get(f"/api/v1/matches/{mid}/report.pdf", headers=h("rev")), 200)
    check("GET /api/v1/specimens/{specimen_id}",
          c.get("/api/v1/specimens/CO-0000000", headers=h("ana")), 200)
    check("GET /api/v1/specimens/{specimen_id}", c.get(
        "/api/v1/specimens/CO-0000000?lab=LAB0001", headers=h("ana2")), 200)
    found = check("POST /api/v1/searches", c.post("/api/v1/searches", headers=h("ana"), json={
        "specimen_id": "FU-2", "purpose": "CASE-2", "record": False}), 200)
    assert found["candidates"]
    body = _family(service)
    check("POST /api/v1/cases", c.post("/api/v1/cases", headers=h("ana"), json=body), 201)
    check("GET /api/v1/cases", c.get("/api/v1/cases", headers=h("ana")), 200)
    check("GET /api/v1/cases/{case_ref}", c.get("/api/v1/cases/MP-77", headers=h("ana")), 200)
    check("POST /api/v1/identify", c.post("/api/v1/identify", headers=h("ana"), json={
        "case_ref": "MP-77", "purpose": "MP-77", "limit": 3}), 200)
    from tests.cli.test_mixture_cli import CASE as MIXTURE_CASE
    from tests.service.test_mixtures_api import _rank_case

    check("POST /api/v1/mixtures/lr", c.post("/api/v1/mixtures/lr", headers=h("ana"),
                                             json=MIXTURE_CASE), 200)
    check("POST /api/v1/mixtures/lr", c.post("/api/v1/mixtures/lr", headers=h("ana"), json={
        **MIXTURE_CASE, "frequencies": {"table": "/etc/passwd"}}), 400)
    check("POST /api/v1/mixtures/rank", c.post("/api/v1/mixtures/rank", headers=h("ana"), json={
        "case": _rank_case(service), "purpose": "CASE-M1", "top": 3}), 200)
    check("POST /api/v1/mixtures/rank", c.post("/api/v1/mixtures/rank", headers=h("aud"), json={
        "case": _rank_case(service), "purpose": "CASE-M1"}), 403)
    from tests.service.test_mixture_continuous_api import rank_case

    check("POST /api/v1/mixtures/rank", c.post("/api/v1/mixtures/rank", headers=h("ana"), json={
        "case": rank_case(service), "purpose": "CASE-M1", "top": 3, "refit": 1}), 200)
    check("POST /api/v1/mixtures/rank", c.post("/api/v1/mixtures/rank", headers=h("ana"), json={
        "case": rank_case(service), "purpose": "CASE-M1", "refit": 6}), 400)
    from tests.service.test_ce_pages import IF, LADDER, VICTIM, _files

    if IF.is_dir():  # the CE runs are reference data (../shared/data/ce)
        check("POST /api/v1/ce/analyze", c.post(
            "/api/v1/ce/analyze", headers=h("ana"), data={"kit": "Identifiler"},
            files=_files(VICTIM) + _files(LADDER, name="ladder")), 200)
        check("POST /api/v1/ce/analyze", c.post(
            "/api/v1/ce/analyze", headers=h("aud"), data={"kit": "Identifiler"},
            files=_files(VICTIM) + _files(LADDER, name="ladder")), 403)
    else:
        operations.pop("POST /api/v1/ce/analyze", None)
    page = check("GET /api/v1/audit", c.get("/api/v1/audit?limit=3", headers=h("aud")), 200)
    assert page["next"] is not None
    check("GET /api/v1/audit", c.get(f"/api/v1/audit?limit=3&before={page['next']}",
                                     headers=h("aud")), 200)
    # seq is a 64-bit integer: past it the parameter is refused (422), not a 500 from SQLite
    check("GET /api/v1/audit", c.get(f"/api/v1/audit?before={2**63 - 1}", headers=h("aud")),
          200)
    check("GET /api/v1/audit", c.get(f"/api/v1/audit?after={2**63}", headers=h("aud")), 422)
    check("GET /api/v1/audit/verify", c.get("/api/v1/audit/verify", headers=h("aud")), 200)
    check("POST /api/v1/specimens/{specimen_id}/expunge", c.post(
        "/api/v1/specimens/L2-0000000/expunge", headers=h("admin"),
        json={"reason": "court order", "confirm": "L2-0000000", "lab": "LAB0002"}), 403)
    check("POST /api/v1/specimens/{specimen_id}/expunge", c.post(
        "/api/v1/specimens/CO-0000005/expunge", headers=h("admin"),
        json={"reason": "court order", "confirm": "CO-0000005"}), 200)
    check("POST /api/v1/users/{name}/deactivate",
          c.post("/api/v1/users/ana2/deactivate", headers=h("admin")), 403)
    check("POST /api/v1/users/{name}/deactivate",
          c.post("/api/v1/users/ana/deactivate", headers=h("admin")), 200)
    assert not failures, "\n".join(failures)
    assert set(checked) == set(operations), set(operations) - set(checked)
