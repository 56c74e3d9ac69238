"""The browser pages: server-rendered Jinja2, a little CSS and progressive-enhancement JS.

Every page needs a session (the login form takes a user name and that user's API token); every
POST form carries the session's CSRF token. What a page shows comes from the same store calls
as the API, with the same role and lab checks and the same audit entries.
"""

from __future__ import annotations

import math
import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from locard.display import format_number
from locard.errors import AuthenticationFailed, InputError, LocardError, PermissionDenied
from locard.service import ops
from locard.service.auth import (
    SESSION_COOKIE,
    Principal,
    check_csrf,
    client_ip,
    session_principal,
)
from locard.service.errors import ServiceError, error_code
from locard.service.explain import explanation
from locard.service.gateway import SearchGateway, identify_available
from locard.service.svg import bar_chart, growth_chart, pedigree_svg
from locard.store import PERMISSIONS, Store
from locard.store.statistics import one_in

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
LOGIN_CSRF = "locard_login_csrf"


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _gateway(request: Request) -> SearchGateway:
    gateway: SearchGateway = request.app.state.gateway
    return gateway


def _principal(request: Request) -> Principal:
    p = session_principal(request)
    if p is None:
        raise AuthenticationFailed("please log in")
    return p


def _can(p: Principal, action: str) -> bool:
    return p.user.role in PERMISSIONS[action]


def page_context(request: Request, p: Principal | None) -> dict[str, Any]:
    """What base.html needs (the user, the CSRF token, the navigation's role checks)."""
    return {"user": p.user if p else None, "csrf": p.csrf if p else "",
            "can": (lambda a: _can(p, a)) if p else (lambda a: False),
            "identify": identify_available(), "path": request.url.path}


def error_page_context(request: Request) -> dict[str, Any]:
    """base.html's context for an error page: the session's user when there is a valid one,
    so that the page keeps the navigation; none (and no error of its own) otherwise."""
    try:
        p = session_principal(request)
    except Exception:  # an error page must render whatever broke the session
        p = None
    return page_context(request, p)


def _render(request: Request, template: str, p: Principal | None, status: int = 200,
            **ctx: Any) -> HTMLResponse:
    templates = request.app.state.templates
    base = page_context(request, p)
    resp: HTMLResponse = templates.TemplateResponse(request, template, {**base, **ctx},
                                                    status_code=status)
    return resp


#: "1 in X" and the other statistics of the pages, as the CLI and the PDF show them
_one_in = format_number


# --- login ------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    """The login form, with a fresh login CSRF cookie."""
    token = secrets.token_urlsafe(24)
    resp = _render(request, "login.html", None, login_csrf=token, error=None)
    _set_cookie(request, resp, LOGIN_CSRF, token, max_age=1800)
    return resp


def _set_cookie(request: Request, resp: Response, name: str, value: str, *,
                max_age: int) -> None:
    resp.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict",
                    secure=request.app.state.settings.secure_cookies, path="/")


@router.post("/login")
def login(request: Request, username: Annotated[str, Form(max_length=100)],
          token: Annotated[str, Form(max_length=300)],
          csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Check the login form (CSRF, rate limit, user name and token) and start a session.

    Answers 401 with the form again on an unknown user or token.
    """
    check_csrf(request.cookies.get(LOGIN_CSRF, ""), csrf_token)
    limiter = request.app.state.limiter
    ip = client_ip(request)
    limiter.check(username, ip)
    store = _store(request)
    try:
        user = request.app.state.tokens.verify(store, token.strip())
        if user.name != username.strip():
            raise AuthenticationFailed("user name and token do not belong together")
    except AuthenticationFailed:
        limiter.failed(username, ip)
        fresh = secrets.token_urlsafe(24)
        page = _render(request, "login.html", None, status=401, login_csrf=fresh,
                       error="Unknown user name or token.")
        _set_cookie(request, page, LOGIN_CSRF, fresh, max_age=1800)
        return page
    limiter.succeeded(username, ip)
    cookie, _csrf = request.app.state.sessions.new(user)
    resp = RedirectResponse("/", status_code=303)
    _set_cookie(request, resp, SESSION_COOKIE, cookie,
                max_age=request.app.state.settings.session_max_age_s)
    resp.delete_cookie(LOGIN_CSRF, path="/")
    return resp


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    """End every session of the user and go back to the login page."""
    p = _principal(request)
    check_csrf(p.csrf, csrf_token)
    # end every session of the user at once: a copy of this cookie replayed later is dead
    _store(request).revoke_sessions(p.name, actor=p.name, reason="logout")
    request.app.state.tokens.forget_user(p.name)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


# --- dashboard --------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    """The start page: index statistics, pending matches, match counts and recent audit activity as
    the role allows.
    """
    p = _principal(request)
    store = _store(request)
    stats = ops.index_statistics(store)
    pending: list[Any] = []
    if _can(p, "view"):
        pending = store.list_matches(actor=p.name, status="pending")
    # the backlog as a count every role may see (an auditor reviews no match, yet oversees it)
    match_counts = store.match_counts(actor=p.name)
    activity: list[Any] = []
    if _can(p, "audit"):
        activity = list(store.audit_page(actor=p.name, limit=12).entries)  # one bounded read
    growth = growth_chart(stats["growth"])
    complete = bar_chart([(str(k), float(n)) for k, n in stats["loci_typed"]],
                         title="Profiles by number of typed loci")
    return _render(request, "dashboard.html", p, stats=stats, pending=pending,
                   match_counts=match_counts, activity=activity, growth_svg=growth,
                   loci_svg=complete)


# --- upload -----------------------------------------------------------------------------------


@router.get("/upload", response_class=HTMLResponse)
def upload_page(request: Request) -> HTMLResponse:
    """The upload form."""
    p = _principal(request)
    return _render(request, "upload.html", p, report=None, error=None,
                   formats=ops.UPLOAD_FORMATS)


@router.post("/upload", response_class=HTMLResponse)
async def upload(request: Request, file: UploadFile,
                 csrf_token: Annotated[str, Form(max_length=100)] = "",
                 format: Annotated[str, Form(max_length=20)] = "auto",
                 category: Annotated[str, Form(max_length=80)] = "",
                 legal_basis: Annotated[str, Form(max_length=40)] = "",
                 consent: Annotated[str, Form(max_length=80)] = "",
                 skip_invalid: Annotated[bool, Form()] = False,
                 purpose: Annotated[str, Form(max_length=200)] = "") -> HTMLResponse:
    """Import an uploaded profile file and show the import report."""
    p = _principal(request)
    check_csrf(p.csrf, csrf_token)
    limit = request.app.state.settings.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise ServiceError(f"upload over the limit of {limit} bytes", status=413)
    report = None
    error = None
    try:
        report = await run_in_threadpool(
            ops.import_upload, _store(request), _gateway(request), data,
            file.filename or "upload",
            format=format if format in ops.UPLOAD_FORMATS else None,
            category=category, legal_basis=legal_basis, consent=consent,
            skip_invalid=skip_invalid, actor=p.name, purpose=purpose)
    except LocardError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        error = str(exc)
    return _render(request, "upload.html", p, report=report, error=error,
                   formats=ops.UPLOAD_FORMATS, status=200 if error is None else 400)


# --- specimens --------------------------------------------------------------------------------


@router.get("/specimens/{specimen_id}", response_class=HTMLResponse)
def specimen_page(request: Request, specimen_id: str,
                  lab: Annotated[str | None, Query(max_length=40)] = None) -> HTMLResponse:
    """One specimen and, for auditors, its access history."""
    p = _principal(request)
    store = _store(request)
    lab_code = lab or p.user.lab
    view = None
    if _can(p, "view"):
        view = store.get_specimen(specimen_id, lab=lab_code, actor=p.name,
                                  purpose="specimen page")
    history: list[Any] = []
    ref = None
    if _can(p, "audit"):
        ref = store.specimen_ref(lab_code, specimen_id)
        # the caller's lab's entries that name the specimen (one bounded, lab-scoped read)
        history = store.specimen_history(specimen_id, lab=lab_code, actor=p.name)
    if view is None and not _can(p, "audit"):
        raise PermissionDenied(f"user {p.name!r} ({p.user.role}) may not view specimens")
    rows = ops.compare_loci(view.profile, None) if view and view.profile else []
    return _render(request, "specimen.html", p, view=view, rows=rows, history=history,
                   ref=ref, specimen_id=specimen_id, lab=lab_code,
                   rmp_one_in=_one_in(one_in(view.rmp) if view else None),
                   legal_words=store.policy.legal_basis_words)


# --- search -----------------------------------------------------------------------------------


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request,
                specimen: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    """The search form, optionally filled in with a specimen ID."""
    p = _principal(request)
    return _render(request, "search.html", p, outcome=None, form={"specimen_id": specimen},
                   error=None, one_in=_one_in)


@router.post("/search", response_class=HTMLResponse)
def search(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "",
           specimen_id: Annotated[str, Form(max_length=200)] = "",
           purpose: Annotated[str, Form(max_length=200)] = "",
           stringency: Annotated[str, Form(max_length=20)] = "moderate",
           min_loci: Annotated[int, Form(ge=1, le=40)] = 8,
           mismatches: Annotated[int, Form(ge=0, le=5)] = 0,
           record: Annotated[bool, Form()] = False) -> HTMLResponse:
    """Run a search from the form and show the candidates."""
    p = _principal(request)
    check_csrf(p.csrf, csrf_token)
    form = {"specimen_id": specimen_id, "purpose": purpose, "stringency": stringency,
            "min_loci": min_loci, "mismatches": mismatches, "record": record}
    if stringency not in ("high", "moderate", "low"):
        stringency = "moderate"
    try:
        outcome = _gateway(request).search(
            specimen_id=specimen_id.strip(), lab=None, targets=None, stringency=stringency,
            min_loci=min_loci, mismatches=mismatches, actor=p.name, purpose=purpose,
            limit=request.app.state.settings.search_limit, record=record)
    except LocardError as exc:
        return _render(request, "search.html", p, outcome=None, form=form,
                       error=f"{error_code(exc)}: {exc}", one_in=_one_in,
                       status=int(exc.http_status))
    return _render(request, "search.html", p, outcome=outcome, form=form, error=None,
                   one_in=_one_in)


# --- match manager ----------------------------------------------------------------------------


#: the matches list's sort keys: date is creation order (the match id)
_MATCH_SORTS: dict[str, Any] = {
    "date": lambda m: m.id,
    "rmp": lambda m: (m.rmp is None, m.rmp if m.rmp is not None else 0.0, m.id),
    "status": lambda m: (m.status, m.id),
}
MATCHES_PAGE = 50


@router.get("/matches", response_class=HTMLResponse)
def matches_page(request: Request,
                 status: Annotated[str | None, Query(max_length=20)] = None,
                 q: Annotated[str, Query(max_length=200)] = "",
                 sort: Annotated[str, Query(max_length=20)] = "date",
                 order: Annotated[str, Query(max_length=20)] = "",
                 limit: Annotated[int, Query(ge=1, le=500)] = MATCHES_PAGE,
                 offset: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    """The lab's candidate matches, a page at a time (``limit``, ``offset``), filtered by
    status and by a specimen ID (either side, case-insensitive substring), sorted by date
    (newest first by default), RMP (smallest first) or status."""
    p = _principal(request)
    chosen = status if status in ("pending", "confirmed", "rejected") else None
    sort = sort if sort in _MATCH_SORTS else "date"
    if order not in ("asc", "desc"):
        order = "desc" if sort == "date" else "asc"
    found = _store(request).list_matches(actor=p.name, status=chosen)
    needle = q.strip().casefold()
    if needle:
        found = [m for m in found if needle in m.query_specimen.casefold()
                 or needle in m.candidate_specimen.casefold()]
    found.sort(key=_MATCH_SORTS[sort], reverse=order == "desc")
    total = len(found)
    shown = found[offset:offset + limit]
    kept = {k: v for k, v in (("status", chosen or ""), ("q", q.strip()), ("sort", sort),
                              ("order", order)) if v}

    def link(**change: Any) -> str:
        return "/matches?" + urlencode({**kept, "limit": limit, **change})

    return _render(request, "matches.html", p, matches=shown, chosen=chosen, one_in=_one_in,
                   q=q.strip(), sort=sort, order=order, total=total, offset=offset,
                   limit=limit, link=link,
                   prev=link(offset=max(0, offset - limit)) if offset > 0 else None,
                   next=link(offset=offset + limit) if offset + limit < total else None)


@router.get("/matches/{match_id}", response_class=HTMLResponse)
def match_page(request: Request, match_id: int) -> HTMLResponse:
    """One candidate match: per-locus comparison, statistics and its explanation."""
    p = _principal(request)
    detail = ops.match_detail(_store(request), match_id, actor=p.name)
    x = (explanation(detail.stats, query=detail.query.specimen_id,
                     candidate=detail.candidate.specimen_id,
                     mismatches=detail.match.mismatches) if detail.stats else None)
    return _render(request, "match.html", p, d=detail, one_in=_one_in, x=x,
                   can_decide=_can(p, "decide_match"),
                   both=not detail.query.restricted and not detail.candidate.restricted)


@router.post("/matches/{match_id}/decision")
def decide(request: Request, match_id: int,
           csrf_token: Annotated[str, Form(max_length=100)] = "",
           decision: Annotated[str, Form(max_length=20)] = "",
           note: Annotated[str, Form(max_length=2000)] = "",
           supersedes: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Confirm or reject a match, or correct its latest decision, from the form."""
    p = _principal(request)
    check_csrf(p.csrf, csrf_token)
    store = _store(request)
    ops.find_match(store, match_id, actor=p.name)
    if not supersedes.strip():
        store.decide_match(match_id, decision, actor=p.name, note=note,
                           purpose=f"match review {match_id}")
    elif not supersedes.strip().isdigit():
        raise InputError(f"supersedes {supersedes!r} is not a decision id",
                         remedy="use the match page's \"Correct this decision\" form")
    else:
        store.correct_match_decision(match_id, decision, actor=p.name, note=note,
                                     supersedes=int(supersedes),
                                     purpose=f"match review {match_id}")
    return RedirectResponse(f"/matches/{match_id}", status_code=303)


@router.get("/matches/{match_id}/report.pdf")
def report(request: Request, match_id: int) -> Response:
    """The PDF report of a match."""
    from locard.service.api import report_response

    return report_response(_store(request), match_id, _principal(request))


# --- missing-person case (kinship identification) --------------------------------------------


def _lab_cases(request: Request, p: Principal) -> list[dict[str, Any]]:
    """The lab's stored cases for the form's choice list (none for a role that may not view)."""
    if not _can(p, "view"):
        return []
    from locard.store.cases import list_cases

    return [c.to_dict() for c in list_cases(_store(request), actor=p.name)]


@router.get("/identify", response_class=HTMLResponse)
def identify_page(request: Request) -> HTMLResponse:
    """The identification form and the lab's registered cases."""
    p = _principal(request)
    return _render(request, "identify.html", p, result=None, error=None, pedigree_text="",
                   case_ref="", purpose="", svg=None, one_in=_one_in,
                   cases=_lab_cases(request, p), registered=None, reg=_NO_REG)


_NO_REG: dict[str, str] = {"case_ref": "", "pedigree": "", "purpose": "", "error": ""}


@router.post("/identify/cases", response_class=HTMLResponse)
async def register_case(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "",
                        case_ref: Annotated[str, Form(max_length=128)] = "",
                        pedigree: Annotated[str, Form(max_length=200_000)] = "",
                        purpose: Annotated[str, Form(max_length=200)] = "",
                        pedigree_file: UploadFile | None = None) -> HTMLResponse:
    """Register a missing-person case of the user's lab: the case file's pedigree JSON (as
    text or as a file), whose typed members name stored relatives' references by
    ``"specimen"`` (``locard.store.cases.add_case``, the same call as ``POST /api/v1/cases``)."""
    import json

    from locard.store.cases import add_case, parse_case_pedigree

    p = _principal(request)
    check_csrf(p.csrf, csrf_token)
    text = pedigree
    if pedigree_file is not None and pedigree_file.filename:
        raw = await pedigree_file.read(200_001)
        if len(raw) > 200_000:
            raise ServiceError("pedigree file over the limit of 200000 bytes", status=413)
        text = raw.decode("utf-8", errors="replace")
    store = _store(request)
    registered = None
    error = ""
    try:
        if not text.strip():
            raise InputError("give the case's pedigree (JSON text or a file)",
                             remedy="paste the case file into the Pedigree field or choose "
                                    "it as the Pedigree file")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"the pedigree is not valid JSON: {exc}",
                             remedy="check the case file (an object with 'individuals' "
                                    "and 'missing')") from None
        tree, members = parse_case_pedigree(data)
        registered = await run_in_threadpool(add_case, store, case_ref, tree, members,
                                             actor=p.name, purpose=purpose or None)
    except LocardError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        error = str(exc)
    reg = {"case_ref": case_ref, "pedigree": pedigree, "purpose": purpose, "error": error}
    return _render(request, "identify.html", p, result=None, error=None, pedigree_text="",
                   case_ref=registered.case_ref if registered else "", purpose="",
                   svg=_pedigree_svg(registered.to_dict()) if registered else None,
                   one_in=_one_in, cases=_lab_cases(request, p),
                   registered=registered, reg=_NO_REG if registered else reg,
                   status=201 if registered else 400)


def _pedigree_svg(data: Any) -> str | None:
    """The drawing of a pedigree dict (inline profiles, or digests in a report's provenance)."""
    if not isinstance(data, dict):
        return None
    people = [x for x in data.get("individuals") or [] if isinstance(x, dict) and "id" in x]
    return pedigree_svg(people, missing=str(data.get("missing", "")),
                        typed={str(x["id"]) for x in people
                               if x.get("profile") or x.get("profile_digest")})


@router.post("/identify", response_class=HTMLResponse)
def identify(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "",
             pedigree: Annotated[str, Form(max_length=200_000)] = "",
             case_ref: Annotated[str, Form(max_length=128)] = "",
             purpose: Annotated[str, Form(max_length=200)] = "") -> HTMLResponse:
    """Rank candidates for a missing person from a pasted pedigree or a registered case."""
    import json

    p = _principal(request)
    check_csrf(p.csrf, csrf_token)
    result = None
    error = None
    svg = None
    try:
        if case_ref.strip():
            # a case stored in the lab's database: the relatives' references are read there
            result = _gateway(request).identify(case_ref.strip(), actor=p.name,
                                               purpose=purpose, limit=20)
            svg = _pedigree_svg(result["provenance"]["parameters"]["pedigree"])
        elif not pedigree.strip():
            raise ValueError("give a stored case reference or a pedigree")
        else:
            data = json.loads(pedigree)
            if not isinstance(data, dict):
                raise ValueError("the pedigree must be a JSON object")
            svg = _pedigree_svg(data)
            result = _gateway(request).identify(data, actor=p.name, purpose=purpose, limit=20)
    except (ValueError, LocardError) as exc:
        if isinstance(exc, PermissionDenied):
            raise
        error = str(exc)
    return _render(request, "identify.html", p, result=result, error=error,
                   pedigree_text=pedigree, case_ref=case_ref, purpose=purpose, svg=svg,
                   one_in=_one_in, cases=_lab_cases(request, p), registered=None,
                   reg=_NO_REG)


# --- how informative is a family (kinship power) ----------------------------------------------


def _power_page(request: Request, p: Principal, *, form: dict[str, Any] | None = None,
                r: Any = None, error: str | None = None, status: int = 200) -> HTMLResponse:
    from locard.service.power import WEB_MAX_CANDIDATES, WEB_MAX_SIMULATIONS

    if not _can(p, "search"):  # as identify: the roles that may search
        raise PermissionDenied(f"user {p.name!r} ({p.user.role}) may not compute kinship "
                               "power", remedy="needs the role: analyst, reviewer or "
                                               "administrator")
    blank = {"pedigree": "", "missing": "", "candidates": "", "simulations": "1000",
             "seed": "1"}
    return _render(request, "power.html", p, f={**blank, **(form or {})}, r=r, error=error,
                   max_simulations=WEB_MAX_SIMULATIONS, max_candidates=WEB_MAX_CANDIDATES,
                   fmt=_fmt, status=status)


@router.get("/identify/power", response_class=HTMLResponse)
def power_page(request: Request) -> HTMLResponse:
    """The exclusion and inclusion power form for a pedigree."""
    return _power_page(request, _principal(request))


@router.post("/identify/power", response_class=HTMLResponse)
async def power(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "",
                pedigree: Annotated[str, Form(max_length=200_000)] = "",
                missing: Annotated[str, Form(max_length=128)] = "",
                candidates: Annotated[str, Form(max_length=2000)] = "",
                simulations: Annotated[int, Form()] = 1000,
                seed: Annotated[int, Form()] = 1,
                pedigree_file: UploadFile | None = None) -> HTMLResponse:
    """How informative is a pasted (or uploaded) pedigree before anyone is compared: the
    numbers of ``locard kinship power --json`` (``locard.service.power``). Not stored."""
    from locard.service.power import family_power, parse_power_pedigree

    p = _principal(request)
    check_csrf(p.csrf, csrf_token)
    text = pedigree
    if pedigree_file is not None and pedigree_file.filename:
        raw = await pedigree_file.read(200_001)
        if len(raw) > 200_000:
            raise ServiceError("pedigree file over the limit of 200000 bytes", status=413)
        text = raw.decode("utf-8-sig", errors="replace")
    form = {"pedigree": text, "missing": missing, "candidates": candidates,
            "simulations": str(simulations), "seed": str(seed)}
    try:
        data = parse_power_pedigree(text, missing=missing)
        r = await run_in_threadpool(lambda: family_power(
            data, candidates=candidates.split(","), simulations=simulations, seed=seed))
    except LocardError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        return _power_page(request, p, form=form, error=f"{error_code(exc)}: {exc}",
                           status=int(exc.http_status))
    return _power_page(request, p, form=form, r=r)


# --- mixture LR (semi-continuous and continuous) ----------------------------------------------


def _fmt(x: Any, spec: str = ".4g") -> str:
    """A number of the mixture page as the CLI prints it (``locard mixture lr``)."""
    if x is None:
        return "-"
    v = float(x)
    if math.isnan(v):
        return "undefined"
    if math.isinf(v):
        return "infinite" if v > 0 else "-infinite"
    return format(v, spec)


_CASE_LIMIT = 1_000_000


async def _case_text(case: str, case_file: UploadFile | None) -> str:
    """The case file of the form: the chosen file, else the pasted text."""
    if case_file is not None and case_file.filename:
        raw = await case_file.read(_CASE_LIMIT + 1)
        if len(raw) > _CASE_LIMIT:
            raise ServiceError(f"case file over the limit of {_CASE_LIMIT} bytes", status=413)
        return raw.decode("utf-8-sig", errors="replace")
    return case


def _mixture_page(request: Request, p: Principal, *, case_text: str = "", analyses: bool = True,
                  a: Any = None, error: str | None = None, status: int = 200) -> HTMLResponse:
    return _render(request, "mixtures.html", p, case_text=case_text, analyses=analyses, a=a,
                   error=error, fmt=_fmt, fmt3=lambda x: _fmt(x, ".3f"), status=status)


@router.get("/mixtures", response_class=HTMLResponse)
def mixtures_page(request: Request) -> HTMLResponse:
    """The mixture LR form."""
    return _mixture_page(request, _principal(request))


@router.post("/mixtures", response_class=HTMLResponse)
async def mixtures(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "",
                   case: Annotated[str, Form(max_length=_CASE_LIMIT)] = "",
                   analyses: Annotated[bool, Form()] = False,
                   case_file: UploadFile | None = None) -> HTMLResponse:
    """The LR of a pasted or uploaded case file (``locard.service.mixtures``, the numbers of
    ``locard mixture lr``), its hypotheses in words, the verbal scale and the plots."""
    from locard.service.mixtures import mixture_analysis

    p = _principal(request)
    check_csrf(p.csrf, csrf_token)
    text = await _case_text(case, case_file)
    try:
        if not text.strip():
            raise InputError("give the case file (JSON text or a file)",
                             remedy="paste it into the Case file field or choose the file")
        a = await run_in_threadpool(mixture_analysis, text, analyses=analyses)
    except LocardError as exc:
        return _mixture_page(request, p, case_text=text, analyses=analyses,
                             error=f"{error_code(exc)}: {exc}", status=int(exc.http_status))
    return _mixture_page(request, p, case_text=text, analyses=analyses, a=a)


@router.post("/mixtures/report.pdf")
async def mixture_report(request: Request,
                         csrf_token: Annotated[str, Form(max_length=100)] = "",
                         case: Annotated[str, Form(max_length=_CASE_LIMIT)] = "",
                         analyses: Annotated[bool, Form()] = False) -> Response:
    """The PDF report of a case file's LR: hypotheses, parameters, per-locus table, verbal
    scale, provenance; for a continuous case also the fitted parameters, the bar plot, the
    PP-plots and (with ``analyses``, as on the page) the Tippet plot."""
    from locard.service.mixtures import mixture_analysis
    from locard.service.reports import mixture_report_pdf

    p = _principal(request)
    check_csrf(p.csrf, csrf_token)
    a = await run_in_threadpool(mixture_analysis, case, analyses=False, tippet=analyses)
    pdf = mixture_report_pdf(a, reviewer=p.name)
    return Response(pdf, media_type="application/pdf", headers={
        "content-disposition": 'attachment; filename="locard-mixture-lr.pdf"'})


# --- audit ------------------------------------------------------------------------------------


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request,
               action: Annotated[str | None, Query(max_length=40)] = None,
               user: Annotated[str | None, Query(max_length=128)] = None,
               since: Annotated[str | None, Query(max_length=40)] = None,
               until: Annotated[str | None, Query(max_length=40)] = None,
               before: Annotated[int | None, Query(ge=1)] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> HTMLResponse:
    """The caller's lab's audit log, newest first, a page at a time (keyset: ``before``)."""
    p = _principal(request)
    filters = {"action": (action or "").strip(), "user": (user or "").strip(),
               "since": (since or "").strip(), "until": (until or "").strip()}
    page = _store(request).audit_page(
        actor=p.name, limit=limit, before_seq=before, action=filters["action"] or None,
        user=filters["user"] or None, since=filters["since"] or None,
        until=filters["until"] or None)
    kept = {k: v for k, v in filters.items() if v}
    older = (None if page.next_before is None else "/audit?" + urlencode(
        {**kept, "limit": limit, "before": page.next_before}))
    newest = "/audit?" + urlencode({**kept, "limit": limit}) if before is not None else None
    # ("user" is the logged-in user in every template: the filter is "by_user")
    return _render(request, "audit.html", p, entries=list(page.entries), verified=None,
                   limit=limit, older=older, newest=newest, action=filters["action"],
                   by_user=filters["user"], since=filters["since"], until=filters["until"])


@router.post("/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request,
                 csrf_token: Annotated[str, Form(max_length=100)] = "") -> HTMLResponse:
    """Verify the audit hash chain and show the outcome with the latest entries."""
    p = _principal(request)
    check_csrf(p.csrf, csrf_token)
    store = _store(request)
    page = store.audit_page(actor=p.name, limit=200)
    try:
        n = store.verify_audit()
        verified: dict[str, Any] = {"ok": True, "entries": n}
    except LocardError as exc:
        verified = {"ok": False, "message": str(exc)}
    older = None if page.next_before is None else f"/audit?limit=200&before={page.next_before}"
    return _render(request, "audit.html", p, entries=list(page.entries),
                   verified=verified, action="", by_user="", since="", until="", limit=200,
                   older=older, newest=None)


# --- expungement ------------------------------------------------------------------------------


@router.get("/expunge", response_class=HTMLResponse)
def expunge_page(request: Request,
                 specimen: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    """The expungement form, optionally filled in with a specimen ID."""
    p = _principal(request)
    return _render(request, "expunge.html", p, step="ask", specimen_id=specimen, reason="",
                   view=None, done=None, error=None)


@router.post("/expunge", response_class=HTMLResponse)
def expunge(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "",
            specimen_id: Annotated[str, Form(max_length=200)] = "",
            reason: Annotated[str, Form(max_length=500)] = "",
            confirm: Annotated[str, Form(max_length=200)] = "",
            step: Annotated[str, Form(max_length=20)] = "ask") -> HTMLResponse:
    """Expunge in two steps: show the specimen to confirm, then expunge once the ID is typed again
    with a reason.
    """
    p = _principal(request)
    check_csrf(p.csrf, csrf_token)
    store = _store(request)
    if not _can(p, "expunge"):
        raise PermissionDenied(f"user {p.name!r} ({p.user.role}) may not expunge",
                               remedy="needs the role: administrator")
    specimen_id = specimen_id.strip()
    if step != "confirm":
        view = store.get_specimen(specimen_id, actor=p.name, purpose="expungement request")
        return _render(request, "expunge.html", p, step="confirm", specimen_id=specimen_id,
                       reason=reason, view=view, done=None, error=None)
    if confirm.strip() != specimen_id or not reason.strip():
        return _render(request, "expunge.html", p, step="confirm", specimen_id=specimen_id,
                       reason=reason, view=None, done=None, status=400,
                       error="Type the specimen ID exactly and give a reason to confirm.")
    with _gateway(request).changing():
        ref = store.expunge(specimen_id, reason=reason.strip(), actor=p.name)
    return _render(request, "expunge.html", p, step="done", specimen_id=specimen_id,
                   reason=reason, view=None, done=ref, error=None)
