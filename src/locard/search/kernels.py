"""Scanning kernels (numba), and the plain NumPy versions they are measured against.

Layout: an index segment stores its codes locus-major, uint8 ``[n_loci, n, slots]`` (slots 2
for single-source profiles, 8 for mixtures), so one locus of every profile is one contiguous
run of memory.

:func:`scan` filters progressively: the first locus of the query's ``order`` is compared for
every profile of a chunk (sequential, 2 bytes per profile); only the profiles still within the
allowed number of failing loci go on to the next locus, and so on. Loci are ordered most
selective first, so after two or three loci almost nothing is left and a search reads a few
bytes per profile instead of all of them. Chunks run in parallel (``prange``).

Modes (how one compared locus passes): 0 HIGH, same alleles; 1 MODERATE, the alleles of one
all contained in the other's; 2 LOW, at least one allele shared; 3 INCLUDED, the database
profile's alleles all contained in the query's (mixture inclusion). A locus untyped in either
profile is not compared and neither passes nor fails.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit, prange

__all__ = [
    "HIGH",
    "INCLUDED",
    "LOW",
    "MODERATE",
    "block_hashes",
    "pair_counts",
    "pair_counts_numpy",
    "scan",
    "scan_numpy",
    "verify_blocks",
]

HIGH, MODERATE, LOW, INCLUDED = 0, 1, 2, 3

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]


@njit(cache=True, inline="always")
def _passes(codes: U8, table: U8, li: int, i: int, slots: int, full_l: int,
            mode: int) -> bool:  # pragma: no cover - compiled
    u = 0
    all_found = True
    for s in range(slots):
        c = codes[li, i, s]
        if c == 0:
            break
        b = table[li, c]
        u |= b
        if b == 0:
            all_found = False
    if mode == 0:
        return u == full_l and all_found
    if mode == 1:
        return u == full_l or all_found
    if mode == 2:
        return u != 0
    return all_found


@njit(cache=True, parallel=True)
def _scan(codes: U8, table: U8, full: U8, order: I64, mode: int, max_fail: int,
          min_loci: int, chunk: int) -> tuple[I64, U8, U8]:  # pragma: no cover - compiled
    _, n, slots = codes.shape
    n_order = order.shape[0]
    n_chunks = (n + chunk - 1) // chunk
    out_idx = np.empty(n, np.int64)
    out_fail = np.empty(n, np.uint8)
    out_cmp = np.empty(n, np.uint8)
    counts = np.zeros(n_chunks, np.int64)
    for ch in prange(n_chunks):
        start = ch * chunk
        stop = min(n, start + chunk)
        m = stop - start
        cand = np.empty(m, np.int32)
        fails = np.empty(m, np.uint8)
        cmp = np.empty(m, np.uint8)
        li = order[0]
        full_l = full[li]
        remaining = n_order - 1
        k = 0
        for r in range(m):
            i = start + r
            f = 0
            c = 0
            if codes[li, i, 0] != 0:
                c = 1
                if not _passes(codes, table, li, i, slots, full_l, mode):
                    f = 1
            if f <= max_fail and c + remaining >= min_loci:
                cand[k] = r
                fails[k] = f
                cmp[k] = c
                k += 1
        for t in range(1, n_order):
            if k == 0:
                break
            li = order[t]
            full_l = full[li]
            remaining = n_order - 1 - t
            k2 = 0
            for j in range(k):
                i = start + cand[j]
                f = fails[j]
                c = cmp[j]
                if codes[li, i, 0] != 0:
                    c += 1
                    if not _passes(codes, table, li, i, slots, full_l, mode):
                        f += 1
                if f <= max_fail and c + remaining >= min_loci:
                    cand[k2] = cand[j]
                    fails[k2] = f
                    cmp[k2] = c
                    k2 += 1
            k = k2
        counts[ch] = k
        for j in range(k):
            out_idx[start + j] = start + cand[j]
            out_fail[start + j] = fails[j]
            out_cmp[start + j] = cmp[j]
    total = 0
    for ch in range(n_chunks):
        total += counts[ch]
    res_idx = np.empty(total, np.int64)
    res_fail = np.empty(total, np.uint8)
    res_cmp = np.empty(total, np.uint8)
    pos = 0
    for ch in range(n_chunks):
        start = ch * chunk
        for j in range(counts[ch]):
            res_idx[pos] = out_idx[start + j]
            res_fail[pos] = out_fail[start + j]
            res_cmp[pos] = out_cmp[start + j]
            pos += 1
    return res_idx, res_fail, res_cmp


# The same kernel without threads, for segments of one chunk: a parallel region there gains
# nothing and, on a loaded machine, its barrier waits for a descheduled thread (milliseconds).
_scan_serial = njit(cache=True)(_scan.py_func)


def scan(codes: U8, table: U8, full: U8, order: I64, *, mode: int, max_fail: int,
         min_loci: int, chunk: int = 16384) -> tuple[I64, U8, U8]:
    """Rows of ``codes`` that compare with the query within ``max_fail`` failing loci and at
    least ``min_loci`` compared loci; returns (rows, failing loci, compared loci).

    ``order`` lists the index positions of the loci the query types, most selective first;
    loci outside it are not compared."""
    if codes.shape[1] == 0 or order.shape[0] == 0 or order.shape[0] < min_loci:
        empty = np.empty(0, np.uint8)
        return np.empty(0, np.int64), empty, empty.copy()
    kernel = _scan_serial if codes.shape[1] <= chunk else _scan
    return kernel(codes, table, full, order, mode, max_fail, min_loci, chunk)


def scan_numpy(codes: U8, table: U8, full: U8, order: I64, *, mode: int, max_fail: int,
               min_loci: int) -> tuple[I64, U8, U8]:
    """The straightforward NumPy version of :func:`scan` (whole arrays, locus by locus):
    the reference the benchmark measures the kernel against."""
    n = codes.shape[1]
    fails = np.zeros(n, np.int64)
    compared = np.zeros(n, np.int64)
    for li in order.tolist():
        col = codes[li]
        typed = col[:, 0] != 0
        u = np.zeros(n, np.uint8)
        all_found = np.ones(n, bool)
        for s in range(col.shape[1]):
            cs = col[:, s]
            b = table[li][cs]
            present = cs != 0
            u |= np.where(present, b, 0).astype(np.uint8)
            all_found &= ~present | (b != 0)
        query_in = u == full[li]
        if mode == HIGH:
            ok = query_in & all_found
        elif mode == MODERATE:
            ok = query_in | all_found
        elif mode == LOW:
            ok = u != 0
        else:
            ok = all_found
        compared += typed
        fails += typed & ~ok
    keep = np.flatnonzero((fails <= max_fail) & (compared >= min_loci))
    return keep.astype(np.int64), fails[keep].astype(np.uint8), compared[keep].astype(np.uint8)


# --- all-pairs match/partial table (DNAtools dbCompare) ------------------------------------


@njit(cache=True, parallel=True)
def _pair_counts(a0: U8, a1: U8, tile_rows: int, block_cols: int,
                 n_threads: int) -> I64:  # pragma: no cover - compiled
    # Register/cache blocking: a tile of `tile_rows` query rows is compared with a block of
    # `block_cols` columns one locus at a time, so the inner loop runs over contiguous uint8
    # columns (locus-major layout) and vectorises; per-pair counts of fully matching (m) and
    # partially matching (p) loci accumulate in uint8 rows, then feed the histogram.
    n_loci, n = a0.shape
    w = n_loci + 1
    n_tiles = (n + tile_rows - 1) // tile_rows
    hist = np.zeros((n_threads, w * w), np.int64)
    for t in prange(n_threads):
        m = np.empty((tile_rows, block_cols), np.uint8)
        p = np.empty((tile_rows, block_cols), np.uint8)
        for tile in range(t, n_tiles, n_threads):
            i0 = tile * tile_rows
            rows = min(n, i0 + tile_rows) - i0
            for j0 in range(i0 + 1, n, block_cols):
                j1 = min(n, j0 + block_cols)
                width = j1 - j0
                m[:, :width] = 0
                p[:, :width] = 0
                for li in range(n_loci):
                    col0 = a0[li, j0:j1]
                    col1 = a1[li, j0:j1]
                    for ii in range(rows):
                        x0 = a0[li, i0 + ii]
                        if x0 == 0:  # untyped: counts in neither
                            continue
                        x1 = a1[li, i0 + ii]
                        mr = m[ii]
                        pr = p[ii]
                        for jj in range(width):
                            y0 = col0[jj]
                            y1 = col1[jj]
                            e0 = y0 == x0
                            full = e0 & (y1 == x1)
                            shared = e0 | (y0 == x1) | (y1 == x0) | (y1 == x1)
                            mr[jj] += full
                            pr[jj] += shared & ~full
                for ii in range(rows):
                    first = max(j0, i0 + ii + 1) - j0
                    for jj in range(first, width):
                        hist[t, m[ii, jj] * w + p[ii, jj]] += 1
    out = np.zeros(w * w, np.int64)
    for t in range(n_threads):
        for x in range(w * w):
            out[x] += hist[t, x]
    return out


def pair_counts(codes: U8, *, tile_rows: int = 16, block_cols: int = 2048,
                n_threads: int | None = None) -> I64:
    """All-pairs table from single-source codes ``[n_loci, n, 2]``: ``out[m, p]`` is the
    number of pairs with ``m`` loci matching on both alleles and ``p`` loci sharing an allele
    without matching fully. Untyped loci count in neither."""
    import numba

    n_loci = codes.shape[0]
    a0 = np.ascontiguousarray(codes[:, :, 0])
    a1 = np.ascontiguousarray(codes[:, :, 1])
    threads = n_threads or int(numba.get_num_threads())
    flat = _pair_counts(a0, a1, tile_rows, block_cols, threads)
    return flat.reshape(n_loci + 1, n_loci + 1)


def pair_counts_numpy(codes: U8) -> I64:
    """The straightforward NumPy version of :func:`pair_counts` (row by row)."""
    n_loci, n, _ = codes.shape
    w = n_loci + 1
    a0 = codes[:, :, 0].astype(np.int16)
    a1 = codes[:, :, 1].astype(np.int16)
    hist = np.zeros(w * w, np.int64)
    for i in range(n - 1):
        x0 = a0[:, i:i + 1]
        x1 = a1[:, i:i + 1]
        y0 = a0[:, i + 1:]
        y1 = a1[:, i + 1:]
        typed = (x0 != 0) & (y0 != 0)
        full_match = (x0 == y0) & (x1 == y1) & typed
        shared = ((x0 == y0) | (x0 == y1) | (x1 == y0) | (x1 == y1)) & typed
        m = full_match.sum(axis=0)
        p = (shared & ~full_match).sum(axis=0)
        hist += np.bincount(m * w + p, minlength=w * w)
    return hist.reshape(w, w)


# --- near-match self-check: pigeonhole blocks ---------------------------------------------


@njit(cache=True, parallel=True)
def _block_hashes(codes: U8, loci: I64) -> tuple[npt.NDArray[np.uint64],
                                                  npt.NDArray[np.bool_]]:  # pragma: no cover
    n = codes.shape[1]
    hashes = np.empty(n, np.uint64)
    ok = np.empty(n, np.bool_)
    for i in prange(n):
        h = np.uint64(0x9E3779B97F4A7C15)
        good = True
        for t in range(loci.shape[0]):
            li = loci[t]
            c0 = codes[li, i, 0]
            if c0 == 0:
                good = False
                break
            v = np.uint64(c0) << np.uint64(8) | np.uint64(codes[li, i, 1])
            h ^= v + np.uint64(t + 1) * np.uint64(0xBF58476D1CE4E5B9)
            h *= np.uint64(0x94D049BB133111EB)
            h ^= h >> np.uint64(31)
        hashes[i] = h
        ok[i] = good
    return hashes, ok


def block_hashes(codes: U8, loci: I64) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
    """A 64-bit hash of each profile's genotypes over ``loci``, and whether the profile is
    typed at all of them (only those take part in the block)."""
    return _block_hashes(codes, loci)


@njit(cache=True)
def _agree(codes: U8, i: int, j: int, loci: I64) -> bool:  # pragma: no cover - compiled
    for t in range(loci.shape[0]):
        li = loci[t]
        if li < 0:
            break
        a0 = codes[li, i, 0]
        if a0 == 0 or a0 != codes[li, j, 0] or codes[li, i, 1] != codes[li, j, 1]:
            return False
    return True


@njit(cache=True)
def _verify_blocks(codes: U8, rows: I64, hashes: npt.NDArray[np.uint64], starts: I64,
                   ends: I64, earlier: I64, min_match: int,
                   fill: bool, out: I64) -> int:  # pragma: no cover - compiled
    n_loci = codes.shape[0]
    found = 0
    for g in range(starts.shape[0]):
        for x in range(starts[g], ends[g]):
            for y in range(x + 1, ends[g]):
                if hashes[x] != hashes[y]:
                    continue
                i = rows[x]
                j = rows[y]
                if i > j:
                    i, j = j, i
                seen = False
                for b in range(earlier.shape[0]):
                    if _agree(codes, i, j, earlier[b]):
                        seen = True
                        break
                if seen:
                    continue
                m = 0
                p = 0
                c = 0
                for li in range(n_loci):
                    x0 = codes[li, i, 0]
                    y0 = codes[li, j, 0]
                    if x0 == 0 or y0 == 0:
                        continue
                    x1 = codes[li, i, 1]
                    y1 = codes[li, j, 1]
                    c += 1
                    if x0 == y0 and x1 == y1:
                        m += 1
                    elif x0 == y0 or x0 == y1 or x1 == y0 or x1 == y1:  # noqa: SIM109
                        p += 1
                if m < min_match:
                    continue
                if fill:
                    out[found, 0] = i
                    out[found, 1] = j
                    out[found, 2] = m
                    out[found, 3] = p
                    out[found, 4] = c
                found += 1
    return found


def verify_blocks(codes: U8, rows: I64, hashes: npt.NDArray[np.uint64], starts: I64,
                  ends: I64, earlier: I64, *, min_match: int) -> I64:
    """Verify the candidate pairs of runs of equal block hash (``rows``/``hashes`` sorted by
    hash, runs ``starts[g]:ends[g]``). A pair is kept when at least ``min_match`` loci match
    on both alleles, and only if it does not agree fully on an ``earlier`` block (padded with
    -1), where it was already found. Returns rows (i, j, matching, partial, compared)."""
    out = np.empty((0, 5), np.int64)
    count = _verify_blocks(codes, rows, hashes, starts, ends, earlier, min_match, False, out)
    out = np.empty((count, 5), np.int64)
    _verify_blocks(codes, rows, hashes, starts, ends, earlier, min_match, True, out)
    return out
