"""Users, labs and API tokens: adding and deactivating users, sessions, tokens."""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa

from locard.errors import AuthenticationFailed, InputError, NotFound
from locard.store import schema as S
from locard.store.kernel import ROLES, Kernel, User, utc_now

__all__ = [
    "TOKEN_PREFIX",
    "Users",
]


TOKEN_PREFIX = "lcd"


class Users(Kernel):
    """User administration of a :class:`~locard.store.Store`."""

    def add_user(self, name: str, *, role: str, lab: str | None = None, actor: str) -> User:
        """Add a user (administrators only); the lab is created if new."""
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}", remedy="roles: " + ", ".join(ROLES))
        if not name.strip():
            raise InputError("a user name cannot be empty")
        with self.acting(actor, "users", audit_as="user_change") as act:
            lab_code = lab or act.user.lab
            exists = act.conn.execute(sa.select(S.users.c.id).where(S.users.c.name == name)
                                      ).scalar_one_or_none()
            if exists is not None:
                raise InputError(f"user {name!r} already exists")
            lab_id = self.ensure_lab(act.conn, lab_code)
            act.conn.execute(S.users.insert().values(name=name, role=role, lab_id=lab_id,
                                                     active=True, created_at=utc_now()))
            act.details.update({"op": "add", "name": name, "role": role, "lab": lab_code})
            added = self.user_in(act.conn, name)
        return added

    def user_lab(self, conn: sa.Connection, name: str) -> str:
        """The lab of user ``name``, active or not; :class:`NotFound` for no such user."""
        code = conn.execute(sa.select(S.labs.c.code)
                            .join(S.users, S.users.c.lab_id == S.labs.c.id)
                            .where(S.users.c.name == name)).scalar_one_or_none()
        if code is None:
            raise NotFound(f"no user {name!r}", remedy="`locard user add` adds one")
        return str(code)

    @staticmethod
    def _next_epoch() -> sa.ColumnElement[Any]:
        return S.users.c.session_epoch + 1

    def deactivate_user(self, name: str, *, actor: str) -> User:
        """Deactivate a user of the administrator's own lab: the token is revoked and every
        session ends at once (the user's session epoch moves on). Returns the user as now
        stored (inactive)."""
        with self.acting(actor, "users", audit_as="user_change",
                         lab=lambda conn, _user: self.user_lab(conn, name),
                         details={"op": "deactivate", "name": name}) as act:
            n = act.conn.execute(S.users.update().where(S.users.c.name == name).values(
                active=False, token_prefix=None, token_hash=None,
                session_epoch=self._next_epoch())).rowcount
            if not n:
                raise NotFound(f"no user {name!r}")
            row = act.conn.execute(sa.select(S.users.c.id, S.users.c.role, S.users.c.lab_id,
                                             S.users.c.session_epoch)
                                   .where(S.users.c.name == name)).one()
        return User(int(row.id), name, row.role, int(row.lab_id), act.lab, False,
                    int(row.session_epoch))

    def revoke_sessions(self, name: str, *, actor: str, reason: str = "logout") -> int:
        """End every session of ``name`` at once (logout; or an administrator of the same
        lab). Returns the new session epoch; a session cookie issued under an older epoch is
        refused from now on."""
        with self.acting(actor, "users", audit_as="sessions_end", self_service=name,
                         lab=lambda conn, _user: self.user_lab(conn, name),
                         refused={"op": "sessions_end", "name": name},
                         details={"for": name, "reason": reason}) as act:
            act.conn.execute(S.users.update().where(S.users.c.name == name).values(
                session_epoch=self._next_epoch()))
            epoch = act.conn.execute(sa.select(S.users.c.session_epoch).where(
                S.users.c.name == name)).scalar_one()
        return int(epoch)

    def issue_token(self, name: str, *, actor: str) -> str:
        """A new API token for ``name`` (replacing any old one); returned once, stored only as
        an argon2 hash with a lookup prefix. A user may renew their own token; an
        administrator issues tokens for the users of their own lab. Every session of the user
        ends at once (the old token's sessions with it)."""
        from argon2 import PasswordHasher

        prefix = secrets.token_hex(6)
        token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        hashed = PasswordHasher().hash(token)  # before the write lock: argon2 takes a while
        with self.acting(actor, "users", audit_as="token_issue", self_service=name,
                         lab=lambda conn, _user: self.user_in(conn, name).lab,
                         refused={"op": "token_issue", "name": name},
                         details={"for": name, "prefix": prefix}) as act:
            act.conn.execute(S.users.update().where(S.users.c.name == name).values(
                token_prefix=prefix, token_hash=hashed, token_created_at=utc_now(),
                session_epoch=self._next_epoch()))
        return token

    def authenticate_token(self, token: str) -> User:
        """The user a token belongs to; :class:`AuthenticationFailed` otherwise."""
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
            raise AuthenticationFailed("malformed API token")
        with self.db.read() as conn:
            row = conn.execute(sa.select(S.users.c.name, S.users.c.token_hash).where(
                S.users.c.token_prefix == parts[1], S.users.c.active.is_(True))).first()
            if row is None or row.token_hash is None:
                raise AuthenticationFailed("unknown or revoked API token")
            try:
                PasswordHasher().verify(row.token_hash, token)
            except (VerificationError, InvalidHashError):
                raise AuthenticationFailed("unknown or revoked API token") from None
            return self.user_in(conn, row.name)

    def list_users(self, *, actor: str) -> list[User]:
        """The users, by name (administrators only; unaudited: no specimen is named)."""
        self.authorize(actor, "users")
        with self.db.read() as conn:
            rows = conn.execute(sa.select(S.users.c.name).order_by(S.users.c.name)).scalars()
            return [self.user_in(conn, n) for n in rows]
