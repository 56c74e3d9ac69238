"""Expunging through the API leaves the genotype in no file: the service's loaded (attached)
search index saves its snapshot without it, and the SQLite WAL is truncated, before the 200."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from locard.search import ProfileIndex
from locard.search.index import DEFAULT_LOCI
from locard.store.imports import genotype_json
from locard.store.indexing import index_dir_for

from .conftest import Service

SID = "CO-0000004"


def _holding(root: Path, needle: bytes) -> list[str]:
    return [str(p.relative_to(root)) for p in sorted(root.rglob("*"))
            if p.is_file() and needle in p.read_bytes()]


def _genotypes(snapshot: Path) -> list[bytes]:
    """The genotypes the snapshot's files hold (decoded through its own dictionaries)."""
    index = ProfileIndex.load(snapshot)
    out = []
    for key in np.load(snapshot / "single_keys.npy").tolist():
        profile = index.get(int(key))
        assert profile is not None
        out.append(genotype_json(profile).encode())
    return out


def test_api_expunge_leaves_no_genotype_on_disk(service: Service) -> None:
    c, store = service.client, service.store
    # a search loads the service's index, which writes its snapshot beside the database
    r = c.post("/api/v1/searches", headers=service.h("ana"),
               json={"specimen_id": "CO-0000001", "purpose": "CASE-1"})
    assert r.status_code == 200, r.text
    folder = index_dir_for(store)
    snapshot = folder / "offender.locard-index"
    assert (snapshot / "single_codes.npy").is_file()
    view = store.get_specimen(SID, actor="admin")
    assert view.profile is not None
    text = genotype_json(view.profile).encode()
    assert _holding(service.tmp, text)  # in the database file
    encoded = genotype_json(view.profile.restrict(list(DEFAULT_LOCI))).encode()
    assert encoded in _genotypes(snapshot)  # and, encoded, in the snapshot

    r = c.post(f"/api/v1/specimens/{SID}/expunge", headers=service.h("admin"),
               json={"reason": "conviction overturned", "confirm": SID})
    assert r.status_code == 200, r.text

    assert _holding(service.tmp, text) == []
    assert _holding(service.tmp, SID.encode()) == []
    held = _genotypes(snapshot)
    assert len(held) == 8 and encoded not in held
    wal = service.tmp / "locard.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
