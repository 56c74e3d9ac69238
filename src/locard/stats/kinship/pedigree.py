"""Pedigrees with one missing person, their exact likelihood, and the missing-person LR.

A :class:`Pedigree` lists individuals (id, father, mother, sex, optional profile) and names the
missing person. Build it with :meth:`Pedigree.from_dict` (JSON layout) or
:meth:`Pedigree.from_ped_lines` (PED text lines); both validate with :func:`validate_pedigree`:
unique ids, both parents or neither, parents present in the pedigree, fathers male and mothers
female, no one their own ancestor, the missing person present and without a profile.

The likelihood of the typed genotypes at one locus is computed exactly by variable elimination on
the allele-level pedigree network (peeling, Elston & Stewart 1971, on any pedigree including
loops; :mod:`._network`), with a mutation model for fathers and for mothers
(:mod:`.mutation`). Founders are in Hardy-Weinberg proportions by default (theta = 0, as
pedprobr and Familias); with ``theta > 0`` all founder alleles, typed and untyped, are one
Balding-Nichols draw (pedprobr's ``likelihood(theta = )``: founders are no longer independent),
summed exactly over one joint founder factor (:func:`._network.founder_factor`), or where that
is too large over the identity-by-descent partitions of the founder alleles
(:func:`._network.ibd_partitions`; refused with :class:`CombinatorialLimit` naming the missing
person when there are too many of those too). Allele
frequencies: :mod:`.universe` (the table's values as listed; an allele absent from
the table gets the floor, ``min_frequency`` or the table's 5/2N, and its locus is renormalised
and listed in :attr:`KinshipLR.renormalised`; ``min_frequency=0`` is the table as given).

The missing-person LR of a candidate profile C (Hp: C is the missing person; Hd: C is unrelated
to the pedigree), per locus:

    LR = L(relatives, C as the missing person) / (L(relatives) * P(C))

and the total is the product over loci. With theta, Hd is not ``L(relatives) * P(C)``: the
unrelated candidate is one more founder of the same subpopulation, so C's alleles join the
Balding-Nichols draw (``Hd = L(relatives, C as an unrelated founder)``), as the pairwise LRs of
:mod:`.pairwise` condition the second profile on the first; a duo computed either way agrees.
Loci where the candidate or every relative is untyped,
or that the table lacks, are listed in ``excluded``. (A locus without typed relatives carries no
kinship information; it is excluded rather than computed because a non-stationary mutation model,
such as stepwise, would give it an LR slightly different from 1 through the untyped ancestors.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from locard.errors import CombinatorialLimit, InvalidParameter, PedigreeError, StatisticsError
from locard.genetics.alleles import Allele
from locard.genetics.loci import LOCI, LocusKind, canonical_locus, locus_sort_key
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship._network import lump, network_likelihood
from locard.stats.kinship.mutation import MutationModel, mutation_provenance
from locard.stats.kinship.pairwise import check_theta
from locard.stats.kinship.results import KinshipLR, LocusKinshipLR
from locard.stats.kinship.universe import LocusUniverse, check_min_frequency, locus_universe
from locard.stats.provenance import make_provenance

__all__ = [
    "Individual",
    "LocusModel",
    "MutationSpec",
    "Pedigree",
    "Sex",
    "Transitions",
    "genotype_indices",
    "locus_model",
    "missing_person_lr",
    "mutation_for",
    "pedigree_likelihood",
    "relatives_at",
    "transition_matrices",
    "validate_pedigree",
]

FloatArray = npt.NDArray[np.float64]
MutationSpec = MutationModel | Mapping[str, MutationModel | None] | None
"""No mutation (None), one model for every locus, or a model (or None) per locus name."""


class Sex(StrEnum):
    """The sex of a pedigree member: male, female or unknown."""
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


_SEX_CODES = {
    "1": Sex.MALE, "m": Sex.MALE, "male": Sex.MALE,
    "2": Sex.FEMALE, "f": Sex.FEMALE, "female": Sex.FEMALE,
    "0": Sex.UNKNOWN, "u": Sex.UNKNOWN, "unknown": Sex.UNKNOWN, "?": Sex.UNKNOWN,
}
_UNKNOWN_PARENT = {"", "0", "."}


def parse_sex(value: object, *, individual: str = "?") -> Sex:
    """'1'/'M'/'male' -> male, '2'/'F'/'female' -> female, '0'/'U'/'unknown'/None -> unknown."""
    if isinstance(value, Sex):
        return value
    if value is None:
        return Sex.UNKNOWN
    found = _SEX_CODES.get(str(value).strip().lower())
    if found is None:
        raise PedigreeError(f"individual {individual!r}: sex {value!r} is not 1/2/0, M/F/U, "
                            f"male/female/unknown")
    return found


def _parent(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return None if text in _UNKNOWN_PARENT else text


@dataclass(frozen=True, slots=True)
class Individual:
    """One person: both parents or neither (a founder); ``profile`` if typed."""

    id: str
    father: str | None = None
    mother: str | None = None
    sex: Sex = Sex.UNKNOWN
    profile: Profile | None = None

    @property
    def is_founder(self) -> bool:
        """Whether neither parent is in the pedigree."""
        return self.father is None and self.mother is None

    def to_dict(self) -> dict[str, Any]:
        """The individual as a JSON-ready dict (the profile only when typed)."""
        out: dict[str, Any] = {"id": self.id, "father": self.father, "mother": self.mother,
                               "sex": self.sex.value}
        if self.profile is not None:
            out["profile"] = self.profile.to_dict()
        return out


def validate_pedigree(individuals: Sequence[Individual], missing: str) -> None:
    """Raise :class:`PedigreeError` naming the individual at the first broken invariant."""
    if not individuals:
        raise PedigreeError("the pedigree has no individuals")
    by_id: dict[str, Individual] = {}
    for person in individuals:
        if not person.id or not person.id.strip():
            raise PedigreeError("an individual has an empty id")
        if person.id in by_id:
            raise PedigreeError(f"individual {person.id!r} is listed twice",
                                remedy="give every individual a unique id")
        by_id[person.id] = person
    for person in individuals:
        if (person.father is None) != (person.mother is None):
            has, lacks = ("father", "mother") if person.father is not None else ("mother", "father")
            raise PedigreeError(f"individual {person.id!r} has a {has} but no {lacks}",
                                remedy=f"give both parents or neither (add an untyped {lacks})")
        for role, pid, sex in (("father", person.father, Sex.MALE),
                               ("mother", person.mother, Sex.FEMALE)):
            if pid is None:
                continue
            if pid == person.id:
                raise PedigreeError(f"individual {person.id!r} is their own {role}")
            parent = by_id.get(pid)
            if parent is None:
                raise PedigreeError(f"individual {person.id!r}: {role} {pid!r} is not in the "
                                    f"pedigree", remedy=f"add {pid!r} as an individual")
            if parent.sex is not sex:
                raise PedigreeError(f"individual {person.id!r}: {role} {pid!r} has sex "
                                    f"{parent.sex.value}, a {role} must be {sex.value}")
    # cycles: depth-first search over parent links
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in by_id:
        if state.get(start) == 2:
            continue
        stack: list[tuple[str, list[str]]] = [(start, _parents_of(by_id[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            nxt = todo.pop()
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt):], nxt]
                raise PedigreeError(f"individual {nxt!r} is their own ancestor (cycle: "
                                    + " <- ".join(repr(x) for x in cycle) + ")")
            if state.get(nxt) is None:
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, _parents_of(by_id[nxt])))
    target = by_id.get(missing)
    if target is None:
        raise PedigreeError(f"the missing person {missing!r} is not in the pedigree")
    if target.profile is not None:
        raise PedigreeError(f"the missing person {missing!r} has a profile",
                            remedy="the missing person is untyped; pass the candidate's profile "
                                   "to the LR instead")


def _parents_of(person: Individual) -> list[str]:
    return [p for p in (person.father, person.mother) if p is not None]


def _coerce_profile(value: object, individual: str) -> Profile | None:
    if value is None or isinstance(value, Profile):
        return value
    if isinstance(value, str):
        return Profile.parse(value, specimen_id=individual)
    if isinstance(value, Mapping):
        if "loci" in value:
            return Profile.from_dict(value)
        return Profile.from_mapping(value, specimen_id=individual)
    raise PedigreeError(f"individual {individual!r}: cannot read a profile from "
                        f"{type(value).__name__}")


@dataclass(frozen=True, slots=True)
class Pedigree:
    """Individuals and the id of the missing person. Build with :meth:`build`,
    :meth:`from_dict` or :meth:`from_ped_lines` (all validate)."""

    individuals: tuple[Individual, ...]
    missing: str

    # --- construction ------------------------------------------------------------------------

    @classmethod
    def build(cls, individuals: Iterable[Individual], *, missing: str) -> Pedigree:
        """A validated pedigree of ``individuals`` with missing person ``missing`` (raises
        :class:`~locard.errors.PedigreeError` naming the problem)."""
        people = tuple(individuals)
        validate_pedigree(people, missing)
        return cls(people, missing)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Pedigree:
        """``{"individuals": [{"id", "father", "mother", "sex", "profile"?}], "missing": id}``.

        Parents are null, absent, "" or "0" when unknown; sex is male/female/unknown, M/F/U or
        1/2/0; a profile is a Profile JSON object, a ``{locus: alleles}`` mapping or a string
        for :meth:`Profile.parse`. A member naming a stored ``specimen`` makes it a case file
        (:mod:`locard.store.cases`), refused here.
        """
        if not isinstance(data, Mapping):
            raise PedigreeError("a pedigree must be a JSON object")
        raw = data.get("individuals")
        if not isinstance(raw, list):
            raise PedigreeError("a pedigree needs an 'individuals' list")
        missing = data.get("missing")
        if not isinstance(missing, str):
            raise PedigreeError("a pedigree needs 'missing': the id of the missing person")
        linked = [str(e.get("id")) for e in raw
                  if isinstance(e, Mapping) and e.get("specimen") is not None]
        if linked:
            # a case file: its relatives' profiles are in a database, not inline; read as a
            # pedigree it would leave them silently untyped
            raise PedigreeError(
                f"a case file (members {', '.join(linked)} name stored specimens), not a "
                "pedigree with inline profiles",
                remedy="register it with `locard case add CASE_REF --pedigree FILE`, then "
                       "identify by CASE_REF")
        people: list[Individual] = []
        for k, entry in enumerate(raw):
            if not isinstance(entry, Mapping) or "id" not in entry:
                raise PedigreeError(f"individual {k + 1}: expected an object with an 'id'")
            pid = str(entry["id"]).strip()
            people.append(Individual(
                id=pid, father=_parent(entry.get("father")), mother=_parent(entry.get("mother")),
                sex=parse_sex(entry.get("sex"), individual=pid),
                profile=_coerce_profile(entry.get("profile"), pid)))
        return cls.build(people, missing=missing)

    @classmethod
    def from_ped_lines(cls, lines: Iterable[str], *, missing: str,
                       profiles: Mapping[str, Profile] | None = None) -> Pedigree:
        """Parse PED text lines: ``id father mother sex`` (4 columns) or the PLINK layout
        ``family id father mother sex phenotype`` (6 columns, one family), whitespace-separated,
        0 for an unknown parent, sex 1/2/0 or M/F/U. Blank lines and ``#`` comments are skipped,
        as is a header line whose sex column reads 'sex'. ``profiles`` maps ids to profiles.
        """
        people: list[Individual] = []
        family: str | None = None
        for lineno, raw in enumerate(lines, start=1):
            text = raw.split("#", 1)[0].strip()
            if not text:
                continue
            fields = text.split()
            if len(fields) == 4:
                pid, father, mother, sex = fields
            elif len(fields) == 6:
                fam, pid, father, mother, sex, _ = fields
                if sex.lower() == "sex":
                    continue  # header
                if family is None:
                    family = fam
                elif fam != family:
                    raise PedigreeError(f"line {lineno}: family {fam!r} differs from {family!r}",
                                        remedy="give one family per pedigree")
            else:
                raise PedigreeError(f"line {lineno}: {len(fields)} columns; expected 4 (id father "
                                    f"mother sex) or 6 (PLINK: family id father mother sex "
                                    f"phenotype)")
            if sex.lower() == "sex":
                continue  # header
            people.append(Individual(pid, _parent(father), _parent(mother),
                                     parse_sex(sex, individual=pid)))
        if profiles:
            known = {p.id for p in people}
            unknown = sorted(set(profiles) - known)
            if unknown:
                raise PedigreeError(f"profile given for {unknown[0]!r}, who is not in the pedigree")
            people = [replace(p, profile=profiles.get(p.id)) for p in people]
        return cls.build(people, missing=missing)

    # --- views ------------------------------------------------------------------------------

    def individual(self, pid: str) -> Individual:
        """The member with id ``pid`` (raises :class:`~locard.errors.PedigreeError` if absent)."""
        for person in self.individuals:
            if person.id == pid:
                return person
        raise PedigreeError(f"individual {pid!r} is not in the pedigree")

    @property
    def ids(self) -> tuple[str, ...]:
        """The members' ids, in pedigree order."""
        return tuple(p.id for p in self.individuals)

    @property
    def typed(self) -> tuple[str, ...]:
        """Ids of the individuals with a profile."""
        return tuple(p.id for p in self.individuals if p.profile is not None)

    def with_profiles(self, profiles: Mapping[str, Profile | None]) -> Pedigree:
        """The same pedigree with some profiles set or removed (validated)."""
        people = [replace(p, profile=profiles[p.id]) if p.id in profiles else p
                  for p in self.individuals]
        return Pedigree.build(people, missing=self.missing)

    def to_dict(self, *, profiles: bool = True) -> dict[str, Any]:
        """The JSON-ready form :meth:`from_dict` reads (with ``profiles=False`` each profile
        replaced by its genotype digest)."""
        people = [p.to_dict() for p in self.individuals]
        if not profiles:
            for entry, person in zip(people, self.individuals, strict=True):
                entry.pop("profile", None)
                if person.profile is not None:
                    entry["profile_digest"] = person.profile.genotype_digest()
        return {"individuals": people, "missing": self.missing}

    def parents(self) -> dict[str, tuple[str, str] | None]:
        """``{id: (father, mother)}``, None for a founder."""
        return {p.id: (p.father, p.mother) if p.father is not None and p.mother is not None
                else None for p in self.individuals}


# --- per-locus computation -------------------------------------------------------------------


def mutation_for(mutation: MutationSpec, locus: str) -> MutationModel | None:
    """The model of ``locus`` in a :data:`MutationSpec` (a mapping must name every locus)."""
    if mutation is None or isinstance(mutation, MutationModel):
        return mutation
    for key, model in mutation.items():
        if canonical_locus(key) == locus:
            return model
    raise InvalidParameter("mutation", f"no model for {locus}",
                           expected="a MutationModel for every locus computed, or one for all")


def relatives_at(pedigree: Pedigree, locus: str) -> dict[str, tuple[Allele, ...]]:
    """Genotypes of the typed relatives at ``locus`` (conclusive calls only)."""
    out: dict[str, tuple[Allele, ...]] = {}
    for person in pedigree.individuals:
        if person.profile is None:
            continue
        call = person.profile.loci.get(locus)
        if call is None or call.inconclusive or not call.alleles:
            continue
        if len(call.alleles) > 2:
            raise StatisticsError(f"{locus}: {person.id!r} has {len(call.alleles)} alleles, so "
                                  f"the profile is a mixture",
                                  remedy="pedigree likelihoods need single-source profiles")
        out[person.id] = call.alleles
    return out


def transition_matrices(universe: LocusUniverse,
                        model: MutationModel | None) -> tuple[FloatArray, FloatArray]:
    """(fathers' matrix, mothers' matrix) over ``universe`` (identity without a model)."""
    if model is None:
        eye = np.eye(universe.size)
        return eye, eye
    return (model.matrix(universe.alleles, universe.frequencies, sex="male",
                         repeat_length=universe.repeat_length),
            model.matrix(universe.alleles, universe.frequencies, sex="female",
                         repeat_length=universe.repeat_length))


@dataclass(frozen=True, slots=True, eq=False)
class LocusModel:
    """One locus ready for the network: allele ``frequencies``, the fathers' (``male``) and
    mothers' (``female``) transition matrices, the ``index`` of each allele label and the
    ``labels`` in index order (the last one ``'rest'`` when the unobserved alleles were lumped).
    Built by :func:`locus_model`; shared by :mod:`.dvi_matrix`."""

    frequencies: FloatArray
    male: FloatArray
    female: FloatArray
    index: dict[str, int]
    labels: tuple[str, ...]


Transitions = Callable[[LocusUniverse, MutationModel | None], tuple[FloatArray, FloatArray]]
"""A function giving the (fathers', mothers') matrices of a universe (:func:`transition_matrices`
or a memoised one)."""


def locus_model(universe: LocusUniverse, model: MutationModel | None,
                observed: Iterable[str], *,
                transitions: Transitions | None = None) -> LocusModel:
    """The universe lumped to the ``observed`` alleles plus one 'rest' allele where that is
    exact (:func:`._network.lump`), otherwise as it is. ``transitions``: how to get the
    mutation matrices (default :func:`transition_matrices`; DVI passes a memoised one)."""
    male, female = (transitions or transition_matrices)(universe, model)
    obs = sorted({universe.index[a] for a in observed})
    lumped = lump(universe.frequencies, [male, female], obs)
    if lumped is None:
        return LocusModel(universe.frequencies, male, female, dict(universe.index),
                          universe.labels)
    q, (m_male, m_female), mapping = lumped
    index = {universe.labels[i]: j for i, j in mapping.items()}
    labels = tuple([universe.labels[i] for i in obs] + (["rest"] if len(q) > len(obs) else []))
    return LocusModel(q, m_male, m_female, index, labels)


def genotype_indices(alleles: tuple[Allele, ...], index: Mapping[str, int]) -> tuple[int, int]:
    """The (first, last) allele of a genotype as indices of ``index`` (a homozygote gives the
    same index twice)."""
    a = index[str(alleles[0])]
    b = index[str(alleles[-1])]
    return a, b


UNRELATED = "\x00unrelated candidate"
"""Id of the extra founder standing for an unrelated candidate under Hd (with theta)."""


def pedigree_network(pedigree: Pedigree, locus: str, *, frequencies: FloatArray,
                     male: FloatArray, female: FloatArray,
                     evidence: Mapping[str, tuple[int, int]], theta: float = 0.0,
                     keep: str | None = None, unrelated: bool = False) -> FloatArray:
    """:func:`network_likelihood` on ``pedigree`` (``unrelated``: plus the founder
    :data:`UNRELATED`, for the candidate under Hd); a too-large computation is refused naming
    the missing person, the locus and theta."""
    ids: tuple[str, ...] = pedigree.ids
    parents = pedigree.parents()
    if unrelated:
        ids = (*ids, UNRELATED)
        parents[UNRELATED] = None
    try:
        return network_likelihood(ids, parents, frequencies=frequencies, male=male,
                                  female=female, evidence=evidence, keep=keep, theta=theta)
    except CombinatorialLimit as exc:
        remedy = exc.remedy
        if theta > 0 and remedy is not None and "theta 0" not in remedy:
            remedy += "; or use theta 0 (theta couples all founders)"
        raise CombinatorialLimit(
            f"pedigree of the missing person {pedigree.missing!r}, {locus}: {exc.message}",
            remedy=remedy) from exc


def _exclusion(candidate: Profile | None, locus: str, table: FrequencyTable,
               relatives: Mapping[str, tuple[Allele, ...]]) -> str | None:
    info = LOCI[locus]
    if info.kind is not LocusKind.AUTOSOMAL_STR:
        return f"not an autosomal STR ({info.kind.value})"
    if candidate is not None:
        call = candidate.loci.get(locus)
        if call is None:
            return "not typed in the candidate"
        if call.inconclusive or not call.alleles:
            return "inconclusive call in the candidate"
    if not table.has_locus(locus):
        return f"no frequencies in table {table.name}"
    if not relatives:
        return "no relative typed (no kinship information)"
    return None


def pedigree_likelihood(
    pedigree: Pedigree,
    locus: str,
    table: FrequencyTable,
    *,
    candidate: Profile | None = None,
    mutation: MutationSpec = None,
    extra_alleles: Iterable[Allele | str] = (),
    min_frequency: float | None = None,
    theta: float = 0.0,
) -> float:
    """Likelihood of the typed genotypes at ``locus`` (the candidate's as the missing person's,
    if given): the sum over all genotypes of the untyped people, exact; ``theta``: the founders'
    alleles one Balding-Nichols draw (0: Hardy-Weinberg).

    The allele distribution is :func:`locus_universe` over the table's alleles, the typed ones
    and ``extra_alleles`` (``min_frequency``: the floor for absent alleles, 0 for none).
    """
    locus = canonical_locus(locus)
    check_theta(theta)
    relatives = relatives_at(pedigree, locus)
    cand: tuple[Allele, ...] = ()
    if candidate is not None:
        call = candidate.loci.get(locus)
        if call is None or call.inconclusive or not call.alleles:
            raise StatisticsError(f"{locus}: the candidate is not typed here")
        if len(call.alleles) > 2:
            raise StatisticsError(f"{locus}: the candidate has {len(call.alleles)} alleles "
                                  f"(a mixture)")
        cand = call.alleles
    universe = locus_universe(table, locus,
                              typed_alleles=[a for g in relatives.values() for a in g],
                              extra_alleles=[*cand, *extra_alleles],
                              min_frequency=min_frequency)
    observed = [str(a) for g in relatives.values() for a in g] + [str(a) for a in cand]
    lm = locus_model(universe, mutation_for(mutation, locus), observed)
    evidence = {pid: genotype_indices(g, lm.index) for pid, g in relatives.items()}
    if cand:
        evidence[pedigree.missing] = genotype_indices(cand, lm.index)
    if theta > 0:
        return float(pedigree_network(pedigree, locus, frequencies=lm.frequencies, male=lm.male,
                                      female=lm.female, evidence=evidence, theta=theta))
    return float(network_likelihood(pedigree.ids, pedigree.parents(),
                                    frequencies=lm.frequencies, male=lm.male, female=lm.female,
                                    evidence=evidence))


def _locus_lr(pedigree: Pedigree, candidate: Profile, locus: str, table: FrequencyTable,
              relatives: Mapping[str, tuple[Allele, ...]],
              model: MutationModel | None,
              min_frequency: float | None,
              theta: float = 0.0) -> tuple[LocusKinshipLR, str | None]:
    cand = candidate.loci[locus].alleles
    if len(cand) > 2:
        raise StatisticsError(f"{locus}: the candidate has {len(cand)} alleles, so the profile "
                              f"is a mixture", remedy="kinship statistics are for single-source "
                                                      "profiles")
    universe = locus_universe(table, locus,
                              typed_alleles=[a for g in relatives.values() for a in g],
                              extra_alleles=cand, min_frequency=min_frequency)
    observed = [str(a) for g in relatives.values() for a in g] + [str(a) for a in cand]
    lm = locus_model(universe, model, observed)
    evidence = {pid: genotype_indices(g, lm.index) for pid, g in relatives.items()}
    if theta > 0:
        return _locus_lr_theta(pedigree, locus, cand, relatives, lm, evidence, observed,
                               theta), universe.renormalised
    parents = pedigree.parents()
    without = float(network_likelihood(pedigree.ids, parents, frequencies=lm.frequencies,
                                       male=lm.male, female=lm.female, evidence=evidence))
    if without <= 0:
        raise StatisticsError(
            f"{locus}: the relatives' genotypes are impossible on this pedigree "
            f"(likelihood 0)", remedy="check the pedigree and profiles, or allow mutation")
    a, b = genotype_indices(cand, lm.index)
    with_candidate = float(network_likelihood(
        pedigree.ids, parents, frequencies=lm.frequencies, male=lm.male, female=lm.female,
        evidence={**evidence, pedigree.missing: (a, b)}))
    q = lm.frequencies
    p_candidate = float(q[a] * q[a]) if a == b else float(2.0 * q[a] * q[b])
    hd = without * p_candidate
    lr = with_candidate / hd
    genotypes = {pid: g for pid, g in relatives.items()}
    genotypes[f"candidate ({pedigree.missing})"] = cand
    freqs = {label: float(q[lm.index[label]]) for label in dict.fromkeys(observed)}
    return LocusKinshipLR(locus, lr, with_candidate, hd, genotypes, freqs), universe.renormalised


def _locus_lr_theta(pedigree: Pedigree, locus: str, cand: tuple[Allele, ...],
                    relatives: Mapping[str, tuple[Allele, ...]], lm: LocusModel,
                    evidence: dict[str, tuple[int, int]], observed: Sequence[str],
                    theta: float) -> LocusKinshipLR:
    """One locus with theta: Hp = L(relatives, C as the missing person), Hd = L(relatives, C as
    an unrelated founder), both with every founder allele in one Balding-Nichols draw."""
    def likelihood(ev: Mapping[str, tuple[int, int]], *, unrelated: bool = False) -> float:
        return float(pedigree_network(pedigree, locus, frequencies=lm.frequencies, male=lm.male,
                                      female=lm.female, evidence=ev, theta=theta,
                                      unrelated=unrelated))

    without = likelihood(evidence)
    if without <= 0:
        raise StatisticsError(
            f"{locus}: the relatives' genotypes are impossible on this pedigree "
            f"(likelihood 0)", remedy="check the pedigree and profiles, or allow mutation")
    a, b = genotype_indices(cand, lm.index)
    hp = likelihood({**evidence, pedigree.missing: (a, b)})
    hd = likelihood({**evidence, UNRELATED: (a, b)}, unrelated=True)
    genotypes = {pid: g for pid, g in relatives.items()}
    genotypes[f"candidate ({pedigree.missing})"] = cand
    q = lm.frequencies
    freqs = {label: float(q[lm.index[label]]) for label in dict.fromkeys(observed)}
    return LocusKinshipLR(locus, hp / hd, hp, hd, genotypes, freqs)


def missing_person_lr(
    pedigree: Pedigree,
    candidate: Profile,
    table: FrequencyTable,
    *,
    mutation: MutationSpec = None,
    loci: Iterable[str] | None = None,
    min_frequency: float | None = None,
    theta: float = 0.0,
) -> KinshipLR:
    """LR that ``candidate`` is the pedigree's missing person versus an unrelated person:
    per locus ``L(relatives, candidate as missing) / (L(relatives) P(candidate))``, the total
    the product (see the module docstring). ``mutation`` is None (no mutation), one
    :class:`MutationModel`, or a mapping locus -> model (:class:`MutationRates` with its
    sources). ``min_frequency``: the frequency of an allele absent from the table (default the
    table's minimum, 5/2N; 0: the table as given, an absent allele refused). ``theta``: the
    coancestry of the Balding-Nichols draw of all founder alleles, the unrelated candidate's
    included under Hd (module docstring; 0, the default, is Hardy-Weinberg).

    Loci (of ``loci``, or of the candidate and the relatives) where the candidate or every relative
    is untyped, that the table lacks, or that are not autosomal STRs go to ``excluded``.
    Raises :class:`StatisticsError` for a mixture or for relatives whose genotypes are impossible
    on the pedigree at some locus, :class:`CombinatorialLimit` when theta's joint founder table
    would be too large.
    """
    check_theta(theta)
    if loci is not None:
        wanted = [canonical_locus(x) for x in loci]
    else:
        seen: set[str] = set(candidate.loci)
        for person in pedigree.individuals:
            if person.profile is not None:
                seen.update(person.profile.loci)
        wanted = sorted(seen, key=locus_sort_key)
    min_frequency = check_min_frequency(min_frequency)
    per_locus: dict[str, LocusKinshipLR] = {}
    excluded: dict[str, str] = {}
    renormalised: dict[str, str] = {}
    for locus in dict.fromkeys(wanted):
        relatives = (relatives_at(pedigree, locus)
                     if LOCI[locus].kind is LocusKind.AUTOSOMAL_STR else {})
        reason = _exclusion(candidate, locus, table, relatives)
        if reason is not None:
            excluded[locus] = reason
            continue
        model = mutation_for(mutation, locus)
        per_locus[locus], why = _locus_lr(pedigree, candidate, locus, table, relatives, model,
                                          min_frequency, theta)
        if why is not None:
            renormalised[locus] = why
    total = math.prod(v.lr for v in per_locus.values())
    provenance = make_provenance(
        "missing_person_lr",
        parameters={"theta": float(theta), **mutation_provenance(mutation, per_locus),
                    "loci": list(per_locus),
                    "min_frequency": (min_frequency if min_frequency is not None
                                      else table.min_frequency),
                    "pedigree": pedigree.to_dict(profiles=False)},
        tables=table,
        specimen_id=candidate.specimen_id,
        candidate_digest=candidate.genotype_digest(),
    )
    who = candidate.specimen_id or "the candidate"
    hypotheses = {"hp": f"{who} is the missing person {pedigree.missing!r} of the pedigree",
                  "hd": f"{who} is unrelated to the pedigree"}
    return KinshipLR(total, per_locus, excluded, hypotheses, provenance, renormalised)
