"""Database-wide ranking by the semi-continuous (LRmix) likelihood ratio of a mixed trace.

SmartRank-class ranking (Benschop et al. 2017, FSI:Genetics 29:e10): every single-source
profile of an encoded index is the candidate ``CANDIDATE`` of a mixture case file (a
contributor under Hp; under Hd a typed non-contributor, so that the theta counting includes
the candidate's alleles), the known contributors conditioned as the case states.

**Tables.** The per-locus LR depends only on the candidate's genotype at that locus, and, at a
locus with evidence alleles ``e_1..e_m``, only on which of ``m + 2`` *classes* each candidate
allele falls in: one of the evidence alleles, ``Q`` (an allele the table lists but the evidence
does not show), or an allele absent from both (also ``Q`` as a contributor, but counted in the
Balding-Nichols ``n`` only). So :func:`mixture_lr_tables` computes one LR per unordered pair of
classes with :func:`locard.stats.mixture.semicontinuous.locus_lr` (the one function of the LR;
with theta > 0 each entry is its own pair of likelihoods), and :func:`mixture_lookup` maps
every allele code of an index's dictionary to its class: ``T_l[code_a, code_b]``, code 0
(untyped) -> LR 1. A profile's score is ``log10 LR = sum_l log10 T_l[a_l, b_l]``: one look-up
per locus in the compiled top-N scan shared with the kinship ranking
(:func:`locard.search.kinship_rank.top_rows_by_table_sum`).

**Untyped loci.** A locus the candidate did not type contributes LR 1 (it is left out of the
candidate's LR), as SmartRank does (``SmartRankModel``: "only evaluate loci that are present in
the crime stain and the current candidate"). Candidates typed at fewer loci therefore rank lower
on the same evidence; ``per_locus`` shows which loci entered.

**Hd once** (``hd_conditioned=False``): SmartRank's default optimisation computes Pr(E | Hd) once,
without the candidate in the theta counting. With theta = 0 both give the same LR; with
theta > 0 Locard's default (the candidate a typed non-contributor under Hd, as LRmix) differs
slightly. SmartRank's validation values are reproduced with ``hd_conditioned=False`` and
``q_shutdown_hp=True``.

**Q shutdown under Hp** (``q_shutdown_hp=True``): SmartRank (``SmartRankModel.
composePossibleAlleleCombinations``, ``SmartRankRestrictions.isQDesignationShutdownForHp``, on by
default) draws the unknowns of Hp from the evidence alleles only, without ``Q``; Hd keeps ``Q``.
The Balding-Nichols counting, drop-out, drop-in and rare-allele floor are as in Locard. Without
``Q`` an unknown under Hp cannot carry a dropped-out allele, so Pr(E | Hp) is smaller and the LR
lower: on SmartRank's validation searches Locard's default (LRmix, ``Q`` under both hypotheses,
validated to 1e-9 against LRmix) gives about 2.07x SmartRank's LR (log10 +0.32), with the same
ranking; with ``q_shutdown_hp=True`` the LRs equal SmartRank's to 1.6e-5 relative (its
printed precision). The default stays LRmix's: the unknowns' genotype space is then exact.

**Adventitious hits** (:func:`adventitious_hits`): under Hd a random person's genotype at a
locus has Hardy-Weinberg probabilities from the table, so the distribution of a
non-contributor's log10 LR is the convolution of the per-locus distributions of the table
entries. It is computed on a grid of ``resolution`` log10 units with every locus's value
rounded *up* to the grid (an upper bound on ``P(LR >= t | Hd)``, exact up to
``loci x resolution`` in log10 LR), then capped by Turing's bound ``P(LR >= t | Hd) <= 1 / t``.
The expected number of non-contributors at or above ``t`` in a database of ``N`` fully typed
profiles is ``N x P``; the suggested threshold is the smallest ``t`` that keeps it below one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from locard.errors import InputError, SearchError
from locard.genetics.alleles import Allele, parse_allele
from locard.genetics.loci import canonical_locus, locus_info
from locard.genetics.profiles import Profile
from locard.search.kinship_rank import check_encoded, top_rows_by_table_sum
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture.casefile import MixtureCase
from locard.stats.mixture.semicontinuous import (
    DEFAULT_MAX_COMBINATIONS,
    Hypothesis,
    locus_lr,
)
from locard.stats.provenance import make_provenance

__all__ = [
    "CANDIDATE",
    "AdventitiousHits",
    "MixtureHit",
    "MixtureLRTables",
    "MixtureLookup",
    "adventitious_hits",
    "class_lookup",
    "mixture_lookup",
    "mixture_lr_tables",
    "rank_by_mixture_lr",
]

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: The name of the database candidate in a ranking case file's hypotheses.
CANDIDATE = "CANDIDATE"


@dataclass(frozen=True, slots=True)
class _LocusTable:
    """One locus: the evidence alleles, the table's listed alleles, and ``lr[c1, c2]`` over the
    ``m + 2`` classes (evidence alleles ``0..m-1``, ``Q`` listed = ``m``, unlisted = ``m + 1``);
    ``prob[c]`` the class's population frequency (unlisted: 0)."""

    evidence: tuple[Allele, ...]
    listed: frozenset[Allele]
    lr: FloatArray
    prob: FloatArray

    def klass(self, allele: Allele) -> int:
        m = len(self.evidence)
        if allele in self.evidence:
            return self.evidence.index(allele)
        return m if allele in self.listed else m + 1


@dataclass(frozen=True, slots=True, eq=False)
class MixtureLRTables:
    """Per-locus LR tables of a case for every candidate genotype class (see the module
    docstring), the loci left out with a reason, and the provenance of the numbers."""

    loci: tuple[str, ...]
    tables: Mapping[str, _LocusTable] = field(repr=False)
    notes: Mapping[str, str]
    hp: Hypothesis
    hd: Hypothesis
    hd_conditioned: bool
    provenance: Mapping[str, Any] = field(repr=False)

    def genotype_lr(self, locus: str, a: Allele, b: Allele) -> float:
        """The LR at ``locus`` of a candidate with genotype ``a/b`` (a table look-up)."""
        t = self.tables[locus]
        return float(t.lr[t.klass(a), t.klass(b)])

    def hypotheses_in_words(self) -> dict[str, str]:
        """Hp and Hd in words, the database profile named as the candidate."""
        return {"hp": self.hp.describe(poi=CANDIDATE), "hd": self.hd.describe(poi=CANDIDATE)}


def _absent_allele(locus: str, taken: set[Allele]) -> Allele:
    """An allele designation neither the evidence nor the table holds (a class representative)."""
    for whole in range(99, 0, -1):
        a = parse_allele(f"{whole}.9", locus=locus)
        if a not in taken:
            return a
    raise SearchError(f"{locus}: no free allele designation")  # pragma: no cover


def _check_case(case: MixtureCase, candidate: str) -> None:
    if candidate not in case.hp.contributors:
        raise InputError(f"hypotheses.hp.contributors: the candidate {candidate!r} is not a "
                         "contributor under Hp",
                         remedy=f"add {candidate!r} to hypotheses.hp.contributors")
    if candidate in case.hd.contributors:
        raise InputError(f"hypotheses.hd.contributors: the candidate {candidate!r} is a "
                         "contributor under Hd",
                         remedy=f"remove {candidate!r} from hypotheses.hd.contributors")
    if candidate not in case.dropout:
        raise InputError(f"dropout: no drop-out probability for the candidate {candidate!r}",
                         remedy=f"add dropout.{candidate}")


def mixture_lr_tables(
    case: MixtureCase,
    table: FrequencyTable,
    *,
    candidate: str = CANDIDATE,
    hd_conditioned: bool = True,
    q_shutdown_hp: bool = False,
    max_combinations: int = DEFAULT_MAX_COMBINATIONS,
) -> MixtureLRTables:
    """The LR of every candidate genotype class at every locus of the evidence that enters
    the LR (autosomal STRs typed in every known contributor); see the module docstring.

    ``hd_conditioned``: the candidate is a typed non-contributor under Hd (theta counting
    includes its alleles; default, as LRmix), or absent from Hd (SmartRank's default, which
    computes Pr(E | Hd) once). ``q_shutdown_hp``: Hp's unknowns carry evidence alleles only
    (SmartRank's default "Q designation shutdown"; Locard's default, False, is LRmix's)."""
    _check_case(case, candidate)
    spec = case.spec
    min_frequency = spec.frequencies.min_frequency
    theta = spec.theta
    dropin = spec.dropin.probability
    others = [n for n in dict.fromkeys([*case.hp.contributors, *case.hd.contributors])
              if n != candidate]
    typed_hp = [*others, candidate]
    typed_hd = typed_hp if hd_conditioned else others
    tables: dict[str, _LocusTable] = {}
    notes: dict[str, str] = {}
    for locus in case.evidence.loci:
        if not locus_info(locus).is_autosomal_str:
            notes[locus] = ("left out: Amelogenin is a sex marker" if locus == "AMEL"
                            else "left out: not an autosomal STR")
            continue
        missing = [n for n in others if not case.profiles[n].alleles(locus)]
        if missing:
            notes[locus] = "left out: not typed in " + ", ".join(missing)
            continue
        if locus not in table.frequencies:
            raise InputError(f"{table.name} has no frequencies for {locus}",
                             remedy=f"use a table with {locus}, or remove {locus} from the "
                                    "evidence")
        listed = table.frequencies[locus]
        evidence = tuple(sorted({a for per in case.evidence.replicates.values()
                                 for a in per.get(locus, ())}))
        m = len(evidence)
        q_listed = next((a for a in sorted(listed) if a not in evidence), None)
        q_absent = _absent_allele(locus, set(evidence) | set(listed))
        reps: list[Allele | None] = [*evidence, q_listed, q_absent]
        lr = np.full((m + 2, m + 2), np.nan)
        hd_once: float | None = None
        for i in range(m + 2):
            for j in range(i, m + 2):
                a, b = reps[i], reps[j]
                if a is None or b is None:
                    continue  # no listed allele outside the evidence: that class is empty
                profiles = dict(case.profiles)
                profiles[candidate] = Profile.from_mapping({locus: [str(a), str(b)]},
                                                           specimen_id=candidate)
                hp_part = locus_lr(locus, case.evidence, profiles, typed_hp, case.hp, case.hd,
                                   table, dropout=case.dropout, dropin=dropin, theta=theta,
                                   min_frequency=min_frequency,
                                   max_combinations=max_combinations,
                                   q_shutdown_hp=q_shutdown_hp)
                if hd_conditioned:
                    value = hp_part.lr
                else:
                    if hd_once is None:
                        hd_once = locus_lr(locus, case.evidence, profiles, typed_hd, case.hd,
                                           case.hd, table, dropout=case.dropout, dropin=dropin,
                                           theta=theta, min_frequency=min_frequency,
                                           max_combinations=max_combinations).likelihood_hd
                    # Hp's likelihood with the candidate counted; Hd's without (SmartRank)
                    value = hp_part.likelihood_hp / hd_once
                lr[i, j] = lr[j, i] = value
        prob = np.zeros(m + 2)
        for i, a in enumerate(evidence):
            prob[i] = listed.get(a, min_frequency)
        prob[m] = sum(f for a, f in listed.items() if a not in evidence)
        total = prob.sum()
        if total > 0:
            prob /= total
        tables[locus] = _LocusTable(evidence, frozenset(listed), lr, prob)
    provenance = make_provenance(
        "semi-continuous mixture LR ranking tables",
        parameters={
            "model": "semi-continuous (LRmix; Haned & Gill)", "candidate": candidate,
            "hp": {"contributors": list(case.hp.contributors),
                   "unknowns_dropout": list(case.hp.unknown_dropout)},
            "hd": {"contributors": list(case.hd.contributors),
                   "unknowns_dropout": list(case.hd.unknown_dropout)},
            "hd_conditioned": hd_conditioned, "q_shutdown_hp": q_shutdown_hp,
            "dropout": {k: float(v) for k, v in case.dropout.items()},
            "dropin": dropin, "theta": theta, "min_frequency": min_frequency,
            "replicates": list(case.evidence.replicates), "loci": list(tables),
        },
        tables=table)
    return MixtureLRTables(tuple(tables), tables, notes, case.hp, case.hd, hd_conditioned,
                           provenance)


@dataclass(frozen=True, slots=True, eq=False)
class MixtureLookup:
    """The tables re-indexed by an index's codes: ``lr[l, a, b]`` / ``log10_lr[l, a, b]`` for
    the index's locus ``loci[l]`` (ones / zeros where the locus does not enter, and for code 0)."""

    loci: tuple[str, ...]
    covered: tuple[bool, ...]
    lr: FloatArray = field(repr=False)
    log10_lr: FloatArray = field(repr=False)


def mixture_lookup(tables: MixtureLRTables, loci: Sequence[str],
                   allele_maps: Sequence[Sequence[Allele]]) -> MixtureLookup:
    """Re-index ``tables`` by the codes of an index: ``loci[l]`` has the dictionary
    ``allele_maps[l]`` (code ``k`` names ``allele_maps[l][k - 1]``); each code is mapped to
    its class (an evidence allele, listed ``Q`` or unlisted ``Q``)."""
    return class_lookup(loci, allele_maps,
                        {k: (t.klass, t.lr) for k, t in tables.tables.items()})


def class_lookup(loci: Sequence[str], allele_maps: Sequence[Sequence[Allele]],
                 class_tables: Mapping[str, tuple[Callable[[Allele], int], FloatArray]],
                 ) -> MixtureLookup:
    """Re-index per-locus class tables by the codes of an index (shared by the semi-continuous
    and the continuous rankings): ``class_tables[locus] = (klass, lr)`` maps an allele to its
    class and gives ``lr[class_a, class_b]``; a locus without a table, and code 0, get LR 1."""
    names = [canonical_locus(x) for x in loci]
    if len(allele_maps) != len(names):
        raise SearchError(f"{len(allele_maps)} allele maps for {len(names)} loci")
    size = 1 + max((len(a) for a in allele_maps), default=0)
    lr = np.ones((len(names), size, size), dtype=np.float64)
    covered: list[bool] = []
    for li, (locus, alleles) in enumerate(zip(names, allele_maps, strict=True)):
        t = class_tables.get(locus)
        covered.append(t is not None)
        if t is None or not alleles:
            continue
        klass, table_lr = t
        cls = np.array([klass(a) for a in alleles], dtype=np.int64)
        sub = table_lr[np.ix_(cls, cls)]
        if np.isnan(sub).any():  # pragma: no cover - a code of an empty class cannot exist
            raise SearchError(f"{locus}: an index allele falls in an empty class")
        lr[li, 1:len(alleles) + 1, 1:len(alleles) + 1] = sub
    with np.errstate(divide="ignore"):
        log10 = np.log10(lr)
    return MixtureLookup(tuple(names), tuple(covered), lr, log10)


@dataclass(frozen=True, slots=True)
class MixtureHit:
    """One ranked profile: ``row`` (``key`` where keys were given), ``lr`` the product of
    ``per_locus`` (the loci of the evidence the profile is typed at)."""

    row: int
    key: int | None
    lr: float
    log10_lr: float
    per_locus: dict[str, float] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The hit as a JSON-ready dict."""
        return {"row": self.row, "key": self.key, "lr": self.lr, "log10_lr": self.log10_lr,
                "per_locus": dict(self.per_locus)}


def rank_by_mixture_lr(
    codes: U8,
    allele_maps: Sequence[Sequence[Allele]],
    loci: Sequence[str],
    tables: MixtureLRTables | MixtureLookup,
    *,
    top: int = 50,
    threshold: float | None = None,
    keys: Sequence[int] | I64 | None = None,
    locus_major: bool = False,
    alive: npt.NDArray[np.bool_] | npt.NDArray[np.uint8] | None = None,
) -> list[MixtureHit]:
    """The ``top`` profiles of ``codes`` by mixture LR, best first (ties: the lower row), only
    those with ``LR >= threshold`` when a threshold is given.

    ``codes``: uint8 ``[n, n_loci, 2]`` (``[n_loci, n, 2]`` with ``locus_major``, the index
    layout); ``allele_maps[l]``: the dictionary of ``loci[l]``; ``keys`` label the hits; rows
    with ``alive`` false are never returned."""
    if top < 1:
        raise SearchError(f"top = {top}: ask for at least one profile",
                          remedy="give --top 1 or more")
    if threshold is not None and not (threshold > 0 and math.isfinite(threshold)):
        raise SearchError(f"threshold = {threshold}: an LR threshold is a positive number",
                          remedy="give --threshold as an LR, e.g. 1000")
    lookup = (tables if isinstance(tables, MixtureLookup)
              else mixture_lookup(tables, loci, allele_maps))
    arr, n = check_encoded(codes, loci, lookup_loci=lookup.loci, width=lookup.lr.shape[1],
                           alive=alive, locus_major=locus_major)
    key_arr = None if keys is None else np.asarray(keys, dtype=np.int64)
    if key_arr is not None and key_arr.shape[0] != n:
        raise SearchError(f"{key_arr.shape[0]} keys for {n} profiles")
    alive_u8 = (np.zeros(0, dtype=np.uint8) if alive is None
                else np.ascontiguousarray(alive, dtype=bool).view(np.uint8))
    want = min(n, top)
    if want == 0:
        return []
    scores, rows = top_rows_by_table_sum(arr, lookup.log10_lr, alive_u8, want,
                                         locus_major=locus_major)
    floor = -math.inf if threshold is None else math.log10(threshold)
    hits: list[MixtureHit] = []
    for score, row in zip(scores.tolist(), rows.tolist(), strict=True):
        if score < floor - 1e-9:
            break
        profile = arr[:, row, :] if locus_major else arr[row]
        per_locus: dict[str, float] = {}
        for li, locus in enumerate(lookup.loci):
            a, b = int(profile[li, 0]), int(profile[li, 1])
            if lookup.covered[li] and a != 0 and b != 0:
                per_locus[locus] = float(lookup.lr[li, a, b])
        lr = math.prod(per_locus.values())
        if threshold is not None and lr < threshold:
            continue
        log10_lr = math.log10(lr) if lr > 0 else -math.inf
        hits.append(MixtureHit(row, None if key_arr is None else int(key_arr[row]), lr,
                               log10_lr, per_locus))
    return hits


# --- adventitious (non-contributor) hits -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AdventitiousHits:
    """How many non-contributors a database of ``database_size`` fully typed profiles is
    expected to return at or above ``threshold`` (see the module docstring)."""

    database_size: int
    threshold: float | None
    p_at_or_above: float | None
    turing_bound: float | None
    expected: float | None
    suggested_threshold: float
    p_zero: float
    resolution: float
    loci: int
    method: str = ("exact convolution of the per-locus non-contributor LR distributions "
                   "(Hardy-Weinberg genotypes from the table), each locus rounded up to the "
                   "grid, capped by Turing's bound P(LR >= t | Hd) <= 1/t")

    def to_dict(self) -> dict[str, Any]:
        """The estimate as a JSON-ready dict, with the suggested threshold's log10."""
        return {"database_size": self.database_size, "threshold": self.threshold,
                "p_at_or_above": self.p_at_or_above, "turing_bound": self.turing_bound,
                "expected": self.expected, "suggested_threshold": self.suggested_threshold,
                "suggested_log10_threshold": math.log10(self.suggested_threshold),
                "p_lr_zero": self.p_zero, "resolution_log10": self.resolution,
                "loci": self.loci, "method": self.method}


def _locus_distribution(t: _LocusTable) -> tuple[FloatArray, FloatArray, float]:
    """(log10 LR values, probabilities, P(LR = 0)) of a random person's genotype at a locus."""
    k = len(t.prob)
    values: list[float] = []
    probs: list[float] = []
    zero = 0.0
    for i in range(k):
        for j in range(i, k):
            p = t.prob[i] * t.prob[j] * (1.0 if i == j else 2.0)
            if p <= 0:
                continue
            v = t.lr[i, j]
            if v <= 0:
                zero += p
                continue
            values.append(math.log10(v))
            probs.append(p)
    return np.array(values), np.array(probs), zero


def adventitious_hits(tables: MixtureLRTables, *, database_size: int,
                      threshold: float | None = None, resolution: float = 0.01
                      ) -> AdventitiousHits:
    """The expected number of non-contributors at or above ``threshold`` among
    ``database_size`` profiles, ``database_size x min(P(LR >= t | Hd), 1/t)``, and the smallest
    threshold that keeps it below one (see the module docstring for the method)."""
    if database_size < 0:
        raise SearchError(f"database_size = {database_size}: a count",
                          remedy="give the number of profiles ranked")
    if not resolution > 0:
        raise SearchError(f"resolution = {resolution}: a positive log10 step",
                          remedy="give resolution > 0, e.g. 0.01")
    dists = [_locus_distribution(tables.tables[x]) for x in tables.loci]
    p_zero = 1.0 - math.prod(1.0 - z for _, _, z in dists)
    steps = []
    for values, probs, _ in dists:
        if values.size:
            up = np.ceil(values / resolution - 1e-9).astype(np.int64)  # rounded up: a bound
            steps.append((int(up.min()), up - int(up.min()), probs))
    size = 1 + sum(int(s.max()) for _, s, _ in steps)
    # dist[b]: P(LR > 0 and log10 LR (on the grid) = (offset + b) * resolution)
    dist = np.zeros(size)
    dist[0] = 1.0
    offset = 0
    for low, shifts, probs in steps:
        new = np.zeros(size)
        for s, p in zip(shifts.tolist(), probs.tolist(), strict=True):
            new[s:] += p * dist[:size - s]
        dist = new
        offset += low
    tail = np.cumsum(dist[::-1])[::-1]  # P(LR > 0 and log10 LR >= grid[b])
    grid = (offset + np.arange(size)) * resolution

    def p_at(t: float) -> float:
        b = int(np.searchsorted(grid, math.log10(t) - 1e-12))
        return float(tail[b]) if b < size else 0.0

    n = int(database_size)
    # smallest t on the grid with n * min(P, 1/t) < 1 (Turing alone gives t > n)
    suggested = float(max(n, 1)) * (1 + 1e-12)
    if n > 0:
        ok = np.nonzero(n * tail < 1.0)[0]
        if ok.size:
            t_grid = 10.0 ** grid[ok[0]]
            suggested = min(suggested, max(t_grid, 1.0))
    else:
        suggested = 1.0
    if threshold is None:
        return AdventitiousHits(n, None, None, None, None, suggested, p_zero, resolution,
                                len(dists))
    p = p_at(threshold)
    bound = min(1.0, 1.0 / threshold)
    return AdventitiousHits(n, threshold, p, bound, n * min(p, bound), suggested, p_zero,
                            resolution, len(dists))
