"""A Familias ``.fam`` case as Locard's kinship objects: a :class:`Pedigree` (one hypothesis of
the file, with the missing person named), the file's allele database as a
:class:`FrequencyTable`, and its per-locus mutation models as :class:`MutationRates`.

:mod:`locard.formats.familias` parses the file; this module (beside :mod:`locard.tables`, as it
joins formats and statistics) builds the objects:

- the pedigree is the hypothesis named (``hypothesis=``), or else the only one in which the
  missing person has a parent or a child; the missing person's profile in the file, if typed,
  becomes the candidate (so ``kinship pedigree case.fam --missing AF`` is Familias' H1 versus
  "AF unrelated");
- the table is the database as listed (no sample sizes: Familias files give none, so an allele
  absent from it needs an explicit floor, ``min_frequency``), named ``FILE:DATABASE``;
- the mutation models: Familias' codes 0 equal, 1 proportional, 2 stepwise (unstationary) and
  4 extended stepwise map to Locard's models of those names (:mod:`locard.stats.kinship.mutation`),
  with the file's female and male rates; Locard has one model, range and rate2 for both sexes, so
  a locus where the file gives the sexes different ones (with both rates above 0) is refused, as
  is code 3 (stationary stepwise), naming the line; the command-line options override the
  file's models (``--mutation-model``);
- theta: the file's ``Theta/Kinship/Fst``.

A file with a ``[DVI]`` section (:func:`load_familias_dvi`) gives a DVI instead: the unidentified
persons as victims (their ``Gender`` as declared sexes), and each reference family as a
:class:`DVIFamily` whose missing persons are the untyped members named ``Missing...`` (dvir's
``familias2dvir`` convention, ``missing_prefix``). A family's pedigree is its only one, or the
one not named ``Reference pedigree`` when Familias wrote the same relations twice (as it
does); a parent of undeclared sex takes the sex opposite their co-parent's, and a child with one
parent listed gets an untyped other parent ``added_k``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from locard.errors import FileFormatError, InputError, PedigreeError
from locard.formats.familias import (
    FamiliasDVIFamily,
    FamiliasFile,
    FamiliasLocus,
    FamiliasPedigree,
    read_familias_file,
)
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship.dvi_matrix import DVIFamily
from locard.stats.kinship.mutation import MutationModel, MutationRates
from locard.stats.kinship.pedigree import Individual, Pedigree, Sex, parse_sex

__all__ = [
    "FamiliasCase",
    "FamiliasDVICase",
    "familias_dvi_family",
    "familias_mutation",
    "familias_pedigree",
    "familias_table",
    "load_familias_case",
    "load_familias_dvi",
]


@dataclass(frozen=True, slots=True)
class FamiliasCase:
    """What a ``.fam`` file gives a missing-person LR: the pedigree of one hypothesis (the
    missing person untyped), the missing person's profile in the file (None if untyped), the
    table, the mutation models (None: the file has no mutation, or they were not asked for),
    theta, and the parsed file."""

    file: FamiliasFile
    hypothesis: str
    pedigree: Pedigree
    candidate: Profile | None
    table: FrequencyTable
    mutation: MutationRates | None
    theta: float


def familias_table(fam: FamiliasFile) -> FrequencyTable:
    """The file's allele database as a table named ``FILE:DATABASE``, alleles as listed, no
    sample sizes."""
    stem = Path(fam.path).stem
    population = fam.database or stem
    try:
        return FrequencyTable.from_mapping(
            {loc.locus: dict(zip(loc.alleles, loc.frequencies, strict=True)) for loc in fam.loci},
            name=f"{stem}:{population}", population=population,
            source=f"{Path(fam.path).name} (Familias {fam.version}; sha256 {fam.sha256})")
    except InputError as exc:
        raise FileFormatError(exc.message, path=fam.path, remedy=exc.remedy) from exc


def _locus_model(fam: FamiliasFile, loc: FamiliasLocus) -> MutationModel:
    source = f"{Path(fam.path).name} (Familias)"
    rates = {"female": loc.female_rate, "male": loc.male_rate}
    models = {"female": loc.female_model, "male": loc.male_model}
    ranges = {"female": loc.female_range, "male": loc.male_range}
    rate2 = {"female": loc.female_rate2, "male": loc.male_rate2}
    active = [s for s in ("male", "female") if rates[s] > 0 or rate2[s] > 0] or ["male"]
    for what, values in (("model", models), ("range", ranges), ("rate2", rate2)):
        if len({values[s] for s in active}) > 1:
            raise FileFormatError(
                f"{loc.locus}: the female {what} {values['female']!r} differs from the male "
                f"{what} {values['male']!r}; Locard has one {what} for both sexes",
                path=fam.path, line=loc.line,
                remedy="choose a model for all loci (--mutation-model), or make the sexes' "
                       f"{what} equal in Familias")
    model, step_range, second = (models[active[0]], ranges[active[0]], rate2[active[0]])
    if model == "stepwise-stationary":
        raise FileFormatError(
            f"{loc.locus}: mutation model code 3 (stationary stepwise), which Locard does not "
            "have", path=fam.path, line=loc.line,
            remedy="choose a model (--mutation-model stepwise or extended-stepwise)")
    if step_range <= 0:
        step_range = 0.1  # unused outside the stepwise models, where Familias requires > 0
    return MutationModel(model, female_rate=loc.female_rate, male_rate=loc.male_rate,
                         rate2=second, range=step_range, rate_source=source)


def familias_mutation(fam: FamiliasFile) -> MutationRates | None:
    """The file's per-locus mutation models with their source (None when every rate is 0)."""
    if all(loc.female_rate == loc.male_rate == loc.female_rate2 == loc.male_rate2 == 0
           for loc in fam.loci):
        return None
    models = {loc.locus: _locus_model(fam, loc) for loc in fam.loci}
    table = {"name": Path(fam.path).name, "sha256": fam.sha256,
             "citation": f"mutation models of the Familias {fam.version} file "
                         f"{Path(fam.path).name}"}
    return MutationRates(models, (table,))


def _chosen(fam: FamiliasFile, missing: str, hypothesis: str | None) -> FamiliasPedigree:
    if hypothesis is not None:
        return fam.pedigree(hypothesis)
    names = ", ".join(repr(p.name) for p in fam.pedigrees)
    related = [p for p in fam.pedigrees
               if missing in p.parents or any(missing in pair for pair in p.parents.values())]
    if len(related) == 1:
        return related[0]
    if not related and len(fam.pedigrees) == 1:
        return fam.pedigrees[0]
    why = ("in several pedigrees" if related else "in no pedigree")
    raise PedigreeError(f"{fam.path}: the missing person {missing!r} has relatives {why} "
                        f"(pedigrees: {names})", remedy="name the pedigree (--hypothesis NAME)")


def familias_pedigree(fam: FamiliasFile, *, missing: str,
                      hypothesis: str | None = None) -> tuple[Pedigree, Profile | None, str]:
    """(the pedigree, the missing person's profile in the file or None, the hypothesis' name):
    the hypothesis named, or the only one where ``missing`` has a parent or a child."""
    chosen = _chosen(fam, missing, hypothesis)
    if missing not in {p.id for p in chosen.persons}:
        known = ", ".join(repr(p.id) for p in fam.persons)
        raise PedigreeError(f"{fam.path}: no person {missing!r} (persons: {known})",
                            remedy="name the missing person (--missing ID)")
    candidate: Profile | None = None
    people = []
    for person in chosen.persons:
        profile = person.profile
        if person.id == missing:
            candidate, profile = profile, None
        father, mother = chosen.parents.get(person.id, (None, None))
        people.append(Individual(person.id, father, mother,
                                 parse_sex(person.sex, individual=person.id), profile))
    try:
        pedigree = Pedigree.build(people, missing=missing)
    except PedigreeError as exc:
        raise PedigreeError(f"{fam.path}: pedigree {chosen.name!r}: {exc.message}",
                            remedy=exc.remedy) from exc
    return pedigree, candidate, chosen.name


def load_familias_case(path: str | Path, *, missing: str, hypothesis: str | None = None,
                       mutation: bool = True) -> FamiliasCase:
    """Read ``path`` and build the case (module docstring); ``mutation=False`` skips the file's
    mutation models (when the caller chooses its own)."""
    fam = read_familias_file(path)
    pedigree, candidate, name = familias_pedigree(fam, missing=missing, hypothesis=hypothesis)
    return FamiliasCase(fam, name, pedigree, candidate, familias_table(fam),
                        familias_mutation(fam) if mutation else None, fam.theta)


# --- the [DVI] section -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FamiliasDVICase:
    """What a ``.fam`` file's ``[DVI]`` section gives :func:`locard.stats.kinship.dvi.dvi`: the
    victims (profiles named as in the file), their declared sexes, the reference families, the
    table, the mutation models (None: none in the file, or not asked for), theta, the file."""

    file: FamiliasFile
    victims: tuple[Profile, ...]
    victim_sex: dict[str, str]
    families: dict[str, DVIFamily]
    table: FrequencyTable
    mutation: MutationRates | None
    theta: float


def _family_pairs(fam: FamiliasFile, family: FamiliasDVIFamily) -> tuple[tuple[str, str], ...]:
    peds = list(family.pedigrees)
    if len(peds) > 1:
        others = [p for p in peds if p[0] != "Reference pedigree"]
        if len(others) == 1 and all(set(p[1]) == set(others[0][1]) for p in peds):
            peds = others
    if len(peds) != 1:
        names = ", ".join(repr(p[0]) for p in family.pedigrees) or "none"
        raise PedigreeError(f"{fam.path}: DVI family {family.name!r} has {len(peds)} different "
                            f"pedigrees ({names})",
                            remedy="keep one pedigree per reference family in Familias")
    return peds[0][1]


def familias_dvi_family(fam: FamiliasFile, family: FamiliasDVIFamily, *,
                        missing_prefix: str = "Missing") -> DVIFamily:
    """One reference family of the ``[DVI]`` section as a :class:`DVIFamily` (module
    docstring)."""
    where = f"{fam.path}: DVI family {family.name!r}"
    pairs = _family_pairs(fam, family)
    sex = {p.id: parse_sex(p.sex, individual=p.id) for p in family.persons}
    profiles = {p.id: p.profile for p in family.persons}
    order = [p.id for p in family.persons]
    for parent, child in pairs:
        for pid in (parent, child):
            if pid not in sex:
                sex[pid] = Sex.UNKNOWN
                order.append(pid)
    parents: dict[str, list[str]] = {}
    for parent, child in pairs:
        parents.setdefault(child, []).append(parent)
    for child, listed in parents.items():
        if len(listed) > 2 or len(set(listed)) != len(listed):
            raise PedigreeError(f"{where}: {child!r} has parents {', '.join(listed)}",
                                remedy="give each child at most one father and one mother")
        if len(listed) == 2:
            a, b = listed
            for x, y in ((a, b), (b, a)):
                if sex[x] is Sex.UNKNOWN and sex[y] is not Sex.UNKNOWN:
                    sex[x] = Sex.FEMALE if sex[y] is Sex.MALE else Sex.MALE
    added = 0
    people_parents: dict[str, tuple[str, str]] = {}
    for child, listed in parents.items():
        if len(listed) == 1:
            added += 1
            other = f"added_{added}"
            order.append(other)
            if sex[listed[0]] is Sex.UNKNOWN:
                raise PedigreeError(f"{where}: the sex of {listed[0]!r}, the only parent given "
                                    f"for {child!r}, is not declared",
                                    remedy="declare the gender of the person in Familias")
            sex[other] = Sex.FEMALE if sex[listed[0]] is Sex.MALE else Sex.MALE
            listed = [*listed, other]
        father = next((x for x in listed if sex[x] is Sex.MALE), None)
        mother = next((x for x in listed if sex[x] is Sex.FEMALE), None)
        if father is None or mother is None:
            raise PedigreeError(f"{where}: the parents of {child!r} ({', '.join(listed)}) are "
                                "not one male and one female",
                                remedy="declare the parents' genders in Familias")
        people_parents[child] = (father, mother)
    missing = [pid for pid in order if pid.startswith(missing_prefix)]
    if not missing:
        raise PedigreeError(f"{where}: no missing person (no member named "
                            f"{missing_prefix!r}...)",
                            remedy="name the missing persons 'Missing ...' in Familias")
    people = []
    for pid in order:
        father, mother = people_parents.get(pid, (None, None))
        people.append(Individual(pid, father, mother, sex[pid], profiles.get(pid)))
    try:
        pedigree = Pedigree.build(people, missing=missing[0])
        return DVIFamily.build(pedigree, missing)
    except PedigreeError as exc:
        raise PedigreeError(f"{where}: {exc.message}", remedy=exc.remedy) from exc


def load_familias_dvi(path: str | Path, *, mutation: bool = True,
                      missing_prefix: str = "Missing") -> FamiliasDVICase:
    """Read the ``[DVI]`` section of ``path`` (module docstring); ``mutation=False`` skips the
    file's mutation models (when the caller chooses its own). A file without one is refused."""
    fam = read_familias_file(path)
    if fam.dvi is None:
        raise FileFormatError("the file has no [DVI] section", path=fam.path,
                              remedy="give victims and families in a DVI .fam file, or as "
                                     "profile and JSON files")
    victims = tuple(p.profile if p.profile is not None else Profile.from_mapping(
        {}, specimen_id=p.id) for p in fam.dvi.unidentified)
    declared = {p.id: p.sex for p in fam.dvi.unidentified if p.sex != "unknown"}
    families: dict[str, DVIFamily] = {}
    for family in fam.dvi.families:
        if family.name in families:
            raise FileFormatError(f"DVI family {family.name!r} is listed twice", path=fam.path,
                                  line=family.line)
        families[family.name] = familias_dvi_family(fam, family, missing_prefix=missing_prefix)
    return FamiliasDVICase(fam, victims, declared, families, familias_table(fam),
                           familias_mutation(fam) if mutation else None, fam.theta)
