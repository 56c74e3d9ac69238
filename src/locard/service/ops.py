"""What the API and the web pages share: thin wrappers over the store's public API that shape
its results for display. Every call that touches specimens goes through a ``Store`` method with
the actor's name, so role, lab and audit are the store's business."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from locard.errors import ImportFailed, LocardError
from locard.service.gateway import SearchGateway
from locard.store import Store

# the match review lives in the store, so that the CLI shows the same comparison and number
from locard.store.matches import (
    MatchDetail,
    compare_loci,
    find_match,
    match_detail,
    match_statistics,
)

__all__ = ["MatchDetail", "compare_loci", "find_match", "import_upload", "index_statistics",
           "match_detail", "match_statistics"]

UPLOAD_FORMATS = ("auto", "cmf", "genemapper", "csv", "json")


def index_statistics(store: Store) -> dict[str, Any]:
    """Counts per index, growth per day and index, and locus completeness (the distribution of
    typed loci per profile): :meth:`Store.index_statistics`. Aggregates only: no specimen is
    named."""
    return store.index_statistics()


def import_upload(store: Store, gateway: SearchGateway, data: bytes, filename: str, *,
                  format: str | None, category: str | None, legal_basis: str | None,
                  consent: str | None, skip_invalid: bool, actor: str,
                  purpose: str | None) -> dict[str, Any]:
    """Import an uploaded file through ``Store.import_file`` with search on entry; the report
    (with ``candidate_matches``: the match IDs recorded on entry), or (all or nothing refused)
    the problems with ``imported = 0``."""
    safe = "".join(ch for ch in Path(filename or "upload").name
                   if ch.isalnum() or ch in "._-")[:80] or "upload"
    fmt = None if format in (None, "", "auto") else format
    with tempfile.TemporaryDirectory(prefix="locard-upload-") as tmp:
        path = Path(tmp) / safe
        path.write_bytes(data)
        try:
            report, on_entry = gateway.import_with_entry_search(
                actor, lambda: store.import_file(
                    path, format=fmt, category=category or None,
                    legal_basis=legal_basis or None, consent=consent or None,
                    skip_invalid=skip_invalid, actor=actor, purpose=purpose or None))
        except ImportFailed as exc:
            return {"file": safe, "imported": 0, "accepted": {}, "rejected": {},
                    "committed": False,
                    "problems": [{"message": _strip(p, tmp)} for p in exc.problems],
                    "summary": f"nothing imported: {len(exc.problems)} problem(s)"}
        except LocardError as exc:
            raise _client_named(exc, tmp) from None
        finally:
            if path.exists():
                os.unlink(path)
    out = report.to_dict()
    out["file"] = safe
    out["path"] = safe
    out["committed"] = True
    out["candidate_matches"] = on_entry
    for p in [*out["problems"], *out["flagged"]]:
        p["file"] = safe
        p["message"] = _strip(p["message"], tmp)
    out["summary"] = f"{report.imported} imported, {len(report.problems)} problem(s)"
    return out


def _strip(text: str, tmp: str) -> str:
    return text.replace(tmp + os.sep, "").replace(tmp, "")


def _client_named(exc: LocardError, tmp: str) -> LocardError:
    """The error with the server's temporary path replaced by the file's client-side name
    (the upload is saved as ``<tmp>/<client name>``), in its message and its attributes."""
    exc.args = tuple(_strip(a, tmp) if isinstance(a, str) else a for a in exc.args)
    exc.message = _strip(exc.message, tmp)
    for attr in ("path", "file"):
        value = getattr(exc, attr, None)
        if isinstance(value, str):
            setattr(exc, attr, _strip(value, tmp))
    return exc
