"""``locard mixture lr``: the semi-continuous (LRmix) likelihood ratio of a mixture case file."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from locard.cli.app import app
from locard.cli.common import console, naming_file, print_json
from locard.errors import InputError
from locard.stats.mixture import DEFAULT_MAX_COMBINATIONS
from locard.stats.mixture.casefile import parse_case, run_case

mixture_app = typer.Typer(
    help="Mixed and low-template traces: semi-continuous (LRmix) likelihood ratios.",
    no_args_is_help=True)
app.add_typer(mixture_app, name="mixture")


@mixture_app.command("lr")
def mixture_lr_command(
    case: str = typer.Argument(..., help="Case file (JSON; see docs/mixture.md) or '-'."),
    max_combinations: int = typer.Option(
        DEFAULT_MAX_COMBINATIONS, "--max-combinations", min=1,
        help="Most genotype combinations of the unknowns one locus may enumerate (larger "
             "cases are refused with a time estimate)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
) -> None:
    """Likelihood ratio of a mixed or low-template trace under the case file's hypotheses
    (drop-out per contributor, drop-in, theta, replicates), per locus and in total."""
    from locard.tables import load_frequency_table

    if case == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(case).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise InputError(f"{case}: cannot read the case file: {exc.strerror}",
                             remedy="give the path of a case file, or '-' for stdin") from None
    source = "<stdin>" if case == "-" else case
    with naming_file(source):
        parsed = parse_case(text, source=source)
    table = load_frequency_table(parsed.table_spec)
    result = run_case(parsed, table, max_combinations=max_combinations)
    if as_json:
        print_json(result.to_dict())
        return
    out = result.to_dict()
    table_view = Table(title="Semi-continuous likelihood ratio (LRmix model)")
    for col in ("locus", "evidence alleles", "L(Hp)", "L(Hd)", "LR", "log10 LR"):
        table_view.add_column(col, justify="left" if col in ("locus", "evidence alleles")
                              else "right")
    for locus, lp in result.per_locus.items():
        table_view.add_row(locus, ",".join(lp.alleles) or "-", f"{lp.likelihood_hp:.4g}",
                           f"{lp.likelihood_hd:.4g}", f"{lp.lr:.4g}", f"{lp.log10_lr:.3f}")
    console.print(table_view)
    for locus, note in result.notes.items():
        console.print(f"  {locus}: {note}")
    console.print(f"Hp: {out['hypotheses']['hp']}")
    console.print(f"Hd: {out['hypotheses']['hd']}")
    console.print(f"LR = {result.lr:.4g}   log10 LR = {result.log10_lr:.3f}")
    spec = parsed.spec
    desc = table.describe()
    console.print(f"[dim]drop-out {dict(parsed.dropout)}, unknowns Hp "
                  f"{list(parsed.hp.unknown_dropout)}, Hd {list(parsed.hd.unknown_dropout)}; "
                  f"drop-in {spec.dropin.probability}; "
                  f"theta {spec.theta}; table {desc['name']} (sha256 {desc['sha256'][:16]}...)"
                  "[/dim]")
