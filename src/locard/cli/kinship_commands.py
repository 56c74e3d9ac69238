"""``locard kinship lr``, ``locard kinship pedigree`` and ``locard dvi``.

Relatives' reference profiles are compared only with missing persons and unidentified human
remains; these commands work on the files they are given (the store's ``identify`` will enforce
the rule for database searches).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from locard.cli.common import console, naming_file, print_json, read_single_profile
from locard.cli.options import JsonOption
from locard.errors import InputError, InvalidParameter, PedigreeError
from locard.genetics.profiles import Profile
from locard.stats.kinship import (
    MUTATION_MODELS,
    Individual,
    KinshipLR,
    MutationModel,
    MutationRates,
    MutationSpec,
    Pedigree,
    Sex,
    kinship_lr,
    missing_person_lr,
    resolve_relationship,
)
from locard.stats.kinship.dvi import (
    DEFAULT_EXCLUSION_THRESHOLD,
    DEFAULT_MAX_ASSIGNMENTS,
    DEFAULT_UNDISPUTED_THRESHOLD,
    DVIFamily,
    DVIResult,
    dvi,
)

#: this module's top-level commands (cli/app.py adds them to `locard`)
commands = typer.Typer()

kinship_app = typer.Typer(
    help="Kinship statistics: relationship LRs and missing-person LRs on a pedigree.",
    no_args_is_help=True)

DEFAULT_TABLE = "NIST1036:ALL"
MUTATION_HELP = (
    "Mutation model: stepwise (default: range 0.1, rate2 1e-6, so a one-step mismatch does not "
    "exclude a true relative), extended-stepwise, equal, proportional, or none. Rates per "
    "locus from the bundled published table (NIST STRBase, pooled over both parents; the "
    "pooled rate for loci it lacks), unless --mutation-rates gives a lab's own.")
FREQ_HELP = "Table: a bundled name (NIST1036:Cauc) or FILE[:POPULATION]."
MIN_FREQ_HELP = (
    "Frequency of an allele absent from the table (default: the table's minimum, NRC II "
    "5/2N; needed for a table without sample sizes). 0: the table as given, no floor (an "
    "absent allele is refused). Listed alleles are always used as listed; a locus with an "
    "absent allele is renormalised and reported.")
THETA_HELP = (
    "Coancestry theta (Balding-Nichols; default 0: Hardy-Weinberg). Every founder allele, "
    "typed or untyped, and the unrelated candidate's under Hd are one draw from the "
    "subpopulation (pedprobr's theta). A pedigree with many untyped founders may be refused: "
    "type a founder, or use 0.")


def _mutation(name: str) -> MutationModel | None:
    key = name.strip().lower()
    if key == "none":
        return None
    if key not in MUTATION_MODELS:
        raise InvalidParameter("--mutation-model", name,
                               expected="one of " + ", ".join((*MUTATION_MODELS, "none")))
    return MutationModel(key)


def _read_all(path: str) -> list[Profile]:
    from locard.formats import read_profiles

    result = read_profiles(Path(path))
    if result.problems:
        raise InputError("\n".join(str(p) for p in result.problems))
    return [r.profile for r in result.records]


def _load_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc


def _lr_table(result: KinshipLR, title: str) -> None:
    table = Table(title=title)
    table.add_column("locus")
    table.add_column("genotypes")
    table.add_column("LR", justify="right")
    for locus, lp in result.per_locus.items():
        genotypes = "  ".join(f"{who}: {'/'.join(str(a) for a in g)}"
                              for who, g in lp.genotypes.items())
        table.add_row(locus, genotypes, f"{lp.lr:.4g}")
    console.print(table)
    for locus, reason in result.excluded.items():
        console.print(f"  excluded {locus}: {reason}")
    for locus, why in result.renormalised.items():
        console.print(f"  {locus}: {why}")
    console.print(f"Hp: {result.hypotheses['hp']}")
    console.print(f"Hd: {result.hypotheses['hd']}")
    console.print(f"LR = {result.lr:.4g}   (log10 LR = {result.log10_lr:.3f})")


RATES_HELP = ("CSV of per-locus mutation rates (locus,female_rate,male_rate[,model,range,"
              "rate2]; '#' lines for the citation); other loci keep the bundled rates.")

#: options shared by the kinship commands (identify too): the rate file, the frequency floor,
#: and for the commands that read Familias files the table and model with the file's default
MutationRatesOption = Annotated[str | None, typer.Option("--mutation-rates", help=RATES_HELP)]
MinFrequencyOption = Annotated[float | None,
                               typer.Option("--min-frequency", help=MIN_FREQ_HELP)]
FamFrequenciesOption = Annotated[str | None, typer.Option(
    "--frequencies", "-f",
    help=FREQ_HELP + f" Default {DEFAULT_TABLE}, or a .fam file's database.")]
FamMutationModelOption = Annotated[str | None, typer.Option(
    "--mutation-model", help=MUTATION_HELP + " Default stepwise, or a .fam file's models.")]


@dataclass(frozen=True, slots=True)
class MutationChoice:
    """What --mutation-model and --mutation-rates resolve to: the specification passed to the
    statistics, the model's name, a line for people, and the rate file's identity."""

    spec: MutationSpec
    model: str | None
    label: str
    rates: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The choice as results record it: the model's name and the rate file's identity."""
        return {"mutation_model": self.model, "mutation_rates": self.rates}


def _rate_table(table: Any) -> dict[str, Any]:
    """The identity of a rate file, as results record it."""
    return {"name": table.name, "sha256": table.sha256,
            "citation": table.note("source") or "; ".join(table.notes)}


def mutation_choice(name: str, rates_file: str | None = None) -> MutationChoice:
    """The mutation specification of a command: the model with per-locus rates from the
    bundled published table (the pooled rate where it lacks a locus), and with a lab's rate
    file the loci it lists replaced."""
    from locard.reference import bundled_mutation_rates, read_mutation_rates

    base = _mutation(name)
    if base is None:
        if rates_file is not None:
            raise InvalidParameter("--mutation-rates", rates_file,
                                   expected="a mutation model to apply them to (not 'none')")
        return MutationChoice(None, None, "no mutation")
    from locard.reference import default_mutation_rates

    bundled = bundled_mutation_rates()
    spec: MutationRates = default_mutation_rates(base.model)
    if rates_file is None:
        rates = {"file": bundled.name, "sha256": bundled.sha256, "loci": sorted(bundled.rates),
                 "default_rate": bundled.default_rate, "notes": list(bundled.notes)}
        label = (f"{base.model} mutation, per-locus rates of {bundled.name} (sha256 "
                 f"{bundled.sha256[:12]}..., {len(bundled.rates)} loci; pooled rate "
                 f"{bundled.default_rate:.3g} elsewhere)")
        return MutationChoice(spec, base.model, label, rates)
    table = read_mutation_rates(rates_file)
    spec = spec.override({k: asdict(v) for k, v in table.rates.items()},
                         table=_rate_table(table))
    rates = {"file": Path(rates_file).name, "sha256": table.sha256,
             "loci": sorted(table.rates), "notes": list(table.notes)}
    label = (f"{base.model} mutation, per-locus rates for {len(table.rates)} loci from "
             f"{rates['file']} (sha256 {table.sha256[:12]}...), {bundled.name} elsewhere")
    return MutationChoice(spec, base.model, label, rates)


def _describe(table_spec: str, mutation: str, theta: float | None) -> str:
    theta_text = "" if theta is None else f", theta = {theta:g}"
    return f"[dim]table {table_spec}; {mutation}{theta_text}[/dim]"


def _parent_child(parent: Profile, child: Profile, table: Any,
                  mutation: MutationSpec, min_frequency: float | None,
                  theta: float = 0.0) -> KinshipLR:
    """Parent-child with mutation: a pedigree with the parent typed and the child as the
    candidate; the parent's sex from Amelogenin (a father when untyped: the higher rate)."""
    father = parent.sex != "female"
    other = Individual("other parent", None, None, Sex.FEMALE if father else Sex.MALE)
    typed = Individual("parent", None, None, Sex.MALE if father else Sex.FEMALE,
                       parent.with_specimen_id(parent.specimen_id or "parent"))
    dad, mum = ("parent", "other parent") if father else ("other parent", "parent")
    pedigree = Pedigree.build([typed, other, Individual("child", dad, mum, Sex.UNKNOWN)],
                              missing="child")
    return missing_person_lr(pedigree, child, table, mutation=mutation,
                             min_frequency=min_frequency, theta=theta)


@kinship_app.command("lr")
def kinship_lr_command(
    profile1: str = typer.Argument(..., help="First profile file (JSON, CSV, CMF, ...) or '-'."),
    profile2: str = typer.Argument(..., help="Second profile file."),
    relationship: str = typer.Option(
        ..., "--relationship", "-r",
        help="parent-child, full-siblings, half-siblings, grandparent-grandchild, avuncular, "
             "first-cousins, identical or unrelated."),
    frequencies: str = typer.Option(DEFAULT_TABLE, "--frequencies", "-f", help=FREQ_HELP),
    theta: float = typer.Option(0.0, "--theta",
                                help="Coancestry (Balding-Nichols): the pairwise formula, or "
                                     "the parent-child pedigree with mutation."),
    mutation_model: str = typer.Option("stepwise", "--mutation-model", help=MUTATION_HELP),
    mutation_rates: MutationRatesOption = None,
    min_frequency: MinFrequencyOption = None,
    specimen1: str | None = typer.Option(None, "--specimen1", help="Pick one specimen of "
                                                                   "PROFILE1."),
    specimen2: str | None = typer.Option(None, "--specimen2", help="Pick one specimen of "
                                                                   "PROFILE2."),
    as_json: JsonOption = False,
) -> None:
    """LR that two profiles are related as stated versus unrelated, per locus.

    The mutation model matters only where the relationship always shares an allele IBD
    (parent-child): that case is computed on a pedigree (the first profile the parent, its sex
    from Amelogenin, a father when untyped; theta as in ``kinship pedigree``, equal to the
    pairwise formula without mutation). Other relationships use the pairwise kappa formula,
    where a mismatch never excludes.
    """
    from locard.reference import load_frequency_table

    name, kappa = resolve_relationship(relationship)
    choice = mutation_choice(mutation_model, mutation_rates)
    mutation = choice.spec
    a = read_single_profile(profile1, specimen=specimen1)
    b = read_single_profile(profile2, specimen=specimen2)
    tab = load_frequency_table(frequencies)
    if kappa.k0 == 0 and kappa.k1 == 1 and mutation is not None:
        result = _parent_child(a, b, tab, mutation, min_frequency, theta)
        used: MutationChoice | None = choice
    else:
        result = kinship_lr(a, b, name, tab, theta=theta, min_frequency=min_frequency)
        used = None
    if as_json:
        print_json({"relationship": name,
                    **(used.to_dict() if used else {"mutation_model": None}),
                    **result.to_dict()})
        return
    _lr_table(result, f"Kinship LR: {name}")
    console.print(_describe(frequencies, used.label if used else "no mutation", theta))


def _read_pedigree(path: str, *, missing: str | None, profiles: str | None) -> Pedigree:
    text = Path(path).read_text(encoding="utf-8-sig")
    if text.lstrip().startswith("{"):
        data = _load_json(path)
        if missing is not None:
            data = {**data, "missing": missing}
        with naming_file(path):
            pedigree = Pedigree.from_dict(data)
        if profiles is not None:
            pedigree = pedigree.with_profiles(_profiles_by_id(profiles))
        return pedigree
    if missing is None:
        raise PedigreeError(f"{path}: a PED file needs --missing ID (the missing person)")
    return Pedigree.from_ped_lines(text.splitlines(), missing=missing,
                                   profiles=_profiles_by_id(profiles) if profiles else None)


def _profiles_by_id(path: str) -> dict[str, Profile]:
    out: dict[str, Profile] = {}
    for p in _read_all(path):
        if not p.specimen_id:
            raise InputError(f"{path}: a profile without a specimen id",
                             remedy="the specimen id must be the individual's id")
        out[p.specimen_id] = p
    return out


@kinship_app.command("pedigree")
def kinship_pedigree_command(
    pedigree_file: str = typer.Argument(
        ..., metavar="PEDIGREE",
        help='JSON {"individuals": [...], "missing": id} with inline profiles, a PED file '
             "(id father mother sex) with --profiles, or a Familias .fam file (its pedigree, "
             "profiles, database and mutation models; the options below override them)."),
    candidate: str | None = typer.Option(
        None, "--candidate",
        help="The candidate's profile file (a .fam file: default the missing person's profile "
             "in it)."),
    candidate_specimen: str | None = typer.Option(None, "--specimen",
                                                  help="Pick one specimen of the candidate file."),
    profiles: str | None = typer.Option(
        None, "--profiles", help="Relatives' profiles (CSV/JSON...), specimen id = individual id."),
    missing: str | None = typer.Option(None, "--missing", help="The missing person's id."),
    hypothesis: str | None = typer.Option(
        None, "--hypothesis",
        help="A .fam file's pedigree to use (default: the only one where the missing person "
             "has a parent or a child)."),
    frequencies: FamFrequenciesOption = None,
    mutation_model: FamMutationModelOption = None,
    mutation_rates: MutationRatesOption = None,
    min_frequency: MinFrequencyOption = None,
    theta: float | None = typer.Option(
        None, "--theta", help=THETA_HELP + " A .fam file's theta by default."),
    as_json: JsonOption = False,
) -> None:
    """LR that the candidate is the pedigree's missing person versus unrelated."""
    from locard.reference import load_frequency_table

    fam = None
    if pedigree_file.lower().endswith(".fam"):
        from locard.familias import load_familias_case

        if missing is None:
            raise PedigreeError(f"{pedigree_file}: a .fam file needs --missing ID (the missing "
                                "person)")
        if profiles is not None:
            raise InvalidParameter("--profiles", profiles,
                                   expected="no profiles file with a .fam file (its profiles "
                                            "are inside)")
        fam = load_familias_case(pedigree_file, missing=missing, hypothesis=hypothesis,
                                 mutation=mutation_model is None and mutation_rates is None)
        pedigree = fam.pedigree
    else:
        if hypothesis is not None:
            raise InvalidParameter("--hypothesis", hypothesis,
                                   expected="a .fam file (other pedigree files hold one)")
        pedigree = _read_pedigree(pedigree_file, missing=missing, profiles=profiles)
    if candidate is not None:
        cand = read_single_profile(candidate, specimen=candidate_specimen)
    elif fam is not None and fam.candidate is not None:
        cand = fam.candidate
    else:
        raise InputError("no candidate profile", remedy="give one (--candidate FILE)" + (
            "; the missing person is untyped in the .fam file" if fam is not None else ""))
    if fam is not None and mutation_model is None and mutation_rates is None:
        choice = (MutationChoice(fam.mutation, "familias",
                                 f"mutation models of {Path(pedigree_file).name}",
                                 {"file": Path(pedigree_file).name, "sha256": fam.file.sha256})
                  if fam.mutation is not None
                  else MutationChoice(None, None, f"no mutation ({Path(pedigree_file).name})"))
    else:
        choice = mutation_choice(mutation_model or "stepwise", mutation_rates)
    if frequencies is not None:
        tab = load_frequency_table(frequencies)
        table_spec = frequencies
    elif fam is not None:
        tab = fam.table
        table_spec = f"{tab.name} (the database of {Path(pedigree_file).name})"
    else:
        tab = load_frequency_table(DEFAULT_TABLE)
        table_spec = DEFAULT_TABLE
    if theta is None:
        theta = fam.theta if fam is not None else 0.0
    result = missing_person_lr(pedigree, cand, tab, mutation=choice.spec,
                               min_frequency=min_frequency, theta=theta)
    if as_json:
        extra = ({"familias": {"file": Path(pedigree_file).name, "sha256": fam.file.sha256,
                               "hypothesis": fam.hypothesis, "version": fam.file.version}}
                 if fam is not None else {})
        print_json({"missing": pedigree.missing, **choice.to_dict(), **extra,
                    **result.to_dict()})
        return
    title = f"Missing-person LR: {pedigree.missing}"
    if fam is not None:
        title += f" (pedigree {fam.hypothesis!r} of {Path(pedigree_file).name})"
    _lr_table(result, title)
    console.print(_describe(table_spec, choice.label, theta))


def _read_families(path: str) -> dict[str, DVIFamily]:
    data = _load_json(path)
    if isinstance(data, dict) and "families" in data:
        data = data["families"]
    items: list[tuple[str, Any]]
    if isinstance(data, list):
        items = [(str(e.get("name") or e.get("family") or f"F{i + 1}")
                  if isinstance(e, dict) else f"F{i + 1}", e) for i, e in enumerate(data)]
    elif isinstance(data, dict):
        items = [(str(k), v) for k, v in data.items()]
    else:
        raise InputError(f"{path}: expected a list of pedigrees (or an object name -> pedigree)")
    out: dict[str, DVIFamily] = {}
    for name, entry in items:
        if name in out:
            raise InputError(f"{path}: family {name!r} is listed twice")
        try:
            out[name] = DVIFamily.from_dict(entry)
        except PedigreeError as exc:
            raise PedigreeError(f"family {name!r}: {exc.message}", remedy=exc.remedy) from exc
    return out


def _dvi_human(result: DVIResult) -> None:
    m = result.matrix
    console.print(f"{len(m.victims)} victims, {len(m.families)} families, "
                  f"{len(result.excluded)} excluded pairs, {len(result.undisputed)} undisputed")
    if result.undisputed:
        table = Table(title="Undisputed identifications")
        for col in ("victim", "family", "missing", "LR", "per-locus LRs"):
            table.add_column(col, justify="right" if col == "LR" else "left")
        for u in result.undisputed:
            per = m.pair(u.victim, u.family)
            table.add_row(u.victim, u.family, u.missing, f"{u.lr:.4g}",
                          " ".join(f"{k}={v:.3g}" for k, v in per.items()))
        console.print(table)
    table = Table(title=f"Posterior pairing probabilities ({result.parameters['prior']})")
    for col in ("victim", "most probable", "posterior", "LR", "GLR", "alternatives"):
        table.add_column(col, justify="right" if col in ("posterior", "LR", "GLR") else "left")
    labels = m.labels
    for v, victim in enumerate(m.victims):
        best, prob = result.best(victim)
        lr = "-" if best not in labels else f"{m.lr[v, labels.index(best)]:.4g}"
        glr = result.glr.get(victim, {}).get(best)
        others = sorted(((k, p) for k, p in result.posteriors[victim].items() if k != best),
                        key=lambda kv: -kv[1])[:3]
        table.add_row(victim, best, f"{prob:.4f}", lr, "-" if glr is None else f"{glr:.4g}",
                      ", ".join(f"{k}: {p:.3g}" for k, p in others))
    console.print(table)
    for comp in result.components:
        console.print(f"  component {comp['component']}: {len(comp['victims'])} victims, "
                      f"{len(comp['missing'])} missing persons, {comp['assignments']} "
                      f"assignments")


@commands.command("dvi")
def dvi_command(
    victims: str | None = typer.Option(
        None, "--victims",
        help="Victims' profiles (CSV, JSON, CMF...); default with a .fam: its unidentified "
             "persons (their declared genders as --victim-sex)."),
    families: str = typer.Option(
        ..., "--families",
        help="JSON list of pedigrees (each with inline profiles, an optional 'name', and "
             "'missing': one id or a list of the family's missing persons), or an object "
             "name -> pedigree; or a Familias .fam file with a [DVI] section (missing persons: "
             "the untyped members named 'Missing...')."),
    frequencies: FamFrequenciesOption = None,
    mutation_model: FamMutationModelOption = None,
    mutation_rates: MutationRatesOption = None,
    min_frequency: MinFrequencyOption = None,
    threshold: float = typer.Option(DEFAULT_UNDISPUTED_THRESHOLD, "--threshold",
                                    help="LR for an undisputed identification."),
    dominance: float | None = typer.Option(
        None, "--dominance",
        help="Factor by which an undisputed LR must exceed every other in its row and column "
             "(default: the --threshold, as dvir)."),
    strict: bool = typer.Option(False, "--strict",
                                help="Undisputed only if every other LR in its row and column "
                                     "is at most 1 (dvir's strict findUndisputed)."),
    victim_sex: list[str] | None = typer.Option(
        None, "--victim-sex",
        help="ID=SEX (male/female), repeatable: a victim's declared sex (default: "
             "Amelogenin). Pairs of different sex are excluded."),
    out_dir: str | None = typer.Option(
        None, "--out-dir",
        help="Also write lr_matrix.csv, pairings.csv (posteriors, GLRs, conclusions), "
             "assignments.csv, families.md and provenance.json into this folder."),
    exclusion_threshold: float = typer.Option(
        DEFAULT_EXCLUSION_THRESHOLD, "--exclusion-threshold",
        help="Pairs with an LR below this are excluded."),
    max_assignments: int = typer.Option(DEFAULT_MAX_ASSIGNMENTS, "--max-assignments",
                                        help="Refuse a component with more joint assignments."),
    theta: float | None = typer.Option(
        None, "--theta", help=THETA_HELP + " Default 0, or a .fam file's theta."),
    as_json: JsonOption = False,
) -> None:
    """Disaster victim identification: every victim against every missing person, then
    joint identification (exclusions by LR and sex, undisputed IDs, joint likelihoods for
    families with several missing persons, posterior pairing probabilities, GLRs)."""
    from locard.reference import load_frequency_table

    declared: dict[str, str] = {}
    if families.lower().endswith(".fam"):
        from locard.familias import load_familias_dvi

        case = load_familias_dvi(families,
                                 mutation=mutation_model is None and mutation_rates is None)
        fams = case.families
        name = Path(families).name
        if victims is None:
            victim_profiles = list(case.victims)
            declared.update(case.victim_sex)
        else:
            victim_profiles = _read_all(victims)
        if mutation_model is None and mutation_rates is None:
            choice = (MutationChoice(case.mutation, "familias", f"mutation models of {name}",
                                     {"file": name, "sha256": case.file.sha256})
                      if case.mutation is not None
                      else MutationChoice(None, None, f"no mutation ({name})"))
        else:
            choice = mutation_choice(mutation_model or "stepwise", mutation_rates)
        tab = load_frequency_table(frequencies) if frequencies is not None else case.table
        frequencies = frequencies or f"{case.table.name} (the database of {name})"
        theta = case.theta if theta is None else theta
    else:
        if victims is None:
            raise InputError("no victims", remedy="give the victims' profiles (--victims FILE)")
        victim_profiles = _read_all(victims)
        fams = _read_families(families)
        choice = mutation_choice(mutation_model or "stepwise", mutation_rates)
        frequencies = frequencies or DEFAULT_TABLE
        tab = load_frequency_table(frequencies)
        theta = 0.0 if theta is None else theta
    for item in victim_sex or []:
        vid, sep, sex = item.partition("=")
        if not sep or not vid.strip():
            raise InvalidParameter("--victim-sex", item, expected="ID=SEX, e.g. V1=female")
        declared[vid.strip()] = sex.strip()
    result = dvi(victim_profiles, fams, tab, mutation=choice.spec,
                 exclusion_threshold=exclusion_threshold, undisputed_threshold=threshold,
                 dominance=dominance, strict=strict, max_assignments=max_assignments,
                 min_frequency=min_frequency, theta=theta, victim_sex=declared)
    if out_dir is not None:
        from locard.stats.kinship.dvi_report import write_dvi_outputs
        written = write_dvi_outputs(result, out_dir)
        if not as_json:
            console.print("wrote " + ", ".join(str(p) for p in written))
    if as_json:
        print_json({**choice.to_dict(), **result.to_dict()})
        return
    _dvi_human(result)
    console.print(_describe(frequencies, choice.label, theta))


@kinship_app.command("power")
def kinship_power_command(
    pedigree_file: str = typer.Argument(
        ..., metavar="PEDIGREE",
        help="A pedigree (JSON with inline profiles, PED with --profiles, or a Familias .fam)."),
    missing: str = typer.Option(..., "--missing", help="The missing person's id."),
    candidates: str | None = typer.Option(
        None, "--candidates",
        help="Untyped relatives to compare as the next to sample, comma-separated: each is "
             "typed with genotypes drawn given the family."),
    simulations: int = typer.Option(1000, "--simulations",
                                    help="Monte Carlo draws (per candidate too)."),
    seed: int = typer.Option(1, "--seed", help="Random seed (the results are reproducible)."),
    profiles: str | None = typer.Option(
        None, "--profiles", help="Relatives' profiles for a PED file (specimen id = id)."),
    hypothesis: str | None = typer.Option(None, "--hypothesis",
                                          help="A .fam file's pedigree to use."),
    frequencies: FamFrequenciesOption = None,
    mutation_model: FamMutationModelOption = None,
    mutation_rates: MutationRatesOption = None,
    min_frequency: MinFrequencyOption = None,
    as_json: JsonOption = False,
) -> None:
    """How informative is the family before anyone is compared: exclusion power, the expected
    log10 LR and the simulated LR distribution if a person is the missing one (H1) or
    unrelated (H2), and what typing each candidate relative would add (theta 0)."""
    from locard.reference import load_frequency_table
    from locard.stats.kinship.power import candidate_power, lr_power

    fam = None
    if pedigree_file.lower().endswith(".fam"):
        from locard.familias import load_familias_case

        fam = load_familias_case(pedigree_file, missing=missing, hypothesis=hypothesis,
                                 mutation=mutation_model is None and mutation_rates is None)
        pedigree = fam.pedigree
    else:
        pedigree = _read_pedigree(pedigree_file, missing=missing, profiles=profiles)
    if fam is not None and mutation_model is None and mutation_rates is None:
        choice = MutationChoice(fam.mutation, "familias" if fam.mutation else None,
                                f"mutation models of {Path(pedigree_file).name}")
    else:
        choice = mutation_choice(mutation_model or "stepwise", mutation_rates)
    tab = (load_frequency_table(frequencies) if frequencies is not None
           else fam.table if fam is not None else load_frequency_table(DEFAULT_TABLE))
    names = [c.strip() for c in (candidates or "").split(",") if c.strip()]
    result = lr_power(pedigree, tab, mutation=choice.spec, simulations=simulations, seed=seed,
                      min_frequency=min_frequency)
    compared = [candidate_power(pedigree, c, tab, mutation=choice.spec, loci=result.per_locus,
                                simulations=simulations, seed=seed,
                                min_frequency=min_frequency) for c in names]
    compared.sort(key=lambda c: -c.expected_log10_lr_h1)
    if as_json:
        print_json({**choice.to_dict(), **result.to_dict(),
                    "candidates": [c.to_dict() for c in compared]})
        return
    table = Table(title=f"How informative is the family of {pedigree.missing!r}")
    for col in ("locus", "exclusion power", "E(log10 LR | H1)"):
        table.add_column(col, justify="left" if col == "locus" else "right")
    for locus, lp in result.per_locus.items():
        ep = "-" if lp.exclusion_power is None else f"{lp.exclusion_power:.4f}"
        table.add_row(locus, ep, f"{lp.expected_log10_lr_h1:.3f}")
    console.print(table)
    for locus, reason in result.excluded.items():
        console.print(f"  excluded {locus}: {reason}")
    s = result.summary
    console.print(f"exclusion power {result.exclusion_power:.4f}; E(log10 LR | H1) = "
                  f"{result.expected_log10_lr_h1:.3f}; median log10 LR: H1 "
                  f"{s['median_log10_lr_h1']:.3f}, H2 {s['median_log10_lr_h2']:.3f} "
                  f"({result.simulations} draws, seed {result.seed})")
    for t, p1 in s["p_lr_above_h1"].items():
        console.print(f"  P(LR > {t}): H1 {p1:.4f}, H2 {s['p_lr_above_h2'][t]:.4f} "
                      f"(at most {s['p_lr_above_h2_bound'][t]:.4g})")
    if compared:
        ranking = Table(title="Relatives to sample next (most informative first)")
        for col in ("candidate", "exclusion power", "E(log10 LR | H1)", "P(LR > 10^4 | H1)"):
            ranking.add_column(col, justify="left" if col == "candidate" else "right")
        for c in compared:
            p = _summary_p(c.to_dict()["summary"], "10000")
            ranking.add_row(c.candidate, f"{c.exclusion_power:.4f}",
                            f"{c.expected_log10_lr_h1:.3f}", p)
        console.print(ranking)
    console.print(_describe(tab.name, choice.label, None))


def _summary_p(summary: dict[str, Any], threshold: str) -> str:
    value = summary["p_lr_above_h1"].get(threshold)
    return "-" if value is None else f"{value:.4f}"
