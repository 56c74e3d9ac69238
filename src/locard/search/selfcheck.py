"""Database self-check: duplicates and near matches across a whole index, and the all-pairs
match/partial table.

Near matches are found without comparing all pairs. A pair that matches fully (both alleles)
at ``M`` or more of the index's ``L`` loci fails at no more than ``L - M`` loci (a locus untyped
in either profile counts as failing), so if the loci are split into ``L - M + 1`` blocks the pair
agrees fully on at least one whole block (pigeonhole). Each profile's genotypes over each
block are hashed; only profiles with equal hashes are compared, and a pair is reported from
the first block it agrees on, so exactly once. The result equals brute force over all pairs.

:func:`pair_count_matrix` is the table of DNAtools' ``dbCompare`` (Tvedebrink et al. 2012,
Forensic Sci Int Genet 6:e32): the number of pairs of profiles by number of loci matching on
both alleles (rows) and loci sharing one allele (columns).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from locard.errors import SearchError
from locard.search import kernels
from locard.search.index import ProfileIndex

__all__ = ["NearMatch", "SelfCheck", "default_min_matching_loci", "find_near_matches",
           "pair_count_matrix"]


@dataclass(frozen=True, slots=True)
class NearMatch:
    """A pair of indexed profiles: loci matching on both alleles, sharing one allele, and
    compared (typed in both). ``kind``: 'duplicate' (all compared loci match), 'one allele'
    (all but one locus match, and that one shares an allele), or 'near'."""

    key_a: int
    key_b: int
    matching: int
    partial: int
    compared: int

    @property
    def mismatching(self) -> int:
        """The compared loci that share no allele: compared - matching - partial."""
        return self.compared - self.matching - self.partial

    @property
    def kind(self) -> str:
        """'duplicate', 'one allele' or 'near' (see the class)."""
        if self.matching == self.compared:
            return "duplicate"
        if self.partial == 1 and self.matching == self.compared - 1:
            return "one allele"
        return "near"

    def to_dict(self) -> dict[str, Any]:
        """The pair as a JSON-ready dict."""
        return {"key_a": self.key_a, "key_b": self.key_b, "kind": self.kind,
                "matching_loci": self.matching, "partial_loci": self.partial,
                "compared_loci": self.compared}


@dataclass(frozen=True, slots=True)
class SelfCheck:
    """The near-match pairs of an index, and the parameters that found them."""

    index: str
    min_matching_loci: int
    blocks: tuple[tuple[str, ...], ...]
    pairs: tuple[NearMatch, ...]

    def to_dict(self) -> dict[str, Any]:
        """The check as a JSON-ready dict."""
        return {"index": self.index, "min_matching_loci": self.min_matching_loci,
                "blocks": [list(b) for b in self.blocks],
                "pairs": [p.to_dict() for p in self.pairs]}


def _blocks(n_loci: int, n_blocks: int) -> list[npt.NDArray[np.int64]]:
    return [np.asarray(b, dtype=np.int64) for b in np.array_split(np.arange(n_loci), n_blocks)]


def near_match_rows(codes: npt.NDArray[np.uint8], *, min_matching_loci: int
                    ) -> npt.NDArray[np.int64]:
    """Pairs of rows of ``codes [n_loci, n, 2]`` matching fully at >= ``min_matching_loci``
    loci: rows (i, j, matching, partial, compared) with i < j, each pair once."""
    n_loci = codes.shape[0]
    if not 1 <= min_matching_loci <= n_loci:
        raise SearchError(f"min_matching_loci = {min_matching_loci} is out of range",
                          remedy=f"1 to {n_loci}")
    blocks = _blocks(n_loci, n_loci - min_matching_loci + 1)
    width = max(len(b) for b in blocks)
    found: list[npt.NDArray[np.int64]] = []
    for bi, block in enumerate(blocks):
        hashes, ok = kernels.block_hashes(codes, block)
        rows = np.flatnonzero(ok).astype(np.int64)
        h = hashes[rows]
        order = np.argsort(h, kind="stable")
        rows, h = rows[order], h[order]
        if h.size < 2:
            continue
        change = np.flatnonzero(h[1:] != h[:-1]) + 1
        starts = np.concatenate(([0], change)).astype(np.int64)
        ends = np.concatenate((change, [h.size])).astype(np.int64)
        multi = (ends - starts) > 1
        earlier = np.full((bi, width), -1, dtype=np.int64)
        for e in range(bi):
            earlier[e, :len(blocks[e])] = blocks[e]
        found.append(kernels.verify_blocks(codes, rows, h, starts[multi], ends[multi], earlier,
                                           min_match=min_matching_loci))
    if not found:
        return np.empty((0, 5), np.int64)
    out = np.concatenate(found)
    return out[np.lexsort((out[:, 1], out[:, 0]))]


def default_min_matching_loci(codes: npt.NDArray[np.uint8]) -> int:
    """The self-check's default threshold for ``codes [n_loci, n, 2]``: the median number of
    loci the profiles are typed at, minus 2 (at least 1). An offender index 24 loci wide
    whose profiles carry the 20 CODIS core loci gets 18, so an alias differing or untyped at
    up to 2 of those 20 loci is found; the index's width minus 2 (22) would find nothing.
    The median, not the minimum, so a few partial profiles do not lower it for all."""
    n_loci = int(codes.shape[0])
    if codes.shape[1] == 0:
        return max(1, n_loci - 2)
    typed = np.count_nonzero(codes[:, :, 0], axis=0)
    median = int(np.median(typed))
    return min(n_loci, max(1, median - 2))


def find_near_matches(index: ProfileIndex, *, min_matching_loci: int | None = None
                      ) -> SelfCheck:
    """Duplicates and near matches among the index's live single-source profiles: every pair
    matching on both alleles at ``min_matching_loci`` or more loci (default: the median number
    of loci the profiles are typed at, minus 2, :func:`default_min_matching_loci`; 18 for
    offenders typed at the 20 CODIS core loci). That includes exact duplicates and profiles
    differing (or untyped) at up to two loci, when they are typed at enough loci."""
    codes, keys = index.single_codes()
    n_loci = codes.shape[0]
    m = default_min_matching_loci(codes) if min_matching_loci is None else min_matching_loci
    m = max(1, m)
    rows = near_match_rows(codes, min_matching_loci=m)
    blocks = tuple(tuple(index.loci[i] for i in b.tolist())
                   for b in _blocks(n_loci, n_loci - m + 1))
    pairs = tuple(NearMatch(int(keys[i]), int(keys[j]), int(mt), int(p), int(c))
                  for i, j, mt, p, c in rows.tolist())
    return SelfCheck(index.name, m, blocks, pairs)


def pair_count_matrix(index: ProfileIndex) -> npt.NDArray[np.int64]:
    """All-pairs table ``[L + 1, L + 1]`` of the index's live single-source profiles:
    ``out[m, p]`` pairs with m loci matching on both alleles and p loci sharing exactly one
    (DNAtools dbCompare). Untyped loci count in neither; the table sums to n(n-1)/2."""
    codes, _ = index.single_codes()
    return kernels.pair_counts(codes)
