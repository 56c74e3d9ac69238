"""What the commands that touch the database share: who the user is and an open store.

SQLAlchemy loads inside :func:`open_store`, not at import, so that ``locard --help`` and the
statistics commands start quickly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from locard.os_user import os_user

if TYPE_CHECKING:
    from locard.store import Store

__all__ = ["open_store", "resolve_user"]


def resolve_user(name: str | None) -> str:
    """The Locard user a command acts as: ``name`` (``--user``), else ``$LOCARD_USER``, else
    the OS user (:func:`locard.os_user.os_user`)."""
    return name or os_user()


@contextmanager
def open_store(db: str | None, policy: str | None = None) -> Iterator[Store]:
    """The store at ``db`` (``--db``; None: $LOCARD_DB or ./locard.db) under ``policy``
    (``--policy``), closed when the block ends."""
    from locard.store import Store

    store = Store.open(db, policy=policy)
    try:
        yield store
    finally:
        store.close()
