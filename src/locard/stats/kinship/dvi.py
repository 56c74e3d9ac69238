"""Disaster victim identification (DVI): many victims against many reference families at once.

The method is that of dvir (Vigeland & Egeland 2021, Sci Rep 11:13661) and Bonaparte (Dorum
et al. 2009; Kling et al. 2019): first every victim against every family, then joint
identification, so that one victim is never given to two families nor one family two victims.

**Input.** V victims (single-source profiles, possibly partial) and F reference families, each a
:class:`Pedigree` with **one** missing person (families with several missing persons are not
supported: give each missing person a pedigree of their own only where the missing persons are
not related to one another, since the joint LR below is a product of pairwise LRs).

**1. Pairwise LR matrix** (:func:`dvi_lr_matrix`). ``LR[v, f]`` is :func:`missing_person_lr` of
victim v as the missing person of family f: Hp, v is the missing person; Hd, v is unrelated to
the family; an optional mutation model; ``theta`` (default 0, Hardy-Weinberg; above 0 every
founder allele, and the unrelated victim's under Hd, is one Balding-Nichols draw, as
:func:`missing_person_lr`). Each family's :func:`genotype_lr_table` per
locus is built once and every victim is looked up in it (:func:`lr_lookup_matrix`), so the cost
is F table builds plus V x F x L look-ups. Per locus the entry equals the direct
:func:`missing_person_lr` for victim alleles listed in the table or typed in the family; a victim
allele in neither is looked up as the table's catch-all (at the floor, the locus renormalised:
exact for one such allele without mutation and under the equal and proportional models; under a
stepwise model the catch-all gets no stepwise credit; ``min_frequency=0``, the table as given,
refuses such an allele). A locus untyped in the victim or in every relative, or absent from the
frequency table, has LR 1 (``missing_person_lr`` lists it as excluded).

**2. Joint identification** (:func:`dvi_identify`).

- *Exclusions*: a pair with ``LR < exclusion_threshold`` (LR 0 always) is not admissible. Each
  removed joint assignment has an admissible counterpart (the same without the excluded pairs) at
  least ``1 / exclusion_threshold`` times as likely, which bounds what the cut can change.
- *Undisputed identifications* (after dvir's ``findUndisputed``): an admissible pair with
  ``LR >= undisputed_threshold`` that also exceeds every other admissible LR in its row (the
  victim against other families) and its column (the family against other victims) by the
  factor ``dominance``. It is taken as settled, its victim and family are removed, and the rule
  is applied again to what is left until nothing changes.
- *Joint search*: over the remaining victims and families, a joint assignment gives each victim
  at most one family and each family at most one victim, using admissible pairs only. With the
  victims unrelated to one another and one missing person per family, its LR against "nobody
  identified" is the product of its pairs' LRs. Prior: **flat over the admissible joint
  assignments** (dvir's default), so ``P(assignment | data) = LR(assignment) / sum of all``.
  The admissible pairs split into connected components (victims and families linked through
  admissible pairs); under the flat prior the posterior factorises over components exactly, so
  each is enumerated alone (depth-first, pruned by exclusions and by families already used).
  The pairing posterior ``P(v = f)`` sums the assignments that pair them; ``P(v not
  identified)`` is the rest, so each victim's posteriors sum to 1.
- *Guard*: before enumerating, the assignments of each component are counted (stopping at the
  limit); above ``max_assignments`` a :class:`CombinatorialLimit` says which component and
  suggests a higher exclusion threshold or splitting the problem.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from locard.errors import CombinatorialLimit, InvalidParameter, StatisticsError
from locard.genetics.alleles import Allele
from locard.genetics.loci import LOCI, LocusKind, canonical_locus, locus_sort_key
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship.mutation import MutationModel, mutation_provenance
from locard.stats.kinship.pairwise import check_theta
from locard.stats.kinship.pedigree import (
    MutationSpec,
    Pedigree,
    mutation_for,
    transition_matrices,
)
from locard.stats.kinship.search_tables import GenotypeLRTable, build_lr_table
from locard.stats.kinship.universe import LocusUniverse, check_min_frequency
from locard.stats.provenance import make_provenance

__all__ = [
    "DEFAULT_DOMINANCE",
    "DEFAULT_EXCLUSION_THRESHOLD",
    "DEFAULT_MAX_ASSIGNMENTS",
    "DEFAULT_UNDISPUTED_THRESHOLD",
    "DVIAssignment",
    "DVIMatrix",
    "DVIResult",
    "Identification",
    "dvi",
    "dvi_identify",
    "dvi_lr_matrix",
    "family_table",
    "lr_lookup_matrix",
]

FloatArray = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]

DEFAULT_EXCLUSION_THRESHOLD = 1e-3
DEFAULT_UNDISPUTED_THRESHOLD = 1e4
DEFAULT_DOMINANCE = 1e4
DEFAULT_MAX_ASSIGNMENTS = 1_000_000
NOT_IDENTIFIED = "not identified"


def lr_lookup_matrix(table: GenotypeLRTable,
                     alleles: Sequence[Allele | str | None]) -> FloatArray:
    """``T[code_a, code_b]``: ``table``'s LR re-indexed by a caller's allele codes.

    Code ``k >= 1`` names ``alleles[k - 1]`` (None: a code not in use); code 0 is "untyped" and
    gives LR 1 with any partner (a row and column of ones). An allele the table does not list
    maps to its catch-all ``unseen`` entry. Shape ``(len(alleles) + 1, len(alleles) + 1)``.
    """
    idx = np.empty(len(alleles) + 1, dtype=np.int64)
    idx[0] = 0
    for k, allele in enumerate(alleles, start=1):
        if allele is None:  # a code not in use
            idx[k] = table.unseen_index if table.has_catch_all else 0
        else:
            idx[k] = table.index(allele)
    out = np.array(table.lr[np.ix_(idx, idx)], dtype=np.float64)
    out[0, :] = 1.0
    out[:, 0] = 1.0
    return out


# --- the pairwise matrix --------------------------------------------------------------------


def _victim_codes(victims: Sequence[Profile], loci: Sequence[str]
                  ) -> tuple[U8, list[list[str]]]:
    """Victims as codes ``[V, L, 2]`` over per-locus allele lists (code k: ``alleles[l][k-1]``)."""
    codes = np.zeros((len(victims), len(loci), 2), dtype=np.uint8)
    alleles: list[list[str]] = [[] for _ in loci]
    lookup: list[dict[str, int]] = [{} for _ in loci]
    for v, profile in enumerate(victims):
        for li, locus in enumerate(loci):
            call = profile.loci.get(locus)
            if call is None or call.inconclusive or not call.alleles:
                continue
            if len(call.alleles) > 2:
                raise StatisticsError(
                    f"victim {profile.specimen_id or v + 1}: {locus} has {len(call.alleles)} "
                    f"alleles, so the profile is a mixture",
                    remedy="DVI needs single-source victim profiles")
            pair = []
            for a in (call.alleles[0], call.alleles[-1]):
                label = str(a)
                code = lookup[li].get(label)
                if code is None:
                    if len(alleles[li]) >= 255:
                        raise StatisticsError(f"{locus}: more than 255 distinct victim alleles")
                    alleles[li].append(label)
                    code = lookup[li][label] = len(alleles[li])
                pair.append(code)
            codes[v, li] = sorted(pair)
    return codes, alleles


def _family_loci(pedigree: Pedigree, table: FrequencyTable,
                 wanted: frozenset[str] | None) -> list[str]:
    found: set[str] = set()
    for person in pedigree.individuals:
        if person.profile is not None:
            found.update(k for k in person.profile.str_loci
                         if table.has_locus(k) and LOCI[k].kind is LocusKind.AUTOSOMAL_STR)
    if wanted is not None:
        found &= wanted
    return sorted(found, key=locus_sort_key)


_MatrixCache = dict[tuple[Any, ...], tuple[FloatArray, FloatArray]]


def _transitions(universe: LocusUniverse, model: MutationModel | None,
                 cache: _MatrixCache) -> tuple[FloatArray, FloatArray]:
    """:func:`transition_matrices`, memoised: the stepwise and equal matrices depend on the
    allele list only (most families share the table's), the proportional one on the
    frequencies too."""
    if model is None:
        return transition_matrices(universe, None)
    freqs = universe.frequencies.tobytes() if model.model == "proportional" else b""
    key = (universe.locus, universe.labels, model, freqs)
    found = cache.get(key)
    if found is None:
        found = cache[key] = transition_matrices(universe, model)
    return found


def family_table(pedigree: Pedigree, locus: str, table: FrequencyTable, *,
                 mutation: MutationSpec = None,
                 cache: _MatrixCache | None = None,
                 min_frequency: float | None = None,
                 theta: float = 0.0) -> GenotypeLRTable:
    """:func:`genotype_lr_table` with the mutation matrices memoised in ``cache`` (shared by
    the families of a DVI) and a short provenance; the same numbers (the tests check it)."""
    locus = canonical_locus(locus)
    model = mutation_for(mutation, locus)
    memo: _MatrixCache = {} if cache is None else cache

    def transitions(universe: LocusUniverse, m: MutationModel | None
                    ) -> tuple[FloatArray, FloatArray]:
        return _transitions(universe, m, memo)

    labels, freqs, lr, total, why = build_lr_table(pedigree, locus, table, model,
                                                   min_frequency=min_frequency,
                                                   transitions=transitions, theta=theta)
    provenance = {"computation": "genotype_lr_table", "locus": locus, "theta": float(theta),
                  "mutation": model.to_dict() if model is not None else None,
                  "renormalised": why}
    return GenotypeLRTable(locus, labels, {x: i for i, x in enumerate(labels)}, freqs, lr,
                           total, provenance)


def _family_lrs(pedigree: Pedigree, table: FrequencyTable, mutation: MutationSpec,
                wanted: frozenset[str] | None, loci: Sequence[str], codes: U8,
                alleles: Sequence[Sequence[str]], cache: _MatrixCache,
                min_frequency: float | None, theta: float = 0.0) -> FloatArray:
    """Per-locus LRs ``[V, L]`` of every victim against one family (1 where not computed)."""
    position = {locus: i for i, locus in enumerate(loci)}
    out = np.ones((codes.shape[0], len(loci)), dtype=np.float64)
    for locus in _family_loci(pedigree, table, wanted):
        li = position[locus]
        tab = family_table(pedigree, locus, table, mutation=mutation, cache=cache,
                           min_frequency=min_frequency, theta=theta)
        lookup = lr_lookup_matrix(tab, alleles[li])
        out[:, li] = lookup[codes[:, li, 0], codes[:, li, 1]]
    return out


def _family_chunk(args: tuple[list[Pedigree], FrequencyTable, MutationSpec,
                              frozenset[str] | None, list[str], U8, list[list[str]],
                              float | None, float]
                  ) -> list[FloatArray]:
    pedigrees, table, mutation, wanted, loci, codes, alleles, min_frequency, theta = args
    cache: _MatrixCache = {}
    return [_family_lrs(p, table, mutation, wanted, loci, codes, alleles, cache, min_frequency,
                        theta)
            for p in pedigrees]


@dataclass(frozen=True, slots=True, eq=False)
class DVIMatrix:
    """Victims x families missing-person LRs: ``lr[v, f]`` is the product of
    ``per_locus[v, f, :]`` (LR 1 at a locus not computed for that pair).

    ``victims`` are the victims' specimen ids, ``families`` the family names and ``missing`` the
    id of each family's missing person; ``loci`` label the last axis of ``per_locus``.
    """

    victims: tuple[str, ...]
    families: tuple[str, ...]
    missing: tuple[str, ...]
    loci: tuple[str, ...]
    lr: FloatArray = field(repr=False)
    per_locus: FloatArray = field(repr=False)
    provenance: dict[str, Any] = field(repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.victims), len(self.families))

    @property
    def log10_lr(self) -> FloatArray:
        with np.errstate(divide="ignore"):
            return np.log10(self.lr)

    def pair(self, victim: int | str, family: int | str) -> dict[str, float]:
        """Per-locus LRs of one pair (the loci computed for it)."""
        v = victim if isinstance(victim, int) else self.victims.index(victim)
        f = family if isinstance(family, int) else self.families.index(family)
        return {locus: float(x) for locus, x in zip(self.loci, self.per_locus[v, f], strict=True)
                if x != 1.0}

    def __repr__(self) -> str:
        return f"DVIMatrix(victims={len(self.victims)}, families={len(self.families)})"

    def to_dict(self, *, per_locus: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "victims": list(self.victims),
            "families": list(self.families),
            "missing": list(self.missing),
            "loci": list(self.loci),
            "lr": self.lr.tolist(),
        }
        if per_locus:
            out["per_locus"] = {
                v: {f: self.pair(i, j) for j, f in enumerate(self.families)}
                for i, v in enumerate(self.victims)}
        out["provenance"] = self.provenance
        return out


def _named_families(families: Mapping[str, Pedigree] | Sequence[Pedigree]
                    ) -> list[tuple[str, Pedigree]]:
    if isinstance(families, Mapping):
        items = [(str(k), v) for k, v in families.items()]
    else:
        items = [(f"F{i + 1}", p) for i, p in enumerate(families)]
    if not items:
        raise StatisticsError("DVI needs at least one reference family")
    return items


def _victim_ids(victims: Sequence[Profile]) -> tuple[str, ...]:
    ids = [p.specimen_id or f"V{i + 1}" for i, p in enumerate(victims)]
    if len(set(ids)) != len(ids):
        dup = next(x for x in ids if ids.count(x) > 1)
        raise StatisticsError(f"victim {dup!r} is listed twice",
                              remedy="give every victim a unique specimen id")
    return tuple(ids)


def dvi_lr_matrix(
    victims: Sequence[Profile],
    families: Mapping[str, Pedigree] | Sequence[Pedigree],
    table: FrequencyTable,
    *,
    mutation: MutationSpec = None,
    loci: Iterable[str] | None = None,
    workers: int = 1,
    min_frequency: float | None = None,
    theta: float = 0.0,
) -> DVIMatrix:
    """The pairwise LR matrix victims x families (see the module docstring, step 1).

    ``families`` maps names to pedigrees (a list is named F1, F2, ...). ``loci`` restricts the
    computation (default: the autosomal STR loci typed in some relative and in the table).
    ``workers > 1`` builds the families' tables in that many processes (0: one per CPU).
    ``min_frequency``: the frequency of an allele absent from the table (default the table's
    minimum, 5/2N; 0: the table as given, an absent allele refused). ``theta``: the founders'
    alleles, the unrelated victim's under Hd included, one Balding-Nichols draw
    (:mod:`.search_tables`; 0: Hardy-Weinberg).
    Raises :class:`StatisticsError` for a mixture victim or for relatives whose genotypes are
    impossible on their pedigree.
    """
    min_frequency = check_min_frequency(min_frequency)
    check_theta(theta)
    named = _named_families(families)
    victim_ids = _victim_ids(victims)
    wanted = frozenset(canonical_locus(x) for x in loci) if loci is not None else None
    all_loci = sorted({x for _, p in named for x in _family_loci(p, table, wanted)},
                      key=locus_sort_key)
    for _, ped in named:  # validate the mutation spec up front (a mapping names every locus)
        for locus in _family_loci(ped, table, wanted):
            mutation_for(mutation, locus)
    codes, alleles = _victim_codes(victims, all_loci)
    pedigrees = [p for _, p in named]
    n_workers = (os.cpu_count() or 1) if workers == 0 else max(1, int(workers))
    n_workers = min(n_workers, len(pedigrees))
    if n_workers <= 1:
        per_family = _family_chunk((pedigrees, table, mutation, wanted, all_loci, codes, alleles,
                                    min_frequency, theta))
    else:
        size = math.ceil(len(pedigrees) / (4 * n_workers))
        chunks = [(pedigrees[i:i + size], table, mutation, wanted, all_loci, codes, alleles,
                   min_frequency, theta) for i in range(0, len(pedigrees), size)]
        with ProcessPoolExecutor(max_workers=n_workers) as pool:
            per_family = [x for part in pool.map(_family_chunk, chunks) for x in part]
    per_locus = (np.stack(per_family, axis=1) if per_family
                 else np.ones((len(victims), 0, len(all_loci))))
    lr = np.prod(per_locus, axis=2)
    provenance = make_provenance(
        "dvi_lr_matrix",
        parameters={"theta": float(theta), **mutation_provenance(mutation, all_loci),
                    "loci": list(all_loci),
                    "min_frequency": (min_frequency if min_frequency is not None
                                      else table.min_frequency),
                    "families": {name: p.to_dict(profiles=False) for name, p in named}},
        tables=table,
        victims=[{"specimen_id": vid, "digest": p.genotype_digest()}
                 for vid, p in zip(victim_ids, victims, strict=True)],
    )
    per_locus.setflags(write=False)
    lr.setflags(write=False)
    return DVIMatrix(victim_ids, tuple(n for n, _ in named), tuple(p.missing for _, p in named),
                     tuple(all_loci), lr, per_locus, provenance)


# --- joint identification -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Identification:
    """An undisputed identification: victim = the missing person of family, with its LR."""

    victim: str
    family: str
    missing: str
    lr: float

    def to_dict(self) -> dict[str, Any]:
        return {"victim": self.victim, "family": self.family, "missing": self.missing,
                "lr": self.lr, "log10_lr": _log10(self.lr)}


@dataclass(frozen=True, slots=True)
class DVIAssignment:
    """One joint assignment of the disputed victims: ``pairs`` (victim, family); ``lr`` the
    product of their LRs (against nobody identified); ``posterior`` its probability within
    its component under the flat prior."""

    component: int
    pairs: tuple[tuple[str, str], ...]
    lr: float
    posterior: float

    def to_dict(self) -> dict[str, Any]:
        return {"component": self.component,
                "pairs": [{"victim": v, "family": f} for v, f in self.pairs],
                "lr": self.lr, "log10_lr": _log10(self.lr), "posterior": self.posterior}


def _log10(x: float) -> float:
    return -math.inf if x <= 0 else math.log10(x)


@dataclass(frozen=True, slots=True, eq=False)
class DVIResult:
    """Joint identification of a :class:`DVIMatrix` (see the module docstring, step 2).

    ``posteriors[victim]`` maps each family (and ``'not identified'``) with a non-zero
    probability to it, summing to 1; an undisputed victim has probability 1 for its family
    (taken as settled). ``excluded`` lists the inadmissible pairs; ``assignments`` the most
    probable joint assignments of each component.
    """

    matrix: DVIMatrix
    excluded: tuple[tuple[str, str], ...]
    undisputed: tuple[Identification, ...]
    posteriors: dict[str, dict[str, float]]
    assignments: tuple[DVIAssignment, ...]
    components: tuple[dict[str, Any], ...]
    parameters: dict[str, Any]
    provenance: dict[str, Any] = field(repr=False)

    def best(self, victim: str) -> tuple[str, float]:
        """The most probable outcome for a victim: (family or 'not identified', posterior)."""
        post = self.posteriors[victim]
        key = max(post, key=lambda k: post[k])
        return key, post[key]

    def __repr__(self) -> str:
        return (f"DVIResult(victims={len(self.matrix.victims)}, "
                f"families={len(self.matrix.families)}, undisputed={len(self.undisputed)}, "
                f"components={len(self.components)})")

    def to_dict(self, *, per_locus: bool = True) -> dict[str, Any]:
        return {
            "matrix": self.matrix.to_dict(per_locus=per_locus),
            "excluded": [{"victim": v, "family": f} for v, f in self.excluded],
            "undisputed": [u.to_dict() for u in self.undisputed],
            "posteriors": self.posteriors,
            "assignments": [a.to_dict() for a in self.assignments],
            "components": list(self.components),
            "parameters": self.parameters,
            "provenance": self.provenance,
        }


def _check_positive(name: str, value: float, *, allow_zero: bool = False) -> None:
    bad = (not isinstance(value, (int, float)) or math.isnan(value)
           or value < 0 or (value == 0 and not allow_zero))
    if bad:
        raise InvalidParameter(name, value, expected="a positive number"
                               + (" or 0" if allow_zero else ""))


def _undisputed(lr: FloatArray, admissible: npt.NDArray[np.bool_], *, threshold: float,
                dominance: float) -> list[tuple[int, int]]:
    """Iteratively fixed undisputed pairs (row, column) of the admissible part of ``lr``."""
    alive_v = np.ones(lr.shape[0], dtype=bool)
    alive_f = np.ones(lr.shape[1], dtype=bool)
    found: list[tuple[int, int]] = []
    while True:
        masked = np.where(admissible & alive_v[:, None] & alive_f[None, :], lr, 0.0)
        new: list[tuple[int, int]] = []
        for v, f in zip(*np.nonzero(masked >= threshold), strict=True):
            x = masked[v, f]
            row = np.delete(masked[v], f)
            col = np.delete(masked[:, f], v)
            rival = max(float(row.max(initial=0.0)), float(col.max(initial=0.0)))
            if x >= dominance * rival:
                new.append((int(v), int(f)))
        if not new:
            return found
        for v, f in new:
            alive_v[v] = False
            alive_f[f] = False
        found.extend(new)


def _components(admissible: npt.NDArray[np.bool_]) -> list[tuple[list[int], list[int]]]:
    """Connected components (victims, families) of the bipartite admissible-pair graph; only
    components with at least one pair."""
    n_v, n_f = admissible.shape
    seen_v = np.zeros(n_v, dtype=bool)
    seen_f = np.zeros(n_f, dtype=bool)
    out: list[tuple[list[int], list[int]]] = []
    for start in range(n_v):
        if seen_v[start] or not admissible[start].any():
            continue
        vs, fs = [start], []
        seen_v[start] = True
        stack_v = [start]
        while stack_v:
            v = stack_v.pop()
            for f in np.nonzero(admissible[v] & ~seen_f)[0]:
                seen_f[f] = True
                fs.append(int(f))
                for w in np.nonzero(admissible[:, f] & ~seen_v)[0]:
                    seen_v[w] = True
                    vs.append(int(w))
                    stack_v.append(int(w))
        out.append((sorted(vs), sorted(fs)))
    return out


def _count(options: list[list[int]], limit: int) -> int:
    """Number of joint assignments (each victim: nothing or one of its options, families used
    once), counting stops past ``limit``."""
    used: set[int] = set()
    count = 0

    def walk(i: int) -> bool:  # False: past the limit
        nonlocal count
        if i == len(options):
            count += 1
            return count <= limit
        if not walk(i + 1):
            return False
        for f in options[i]:
            if f not in used:
                used.add(f)
                ok = walk(i + 1)
                used.discard(f)
                if not ok:
                    return False
        return True

    walk(0)
    return count


def _enumerate(options: list[list[int]], logs: list[list[float]], n: int
               ) -> tuple[npt.NDArray[np.int32], FloatArray]:
    """All joint assignments: choice per victim (-1: none; else the family) and log10 LR."""
    rows = np.empty((n, len(options)), dtype=np.int32)
    logw = np.empty(n, dtype=np.float64)
    current = [-1] * len(options)
    used: set[int] = set()
    k = 0

    def walk(i: int, acc: float) -> None:
        nonlocal k
        if i == len(options):
            rows[k] = current
            logw[k] = acc
            k += 1
            return
        current[i] = -1
        walk(i + 1, acc)
        for f, lg in zip(options[i], logs[i], strict=True):
            if f not in used:
                used.add(f)
                current[i] = f
                walk(i + 1, acc + lg)
                used.discard(f)
        current[i] = -1

    walk(0, 0.0)
    return rows[:k], logw[:k]


def dvi_identify(
    matrix: DVIMatrix,
    *,
    exclusion_threshold: float = DEFAULT_EXCLUSION_THRESHOLD,
    undisputed_threshold: float = DEFAULT_UNDISPUTED_THRESHOLD,
    dominance: float = DEFAULT_DOMINANCE,
    max_assignments: int = DEFAULT_MAX_ASSIGNMENTS,
    top: int = 10,
) -> DVIResult:
    """Exclusions, undisputed identifications and the joint search with pairing posteriors
    under a flat prior over admissible joint assignments (module docstring, step 2).

    ``exclusion_threshold`` (default 1e-3; 0 keeps every pair with LR > 0): pairs below it are
    not admissible. ``undisputed_threshold`` (default 10,000) and ``dominance`` (default
    10,000): an undisputed pair's LR reaches the threshold and exceeds every other admissible LR
    in its row and column by that factor. ``max_assignments`` caps the joint assignments of one
    component (:class:`CombinatorialLimit` above it); ``top``: how many of each component's most
    probable assignments to report.
    """
    _check_positive("exclusion_threshold", exclusion_threshold, allow_zero=True)
    _check_positive("undisputed_threshold", undisputed_threshold)
    _check_positive("dominance", dominance)
    if max_assignments < 1:
        raise InvalidParameter("max_assignments", max_assignments, expected="at least 1")
    lr = matrix.lr
    victims, families = matrix.victims, matrix.families
    admissible = (lr > 0) & (lr >= exclusion_threshold)
    excluded = tuple((victims[v], families[f]) for v, f in zip(*np.nonzero(~admissible),
                                                               strict=True))
    fixed = _undisputed(lr, admissible, threshold=undisputed_threshold, dominance=dominance)
    undisputed = tuple(Identification(victims[v], families[f], matrix.missing[f], float(lr[v, f]))
                       for v, f in sorted(fixed))
    rest = admissible.copy()
    for v, f in fixed:
        rest[v, :] = False
        rest[:, f] = False
    posteriors: dict[str, dict[str, float]] = {v: {NOT_IDENTIFIED: 1.0} for v in victims}
    for v, f in fixed:
        posteriors[victims[v]] = {families[f]: 1.0}
    assignments: list[DVIAssignment] = []
    summaries: list[dict[str, Any]] = []
    comps = _components(rest)
    option_lists: list[tuple[list[list[int]], list[list[float]], int]] = []
    for c, (vs, fs) in enumerate(comps):  # count everything before enumerating anything
        options = [[int(f) for f in np.nonzero(rest[v])[0]] for v in vs]
        logs = [[math.log10(float(lr[v, f])) for f in opts] for v, opts in zip(vs, options,
                                                                               strict=True)]
        n = _count(options, max_assignments)
        if n > max_assignments:
            raise CombinatorialLimit(
                f"DVI component {c + 1} ({len(vs)} victims, {len(fs)} families, "
                f"{int(rest[np.ix_(vs, fs)].sum())} admissible pairs) has more than "
                f"{max_assignments:,} joint assignments",
                remedy=f"raise the exclusion threshold (now {exclusion_threshold:g}), split the "
                       f"problem (e.g. by sex or by incident), or raise max_assignments")
        option_lists.append((options, logs, n))
    for c, ((vs, fs), (options, logs, n)) in enumerate(zip(comps, option_lists, strict=True)):
        rows, logw = _enumerate(options, logs, n)
        w = np.power(10.0, logw - logw.max())
        prob = w / w.sum()
        for i, v in enumerate(vs):
            mass = np.bincount(rows[:, i] + 1, weights=prob, minlength=len(families) + 1)
            post = {NOT_IDENTIFIED: float(mass[0])}
            for fam in np.nonzero(mass[1:])[0].tolist():
                post[families[fam]] = float(mass[fam + 1])
            posteriors[victims[v]] = post
        for k in np.argsort(-prob, kind="stable")[:top]:
            pairs = tuple((victims[vs[i]], families[int(f)])
                          for i, f in enumerate(rows[k]) if f >= 0)
            assignments.append(DVIAssignment(c + 1, pairs, float(10.0 ** logw[k]),
                                             float(prob[k])))
        summaries.append({"component": c + 1, "victims": [victims[v] for v in vs],
                          "families": [families[f] for f in fs], "assignments": int(n)})
    parameters = {"exclusion_threshold": exclusion_threshold,
                  "undisputed_threshold": undisputed_threshold, "dominance": dominance,
                  "max_assignments": max_assignments,
                  "prior": "flat over admissible joint assignments"}
    provenance = make_provenance("dvi_identify", parameters=parameters,
                                 matrix=matrix.provenance)
    return DVIResult(matrix, excluded, undisputed, posteriors, tuple(assignments),
                     tuple(summaries), parameters, provenance)


def dvi(
    victims: Sequence[Profile],
    families: Mapping[str, Pedigree] | Sequence[Pedigree],
    table: FrequencyTable,
    *,
    mutation: MutationSpec = None,
    loci: Iterable[str] | None = None,
    exclusion_threshold: float = DEFAULT_EXCLUSION_THRESHOLD,
    undisputed_threshold: float = DEFAULT_UNDISPUTED_THRESHOLD,
    dominance: float = DEFAULT_DOMINANCE,
    max_assignments: int = DEFAULT_MAX_ASSIGNMENTS,
    top: int = 10,
    workers: int = 1,
    min_frequency: float | None = None,
    theta: float = 0.0,
) -> DVIResult:
    """:func:`dvi_lr_matrix` then :func:`dvi_identify`."""
    matrix = dvi_lr_matrix(victims, families, table, mutation=mutation, loci=loci,
                           workers=workers, min_frequency=min_frequency, theta=theta)
    return dvi_identify(matrix, exclusion_threshold=exclusion_threshold,
                        undisputed_threshold=undisputed_threshold, dominance=dominance,
                        max_assignments=max_assignments, top=top)
