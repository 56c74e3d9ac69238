"""The continuous (quantitative, "EuroForMix") model of a mixed trace: peak heights as gamma
variables, with degradation, stutter and drop-in.

The model of Bleka, Storvik & Gill (2016), FSI:Genetics 21:35, as EuroForMix implements it. Per
locus and replicate, allele ``a`` has height ``Y_a ~ Gamma(shape alpha_a, scale mu sigma^2)``::

    alpha_a = (1/sigma^2) [ (1 - xi_B - xi_F) D_a + xi_B D_{a+1} + xi_F D_{a-1} ]
    D_a     = sum_k Mx_k c_ka beta^((bp_a - 125)/100)

(``c_ka`` copies of ``a`` in contributor ``k``; ``xi_F = 0`` unless forward stutter is modelled;
``beta = 1`` without degradation, ``xi_B = 0`` without stutter). Positions in the model: the
alleles observed in some replicate (height >= the analytical threshold AT), the stutter-only
positions ``a - 1`` (and ``a + 1`` with forward stutter) of observed alleles with a numeric name
that are themselves unobserved (``alpha = xi D_a / sigma^2``; never a genotype allele), and ``Q``,
one pooled allele for every allele copy not observed in any replicate (frequency ``1 - sum p``
of the observed alleles; ``alpha_Q = D_Q / sigma^2``: Q neither loses nor receives stutter; its
fragment length is the kit's longest at the locus). ``Q`` contributes one ``P(Y_Q < AT)`` per
replicate: EuroForMix's approximation, not an exact sum over the unobserved alleles.

Per replicate: an observed position with ``alpha > 0`` gives the gamma density; one with
``alpha = 0`` (no contributor copy, no stutter source) is a drop-in with weight
``pC p_a lambda exp(-lambda (y - AT))`` (``p_a`` not theta-corrected); an unobserved position with
``alpha > 0`` gives ``P(Y < AT)``, one with ``alpha = 0`` gives 1. A replicate with no drop-in at
the locus gets ``(1 - pC)``; with ``pC = 0`` a genotype combination that needs a drop-in is
impossible. ``L_locus = sum_G P(G | typed, theta) prod_r prod_a f_r(a | G)``, ``P(G | ...)`` the
Balding-Nichols sampling formula as in :mod:`locard.stats.mixture.semicontinuous`.

Evaluation: for each position the contributors' copy pattern (own allele, stutter sources) takes
few distinct values over all genotype combinations; the per-position terms are computed once per
distinct pattern, for all loci of a hypothesis in one vectorised pass (SciPy's gamma functions;
:class:`StackedHypothesis`), and summed over combinations with one compiled call.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray
from scipy import special  # type: ignore[import-untyped]

from locard.errors import CombinatorialLimit, InputError, InvalidParameter
from locard.genetics.alleles import Allele, AlleleKind
from locard.genetics.kits import KitLocus

__all__ = [
    "DEFAULT_MAX_COMBINATIONS",
    "ContinuousOptions",
    "HeightEvidence",
    "LocusData",
    "LocusHypothesis",
    "Parameters",
    "StackedHypothesis",
    "combination_logliks",
    "degradation_factor",
    "entry_shapes",
    "entry_terms",
    "hypothesis_loglik",
    "locus_data",
    "prepare_hypothesis",
    "stack_hypothesis",
    "stacked_loglik",
]

#: Joint genotype combinations of the unknowns one locus may enumerate (ordered: the unknowns
#: have their own mixture proportions); 3 unknowns over 11 alleles + Q are 2.6e5.
DEFAULT_MAX_COMBINATIONS = 3_000_000
#: Reference fragment length of the degradation model (EuroForMix): beta^((bp - 125)/100).
BP_REFERENCE = 125.0


@dataclass(frozen=True, slots=True)
class ContinuousOptions:
    """What the model includes: drop-in (``dropin`` = pC, ``dropin_lambda`` = lambda of the
    exponential drop-in height above AT), degradation, backward/forward stutter, theta."""

    dropin: float = 0.05
    dropin_lambda: float = 0.01
    degradation: bool = True
    backward_stutter: bool = True
    forward_stutter: bool = False
    theta: float = 0.0

    def __post_init__(self) -> None:
        for name, v in (("dropin", self.dropin), ("theta", self.theta)):
            if not 0.0 <= v < 1.0 or math.isnan(v):
                raise InvalidParameter(name, v, expected="0 <= value < 1")
        if not self.dropin_lambda > 0:
            raise InvalidParameter("dropin.lambda", self.dropin_lambda, expected="value > 0")


@dataclass(frozen=True, slots=True)
class Parameters:
    """One point of the parameter space: mixture proportions (typed contributors of the
    hypothesis first, in its order, then the unknowns), expected peak height ``mu``, coefficient
    of variation ``sigma``, degradation slope ``beta``, stutter proportions ``xi_b``/``xi_f``."""

    mx: tuple[float, ...]
    mu: float
    sigma: float
    beta: float = 1.0
    xi_b: float = 0.0
    xi_f: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """The parameters as a JSON-ready dict."""
        return {"mx": list(self.mx), "mu": self.mu, "sigma": self.sigma, "beta": self.beta,
                "xi_b": self.xi_b, "xi_f": self.xi_f}


@dataclass(frozen=True, slots=True)
class HeightEvidence:
    """Per replicate, per canonical locus, the peak heights (allele -> height; peaks below the
    analytical threshold are dropped when the locus is prepared). A locus missing from a
    replicate was not typed there."""

    replicates: Mapping[str, Mapping[str, Mapping[Allele, float]]]


def degradation_factor(bp: float, beta: float) -> float:
    """beta^((bp - 125)/100), EuroForMix's degradation of a fragment of ``bp`` base pairs."""
    return float(beta ** ((bp - BP_REFERENCE) / 100.0))


def _shift(a: Allele, step: int) -> Allele | None:
    """The allele one repeat shorter (step -1: 10 -> 9, 9.3 -> 8.3) or longer; None for a
    name that is not a repeat number."""
    if a.kind is not AlleleKind.REPEAT or a.repeats + step < 1:
        return None
    return Allele.repeat(a.repeats + step, a.variant)


@dataclass(frozen=True, slots=True)
class LocusData:
    """One locus prepared for the model, independent of the hypothesis.

    Positions ``0..n_obs-1`` are the observed alleles (genotype alleles), then the stutter-only
    positions, then ``Q`` (genotype allele ``n_obs``). ``heights[r, i]`` is the height (0: not
    observed in replicate ``r``); ``up``/``down`` give the genotype allele a position receives
    backward/forward stutter from (-1: none); ``own`` its genotype allele (-1 for stutter-only).
    """

    locus: str
    alleles: tuple[Allele, ...]  # observed, then stutter-only
    n_obs: int
    heights: NDArray[np.float64]
    threshold: float
    bp: NDArray[np.float64]  # per position, Q last
    freq: NDArray[np.float64]  # genotype alleles: observed then Q
    own: NDArray[np.int64]
    up: NDArray[np.int64]
    down: NDArray[np.int64]

    @property
    def n_positions(self) -> int:
        """The number of positions at the locus, ``Q`` included."""
        return len(self.bp)

    def code(self, allele: Allele) -> int:
        """The genotype-allele code of a typed person's allele (Q = ``n_obs`` if unobserved)."""
        for i in range(self.n_obs):
            if self.alleles[i] == allele:
                return i
        return self.n_obs


def locus_data(
    locus: str,
    replicates: Sequence[Mapping[Allele, float]],
    frequencies: Mapping[Allele, float],
    *,
    threshold: float,
    options: ContinuousOptions,
    kit_locus: KitLocus | None,
    fragment_lengths: Mapping[str, float] | None = None,
    min_frequency: float = 0.0,
) -> LocusData:
    """Build the positions of one locus from the replicates that typed it (see the module
    docstring). Fragment lengths come from ``fragment_lengths`` (allele name or ``"Q"`` -> bp)
    before ``kit_locus``; they are needed only with degradation."""
    if not threshold > 0:
        raise InvalidParameter(f"analytical_threshold ({locus})", threshold,
                               expected="a height > 0")
    observed = sorted({a for rep in replicates for a, y in rep.items() if y >= threshold})
    stutter: list[Allele] = []
    steps = [-1] + ([1] if options.forward_stutter else [])
    if options.backward_stutter or options.forward_stutter:
        for a in observed:
            for step in steps:
                if step == -1 and not options.backward_stutter:
                    continue
                s = _shift(a, step)
                if s is not None and s not in observed and s not in stutter:
                    stutter.append(s)
    stutter.sort()
    positions = [*observed, *stutter]
    n_obs = len(observed)
    index = {a: i for i, a in enumerate(observed)}
    heights = np.zeros((len(replicates), len(positions) + 1))
    for r, rep in enumerate(replicates):
        for a, y in rep.items():
            if y >= threshold:
                heights[r, index[a]] = float(y)
    freqs = []
    for a in observed:
        f = frequencies.get(a)
        if f is None:
            if min_frequency <= 0:
                raise InputError(
                    f"{locus}: observed allele {a} is absent from the frequency table",
                    remedy="set frequencies.min_frequency (--min-frequency) to give it a floor")
            f = min_frequency
        freqs.append(float(f))
    q_freq = 1.0 - sum(freqs)
    if q_freq <= 0:
        raise InputError(f"{locus}: the observed alleles' frequencies sum to {sum(freqs):.4g} "
                         "(>= 1), leaving nothing for Q",
                         remedy="check the frequency table, or lower frequencies.min_frequency")
    freqs.append(q_freq)
    override = {str(k): float(v) for k, v in (fragment_lengths or {}).items()}
    bp = np.full(len(positions) + 1, BP_REFERENCE)
    if options.degradation:
        for i, a in enumerate(positions):
            if str(a) in override:
                bp[i] = override[str(a)]
            elif kit_locus is not None and kit_locus.ladder_bp:
                bp[i] = kit_locus.fragment_length(a)
            else:
                raise InputError(f"{locus}: no fragment length for allele {a}",
                                 remedy="name the kit (kit) or give fragment_lengths."
                                        f"{locus}.{a}, or set degradation to false")
        if "Q" in override:
            bp[-1] = override["Q"]
        elif kit_locus is not None and kit_locus.ladder_bp:
            bp[-1] = max(kit_locus.ladder_bp)
        else:
            raise InputError(f"{locus}: no fragment length for Q",
                             remedy=f"name the kit (kit) or give fragment_lengths.{locus}.Q")
    own = np.array([*range(n_obs), *([-1] * len(stutter)), n_obs], dtype=np.int64)
    up = np.full(len(positions) + 1, -1, dtype=np.int64)
    down = np.full(len(positions) + 1, -1, dtype=np.int64)
    for i, a in enumerate(positions):
        if options.backward_stutter:
            longer = _shift(a, 1)
            if longer is not None and longer in index:
                up[i] = index[longer]
        if options.forward_stutter:
            shorter = _shift(a, -1)
            if shorter is not None and shorter in index:
                down[i] = index[shorter]
    return LocusData(locus=locus, alleles=tuple(positions), n_obs=n_obs, heights=heights,
                     threshold=float(threshold), bp=bp, freq=np.asarray(freqs), own=own, up=up,
                     down=down)


# --- genotype combinations and their prior ---------------------------------------------------


def _genotype_table(n_alleles: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    pairs = [(i, j) for i in range(n_alleles) for j in range(i, n_alleles)]
    counts = np.zeros((len(pairs), n_alleles), dtype=np.int64)
    for g, (i, j) in enumerate(pairs):
        counts[g, i] += 1
        counts[g, j] += 1
    het = np.array([2.0 if i != j else 1.0 for i, j in pairs])
    return counts, het


@dataclass(frozen=True, slots=True)
class LocusHypothesis:
    """A locus under one hypothesis, ready for repeated evaluation: per position the distinct
    copy patterns of the contributors (``patterns[i]``: ``[U_i, K, 3]`` copies of the own allele,
    the backward and the forward stutter source), the flat index of each combination's pattern
    (``index``: ``[combinations, positions]`` into the concatenated tables), and the log prior
    of each combination plus its ``(1 - pC)`` factors (``base``)."""

    data: LocusData
    patterns: tuple[NDArray[np.int64], ...]
    offsets: NDArray[np.int64]
    index: NDArray[np.int64]
    base: NDArray[np.float64]
    dropin_pattern: tuple[NDArray[np.bool_], ...]
    combos: NDArray[np.int64]  # [combinations, unknowns]: rows of ``genotypes``
    genotypes: tuple[tuple[int, int], ...]  # genotype-allele code pairs (Q = n_obs)
    known: tuple[tuple[int, int], ...]  # the typed contributors' genotype-allele codes
    options: ContinuousOptions

    @property
    def n_known(self) -> int:
        """The number of typed contributors."""
        return len(self.known)


def prepare_hypothesis(
    data: LocusData,
    known: Sequence[tuple[int, int]],
    n_unknowns: int,
    *,
    bn_counts: Sequence[int],
    bn_total: int,
    options: ContinuousOptions,
    max_combinations: int = DEFAULT_MAX_COMBINATIONS,
) -> LocusHypothesis:
    """Enumerate the unknowns' ordered genotype combinations at one locus (typed contributors
    ``known`` as genotype-allele code pairs) and precompute everything that does not depend on
    the parameters. ``bn_counts``/``bn_total`` start the Balding-Nichols counts (every typed
    person's alleles; see :mod:`locard.stats.mixture.semicontinuous`)."""
    n_g = data.n_obs + 1
    counts, het = _genotype_table(n_g)
    n_geno = len(counts)
    size = n_geno ** n_unknowns
    if size > max_combinations:
        raise CombinatorialLimit(
            f"{data.locus}: {n_unknowns} unknowns over {data.n_obs} observed alleles + Q need "
            f"{size:,} genotype combinations",
            remedy=f"use fewer unknowns in the hypotheses, or raise max_combinations "
                   f"(--max-combinations) above {size:,}")
    combos = np.array(list(itertools.product(range(n_geno), repeat=n_unknowns)),
                      dtype=np.int64).reshape(size, n_unknowns)
    k_total = len(known) + n_unknowns
    copies = np.zeros((size, k_total, n_g), dtype=np.int64)
    for k, (a, b) in enumerate(known):
        copies[:, k, a] += 1
        copies[:, k, b] += 1
    for u in range(n_unknowns):
        copies[:, len(known) + u, :] = counts[combos[:, u]]
    # Balding-Nichols prior of the ordered combination
    theta = options.theta
    p = data.freq
    x = copies[:, len(known):, :].sum(axis=1)
    log_prior = np.zeros(size)
    if n_unknowns:
        bn_c = np.asarray(bn_counts, dtype=np.float64)
        x_max = 2 * n_unknowns
        fac = np.ones((n_g, x_max + 1))
        for draws in range(1, x_max + 1):
            fac[:, draws] = fac[:, draws - 1] * ((bn_c + draws - 1) * theta + (1 - theta) * p)
        denom = math.prod(1.0 + (bn_total + i - 1) * theta for i in range(x_max))
        with np.errstate(divide="ignore"):
            log_prior = (np.log(het[combos]).sum(axis=1)
                         + np.log(fac[np.arange(n_g), x]).sum(axis=1) - math.log(denom))
    # copy patterns per position
    zero = np.zeros((size, k_total), dtype=np.int64)

    def cols(idx: int) -> NDArray[np.int64]:
        return copies[:, :, idx] if idx >= 0 else zero

    patterns: list[NDArray[np.int64]] = []
    dropin_flags: list[NDArray[np.bool_]] = []
    index = np.zeros((size, data.n_positions), dtype=np.int64)
    offsets = np.zeros(data.n_positions + 1, dtype=np.int64)
    structural = np.zeros((size, data.n_positions), dtype=bool)
    weights = 3 ** np.arange(3 * k_total, dtype=np.int64).reshape(3, k_total)
    for i in range(data.n_positions):
        trip = np.stack([cols(int(data.own[i])), cols(int(data.up[i])),
                         cols(int(data.down[i]))], axis=1)  # [size, 3, K]
        key = (trip * weights).sum(axis=(1, 2))
        uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
        pat = trip[first].transpose(0, 2, 1).copy()  # [U, K, 3]
        patterns.append(pat)
        zero_alpha = pat.sum(axis=(1, 2)) == 0
        dropin_flags.append(zero_alpha)
        index[:, i] = offsets[i] + inv.reshape(-1)
        offsets[i + 1] = offsets[i] + len(uniq)
        structural[:, i] = zero_alpha[inv.reshape(-1)]
    # (1 - pC) for each replicate without a drop-in
    observed = data.heights[:, : data.n_positions] > 0
    for r in range(observed.shape[0]):
        needs = (structural & observed[r]).any(axis=1)
        if options.dropin > 0:
            log_prior = log_prior + np.where(needs, 0.0, math.log1p(-options.dropin))
        else:
            log_prior = np.where(needs, -np.inf, log_prior)
    pairs = tuple((i, j) for i in range(n_g) for j in range(i, n_g))
    return LocusHypothesis(data=data, patterns=tuple(patterns), offsets=offsets, index=index,
                           base=log_prior, dropin_pattern=tuple(dropin_flags), combos=combos,
                           genotypes=pairs, known=tuple((int(a), int(b)) for a, b in known),
                           options=options)


# --- evaluation ------------------------------------------------------------------------------
#
# Every distinct copy pattern of every position of every locus of a hypothesis is one "entry";
# an evaluation computes all entries' log terms with one vectorised pass (SciPy's gammaln and
# gammainc over the whole array), then one compiled call sums the genotype combinations of every
# locus. Per entry the replicates enter through sufficient statistics: over the replicates that
# show the peak, sum (alpha - 1) ln y - y/scale - alpha ln scale - ln Gamma(alpha) is
# (alpha - 1) S_lny - S_y/scale - n_seen (alpha ln scale + ln Gamma(alpha)); each replicate that
# does not show it adds ln P(Y < AT). Drop-in terms do not depend on the parameters and are
# summed once, when the hypothesis is stacked.


@dataclass(frozen=True, slots=True)
class StackedHypothesis:
    """All loci of one hypothesis prepared for one vectorised evaluation (see above)."""

    loci: tuple[LocusHypothesis, ...]
    options: ContinuousOptions
    own: NDArray[np.float64]  # [E, K] copies of the entry's own allele per contributor
    up: NDArray[np.float64]  # [E, K] copies of the backward-stutter source
    down: NDArray[np.float64]  # [E, K] copies of the forward-stutter source
    e_own: NDArray[np.float64]  # (bp - 125)/100 of the position
    e_up: NDArray[np.float64]
    e_down: NDArray[np.float64]
    is_q: NDArray[np.float64]  # 1.0 for Q (it loses no stutter), else 0.0
    zero: NDArray[np.bool_]  # alpha = 0: no copy, no stutter source
    n_seen: NDArray[np.float64]
    sum_log_y: NDArray[np.float64]
    sum_y: NDArray[np.float64]
    n_unseen: NDArray[np.float64]
    threshold: NDArray[np.float64]
    dropin_term: NDArray[np.float64]  # zero-alpha entries: sum of the drop-in log weights
    index: NDArray[np.int64]  # every locus's [combinations, positions] index, flattened
    base: NDArray[np.float64]
    index_start: NDArray[np.int64]  # per locus, where its index starts in ``index``
    combo_start: NDArray[np.int64]  # per locus, where its combinations start in ``base``
    n_positions: NDArray[np.int64]
    entry_start: NDArray[np.int64]  # per locus, its first entry (table offset)


def stack_hypothesis(loci: Sequence[LocusHypothesis]) -> StackedHypothesis:
    """Stack the loci of one hypothesis (all prepared with the same options) for
    :func:`stacked_loglik`."""
    if not loci:
        raise InputError("no locus to evaluate", remedy="give at least one prepared locus")
    options = loci[0].options
    own, up, down, e_own, e_up, e_down, qw, zero = [], [], [], [], [], [], [], []
    n_seen, s_lny, s_y, n_unseen, thr, drop = [], [], [], [], [], []
    index, base, index_start, combo_start, n_pos, entry_start = [], [], [0], [0], [], [0]
    for h in loci:
        d = h.data
        g_pos = np.concatenate([np.arange(d.n_obs), [d.n_positions - 1]])
        expo = (d.bp - BP_REFERENCE) / 100.0
        seen = d.heights[:, : d.n_positions] > 0
        with np.errstate(divide="ignore"):
            log_y = np.where(seen, np.log(np.where(seen, d.heights[:, : d.n_positions], 1.0)),
                             0.0)
        for i in range(d.n_positions):
            pat = h.patterns[i].astype(np.float64)  # [U, K, 3]
            u = len(pat)
            own.append(pat[:, :, 0])
            up.append(pat[:, :, 1])
            down.append(pat[:, :, 2])
            e_own.append(np.full(u, expo[i]))
            e_up.append(np.full(u, expo[g_pos[d.up[i]]] if d.up[i] >= 0 else 0.0))
            e_down.append(np.full(u, expo[g_pos[d.down[i]]] if d.down[i] >= 0 else 0.0))
            is_q = i == d.n_positions - 1
            qw.append(np.full(u, 1.0 if is_q else 0.0))
            zero.append(h.dropin_pattern[i])
            ns = float(seen[:, i].sum())
            n_seen.append(np.full(u, ns))
            s_lny.append(np.full(u, float(log_y[:, i].sum())))
            s_y.append(np.full(u, float(d.heights[seen[:, i], i].sum())))
            n_unseen.append(np.full(u, float(seen.shape[0]) - ns))
            thr.append(np.full(u, d.threshold))
            if ns == 0:
                dt = 0.0
            elif options.dropin > 0 and not is_q:
                ys = d.heights[seen[:, i], i]
                dt = float(np.sum(math.log(options.dropin * d.freq[i] * options.dropin_lambda)
                                  - options.dropin_lambda * (ys - d.threshold)))
            else:
                dt = -math.inf
            drop.append(np.full(u, dt))
        index.append((h.index + entry_start[-1]).ravel())
        base.append(h.base)
        index_start.append(index_start[-1] + h.index.size)
        combo_start.append(combo_start[-1] + len(h.base))
        n_pos.append(d.n_positions)
        entry_start.append(entry_start[-1] + int(h.offsets[-1]))
    cat = np.concatenate
    return StackedHypothesis(
        loci=tuple(loci), options=options, own=cat(own), up=cat(up), down=cat(down),
        e_own=cat(e_own), e_up=cat(e_up), e_down=cat(e_down), is_q=cat(qw),
        zero=cat(zero), n_seen=cat(n_seen), sum_log_y=cat(s_lny), sum_y=cat(s_y),
        n_unseen=cat(n_unseen), threshold=cat(thr), dropin_term=cat(drop), index=cat(index),
        base=cat(base), index_start=np.asarray(index_start, dtype=np.int64),
        combo_start=np.asarray(combo_start, dtype=np.int64),
        n_positions=np.asarray(n_pos, dtype=np.int64),
        entry_start=np.asarray(entry_start, dtype=np.int64))


def entry_shapes(s: StackedHypothesis, params: Parameters) -> NDArray[np.float64]:
    """The gamma shape of every entry (0 where the pattern has no copy and no source)."""
    options = s.options
    mx = np.asarray(params.mx, dtype=np.float64)
    xi_b = params.xi_b if options.backward_stutter else 0.0
    xi_f = params.xi_f if options.forward_stutter else 0.0
    if options.degradation:
        d_own = np.power(params.beta, s.e_own)
        d_up = np.power(params.beta, s.e_up)
        d_down = np.power(params.beta, s.e_down)
    else:
        d_own = d_up = d_down = np.ones_like(s.e_own)
    own_w = s.is_q + (1.0 - s.is_q) * (1.0 - xi_b - xi_f)
    dose = own_w * d_own * (s.own @ mx)
    if xi_b:
        dose = dose + xi_b * d_up * (s.up @ mx)
    if xi_f:
        dose = dose + xi_f * d_down * (s.down @ mx)
    out: NDArray[np.float64] = dose / (params.sigma * params.sigma)
    return out


def entry_terms(s: StackedHypothesis, params: Parameters) -> NDArray[np.float64]:
    """The log term of every entry, summed over replicates."""
    alpha = entry_shapes(s, params)
    scale = params.mu * params.sigma * params.sigma
    safe = np.where(s.zero, 1.0, alpha)
    dens = ((safe - 1.0) * s.sum_log_y - s.sum_y / scale
            - s.n_seen * (safe * math.log(scale) + special.gammaln(safe)))
    with np.errstate(divide="ignore", invalid="ignore"):
        cdf = np.log(special.gammainc(safe, s.threshold / scale))
        below = np.where(s.n_unseen > 0, s.n_unseen * cdf, 0.0)
    out: NDArray[np.float64] = np.where(s.zero, s.dropin_term, dens + below)
    return out


@numba.njit(cache=True)
def _logsumexp_loci(table: NDArray[np.float64], index: NDArray[np.int64],
                    base: NDArray[np.float64], index_start: NDArray[np.int64],
                    combo_start: NDArray[np.int64],
                    n_positions: NDArray[np.int64]) -> NDArray[np.float64]:  # pragma: no cover
    n_loci = len(n_positions)
    out = np.empty(n_loci)
    for loc in range(n_loci):
        p = n_positions[loc]
        c0 = combo_start[loc]
        n = combo_start[loc + 1] - c0
        i0 = index_start[loc]
        vals = np.empty(n)
        best = -np.inf
        for c in range(n):
            s = base[c0 + c]
            if s > -np.inf:
                row = i0 + c * p
                for i in range(p):
                    s += table[index[row + i]]
            vals[c] = s
            if s > best:
                best = s
        if best == -np.inf:
            out[loc] = -np.inf
            continue
        total = 0.0
        for c in range(n):
            total += math.exp(vals[c] - best)
        out[loc] = best + math.log(total)
    return out


@numba.njit(cache=True)
def _combination_logs(table: NDArray[np.float64], index: NDArray[np.int64],
                      base: NDArray[np.float64], i0: int, c0: int, n: int,
                      p: int) -> NDArray[np.float64]:  # pragma: no cover - compiled
    vals = np.empty(n)
    for c in range(n):
        s = base[c0 + c]
        if s > -np.inf:
            row = i0 + c * p
            for i in range(p):
                s += table[index[row + i]]
        vals[c] = s
    return vals


def stacked_loglik(s: StackedHypothesis, params: Parameters) -> NDArray[np.float64]:
    """Per locus (in ``s.loci``'s order), the natural log of its likelihood at ``params``."""
    table = entry_terms(s, params)
    out: NDArray[np.float64] = _logsumexp_loci(table, s.index, s.base, s.index_start,
                                               s.combo_start, s.n_positions)
    return out


def combination_logliks(s: StackedHypothesis, params: Parameters,
                        locus: int) -> NDArray[np.float64]:
    """ln of prior x likelihood of every genotype combination of locus number ``locus`` (the
    rows of ``s.loci[locus].combos``); their log-sum-exp is that locus's ln L."""
    table = entry_terms(s, params)
    n = int(s.combo_start[locus + 1] - s.combo_start[locus])
    out: NDArray[np.float64] = _combination_logs(
        table, s.index, s.base, int(s.index_start[locus]), int(s.combo_start[locus]), n,
        int(s.n_positions[locus]))
    return out


def hypothesis_loglik(h: LocusHypothesis, params: Parameters,
                      options: ContinuousOptions) -> float:
    """The natural log of the likelihood of one locus under one hypothesis at ``params``."""
    if options != h.options:
        h = LocusHypothesis(data=h.data, patterns=h.patterns, offsets=h.offsets, index=h.index,
                            base=h.base, dropin_pattern=h.dropin_pattern, combos=h.combos,
                            genotypes=h.genotypes, known=h.known, options=options)
    return float(stacked_loglik(stack_hypothesis([h]), params)[0])
