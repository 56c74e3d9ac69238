"""The Locard HTTP service: a JSON API under ``/api/v1`` and server-rendered pages, both thin
layers over :class:`locard.store.Store` (see ``docs/service.md``)."""

from locard.service.app import Settings, create_app

__all__ = ["Settings", "create_app"]
