"""``locard kits`` and ``locard loci``."""

from __future__ import annotations

import typer
from rich.table import Table

from locard.cli.common import console, print_json, print_table
from locard.cli.options import JsonOption
from locard.genetics.loci import LOCI, LOCUS_SETS, aliases_of

#: this module's top-level commands (cli/app.py adds them to `locard`)
commands = typer.Typer()


@commands.command("kits")
def kits_command(
    name: str | None = typer.Argument(None, help="Show one kit's loci, dyes and ladders."),
    as_json: JsonOption = False,
) -> None:
    """List the STR kits Locard knows (derived from the OSIRIS kit definitions)."""
    from locard.reference import get_kit, list_kits

    if name is None:
        kits = list_kits()
        if as_json:
            print_json([{"name": k.name, "loci": list(k.locus_names)} for k in kits])
            return
        table = Table(title="Kits (source: OSIRIS kit definitions, NCBI, public domain)")
        table.add_column("kit")
        table.add_column("loci", justify="right")
        table.add_column("autosomal STRs", justify="right")
        for k in kits:
            table.add_row(k.name, str(len(k.loci)), str(len(k.str_loci)))
        print_table(table)
        return
    kit = get_kit(name)
    if as_json:
        print_json({
            "name": kit.name,
            "loci": [{"name": loc.name, "dye": loc.dye, "colour": loc.colour,
                      "min_bp": loc.min_bp, "max_bp": loc.max_bp,
                      "ladder": [str(a) for a in loc.ladder]} for loc in kit.loci],
        })
        return
    table = Table(title=kit.name)
    for col in ("locus", "dye", "bp", "ladder alleles"):
        table.add_column(col)
    for loc in kit.loci:
        ladder = " ".join(str(a) for a in loc.ladder)
        table.add_row(loc.name, f"{loc.dye} ({loc.colour})", f"{loc.min_bp}-{loc.max_bp}", ladder)
    console.print(table)


@commands.command("loci")
def loci_command(
    as_json: JsonOption = False,
) -> None:
    """List the loci Locard knows, their aliases and the named locus sets."""
    sets_of = {name: [s for s, members in LOCUS_SETS.items() if name in members] for name in LOCI}
    if as_json:
        print_json({
            "loci": [{"name": info.name, "kind": info.kind.value, "chromosome": info.chromosome,
                      "repeat_length": info.repeat_length, "aliases": aliases_of(info.name),
                      "sets": sets_of[info.name]} for info in LOCI.values()],
            "sets": {k: list(v) for k, v in LOCUS_SETS.items()},
        })
        return
    table = Table(title="Loci (case, blanks, '_', '-', '.' are ignored when names are matched)")
    for col in ("locus", "kind", "chr", "repeat", "sets", "other aliases"):
        table.add_column(col)
    for info in LOCI.values():
        table.add_row(info.name, info.kind.value, info.chromosome,
                      str(info.repeat_length or "-"), " ".join(sets_of[info.name]),
                      ", ".join(aliases_of(info.name)))
    print_table(table)
