"""DVI, step 1: the families (one or several missing persons each) and the pairwise LR matrix
victims x missing persons, plus the joint likelihood of several victims placed in one family.

See :mod:`locard.stats.kinship.dvi` for the method and its sources.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from locard.errors import InvalidParameter, PedigreeError, StatisticsError
from locard.genetics.alleles import Allele
from locard.genetics.loci import LOCI, LocusKind, canonical_locus, locus_sort_key
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship._network import network_likelihood
from locard.stats.kinship.mutation import MutationModel, mutation_provenance
from locard.stats.kinship.pairwise import check_theta
from locard.stats.kinship.pedigree import (
    LocusModel,
    MutationSpec,
    Pedigree,
    Sex,
    genotype_indices,
    locus_model,
    mutation_for,
    parse_sex,
    relatives_at,
    transition_matrices,
)
from locard.stats.kinship.search_tables import (
    GenotypeLRTable,
    build_lr_table,
    lr_lookup_matrix,
)
from locard.stats.kinship.universe import LocusUniverse, check_min_frequency, locus_universe
from locard.stats.provenance import make_provenance

__all__ = [
    "DVIFamily",
    "DVIMatrix",
    "dvi_lr_matrix",
    "family_joint_lr",
    "family_table",
]

FloatArray = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]


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




# --- families with one or several missing persons -------------------------------------------


@dataclass(frozen=True, slots=True)
class DVIFamily:
    """A reference family: a :class:`Pedigree` and its missing persons (one or several, all
    untyped; ``pedigree.missing`` is the first). Build with :meth:`build` or :meth:`from_dict`."""

    pedigree: Pedigree
    missing: tuple[str, ...]

    @classmethod
    def build(cls, pedigree: Pedigree, missing: Iterable[str] | None = None) -> DVIFamily:
        """A family from its reference pedigree and its missing persons (default: the pedigree's
        one missing person); refuses none or duplicates."""
        ids = tuple(missing) if missing is not None else (pedigree.missing,)
        if not ids:
            raise PedigreeError("a DVI family needs at least one missing person")
        if len(set(ids)) != len(ids):
            dup = next(x for x in ids if ids.count(x) > 1)
            raise PedigreeError(f"missing person {dup!r} is listed twice")
        for mid in ids:  # validates each (present, untyped) as the pedigree's missing person
            Pedigree.build(pedigree.individuals, missing=mid)
        ped = pedigree if pedigree.missing == ids[0] else Pedigree.build(pedigree.individuals,
                                                                        missing=ids[0])
        return cls(ped, ids)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DVIFamily:
        """A pedigree's JSON (:meth:`Pedigree.from_dict`) whose ``missing`` is one id or a list
        of ids (several missing persons of one family)."""
        if not isinstance(data, Mapping):
            raise PedigreeError("a family must be a JSON object")
        missing = data.get("missing")
        if isinstance(missing, list):
            if not missing or not all(isinstance(m, str) for m in missing):
                raise PedigreeError("'missing' must be an id or a non-empty list of ids")
            ped = Pedigree.from_dict({**data, "missing": missing[0]})
            return cls.build(ped, missing)
        return cls.build(Pedigree.from_dict(data))

    def pedigree_for(self, missing: str) -> Pedigree:
        """The pedigree with ``missing`` as its missing person (the others stay untyped)."""
        if missing == self.pedigree.missing:
            return self.pedigree
        return Pedigree.build(self.pedigree.individuals, missing=missing)

    def sex_of(self, missing: str) -> Sex:
        """The declared sex of missing person ``missing``."""
        return self.pedigree.individual(missing).sex

    def to_dict(self, *, profiles: bool = True) -> dict[str, Any]:
        """The JSON-ready form: the pedigree (profiles, or with ``profiles=False`` their
        digests) and the missing persons."""
        return {**self.pedigree.to_dict(profiles=profiles), "missing": list(self.missing)}


def as_family(family: Pedigree | DVIFamily) -> DVIFamily:
    """``family`` as a :class:`DVIFamily` (a pedigree is built into one)."""
    return family if isinstance(family, DVIFamily) else DVIFamily.build(family)


def _named_families(families: Mapping[str, Pedigree | DVIFamily]
                    | Sequence[Pedigree | DVIFamily]) -> list[tuple[str, DVIFamily]]:
    if isinstance(families, Mapping):
        items = [(str(k), as_family(v)) for k, v in families.items()]
    else:
        items = [(f"F{i + 1}", as_family(p)) for i, p in enumerate(families)]
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


def victim_sexes(victims: Sequence[Profile], ids: Sequence[str],
                 declared: Mapping[str, str | Sex] | None) -> tuple[Sex, ...]:
    """Each victim's sex: declared (``declared[id]``), else Amelogenin, else unknown. A declared
    sex that contradicts Amelogenin is refused."""
    declared = dict(declared or {})
    unknown = sorted(set(declared) - set(ids))
    if unknown:
        raise InvalidParameter("victim_sex", unknown[0], expected="the id of a listed victim")
    out: list[Sex] = []
    for vid, profile in zip(ids, victims, strict=True):
        typed = parse_sex(profile.sex, individual=vid)
        given = parse_sex(declared[vid], individual=vid) if vid in declared else Sex.UNKNOWN
        if Sex.UNKNOWN not in (typed, given) and typed is not given:
            raise StatisticsError(f"victim {vid!r}: declared {given.value} but Amelogenin says "
                                  f"{typed.value}", remedy="correct the declared sex")
        out.append(given if given is not Sex.UNKNOWN else typed)
    return tuple(out)


@dataclass(frozen=True, slots=True, eq=False)
class DVISource:
    """What the joint step needs to recompute: the data and the settings of the matrix."""

    victims: tuple[Profile, ...]
    families: dict[str, DVIFamily]
    table: FrequencyTable
    mutation: MutationSpec
    wanted: frozenset[str] | None
    loci: tuple[str, ...]
    min_frequency: float | None
    theta: float


@dataclass(frozen=True, slots=True, eq=False)
class DVIMatrix:
    """Victims x missing persons LRs: ``lr[v, c]`` is the product of ``per_locus[v, c, :]`` (LR
    1 at a locus not computed for that pair).

    Column c is the missing person ``missing[c]`` of family ``families[c]`` (a family with
    several missing persons has several columns; :attr:`labels` names the columns: the family
    name, or ``family:missing`` for such a family). ``compatible[v, c]`` is False where the
    victim's sex and the missing person's are both known and differ.
    """

    victims: tuple[str, ...]
    families: tuple[str, ...]
    missing: tuple[str, ...]
    loci: tuple[str, ...]
    lr: FloatArray = field(repr=False)
    per_locus: FloatArray = field(repr=False)
    provenance: dict[str, Any] = field(repr=False)
    compatible: npt.NDArray[np.bool_] | None = field(default=None, repr=False)
    source: DVISource | None = field(default=None, repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        """``(victims, family columns)``."""
        return (len(self.victims), len(self.families))

    @property
    def labels(self) -> tuple[str, ...]:
        """The column labels: the family name, or ``FAMILY:MISSING`` where a family has several
        missing persons.
        """
        counts = {f: self.families.count(f) for f in self.families}
        return tuple(f if counts[f] == 1 else f"{f}:{m}"
                     for f, m in zip(self.families, self.missing, strict=True))

    @property
    def sex_compatible(self) -> npt.NDArray[np.bool_]:
        """Which victim-column pairs are sex-compatible (all True where sexes were not compared)."""
        if self.compatible is None:
            return np.ones(self.shape, dtype=bool)
        return self.compatible

    @property
    def log10_lr(self) -> FloatArray:
        """log10 of the LR matrix (-inf where the LR is 0)."""
        with np.errstate(divide="ignore"):
            return np.log10(self.lr)

    def column(self, label: int | str) -> int:
        """The column index of ``label``: an index as is, a column label, or a family name (its
        first column).

        Raises ValueError for a name that is neither.
        """
        if isinstance(label, int):
            return label
        labels = self.labels
        if label in labels:
            return labels.index(label)
        return self.families.index(label)

    def pair(self, victim: int | str, family: int | str) -> dict[str, float]:
        """Per-locus LRs of one pair (the loci computed for it)."""
        v = victim if isinstance(victim, int) else self.victims.index(victim)
        f = self.column(family)
        return {locus: float(x) for locus, x in zip(self.loci, self.per_locus[v, f], strict=True)
                if x != 1.0}

    def __repr__(self) -> str:
        return (f"DVIMatrix(victims={len(self.victims)}, families={len(set(self.families))}, "
                f"missing={len(self.missing)})")

    def to_dict(self, *, per_locus: bool = True) -> dict[str, Any]:
        """The matrix as a JSON-ready dict; with ``per_locus`` the per-locus LRs too."""
        out: dict[str, Any] = {
            "victims": list(self.victims),
            "families": list(self.families),
            "missing": list(self.missing),
            "columns": list(self.labels),
            "loci": list(self.loci),
            "lr": self.lr.tolist(),
            "sex_compatible": self.sex_compatible.tolist(),
        }
        if per_locus:
            out["per_locus"] = {
                v: {c: self.pair(i, j) for j, c in enumerate(self.labels)}
                for i, v in enumerate(self.victims)}
        out["provenance"] = self.provenance
        return out


def _column_lrs(source: DVISource, pedigrees: list[Pedigree], workers: int,
                loci: Sequence[str] | None = None) -> list[FloatArray]:
    loci = list(source.loci if loci is None else loci)
    codes, alleles = _victim_codes(list(source.victims), loci)
    args = [source.table, source.mutation, source.wanted, loci, codes, alleles,
            source.min_frequency, source.theta]
    n_workers = (os.cpu_count() or 1) if workers == 0 else max(1, int(workers))
    n_workers = min(n_workers, len(pedigrees))
    if n_workers <= 1:
        return _family_chunk((pedigrees, *args))  # type: ignore[arg-type]
    size = math.ceil(len(pedigrees) / (4 * n_workers))
    chunks = [(pedigrees[i:i + size], *args) for i in range(0, len(pedigrees), size)]
    with ProcessPoolExecutor(max_workers=n_workers) as pool:
        return [x for part in pool.map(_family_chunk, chunks) for x in part]


def dvi_lr_matrix(
    victims: Sequence[Profile],
    families: Mapping[str, Pedigree | DVIFamily] | Sequence[Pedigree | DVIFamily],
    table: FrequencyTable,
    *,
    mutation: MutationSpec = None,
    loci: Iterable[str] | None = None,
    workers: int = 1,
    min_frequency: float | None = None,
    theta: float = 0.0,
    victim_sex: Mapping[str, str | Sex] | None = None,
) -> DVIMatrix:
    """The pairwise LR matrix victims x missing persons (module :mod:`.dvi`, step 1).

    ``families`` maps names to pedigrees or :class:`DVIFamily` (several missing persons; a list
    is named F1, F2, ...). Column (f, m): the victim as missing person m of family f, the
    family's other missing persons untyped. ``loci`` restricts the computation (default: the
    autosomal STR loci typed in some relative and in the table). ``workers > 1`` builds the
    families' tables in that many processes (0: one per CPU). ``min_frequency``: the frequency of
    an allele absent from the table (default the table's minimum, 5/2N; 0: the table as given, an
    absent allele refused). ``theta``: the founders' alleles, the unrelated victim's under Hd
    included, one Balding-Nichols draw (:mod:`.search_tables`; 0: Hardy-Weinberg).
    ``victim_sex``: declared sexes by victim id (else Amelogenin); a pair whose sexes are both
    known and differ is marked incompatible (its LR is still computed).
    Raises :class:`StatisticsError` for a mixture victim or for relatives whose genotypes are
    impossible on their pedigree.
    """
    min_frequency = check_min_frequency(min_frequency)
    check_theta(theta)
    named = _named_families(families)
    victim_ids = _victim_ids(victims)
    sexes = victim_sexes(victims, victim_ids, victim_sex)
    wanted = frozenset(canonical_locus(x) for x in loci) if loci is not None else None
    all_loci = sorted({x for _, fam in named for x in _family_loci(fam.pedigree, table, wanted)},
                      key=locus_sort_key)
    for _, fam in named:  # validate the mutation spec up front (a mapping names every locus)
        for locus in _family_loci(fam.pedigree, table, wanted):
            mutation_for(mutation, locus)
    columns = [(name, mid) for name, fam in named for mid in fam.missing]
    fams = dict(named)
    source = DVISource(tuple(victims), fams, table, mutation, wanted, tuple(all_loci),
                       min_frequency, float(theta))
    per_column = _column_lrs(source, [fams[n].pedigree_for(m) for n, m in columns], workers)
    per_locus = (np.stack(per_column, axis=1) if per_column
                 else np.ones((len(victims), 0, len(all_loci))))
    lr = np.prod(per_locus, axis=2)
    miss_sex = [fams[n].sex_of(m) for n, m in columns]
    compatible = np.array([[Sex.UNKNOWN in (sv, sm) or sv is sm for sm in miss_sex]
                           for sv in sexes], dtype=bool).reshape(len(victims), len(columns))
    provenance = make_provenance(
        "dvi_lr_matrix",
        parameters={"theta": float(theta), **mutation_provenance(mutation, all_loci),
                    "loci": list(all_loci),
                    "min_frequency": (min_frequency if min_frequency is not None
                                      else table.min_frequency),
                    "families": {name: f.to_dict(profiles=False) for name, f in named}},
        tables=table,
        victims=[{"specimen_id": vid, "digest": p.genotype_digest(), "sex": s.value}
                 for vid, p, s in zip(victim_ids, victims, sexes, strict=True)],
    )
    for arr in (per_locus, lr, compatible):
        arr.setflags(write=False)
    return DVIMatrix(victim_ids, tuple(n for n, _ in columns), tuple(m for _, m in columns),
                     tuple(all_loci), lr, per_locus, provenance, compatible, source)


# --- several victims in one family --------------------------------------------------------


def conditional_column(source: DVISource, family: str, placed: Mapping[str, int],
                       missing: str) -> FloatArray:
    """LRs ``[V]`` of every victim as ``missing`` of ``family`` given the victims ``placed``
    (missing id -> victim index) are that family's missing persons: the pairwise LR on the
    pedigree with their profiles moved in (dvir's transfer after an undisputed identification)."""
    fam = source.families[family]
    ped = fam.pedigree
    people = [replace(p, profile=source.victims[placed[p.id]]) if p.id in placed else p
              for p in ped.individuals]
    column = Pedigree.build(people, missing=missing)
    loci = sorted({*source.loci, *_family_loci(column, source.table, source.wanted)},
                  key=locus_sort_key)
    for locus in loci:
        mutation_for(source.mutation, locus)
    per = _column_lrs(source, [column], 1, loci)[0]
    out: FloatArray = np.prod(per, axis=1)
    return out


def _call(profile: Profile, locus: str) -> tuple[Allele, ...] | None:
    call = profile.loci.get(locus)
    if call is None or call.inconclusive or not call.alleles:
        return None
    if len(call.alleles) > 2:
        raise StatisticsError(f"{locus}: {profile.specimen_id or 'a victim'} has "
                              f"{len(call.alleles)} alleles, so the profile is a mixture",
                              remedy="DVI needs single-source victim profiles")
    return call.alleles


def family_joint_lr(family: Pedigree | DVIFamily, placed: Mapping[str, Profile],
                    table: FrequencyTable, *, mutation: MutationSpec = None,
                    loci: Iterable[str] | None = None, min_frequency: float | None = None,
                    theta: float = 0.0, cache: _MatrixCache | None = None) -> float:
    """Joint LR of victims placed as missing persons of one family (``placed``: missing id ->
    profile) against all of them unrelated to the family and to one another:

        prod over loci  L(relatives, placed victims as their missing persons)
                        / (L(relatives) * prod P(victim genotype))

    (with ``theta``, Hd is the likelihood with the victims as extra founders of the same
    Balding-Nichols draw). A locus counts where a placed victim is typed and a relative or a
    second placed victim is typed; with one victim it is :func:`missing_person_lr`. This is
    dvir's ``loglikAssign`` ratio for one family. ``cache`` memoises the mutation matrices
    across calls (as :func:`family_table`).
    """
    memo: _MatrixCache = {} if cache is None else cache
    fam = as_family(family)
    check_theta(theta)
    min_frequency = check_min_frequency(min_frequency)
    unknown = sorted(set(placed) - set(fam.missing))
    if unknown:
        raise StatisticsError(f"{unknown[0]!r} is not a missing person of the family")
    ped = fam.pedigree
    if loci is None:
        found: set[str] = set()
        for person in [*ped.individuals]:
            if person.profile is not None:
                found.update(person.profile.str_loci)
        for prof in placed.values():
            found.update(prof.str_loci)
        loci = found
    total = 1.0
    for locus in sorted({canonical_locus(x) for x in loci}, key=locus_sort_key):
        if LOCI[locus].kind is not LocusKind.AUTOSOMAL_STR or not table.has_locus(locus):
            continue
        relatives = relatives_at(ped, locus)
        calls = {m: c for m, p in placed.items() if (c := _call(p, locus)) is not None}
        if not calls or (not relatives and len(calls) < 2):
            continue
        total *= _joint_locus(ped, locus, table, relatives, calls, mutation_for(mutation, locus),
                              min_frequency, theta, memo)
    return total


def _lumped(universe: LocusUniverse, model: MutationModel | None, observed: Iterable[str],
            memo: _MatrixCache) -> LocusModel:
    """:func:`.pedigree.locus_model` with the transition matrices memoised."""
    def transitions(u: LocusUniverse, m: MutationModel | None) -> tuple[FloatArray, FloatArray]:
        return _transitions(u, m, memo)

    return locus_model(universe, model, observed, transitions=transitions)


def _joint_locus(ped: Pedigree, locus: str, table: FrequencyTable,
                 relatives: Mapping[str, tuple[Allele, ...]],
                 calls: Mapping[str, tuple[Allele, ...]], model: MutationModel | None,
                 min_frequency: float | None, theta: float, memo: _MatrixCache) -> float:
    universe = locus_universe(table, locus,
                              typed_alleles=[a for g in relatives.values() for a in g],
                              extra_alleles=[a for g in calls.values() for a in g],
                              min_frequency=min_frequency)
    observed = ([str(a) for g in relatives.values() for a in g]
                + [str(a) for g in calls.values() for a in g])
    lm = _lumped(universe, model, observed, memo)
    evidence = {pid: genotype_indices(g, lm.index) for pid, g in relatives.items()}
    placed = {m: genotype_indices(g, lm.index) for m, g in calls.items()}
    ids, parents = ped.ids, ped.parents()

    def lik(ids: Sequence[str], parents: Mapping[str, tuple[str, str] | None],
            ev: Mapping[str, tuple[int, int]]) -> float:
        return float(network_likelihood(ids, parents, frequencies=lm.frequencies, male=lm.male,
                                        female=lm.female, evidence=ev, theta=theta))

    hp = lik(ids, parents, {**evidence, **placed})
    if theta > 0:
        extra = {f"\x00unrelated {m}": g for m, g in placed.items()}
        hd = lik((*ids, *extra), {**parents, **dict.fromkeys(extra)}, {**evidence, **extra})
    else:
        q = lm.frequencies
        hd = lik(ids, parents, evidence) * math.prod(
            float(q[a] * q[a]) if a == b else float(2.0 * q[a] * q[b])
            for a, b in placed.values())
    if hd <= 0:
        raise StatisticsError(
            f"{locus}: the relatives' genotypes are impossible on the pedigree of "
            f"{ped.missing!r} (likelihood 0)",
            remedy="check the pedigree and profiles, or allow mutation")
    return hp / hd
