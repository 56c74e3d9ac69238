"""Who is asking: bearer tokens for the API, signed cookie sessions for the browser, CSRF.

- **API**: ``Authorization: Bearer lcd_...``; tokens come from ``Store.issue_token`` and are
  verified with ``Store.authenticate_token`` (argon2 hashes at rest). A verified token is
  remembered for ``token_cache_s`` seconds by its SHA-256 so that argon2 is not paid on every
  request; the user is looked up (active, role, lab, session epoch) on every request
  regardless, and a remembered token whose user's session epoch has moved (token rotated,
  user deactivated or logged out, in any process) is verified again.
- **Browser**: the login form takes a user name and that user's API token (the store keeps no
  passwords). The session is a cookie signed with itsdangerous (HttpOnly, SameSite=Strict,
  Secure unless ``secure_cookies`` is off for plain-http localhost) holding the user name, a
  per-session CSRF token, the login time and the user's session epoch; every POST form
  carries the CSRF token. Logout, token rotation and deactivation move the user's epoch
  (``Store.revoke_sessions``), which ends every session of that user at once.
- **Rate limits** (in memory, per process; 429 with ``Retry-After`` until the window passes):
  at most ``login_attempts`` failed logins per normalised user name (NFKC, trimmed,
  case-folded) + client address, and as many failed bearer tokens per token prefix + client
  address, in ``login_window_s`` seconds; and at most ``address_attempts`` failures of either
  kind per client address.

Authorization (role and lab) stays in the store: every store call takes the actor's name and
raises ``PermissionDenied``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import unicodedata
from collections import deque
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from locard.errors import AuthenticationFailed
from locard.service.errors import ServiceError
from locard.store import Store, User

__all__ = ["SESSION_COOKIE", "LoginLimiter", "Principal", "SessionCodec", "TokenCache",
           "normalise_user_name"]

SESSION_COOKIE = "locard_session"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: the store user and how they proved it."""

    user: User
    method: str  # "token" or "session"
    csrf: str = ""

    @property
    def name(self) -> str:
        """The user's name."""
        return self.user.name


class TokenCache:
    """SHA-256(token) -> (user name, session epoch, expiry); a hit skips the argon2
    verification while the user's session epoch is the one the token was verified under."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._hits: dict[str, tuple[str, int, float]] = {}
        self._lock = threading.Lock()

    def verify(self, store: Store, token: str) -> User:
        """The active user an API token belongs to, from the cache while the user's session epoch is
        unchanged.

        Raises AuthenticationFailed for an unknown or inactive token.
        """
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            hit = self._hits.get(key)
        if hit is not None and hit[2] > now:
            user = store.user(hit[0])  # still active? role, lab and epoch as of now
            if user.session_epoch == hit[1]:
                return user
            # rotated, deactivated or logged out since: verify the token again
        user = store.authenticate_token(token)
        with self._lock:
            if len(self._hits) > 10_000:
                self._hits.clear()
            self._hits[key] = (user.name, user.session_epoch, now + self.ttl_s)
        return user

    def forget_user(self, name: str) -> None:
        """Drop every cached token of user ``name`` (after deactivation, rotation or logout)."""
        with self._lock:
            for key in [k for k, v in self._hits.items() if v[0] == name]:
                del self._hits[key]


class SessionCodec:
    """Sign and check the session cookie: ``{"u": name, "c": csrf, "t": login time,
    "g": the user's session epoch at login}``."""

    def __init__(self, secret: str, max_age_s: int) -> None:
        self._s = URLSafeTimedSerializer(secret, salt="locard-session")
        self.max_age_s = max_age_s

    def new(self, user: User) -> tuple[str, str]:
        """A new signed session cookie for ``user`` and its CSRF token: ``(cookie, csrf)``."""
        csrf = secrets.token_urlsafe(24)
        return self._s.dumps({"u": user.name, "c": csrf, "t": int(time.time()),
                              "g": user.session_epoch}), csrf

    def load(self, cookie: str) -> dict[str, Any] | None:
        """The session data of a signed cookie, or None if it is forged, expired (older than
        ``max_age_s``) or malformed.
        """
        try:
            data = self._s.loads(cookie, max_age=self.max_age_s)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("u"), str) \
                or not isinstance(data.get("c"), str) or type(data.get("g")) is not int:
            return None
        return data


def normalise_user_name(name: str) -> str:
    """The key a login failure is counted under: NFKC, trimmed, case-folded (``"Ana "``,
    ``"ana"`` and ``"ＡＮＡ"`` are one user name to the limiter)."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


def token_prefix(token: str) -> str:
    """The lookup prefix of a bearer token (``lcd_<prefix>_...``), the key its failures are
    counted under; ``"(malformed)"`` for anything else."""
    parts = token.split("_", 2)
    if len(parts) == 3 and parts[0] == "lcd" and 0 < len(parts[1]) <= 16:
        return parts[1]
    return "(malformed)"


class LoginLimiter:
    """Failed authentications in a sliding window, in memory: per (kind, who, client
    address), where ``who`` is the normalised user name of a login or the prefix of a bearer
    token, up to ``attempts``; and per client address, any kind, up to ``address_attempts``
    (a guesser who varies the name or the token still meets a limit)."""

    def __init__(self, attempts: int, window_s: float, *,
                 address_attempts: int | None = None) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self.address_attempts = address_attempts if address_attempts is not None \
            else 4 * attempts
        self._fails: dict[tuple[str, str, str], deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(kind: str, who: str, ip: str) -> tuple[tuple[str, str, str],
                                                      tuple[str, str, str]]:
        who = normalise_user_name(who) if kind == "login" else who
        return (kind, who, ip), ("*", "", ip)

    def _recent(self, key: tuple[str, str, str], now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def _prune(self, now: float) -> None:
        if len(self._fails) > 50_000:  # many keys: drop the ones whose window has passed
            for key in [k for k, q in self._fails.items()
                        if not q or q[-1] <= now - self.window_s]:
                del self._fails[key]

    def check(self, user: str, ip: str, *, kind: str = "login") -> None:
        """Raise 429 (with Retry-After) when this user name (``kind="login"``) or token
        prefix (``kind="token"``) from this address, or this address as a whole, has used up
        its attempts."""
        now = time.monotonic()
        own, address = self._keys(kind, user, ip)
        with self._lock:
            for key, limit in ((own, self.attempts), (address, self.address_attempts)):
                q = self._recent(key, now)
                if len(q) >= limit:
                    wait = max(1, int(q[0] + self.window_s - now) + 1)
                    what = ("logins for this user" if kind == "login" else
                            "API token attempts with this token") if key is own else \
                        "authentication attempts"
                    raise ServiceError(
                        f"too many failed {what} from this address; try again in {wait} s",
                        status=429, headers={"Retry-After": str(wait)})

    def failed(self, user: str, ip: str, *, kind: str = "login") -> None:
        """Count a failed attempt against this name (or token prefix) and this address."""
        now = time.monotonic()
        with self._lock:
            self._prune(now)
            for key in self._keys(kind, user, ip):
                self._recent(key, now).append(now)

    def succeeded(self, user: str, ip: str, *, kind: str = "login") -> None:
        """Clear this name's (or token prefix's) failures; the address's count stays."""
        with self._lock:
            self._fails.pop(self._keys(kind, user, ip)[0], None)


def client_ip(request: Request) -> str:
    """The client's IP address as the server sees it, or ``"unknown"``."""
    return request.client.host if request.client else "unknown"


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def check_csrf(expected: str, given: str | None) -> None:
    """Raise ServiceError (403, ``csrf_failed``) unless ``given`` equals the expected CSRF token
    (constant-time comparison).
    """
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise ServiceError("missing or invalid CSRF token; reload the page and try again",
                           status=403, code="csrf_failed")


def authenticate(request: Request) -> Principal:
    """The caller of an API request: bearer token first, else the session cookie."""
    state = request.app.state
    store: Store = state.store
    token = bearer_token(request)
    if token is not None:
        limiter: LoginLimiter = state.limiter
        ip, prefix = client_ip(request), token_prefix(token)
        limiter.check(prefix, ip, kind="token")
        try:
            user = state.tokens.verify(store, token)
        except AuthenticationFailed:
            limiter.failed(prefix, ip, kind="token")
            raise
        limiter.succeeded(prefix, ip, kind="token")
        return Principal(user, "token")
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
    """The principal of the request's session cookie, or None if there is none or it is no longer
    valid.
    """
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
    if user.session_epoch != data["g"]:
        return None  # ended by logout, token rotation or deactivation
    return Principal(user, "session", data["c"])
