"""One JSON error shape for every route: ``{"error": code, "detail": message, "status": int}``.

Locard's exceptions carry their HTTP status (``LocardError.http_status``); this module is the
one place that turns them, and Starlette's own 404/405 and FastAPI's 422 validation errors,
into that shape. Anything else is logged with its traceback and answered with a plain 500:
a client never sees a stack trace. Browser pages get the same information as an HTML page.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from locard.errors import LocardError, StoreError

__all__ = ["ServiceError", "error_body", "error_code", "install_error_handlers"]

log = logging.getLogger("locard.service")

#: short codes for HTTP statuses that do not come from a Locard exception
STATUS_CODES: dict[int, str] = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "validation_error", 429: "too_many_requests", 500: "internal_error",
    501: "not_implemented", 503: "unavailable",
}


class ServiceError(LocardError):
    """An error raised by the service layer itself (CSRF, rate limit, upload size...)."""

    def __init__(self, message: str, *, status: int, code: str | None = None,
                 remedy: str | None = None, headers: dict[str, str] | None = None) -> None:
        self.http_status = status
        self.code = code or STATUS_CODES.get(status, "error")
        self.headers = headers or {}
        super().__init__(message, remedy=remedy)


def error_code(exc: LocardError) -> str:
    """``PermissionDenied`` -> ``permission_denied``."""
    if isinstance(exc, ServiceError):
        return exc.code
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def error_body(code: str, detail: str, status: int) -> dict[str, Any]:
    """The one JSON error body: ``{"error": code, "detail": detail, "status": status}``."""
    return {"error": code, "detail": detail, "status": status}


def _wants_html(request: Request) -> bool:
    return (not request.url.path.startswith("/api/")
            and "text/html" in request.headers.get("accept", ""))


def _respond(request: Request, code: str, detail: str, status: int,
             headers: dict[str, str] | None = None) -> Response:
    if _wants_html(request):
        templates = getattr(request.app.state, "templates", None)
        if templates is not None:
            if status == 401:
                from fastapi.responses import RedirectResponse

                return RedirectResponse("/login", status_code=303)
            from locard.service.web import error_page_context

            return templates.TemplateResponse(  # type: ignore[no-any-return]
                request, "error.html", {**error_page_context(request), "code": code,
                                        "detail": detail, "status": status},
                status_code=status, headers=headers)
        return HTMLResponse(f"<h1>{status} {code}</h1><p>{detail}</p>", status_code=status,
                            headers=headers)
    return JSONResponse(error_body(code, detail, status), status_code=status, headers=headers)


async def _locard_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LocardError)
    status = int(exc.http_status)
    if isinstance(exc, StoreError) and status >= 500:
        log.error("store error on %s %s: %s", request.method, request.url.path, exc)
    headers = exc.headers if isinstance(exc, ServiceError) else None
    return _respond(request, error_code(exc), str(exc), status, headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else STATUS_CODES.get(status, "error")
    headers = dict(exc.headers) if exc.headers else None
    return _respond(request, STATUS_CODES.get(status, "error"), detail, status, headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors()[:10]:
        where = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else
                     str(err.get("msg", "invalid")))
    return _respond(request, "validation_error", "; ".join(parts) or "invalid request", 422)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _respond(request, "internal_error",
                    "internal error; the service log has the details", 500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers: Locard errors, HTTP errors, validation errors, anything else."""
    app.add_exception_handler(LocardError, _locard_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
