"""Allele dictionaries and the compact encoding of profiles for scanning.

Each locus of an index has a :class:`LocusDictionary`: the alleles seen at that locus, code
``k`` (1..255) naming ``alleles[k - 1]``; code 0 means "missing / not typed". A single-source
profile is encoded as uint8 ``[n_loci, 2]`` (sorted codes, a homozygote as ``(a, a)``, an
untyped locus as ``(0, 0)``): 2 bytes per locus, 40 bytes for the 20 CODIS core loci. A
mixture (up to :data:`MIXTURE_SLOTS` alleles per locus) is encoded as ``[n_loci, 8]``,
0-padded.

A query is turned into a per-locus lookup table ``T[l, code]`` (uint8 bitset): bit ``j`` is
set when database allele ``code`` is *equivalent* to the query's ``j``-th allele at locus
``l``. Equivalence is identity, widened by :class:`Equivalence`: a ladder bin ``>27`` matches
any allele above 27 (``<5`` any below 5). Off-ladder peaks (``OL``) are kept out of matching: a
locus that carries one, in the query or in the database profile, is not encoded, so it is "not
compared" (an OL call has no designation to compare and no frequency for the statistic).
With ``full[l]`` the mask of all the query's alleles, one database locus with codes
``c_1..c_k`` compares as (``b_i = T[l, c_i]``, ``u = OR b_i``):

- query alleles all found in the database profile: ``u == full[l]``
- database alleles all found in the query: every ``b_i != 0``
- at least one allele shared: ``u != 0``

so the kernels never touch Allele objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from locard.errors import SearchError
from locard.genetics.alleles import Allele, AlleleKind, parse_allele
from locard.genetics.loci import LOCI, LocusKind, canonical_locus
from locard.genetics.profiles import MAX_ALLELES_PER_LOCUS, LocusCall, Profile

__all__ = [
    "MAX_CODES",
    "MIXTURE_SLOTS",
    "Comparison",
    "Encoder",
    "Equivalence",
    "LocusDictionary",
    "QueryTable",
    "classify",
    "equivalent",
]

MAX_CODES = 255
MIXTURE_SLOTS = MAX_ALLELES_PER_LOCUS  # 8: fits the uint8 bitset of a query locus


class Comparison(StrEnum):
    """How one locus of a candidate compares with the query."""

    MATCH = "match"  # the same alleles
    PARTIAL = "partial"  # the alleles of one are all contained in the other's
    SHARED = "shared"  # at least one allele in common, neither contained
    MISMATCH = "mismatch"  # no allele in common
    NOT_COMPARED = "not compared"  # untyped in the query or the candidate


@dataclass(frozen=True, slots=True)
class Equivalence:
    """Which different designations count as the same allele when comparing.

    ``bins``: a ladder bin ``>n`` matches any allele above n (``<n`` any below n), and two bins
    that overlap match each other. Off, only identical designations match. Off-ladder (``OL``)
    peaks never match anything: their loci are not compared (see the module docstring); an
    index saved with the former ``off_ladder`` setting reads back without it.
    """

    bins: bool = True

    def to_dict(self) -> dict[str, bool]:
        """The equivalence settings as a JSON-ready dict."""
        return {"bins": self.bins}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Equivalence:
        """The equivalence settings of a :meth:`to_dict` result (``bins`` True if absent)."""
        return cls(bins=bool(data.get("bins", True)))


def _is_special(a: Allele) -> bool:
    return a.kind in (AlleleKind.ABOVE, AlleleKind.BELOW)


def _in_bin(bin_: Allele, a: Allele) -> bool:
    number = a.number
    if number is None:
        return False
    if bin_.kind is AlleleKind.ABOVE:
        return number > bin_.repeats
    return number < bin_.repeats


def equivalent(a: Allele, b: Allele, eq: Equivalence) -> bool:
    """True when ``a`` and ``b`` count as the same allele under ``eq`` (symmetric)."""
    if a.kind is AlleleKind.OFF_LADDER or b.kind is AlleleKind.OFF_LADDER:
        return False  # an OL peak has no designation: it is never matched
    if a == b:
        return True
    if not eq.bins:
        return False
    bins = (AlleleKind.ABOVE, AlleleKind.BELOW)
    if a.kind in bins and b.kind in bins:
        if a.kind is b.kind:
            return True
        above, below = (a, b) if a.kind is AlleleKind.ABOVE else (b, a)
        return below.repeats - above.repeats > 1
    if a.kind in bins and b.kind is AlleleKind.REPEAT:
        return _in_bin(a, b)
    if b.kind in bins and a.kind is AlleleKind.REPEAT:
        return _in_bin(b, a)
    return False


class LocusDictionary:
    """The alleles of one locus and their codes (1..255, in order of first sight)."""

    __slots__ = ("_codes", "alleles", "locus")

    def __init__(self, locus: str, alleles: Iterable[Allele] = ()) -> None:
        self.locus = locus
        self.alleles: list[Allele] = []
        self._codes: dict[Allele, int] = {}
        for a in alleles:
            self.add(a)

    def __len__(self) -> int:
        return len(self.alleles)

    def code(self, allele: Allele) -> int:
        """The allele's code, 0 when the dictionary does not hold it."""
        return self._codes.get(allele, 0)

    def add(self, allele: Allele) -> int:
        """The allele's code, adding it when new; :class:`SearchError` past 255 alleles."""
        code = self._codes.get(allele)
        if code is not None:
            return code
        if len(self.alleles) >= MAX_CODES:
            raise SearchError(f"{self.locus}: more than {MAX_CODES} distinct alleles",
                              remedy="check the data for mis-called alleles")
        self.alleles.append(allele)
        code = len(self.alleles)
        self._codes[allele] = code
        return code

    def allele(self, code: int) -> Allele:
        """The allele of code ``code`` (codes start at 1; 0 is "not held")."""
        return self.alleles[code - 1]


@dataclass(frozen=True, slots=True)
class QueryTable:
    """A query compiled for the kernels: ``table[l, code]`` bitsets, ``full[l]`` masks, and the
    index positions of the loci the query types (``loci``)."""

    table: npt.NDArray[np.uint8]
    full: npt.NDArray[np.uint8]
    loci: npt.NDArray[np.int64]
    n_alleles: npt.NDArray[np.int64]


def classify(table: QueryTable, li: int, codes: Sequence[int]) -> Comparison:
    """Compare one encoded database locus (codes, 0 = empty slot) with the query at ``li``."""
    if table.full[li] == 0 or not codes or codes[0] == 0:
        return Comparison.NOT_COMPARED
    u = 0
    all_found = True
    for c in codes:
        if c == 0:
            break
        b = int(table.table[li, c])
        u |= b
        if b == 0:
            all_found = False
    query_in_db = u == int(table.full[li])
    if query_in_db and all_found:
        return Comparison.MATCH
    if query_in_db or all_found:
        return Comparison.PARTIAL
    return Comparison.SHARED if u else Comparison.MISMATCH


class Encoder:
    """The allele dictionaries of one index's loci; encodes and decodes profiles."""

    def __init__(self, loci: Sequence[str], alleles: Sequence[Iterable[Allele]] | None = None,
                 *, equivalence: Equivalence | None = None) -> None:
        names = [canonical_locus(x) for x in loci]
        if len(set(names)) != len(names):
            raise SearchError("an index cannot list a locus twice: " + ", ".join(names))
        for name in names:
            if LOCI[name].kind is not LocusKind.AUTOSOMAL_STR:
                raise SearchError(f"{name} is not an autosomal STR; indices compare STRs only")
        self.loci: tuple[str, ...] = tuple(names)
        self.position = {name: i for i, name in enumerate(names)}
        given = list(alleles) if alleles is not None else [()] * len(names)
        if len(given) != len(names):
            raise SearchError("one allele list per locus is needed")
        self.dictionaries = [LocusDictionary(n, a) for n, a in zip(names, given, strict=True)]
        self.equivalence = equivalence or Equivalence()

    @property
    def n_loci(self) -> int:
        """The number of loci encoded."""
        return len(self.loci)

    # --- encode --------------------------------------------------------------------------

    def _calls(self, profile: Profile) -> Iterable[tuple[int, LocusCall]]:
        for name, call in profile.loci.items():
            li = self.position.get(name)
            if li is None or call.inconclusive or not call.alleles or call.off_ladder:
                continue  # untyped, or an off-ladder peak: kept out of matching
            yield li, call

    def encode(self, profile: Profile, *, grow: bool = True) -> npt.NDArray[np.uint8]:
        """A single-source profile as uint8 ``[n_loci, 2]``; loci outside the index are
        ignored. :class:`SearchError` for a mixture (use :meth:`encode_mixture`)."""
        out = np.zeros((self.n_loci, 2), dtype=np.uint8)
        for li, call in self._calls(profile):
            if len(call.alleles) > 2:
                raise SearchError(f"{profile.specimen_id or 'profile'}: {self.loci[li]} has "
                                  f"{len(call.alleles)} alleles: not a single-source profile")
            d = self.dictionaries[li]
            codes = sorted(d.add(a) if grow else d.code(a) for a in call.alleles)
            if 0 in codes:
                raise SearchError(f"{self.loci[li]}: allele not in the index dictionary")
            out[li, 0] = codes[0]
            out[li, 1] = codes[-1]
        return out

    def encode_mixture(self, profile: Profile, *, grow: bool = True) -> npt.NDArray[np.uint8]:
        """Any profile as uint8 ``[n_loci, 8]`` (sorted codes, 0-padded)."""
        out = np.zeros((self.n_loci, MIXTURE_SLOTS), dtype=np.uint8)
        for li, call in self._calls(profile):
            d = self.dictionaries[li]
            codes = sorted(d.add(a) if grow else d.code(a) for a in call.alleles)
            if 0 in codes:
                raise SearchError(f"{self.loci[li]}: allele not in the index dictionary")
            out[li, :len(codes)] = codes
        return out

    def decode(self, codes: npt.NDArray[np.uint8], *, specimen_id: str | None = None
               ) -> Profile:
        """Profile from one encoded row ``[n_loci, slots]``."""
        loci: dict[str, list[Allele]] = {}
        for li, row in enumerate(codes.tolist()):
            alleles = [self.dictionaries[li].allele(c) for c in row if c]
            if alleles:
                loci[self.loci[li]] = alleles
        return Profile.from_mapping(loci, specimen_id=specimen_id)

    # --- queries ---------------------------------------------------------------------------

    def query_table(self, profile: Profile) -> QueryTable:
        """Compile a query (single source or mixture) into bitset lookup tables."""
        table = np.zeros((self.n_loci, 256), dtype=np.uint8)
        full = np.zeros(self.n_loci, dtype=np.uint8)
        n_alleles = np.zeros(self.n_loci, dtype=np.int64)
        eq = self.equivalence
        typed: list[int] = []
        for li, call in self._calls(profile):
            d = self.dictionaries[li]
            special = [(c + 1, a) for c, a in enumerate(d.alleles) if _is_special(a)]
            for j, q in enumerate(call.alleles):
                bit = 1 << j
                if _is_special(q) and eq.bins:
                    for c, a in enumerate(d.alleles, start=1):
                        if equivalent(q, a, eq):
                            table[li, c] |= bit
                else:
                    c = d.code(q)
                    if c:
                        table[li, c] |= bit
                    for c, a in special:
                        if equivalent(q, a, eq):
                            table[li, c] |= bit
                full[li] |= bit
            n_alleles[li] = len(call.alleles)
            typed.append(li)
        return QueryTable(table, full, np.array(typed, dtype=np.int64), n_alleles)

    # --- persistence -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The encoder as a JSON-ready dict: loci, each locus's alleles in code order, equivalence.
        """
        return {"loci": list(self.loci),
                "alleles": [[str(a) for a in d.alleles] for d in self.dictionaries],
                "equivalence": self.equivalence.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Encoder:
        """The encoder a :meth:`to_dict` result describes (codes unchanged)."""
        loci = [str(x) for x in data["loci"]]
        alleles = [[parse_allele(a, locus=canonical_locus(loc)) for a in per]
                   for loc, per in zip(loci, data["alleles"], strict=True)]
        return cls(loci, alleles, equivalence=Equivalence.from_dict(data.get("equivalence", {})))
