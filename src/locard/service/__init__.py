"""The Locard HTTP service: a JSON API under ``/api/v1`` and server-rendered pages, both thin
layers over :class:`locard.store.Store` (see ``docs/service.md``).

The web stack (FastAPI) loads on first use of :func:`create_app` or :class:`Settings`, so that
``locard matches report`` can build the PDF (:mod:`locard.service.reports`) without it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from locard.service.app import Settings, create_app

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from locard.service import app as _app

        return getattr(_app, name)
    raise AttributeError(f"module 'locard.service' has no attribute {name!r}")
