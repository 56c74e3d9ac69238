"""``locard identify``: rank the store's missing persons and unidentified remains by kinship.

``--case`` names a missing-person case stored in the database (``locard case add``; the
relatives' references are read from the relatives index) or a pedigree JSON file with the
relatives' profiles inline; an existing file wins. The relatives are compared only with the
missing-person and unidentified-remains indices (the policy matrix, kinship mode), and the
search is audited (see ``docs/search.md``, "Searching the store").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from locard.cli.common import console, naming_file, print_json, print_table
from locard.cli.context import resolve_user
from locard.cli.kinship_commands import (
    MUTATION_HELP,
    THETA_HELP,
    MinFrequencyOption,
    MutationRatesOption,
    mutation_choice,
)
from locard.cli.options import PURPOSE_HELP, DbOption, JsonOption, PolicyOption, UserOption
from locard.errors import InputError

if TYPE_CHECKING:
    from locard.stats.kinship import Pedigree

#: this module's top-level commands (cli/app.py adds them to `locard`)
commands = typer.Typer()


def _read_pedigree(path: str) -> Pedigree:
    from locard.stats.kinship import Pedigree

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    with naming_file(path):
        return Pedigree.from_dict(data)


@commands.command("identify")
def identify_command(
    case: str = typer.Option(..., "--case", metavar="CASE_REF|PEDIGREE",
                             help="A case stored in the database (locard case add), or a "
                             "pedigree JSON file: individuals (id, father, mother, sex, "
                             "profile) with the relatives' profiles inline, and 'missing': the "
                             "missing person's id. An existing file wins."),
    purpose: str = typer.Option(..., "--purpose", help=PURPOSE_HELP),  # required
    top: int = typer.Option(20, "--top", help="Candidates to list."),
    mutation_model: str = typer.Option("stepwise", "--mutation-model", help=MUTATION_HELP),
    mutation_rates: MutationRatesOption = None,
    min_frequency: MinFrequencyOption = None,
    theta: float = typer.Option(0.0, "--theta", help=THETA_HELP),
    frequencies: str = typer.Option("NIST1036:ALL", "--frequencies", "-f",
                                    help="Table: a bundled name (NIST1036:Cauc) or "
                                         "FILE[:POPULATION]."),
    index: list[str] | None = typer.Option(None, "--index", help="missing_person and/or "
                                           "unidentified (default both; nothing else is "
                                           "allowed)."),
    db: DbOption = None,
    user: UserOption = None,
    policy: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rank missing persons and unidentified remains by the pedigree's missing-person LR."""
    from locard.reference import load_frequency_table
    from locard.store import Store
    from locard.store.identify import identify, identify_case

    pedigree = _read_pedigree(case) if Path(case).is_file() else None
    choice = mutation_choice(mutation_model, mutation_rates)
    table = load_frequency_table(frequencies)
    store = Store.open(db, policy=policy)
    try:
        if pedigree is None:
            report = identify_case(store, case, table=table, actor=resolve_user(user),
                                   purpose=purpose, top=top, mutation=choice.spec,
                                   indices=index or None, min_frequency=min_frequency,
                                   theta=theta)
        else:
            report = identify(store, pedigree, table=table, actor=resolve_user(user),
                              purpose=purpose, top=top, mutation=choice.spec,
                              indices=index or None, min_frequency=min_frequency,
                              theta=theta)
    finally:
        store.close()
    if as_json:
        print_json({**report.to_dict(), **choice.to_dict()})
        return
    where = f"case {case!r}, " if pedigree is None else ""
    out = Table(title=f"Missing person {report.missing!r} ({where}{purpose}): {len(report)} "
                      f"candidate(s) in "
                      f"{', '.join(report.targets)}")
    for col in ("rank", "lab", "specimen", "index", "LR", "log10 LR"):
        out.add_column(col, justify="right" if col in ("rank", "LR", "log10 LR") else "left")
    for c in report.candidates:
        out.add_row(str(c.rank), c.lab, c.specimen_id, c.index, f"{c.lr:.4g}",
                    f"{c.log10_lr:.2f}")
    print_table(out)
    console.print(f"[dim]{frequencies}, {choice.label}, theta = {theta:g}, "
                  f"loci: {', '.join(report.loci)}[/dim]")
