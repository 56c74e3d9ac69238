"""``locard rmp`` and ``locard frequencies``."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from locard.cli.common import (
    console,
    esc,
    print_json,
    print_wrapped,
    read_single_profile,
)
from locard.cli.options import JsonOption
from locard.display import format_probability
from locard.stats.match import DEFAULT_THETA, Formula, most_conservative_rmp

#: this module's top-level commands (cli/app.py adds them to `locard`)
commands = typer.Typer()

frequencies_app = typer.Typer(help="Allele frequency tables (for match statistics only).",
                              no_args_is_help=True)


@commands.command("rmp")
def rmp_command(
    profile: str = typer.Argument(..., help="Profile file (JSON, CSV, CMF, GeneMapper) or '-'."),
    frequencies: list[str] = typer.Option(
        ["NIST1036:ALL"], "--frequencies", "-f",
        help="Table: a bundled name (NIST1036:Cauc) or FILE[:POPULATION]. Repeat the option "
             "to report the most conservative figure across populations."),
    theta: float = typer.Option(DEFAULT_THETA, "--theta", help="Coancestry coefficient."),
    formula: Formula = typer.Option(Formula.NRC2_4_10, "--formula",
                                    help="nrc2-4.10 (default), nrc2-4.1 or product."),
    min_frequency: float | None = typer.Option(
        None, "--min-frequency", help="Floor for rare alleles (default: NRC II 5/2N)."),
    kit: str | None = typer.Option(None, "--kit", help="Compute over this kit's loci."),
    specimen: str | None = typer.Option(None, "--specimen", help="Pick one specimen of a file."),
    as_json: JsonOption = False,
) -> None:
    """Random match probability of a single-source profile, with per-locus values."""
    from locard.reference import load_frequency_table

    prof = read_single_profile(profile, specimen=specimen)
    tables = [load_frequency_table(spec, min_frequency=min_frequency) for spec in frequencies]
    loci = None
    if kit is not None:
        from locard.reference import get_kit

        loci = list(get_kit(kit).str_loci)
    result = most_conservative_rmp(prof, tables, theta=theta, formula=formula, loci=loci)
    chosen = result.chosen
    if as_json:
        out: dict[str, Any] = {"specimen_id": prof.specimen_id, **chosen.to_dict()}
        if len(tables) > 1:
            out["population"] = chosen.table.name
            out["per_population"] = {k: v.value for k, v in result.results.items()}
        print_json(out)
        return
    title = f"Random match probability{f' of {esc(prof.specimen_id)}' if prof.specimen_id else ''}"
    table = Table(title=title)
    table.add_column("locus")
    table.add_column("alleles")
    table.add_column("frequencies")
    table.add_column("probability", justify="right")
    for locus, lp in chosen.per_locus.items():
        freqs = ", ".join(f"{f.allele}={f.value:.4g}{'*' if f.source != 'observed' else ''}"
                          for f in lp.frequencies)
        table.add_row(locus, esc(",".join(str(a) for a in lp.alleles)), esc(freqs),
                      f"{lp.probability:.4g}")
    console.print(table)
    for locus, reason in chosen.excluded.items():
        console.print(f"  excluded {locus}: {esc(reason)}")
    if len(tables) > 1:
        for name, res in result.results.items():
            console.print(f"  {esc(name)}: RMP {format_probability(res.value)}")
        console.print(f"Most conservative: {esc(chosen.table.name)}")
    console.print(f"RMP = {format_probability(chosen.value)}   LR = {chosen.likelihood_ratio:.4g}")
    desc = chosen.table.describe()
    console.print(f"[dim]{formula.value}, theta = {theta}; * = minimum allele frequency[/dim]")
    console.print(f"[dim]table {esc(desc['name'])} (N = {desc['n_individuals']}, "
                  f"sha256 {desc['sha256'][:16]}...)[/dim]")


@frequencies_app.command("list")
def frequencies_list(as_json: JsonOption = False) -> None:
    """List the bundled frequency tables."""
    from locard.reference import list_frequency_tables

    rows = list_frequency_tables()
    if as_json:
        print_json(rows)
        return
    table = Table(title="Bundled frequency tables (match statistics only)")
    for col in ("name", "population", "N", "loci", "sha256"):
        table.add_column(col)
    for row in rows:
        table.add_row(esc(row["name"]), esc(row["population"]), str(row["n_individuals"]),
                      str(row["n_loci"]), str(row["sha256"])[:12])
    console.print(table)


@frequencies_app.command("show")
def frequencies_show(
    name: str = typer.Argument(..., help="Bundled name (NIST1036:Cauc) or FILE[:POPULATION]."),
    locus: str | None = typer.Option(None, "--locus", help="Show one locus only."),
    as_json: JsonOption = False,
) -> None:
    """Show a frequency table: per locus, alleles and frequencies, 2N and the 5/2N minimum."""
    from locard.genetics.loci import canonical_locus
    from locard.reference import load_frequency_table

    tab = load_frequency_table(name)
    loci = [canonical_locus(locus)] if locus else list(tab.loci)
    if as_json:
        data = tab.to_dict()
        data["sha256"] = tab.sha256
        if locus:
            data["loci"] = {k: v for k, v in data["loci"].items() if k in loci}
        print_json(data)
        return
    # the digest on a line of its own and the source wrapped with a hanging indent: readable
    # at 80 columns
    print_wrapped(f"{tab.name}  population {tab.population}  N = {tab.n_individuals}")
    print_wrapped(f"sha256 {tab.sha256}", indent="  ")
    if tab.source:
        print_wrapped(f"source: {tab.source}", indent="  ", style="dim")
    table = Table()
    table.add_column("locus")
    table.add_column("2N", justify="right")
    table.add_column("min freq", justify="right")
    table.add_column("alleles (frequency)")
    for loc in loci:
        if loc not in tab.frequencies:
            continue
        per = tab.frequencies[loc]
        n2 = tab.sample_alleles.get(loc)
        minimum = f"{tab.minimum_frequency(loc):.4g}" if (n2 or tab.min_frequency) else "-"
        table.add_row(loc, str(n2 or "-"), minimum,
                      " ".join(f"{a}:{f:.4f}" for a, f in per.items()))
    console.print(table)
