"""The semi-continuous (qualitative, "LRmix") likelihood ratio for mixed, low-template traces.

The model of Haned & Gill's LRmix (Haned et al. 2012, FSI:Genetics 6:762; Gill et al. 2007,
FSI 166:128; Curran et al. 2005) with the Balding-Nichols sampling formula for the unknowns
(Balding & Nichols 1994; Balding & Buckleton 2009, FSI:Genetics 4:1). Per locus::

    L(H) = sum_G  P(G | typed people, theta) * prod_r P(E_r | G)

over the joint genotypes ``G`` of the unknown contributors of ``H`` on the alleles of the
evidence plus ``Q``, which pools every allele not in the evidence (exact: an allele that is not
observed enters the likelihood only through its drop-out, and ``prod_a D_a`` over unobserved
alleles does not depend on which ones).

Drop-out: allele ``a`` carried ``c_ka`` times by contributor ``k`` (drop-out ``d_k``) drops out
completely with ``D_a = prod_k d_k ** c_ka`` (a homozygote drops out with ``d**2``).

Replicate ``r`` given ``G``: ``prod_{a observed, carried} (1 - D_a)`` x
``prod_{a not observed (Q included)} D_a`` x ``prod_{a observed, not carried} pC * p_a`` (drop-in,
frequencies not theta-corrected) x ``(1 - pC)`` when the replicate has no drop-in. Replicates
are independent given ``G``.

Unknowns: with ``n`` alleles already counted, ``m`` of them ``a``, the next allele is ``a`` with
``(m theta + (1 - theta) p_a) / (1 + (n - 1) theta)``; the count starts with every allele of
every typed person (the known contributors and the person of interest, who is a typed
non-contributor under Hd), a typed allele not in the evidence counting as ``Q`` (or, when it is
also absent from the table, in ``n`` only); the unknowns are drawn one after another.

Frequencies: ``p_Q`` is the sum of the table frequencies of the alleles not observed; an observed
allele absent from the table gets the floor (``min_frequency``; no renormalisation, ``Q`` not
reduced).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from locard.errors import (
    CombinatorialLimit,
    InputError,
    InvalidParameter,
    StatisticsError,
    UnknownLocus,
)
from locard.genetics.alleles import Allele, parse_allele
from locard.genetics.loci import canonical_locus, locus_info, locus_sort_key
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.provenance import make_provenance

__all__ = [
    "DEFAULT_MAX_COMBINATIONS",
    "MAX_REPLICATES",
    "MAX_UNKNOWNS",
    "Evidence",
    "Hypothesis",
    "MixtureLR",
    "MixtureLocusLR",
    "describe_contributors",
    "locus_likelihood",
    "locus_lr",
    "semicontinuous_lr",
]

MAX_UNKNOWNS = 4
MAX_REPLICATES = 6
#: Joint genotype assignments of the unknowns (after merging exchangeable unknowns) that one
#: locus may enumerate: 4 unknowns with one drop-out over 12 alleles + Q are 3.0 M (about 5 s
#: on one core of the benchmark machine); the limit is about 10 s.
DEFAULT_MAX_COMBINATIONS = 5_000_000
#: Measured throughput of the enumeration (benchmarks/bench_mixture.py; 4.7e7-8.4e7), in
#: assignments x alleles x (replicates + unknowns + 2) per second on one core; used only for
#: the time estimate of a refusal.
_THROUGHPUT = 5.0e7
_CHUNK = 1 << 15


# --- inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evidence:
    """The trace: per replicate, per canonical locus, the alleles observed (possibly none).

    A locus listed with no alleles in a replicate was amplified and showed nothing (every allele
    dropped out); a locus not listed in a replicate was not typed there. Build with
    :meth:`from_mapping`."""

    replicates: Mapping[str, Mapping[str, tuple[Allele, ...]]]

    @classmethod
    def from_mapping(cls, replicates: Mapping[str, Mapping[str, Sequence[Any]]]) -> Evidence:
        """From ``{replicate: {locus (any alias): [allele, ...]}}``; raises
        :class:`UnknownLocus` naming the replicate for a marker name Locard does not know."""
        if not replicates:
            raise InputError("evidence: no replicate", remedy="give at least one replicate")
        if len(replicates) > MAX_REPLICATES:
            raise InputError(f"evidence: {len(replicates)} replicates (at most "
                             f"{MAX_REPLICATES})", remedy="combine or drop replicates")
        out: dict[str, dict[str, tuple[Allele, ...]]] = {}
        for rep, loci in replicates.items():
            per: dict[str, tuple[Allele, ...]] = {}
            for raw, alleles in loci.items():
                try:
                    locus = canonical_locus(raw)
                except UnknownLocus as exc:
                    raise UnknownLocus(
                        raw, remedy=f"in evidence.{rep}: rename the locus or remove it; "
                        "see `locard loci` for the names and aliases Locard knows") from exc
                if locus in per:
                    raise InputError(f"evidence.{rep}: locus {locus} given twice",
                                     remedy="list each locus once per replicate")
                parsed = {parse_allele(a, locus=locus) for a in alleles}
                per[locus] = tuple(sorted(parsed))
            out[str(rep)] = per
        return cls(out)

    @property
    def loci(self) -> tuple[str, ...]:
        """Every locus typed in at least one replicate, in display order."""
        found = {locus for per in self.replicates.values() for locus in per}
        return tuple(sorted(found, key=locus_sort_key))


@dataclass(frozen=True, slots=True)
class Hypothesis:
    """Who contributed: named typed contributors (keys of the profiles) and ``unknowns``
    unknown people, with one drop-out probability per unknown."""

    contributors: tuple[str, ...]
    unknown_dropout: tuple[float, ...] = ()

    @property
    def unknowns(self) -> int:
        """The number of unknown contributors."""
        return len(self.unknown_dropout)

    def describe(self, *, poi: str | None = None) -> str:
        """The hypothesis in words: 'POI, K1 and 1 unknown person'."""
        return describe_contributors(self.contributors, self.unknowns, poi=poi)


def describe_contributors(contributors: Sequence[str], unknowns: int, *,
                          poi: str | None = None) -> str:
    """A hypothesis in words, for the CLI, the page and the PDF alike: 'the contributors are
    POI (person of interest), K1 and 1 unknown person unrelated to them'."""
    names = [f"{c} (person of interest)" if c == poi else c for c in contributors]
    if unknowns:
        names.append(f"{unknowns} unknown {'person' if unknowns == 1 else 'people'}"
                     " unrelated to them")
    if not names:
        return "no contributor"
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"the contributors are {text}"


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MixtureLocusLR:
    """One locus: the two likelihoods and their ratio."""

    locus: str
    likelihood_hp: float
    likelihood_hd: float
    lr: float
    alleles: tuple[str, ...]

    @property
    def log10_lr(self) -> float:
        """log10 of the locus LR (-inf for 0)."""
        return math.log10(self.lr) if self.lr > 0 else -math.inf

    def to_dict(self) -> dict[str, Any]:
        """The locus LR as a JSON-ready dict, with both likelihoods."""
        return {"lr": self.lr, "log10_lr": self.log10_lr, "likelihood_hp": self.likelihood_hp,
                "likelihood_hd": self.likelihood_hd, "evidence_alleles": list(self.alleles)}


@dataclass(frozen=True, slots=True)
class MixtureLR:
    """The LR over all loci: ``lr == prod(per_locus lr)``; ``loglik_hp``/``loglik_hd`` are the
    natural logs of the products of the per-locus likelihoods."""

    lr: float
    per_locus: Mapping[str, MixtureLocusLR]
    loglik_hp: float
    loglik_hd: float
    hp: Hypothesis
    hd: Hypothesis
    poi: str | None
    notes: Mapping[str, str] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def log10_lr(self) -> float:
        """log10 of the LR (minus infinity for an LR of 0)."""
        return math.log10(self.lr) if self.lr > 0 else -math.inf

    def __repr__(self) -> str:
        return f"MixtureLR(lr={self.lr:.6g}, loci={len(self.per_locus)})"

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form: LR, log10 LR, per-locus detail, log-likelihoods under Hp and Hd,
        parameters and provenance."""
        return {
            "model": "semi-continuous",
            "lr": self.lr,
            "log10_lr": self.log10_lr,
            "per_locus": {k: v.to_dict() for k, v in self.per_locus.items()},
            "loglik": {"hp": self.loglik_hp, "hd": self.loglik_hd},
            "hypotheses": {"hp": self.hp.describe(poi=self.poi),
                           "hd": self.hd.describe(poi=self.poi)},
            "notes": dict(self.notes),
            "provenance": dict(self.provenance),
        }


# --- the per-locus likelihood ----------------------------------------------------------------


@lru_cache(maxsize=64)
def _genotypes(n_alleles: int) -> tuple[NDArray[np.int8], NDArray[np.float64]]:
    """Allele counts ``[G, n_alleles]`` of every unordered genotype, and 2 for heterozygotes
    (1 for homozygotes): the number of ordered draws of each."""
    pairs = [(i, j) for i in range(n_alleles) for j in range(i, n_alleles)]
    counts = np.zeros((len(pairs), n_alleles), dtype=np.int8)
    for g, (i, j) in enumerate(pairs):
        counts[g, i] += 1
        counts[g, j] += 1
    het = np.array([2.0 if i != j else 1.0 for i, j in pairs])
    counts.setflags(write=False)
    het.setflags(write=False)
    return counts, het


@lru_cache(maxsize=64)
def _multisets(n_genotypes: int, k: int) -> tuple[NDArray[np.int32], NDArray[np.float64]]:
    """Every multiset of ``k`` genotypes out of ``n_genotypes`` (exchangeable unknowns: the same
    drop-out), as sorted index rows, with the number of ordered assignments each stands for."""
    rows = np.array(list(itertools.combinations_with_replacement(range(n_genotypes), k)),
                    dtype=np.int32).reshape(-1, k)
    weight = np.full(len(rows), float(math.factorial(k)))
    if k > 1:
        # k!/prod(mult!) computed from runs of equal entries in the sorted rows
        same = rows[:, 1:] == rows[:, :-1]
        run = np.zeros(len(rows), dtype=np.int64)
        denom = np.ones(len(rows))
        for j in range(k - 1):
            run = np.where(same[:, j], run + 1, 0)
            denom *= run + 1
        weight /= denom
    rows.setflags(write=False)
    weight.setflags(write=False)
    return rows, weight


def _combinations(n_genotypes: int, groups: Sequence[int]) -> int:
    return math.prod(math.comb(n_genotypes + k - 1, k) for k in groups)


def locus_likelihood(
    observed: Sequence[Sequence[int]],
    frequencies: Sequence[float],
    *,
    contributors: Sequence[tuple[Sequence[int], float]],
    bn_counts: Sequence[int],
    bn_total: int,
    unknown_dropout: Sequence[float],
    dropin: float,
    theta: float,
    max_combinations: int = DEFAULT_MAX_COMBINATIONS,
    locus: str = "",
    unknowns_q: bool = True,
) -> float:
    """The semi-continuous likelihood at one locus, on integer-coded alleles.

    ``frequencies[i]`` is ``p_i`` of the ``m`` evidence alleles ``0..m-1`` and, last, ``p_Q``;
    ``observed[r]`` lists the allele codes seen in replicate ``r``; ``contributors`` are the typed
    contributors as (two allele codes, ``Q = m`` for a non-evidence allele; drop-out);
    ``bn_counts[i]`` counts the typed people's alleles ``i`` (``bn_total`` every typed allele,
    including those that match nothing) for the Balding-Nichols sampling formula;
    ``unknown_dropout`` has one drop-out per unknown. ``unknowns_q=False`` restricts the
    unknowns' genotypes to the evidence alleles (SmartRank's "Q designation shutdown", which it
    applies under Hp by default; the genotype probabilities are not renormalised). See the
    module docstring for the formula.
    """
    p = np.asarray(frequencies, dtype=np.float64)
    n_alleles = len(p)
    m = n_alleles - 1
    k_total = len(unknown_dropout)
    # known contributors: copies and complete drop-out per allele
    known_c = np.zeros(n_alleles, dtype=np.int64)
    known_d = np.ones(n_alleles)
    for genotype, d in contributors:
        for a in genotype:
            known_c[a] += 1
            known_d[a] *= d
    obs_mask = np.zeros((len(observed), n_alleles), dtype=bool)
    for r, alleles in enumerate(observed):
        obs_mask[r, list(alleles)] = True
    dropin_w = dropin * p
    counts, het = _genotypes(n_alleles)
    if not unknowns_q:
        keep = counts[:, m] == 0
        counts, het = counts[keep], het[keep]
    n_genotypes = len(counts)
    # exchangeable unknowns: group by drop-out value
    groups: dict[float, int] = {}
    for d in unknown_dropout:
        groups[float(d)] = groups.get(float(d), 0) + 1
    group_items = sorted(groups.items())
    size = _combinations(n_genotypes, [k for _, k in group_items])
    if size > max_combinations:
        seconds = size * n_alleles * (len(observed) + k_total + 2) / _THROUGHPUT
        raise CombinatorialLimit(
            f"{locus + ': ' if locus else ''}{k_total} unknowns over {m} evidence alleles + Q "
            f"need {size:,} genotype combinations (about {seconds:,.0f} s)",
            remedy=f"use fewer unknowns in the hypotheses, or raise max_combinations "
                   f"(--max-combinations) above {size:,}")
    # Balding-Nichols: numerator factor per allele for x draws, F[a, x]
    bn_c = np.asarray(bn_counts, dtype=np.float64)
    x_max = 2 * k_total
    fac = np.ones((n_alleles, x_max + 1))
    for draws in range(1, x_max + 1):
        fac[:, draws] = fac[:, draws - 1] * ((bn_c + draws - 1) * theta + (1.0 - theta) * p)
    denom = math.prod(1.0 + (bn_total + i - 1) * theta for i in range(x_max))
    # rows of the joint enumeration: per group, multisets; across groups, the product
    per_group = [_multisets(n_genotypes, k) for _, k in group_items]
    d_tables = [np.power(d, counts.astype(np.float64)) for d, _ in group_items]
    sizes = [len(rows) for rows, _ in per_group]
    total = 0.0
    n_rows = math.prod(sizes) if sizes else 1
    for start in range(0, n_rows, _CHUNK):
        flat = np.arange(start, min(start + _CHUNK, n_rows), dtype=np.int64)
        x = np.zeros((len(flat), n_alleles), dtype=np.int64)
        big_d = np.broadcast_to(known_d, (len(flat), n_alleles)).copy()
        prior = np.ones(len(flat))
        rest = flat
        for (rows, weight), dt, n_g in zip(per_group, d_tables, sizes, strict=True):
            idx = rest % n_g
            rest = rest // n_g
            prior *= weight[idx]
            for j in range(rows.shape[1]):
                g = rows[idx, j]
                x += counts[g]
                big_d *= dt[g]
                prior *= het[g]
        if k_total:
            prior *= np.prod(fac[np.arange(n_alleles), x], axis=1) / denom
        present = (x + known_c) > 0
        lik = prior
        for r in range(len(observed)):
            o = obs_mask[r]
            f = np.where(o, np.where(present, 1.0 - big_d, dropin_w), big_d)
            lik = lik * np.prod(f, axis=1)
            has_dropin = np.any(o & ~present, axis=1)
            lik = lik * np.where(has_dropin, 1.0, 1.0 - dropin)
        total += float(lik.sum())
    return total


# --- the LR over loci ------------------------------------------------------------------------


def _check_probability(name: str, value: float, *, upper_open: bool = True) -> float:
    v = float(value)
    ok = 0.0 <= v < 1.0 if upper_open else 0.0 <= v <= 1.0
    if not ok or math.isnan(v):
        raise InvalidParameter(name, value, expected="0 <= value < 1" if upper_open
                               else "0 <= value <= 1")
    return v


def semicontinuous_lr(
    evidence: Evidence,
    profiles: Mapping[str, Profile],
    hp: Hypothesis,
    hd: Hypothesis,
    table: FrequencyTable,
    *,
    poi: str | None,
    dropout: Mapping[str, float],
    dropin: float,
    theta: float,
    min_frequency: float = 0.0,
    max_combinations: int = DEFAULT_MAX_COMBINATIONS,
) -> MixtureLR:
    """Likelihood ratio ``L(Hp) / L(Hd)`` of the semi-continuous model, per locus and in total.

    ``profiles`` holds every typed person named in the hypotheses (and the person of interest
    ``poi``, a typed non-contributor where a hypothesis leaves them out); ``dropout`` gives each
    typed contributor's drop-out probability; the unknowns' are in the hypotheses. ``dropin`` is
    the drop-in probability pC, ``theta`` the Balding-Nichols coancestry coefficient, and
    ``min_frequency`` the frequency of an observed allele absent from ``table`` (0: none is
    given, such an allele is refused). Loci: every autosomal STR typed in the evidence; a
    typed contributor who lacks one leaves it out, as does Amelogenin, each with a note.
    Formulas and sources: see the module docstring.
    """
    theta = _check_probability("theta", theta)
    dropin = _check_probability("dropin", dropin)
    if not (0.0 <= min_frequency < 1.0) or math.isnan(min_frequency):
        raise InvalidParameter("min_frequency", min_frequency, expected="0 <= value < 1")
    for hname, h in (("hp", hp), ("hd", hd)):
        if h.unknowns > MAX_UNKNOWNS:
            widest = max((len({a for per in evidence.replicates.values()
                               for a in per.get(locus, ())}) for locus in evidence.loci),
                         default=0)
            size = _combinations((widest + 1) * (widest + 2) // 2, [h.unknowns])
            seconds = size * (widest + 1) * (len(evidence.replicates) + h.unknowns + 2)
            raise CombinatorialLimit(
                f"hypotheses.{hname}.unknowns = {h.unknowns}: at most {MAX_UNKNOWNS} unknowns "
                f"(the widest locus, {widest} alleles + Q, would need {size:,} genotype "
                f"combinations, about {seconds / _THROUGHPUT:,.1f} s)",
                remedy=f"use {MAX_UNKNOWNS} or fewer unknowns in hypotheses.{hname}.unknowns")
        for i, d in enumerate(h.unknown_dropout):
            _check_probability(f"dropout.unknowns_{hname}[{i}]", d)
        for name in h.contributors:
            if name not in profiles:
                raise InputError(f"hypotheses.{hname}.contributors: {name!r} is in no profile",
                                 remedy="add it under profiles, or remove it from the "
                                        "hypothesis; profiles: " + ", ".join(sorted(profiles)))
            if name not in dropout:
                raise InputError(f"dropout: no drop-out probability for {name!r}",
                                 remedy=f"add dropout.{name}")
            _check_probability(f"dropout.{name}", dropout[name])
    if poi is not None and poi not in profiles:
        raise InputError(f"poi: {poi!r} is in no profile",
                         remedy="add it under profiles; profiles: " + ", ".join(sorted(profiles)))
    typed = list(dict.fromkeys([*hp.contributors, *hd.contributors,
                                *([poi] if poi is not None else [])]))
    per_locus: dict[str, MixtureLocusLR] = {}
    notes: dict[str, str] = {}
    for locus in evidence.loci:
        if not locus_info(locus).is_autosomal_str:
            notes[locus] = ("left out: Amelogenin is a sex marker" if locus == "AMEL"
                            else "left out: not an autosomal STR")
            continue
        missing = [name for name in typed if locus not in profiles[name]
                   or not profiles[name].alleles(locus)]
        if missing:
            notes[locus] = "left out: not typed in " + ", ".join(missing)
            continue
        if locus not in table.frequencies:
            raise InputError(f"{table.name} has no frequencies for {locus}",
                             remedy=f"use a table with {locus}, or remove {locus} from the "
                                    "evidence")
        per_locus[locus] = locus_lr(
            locus, evidence, profiles, typed, hp, hd, table, dropout=dropout, dropin=dropin,
            theta=theta, min_frequency=min_frequency, max_combinations=max_combinations)
    lr = math.prod(v.lr for v in per_locus.values())
    loglik_hp = sum(math.log(v.likelihood_hp) if v.likelihood_hp > 0 else -math.inf
                    for v in per_locus.values())
    loglik_hd = sum(math.log(v.likelihood_hd) for v in per_locus.values())
    provenance = make_provenance(
        "semi-continuous mixture LR",
        parameters={
            "model": "semi-continuous (LRmix; Haned & Gill)",
            "hp": {"contributors": list(hp.contributors),
                   "unknowns_dropout": list(hp.unknown_dropout)},
            "hd": {"contributors": list(hd.contributors),
                   "unknowns_dropout": list(hd.unknown_dropout)},
            "poi": poi,
            "dropout": {k: float(v) for k, v in dropout.items()},
            "dropin": dropin, "theta": theta, "min_frequency": min_frequency,
            "replicates": list(evidence.replicates),
        },
        tables=table)
    return MixtureLR(lr=lr, per_locus=per_locus, loglik_hp=loglik_hp, loglik_hd=loglik_hd,
                     hp=hp, hd=hd, poi=poi, notes=notes, provenance=provenance)


def locus_lr(
    locus: str,
    evidence: Evidence,
    profiles: Mapping[str, Profile],
    typed: Sequence[str],
    hp: Hypothesis,
    hd: Hypothesis,
    table: FrequencyTable,
    *,
    dropout: Mapping[str, float],
    dropin: float,
    theta: float,
    min_frequency: float,
    max_combinations: int,
    q_shutdown_hp: bool = False,
) -> MixtureLocusLR:
    """The LR at one locus: :func:`locus_likelihood` under ``hp`` and ``hd`` with the
    evidence alleles coded, Q pooling the table's unobserved alleles, and the Balding-Nichols
    counts started from every ``typed`` person's alleles (see the module docstring).
    :func:`semicontinuous_lr` is the product of these over the evidence's loci.
    ``q_shutdown_hp``: Hp's unknowns carry evidence alleles only (SmartRank's convention; see
    :func:`locard.search.mixture_rank.mixture_lr_tables`)."""
    reps = [per[locus] for per in evidence.replicates.values() if locus in per]
    alleles = sorted({a for rep in reps for a in rep})
    code = {a: i for i, a in enumerate(alleles)}
    q = len(alleles)
    listed = table.frequencies[locus]
    freqs: list[float] = []
    for a in alleles:
        f = listed.get(a)
        if f is None:
            if min_frequency <= 0:
                raise InputError(
                    f"{locus}: observed allele {a} is absent from {table.name}",
                    remedy="set frequencies.min_frequency (--min-frequency) to give it a floor")
            f = min_frequency
        freqs.append(f)
    freqs.append(sum(f for a, f in listed.items() if a not in code))
    observed = [[code[a] for a in rep] for rep in reps]
    genotypes: dict[str, list[int]] = {}
    bn_counts = [0] * (q + 1)
    bn_total = 0
    for name in typed:
        gt = profiles[name].alleles(locus)
        if len(gt) > 2:
            raise InputError(f"profiles.{name}: {locus} has {len(gt)} alleles",
                             remedy="a typed person has one or two alleles per locus")
        pair = list(gt) if len(gt) == 2 else [gt[0], gt[0]]
        genotypes[name] = [code.get(a, q) for a in pair]
        for a in pair:
            bn_total += 1
            if a in code:
                bn_counts[code[a]] += 1
            elif a in listed:
                bn_counts[q] += 1

    def lik(h: Hypothesis, *, unknowns_q: bool = True) -> float:
        return locus_likelihood(
            observed, freqs,
            contributors=[(genotypes[c], float(dropout[c])) for c in h.contributors],
            bn_counts=bn_counts, bn_total=bn_total, unknown_dropout=h.unknown_dropout,
            dropin=dropin, theta=theta, max_combinations=max_combinations, locus=locus,
            unknowns_q=unknowns_q)

    l_hp = lik(hp, unknowns_q=not q_shutdown_hp)
    l_hd = lik(hd)
    if l_hd <= 0:
        if l_hp <= 0:
            raise StatisticsError(
                f"{locus}: the evidence has probability 0 under both hypotheses",
                remedy="allow drop-in (dropin.probability > 0) or add unknown contributors")
        raise StatisticsError(
            f"{locus}: the evidence has probability 0 under Hd",
            remedy="allow drop-in (dropin.probability > 0) or add unknowns under Hd")
    return MixtureLocusLR(locus=locus, likelihood_hp=l_hp, likelihood_hd=l_hd, lr=l_hp / l_hd,
                          alleles=tuple(str(a) for a in alleles))
