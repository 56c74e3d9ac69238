"""The governance kernel: the one door every store operation goes through.

:meth:`Kernel.acting` (and :meth:`Kernel.authorize` for reads) looks up the acting user, checks
the role for the action and the lab scope, records a refusal, and writes the audit entry in the
same transaction as the act; every write of users, governance, candidate matches, import and
export goes through it (:meth:`Kernel.acting_long` for an import or an export, which read or
write a file before their one transaction; :meth:`Kernel.admit` is the checks alone). The
pieces it is made of (:meth:`Kernel.user_in`,
:meth:`Kernel.require`, :meth:`Kernel.own_lab`, :meth:`Kernel.write_audit`,
:meth:`Kernel.refuse`) are public for the store's concept modules (cases, searching, ...), so no
module reaches into another's private members. Also here: the roles and their permissions, the
salted references the audit log uses, and the database's key/value metadata.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from locard.errors import (
    AuthenticationFailed,
    InputError,
    LocardError,
    NotFound,
    PermissionDenied,
    StoreError,
)
from locard.os_user import os_user as os_user
from locard.store import schema as S
from locard.store.audit import GENESIS_HASH, canonical_json, entry_hash
from locard.store.database import Database
from locard.store.policy import Policy

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "Act",
    "ExpungeHook",
    "ImportHook",
    "Kernel",
    "LabOf",
    "LongAct",
    "ProgressHook",
    "User",
    "audit_time",
    "iter_chunks",
    "os_user",
    "utc_now",
    "utc_today",
]


ROLES = ("analyst", "reviewer", "administrator", "auditor")


#: action -> roles allowed to perform it
PERMISSIONS: dict[str, frozenset[str]] = {
    "import": frozenset({"analyst", "administrator"}),
    "view": frozenset({"analyst", "reviewer", "administrator"}),
    "search": frozenset({"analyst", "reviewer", "administrator"}),
    "export": frozenset({"analyst", "administrator"}),
    "case": frozenset({"analyst", "administrator"}),
    "record_match": frozenset({"analyst", "reviewer", "administrator"}),
    "decide_match": frozenset({"reviewer", "administrator"}),
    "expunge": frozenset({"administrator"}),
    "consent_withdraw": frozenset({"analyst", "administrator"}),
    "retention": frozenset({"administrator"}),
    "users": frozenset({"administrator"}),
    "audit": frozenset({"auditor", "administrator"}),
    "migrate": frozenset({"administrator"}),
}


def utc_now() -> str:
    """The current UTC time as ISO 8601 text, to the microsecond."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def utc_today() -> dt.date:
    """Today's date in UTC."""
    return dt.datetime.now(dt.UTC).date()


@dataclass(frozen=True, slots=True)
class User:
    """A user of the store: name, role, lab and whether active."""
    id: int
    name: str
    role: str
    lab_id: int
    lab: str
    active: bool = True
    #: moves on logout, token rotation and deactivation; a session issued under another
    #: epoch is dead (:meth:`Store.revoke_sessions`)
    session_epoch: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The user as a JSON-ready dict: name, role, lab and whether active."""
        return {"name": self.name, "role": self.role, "lab": self.lab, "active": self.active}


#: run after an import commits, with ``(lab, [specimen keys])``; a hook that records candidate
#: matches (search on entry) returns their IDs, which the import's report lists
ImportHook = Callable[[str, list[int]], Sequence[int] | None]


#: progress of a long operation: ``(phase, done, total)``, total None while unknown
ProgressHook = Callable[[str, int, int | None], None]


ExpungeHook = Callable[[str, list[int]], None]


def audit_time(text: str | None, name: str, *, end: bool,
                what: str = "audit filter") -> tuple[str, bool] | None:
    """An audit filter bound as the UTC ISO text ``at`` is compared with, and whether the
    bound is inclusive: a date ``until`` ends before the next day."""
    if text is None or not text.strip():
        return None
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            return ((day + dt.timedelta(days=1)).isoformat(), False) if end \
                else (day.isoformat(), True)
        when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{what} {name} {text!r} is not an ISO date or time",
                         remedy=f"give {name} as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[+00:00]"
                         ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds"), True


def iter_chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Split ``items`` into lists of ``size`` items (the last may be shorter)."""
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


#: the lab an act concerns, found once the actor is known: ``(read connection, actor) -> lab
#: code`` (e.g. the lab of the user an administrator acts on); None: the actor's own lab
LabOf = Callable[[sa.Connection, User], str | None]


@dataclass(slots=True)
class Act:
    """What :meth:`Kernel.acting` hands an operation: the acting ``user``, the open write
    transaction ``conn``, the ``details`` its audit entry will record (the operation may add
    to them or replace them), and ``lab``, the lab the act is confined to (the actor's own).

    :meth:`fail` ends the act with an error that is itself recorded: the entry is written
    with the details as they stand, committed, and then the error is raised."""

    user: User
    conn: sa.Connection
    details: dict[str, Any]
    lab: str = ""
    failure: LocardError | None = None

    def fail(self, exc: LocardError, details: Mapping[str, Any] | None = None) -> None:
        """Record the act as failed: its entry (``details``, if given, replace the act's)
        is still written, then ``exc`` is raised once the transaction commits. The block
        returns after calling this."""
        if details is not None:
            self.details = dict(details)
        self.failure = exc

    def refuse(self, exc: LocardError, details: Mapping[str, Any] | None = None) -> None:
        """:meth:`fail` with a refusal: the entry records ``{"refused": str(exc),
        **details}`` (as :meth:`Kernel.refuse` writes it)."""
        self.fail(exc, {"refused": str(exc), **dict(details or {})})


@dataclass(slots=True)
class LongAct:
    """What :meth:`Kernel.acting_long` hands an operation too long for one transaction (it
    reads or writes a file): the acting ``user``, the ``lab`` it is confined to, the
    ``details`` its audit entry will record. The operation opens its one write transaction
    with :meth:`write`, and the entry is written in that transaction, so the act and its
    record commit together; without one, the entry is written when the act ends.
    :meth:`fail` and :meth:`refuse` as for :class:`Act`."""

    user: User
    lab: str
    details: dict[str, Any]
    kernel: Kernel = field(repr=False)
    action: str
    purpose: str | None = None
    failure: LocardError | None = None
    recorded: bool = False
    #: a batch recorded item by item (``add_profiles``: one entry per profile): when set, one
    #: entry per item, each with its own details, instead of the one entry ``details``
    items: list[dict[str, Any]] | None = None

    def entries(self) -> list[dict[str, Any]]:
        """The details of each audit entry the act writes: ``items``, else ``[details]``."""
        return list(self.items) if self.items is not None else [self.details]

    def fail(self, exc: LocardError, details: Mapping[str, Any] | None = None) -> None:
        """See :meth:`Act.fail`."""
        if details is not None:
            self.details = dict(details)
        self.failure = exc

    def refuse(self, exc: LocardError, details: Mapping[str, Any] | None = None) -> None:
        """See :meth:`Act.refuse`."""
        self.fail(exc, {"refused": str(exc), **dict(details or {})})

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """The act's write transaction: the audit entry (the details as they stand when the
        block ends) is written in it, last; an exception rolls both back and records
        nothing."""
        with self.kernel.db.write() as conn:
            yield conn
            for details in self.entries():
                self.kernel.write_audit(conn, self.user, self.action, details,
                                        purpose=self.purpose)
            self.recorded = True


class Kernel:
    """The governance kernel of a :class:`~locard.store.Store` (see the module docstring)."""

    db: Database
    policy: Policy

    def __init__(self, db: Database, policy: Policy) -> None:
        self.db = db
        self.policy = policy
        #: callbacks ``(lab, [specimen keys])`` run after an import / expungement commits
        self.on_import: list[ImportHook] = []
        self.on_expunge: list[ExpungeHook] = []
        #: told the progress of imports and exports (the CLI's progress bars); None: silent
        self.on_progress: ProgressHook | None = None
        self._salt: str | None = None

    @staticmethod
    def get_meta(conn: sa.Connection, key: str) -> str | None:
        """The ``locard_meta`` value stored under ``key`` (None if unset)."""
        value = conn.execute(sa.select(S.locard_meta.c.value).where(
            S.locard_meta.c.key == key)).scalar_one_or_none()
        return None if value is None else str(value)

    @staticmethod
    def set_meta(conn: sa.Connection, key: str, value: str) -> None:
        """Store ``value`` under ``key`` in ``locard_meta`` (insert or update)."""
        updated = conn.execute(S.locard_meta.update().where(S.locard_meta.c.key == key)
                               .values(value=value)).rowcount
        if not updated:
            conn.execute(S.locard_meta.insert().values(key=key, value=value))

    # --- references and the audit log ----------------------------------------------------------

    def salt_value(self) -> str:
        """The database's salt (read once and kept); raises :class:`~locard.errors.StoreError`
        if the database was never initialised."""
        if self._salt is None:
            with self.db.read() as conn:
                salt = self.get_meta(conn, "salt")
            if salt is None:
                raise StoreError("database has no salt", remedy="run `locard init`")
            self._salt = salt
        return self._salt

    def specimen_ref(self, lab: str, specimen_id: str) -> str:
        """Salted SHA-256 of lab + specimen ID: how the audit log and tombstones name a
        specimen. An auditor who knows an ID can compute its reference to search the log."""
        data = f"{self.salt_value()}\x1f{lab}\x1f{specimen_id}".encode()
        return hashlib.sha256(data).hexdigest()

    def write_audit(self, conn: sa.Connection, user: User | None, action: str,
               details: Mapping[str, Any], *, purpose: str | None = None,
               actor_name: str | None = None, lab: str | None = None) -> int:
        """Append one entry to the chain, inside the caller's write transaction (which holds
        the writer lock: BEGIN IMMEDIATE / advisory lock), so that the chain cannot fork."""
        last = conn.execute(sa.select(S.audit_log.c.seq, S.audit_log.c.entry_hash)
                            .order_by(S.audit_log.c.seq.desc()).limit(1)).first()
        seq = 1 if last is None else int(last.seq) + 1
        prev = GENESIS_HASH if last is None else str(last.entry_hash)
        at = utc_now()
        name = user.name if user else (actor_name or os_user())
        role = user.role if user else None
        lab = user.lab if user else lab
        details_text = canonical_json(dict(details))
        h = entry_hash(seq=seq, at=at, user=name, role=role, lab=lab, action=action,
                       purpose=purpose, details=details_text, prev_hash=prev)
        conn.execute(S.audit_log.insert().values(
            seq=seq, at=at, user=name, role=role, lab=lab, action=action, purpose=purpose,
            details=details_text, prev_hash=prev, entry_hash=h))
        return seq

    def refuse(self, user: User | None, action: str, exc: LocardError,
                details: Mapping[str, Any] | None = None, *, purpose: str | None = None,
                actor_name: str | None = None) -> None:
        """Write a refusal to the audit log (own transaction), then raise ``exc``."""
        with self.db.write() as conn:
            self.write_audit(conn, user, action, {"refused": str(exc), **dict(details or {})},
                        purpose=purpose, actor_name=actor_name)
        raise exc

    def file_ref(self, name: str) -> str:
        """Salted SHA-256 of a file name: how the audit log names an imported or exported
        file (lab files are often named after a specimen, and the chain cannot be redacted
        after an expungement). An auditor who knows the name can compute it."""
        data = f"{self.salt_value()}\x1ffile\x1f{name}".encode()
        return hashlib.sha256(data).hexdigest()

    # --- users, labs, tokens ---------------------------------------------------------------------

    def ensure_lab(self, conn: sa.Connection, code: str) -> int:
        """The id of lab ``code``, created if new (an empty code is refused)."""
        code = code.strip()
        if not code:
            raise InputError("a lab code cannot be empty")
        lab_id = conn.execute(sa.select(S.labs.c.id).where(S.labs.c.code == code)
                              ).scalar_one_or_none()
        if lab_id is None:
            lab_id = conn.execute(S.labs.insert().values(code=code, created_at=utc_now())
                                  ).inserted_primary_key[0]  # type: ignore[index]
        return int(lab_id)

    def lab_id(self, conn: sa.Connection, code: str) -> int:
        """The id of lab ``code`` (raises :class:`~locard.errors.NotFound` if absent)."""
        lab_id = conn.execute(sa.select(S.labs.c.id).where(S.labs.c.code == code)
                              ).scalar_one_or_none()
        if lab_id is None:
            raise NotFound(f"no lab {code!r} in this database")
        return int(lab_id)

    def user_in(self, conn: sa.Connection, name: str | None, *, legacy: bool = False) -> User:
        """The active user ``name``. ``legacy``: without the columns later migrations add
        (for the role check of ``migrate`` on an old database)."""
        name = name or os_user()
        u = S.users.c
        cols = [u.id, u.name, u.role, u.lab_id, u.active, S.labs.c.code.label("lab_code")]
        if not legacy:
            cols.append(u.session_epoch)
        row = conn.execute(
            sa.select(*cols).join(S.labs, S.labs.c.id == u.lab_id)
            .where(u.name == name)).first()
        if row is None or not row.active:
            raise AuthenticationFailed(f"no active Locard user {name!r} in this database",
                                       remedy="use --user NAME or LOCARD_USER; an "
                                              "administrator adds users with `locard user add`")
        return User(int(row.id), row.name, row.role, int(row.lab_id), row.lab_code,
                    bool(row.active), 0 if legacy else int(row.session_epoch))

    def user(self, name: str | None = None) -> User:
        """The user ``name`` (default ``$LOCARD_USER`` or the OS user)."""
        with self.db.read() as conn:
            return self.user_in(conn, name)

    def require(self, user: User, action: str) -> None:
        """Refuse, audited, unless ``user``'s role may perform ``action`` (the permission
        table); raises :class:`~locard.errors.PermissionDenied` naming the roles that may."""
        if user.role not in PERMISSIONS[action]:
            allowed = ", ".join(sorted(PERMISSIONS[action]))
            exc = PermissionDenied(f"user {user.name!r} ({user.role}) may not {action}",
                                   remedy=f"needs the role: {allowed}")
            self.refuse(user, "access_refused", exc, {"attempted": action})

    def own_lab(self, user: User, action: str, lab: str | None, *,
                 purpose: str | None = None, details: Mapping[str, Any] | None = None) -> str:
        """The lab a write acts on, which is always the actor's own: every write is confined
        to the actor's lab (there is no national administrator). Another lab's code is
        refused before anything changes, and the refusal is audited."""
        lab_code = lab or user.lab
        if lab_code != user.lab:
            exc = PermissionDenied(
                f"user {user.name!r} of lab {user.lab!r} may not {action} for lab "
                f"{lab_code!r}; every write is confined to the user's own lab",
                remedy=f"an administrator of lab {lab_code!r} does it (--user NAME)")
            self.refuse(user, "access_refused", exc,
                         {"attempted": action, "lab": lab_code, **dict(details or {})},
                         purpose=purpose)
        return lab_code


    def report_progress(self, phase: str, done: int, total: int | None) -> None:
        """Tell :attr:`on_progress` (if set) how far a long operation has got."""
        if self.on_progress is not None:
            self.on_progress(phase, done, total)

    # --- the one door ----------------------------------------------------------------------

    def authorize(self, actor: str | None, action: str) -> User:
        """The active user ``actor`` (default ``$LOCARD_USER`` or the OS user), allowed to do
        ``action`` (a key of :data:`PERMISSIONS`). Raises :class:`AuthenticationFailed` for no
        such user and :class:`PermissionDenied` for a role without the permission (the refusal
        is audited first)."""
        with self.db.read() as conn:
            user = self.user_in(conn, actor)
        self.require(user, action)
        return user

    def admit(self, actor: str | None, action: str, *, purpose: str | None = None,
              lab: str | LabOf | None = None, refused: Mapping[str, Any] | None = None,
              self_service: str | None = None) -> tuple[User, str]:
        """The checks of the one door, in order: look up the active user ``actor``
        (:class:`AuthenticationFailed`), check the role for ``action`` (:meth:`require`) and
        confine the act to the actor's own lab (:meth:`own_lab`): ``lab`` is the lab it
        concerns, a code or a :data:`LabOf` looked up after the role check. A refusal is
        audited (``access_refused``, with ``refused`` and ``purpose``) and raised.

        ``self_service``: the user the act is on (a token, a session); the actor acting on
        their own account needs no role and no lab check. The target's lab is then looked up
        first (whether the act is the actor's own decides the checks).

        Returns the user and the lab code the act is confined to."""
        target: str | None = None
        with self.db.read() as conn:
            user = self.user_in(conn, actor)
            if self_service is not None and callable(lab):
                target = lab(conn, user)
        if self_service is not None and user.name == self_service:
            return user, target or user.lab
        self.require(user, action)
        if callable(lab):
            if self_service is None:
                with self.db.read() as conn:
                    target = lab(conn, user)
        else:
            target = lab
        if target is not None:
            return user, self.own_lab(user, action, target, purpose=purpose, details=refused)
        return user, user.lab

    @contextmanager
    def acting(self, actor: str | None, action: str, *, audit_as: str | None = None,
               purpose: str | None = None, lab: str | LabOf | None = None,
               details: Mapping[str, Any] | None = None,
               refused: Mapping[str, Any] | None = None,
               self_service: str | None = None) -> Iterator[Act]:
        """The one door for an operation that writes: :meth:`admit` ``actor`` for ``action``
        (user, role, lab; a refusal audited with ``refused``, default ``details``), then open
        the write transaction and hand the operation an :class:`Act`. When the block ends
        without an exception, the audit entry (action ``audit_as``, default ``action``; the
        act's ``details``, to which the block may add) is written in the same transaction,
        so the act and its record commit together; an exception rolls both back. An act the
        block ended with :meth:`Act.fail` is recorded, committed, and its error raised."""
        user, lab_code = self.admit(actor, action, purpose=purpose, lab=lab,
                                    refused=details if refused is None else refused,
                                    self_service=self_service)
        with self.db.write() as conn:
            act = Act(user, conn, dict(details or {}), lab_code)
            yield act
            self.write_audit(conn, user, audit_as or action, act.details, purpose=purpose)
        if act.failure is not None:
            raise act.failure

    @contextmanager
    def acting_long(self, actor: str | None, action: str, *, audit_as: str | None = None,
                    purpose: str | None = None, lab: str | LabOf | None = None,
                    details: Mapping[str, Any] | None = None,
                    refused: Mapping[str, Any] | None = None) -> Iterator[LongAct]:
        """:meth:`acting` for an operation too long for one transaction (an import reads a
        file and checks every record first; an export writes one): the same checks, then the
        block runs outside any transaction and opens its one write transaction with
        :meth:`LongAct.write`, in which the entry is written; a block that opens none (a
        dry run, an export, a failure) is recorded when it ends. An exception records
        nothing; :meth:`LongAct.fail` records, then raises."""
        user, lab_code = self.admit(actor, action, purpose=purpose, lab=lab,
                                    refused=details if refused is None else refused)
        act = LongAct(user, lab_code, dict(details or {}), self, audit_as or action, purpose)
        yield act
        if not act.recorded:
            with self.db.write() as conn:
                for entry in act.entries():
                    self.write_audit(conn, user, act.action, entry, purpose=purpose)
        if act.failure is not None:
            raise act.failure
