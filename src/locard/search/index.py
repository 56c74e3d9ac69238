"""The profile index: encoded profiles in memory (or memory-mapped), searched by the kernels.

A :class:`ProfileIndex` holds the profiles of one store index (e.g. "offender", "forensic"):
single-source profiles in a locus-major uint8 array (2 bytes per locus), forensic mixtures in a
separate small array (8 allele slots per locus), each with an int64 key (the store's profile id),
an alive mask, and optionally a label (the specimen ID). It is built from ``(key, Profile)``
pairs (:meth:`ProfileIndex.build`) and kept current with :meth:`add` / :meth:`remove`; the
store calls these.

Removal is two-fold, so that a removed profile is never returned, not even from a snapshot
written before the removal: the row's alive flag is cleared, and the key joins the
``expunged`` set, which :meth:`search` consults for every candidate and :meth:`load` applies
to the snapshot (the store passes its own tombstones as ``expunged=`` when loading).

A snapshot (:meth:`save`) is a folder of uncompressed ``.npy`` files and a JSON header
(format, loci, allele dictionaries, equivalence, counts); :meth:`load` memory-maps the codes and
keys (``mmap_mode='r'``), so a 10-million-profile index is searchable as soon as the header is
read; pages come in from the OS cache as the first searches touch them.

Rows of the main segment are kept sorted by key (a key is found by binary search); profiles
added since the last :meth:`compact` sit in a small delta segment.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from locard.errors import SearchError
from locard.genetics.loci import CODIS_CORE_20
from locard.genetics.profiles import Profile
from locard.search import kernels
from locard.search.candidates import Candidate, Stringency, rank_candidates
from locard.search.encoding import (
    MIXTURE_SLOTS,
    Comparison,
    Encoder,
    Equivalence,
    QueryTable,
    classify,
)
from locard.stats.frequencies import FrequencyTable
from locard.stats.match import (
    DEFAULT_THETA,
    combined_probability_of_inclusion,
    most_conservative_rmp,
)

__all__ = [
    "DEFAULT_LOCI",
    "FORMAT",
    "Candidate",
    "ProfileIndex",
    "Stringency",
]

FORMAT = "locard-index"
FORMAT_VERSION = 1
# CODIS 20 and the other autosomal STRs of PowerPlex Fusion / GlobalFiler: 24 loci, 48 bytes.
DEFAULT_LOCI: tuple[str, ...] = (*CODIS_CORE_20, "Penta D", "Penta E", "D6S1043", "SE33")

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]


_PASSES: dict[Stringency, frozenset[Comparison]] = {
    Stringency.HIGH: frozenset({Comparison.MATCH}),
    Stringency.MODERATE: frozenset({Comparison.MATCH, Comparison.PARTIAL}),
    Stringency.LOW: frozenset({Comparison.MATCH, Comparison.PARTIAL, Comparison.SHARED}),
}


class _Segment:
    """Encoded rows: ``codes [n_loci, n, slots]``, ``keys [n]``, ``alive [n]``, labels."""

    __slots__ = ("alive", "codes", "keys", "labels", "sorted_keys")

    def __init__(self, codes: U8, keys: I64, alive: U8, labels: npt.NDArray[Any] | None,
                 *, sorted_keys: bool) -> None:
        self.codes = codes
        self.keys = keys
        self.alive = alive
        self.labels = labels
        self.sorted_keys = sorted_keys

    @property
    def size(self) -> int:
        return int(self.keys.shape[0])

    def rows_of(self, key: int) -> list[int]:
        if self.sorted_keys:
            lo = int(np.searchsorted(self.keys, key, side="left"))
            hi = int(np.searchsorted(self.keys, key, side="right"))
            return list(range(lo, hi))
        return np.flatnonzero(self.keys == key).tolist()

    def label(self, row: int) -> str | None:
        if self.labels is None:
            return None
        value = self.labels[row]
        text = value.decode() if isinstance(value, bytes) else str(value)
        return text or None


def _empty_segment(n_loci: int, slots: int) -> _Segment:
    return _Segment(np.zeros((n_loci, 0, slots), np.uint8), np.zeros(0, np.int64),
                    np.zeros(0, np.uint8), None, sorted_keys=True)


class _Segments:
    """The rows of one slot width: the main segment + the delta (pending rows)."""

    __slots__ = ("_frozen", "delta_alive", "delta_codes", "delta_keys", "delta_labels",
                 "delta_rows", "main", "n_loci", "slots")

    def __init__(self, n_loci: int, slots: int) -> None:
        self.n_loci = n_loci
        self.slots = slots
        self.main = _empty_segment(n_loci, slots)
        self.delta_codes: list[U8] = []
        self.delta_keys: list[int] = []
        self.delta_labels: list[str] = []
        self.delta_alive: list[int] = []
        self.delta_rows: dict[int, list[int]] = {}  # key -> positions in the delta
        self._frozen: _Segment | None = None

    def append(self, key: int, row: U8, label: str | None) -> None:
        self.delta_rows.setdefault(key, []).append(len(self.delta_keys))
        self.delta_alive.append(1)
        self.delta_codes.append(row)
        self.delta_keys.append(key)
        self.delta_labels.append(label or "")
        self._frozen = None

    def delta(self) -> _Segment | None:
        if not self.delta_keys:
            return None
        if self._frozen is None:
            codes = np.ascontiguousarray(np.stack(self.delta_codes, axis=1))
            keys = np.array(self.delta_keys, dtype=np.int64)
            labels = np.array(self.delta_labels, dtype=object)
            alive = np.array(self.delta_alive, dtype=np.uint8)
            self._frozen = _Segment(codes, keys, alive, labels, sorted_keys=False)
        return self._frozen

    def segments(self) -> list[_Segment]:
        d = self.delta()
        return [self.main] if d is None else [self.main, d]

    def kill(self, key: int) -> int:
        """Clear the alive flag of every row of ``key``; returns how many were alive.

        The delta is looked up through ``delta_rows``, so adding many profiles one by one
        (each add first removes its key) stays linear: no delta array is rebuilt."""
        killed = 0
        seg = self.main
        for row in seg.rows_of(key):
            if seg.alive[row]:
                seg.alive[row] = 0
                killed += 1
        for pos in self.delta_rows.get(key, ()):
            if self.delta_alive[pos]:
                self.delta_alive[pos] = 0
                if self._frozen is not None:
                    self._frozen.alive[pos] = 0
                killed += 1
        return killed

    def compact(self) -> None:
        """Merge the delta into the main segment, drop dead rows, sort by key."""
        parts = self.segments()
        codes = np.concatenate([s.codes for s in parts], axis=1)
        keys = np.concatenate([s.keys for s in parts])
        alive = np.concatenate([s.alive for s in parts]).astype(bool)
        has_labels = any(s.labels is not None for s in parts)
        labels: npt.NDArray[Any] | None = None
        if has_labels:
            labels = np.concatenate([
                s.labels.astype(object) if s.labels is not None
                else np.full(s.size, "", dtype=object) for s in parts])
        keep = np.flatnonzero(alive)
        order = keep[np.argsort(keys[keep], kind="stable")]
        new_labels = None
        if labels is not None:
            taken = labels[order]
            new_labels = np.array([x.decode() if isinstance(x, bytes) else str(x)
                                   for x in taken.tolist()], dtype=object)
        self.main = _Segment(np.ascontiguousarray(codes[:, order, :]), keys[order],
                             np.ones(len(order), np.uint8), new_labels, sorted_keys=True)
        self.delta_codes, self.delta_keys, self.delta_labels = [], [], []
        self.delta_alive, self.delta_rows = [], {}
        self._frozen = None

    @property
    def n_alive(self) -> int:
        return sum(int(np.count_nonzero(s.alive)) for s in self.segments())


class ProfileIndex:
    """Encoded profiles of one store index, searchable by CODIS stringency.

    ``ProfileIndex(name, loci=DEFAULT_LOCI, equivalence=Equivalence(), table=None)``; the
    frequency table, when given, supplies each candidate's RMP (over the compared loci).
    """

    def __init__(self, name: str = "default", *, loci: Sequence[str] = DEFAULT_LOCI,
                 equivalence: Equivalence | None = None, table: FrequencyTable | None = None,
                 encoder: Encoder | None = None) -> None:
        self.name = name
        self.encoder = encoder or Encoder(loci, equivalence=equivalence)
        self.table = table
        n_loci = self.encoder.n_loci
        self._single = _Segments(n_loci, 2)
        self._mixed = _Segments(n_loci, MIXTURE_SLOTS)
        self.expunged: set[int] = set()

    # --- building and updating ----------------------------------------------------------------

    @classmethod
    def build(cls, profiles: Iterable[tuple[int, Profile]], *, name: str = "default",
              loci: Sequence[str] = DEFAULT_LOCI, equivalence: Equivalence | None = None,
              table: FrequencyTable | None = None) -> ProfileIndex:
        """Index from ``(key, profile)`` pairs (single-source profiles and mixtures)."""
        index = cls(name, loci=loci, equivalence=equivalence, table=table)
        for key, profile in profiles:
            index.add(key, profile)
        index.compact()
        return index

    @classmethod
    def from_codes(cls, codes: U8, keys: Sequence[int] | I64, *, loci: Sequence[str],
                   alleles: Sequence[Sequence[Any]], name: str = "default",
                   labels: Sequence[str] | None = None, locus_major: bool = True,
                   equivalence: Equivalence | None = None,
                   table: FrequencyTable | None = None) -> ProfileIndex:
        """Index from already-encoded single-source codes (e.g. :mod:`locard.stats.simulate`):
        ``codes [n_loci, n, 2]`` (or ``[n, n_loci, 2]`` without ``locus_major``), code k
        naming ``alleles[l][k - 1]``. The array is used as is when it is locus-major,
        C-contiguous and already sorted by key."""
        encoder = Encoder(loci, alleles, equivalence=equivalence)
        index = cls(name, encoder=encoder, table=table)
        arr = np.asarray(codes, dtype=np.uint8)
        if not locus_major:
            arr = np.ascontiguousarray(arr.transpose(1, 0, 2))
        key_arr = np.asarray(keys, dtype=np.int64)
        if arr.ndim != 3 or arr.shape[0] != encoder.n_loci or arr.shape[2] != 2:
            raise SearchError(f"codes of shape {arr.shape} do not fit {encoder.n_loci} loci")
        if key_arr.shape[0] != arr.shape[1]:
            raise SearchError("one key per profile is needed")
        if int(arr.max(initial=0)) > max((len(d) for d in encoder.dictionaries), default=0):
            raise SearchError("a code is outside the allele dictionaries")
        label_arr = np.array(list(labels), dtype=object) if labels is not None else None
        if key_arr.size and not bool(np.all(key_arr[1:] >= key_arr[:-1])):
            order = np.argsort(key_arr, kind="stable")
            arr = np.ascontiguousarray(arr[:, order, :])
            key_arr = key_arr[order]
            label_arr = label_arr[order] if label_arr is not None else None
        index._single.main = _Segment(np.ascontiguousarray(arr), key_arr,
                                      np.ones(key_arr.shape[0], np.uint8), label_arr,
                                      sorted_keys=True)
        return index

    def add(self, key: int, profile: Profile) -> None:
        """Add (or replace) the profile of ``key``; a mixture goes to the mixture segment."""
        key = int(key)
        self.remove(key, expunge=False)
        self.expunged.discard(key)
        if profile.is_mixture:
            row = self.encoder.encode_mixture(profile)
            self._mixed.append(key, row, profile.specimen_id)
        else:
            row = self.encoder.encode(profile)
            self._single.append(key, row, profile.specimen_id)
        if len(self._single.delta_keys) > max(100_000, self._single.main.size // 20):
            self._single.compact()

    def remove(self, key: int, *, expunge: bool = True) -> bool:
        """Remove the profile of ``key``; True if it was present. With ``expunge`` the key is
        also recorded so that no snapshot can bring it back."""
        key = int(key)
        killed = self._single.kill(key) + self._mixed.kill(key)
        if expunge:
            self.expunged.add(key)
        return killed > 0

    def compact(self) -> None:
        """Merge pending additions into the main segments and drop removed rows."""
        self._single.compact()
        self._mixed.compact()

    def _prune_dictionaries(self) -> None:
        """After :meth:`compact`: keep in each locus dictionary only the alleles that live
        rows use, in allele order, and recode the rows. A dictionary grows in order of first
        sight and never forgets, so without this a snapshot would keep a removed profile's
        alleles (the whole genotype of one that was alone in its index, or the first one
        added). A new encoder is made, so a :meth:`subset` sharing the old one stays valid."""
        segments = [self._single.main, self._mixed.main]
        remap = np.zeros((self.encoder.n_loci, 256), dtype=np.uint8)
        kept: list[list[Any]] = []
        changed = False
        for li, d in enumerate(self.encoder.dictionaries):
            seen = np.zeros(256, dtype=bool)
            for seg in segments:
                if seg.size:
                    seen |= np.bincount(np.asarray(seg.codes[li]).ravel(), minlength=256) > 0
            seen[0] = False
            alleles = sorted(d.allele(int(c)) for c in np.flatnonzero(seen).tolist())
            for new, allele in enumerate(alleles, start=1):
                remap[li, d.code(allele)] = new
            changed = changed or alleles != d.alleles
            kept.append(alleles)
        if not changed:
            return
        self.encoder = Encoder(self.encoder.loci, kept, equivalence=self.encoder.equivalence)
        rows = np.arange(self.encoder.n_loci)[:, None, None]
        for part in (self._single, self._mixed):
            seg = part.main
            part.main = _Segment(np.ascontiguousarray(remap[rows, seg.codes]), seg.keys,
                                  seg.alive, seg.labels, sorted_keys=True)

    def __len__(self) -> int:
        return self._single.n_alive + self._mixed.n_alive

    @property
    def n_single(self) -> int:
        """Single-source profiles in the index (expunged ones not counted)."""
        return self._single.n_alive

    @property
    def n_mixtures(self) -> int:
        """Mixture profiles in the index (expunged ones not counted)."""
        return self._mixed.n_alive

    @property
    def loci(self) -> tuple[str, ...]:
        """The loci the index encodes, in encoding order."""
        return self.encoder.loci

    def bytes_per_profile(self) -> float:
        """Resident bytes per single-source profile: codes + key + alive flag (labels aside)."""
        return float(self.encoder.n_loci * 2 + 8 + 1)

    def single_codes(self) -> tuple[U8, I64]:
        """Codes ``[n_loci, n, 2]`` and keys of the live single-source profiles (compacted)."""
        if self._single.delta_keys or not bool(np.all(self._single.main.alive)):
            self._single.compact()
        return self._single.main.codes, self._single.main.keys

    def single_labels(self) -> npt.NDArray[Any] | None:
        """The labels (specimen IDs; ``""`` or ``b""`` where none was given) of the live
        single-source profiles, row for row as :meth:`single_codes` returns them; None when
        the index holds no labels (e.g. built :meth:`from_codes` without them)."""
        self.single_codes()
        return self._single.main.labels

    def keys(self, *, mixtures: bool | None = None) -> I64:
        """Sorted keys of the live profiles: single-source only (``mixtures=False``), mixtures
        only (``True``) or both (``None``)."""
        groups = {None: (self._single, self._mixed), False: (self._single,),
                  True: (self._mixed,)}[mixtures]
        parts = [seg.keys[seg.alive.astype(bool)] for part in groups
                 for seg in part.segments() if seg.size]
        if not parts:
            return np.zeros(0, np.int64)
        out = np.unique(np.concatenate(parts).astype(np.int64, copy=False))
        if self.expunged:
            gone = np.fromiter(self.expunged, np.int64, len(self.expunged))
            out = out[~np.isin(out, gone)]
        return out

    def subset(self, keys: Iterable[int] | I64) -> ProfileIndex:
        """A new index holding only the live profiles whose key is in ``keys`` (e.g. the
        contiguous key range of one import), sharing this index's encoder (do not add to it):
        searching it searches those profiles only. The codes are copied, so the subset stays
        valid when this index changes."""
        want = np.unique(np.asarray(keys if isinstance(keys, np.ndarray) else list(keys),
                                    dtype=np.int64))
        sub = ProfileIndex(self.name, encoder=self.encoder, table=self.table)
        gone = (np.fromiter(self.expunged, np.int64, len(self.expunged)) if self.expunged
                else None)
        for src, dst in ((self._single, sub._single), (self._mixed, sub._mixed)):
            codes: list[U8] = []
            found: list[I64] = []
            labels: list[npt.NDArray[Any]] = []
            for seg in src.segments():
                if seg.size == 0 or want.size == 0:
                    continue
                lo, hi = 0, seg.size
                if seg.sorted_keys:
                    lo = int(np.searchsorted(seg.keys, want[0], side="left"))
                    hi = int(np.searchsorted(seg.keys, want[-1], side="right"))
                part = np.asarray(seg.keys[lo:hi])
                keep = np.isin(part, want) & seg.alive[lo:hi].astype(bool)
                if gone is not None:
                    keep &= ~np.isin(part, gone)
                rows = lo + np.flatnonzero(keep)
                if rows.size == 0:
                    continue
                codes.append(np.asarray(seg.codes[:, rows, :]))
                found.append(np.asarray(seg.keys[rows], dtype=np.int64))
                labels.append(seg.labels[rows].astype(object) if seg.labels is not None
                              else np.full(rows.size, "", dtype=object))
            if not found:
                continue
            all_keys = np.concatenate(found)
            order = np.argsort(all_keys, kind="stable")
            all_labels = np.concatenate(labels)[order]
            dst.main = _Segment(
                np.ascontiguousarray(np.concatenate(codes, axis=1)[:, order, :]),
                all_keys[order], np.ones(order.size, np.uint8),
                np.array([x.decode() if isinstance(x, bytes) else str(x)
                          for x in all_labels.tolist()], dtype=object),
                sorted_keys=True)
        return sub

    def get(self, key: int) -> Profile | None:
        """The indexed profile of ``key`` (decoded), None if absent or removed."""
        for part in (self._single, self._mixed):
            for seg in part.segments():
                for row in seg.rows_of(int(key)):
                    if seg.alive[row] and int(key) not in self.expunged:
                        return self.encoder.decode(seg.codes[:, row, :], specimen_id=seg.label(row))
        return None

    # --- search ------------------------------------------------------------------------------

    def _order(self, q: QueryTable) -> I64:
        """Typed loci, most selective first (estimated from the allele counts of a sample)."""
        loci = q.loci
        if loci.size <= 1:
            return loci
        codes = self._single.main.codes
        n = codes.shape[1]
        if n == 0:
            return loci
        step = max(1, n // 4096)
        scores = []
        for li in loci.tolist():
            sample = codes[li, ::step, :][:4096]
            typed = sample[:, 0] != 0
            b = q.table[li][sample]
            ok = ((b[:, 0] | b[:, 1]) == q.full[li]) | ((b[:, 0] != 0) & (b[:, 1] != 0))
            scores.append(float(np.mean(ok | ~typed)) if len(sample) else 1.0)
        return loci[np.argsort(np.array(scores), kind="stable")]

    def _scan(self, q: QueryTable, *, mode: int, max_fail: int, min_loci: int,
              include_mixtures: bool, mixture_mode: int | None = None
              ) -> list[tuple[_Segment, int, int, int]]:
        order = self._order(q)
        hits: list[tuple[_Segment, int, int, int]] = []
        groups = [self._single, self._mixed] if include_mixtures else [self._single]
        for part in groups:
            store_mode = (mixture_mode if part is self._mixed and mixture_mode is not None
                          else mode)
            for seg in part.segments():
                if seg.size == 0:
                    continue
                rows, fails, cmp = kernels.scan(seg.codes, q.table, q.full, order,
                                                mode=store_mode, max_fail=max_fail,
                                                min_loci=min_loci)
                if rows.size:
                    alive = seg.alive[rows].astype(bool)
                    rows, fails, cmp = rows[alive], fails[alive], cmp[alive]
                for r, f, c in zip(rows.tolist(), fails.tolist(), cmp.tolist(), strict=True):
                    if int(seg.keys[r]) in self.expunged:
                        continue
                    hits.append((seg, r, f, c))
        return hits

    def _check(self, stringency: str | Stringency, min_loci: int, mismatches: int,
               limit: int | None) -> Stringency:
        try:
            s = Stringency(str(stringency).lower() if isinstance(stringency, str)
                           else stringency)
        except ValueError:
            raise SearchError(f"stringency {stringency!r} is not one of high, moderate, low"
                              ) from None
        if min_loci < 1 or min_loci > self.encoder.n_loci:
            raise SearchError(f"min_loci = {min_loci} is out of range",
                              remedy=f"1 to {self.encoder.n_loci} (the index's loci)")
        if not 0 <= mismatches <= self.encoder.n_loci:
            raise SearchError(f"mismatches = {mismatches} is out of range")
        if limit is not None and limit < 1:
            raise SearchError(f"limit = {limit} must be positive")
        return s

    def _compare(self, q: QueryTable, codes: U8) -> dict[str, Comparison]:
        out: dict[str, Comparison] = {}
        rows = codes.tolist()
        for li in q.loci.tolist():
            out[self.encoder.loci[li]] = classify(q, li, rows[li])
        return out

    def _rmp(self, profile: Profile, per: dict[str, Comparison], is_mixture: bool,
             table: FrequencyTable | None, theta: float) -> float | None:
        """The candidate's RMP (CPI for a mixture) over the compared loci only: a locus the
        query did not type carries no genotype probability."""
        if table is None:
            return None
        loci = [k for k, c in per.items()
                if c is not Comparison.NOT_COMPARED and k in profile.str_loci]
        if not loci:
            return None
        if is_mixture:
            return combined_probability_of_inclusion(profile, table, loci=loci).cpi
        return most_conservative_rmp(profile, [table], theta=theta, loci=loci).chosen.value

    def search(self, query: Profile, *, stringency: str | Stringency = Stringency.MODERATE,
               min_loci: int = 8, mismatches: int = 0, limit: int | None = 100,
               include_mixtures: bool = True, table: FrequencyTable | None = None,
               theta: float = DEFAULT_THETA, mixture_inclusion: bool = False
               ) -> list[Candidate]:
        """Profiles that agree with ``query`` at ``stringency`` on every compared locus but at
        most ``mismatches`` loci, with at least ``min_loci`` loci compared (typed in both).

        The query may be a partial profile or a mixture. Candidates come ranked by failing
        loci, then stringency reached, compared loci (more first) and RMP (rarest first);
        each with its per-locus comparison and RMP over the compared loci (computed for the returned
        candidates only).

        ``mixture_inclusion`` (a single-source query): a mixture candidate is judged as
        :meth:`search_mixture` judges the pair with the mixture as the query, i.e. the query's
        alleles all contained in the mixture at every compared locus but at most
        ``mismatches`` (drop-out loci), whatever ``stringency``; such a candidate is reported
        at moderate stringency. Without it a mixture candidate passes a locus at
        ``stringency`` like any other.
        """
        s = self._check(stringency, min_loci, mismatches, limit)
        q = self.encoder.query_table(query)
        if q.loci.size < min_loci:
            raise SearchError(f"the query types {q.loci.size} of the index's loci, fewer than "
                              f"min_loci = {min_loci}")
        # inclusion passes a locus only where moderate does (the query's alleles all found),
        # so a moderate scan of the mixtures finds a superset, filtered exactly below
        hits = self._scan(q, mode=s.mode, max_fail=mismatches, min_loci=min_loci,
                          include_mixtures=include_mixtures,
                          mixture_mode=kernels.MODERATE if mixture_inclusion else None)
        if mixture_inclusion:
            kept: list[tuple[_Segment, int, int, int]] = []
            for seg, row, fails, cmp in hits:
                if seg.codes.shape[2] > 2:
                    fails = _query_not_included(q, seg.codes[:, row, :])
                    if fails > mismatches:
                        continue
                kept.append((seg, row, fails, cmp))
            hits = kept
        hits.sort(key=lambda h: (h[2], -h[3]))
        cap = len(hits) if limit is None else min(len(hits), max(4 * limit, 200))
        freq = table if table is not None else self.table
        out: list[Candidate] = []
        for seg, row, fails, cmp in hits[:cap]:
            codes = seg.codes[:, row, :]
            is_mix = codes.shape[1] > 2
            profile = self.encoder.decode(codes, specimen_id=seg.label(row))
            per = self._compare(q, codes)
            reached = None
            for level in (Stringency.HIGH, Stringency.MODERATE, Stringency.LOW):
                bad = sum(1 for c in per.values()
                          if c is not Comparison.NOT_COMPARED and c not in _PASSES[level])
                if bad <= mismatches:
                    reached = level
                    break
            included = sum(1 for li in q.loci.tolist()
                           if _included(q, li, codes[li].tolist()))
            if mixture_inclusion and is_mix:
                reached, included = Stringency.MODERATE, int(cmp) - int(fails)
            out.append(Candidate(int(seg.keys[row]), seg.label(row), self.name, reached,
                                 int(cmp), int(fails), per,
                                 self._rmp(profile, per, is_mix, freq, theta), profile, is_mix,
                                 included))
        return rank_candidates(out, limit=limit)

    def search_mixture(self, mixture: Profile, *, max_dropout_loci: int = 0, min_loci: int = 8,
                       limit: int | None = 100, table: FrequencyTable | None = None,
                       theta: float = DEFAULT_THETA) -> list[Candidate]:
        """Single-source profiles whose alleles are all contained in ``mixture`` at every
        compared locus but at most ``max_dropout_loci`` (where the candidate's allele may have
        dropped out of the mixture), with at least ``min_loci`` loci compared.

        Ranked by included loci (more first), then RMP (rarest first)."""
        self._check(Stringency.MODERATE, min_loci, max_dropout_loci, limit)
        q = self.encoder.query_table(mixture)
        if q.loci.size < min_loci:
            raise SearchError(f"the mixture types {q.loci.size} of the index's loci, fewer "
                              f"than min_loci = {min_loci}")
        hits = self._scan(q, mode=kernels.INCLUDED, max_fail=max_dropout_loci,
                          min_loci=min_loci, include_mixtures=False)
        hits.sort(key=lambda h: (-(h[3] - h[2]), h[2]))
        cap = len(hits) if limit is None else min(len(hits), max(4 * limit, 200))
        freq = table if table is not None else self.table
        out: list[Candidate] = []
        for seg, row, fails, cmp in hits[:cap]:
            codes = seg.codes[:, row, :]
            profile = self.encoder.decode(codes, specimen_id=seg.label(row))
            per = self._compare(q, codes)
            out.append(Candidate(int(seg.keys[row]), seg.label(row), self.name, None,
                                 int(cmp), int(fails), per,
                                 self._rmp(profile, per, False, freq, theta), profile, False,
                                 int(cmp) - int(fails)))
        return rank_candidates(out, mixture=True, limit=limit)

    # --- snapshots -----------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write a snapshot folder (compacting first); replaces an existing snapshot.

        The files are written to ``<path>.tmp-<pid>`` beside it and fsynced, then swapped in
        by renames; the old folder is deleted. Nothing of a removed profile is written (the
        compaction drops its rows), and a failed write leaves the old snapshot as it was and
        no temporary folder behind."""
        self.compact()
        self._prune_dictionaries()
        target = Path(path)
        tmp = target.with_name(target.name + f".tmp-{os.getpid()}")
        old = target.with_name(target.name + f".old-{os.getpid()}")
        for stale in (tmp, old):
            if stale.exists():
                shutil.rmtree(stale)
        try:
            tmp.mkdir(parents=True)
            counts: dict[str, int] = {}
            for prefix, part in (("single", self._single), ("mixed", self._mixed)):
                seg = part.main
                _write_npy(tmp / f"{prefix}_codes.npy", np.ascontiguousarray(seg.codes))
                _write_npy(tmp / f"{prefix}_keys.npy", np.ascontiguousarray(seg.keys))
                _write_npy(tmp / f"{prefix}_alive.npy", np.ascontiguousarray(seg.alive))
                if seg.labels is not None:
                    encoded = [str(x).encode() for x in seg.labels.tolist()]
                    _write_npy(tmp / f"{prefix}_labels.npy", np.array(encoded, dtype=bytes))
                counts[prefix] = seg.size
            _write_npy(tmp / "expunged.npy", np.array(sorted(self.expunged), dtype=np.int64))
            header = {"format": FORMAT, "version": FORMAT_VERSION, "name": self.name,
                      "counts": counts, **self.encoder.to_dict()}
            with (tmp / "header.json").open("w") as fh:
                fh.write(json.dumps(header, indent=1, sort_keys=True))
                fh.flush()
                os.fsync(fh.fileno())
            _fsync_dir(tmp)
            if target.exists():
                target.rename(old)
            try:
                tmp.rename(target)
            except BaseException:
                if old.exists() and not target.exists():
                    old.rename(target)
                raise
            _fsync_dir(target.parent)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, expunged: Iterable[int] = (),
             table: FrequencyTable | None = None, mmap: bool = True) -> ProfileIndex:
        """Open a snapshot. Codes and keys are memory-mapped (read-only); every key in
        ``expunged`` (the store's tombstones) and in the snapshot's own expunged list is
        removed before the index is returned."""
        folder = Path(path)
        head_path = folder / "header.json"
        if not head_path.is_file():
            raise SearchError(f"{folder}: not a Locard index snapshot (no header.json)")
        header: Mapping[str, Any] = json.loads(head_path.read_text())
        if header.get("format") != FORMAT:
            raise SearchError(f"{folder}: not a Locard index snapshot")
        if int(header.get("version", 0)) > FORMAT_VERSION:
            raise SearchError(f"{folder}: snapshot version {header['version']} is newer than "
                              f"this Locard reads ({FORMAT_VERSION})")
        encoder = Encoder.from_dict(header)
        index = cls(str(header.get("name", "default")), encoder=encoder, table=table)
        mode: Any = "r" if mmap else None
        for prefix, part in (("single", index._single), ("mixed", index._mixed)):
            codes = np.load(folder / f"{prefix}_codes.npy", mmap_mode=mode)
            keys = np.load(folder / f"{prefix}_keys.npy", mmap_mode=mode)
            alive = np.array(np.load(folder / f"{prefix}_alive.npy"), dtype=np.uint8)
            lab_path = folder / f"{prefix}_labels.npy"
            labels = np.load(lab_path) if lab_path.exists() else None
            if codes.shape[0] != encoder.n_loci or codes.shape[1] != keys.shape[0]:
                raise SearchError(f"{folder}: {prefix} arrays do not agree with the header")
            part.main = _Segment(codes, keys, alive, labels, sorted_keys=True)
        stored = np.load(folder / "expunged.npy").tolist()
        for key in [*stored, *expunged]:
            index.remove(int(key))
        return index


def _write_npy(path: Path, arr: npt.NDArray[Any]) -> None:
    """``np.save`` to ``path``, flushed to the disk."""
    with path.open("wb") as fh:
        np.save(fh, arr)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make the renames in ``folder`` durable (best effort where directories cannot be
    opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _query_not_included(q: QueryTable, codes: U8) -> int:
    """Compared loci where the query's alleles are not all found among ``codes`` (a mixture
    row ``[n_loci, slots]``): the loci :meth:`ProfileIndex.search_mixture` of that mixture
    would count as drop-out for the query."""
    bad = 0
    rows = codes.tolist()
    for li in q.loci.tolist():
        row = rows[li]
        if not row or row[0] == 0:
            continue
        u = 0
        for c in row:
            if c == 0:
                break
            u |= int(q.table[li, c])
        if u != int(q.full[li]):
            bad += 1
    return bad


def _included(q: QueryTable, li: int, codes: list[int]) -> bool:
    if not codes or codes[0] == 0:
        return False
    return all(int(q.table[li, c]) != 0 for c in codes if c)
