"""The allele-level network of a pedigree at one locus, and its exact likelihood.

Every person i has two allele variables, paternal ``2i`` and maternal ``2i + 1``. Factors:

- founder: ``q[pat] * q[mat]`` (Hardy-Weinberg, theta = 0); with ``theta > 0`` one joint factor
  over the alleles of all founders instead (:func:`founder_factor`: Balding-Nichols sequential
  sampling, as pedprobr's ``likTheta``), so founders are no longer independent;
- child of father f: ``T_m[pat_f, mat_f, pat_child] = (M_m[pat_f, x] + M_m[mat_f, x]) / 2``
  (Mendel's first law, then the father's mutation matrix), and likewise for the mother with the
  female matrix;
- typed person with genotype {a, b}: the indicator of (pat, mat) in {(a, b), (b, a)}, and the
  domains of their two variables cut down to {a, b} (evidence as domain restriction, which keeps
  the elimination tables small).

The likelihood is the sum of the product over all allele variables (variable elimination,
:mod:`._elimination`). Untyped people without typed descendants sum to 1 and are pruned first
(exact with theta too: the Balding-Nichols draw is exchangeable, so summing out some founders'
alleles leaves the same formula over the others). With theta the joint founder factor has one
axis per founder allele (a typed founder's range over their own one or two alleles, an untyped
one's over every allele), up to ``max_founder_entries``.

Where that factor, or an elimination table with it, is too large (two untyped parents at a
locus with 27 or more alleles: the 20 M-entry limit of :func:`._elimination.eliminate`), the
sum is taken over the identity-by-descent partitions of the founder alleles instead
(:func:`ibd_partitions`): the Balding-Nichols draw is a Polya urn, in which draw j copies each
earlier draw with probability theta / (1 + (j - 1) theta) or is a fresh draw from q with
probability (1 - theta) / (1 + (j - 1) theta) (Ewens 1972; Balding & Nichols 1995). Summed over
who copies whom, a partition of the m draws into blocks (the draws of one block share one
allele, the blocks independent from q) has probability

    P(blocks) = prod_B (1 - theta) theta^(|B| - 1) (|B| - 1)! / prod_{j=0}^{m-1} (1 + (j - 1) theta)

so the likelihood is sum_blocks P(blocks) L_HW(the network with each block's alleles tied), each
term a Hardy-Weinberg network no wider than at theta = 0. Partitions that tie two typed alleles
with no allele in common are 0 and skipped; above ``max_partitions`` the computation is refused
(:class:`CombinatorialLimit`: Bell(m) grows fast, 877 for 7 founder alleles, 4,140 for 8).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from locard.errors import CombinatorialLimit
from locard.stats.kinship._elimination import Factor, eliminate

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

DEFAULT_MAX_FOUNDER_ENTRIES = 4_000_000
"""Largest joint founder-allele table built for theta > 0 (32 MB of float64)."""

DEFAULT_MAX_PARTITIONS = 1_000
"""Most identity-by-descent partitions of the founder alleles summed for theta > 0 when the joint
founder factor is too large (each one elimination of a Hardy-Weinberg network)."""


def _transmission(matrix: FloatArray) -> FloatArray:
    return 0.5 * (matrix[:, None, :] + matrix[None, :, :])


def founder_factor(domains: Sequence[IntArray], frequencies: FloatArray, *,
                   theta: float) -> FloatArray:
    """Joint probability of founder alleles drawn one after another (one axis per draw, over
    the allele indices of ``domains[j]``) by the Balding-Nichols sampling formula (Balding &
    Nichols 1995; pedprobr's ``thetaCorr``): the j-th draw (j = 0, 1, ...) is allele a with

        (n_a theta + (1 - theta) p_a) / (1 + (j - 1) theta),  n_a = earlier draws equal to a.

    With theta = 0 it is the product of the frequencies (Hardy-Weinberg, linkage equilibrium).
    """
    table: FloatArray = np.ones(())
    for j, d in enumerate(domains):
        count: FloatArray = np.zeros((1,) * j + (len(d),))
        for i in range(j):
            shape = [1] * (j + 1)
            shape[i] = len(domains[i])
            shape[j] = len(d)
            same = (domains[i][:, None] == d[None, :]).astype(np.float64)
            count = count + same.reshape(shape)
        step = (count * theta + (1.0 - theta) * frequencies[d]) / (1.0 + (j - 1) * theta)
        table = table[..., None] * step
    return table


def network_likelihood(
    ids: Sequence[str],
    parents: Mapping[str, tuple[str, str] | None],
    *,
    frequencies: FloatArray,
    male: FloatArray,
    female: FloatArray,
    evidence: Mapping[str, tuple[int, int]],
    keep: str | None = None,
    theta: float = 0.0,
    max_founder_entries: int = DEFAULT_MAX_FOUNDER_ENTRIES,
    max_partitions: int = DEFAULT_MAX_PARTITIONS,
) -> FloatArray:
    """Exact likelihood of ``evidence`` (person -> allele indices) on the pedigree.

    ``parents[id]`` is (father, mother) or None for a founder; ``male``/``female`` are the
    fathers' and mothers' transition matrices. With ``keep`` the result is the joint array
    ``F[x, y] = P(evidence, pat_keep = x, mat_keep = y)``; otherwise a 0-d array. ``theta``:
    the founders' alleles are one Balding-Nichols draw (:func:`founder_factor`, or the sum over
    :func:`ibd_partitions` where that is too large, module docstring); 0 is Hardy-Weinberg,
    computed as before.
    """
    factors, dims, kept, draws, untyped = _network(
        ids, parents, frequencies=frequencies, male=male, female=female, evidence=evidence,
        keep=keep, hardy_weinberg=theta <= 0)
    if theta <= 0:
        return eliminate(factors, dims, kept)
    return _with_founders(factors, dims, draws, [kept], frequencies=frequencies, theta=theta,
                          max_founder_entries=max_founder_entries,
                          max_partitions=max_partitions, untyped=untyped)[0]


def founder_moments(
    ids: Sequence[str],
    parents: Mapping[str, tuple[str, str] | None],
    *,
    frequencies: FloatArray,
    male: FloatArray,
    female: FloatArray,
    evidence: Mapping[str, tuple[int, int]],
    theta: float,
    max_founder_entries: int = DEFAULT_MAX_FOUNDER_ENTRIES,
    max_partitions: int = DEFAULT_MAX_PARTITIONS,
) -> tuple[float, FloatArray, FloatArray, int]:
    """``(W, A, B, m)`` over the ``m`` founder alleles x_1..x_m (after pruning) with the weight
    ``w`` = P(founder alleles, evidence): ``W`` = sum of w (the likelihood),
    ``A[a] = E_w[c_a]`` and ``B[a, b] = E_w[c_a c_b]``, ``c_a`` the number of founder alleles
    equal to a (unnormalised expectations). The Balding-Nichols probability of one more
    founder's alleles (a, b) given the others depends on them only through ``c_a`` and ``c_b``,
    so these moments give it for every (a, b) at once (:mod:`.search_tables`, Hd with theta):
    one elimination per pair of founder alleles instead of one over all alleles for that founder.
    """
    factors, dims, _, draws, untyped = _network(
        ids, parents, frequencies=frequencies, male=male, female=female, evidence=evidence,
        keep=None, hardy_weinberg=False)
    n = frequencies.shape[0]
    pairs = list(itertools.combinations(enumerate(draws), 2))
    keeps = [(), *((vi, vj) for (_, (vi, _)), (_, (vj, _)) in pairs)]
    results = _with_founders(factors, dims, draws, keeps,
                             frequencies=frequencies, theta=theta,
                             max_founder_entries=max_founder_entries,
                             max_partitions=max_partitions, untyped=untyped)
    total = float(results[0])
    first = np.zeros(n)
    second = np.zeros((n, n))
    single: dict[int, FloatArray] = {}
    for ((i, (_, di)), (j, (_, dj))), pair in zip(pairs, results[1:], strict=True):
        full = np.zeros((n, n))
        full[np.ix_(di, dj)] = pair
        second += full + full.T
        single.setdefault(i, full.sum(axis=1))
        single.setdefault(j, full.sum(axis=0))
    for marginal in single.values():
        first += marginal
    second += np.diag(first)
    return total, first, second, len(draws)


def _network(
    ids: Sequence[str],
    parents: Mapping[str, tuple[str, str] | None],
    *,
    frequencies: FloatArray,
    male: FloatArray,
    female: FloatArray,
    evidence: Mapping[str, tuple[int, int]],
    keep: str | None,
    hardy_weinberg: bool,
) -> tuple[list[Factor], dict[int, int], tuple[int, ...], list[tuple[int, IntArray]],
           list[str]]:
    """The factors and variable sizes of the network (the founders' Hardy-Weinberg factors only
    with ``hardy_weinberg``; otherwise the caller adds the theta prior, :func:`_with_founders`),
    the kept variables, the founder allele variables with their domains, and the untyped
    founders (pruned people left out)."""
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
    domain: dict[str, IntArray] = {person: (np.array(sorted(set(evidence[person])))
                       if person in evidence and person != keep else everything)
              for person in order}
    factors: list[Factor] = []
    t_male = _transmission(male)
    t_female = _transmission(female)
    dims: dict[int, int] = {}
    founders = [person for person in order if parents[person] is None]
    for person in order:
        pat, mat = 2 * index[person], 2 * index[person] + 1
        d = domain[person]
        dims[pat] = dims[mat] = len(d)
        pair = parents[person]
        if pair is None:
            if hardy_weinberg:  # with theta: the caller's founder prior
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
    founder_vars = [(v, domain[p]) for p in founders for v in (2 * index[p], 2 * index[p] + 1)]
    untyped = [p for p in founders if p not in evidence or p == keep]
    return factors, dims, kept, founder_vars, untyped


def ibd_partitions(domains: Sequence[IntArray], *, limit: int) -> list[list[list[int]]]:
    """The partitions of the draws ``0..m-1`` into identity-by-descent blocks (each a list of
    draw indices, in order) whose draws share an allele of their ``domains``; those tying
    alleles with no value in common are left out. More than ``limit`` is refused
    (:class:`CombinatorialLimit`). Restricted growth strings, pruned as they grow."""
    out: list[list[list[int]]] = []
    sets = [frozenset(int(x) for x in d) for d in domains]
    blocks: list[list[int]] = []
    common: list[frozenset[int]] = []

    def grow(j: int) -> None:
        if j == len(sets):
            if len(out) >= limit:
                raise CombinatorialLimit(
                    f"more than {limit:,} identity-by-descent partitions of {len(sets)} founder "
                    "alleles")
            out.append([list(b) for b in blocks])
            return
        for k in range(len(blocks)):
            shared = common[k] & sets[j]
            if shared:
                blocks[k].append(j)
                before, common[k] = common[k], shared
                grow(j + 1)
                common[k] = before
                blocks[k].pop()
        blocks.append([j])
        common.append(sets[j])
        grow(j + 1)
        blocks.pop()
        common.pop()

    grow(0)
    return out


def partition_probability(sizes: Sequence[int], *, theta: float) -> float:
    """Balding-Nichols (Polya urn) probability that m = sum(sizes) draws fall into given
    identity-by-descent blocks of these sizes (module docstring):
    prod (1 - theta) theta^(k - 1) (k - 1)! / prod_{j<m} (1 + (j - 1) theta)."""
    m = sum(sizes)
    numerator = math.prod((1.0 - theta) * theta ** (k - 1) * math.factorial(k - 1)
                          for k in sizes)
    return numerator / math.prod(1.0 + (j - 1) * theta for j in range(m))


def _with_founders(factors: Sequence[Factor], dims: dict[int, int],
                   draws: Sequence[tuple[int, IntArray]], keeps: Sequence[tuple[int, ...]], *,
                   frequencies: FloatArray, theta: float, max_founder_entries: int,
                   max_partitions: int, untyped: Sequence[str]) -> list[FloatArray]:
    """For each of ``keeps``, the network's sum with the theta prior over the founder alleles:
    one joint Balding-Nichols factor where it fits, else the sum over the identity-by-descent
    partitions (module docstring)."""
    domains = [d for _, d in draws]
    size = math.prod(len(d) for d in domains)
    if size <= max_founder_entries:
        joint = (tuple(v for v, _ in draws), founder_factor(domains, frequencies, theta=theta))
        try:
            return [eliminate([*factors, joint], dims, keep) for keep in keeps]
        except CombinatorialLimit:
            pass  # too wide with the founders coupled: by partitions
    who = ", ".join(repr(p) for p in untyped) or "none"
    try:
        partitions = ibd_partitions(domains, limit=max_partitions)
    except CombinatorialLimit as exc:
        raise CombinatorialLimit(
            f"theta = {theta:g}: the joint founder-allele table has {size:,} entries (limit "
            f"{max_founder_entries:,}), and there are {exc.message} (untyped founders: {who})",
            remedy="type an untyped founder, drop untyped branches, or use theta 0") from exc
    sums: list[FloatArray | None] = [None] * len(keeps)
    next_var = max(dims) + 1
    for blocks in partitions:
        weight = partition_probability([len(b) for b in blocks], theta=theta)
        prior: list[Factor] = []
        extra = dict(dims)
        for block in blocks:
            if len(block) == 1:
                v, d = draws[block[0]]
                prior.append(((v,), frequencies[d]))
                continue
            shared = domains[block[0]]
            for j in block[1:]:
                shared = np.intersect1d(shared, domains[j])
            b = next_var
            extra[b] = len(shared)
            prior.append(((b,), frequencies[shared]))
            for j in block:
                v, d = draws[j]
                prior.append(((b, v), (shared[:, None] == d[None, :]).astype(np.float64)))
            next_var += 1
        for k, keep in enumerate(keeps):
            term = weight * eliminate([*factors, *prior], extra, keep)
            found = sums[k]
            sums[k] = term if found is None else found + term
    return [s if s is not None else np.zeros(tuple(dims[v] for v in keep))
            for s, keep in zip(sums, keeps, strict=True)]


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
