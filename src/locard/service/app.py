"""The Locard service: ``create_app(store_url)`` builds a FastAPI app over one :class:`Store`.

The JSON API lives under ``/api/v1`` (OpenAPI at ``/openapi.json``), the browser pages at the
root. The service is thin: every decision about roles, labs, policy and audit is the store's;
the service authenticates, shapes results and maps errors (``locard.service.errors``).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from locard._version import __version__
from locard.service.auth import LoginLimiter, SessionCodec, TokenCache
from locard.service.errors import error_body, install_error_handlers
from locard.service.gateway import SearchGateway
from locard.store import Policy, Store

__all__ = ["Settings", "create_app"]

log = logging.getLogger("locard.service")


@dataclass(frozen=True, slots=True)
class Settings:
    """Service settings. ``secret_key`` signs session cookies (default: random per process,
    so sessions end with the process; set ``LOCARD_SECRET_KEY`` to keep them across restarts
    or workers). ``secure_cookies`` may be turned off only for plain-http localhost use."""

    secret_key: str = field(default_factory=lambda: os.environ.get("LOCARD_SECRET_KEY")
                            or secrets.token_hex(32))
    secure_cookies: bool = True
    session_max_age_s: int = 8 * 3600
    max_upload_bytes: int = 50 * 1024 * 1024
    max_ce_upload_bytes: int = 128 * 1024 * 1024  # raw CE runs of a plate (/ce/analyze)
    max_body_bytes: int = 1024 * 1024  # every other request
    login_attempts: int = 5  # per user name (or token prefix) + client address
    login_window_s: float = 300.0
    address_attempts: int = 20  # failed logins and bearer tokens per client address
    token_cache_s: float = 60.0
    search_limit: int = 100


class BodyLimit:
    """Refuse request bodies over the limit (413) by Content-Length and while streaming."""

    def __init__(self, app: ASGIApp, *, upload_limit: int, default_limit: int,
                 ce_limit: int | None = None) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.default_limit = default_limit
        self.ce_limit = upload_limit if ce_limit is None else ce_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = self.upload_limit if path.rstrip("/").endswith(("/imports", "/upload")) \
            else self.ce_limit if path.rstrip("/").endswith("/ce/analyze") \
            else self.default_limit
        length = None
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    length = int(v)
                except ValueError:
                    length = None
        if length is not None and length > limit:
            await self._refuse(send, limit)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # an HTTPException passes through FastAPI's body parsing (anything else
                    # becomes a 400 "error parsing the body") to the one error handler
                    raise HTTPException(413, f"request body over the limit of {limit} bytes")
            return message

        await self.app(scope, limited, send)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body = json.dumps(error_body("payload_too_large",
                                     f"request body over the limit of {limit} bytes",
                                     413)).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """CSP (no inline script, no third-party anything), no framing, no sniffing, no caching
    of pages that may show genotypes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy",
                     b"default-src 'self'; img-src 'self' data:; style-src 'self'; "
                     b"script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                if not str(scope.get("path", "")).startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _package_dir(name: str) -> Path:
    return Path(str(resources.files("locard.service").joinpath(name)))


def create_app(store_url: str | os.PathLike[str] | None = None, *,
               policy: Policy | str | os.PathLike[str] | None = None,
               settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """The service over the database at ``store_url`` (a path or a URL; default
    ``$LOCARD_DB`` or ``./locard.db``), or over an open ``store``."""
    from locard.service import api, ce_pages, web

    cfg = settings or Settings()
    the_store = store if store is not None else Store.open(store_url, policy=policy)
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # search on entry is durable: what a crash left pending runs before the first request
        await run_in_threadpool(_app.state.gateway.resume_pending_searches)
        yield
        if store is None:
            the_store.close()

    app = FastAPI(
        lifespan=lifespan, title="Locard", version=__version__,
        description="Forensic DNA identification: profiles, searches under the policy "
                    "matrix, candidate matches, audit. Every access is audited. Errors: "
                    '`{"error": code, "detail": message, "status": int}`.',
        openapi_url="/openapi.json", docs_url=None, redoc_url=None)
    app.state.store = the_store
    app.state.settings = cfg
    app.state.tokens = TokenCache(cfg.token_cache_s)
    app.state.sessions = SessionCodec(cfg.secret_key, cfg.session_max_age_s)
    app.state.limiter = LoginLimiter(cfg.login_attempts, cfg.login_window_s,
                                     address_attempts=cfg.address_attempts)
    app.state.gateway = SearchGateway(the_store)
    templates = Jinja2Templates(directory=str(_package_dir("templates")))
    templates.env.globals["version"] = __version__
    app.state.templates = templates
    install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(ce_pages.api_router)
    app.include_router(web.router)
    app.include_router(ce_pages.router)
    app.mount("/static", StaticFiles(directory=str(_package_dir("static"))), name="static")
    app.add_middleware(BodyLimit, upload_limit=cfg.max_upload_bytes,
                       default_limit=cfg.max_body_bytes, ce_limit=cfg.max_ce_upload_bytes)
    app.add_middleware(SecurityHeaders)

    return app


def app_state(app: FastAPI) -> dict[str, Any]:
    """For tests and tools: the objects the app holds."""
    return {"store": app.state.store, "settings": app.state.settings}
