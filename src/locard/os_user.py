"""The user a local command acts as when none is named: the one OS-user fallback.

The CLI's ``--user`` (:func:`locard.cli.context.resolve_user`) and the store (an administrator
not named at ``Store.init``, an actor not named to the governance kernel) both fall back to
:func:`os_user`. Like :mod:`locard.jsonsafe` this module imports nothing of Locard, so any layer
may use it.
"""

from __future__ import annotations

import getpass
import os

__all__ = ["FALLBACK_USER", "os_user"]

#: the name used where the OS has no entry for the current user (a container without passwd)
FALLBACK_USER = "locard"


def os_user() -> str:
    """``$LOCARD_USER`` if set and not empty, else the OS login name
    (:func:`getpass.getuser`), else :data:`FALLBACK_USER`."""
    env = os.environ.get("LOCARD_USER")
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry
        return FALLBACK_USER
