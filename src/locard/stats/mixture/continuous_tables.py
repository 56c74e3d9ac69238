"""Per-locus genotype LR tables of the continuous (gamma) model at fixed parameters: the first,
fast stage of a quantitative (ProbRank-class) database search.

ProbRank (Benschop, Nijveld, Duijs & Sijen / NFI 2023, "ProbRank": ranking a DNA database by the
quantitative LR of a mixed trace) fits Hd once and scores every database profile at the Hd
parameters; the model is Bleka, Storvik & Gill (2016), FSI:Genetics 21:35 (EuroForMix), as
:mod:`locard.stats.mixture.continuous` implements it.

**The tables.** Hd has typed contributors ``T`` (their alleles are the Balding-Nichols counts)
and ``n >= 1`` unknowns; Hp_k puts the candidate in the place of unknown ``k`` (its mixture
proportion ``Mx_k``), the other contributors as under Hd. With the parameters ``phi`` fixed at
the Hd maximum, a candidate of genotype ``g`` at a locus (its alleles mapped to the locus's
genotype alleles: an observed allele, or ``Q`` for any allele no replicate shows) has::

    LR_k(g) = L(Hp_k: g | phi) / L(Hd | phi)

Writing ``w(G) = P(E | G, phi)`` for the evidence term of an ordered combination ``G`` of the
unknowns and using the exchangeability of Balding-Nichols sampling,
``P(G | T) = P(g | T) P(G_-k | T + g)`` for ``G_k = g``, so::

    L(Hp_k: g) = sum_{G: G_k = g} P(G | T) w(G) / P(g | T)
    L(Hd)      = sum_G P(G | T + g) w(G)          (the candidate a typed non-contributor)
    LR_k(g)    = L(Hd | T) post_k(g) / (P(g | T) L(Hd | T + g))

with ``post_k(g) = P(G_k = g | E, T, phi)`` the deconvolution's marginal posterior
(:mod:`.deconvolution`) and ``P(g | T) = h (x_a theta + (1 - theta) p_a)
(x_b' theta + (1 - theta) p_b) / ((1 + (N - 1) theta)(1 + N theta))`` (``h`` = 2 for a
heterozygote, ``x`` the counts of the alleles among the ``N`` typed alleles, ``x_b'`` = ``x_b``
+ 1 for a homozygote). With ``theta = 0`` the prior does not depend on ``T + g`` and
``LR_k(g) = post_k(g) / P(g)``. The candidate is counted under Hd as under Hp, as
:func:`locard.stats.mixture.casefile.run_continuous_case` counts its person of interest, so that
the refit of a candidate (its full maximum-likelihood LR) and the table value differ only by the
parameters.

**A candidate's LR at fixed parameters** is ``max_k prod_l LR_{k,l}(g_l)``: the slot ``k`` is the
same at every locus (one person is one contributor), the best slot taken; a locus the candidate
did not type contributes 1 (as SmartRank and ProbRank do).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from locard.errors import InputError
from locard.genetics.alleles import Allele
from locard.genetics.profiles import Profile
from locard.stats.mixture.continuous import (
    LocusData,
    LocusHypothesis,
    Parameters,
    combination_logliks,
    prepare_hypothesis,
    stack_hypothesis,
)

__all__ = ["ContinuousLRTables", "ContinuousLocusTable", "continuous_lr_tables",
           "typed_genotype_probability"]


def typed_genotype_probability(a: int, b: int, freq: NDArray[np.float64],
                               counts: Sequence[int], *, theta: float) -> float:
    """``P(g | T)``: the Balding-Nichols probability of genotype ``a/b`` (genotype-allele codes)
    given ``counts`` of each allele among the ``sum(counts)`` typed alleles (module docstring)."""
    n = sum(counts)
    h = 1.0 if a == b else 2.0
    first = (counts[a] * theta + (1 - theta) * freq[a]) / (1 + (n - 1) * theta)
    second = ((counts[b] + (1 if a == b else 0)) * theta + (1 - theta) * freq[b]) / (1 + n * theta)
    return float(h * first * second)


@dataclass(frozen=True, slots=True)
class ContinuousLocusTable:
    """One locus: ``lr[k, i, j]`` the LR of a candidate of genotype ``i/j`` (genotype-allele
    codes of ``data``: the observed alleles, then ``Q``) in unknown slot ``k``."""

    data: LocusData
    lr: NDArray[np.float64]

    def klass(self, allele: Allele) -> int:
        """The genotype-allele code of a candidate's allele (``Q`` if no replicate shows it)."""
        return self.data.code(allele)

    @property
    def locus(self) -> str:
        """The table's locus."""
        return self.data.locus


@dataclass(frozen=True, slots=True, eq=False)
class ContinuousLRTables:
    """Per-locus, per-slot genotype LR tables at the Hd maximum ``parameters``."""

    loci: tuple[str, ...]
    tables: Mapping[str, ContinuousLocusTable] = field(repr=False)
    parameters: Parameters
    n_known: int
    slots: int

    def genotype_lr(self, locus: str, a: Allele, b: Allele, *, slot: int) -> float:
        """The LR at ``locus`` of a candidate with genotype ``a/b`` in unknown ``slot``."""
        t = self.tables[locus]
        return float(t.lr[slot, t.klass(a), t.klass(b)])

    def candidate_lr(self, profile: Profile) -> tuple[float, int, dict[str, float]]:
        """``(LR, slot, per-locus LRs of that slot)``: the best slot's product over the loci the
        candidate typed (module docstring)."""
        best: tuple[float, int, dict[str, float]] | None = None
        for k in range(self.slots):
            per: dict[str, float] = {}
            for locus in self.loci:
                gt = profile.alleles(locus) if locus in profile else ()
                if not gt:
                    continue
                a, b = (gt[0], gt[1]) if len(gt) == 2 else (gt[0], gt[0])
                per[locus] = self.genotype_lr(locus, a, b, slot=k)
            total = math.prod(per.values())
            if best is None or total > best[0]:
                best = (total, k, per)
        assert best is not None
        return best

    def to_dict(self) -> dict[str, Any]:
        """The tables as a JSON-ready dict: per locus the alleles (``Q``: any other) and the LR
        table.
        """
        return {"loci": list(self.loci), "parameters": self.parameters.to_dict(),
                "slots": self.slots,
                "tables": {loc: {"alleles": [*(str(a) for a in t.data.alleles[: t.data.n_obs]),
                                             "Q"],
                                 "lr": t.lr.tolist()} for loc, t in self.tables.items()}}


def _logsumexp(v: NDArray[np.float64]) -> float:
    m = float(np.max(v)) if v.size else -math.inf
    if not math.isfinite(m):
        return -math.inf
    return m + math.log(float(np.sum(np.exp(v - m))))


def continuous_lr_tables(loci: Sequence[LocusHypothesis], parameters: Parameters, *,
                         max_combinations: int | None = None) -> ContinuousLRTables:
    """The tables of the module docstring for Hd prepared as ``loci`` (typed contributors
    ``loci[i].known``, who are also the only typed people: the Balding-Nichols counts) at
    ``parameters`` (the Hd maximum). ``max_combinations`` bounds the re-preparation of Hd with
    the candidate counted (theta > 0 only)."""
    if not loci:
        raise InputError("no locus to tabulate", remedy="give at least one prepared locus")
    n_known = loci[0].n_known
    slots = int(loci[0].combos.shape[1])
    if slots < 1:
        raise InputError("Hd has no unknown contributor: there is no place for a candidate",
                         remedy="give hypotheses.hd.unknowns >= 1")
    options = loci[0].options
    theta = options.theta
    stacked = stack_hypothesis(loci)
    tables: dict[str, ContinuousLocusTable] = {}
    for li, h in enumerate(loci):
        d = h.data
        n_g = d.n_obs + 1
        logs = combination_logliks(stacked, parameters, li)
        total = _logsumexp(logs)
        counts = [0] * n_g
        for a, b in h.known:
            counts[a] += 1
            counts[b] += 1
        lr = np.zeros((slots, n_g, n_g))
        if not math.isfinite(total):
            raise InputError(f"{d.locus}: the evidence has probability 0 under Hd at the fitted "
                             "parameters", remedy="allow drop-in (dropin.probability > 0)")
        weights = np.exp(logs - total)
        marg = [np.bincount(h.combos[:, k], weights=weights, minlength=len(h.genotypes))
                for k in range(slots)]
        for gi, (a, b) in enumerate(h.genotypes):
            prior = typed_genotype_probability(a, b, d.freq, counts, theta=theta)
            hd_g = total
            if theta > 0:
                bn = list(counts)
                bn[a] += 1
                bn[b] += 1
                again = prepare_hypothesis(
                    d, h.known, slots, bn_counts=bn, bn_total=sum(bn), options=options,
                    **({} if max_combinations is None
                       else {"max_combinations": max_combinations}))
                with np.errstate(invalid="ignore"):
                    ratio = np.where(np.isfinite(h.base), again.base - h.base, -np.inf)
                hd_g = _logsumexp(logs + ratio)
            for k in range(slots):
                post = float(marg[k][gi])
                value = math.exp(total - hd_g) * post / prior if post > 0 else 0.0
                lr[k, a, b] = lr[k, b, a] = value
        tables[d.locus] = ContinuousLocusTable(d, lr)
    return ContinuousLRTables(tuple(tables), tables, parameters, n_known, slots)
