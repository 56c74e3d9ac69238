"""Who is asking: bearer tokens for the API, signed cookie sessions for the browser, CSRF.

- **API**: ``Authorization: Bearer lcd_...``; tokens come from ``Store.issue_token`` and are
  verified with ``Store.authenticate_token`` (argon2 hashes at rest). A verified token is
  remembered for ``token_cache_s`` seconds by its SHA-256 so that argon2 is not paid on every
  request; the user is looked up (active, role, lab) on every request regardless.
- **Browser**: the login form takes a user name and that user's API token (the store keeps no
  passwords). The session is a cookie signed with itsdangerous (HttpOnly, SameSite=Strict,
  Secure unless ``secure_cookies`` is off for plain-http localhost) holding the user name, a
  per-session CSRF token and the login time; every POST form carries the CSRF token.
- **Login rate limit**: at most ``login_attempts`` failures per user name + client IP in
  ``login_window_s`` seconds (in memory, per process); then 429 until the window passes.

Authorization (role and lab) stays in the store: every store call takes the actor's name and
raises ``PermissionDenied``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from locard.errors import AuthenticationFailed
from locard.service.errors import ServiceError
from locard.store import Store, User

__all__ = ["SESSION_COOKIE", "LoginLimiter", "Principal", "SessionCodec", "TokenCache"]

SESSION_COOKIE = "locard_session"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: the store user and how they proved it."""

    user: User
    method: str  # "token" or "session"
    csrf: str = ""

    @property
    def name(self) -> str:
        return self.user.name


class TokenCache:
    """SHA-256(token) -> (user name, expiry); a hit skips the argon2 verification."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._hits: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def verify(self, store: Store, token: str) -> User:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            hit = self._hits.get(key)
        if hit is not None and hit[1] > now:
            user = store.user(hit[0])  # still active? role and lab as of now
            return user
        user = store.authenticate_token(token)
        with self._lock:
            if len(self._hits) > 10_000:
                self._hits.clear()
            self._hits[key] = (user.name, now + self.ttl_s)
        return user

    def forget_user(self, name: str) -> None:
        with self._lock:
            for key in [k for k, v in self._hits.items() if v[0] == name]:
                del self._hits[key]


class SessionCodec:
    """Sign and check the session cookie: ``{"u": name, "c": csrf, "t": login time}``."""

    def __init__(self, secret: str, max_age_s: int) -> None:
        self._s = URLSafeTimedSerializer(secret, salt="locard-session")
        self.max_age_s = max_age_s

    def new(self, user: str) -> tuple[str, str]:
        csrf = secrets.token_urlsafe(24)
        return self._s.dumps({"u": user, "c": csrf, "t": int(time.time())}), csrf

    def load(self, cookie: str) -> dict[str, Any] | None:
        try:
            data = self._s.loads(cookie, max_age=self.max_age_s)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("u"), str) \
                or not isinstance(data.get("c"), str):
            return None
        return data


class LoginLimiter:
    """Failed logins per (user name, client IP) in a sliding window, in memory."""

    def __init__(self, attempts: int, window_s: float) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._fails: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def check(self, user: str, ip: str) -> None:
        """Raise 429 when this user name + IP has used up its attempts."""
        now = time.monotonic()
        with self._lock:
            q = self._recent((user.casefold(), ip), now)
            if len(q) >= self.attempts:
                wait = max(1, int(q[0] + self.window_s - now) + 1)
                raise ServiceError(
                    f"too many failed logins for this user from this address; try again in "
                    f"{wait} s", status=429, headers={"Retry-After": str(wait)})

    def failed(self, user: str, ip: str) -> None:
        with self._lock:
            self._recent((user.casefold(), ip), time.monotonic()).append(time.monotonic())

    def succeeded(self, user: str, ip: str) -> None:
        with self._lock:
            self._fails.pop((user.casefold(), ip), None)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def check_csrf(expected: str, given: str | None) -> None:
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise ServiceError("missing or invalid CSRF token; reload the page and try again",
                           status=403, code="csrf_failed")


def authenticate(request: Request) -> Principal:
    """The caller of an API request: bearer token first, else the session cookie."""
    state = request.app.state
    store: Store = state.store
    token = bearer_token(request)
    if token is not None:
        return Principal(state.tokens.verify(store, token), "token")
    principal = session_principal(request)
    if principal is None:
        raise AuthenticationFailed("authentication required",
                                   remedy="send 'Authorization: Bearer <token>' (locard user "
                                          "token NAME) or log in")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        # a cookie-authenticated API write must carry the session's CSRF token
        check_csrf(principal.csrf, request.headers.get("x-csrf-token"))
    return principal


def session_principal(request: Request) -> Principal | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    data = request.app.state.sessions.load(cookie)
    if data is None:
        return None
    try:
        user = request.app.state.store.user(data["u"])
    except AuthenticationFailed:
        return None
    return Principal(user, "session", data["c"])
