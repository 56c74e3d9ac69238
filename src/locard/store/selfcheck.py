"""The self-check of the store's indices: duplicates and near matches within each index
(``locard db check``), authorised and audited as quality control, scoped to the user's lab.

The algorithms are :func:`locard.search.selfcheck.find_near_matches` (pigeonhole blocking,
equal to brute force) and :func:`locard.search.selfcheck.pair_count_matrix`; this module
authorises (:meth:`Store.authorize_self_check`, one ``self_check`` audit entry), runs them on
the store's indices and keeps the pairs the user may see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from locard.search.selfcheck import find_near_matches, pair_count_matrix
from locard.store.categories import Index, parse_index
from locard.store.indexing import StoreIndices, specimen_rows
from locard.store.searching import visible
from locard.store.store import Store

__all__ = ["CheckPair", "StoreCheck", "self_check"]


@dataclass(frozen=True, slots=True)
class CheckPair:
    """A near-match pair; another lab's member shows only its lab and specimen ID."""

    index: str
    a: tuple[str, str]
    b: tuple[str, str]
    kind: str
    matching: int
    partial: int
    compared: int

    def to_dict(self) -> dict[str, Any]:
        """The pair as a JSON-ready dict."""
        return {"index": self.index, "lab_a": self.a[0], "specimen_a": self.a[1],
                "lab_b": self.b[0], "specimen_b": self.b[1], "kind": self.kind,
                "matching_loci": self.matching, "partial_loci": self.partial,
                "compared_loci": self.compared}


@dataclass(frozen=True, slots=True)
class StoreCheck:
    """A store self-check: the indices checked, profile counts and the pairs found."""
    indices: tuple[str, ...]
    min_matching_loci: int | None
    profiles: Mapping[str, int]
    pairs: tuple[CheckPair, ...]
    pairs_matrix: Mapping[str, list[list[int]]] | None
    purpose: str

    def to_dict(self) -> dict[str, Any]:
        """The check as a JSON-ready dict."""
        return {"indices": list(self.indices), "min_matching_loci": self.min_matching_loci,
                "profiles": dict(self.profiles), "purpose": self.purpose,
                "pairs": [p.to_dict() for p in self.pairs],
                "pairs_matrix": dict(self.pairs_matrix) if self.pairs_matrix is not None
                else None}


def self_check(store: Store, *, actor: str, purpose: str | None, min_loci: int | None = None,
               pairs_matrix: bool = False, indices: Iterable[Index | str] | None = None,
               store_indices: StoreIndices | None = None) -> StoreCheck:
    """Duplicates and near matches within each index (default: every index but the
    relatives' references, which are never compared directly; naming that one is refused and
    audited). The self-check is quality control, its own purpose, not a casework search: the
    search matrix does not govern it (an offender index is checked for aliases although
    offenders are never searched against offenders) and it is audited as one ``self_check``
    entry (:meth:`Store.authorize_self_check`). ``min_loci`` defaults per index to the median
    number of loci its profiles are typed at, minus 2
    (:func:`locard.search.selfcheck.default_min_matching_loci`). Only pairs with at least one
    of the user's lab's specimens are listed; ``pairs_matrix`` counts all pairs (no
    identities)."""
    policy = store.policy
    wanted = (policy.self_check_indices() if indices is None
              else list(dict.fromkeys(parse_index(i) for i in indices)))
    user = store.authorize_self_check(wanted, actor=actor, purpose=purpose)
    own = store_indices or StoreIndices.open(store, actor=actor, attach=False)
    pairs: list[CheckPair] = []
    counts: dict[str, int] = {}
    matrices: dict[str, list[list[int]]] = {}
    used_m: int | None = min_loci
    for idx in wanted:
        pidx = own[idx]
        counts[idx.value] = pidx.n_single
        if pidx.n_single < 2:
            continue
        check = find_near_matches(pidx, min_matching_loci=min_loci)
        used_m = check.min_matching_loci
        rows = specimen_rows(store, [k for p in check.pairs for k in (p.key_a, p.key_b)])
        for p in check.pairs:
            ra, rb = rows.get(p.key_a), rows.get(p.key_b)
            if ra is None or rb is None or user.lab not in (ra.lab, rb.lab):
                continue
            if not (visible(ra, user.lab) and visible(rb, user.lab)):
                continue
            pairs.append(CheckPair(idx.value, (ra.lab, ra.specimen_id),
                                   (rb.lab, rb.specimen_id), p.kind, p.matching, p.partial,
                                   p.compared))
        if pairs_matrix:
            matrices[idx.value] = np.asarray(pair_count_matrix(pidx)).tolist()
    return StoreCheck(tuple(i.value for i in wanted), used_m, counts, tuple(pairs),
                      matrices if pairs_matrix else None, purpose or "")

