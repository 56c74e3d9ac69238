"""``locard demo``: Locard's main job on its embedded defaults, end to end."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from locard.cli.app import app
from locard.cli.common import console, print_json
from locard.stats.match import DEFAULT_THETA, random_match_probability

DEMO_KIT = "PowerPlex 21"
DEMO_CONTROLS = ("2800M", "9947A")


def control_statistics(*, theta: float = DEFAULT_THETA) -> dict[str, Any]:
    """RMP of the positive controls over the PowerPlex 21 loci in every NIST 1036 population."""
    from locard.genetics.kits import get_kit, positive_control
    from locard.stats.bundled import bundled_table_names, get_bundled_table

    kit = get_kit(DEMO_KIT)
    tables = [get_bundled_table(n) for n in bundled_table_names() if n.startswith("NIST1036:")]
    out: dict[str, Any] = {"kit": kit.name, "theta": theta, "controls": {}}
    for name in DEMO_CONTROLS:
        profile = positive_control(name)
        per_pop = {}
        for table in tables:
            res = random_match_probability(profile, table, theta=theta, loci=kit.str_loci)
            per_pop[table.name] = res.to_dict()
        out["controls"][name] = per_pop
    return out


@app.command("demo")
def demo_command(
    theta: float = typer.Option(DEFAULT_THETA, "--theta", help="Coancestry coefficient."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Run Locard's main job on its embedded defaults and show the results."""
    stats = control_statistics(theta=theta)
    if as_json:
        print_json({"control_statistics": stats})
        return
    console.rule("[bold]Locard demo[/bold]")
    console.print(
        f"Random match probability of the positive controls {', '.join(DEMO_CONTROLS)} over the "
        f"{stats['kit']} autosomal STRs, NRC II 4.10 (theta = {theta}), bundled NIST 1036 tables.")
    controls = list(stats["controls"])
    table = Table(title="Positive controls: random match probability (RMP) by population")
    table.add_column("NIST 1036 population")
    for name in controls:
        table.add_column(f"{name} RMP", justify="right")
        table.add_column("1 in", justify="right")
    populations = list(stats["controls"][controls[0]])
    for pop in populations:
        cells: list[str] = []
        for name in controls:
            value = stats["controls"][name][pop]["rmp"]
            cells += [f"{value:.3g}", f"{1 / value:.3g}"]
        table.add_row(pop.split(":", 1)[1], *cells)
    console.print(table)
    for name, per_pop in stats["controls"].items():
        worst = max(per_pop, key=lambda p: per_pop[p]["rmp"])
        result = per_pop[worst]
        missing = [locus for locus, reason in result["excluded_loci"].items()
                   if reason != "not in the requested locus set"]
        note = f"; kit loci not used: {', '.join(missing)}" if missing else ""
        console.print(f"  {name}: {len(result['per_locus'])} loci; most conservative "
                      f"{worst}, RMP {result['rmp']:.3g}{note}")
