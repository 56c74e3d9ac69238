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
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from locard.errors import FileFormatError, InputError, PedigreeError
from locard.formats.familias import (
    FamiliasFile,
    FamiliasLocus,
    FamiliasPedigree,
    read_familias_file,
)
from locard.genetics.profiles import Profile
from locard.stats.frequencies import FrequencyTable
from locard.stats.kinship.mutation import MutationModel, MutationRates
from locard.stats.kinship.pedigree import Individual, Pedigree, parse_sex

__all__ = [
    "FamiliasCase",
    "familias_mutation",
    "familias_pedigree",
    "familias_table",
    "load_familias_case",
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
