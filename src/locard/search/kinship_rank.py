"""Database-wide kinship ranking: every encoded profile scored against one reference pedigree.

Input: the pedigree's per-locus :class:`~locard.stats.kinship.GenotypeLRTable` (the
missing-person LR of every genotype, :func:`~locard.stats.kinship.genotype_lr_tables`) and
single-source profiles encoded as the search engine encodes them (:mod:`.encoding`): uint8 codes,
two per locus, code ``k >= 1`` naming the ``k``-th allele of that locus' dictionary, code 0
untyped. Each table is re-indexed by the index's codes
(:func:`~locard.stats.kinship.search_tables.lr_lookup_matrix`: ``T_l[code_a, code_b]``,
untyped -> LR 1, an index allele the table does not list -> the table's catch-all ``unseen``
entry), so a profile's LR is

    LR = prod_l T_l[a_l, b_l],      scored as  log10 LR = sum_l log10 T_l[a_l, b_l]

one table look-up per locus, in a numba kernel run in parallel over chunks of profiles; each
chunk keeps its own best ``top`` rows and the chunks' bests are merged, so no score array is
written. Only the returned rows get their per-locus LRs (recomputed in the linear domain, so
``lr == prod(per_locus)``). An entry equals :func:`~locard.stats.kinship.missing_person_lr` of
the decoded profile at that locus when the profile's alleles are listed in the table (see
:mod:`locard.stats.kinship.search_tables` for the catch-all).

**Policy.** Relatives' reference profiles are compared only with missing persons and unidentified
human remains. :func:`rank_by_kinship` works on raw arrays and cannot know where they come from:
its caller (the store) enforces the rule; :func:`rank_index` refuses any index other than
``missing_person`` and ``unidentified``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from numba import njit, prange

from locard.errors import PolicyViolation, SearchError
from locard.genetics.alleles import Allele
from locard.genetics.loci import canonical_locus
from locard.stats.kinship.search_tables import GenotypeLRTable, lr_lookup_matrix

if TYPE_CHECKING:
    from locard.search.index import ProfileIndex

__all__ = [
    "KINSHIP_TARGET_INDICES",
    "KinshipHit",
    "KinshipLookup",
    "check_encoded",
    "kinship_lookup",
    "rank_by_kinship",
    "rank_index",
    "top_rows_by_table_sum",
]

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

KINSHIP_TARGET_INDICES = frozenset({"missing_person", "unidentified"})
"""The only indices a relatives' reference may be ranked against (THE LINE WE HOLD)."""

_CHUNK = 1 << 15


@dataclass(frozen=True, slots=True)
class KinshipHit:
    """One ranked profile: ``row`` in the array (``key`` where keys were given), ``lr`` the
    product of ``per_locus`` (the loci where the profile is typed and a table exists)."""

    row: int
    key: int | None
    lr: float
    log10_lr: float
    per_locus: dict[str, float] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The hit as a JSON-ready dict."""
        return {"row": self.row, "key": self.key, "lr": self.lr, "log10_lr": self.log10_lr,
                "per_locus": dict(self.per_locus)}


@dataclass(frozen=True, slots=True, eq=False)
class KinshipLookup:
    """The tables re-indexed by an index's codes: ``lr[l, a, b]`` and ``log10_lr[l, a, b]`` for
    the index's locus ``loci[l]`` (all ones / zeros where no table covers the locus)."""

    loci: tuple[str, ...]
    covered: tuple[bool, ...]
    lr: FloatArray = field(repr=False)
    log10_lr: FloatArray = field(repr=False)
    provenance: dict[str, Any] = field(repr=False)


def _code_alleles(mapping: Mapping[str, int] | Sequence[Allele | str]) -> list[Allele | str | None]:
    """Code k -> allele (position k - 1), from a dictionary allele -> code or an allele list."""
    if isinstance(mapping, Mapping):
        size = max(mapping.values(), default=0)
        out: list[Allele | str | None] = [None] * size
        for allele, code in mapping.items():
            if not 1 <= code <= 255:
                raise SearchError(f"allele {allele!r}: code {code} is outside 1..255")
            out[code - 1] = allele
        return out
    return list(mapping)


def kinship_lookup(
    tables: Mapping[str, GenotypeLRTable],
    loci: Sequence[str],
    allele_maps: Sequence[Mapping[str, int] | Sequence[Allele | str]],
) -> KinshipLookup:
    """Re-index ``tables`` by the codes of an index: ``loci[l]`` has ``allele_maps[l]`` (allele
    string -> code, or the allele list of the dictionary, code k = position k - 1)."""
    names = [canonical_locus(x) for x in loci]
    if len(allele_maps) != len(names):
        raise SearchError(f"{len(allele_maps)} allele maps for {len(names)} loci")
    by_locus = {canonical_locus(k): v for k, v in tables.items()}
    per_code = [_code_alleles(m) for m in allele_maps]
    size = 1 + max((len(a) for a in per_code), default=0)
    lr = np.ones((len(names), size, size), dtype=np.float64)
    covered: list[bool] = []
    for li, (locus, alleles) in enumerate(zip(names, per_code, strict=True)):
        tab = by_locus.get(locus)
        covered.append(tab is not None)
        if tab is not None:
            m = lr_lookup_matrix(tab, alleles)
            lr[li, :m.shape[0], :m.shape[1]] = m
    with np.errstate(divide="ignore"):
        log10 = np.log10(lr)
    provenance = {"loci": [x for x, c in zip(names, covered, strict=True) if c],
                  "tables": {k: v.provenance for k, v in by_locus.items() if k in names}}
    return KinshipLookup(tuple(names), tuple(covered), lr, log10, provenance)


@njit(cache=True, inline="always")
def _worse(s1: float, i1: int, s2: float, i2: int) -> bool:  # pragma: no cover - compiled
    return s1 < s2 or (s1 == s2 and i1 > i2)


@njit(cache=True)
def _offer(heap_s: FloatArray, heap_i: I64, filled: int, s: float, i: int
           ) -> int:  # pragma: no cover - compiled
    """Keep the ``len(heap_s)`` best (score, row) pairs (ties: the lower row) in a binary
    min-heap whose root is the worst kept; returns the new fill count."""
    top = heap_s.shape[0]
    if filled < top:  # sift up
        k = filled
        while k > 0:
            parent = (k - 1) // 2
            if not _worse(s, i, heap_s[parent], heap_i[parent]):
                break
            heap_s[k] = heap_s[parent]
            heap_i[k] = heap_i[parent]
            k = parent
        heap_s[k] = s
        heap_i[k] = i
        return filled + 1
    if not _worse(heap_s[0], heap_i[0], s, i):
        return filled
    k = 0  # replace the root, sift down
    while True:
        child = 2 * k + 1
        if child >= top:
            break
        if child + 1 < top and _worse(heap_s[child + 1], heap_i[child + 1], heap_s[child],
                                      heap_i[child]):
            child += 1
        if not _worse(heap_s[child], heap_i[child], s, i):
            break
        heap_s[k] = heap_s[child]
        heap_i[k] = heap_i[child]
        k = child
    heap_s[k] = s
    heap_i[k] = i
    return filled


@njit(cache=True)
def _keep_best(buf: FloatArray, start: int, alive: U8, best_s: FloatArray,
               best_i: I64) -> None:  # pragma: no cover - compiled
    """Offer the chunk's scores ``buf`` (rows ``start...``) to the chunk's top-N heap."""
    top = best_s.shape[0]
    filled = 0
    floor = -np.inf
    for r in range(buf.shape[0]):
        i = start + r
        if alive.shape[0] and alive[i] == 0:
            continue
        s = buf[r]
        if filled < top or s > floor:
            filled = _offer(best_s, best_i, filled, s, i)
            if filled == top:
                floor = best_s[0]


@njit(parallel=True, cache=True)
def _rank_locus_major(codes: U8, table: FloatArray, alive: U8, top: int, chunk: int
                      ) -> tuple[FloatArray, I64]:  # pragma: no cover - compiled
    n_loci, n = codes.shape[0], codes.shape[1]
    n_chunks = (n + chunk - 1) // chunk
    out_s = np.full((n_chunks, top), -np.inf)
    out_i = np.full((n_chunks, top), -1, dtype=np.int64)
    for c in prange(n_chunks):
        start = c * chunk
        stop = min(n, start + chunk)
        buf = np.zeros(stop - start)
        for li in range(n_loci):  # locus by locus: contiguous reads of the index layout
            t = table[li]
            for i in range(start, stop):
                buf[i - start] += t[codes[li, i, 0], codes[li, i, 1]]
        _keep_best(buf, start, alive, out_s[c], out_i[c])
    return out_s, out_i


@njit(parallel=True, cache=True)
def _rank_row_major(codes: U8, table: FloatArray, alive: U8, top: int, chunk: int
                    ) -> tuple[FloatArray, I64]:  # pragma: no cover - compiled
    n, n_loci = codes.shape[0], codes.shape[1]
    n_chunks = (n + chunk - 1) // chunk
    out_s = np.full((n_chunks, top), -np.inf)
    out_i = np.full((n_chunks, top), -1, dtype=np.int64)
    for c in prange(n_chunks):
        start = c * chunk
        stop = min(n, start + chunk)
        buf = np.zeros(stop - start)
        for i in range(start, stop):  # profile by profile: contiguous reads of [n, L, 2]
            s = 0.0
            for li in range(n_loci):
                s += table[li, codes[i, li, 0], codes[i, li, 1]]
            buf[i - start] = s
        _keep_best(buf, start, alive, out_s[c], out_i[c])
    return out_s, out_i



def check_encoded(codes: npt.ArrayLike, loci: Sequence[str], *, lookup_loci: tuple[str, ...],
                  width: int, alive: npt.ArrayLike | None, locus_major: bool,
                  ) -> tuple[npt.NDArray[np.uint8], int]:
    """The encoded profiles ``codes`` as a uint8 array ``[n, n_loci, 2]`` (``[n_loci, n, 2]``
    with ``locus_major``) and ``n``, checked against the ``loci`` named, a per-locus lookup
    prepared for ``lookup_loci`` with ``width`` allele codes, and the ``alive`` mask: what
    every table-sum ranking (kinship, mixture) checks before it scans."""
    arr = np.asarray(codes)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 2:
        raise SearchError(f"codes must be uint8 [n, n_loci, 2] (or [n_loci, n, 2]); got "
                          f"{arr.dtype} {arr.shape}")
    n_loci_axis = 0 if locus_major else 1
    if arr.shape[n_loci_axis] != len(loci):
        raise SearchError(f"codes have {arr.shape[n_loci_axis]} loci; {len(loci)} named")
    if lookup_loci != tuple(canonical_locus(x) for x in loci):
        raise SearchError("the prepared lookup is for other loci")
    if int(arr.max(initial=0)) >= width:
        raise SearchError("a code is outside the allele maps")
    n = int(arr.shape[1] if locus_major else arr.shape[0])
    if alive is not None and len(np.asarray(alive)) != n:
        raise SearchError(f"alive has {len(np.asarray(alive))} entries for {n} profiles")
    return arr, n


def top_rows_by_table_sum(codes: U8, log10_table: FloatArray, alive: U8, top: int, *,
                          locus_major: bool) -> tuple[FloatArray, I64]:
    """The ``top`` rows of ``codes`` by ``sum_l log10_table[l, a_l, b_l]``, best first (ties:
    the lower row), and their scores: the compiled, parallel top-N scan shared by the kinship
    and the mixture (:mod:`locard.search.mixture_rank`) rankings. ``codes`` is uint8
    ``[n, n_loci, 2]`` (``[n_loci, n, 2]`` with ``locus_major``); ``alive`` is empty or one
    uint8 flag per row (rows flagged 0 are never returned)."""
    kernel = _rank_locus_major if locus_major else _rank_row_major
    scores, rows = kernel(codes, log10_table, alive, top, _CHUNK)
    flat_s, flat_i = scores.ravel(), rows.ravel()
    keep = flat_i >= 0
    flat_s, flat_i = flat_s[keep], flat_i[keep]
    order = np.lexsort((flat_i, -flat_s))[:top]
    return flat_s[order], flat_i[order]


def rank_by_kinship(
    codes: U8,
    allele_maps: Sequence[Mapping[str, int] | Sequence[Allele | str]],
    loci: Sequence[str],
    tables: Mapping[str, GenotypeLRTable] | KinshipLookup,
    *,
    top: int = 100,
    keys: Sequence[int] | I64 | None = None,
    locus_major: bool = False,
    alive: npt.NDArray[np.bool_] | npt.NDArray[np.uint8] | None = None,
) -> list[KinshipHit]:
    """The ``top`` profiles of ``codes`` by missing-person LR, best first (ties: lower row).

    ``codes``: uint8 ``[n, n_loci, 2]``, or the index layout ``[n_loci, n, 2]`` with
    ``locus_major=True``; ``allele_maps[l]``: allele string -> code for ``loci[l]`` (or the
    dictionary's allele list); ``tables``: per-locus genotype LR tables (or a prepared
    :class:`KinshipLookup`, to rank several arrays against one pedigree). ``keys`` label the
    rows of the hits; rows with ``alive`` false are never returned.

    The caller must only pass profiles of missing persons and unidentified remains (see the
    module docstring).
    """
    if top < 1:
        raise SearchError(f"top = {top}: ask for at least one profile")
    lookup = (tables if isinstance(tables, KinshipLookup)
              else kinship_lookup(tables, loci, allele_maps))
    arr, n = check_encoded(codes, loci, lookup_loci=lookup.loci, width=lookup.lr.shape[1],
                           alive=alive, locus_major=locus_major)
    alive_u8 = (np.zeros(0, dtype=np.uint8) if alive is None
                else np.ascontiguousarray(alive, dtype=bool).view(np.uint8))
    want = min(n, top)
    if want == 0:
        return []
    _, best_rows = top_rows_by_table_sum(arr, lookup.log10_lr, alive_u8, want,
                                         locus_major=locus_major)
    key_arr = None if keys is None else np.asarray(keys, dtype=np.int64)
    if key_arr is not None and key_arr.shape[0] != n:
        raise SearchError(f"{key_arr.shape[0]} keys for {n} profiles")
    hits: list[KinshipHit] = []
    for row in best_rows.tolist():
        profile = arr[:, row, :] if locus_major else arr[row]
        per_locus: dict[str, float] = {}
        for li, locus in enumerate(lookup.loci):
            a, b = int(profile[li, 0]), int(profile[li, 1])
            if lookup.covered[li] and a != 0:
                per_locus[locus] = float(lookup.lr[li, a, b])
        lr = float(np.prod(list(per_locus.values()))) if per_locus else 1.0
        log10_lr = float(np.sum(np.log10(list(per_locus.values())))) if lr > 0 else -np.inf
        hits.append(KinshipHit(row, None if key_arr is None else int(key_arr[row]), lr,
                               log10_lr, per_locus))
    return hits


def _index_name(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def rank_index(index: ProfileIndex, tables: Mapping[str, GenotypeLRTable], *,
               top: int = 100) -> list[KinshipHit]:
    """:func:`rank_by_kinship` over the live single-source profiles of a
    :class:`~locard.search.index.ProfileIndex` (hits carry the store's keys).

    Raises :class:`PolicyViolation` unless the index is ``missing_person`` or ``unidentified``:
    relatives' references are never compared with forensic, offender or arrestee profiles.
    """
    if _index_name(index.name) not in KINSHIP_TARGET_INDICES:
        raise PolicyViolation(
            f"kinship ranking against the {index.name!r} index is not allowed",
            remedy="relatives' references are compared only with missing persons and "
                   "unidentified human remains")
    codes, keys = index.single_codes()
    alive = (~np.isin(keys, np.fromiter(index.expunged, dtype=np.int64))
             if index.expunged else None)
    return rank_by_kinship(codes, [d.alleles for d in index.encoder.dictionaries], index.loci,
                           tables, top=top, keys=keys, locus_major=True, alive=alive)
