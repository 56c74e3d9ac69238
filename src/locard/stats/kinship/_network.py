"""The allele-level network of a pedigree at one locus, and its exact likelihood.

Every person i has two allele variables, paternal ``2i`` and maternal ``2i + 1``. Factors:

- founder: ``q[pat] * q[mat]`` (Hardy-Weinberg, theta = 0);
- child of father f: ``T_m[pat_f, mat_f, pat_child] = (M_m[pat_f, x] + M_m[mat_f, x]) / 2``
  (Mendel's first law, then the father's mutation matrix), and likewise for the mother with the
  female matrix;
- typed person with genotype {a, b}: the indicator of (pat, mat) in {(a, b), (b, a)}, and the
  domains of their two variables cut down to {a, b} (evidence as domain restriction, which keeps
  the elimination tables small).

The likelihood is the sum of the product over all allele variables (variable elimination,
:mod:`._elimination`). Untyped people without typed descendants sum to 1 and are pruned first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from locard.stats.kinship._elimination import Factor, eliminate

FloatArray = npt.NDArray[np.float64]


def _transmission(matrix: FloatArray) -> FloatArray:
    return 0.5 * (matrix[:, None, :] + matrix[None, :, :])


def network_likelihood(
    ids: Sequence[str],
    parents: Mapping[str, tuple[str, str] | None],
    *,
    frequencies: FloatArray,
    male: FloatArray,
    female: FloatArray,
    evidence: Mapping[str, tuple[int, int]],
    keep: str | None = None,
) -> FloatArray:
    """Exact likelihood of ``evidence`` (person -> allele indices) on the pedigree.

    ``parents[id]`` is (father, mother) or None for a founder; ``male``/``female`` are the
    fathers' and mothers' transition matrices. With ``keep`` the result is the joint array
    ``F[x, y] = P(evidence, pat_keep = x, mat_keep = y)``; otherwise a 0-d array.
    """
    n = frequencies.shape[0]
    # prune untyped people with no remaining children (they sum to 1)
    alive = set(ids)
    changed = True
    while changed:
        changed = False
        has_child = {p for c in alive for p in (parents[c] or ())}
        for person in list(alive):
            if person not in evidence and person != keep and person not in has_child:
                alive.discard(person)
                changed = True
    order = [i for i in ids if i in alive]
    index = {person: k for k, person in enumerate(order)}
    everything = np.arange(n)
    # a typed person's two allele variables range over their own alleles only
    domain = {person: (np.array(sorted(set(evidence[person])))
                       if person in evidence and person != keep else everything)
              for person in order}
    factors: list[Factor] = []
    t_male = _transmission(male)
    t_female = _transmission(female)
    dims: dict[int, int] = {}
    for person in order:
        pat, mat = 2 * index[person], 2 * index[person] + 1
        d = domain[person]
        dims[pat] = dims[mat] = len(d)
        pair = parents[person]
        if pair is None:
            factors.append(((pat,), frequencies[d]))
            factors.append(((mat,), frequencies[d]))
        else:
            f, m = pair
            df, dm = domain[f], domain[m]
            factors.append(((2 * index[f], 2 * index[f] + 1, pat), t_male[np.ix_(df, df, d)]))
            factors.append(((2 * index[m], 2 * index[m] + 1, mat), t_female[np.ix_(dm, dm, d)]))
        if person in evidence and person != keep:
            a, b = evidence[person]
            e = np.zeros((len(d), len(d)))
            ia, ib = int(np.searchsorted(d, a)), int(np.searchsorted(d, b))
            e[ia, ib] = e[ib, ia] = 1.0
            factors.append(((pat, mat), e))
    kept = (2 * index[keep], 2 * index[keep] + 1) if keep is not None else ()
    return eliminate(factors, dims, kept)


def lump(frequencies: FloatArray, matrices: Sequence[FloatArray],
         observed: Sequence[int]) -> tuple[FloatArray, list[FloatArray], dict[int, int]] | None:
    """Merge every allele not in ``observed`` into one 'rest' allele when that is exact.

    Exact when each matrix is lumpable for the partition (Kemeny & Snell 1976: every allele of
    the rest block has the same total probability into each block), as the identity, ``equal``
    and ``proportional`` matrices always are. Returns the lumped frequencies and matrices and the
    map old observed index -> new index, or None when some matrix is not lumpable.
    """
    obs = sorted(set(observed))
    rest = [i for i in range(frequencies.shape[0]) if i not in set(obs)]
    if not rest:
        return frequencies, list(matrices), {i: i for i in obs}
    blocks = [[i] for i in obs] + [rest]
    k = len(blocks)
    lumped: list[FloatArray] = []
    for m in matrices:
        into = np.stack([m[:, b].sum(axis=1) for b in blocks], axis=1)  # (n, k)
        rows = into[rest]
        if not np.allclose(rows, rows[0], rtol=1e-12, atol=1e-15):
            return None
        out = np.empty((k, k))
        for g, b in enumerate(blocks):
            out[g] = into[b[0]]
        lumped.append(out)
    q = np.array([frequencies[b].sum() for b in blocks])
    return q, lumped, {i: g for g, i in enumerate(obs)}
