"""``locard demo``: Locard's main job on its embedded defaults, end to end."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from locard.cli.common import console, print_json, print_table, print_wrapped
from locard.cli.options import JsonOption
from locard.display import format_number
from locard.stats.match import DEFAULT_THETA

#: this module's top-level commands (cli/app.py adds them to `locard`)
commands = typer.Typer()


def _controls_table(stats: dict[str, Any]) -> None:
    controls = list(stats["controls"])
    table = Table(title=f"Positive controls over the {stats['kit']} STRs: random match "
                        f"probability (NRC II 4.10, theta = {stats['theta']})")
    table.add_column("NIST 1036 population")
    for name in controls:
        table.add_column(f"{name} RMP", justify="right")
        table.add_column("1 in", justify="right")
    for pop in stats["controls"][controls[0]]:
        cells: list[str] = []
        for name in controls:
            value = stats["controls"][name][pop]["rmp"]
            cells += [format_number(value), format_number(1 / value)]
        table.add_row(pop.split(":", 1)[1], *cells)
    print_table(table)
    for name, per_pop in stats["controls"].items():
        worst = max(per_pop, key=lambda p: per_pop[p]["rmp"])
        result = per_pop[worst]
        missing = [locus for locus, reason in result["excluded_loci"].items()
                   if reason != "not in the requested locus set"]
        note = f"; kit loci not used: {', '.join(missing)}" if missing else ""
        console.print(f"  {name}: {len(result['per_locus'])} loci; most conservative "
                      f"{worst}, RMP {format_number(result['rmp'])}{note}")


def _database_tables(summary: dict[str, Any]) -> None:
    table = Table(title=f"Demo database {summary['database']} (lab {summary['lab']}): "
                        "imported through the CMF import path")
    for col in ("file", "specimen category", "imported"):
        table.add_column(col, justify="right" if col == "imported" else "left")
    for row in summary["imports"]:
        table.add_row(row["file"], row["category"], str(row["imported"]))
    print_table(table)
    counts = Table(title="Profiles per index")
    counts.add_column("index")
    counts.add_column("profiles", justify="right")
    for index, n in sorted(summary["index_counts"].items()):
        counts.add_row(index, str(n))
    print_table(counts)

    planted = summary["planted_trace"]
    matches = Table(title=f"Search on entry: candidate matches awaiting review (the trace "
                          f"{planted['trace']} was left by {planted['source']}, "
                          f"{planted['trace_loci']} loci)")
    for col in ("query", "candidate", "stringency", "loci", "rmp"):
        matches.add_column(col)
    for m in summary["candidate_matches"]:
        rmp = m.get("rmp")
        matches.add_row(m["query_specimen"], m["candidate_specimen"], m["stringency"],
                        str(m["compared_loci"]), format_number(rmp))
    print_table(matches)

    ident = summary["identification"]
    ranked = sum(ident["profiles_ranked"].values())
    kin = Table(title=f"Missing-persons case {summary['case_ref']}: {ranked} "
                      "unidentified-remains and missing-person profiles ranked by kinship LR "
                      "(father, mother and a sibling typed; stepwise mutation)")
    for col in ("rank", "specimen", "index", "LR", "log10 LR"):
        kin.add_column(col, justify="right" if col in ("rank", "LR", "log10 LR") else "left")
    for c in ident["candidates"]:
        kin.add_row(str(c["rank"]), c["specimen_id"], c["index"], format_number(c["lr"]),
                    f"{c['log10_lr']:.2f}")
    print_table(kin)
    top = ident["candidates"][0] if ident["candidates"] else None
    if top is not None:
        verdict = ("ranked first" if top["specimen_id"] == summary["planted_remains"]
                   else "NOT ranked first")
        print_wrapped(f"the remains of the missing person ({summary['planted_remains']}) are "
                      f"{verdict}, LR {format_number(top['lr'])}", indent="  ")
    audit = summary["audit"]
    actions = ", ".join(f"{k} {v}" for k, v in sorted(audit["actions"].items()))
    print_wrapped(f"Audit trail: {audit['entries']} entries, hash chain verified "
                  f"(head {str(audit['head_hash'])[:16]}...): {actions}")


@commands.command("demo")
def demo_command(
    db: str = typer.Option("locard-demo.db", "--db",
                           help="Where to build the demo database (SQLite file; an earlier "
                                "demo there is replaced, any other file is refused)."),
    population: int = typer.Option(5000, "--population", min=100,
                                   help="Synthetic offender profiles to import."),
    seed: int = typer.Option(2026, "--seed", help="Seed of the synthetic profiles."),
    theta: float = typer.Option(DEFAULT_THETA, "--theta", help="Coancestry coefficient."),
    as_json: JsonOption = False,
) -> None:
    """Run Locard's main job on its embedded default (SQLite) and show the results."""
    from locard.demo import DEMO_ADMIN, run_demo

    if not as_json:
        console.rule("[bold]Locard demo[/bold] (synthetic profiles only)")
        console.print("Building the demo database through the real import path ...")
    summary = run_demo(db, population=population, seed=seed, theta=theta)
    if as_json:
        print_json(summary)
        return
    _controls_table(summary["control_statistics"])
    _database_tables(summary)
    console.rule("Open it in the browser")
    console.print(f"  locard serve --db {summary['database']}\n"
                  f"  then open http://127.0.0.1:8000 and sign in as {DEMO_ADMIN} with the "
                  f"token\n  {summary['login']['token']}", soft_wrap=True)
    print_wrapped(f"The missing-person case {summary['case_ref']} is stored in the database: "
                  "enter it on the Missing persons page, or run", indent="  ")
    console.print(f"  locard identify --case {summary['case_ref']} --db {summary['database']} "
                  f"--user {DEMO_ADMIN} --purpose {summary['case_ref']}", soft_wrap=True)
