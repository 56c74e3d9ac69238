"""``locard kinship lr``, ``locard kinship pedigree`` and ``locard dvi``.

Relatives' reference profiles are compared only with missing persons and unidentified human
remains; these commands work on the files they are given (the store's ``identify`` will enforce
the rule for database searches).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from locard.cli.app import app
from locard.cli.common import console, naming_file, print_json, read_single_profile
from locard.errors import InputError, InvalidParameter, PedigreeError
from locard.genetics.profiles import Profile
from locard.stats.kinship import (
    MUTATION_MODELS,
    Individual,
    KinshipLR,
    MutationModel,
    MutationSpec,
    Pedigree,
    Sex,
    kinship_lr,
    missing_person_lr,
    per_locus_models,
    resolve_relationship,
)
from locard.stats.kinship.dvi import (
    DEFAULT_DOMINANCE,
    DEFAULT_EXCLUSION_THRESHOLD,
    DEFAULT_MAX_ASSIGNMENTS,
    DEFAULT_UNDISPUTED_THRESHOLD,
    DVIResult,
    dvi,
)

kinship_app = typer.Typer(
    help="Kinship statistics: relationship LRs and missing-person LRs on a pedigree.",
    no_args_is_help=True)
app.add_typer(kinship_app, name="kinship")

DEFAULT_TABLE = "NIST1036:ALL"
MUTATION_HELP = (
    "Mutation model: stepwise (default, with the package's default rates: 0.002 per paternal "
    "and 0.0005 per maternal meiosis, range 0.1, rate2 1e-6, so a one-step mismatch does not "
    "exclude a true relative), extended-stepwise, equal, proportional, or none.")
FREQ_HELP = "Table: a bundled name (NIST1036:Cauc) or FILE[:POPULATION]."


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
    console.print(f"Hp: {result.hypotheses['hp']}")
    console.print(f"Hd: {result.hypotheses['hd']}")
    console.print(f"LR = {result.lr:.4g}   (log10 LR = {result.log10_lr:.3f})")


RATES_HELP = ("CSV of per-locus mutation rates (locus,female_rate,male_rate[,model,range,"
              "rate2]; '#' lines for the citation); other loci keep the model's defaults.")


@dataclass(frozen=True, slots=True)
class MutationChoice:
    """What --mutation-model and --mutation-rates resolve to: the specification passed to the
    statistics, the model's name, a line for people, and the rate file's identity."""

    spec: MutationSpec
    model: str | None
    label: str
    rates: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"mutation_model": self.model, "mutation_rates": self.rates}


def mutation_choice(name: str, rates_file: str | None = None) -> MutationChoice:
    """The mutation specification of a command: one model for every locus, or (with a rate
    file) the model with each listed locus's own rates."""
    base = _mutation(name)
    if rates_file is None:
        label = "no mutation" if base is None else (
            f"{base.model} mutation (male {base.male_rate:g}, female {base.female_rate:g})")
        return MutationChoice(base, base.model if base else None, label)
    if base is None:
        raise InvalidParameter("--mutation-rates", rates_file,
                               expected="a mutation model to apply them to (not 'none')")
    from locard.formats.mutation_rates import read_mutation_rates

    table = read_mutation_rates(rates_file)
    spec = per_locus_models(base, {k: asdict(v) for k, v in table.rates.items()})
    rates = {"file": Path(rates_file).name, "sha256": table.sha256,
             "loci": sorted(table.rates), "notes": list(table.notes)}
    label = (f"{base.model} mutation, per-locus rates for {len(table.rates)} loci from "
             f"{rates['file']} (sha256 {table.sha256[:12]}...), defaults elsewhere")
    return MutationChoice(spec, base.model, label, rates)


def _describe(table_spec: str, mutation: str, theta: float | None) -> str:
    theta_text = "" if theta is None else f", theta = {theta:g}"
    return f"[dim]table {table_spec}; {mutation}{theta_text}[/dim]"


def _parent_child(parent: Profile, child: Profile, table: Any,
                  mutation: MutationSpec) -> KinshipLR:
    """Parent-child with mutation: a pedigree with the parent typed and the child as the
    candidate; the parent's sex from Amelogenin (a father when untyped: the higher rate)."""
    father = parent.sex != "female"
    other = Individual("other parent", None, None, Sex.FEMALE if father else Sex.MALE)
    typed = Individual("parent", None, None, Sex.MALE if father else Sex.FEMALE,
                       parent.with_specimen_id(parent.specimen_id or "parent"))
    dad, mum = ("parent", "other parent") if father else ("other parent", "parent")
    pedigree = Pedigree.build([typed, other, Individual("child", dad, mum, Sex.UNKNOWN)],
                              missing="child")
    return missing_person_lr(pedigree, child, table, mutation=mutation)


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
                                help="Coancestry (Balding-Nichols) for the pairwise formula."),
    mutation_model: str = typer.Option("stepwise", "--mutation-model", help=MUTATION_HELP),
    mutation_rates: str | None = typer.Option(None, "--mutation-rates", help=RATES_HELP),
    specimen1: str | None = typer.Option(None, "--specimen1", help="Pick one specimen of "
                                                                   "PROFILE1."),
    specimen2: str | None = typer.Option(None, "--specimen2", help="Pick one specimen of "
                                                                   "PROFILE2."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
) -> None:
    """LR that two profiles are related as stated versus unrelated, per locus.

    The mutation model matters only where the relationship always shares an allele IBD
    (parent-child): that case is computed on a pedigree (theta = 0, the first profile the
    parent, its sex from Amelogenin, a father when untyped). Other relationships use the
    pairwise kappa formula, where a mismatch never excludes (theta allowed).
    """
    from locard.tables import load_frequency_table

    name, kappa = resolve_relationship(relationship)
    choice = mutation_choice(mutation_model, mutation_rates)
    mutation = choice.spec
    a = read_single_profile(profile1, specimen=specimen1)
    b = read_single_profile(profile2, specimen=specimen2)
    tab = load_frequency_table(frequencies)
    if kappa.k0 == 0 and kappa.k1 == 1 and mutation is not None:
        if theta != 0:
            raise InvalidParameter("--theta", theta, expected="0 for parent-child with a "
                                   "mutation model (or --mutation-model none)")
        result = _parent_child(a, b, tab, mutation)
        used: MutationChoice | None = choice
    else:
        result = kinship_lr(a, b, name, tab, theta=theta)
        used = None
    if as_json:
        print_json({"relationship": name,
                    **(used.to_dict() if used else {"mutation_model": None}),
                    **result.to_dict()})
        return
    _lr_table(result, f"Kinship LR: {name}")
    console.print(_describe(frequencies, used.label if used else "no mutation",
                            None if used else theta))


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
        help='JSON {"individuals": [...], "missing": id} with inline profiles, or a PED file '
             "(id father mother sex) with --profiles."),
    candidate: str = typer.Option(..., "--candidate", help="The candidate's profile file."),
    candidate_specimen: str | None = typer.Option(None, "--specimen",
                                                  help="Pick one specimen of the candidate file."),
    profiles: str | None = typer.Option(
        None, "--profiles", help="Relatives' profiles (CSV/JSON...), specimen id = individual id."),
    missing: str | None = typer.Option(None, "--missing", help="The missing person's id."),
    frequencies: str = typer.Option(DEFAULT_TABLE, "--frequencies", "-f", help=FREQ_HELP),
    mutation_model: str = typer.Option("stepwise", "--mutation-model", help=MUTATION_HELP),
    mutation_rates: str | None = typer.Option(None, "--mutation-rates", help=RATES_HELP),
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
) -> None:
    """LR that the candidate is the pedigree's missing person versus unrelated (theta = 0)."""
    from locard.tables import load_frequency_table

    pedigree = _read_pedigree(pedigree_file, missing=missing, profiles=profiles)
    cand = read_single_profile(candidate, specimen=candidate_specimen)
    choice = mutation_choice(mutation_model, mutation_rates)
    tab = load_frequency_table(frequencies)
    result = missing_person_lr(pedigree, cand, tab, mutation=choice.spec)
    if as_json:
        print_json({"missing": pedigree.missing, **choice.to_dict(), **result.to_dict()})
        return
    _lr_table(result, f"Missing-person LR: {pedigree.missing}")
    console.print(_describe(frequencies, choice.label, None))


def _read_families(path: str) -> dict[str, Pedigree]:
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
    out: dict[str, Pedigree] = {}
    for name, entry in items:
        if name in out:
            raise InputError(f"{path}: family {name!r} is listed twice")
        try:
            out[name] = Pedigree.from_dict(entry)
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
    table = Table(title="Posterior pairing probabilities (flat prior over admissible "
                        "joint assignments)")
    for col in ("victim", "most probable", "posterior", "LR", "alternatives"):
        table.add_column(col, justify="right" if col in ("posterior", "LR") else "left")
    for v, victim in enumerate(m.victims):
        best, prob = result.best(victim)
        lr = "-" if best not in m.families else f"{m.lr[v, m.families.index(best)]:.4g}"
        others = sorted(((k, p) for k, p in result.posteriors[victim].items() if k != best),
                        key=lambda kv: -kv[1])[:3]
        table.add_row(victim, best, f"{prob:.4f}", lr,
                      ", ".join(f"{k}: {p:.3g}" for k, p in others))
    console.print(table)
    for comp in result.components:
        console.print(f"  component {comp['component']}: {len(comp['victims'])} victims, "
                      f"{len(comp['families'])} families, {comp['assignments']} assignments")


@app.command("dvi")
def dvi_command(
    victims: str = typer.Option(..., "--victims", help="Victims' profiles (CSV, JSON, CMF...)."),
    families: str = typer.Option(
        ..., "--families",
        help="JSON list of pedigrees (each with inline profiles, one missing person, an "
             "optional 'name'), or an object name -> pedigree."),
    frequencies: str = typer.Option(DEFAULT_TABLE, "--frequencies", "-f", help=FREQ_HELP),
    mutation_model: str = typer.Option("stepwise", "--mutation-model", help=MUTATION_HELP),
    mutation_rates: str | None = typer.Option(None, "--mutation-rates", help=RATES_HELP),
    threshold: float = typer.Option(DEFAULT_UNDISPUTED_THRESHOLD, "--threshold",
                                    help="LR for an undisputed identification."),
    dominance: float = typer.Option(DEFAULT_DOMINANCE, "--dominance",
                                    help="Factor by which an undisputed LR must exceed every "
                                         "other in its row and column."),
    exclusion_threshold: float = typer.Option(
        DEFAULT_EXCLUSION_THRESHOLD, "--exclusion-threshold",
        help="Pairs with an LR below this are excluded."),
    max_assignments: int = typer.Option(DEFAULT_MAX_ASSIGNMENTS, "--max-assignments",
                                        help="Refuse a component with more joint assignments."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
) -> None:
    """Disaster victim identification: every victim against every reference family, then
    joint identification (exclusions, undisputed IDs, posterior pairing probabilities).
    One missing person per family."""
    from locard.tables import load_frequency_table

    victim_profiles = _read_all(victims)
    fams = _read_families(families)
    choice = mutation_choice(mutation_model, mutation_rates)
    tab = load_frequency_table(frequencies)
    result = dvi(victim_profiles, fams, tab, mutation=choice.spec,
                 exclusion_threshold=exclusion_threshold, undisputed_threshold=threshold,
                 dominance=dominance, max_assignments=max_assignments)
    if as_json:
        print_json({**choice.to_dict(), **result.to_dict()})
        return
    _dvi_human(result)
    console.print(_describe(frequencies, choice.label, None))
