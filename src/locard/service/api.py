"""The JSON API, ``/api/v1``. Every route authenticates (bearer token or session cookie) and
acts through a ``Store`` method with the caller's name, so the store checks role and lab,
audits the access and raises ``PermissionDenied``. Errors use the one shape of
:mod:`locard.service.errors`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, Security, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from locard.errors import InputError
from locard.jsonsafe import json_safe
from locard.service import models as M
from locard.service import ops
from locard.service.auth import Principal, authenticate
from locard.service.errors import ServiceError
from locard.service.gateway import SearchGateway
from locard.service.mixtures import DEFAULT_SERVICE_REFIT, MAX_SERVICE_REFIT
from locard.stats.mixture.casefile import CaseFile
from locard.store import Store

__all__ = ["router"]

#: declares the bearer scheme in the OpenAPI schema; ``authenticate`` does the checking (and
#: also accepts the web UI's session cookie, with its CSRF token for writes)
_bearer = HTTPBearer(auto_error=False, description="a token from `locard user token NAME`")
router = APIRouter(prefix="/api/v1", tags=["api"], responses=M.ERROR_RESPONSES,
                   dependencies=[Security(_bearer)])
Caller = Annotated[Principal, Depends(authenticate)]
Text = Annotated[str, Field(min_length=1, max_length=200)]


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _gateway(request: Request) -> SearchGateway:
    gateway: SearchGateway = request.app.state.gateway
    return gateway


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(json_safe(data), status_code=status)


class SearchRequest(BaseModel):
    """Body of ``POST /api/v1/searches``: the query specimen, targets, stringency and purpose."""
    specimen_id: Text
    lab: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    targets: Annotated[list[Annotated[str, Field(min_length=1, max_length=40)]],
                       Field(max_length=10)] | None = None
    stringency: Literal["high", "moderate", "low"] = "moderate"
    min_loci: Annotated[int, Field(ge=1, le=40)] = 8
    mismatches: Annotated[int, Field(ge=0, le=5)] = 0
    purpose: Text
    record: bool = Field(True, description="record the candidates as pending matches")


class DecisionRequest(BaseModel):
    """Body of ``POST /api/v1/matches/{id}/decision``: the decision, a note and, for a correction,
    the decision superseded.
    """
    decision: Literal["confirmed", "rejected"]
    note: Annotated[str, Field(min_length=1, max_length=2000,
                               description="why; required (blank is refused with 400)")]
    supersedes: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = Field(
        None, description="a correction: the id of the match's latest decision, which this "
                          "new decision supersedes (a decision is never edited)")
    purpose: Annotated[str, Field(max_length=200)] | None = None


class ExpungeRequest(BaseModel):
    """Body of ``POST /api/v1/specimens/{id}/expunge``: the reason and the specimen ID again to
    confirm.
    """
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    lab: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    confirm: Annotated[str, Field(max_length=200,
                                  description="the specimen ID again, to confirm")]
    purpose: Annotated[str, Field(max_length=200)] | None = None


class IdentifyRequest(BaseModel):
    """Exactly one of ``pedigree`` and ``case_ref`` (the schema says so with ``oneOf``)."""

    model_config = ConfigDict(json_schema_extra={
        "oneOf": [{"required": ["pedigree"]}, {"required": ["case_ref"]}]})

    pedigree: dict[str, Any] | SkipJsonSchema[None] = Field(
        None, description="a pedigree with the relatives' profiles inline")
    case_ref: Annotated[str, Field(min_length=1, max_length=128)] | SkipJsonSchema[None] = \
        Field(None, description="or: a missing-person case stored in the caller's lab")
    purpose: Text
    limit: Annotated[int, Field(ge=1, le=100)] = 20

    @model_validator(mode="after")
    def _one_source(self) -> IdentifyRequest:
        given = [k for k in ("pedigree", "case_ref") if k in self.model_fields_set]
        if len(given) != 1 or getattr(self, given[0]) is None:
            raise ValueError("give exactly one of 'pedigree' (an object) or 'case_ref' "
                             "(a string)")
        return self


class CaseRequest(BaseModel):
    """Body of ``POST /api/v1/cases``: the case reference, its pedigree file and a purpose."""
    case_ref: Annotated[str, Field(min_length=1, max_length=128)]
    pedigree: dict[str, Any] = Field(
        description="the case file: individuals (id, father, mother, sex, specimen?) and "
                    "'missing'; 'specimen' names a stored reference of the relatives index")
    purpose: Annotated[str, Field(max_length=200)] | None = None


@router.get("/me", summary="The authenticated user", response_model=M.MeResponse)
def me(caller: Caller) -> JSONResponse:
    """The calling user and whether they came with a token or a session."""
    return _json({"user": caller.user.to_dict(), "auth": caller.method})


@router.get("/statistics", summary="Profile counts per index, growth and locus completeness",
            response_model=M.StatisticsResponse)
def statistics(caller: Caller, request: Request) -> JSONResponse:
    """Profile counts per index, daily growth and how many loci the profiles type."""
    stats = ops.index_statistics(_store(request))
    return _json({"counts": stats["counts"], "total": stats["total"],
                  "mixtures": stats["mixtures"],
                  "growth": {k: [{"day": d, "count": n} for d, n in v]
                             for k, v in stats["growth"].items()},
                  "loci_typed": [{"loci": k, "profiles": n} for k, n in stats["loci_typed"]]})


@router.post("/imports", summary="Import a CMF, GeneMapper, CSV or JSON profile file",
             status_code=201, response_model=M.ImportResponse, responses={422: {
                 "model": M.ImportResponse | M.ErrorResponse,
                 "description": "nothing committed: the problems of an all-or-nothing import "
                                "(an import report), or a request that does not match this "
                                "schema (an error)"}})
async def import_file(
    caller: Caller, request: Request,
    file: Annotated[UploadFile, File(description="the profile file")],
    format: Annotated[Literal["auto", "cmf", "genemapper", "csv", "json"], Form()] = "auto",
    category: Annotated[str | None, Form(max_length=80)] = None,
    legal_basis: Annotated[str | None, Form(max_length=40)] = None,
    consent: Annotated[str | None, Form(max_length=80)] = None,
    skip_invalid: Annotated[bool, Form()] = False,
    purpose: Annotated[str | None, Form(max_length=200)] = None,
) -> JSONResponse:
    """Import an uploaded profile file: 201 with the report if committed, 422 if refused.

    Raises ServiceError (413) over the upload limit and InputError for an empty file.
    """
    limit = request.app.state.settings.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise ServiceError(f"upload over the limit of {limit} bytes", status=413)
    if not data:
        raise InputError("the uploaded file is empty")
    from starlette.concurrency import run_in_threadpool

    report = await run_in_threadpool(
        ops.import_upload, _store(request), _gateway(request), data,
        file.filename or "upload", format=format,
        category=category, legal_basis=legal_basis, consent=consent,
        skip_invalid=skip_invalid, actor=caller.name, purpose=purpose)
    return _json(report, 201 if report["committed"] else 422)


@router.get("/specimens/{specimen_id}", summary="One specimen (another lab's: IDs only)",
            response_model=M.SpecimenResponse)
def specimen(caller: Caller, request: Request, specimen_id: str,
             lab: Annotated[str | None, Query(max_length=40)] = None,
             purpose: Annotated[str | None, Query(max_length=200)] = None) -> JSONResponse:
    """One specimen as the caller may see it (another lab's: IDs only); the read is audited."""
    view = _store(request).get_specimen(specimen_id, lab=lab, actor=caller.name,
                                        purpose=purpose)
    return _json(view.to_dict())


@router.post("/specimens/{specimen_id}/expunge", summary="Expunge a specimen (final)",
             response_model=M.ExpungeResponse)
def expunge(caller: Caller, request: Request, specimen_id: str,
            body: ExpungeRequest) -> JSONResponse:
    """Expunge a specimen for good; return the salted reference its tombstone keeps.

    Raises InputError unless ``confirm`` repeats the specimen ID.
    """
    if body.confirm != specimen_id:
        raise InputError("expungement is final: repeat the specimen ID in 'confirm'")
    store = _store(request)
    with _gateway(request).changing():
        ref = store.expunge(specimen_id, reason=body.reason, actor=caller.name,
                            lab=body.lab, purpose=body.purpose)
    return _json({"expunged": True, "specimen_ref": ref})


@router.post("/searches", summary="Search with a stored specimen (purpose required)",
             response_model=M.SearchResponse)
def search(caller: Caller, request: Request, body: SearchRequest) -> JSONResponse:
    """Search the database with a stored specimen and, unless ``record`` is false, record the
    candidates as pending matches.
    """
    outcome = _gateway(request).search(
        specimen_id=body.specimen_id, lab=body.lab, targets=body.targets,
        stringency=body.stringency, min_loci=body.min_loci, mismatches=body.mismatches,
        actor=caller.name, purpose=body.purpose,
        limit=request.app.state.settings.search_limit, record=body.record)
    return _json(outcome.to_dict())


@router.get("/matches", summary="Candidate matches involving your lab",
            response_model=M.MatchListResponse)
def matches(caller: Caller, request: Request,
            status: Annotated[Literal["pending", "confirmed", "rejected"] | None,
                              Query()] = None) -> JSONResponse:
    """The candidate matches involving the caller's lab, optionally only those with one status."""
    found = _store(request).list_matches(actor=caller.name, status=status)
    return _json({"matches": [m.to_dict() for m in found]})


@router.get("/matches/{match_id}", summary="A candidate match, per locus, with statistics",
            response_model=M.MatchDetailResponse)
def match(caller: Caller, request: Request, match_id: int) -> JSONResponse:
    """One candidate match with both profiles per locus and its statistics."""
    detail = ops.match_detail(_store(request), match_id, actor=caller.name)
    return _json(detail.to_dict())


@router.post("/matches/{match_id}/decision", summary="Confirm or reject a candidate match",
             response_model=M.MatchOut,
             responses={409: {"model": M.ErrorResponse,
                              "description": "the match is already decided: a correction "
                                             "names the latest decision in `supersedes`"}})
def decide(caller: Caller, request: Request, match_id: int,
           body: DecisionRequest) -> JSONResponse:
    """Confirm or reject a match, or, with ``supersedes``, correct its latest decision."""
    store = _store(request)
    ops.find_match(store, match_id, actor=caller.name)
    if body.supersedes is None:
        decided = store.decide_match(match_id, body.decision, actor=caller.name,
                                     note=body.note, purpose=body.purpose)
    else:
        decided = store.correct_match_decision(match_id, body.decision, actor=caller.name,
                                               note=body.note, supersedes=body.supersedes,
                                               purpose=body.purpose)
    return _json(decided.to_dict())


def report_response(store: Store, match_id: int, caller: Principal) -> Response:
    """The PDF report of match ``match_id`` as an attachment (shared by the API and the web page).
    """
    from locard.service.reports import match_report_pdf
    from locard.store.matches import report_detail

    detail = report_detail(store, match_id, actor=caller.name)
    pdf = match_report_pdf(detail, reviewer=caller.name)
    return Response(pdf, media_type="application/pdf", headers={
        "content-disposition": f'attachment; filename="locard-match-{match_id}.pdf"'})


@router.get("/matches/{match_id}/report.pdf", summary="PDF report of a confirmed match",
            response_class=Response, responses={200: {
                "description": "the report", "content": {"application/pdf": {
                    "schema": {"type": "string", "format": "binary"}}}}})
def report(caller: Caller, request: Request, match_id: int) -> Response:
    """The PDF report of a match."""
    return report_response(_store(request), match_id, caller)


@router.post("/identify", summary="Rank candidates for a missing person by kinship LR",
             response_model=M.IdentifyResponse)
def identify(caller: Caller, request: Request, body: IdentifyRequest) -> JSONResponse:
    """Rank the database's candidates for a missing person by kinship LR, from a pedigree or a
    registered case.
    """
    source: dict[str, Any] | str = body.pedigree if body.pedigree is not None else \
        str(body.case_ref)
    return _json(_gateway(request).identify(source, actor=caller.name, purpose=body.purpose,
                                           limit=body.limit))


class MixtureRankRequest(BaseModel):
    """Body of ``POST /api/v1/mixtures/rank``: a case file whose Hp names CANDIDATE, and the ranking
    options.
    """
    case: CaseFile = Field(description="the case file (docs/mixture.md) whose Hp names the "
                                       "database candidate CANDIDATE")
    purpose: Text
    index: Annotated[list[Annotated[str, Field(min_length=1, max_length=40)]],
                     Field(max_length=10)] | None = Field(
        None, description="indices to rank (default: what the policy matrix allows)")
    top: Annotated[int, Field(ge=1, le=1000)] = 50
    threshold: Annotated[float, Field(gt=0, le=1e300)] | None = Field(
        None, description="only candidates with LR >= this")
    trace: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        None, description="the stored trace (a specimen ID of your lab) the evidence comes "
                          "from: hits become candidate matches for review")
    hd_once: bool = Field(False, description="leave the candidate out of Hd (SmartRank)")
    q_shutdown_hp: bool = Field(False, description="Hp's unknowns carry evidence alleles "
                                                   "only, no Q (SmartRank's default; "
                                                   "`--q-shutdown-hp`)")
    refit: Annotated[int, Field(ge=0)] = Field(
        DEFAULT_SERVICE_REFIT,
        description="continuous cases: refit this many of the best candidates by full maximum "
                    f"likelihood (at most {MAX_SERVICE_REFIT} in the service: seconds each; "
                    "more: `locard mixture rank --refit K`)")


def _case_data(case: CaseFile) -> dict[str, Any]:
    """The case file as sent (what ``parse_case`` reads from a file)."""
    return case.model_dump(by_alias=True, exclude_unset=True)


@router.post("/mixtures/lr", summary="The LR of a mixture case file, semi-continuous (LRmix) "
             "or continuous (peak heights; at most 3 unknowns per hypothesis) (as "
             "`locard mixture lr --json`)",
             response_model=M.MixtureLRResponse | M.ContinuousMixtureLRResponse)
async def mixture_lr(caller: Caller, body: CaseFile) -> JSONResponse:
    """The fit runs in a worker thread (a 3-person continuous case takes seconds); a
    continuous case with more than 3 unknowns in a hypothesis is refused (400, remedy: the
    CLI)."""
    from starlette.concurrency import run_in_threadpool

    from locard.service.mixtures import mixture_lr as compute

    return _json(await run_in_threadpool(compute, _case_data(body), source="case file"))


@router.post("/mixtures/rank", summary="Rank the database by a mixed trace's LR, "
             "semi-continuous or continuous (purpose required; as `locard mixture rank "
             "--json`)", response_model=M.MixtureRankResponse | M.ContinuousMixtureRankResponse)
async def mixture_rank(caller: Caller, request: Request, body: MixtureRankRequest
                       ) -> JSONResponse:
    """Rank the database's profiles by the LR of a mixed trace with each as CANDIDATE, in a
    worker thread (a continuous ranking refits its best ``refit`` candidates by maximum
    likelihood, seconds each); a continuous case with more than 3 unknowns in a hypothesis or
    ``refit`` above 5 is refused (400, remedy: the CLI)."""
    from starlette.concurrency import run_in_threadpool

    from locard.service.mixtures import load_rank_case

    def compute() -> dict[str, Any]:
        case, table = load_rank_case(_case_data(body.case), refit=body.refit,
                                     hd_once=body.hd_once, q_shutdown_hp=body.q_shutdown_hp)
        return _gateway(request).rank_mixture(
            case, table=table, actor=caller.name, purpose=body.purpose, top=body.top,
            threshold=body.threshold, indices=body.index or None, trace=body.trace,
            hd_conditioned=not body.hd_once, q_shutdown_hp=body.q_shutdown_hp,
            refit=body.refit)

    return _json(await run_in_threadpool(compute))


@router.get("/cases", summary="The caller's lab's missing-person cases",
            response_model=M.CaseListResponse)
def cases(caller: Caller, request: Request) -> JSONResponse:
    """The missing-person cases of the caller's lab."""
    from locard.store.cases import list_cases

    return _json({"cases": [c.to_dict() for c in list_cases(_store(request),
                                                             actor=caller.name)]})


@router.post("/cases", summary="Register a missing-person case (pedigree + relatives' "
             "references)", status_code=201, response_model=M.CaseResponse)
def add_case(caller: Caller, request: Request, body: CaseRequest) -> JSONResponse:
    """Register a missing-person case from its pedigree; 201 with the case."""
    from locard.store.cases import add_case, parse_case_pedigree

    pedigree, members = parse_case_pedigree(body.pedigree)
    case = add_case(_store(request), body.case_ref, pedigree, members, actor=caller.name,
                    purpose=body.purpose)
    return _json(case.to_dict(), status=201)


@router.get("/cases/{case_ref}", summary="One missing-person case (links and digests, no "
            "genotypes)", response_model=M.CaseResponse)
def case(caller: Caller, request: Request, case_ref: str,
         purpose: Annotated[str | None, Query(max_length=200)] = None) -> JSONResponse:
    """One missing-person case (links and digests, no profiles)."""
    from locard.store.cases import get_case

    return _json(get_case(_store(request), case_ref, actor=caller.name,
                          purpose=purpose).to_dict())


@router.post("/users/{name}/deactivate", response_model=M.DeactivateResponse,
             summary="Deactivate a user of your lab (administrators): the token is revoked "
                     "and every session ends at once")
def deactivate_user(caller: Caller, request: Request,
                    name: Annotated[str, PathParam(min_length=1, max_length=128)]
                    ) -> JSONResponse:
    """Deactivate a user and forget their cached tokens; return the user."""
    user = _store(request).deactivate_user(name, actor=caller.name)
    request.app.state.tokens.forget_user(name)
    return _json({"user": user.to_dict()})


@router.get("/audit", summary="The audit log (auditors, administrators)",
            response_model=M.AuditResponse)
def audit(caller: Caller, request: Request,
          limit: Annotated[int, Query(ge=1, le=1000)] = 200,
          before: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Entries "
                                              "older than this seq (the previous page's "
                                              "next).")] = None,
          after: Annotated[int | None, Query(ge=0, le=2**63 - 1, description="Entries "
                                             "newer than this seq, oldest first.")] = None,
          user: Annotated[str | None, Query(max_length=128)] = None,
          action: Annotated[str | None, Query(max_length=40)] = None,
          since: Annotated[str | None, Query(max_length=40, description="ISO date or time "
                                             "(UTC unless an offset is given).")] = None,
          until: Annotated[str | None, Query(max_length=40, description="ISO date (the whole "
                                             "day) or time.")] = None) -> JSONResponse:
    """A page of the caller's lab's audit log, newest first, read by key (``before``)."""
    page = _store(request).audit_page(actor=caller.name, limit=limit, before_seq=before,
                                      after_seq=after, user=user or None,
                                      action=action or None, since=since, until=until)
    return _json({"entries": [e.to_dict() for e in page.entries],
                  "next": page.next_after if after is not None else page.next_before})


@router.get("/audit/verify", summary="Verify the audit hash chain",
            response_model=M.AuditVerifyResponse)
def audit_verify(caller: Caller, request: Request) -> JSONResponse:
    """Verify the audit hash chain; return the number of entries.

    Raises AuditChainBroken naming the first bad entry.
    """
    store = _store(request)
    store.audit_entries(actor=caller.name, limit=1)  # role check, and the read is audited
    n = store.verify_audit()
    return _json({"verified": True, "entries": n})
