"""Raw capillary-electrophoresis runs in the browser and over the API: upload ``.fsa``/``.hid``
runs with their allelic ladder, see each sample's calls, flags, store verdict and interactive
electropherogram, and accept an analysed profile into the store.

A thin layer, like the command line: each run is analysed by
:func:`locard.ce.analysis.analyze_run` (the function ``locard ce analyze`` calls), the ladder
by :func:`locard.ce.calling.locate_ladder`, the verdict is
:func:`locard.store.ce_intake.ce_verdict`, and the import is ``Store.add_profile`` with the
analysis's provenance (the instrument file's SHA-256, the ladder's, the parameters), which
checks the role, applies the acceptance rules and writes the audit entry.

Nothing uploaded is written to disk by Locard: the runs are read from memory
(:func:`locard.ce.abif.read_abif` takes bytes) and every upload is closed before the response
(a part the multipart parser spooled to a temporary file is deleted then). The accept form
does not re-upload the run: the analysis page carries the analysed profile and its
provenance signed with the service's secret key (itsdangerous, salt ``locard-ce-accept``),
bound to the user who analysed it and valid for ``ACCEPT_MAX_AGE_S`` seconds; the store
checks the acceptance rules again on import.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, Security, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPBearer
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from locard.errors import InputError, LocardError, PermissionDenied, PolicyViolation
from locard.jsonsafe import json_safe
from locard.service import models as M
from locard.service.auth import Principal, authenticate, check_csrf
from locard.service.ce_epg import (
    electropherogram_svg,
    epg_flags,
    ladder_electropherogram_svg,
)
from locard.service.errors import ServiceError, error_code
from locard.service.models import CeAnalyzeResponse
from locard.store.policy import Policy

if TYPE_CHECKING:
    from locard.store.ce_intake import CEVerdict

__all__ = ["ACCEPT_MAX_AGE_S", "MAX_RUN_FILES", "api_router", "router"]

router = APIRouter(include_in_schema=False)
_bearer = HTTPBearer(auto_error=False, description="a token from `locard user token NAME`")
api_router = APIRouter(prefix="/api/v1", tags=["api"], responses=M.ERROR_RESPONSES,
                       dependencies=[Security(_bearer)])

MAX_RUN_FILES = 200
"""At most this many run files per request (a 96-well plate with room for re-injections)."""
ACCEPT_MAX_AGE_S = 2 * 3600
"""How long an analysis page's accept form stays valid (seconds)."""
RUN_SUFFIXES = (".fsa", ".hid")
_LADDER = re.compile(r"ladder", re.IGNORECASE)
LEGAL_BASES = ("conviction", "arrest", "court-order", "casework", "consent")
"""The legal bases the upload form offers (``templates/upload.html``)."""


@dataclass(frozen=True, slots=True)
class RunUpload:
    """One uploaded run: its file name (as the client gave it, without folders) and bytes."""

    name: str
    data: bytes


@dataclass
class SampleView:
    """One analysed run as the page shows it."""

    file: str
    sample: str
    sha256: str | None
    record: dict[str, Any]
    verdict: dict[str, Any] | None = None
    epg: str = ""
    accept_token: str | None = None
    error: str | None = None
    key: str = ""


@dataclass
class PlateView:
    """A plate's analysis: the kit, the ladder's per-locus account, the samples, and the
    ladder run's electropherogram (``ladder_epg``, empty when not drawn)."""

    kit: str
    ladder_file: str
    ladder: dict[str, Any]
    samples: list[SampleView] = field(default_factory=list)
    ladder_epg: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``locard ce analyze --json``."""
        return {"kit": self.kit, "ladder": self.ladder,
                "samples": [s.record for s in self.samples]}


def _principal(request: Request) -> Principal:
    from locard.errors import AuthenticationFailed
    from locard.service.auth import session_principal

    p = session_principal(request)
    if p is None:
        raise AuthenticationFailed("please log in")
    return p


def _require_import(p: Principal) -> None:
    from locard.store import PERMISSIONS

    if p.user.role not in PERMISSIONS["import"]:
        raise PermissionDenied(f"user {p.name!r} ({p.user.role}) may not analyse runs for "
                               "the store", remedy="needs the role: analyst or administrator")


def _base_name(name: str | None) -> str:
    text = (name or "run").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in text if ch.isprintable())[:200] or "run"


async def read_uploads(files: Sequence[UploadFile], *, limit: int) -> list[RunUpload]:
    """The uploaded runs in memory, each closed (a spooled temporary file deleted) whatever
    happens; refused over ``MAX_RUN_FILES`` files or ``limit`` bytes in all (413)."""
    try:
        chosen = [f for f in files if f is not None and f.filename]
        if len(chosen) > MAX_RUN_FILES:
            raise ServiceError(f"{len(chosen)} run files is more than the {MAX_RUN_FILES} "
                               "one request may carry; analyse the plate in parts",
                               status=413)
        out: list[RunUpload] = []
        total = 0
        for f in chosen:
            data = await f.read(limit - total + 1)
            total += len(data)
            if total > limit:
                raise ServiceError(f"the runs are over the limit of {limit} bytes in all "
                                   "(max_ce_upload_bytes); analyse the plate in parts",
                                   status=413)
            out.append(RunUpload(_base_name(f.filename), data))
        return out
    finally:
        for f in files:
            if f is not None:
                await f.close()


def pick_ladder(runs: list[RunUpload], ladder: RunUpload | None,
                ladder_name: str) -> tuple[RunUpload, list[RunUpload]]:
    """(the ladder run, the sample runs): the ladder file when one was given; else the upload
    named ``ladder_name``; else the one upload whose file name says ``ladder``."""
    if ladder is not None:
        return ladder, runs
    name = ladder_name.strip()
    if name:
        found = [r for r in runs if r.name == name]
        if not found:
            raise InputError(f"ladder {name!r} is not among the uploaded runs",
                             remedy="choose the ladder's file name as uploaded, or give the "
                                    "ladder as the Ladder file")
    else:
        found = [r for r in runs if _LADDER.search(r.name)]
        if len(found) != 1:
            what = "none" if not found else ", ".join(r.name for r in found)
            raise InputError(f"which run is the allelic ladder? ({what} of the uploaded "
                             "file names says 'ladder')",
                             remedy="give the ladder as the Ladder file, or its file name "
                                    "in 'Ladder among the uploads'")
    chosen = found[0]
    return chosen, [r for r in runs if r is not chosen]


def _sealer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key,
                                  salt="locard-ce-accept")


def analyse_plate(runs: list[RunUpload], ladder_run: RunUpload, *, kit: str,
                  positive_control: str | None, actor: str, sealer: URLSafeTimedSerializer,
                  policy: Policy, draw: bool = True) -> PlateView:
    """Locate the ladder, analyse every run with :func:`analyze_run`, give each its store
    verdict, its electropherogram (``draw``) and, when the verdict lets it enter an index,
    a signed accept token. A run that cannot be read or sized is reported with its error,
    not dropped. With ``draw`` the ladder run's electropherogram too, its bins as wide as
    the analysis's (``CallParameters.bin_half_width``)."""
    from locard.ce.abif import read_abif
    from locard.ce.analysis import CallParameters, analyze_run
    from locard.ce.calling import locate_ladder
    from locard.genetics.kits import get_kit
    from locard.genetics.kits import positive_control as declared
    from locard.store.ce_intake import ce_verdict

    kit_name = get_kit(kit).name
    if positive_control:
        declared(positive_control)  # an unknown name fails before any work
    for r in (ladder_run, *runs):
        if not r.name.lower().endswith(RUN_SUFFIXES):
            raise InputError(f"{r.name}: not a .fsa or .hid run",
                             remedy="upload the runs as written by the genetic analyser")
    ladder_abif = read_abif(ladder_run.data, name=ladder_run.name)
    lad = locate_ladder(ladder_abif, kit=kit_name)
    plate = PlateView(kit=kit_name, ladder_file=ladder_run.name,
                      ladder={**lad.to_dict(), "file": ladder_run.name})
    if draw:
        plate.ladder_epg = ladder_electropherogram_svg(
            ladder_abif, lad, key="ladder", bin_half_width=CallParameters().bin_half_width)
    for i, r in enumerate(runs):
        view = SampleView(file=r.name, sample="", sha256=None, record={}, key=f"s{i}")
        try:
            run = read_abif(r.data, name=r.name)
            a = analyze_run(run, ladder=lad, positive_control=positive_control or None)
        except LocardError as exc:
            view.error = str(exc)
            view.record = {"file": r.name, "sample": None, "loci": {}, "flags": [],
                           "error": str(exc)}
            plate.samples.append(view)
            continue
        verdict = ce_verdict(a, policy).to_dict()
        view.sample, view.sha256 = a.sample, a.sha256
        view.record = {**a.to_dict(), "verdict": verdict}
        view.verdict = verdict
        if draw:
            view.epg = electropherogram_svg(
                run, a.calls, lad, epg_flags(a.flags), key=view.key,
                bin_half_width=float(a.calls.parameters.get("bin_half_width", 0.5)))
        if a.profile is not None:  # refused at accept with the verdict's reason if need be
            view.accept_token = sealer.dumps({
                "u": actor, "profile": a.profile.to_dict(), "sample": a.sample,
                "file": a.file, "sha256": a.sha256, "verdict": verdict,
                "provenance": json_safe(dict(a.provenance))})
        plate.samples.append(view)
    return plate


# --- pages ------------------------------------------------------------------------------------


def _render(request: Request, p: Principal, status: int = 200, **ctx: Any) -> HTMLResponse:
    from locard.genetics.kits import list_kits, list_positive_controls
    from locard.service.web import page_context
    from locard.store.categories import known_categories

    base: dict[str, Any] = {
        "kits": [k.name for k in list_kits()], "controls": list_positive_controls(),
        "categories": known_categories(), "legal_bases": LEGAL_BASES, "plate": None,
        "error": None, "accepted": None, "form": {}}
    resp: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, "ce.html", {**page_context(request, p), **base, **ctx}, status_code=status)
    return resp


@router.get("/ce", response_class=HTMLResponse)
def ce_page(request: Request) -> HTMLResponse:
    """The capillary-electrophoresis analysis form (kit preset to Identifiler)."""
    p = _principal(request)
    _require_import(p)
    return _render(request, p, form={"kit": "Identifiler"})


@router.post("/ce/analyze", response_class=HTMLResponse)
async def ce_analyze_page(request: Request,
                          csrf_token: Annotated[str, Form(max_length=100)] = "",
                          kit: Annotated[str, Form(max_length=80)] = "",
                          ladder_name: Annotated[str, Form(max_length=200)] = "",
                          positive_control: Annotated[str, Form(max_length=80)] = "",
                          files: Annotated[list[UploadFile] | None, File()] = None,
                          ladder: Annotated[UploadFile | None, File()] = None) -> HTMLResponse:
    """Analyse the uploaded runs against their ladder: per sample the calls, the flags with
    their reasons, the store verdict and the interactive electropherogram."""
    uploads = [*(files or []), *([ladder] if ladder is not None else [])]
    try:
        p = _principal(request)
        check_csrf(p.csrf, csrf_token)
        _require_import(p)
        limit = request.app.state.settings.max_ce_upload_bytes
        runs = await read_uploads(files or [], limit=limit)
        lad = (await read_uploads([ladder], limit=limit))[0] \
            if ladder is not None and ladder.filename else None
    finally:
        for f in uploads:
            await f.close()
    form = {"kit": kit, "ladder_name": ladder_name, "positive_control": positive_control}
    try:
        if not runs and lad is None:
            raise InputError("no run files were uploaded",
                             remedy="choose the .fsa/.hid runs of the plate (Runs)")
        ladder_run, samples = pick_ladder(runs, lad, ladder_name)
        if not samples:
            raise InputError("only the ladder was uploaded",
                             remedy="choose the sample runs too (Runs)")
        plate = await run_in_threadpool(
            analyse_plate, samples, ladder_run, kit=kit, positive_control=positive_control,
            actor=p.name, sealer=_sealer(request), policy=request.app.state.store.policy)
    except LocardError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        return _render(request, p, status=int(exc.http_status), form=form,
                       error=f"{error_code(exc)}: {exc}")
    return _render(request, p, plate=plate, form=form)


@router.post("/ce/accept", response_class=HTMLResponse)
def ce_accept(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "",
              token: Annotated[str, Form(max_length=100_000)] = "",
              specimen_id: Annotated[str, Form(max_length=200)] = "",
              category: Annotated[str, Form(max_length=80)] = "",
              legal_basis: Annotated[str, Form(max_length=40)] = "",
              consent: Annotated[str, Form(max_length=80)] = "",
              purpose: Annotated[str, Form(max_length=200)] = "") -> HTMLResponse:
    """Import one analysed sample (the accept form of the analysis page) with
    ``Store.add_profile``: refused with the verdict's reason when the verdict lets it enter
    no index; the store applies the acceptance rules of the chosen category again and
    audits the import."""
    from locard.genetics.profiles import Profile
    from locard.store.categories import index_for_category

    p = _principal(request)
    check_csrf(p.csrf, csrf_token)
    _require_import(p)
    try:
        data = _sealer(request).loads(token, max_age=ACCEPT_MAX_AGE_S)
    except SignatureExpired:
        raise InputError("this analysis is older than "
                         f"{ACCEPT_MAX_AGE_S // 3600} hours",
                         remedy="analyse the runs again (Raw CE runs) and accept from the "
                                "new page") from None
    except BadSignature:
        raise ServiceError("the accept form was not issued by this service (or was changed)",
                           status=400, code="bad_accept_token") from None
    if not isinstance(data, dict) or data.get("u") != p.name:
        raise ServiceError("the accept form belongs to another user's analysis",
                           status=403, code="bad_accept_token")
    verdict = data.get("verdict") or {}
    form = {"specimen_id": specimen_id, "category": category, "legal_basis": legal_basis,
            "consent": consent, "purpose": purpose}
    sid = specimen_id.strip() or str(data.get("sample") or "")
    outcome: dict[str, Any] = {"sample": data.get("sample"), "file": data.get("file"),
                               "sha256": data.get("sha256"), "specimen_id": sid,
                               "verdict": verdict}
    try:
        if not category.strip():
            raise InputError("give the specimen's category",
                             remedy="choose the Category of the accept form")
        index = index_for_category(category)
        why = _verdict(data).why_not(index)
        if why:
            raise PolicyViolation(f"sample {data.get('sample')!r} may not enter the "
                                  f"{index.value} index: {why}")
        profile = Profile.from_dict(data["profile"])
        provenance = {**data["provenance"], "analysed_by": p.name}
        with request.app.state.gateway.changing():
            key = request.app.state.store.add_profile(
                profile, category=category.strip(), actor=p.name, specimen_id=sid,
                legal_basis=legal_basis.strip() or None, consent=consent.strip() or None,
                purpose=purpose.strip() or None, provenance=provenance)
        outcome["key"] = key
    except LocardError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        outcome["error"] = f"{error_code(exc)}: {exc}"
        return _render(request, p, status=int(exc.http_status), accepted=outcome, form=form)
    return _render(request, p, status=201, accepted=outcome, form=form)


def _verdict(data: dict[str, Any]) -> CEVerdict:
    """The verdict the analysis page showed (signed with the form), as the store's type."""
    from locard.store.ce_intake import CEVerdict

    v = data.get("verdict") or {}
    return CEVerdict(str(data.get("sample") or ""), bool(v.get("control")),
                     tuple(v.get("accepted") or ()), tuple(v.get("local_only") or ()),
                     {str(k): tuple(x) for k, x in (v.get("refused") or {}).items()},
                     v.get("reason"))


# --- API --------------------------------------------------------------------------------------


@api_router.post("/ce/analyze", summary="Analyse raw CE runs (.fsa/.hid) against their "
                 "allelic ladder: the JSON of `locard ce analyze --json`",
                 response_model=CeAnalyzeResponse)
async def ce_analyze_api(
    caller: Annotated[Principal, Depends(authenticate)], request: Request,
    files: Annotated[list[UploadFile], File(description="the sample runs (.fsa/.hid)")],
    kit: Annotated[str, Form(max_length=80, description="the kit, e.g. Identifiler")],
    ladder: Annotated[UploadFile | None, File(description="the allelic-ladder run")] = None,
    ladder_name: Annotated[str, Form(max_length=200, description="or: the file name of the "
                                     "ladder among the uploaded runs")] = "",
    positive_control: Annotated[str | None, Form(max_length=80, description="declared "
                                                 "genotype of the positive control")] = None,
) -> JSONResponse:
    """Nothing is stored and nothing is written to disk; the roles that may import may
    analyse. Each sample is ``analyze_run(...).to_dict()`` with the store's ``verdict``."""
    uploads = [*files, *([ladder] if ladder is not None else [])]
    try:
        _require_import(caller)
        limit = request.app.state.settings.max_ce_upload_bytes
        runs = await read_uploads(files, limit=limit)
        lad = (await read_uploads([ladder], limit=limit))[0] \
            if ladder is not None and ladder.filename else None
    finally:
        for f in uploads:
            await f.close()
    ladder_run, samples = pick_ladder(runs, lad, ladder_name)
    plate = await run_in_threadpool(
        analyse_plate, samples, ladder_run, kit=kit, positive_control=positive_control,
        actor=caller.name, sealer=_sealer(request), policy=request.app.state.store.policy,
        draw=False)
    return JSONResponse(json_safe(plate.to_dict()))
