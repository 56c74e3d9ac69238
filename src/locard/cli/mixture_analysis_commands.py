"""``locard mixture case|dropout|sensitivity|tippet``: case files from LRmix Studio, GeneMapper
and SmartRank inputs; drop-out estimation, sensitivity analysis and the non-contributor test."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from locard.cli.common import console, err_console, naming_file, print_json
from locard.cli.options import JsonOption
from locard.errors import InputError

if TYPE_CHECKING:
    from locard.stats.frequencies import FrequencyTable
    from locard.stats.mixture.casefile import MixtureCase

#: `locard mixture case|dropout|sensitivity|tippet` (cli/app.py adds them to the `mixture`
#: group of :mod:`locard.cli.mixture_commands`)
commands = typer.Typer()


def load_case(case: str) -> tuple[MixtureCase, FrequencyTable]:
    """The case file at ``case`` (``-``: stdin), parsed with the file named in any error, and
    its frequency table resolved (bundled name or file): what every mixture command reads."""
    from locard.reference import load_frequency_table
    from locard.stats.mixture.casefile import parse_case

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
    return parsed, load_frequency_table(parsed.table_spec)


def _parse_dropouts(values: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for v in values:
        name, sep, num = v.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(num)
        except ValueError:
            raise InputError(f"--dropout {v!r}: not NAME=PROBABILITY",
                             remedy="write --dropout SUSPECT=0.1") from None
    return out


@commands.command("case")
def mixture_case_command(
    evidence: list[str] = typer.Option(
        [], "--evidence", help="Evidence file(s): LRmix Studio sample file or GeneMapper ID-X "
        "export (long or wide); every sample is a replicate."),
    reference: list[str] = typer.Option(
        [], "--reference", help="Reference file(s) (same formats): the typed people."),
    smartrank: str | None = typer.Option(
        None, "--smartrank", help="A SmartRank search-criteria file (XML or JSON) instead; the "
        "candidate is CANDIDATE."),
    frequencies: str = typer.Option(
        ..., "--frequencies", help="Table for the case file: bundled name or FILE[:POP]."),
    poi: str | None = typer.Option(None, "--poi", help="The person of interest (a reference)."),
    known: list[str] = typer.Option([], "--known", help="A known contributor under Hp and Hd."),
    unknowns_hp: int = typer.Option(0, "--unknowns-hp", min=0, max=4),
    unknowns_hd: int = typer.Option(1, "--unknowns-hd", min=0, max=4),
    dropout: list[str] = typer.Option(
        [], "--dropout", help="NAME=PROBABILITY for a typed person (repeatable)."),
    dropout_unknowns: float = typer.Option(
        0.0, "--dropout-unknowns", help="Drop-out of every unknown (and of typed people "
        "without --dropout)."),
    dropin: float = typer.Option(0.0, "--dropin", help="Drop-in probability pC."),
    theta: float = typer.Option(0.0, "--theta", help="Balding-Nichols theta."),
    min_frequency: float = typer.Option(
        0.0, "--min-frequency", help="Floor for observed alleles absent from the table."),
    replicate: list[str] = typer.Option([], "--replicate", help="Use only these replicates."),
    locus: list[str] = typer.Option([], "--locus", help="Use only these loci."),
    out: str | None = typer.Option(None, "--out", "-o", help="Write the case file here "
                                   "(default: stdout)."),
) -> None:
    """Build a mixture case file (docs/mixture.md) from LRmix Studio sample and reference
    files, GeneMapper exports, or a SmartRank search-criteria file."""
    from locard.formats.lrmix import (
        case_from_profiles,
        read_mixture_profiles,
        read_smartrank_criteria,
    )
    from locard.stats.mixture.casefile import parse_case

    notes: list[str] = []
    if smartrank is not None:
        if evidence or reference:
            raise InputError("--smartrank cannot be combined with --evidence/--reference",
                             remedy="give either a SmartRank file or evidence and references")
        with naming_file(smartrank):
            case, notes = read_smartrank_criteria(smartrank, frequencies=frequencies)
    else:
        if not evidence:
            raise InputError("no evidence file", remedy="give --evidence FILE (or --smartrank)")
        ev: dict[str, Any] = {}
        refs: dict[str, Any] = {}
        for path in evidence:
            with naming_file(path):
                ev.update(read_mixture_profiles(path))
        for path in reference:
            with naming_file(path):
                refs.update(read_mixture_profiles(path))
        case = case_from_profiles(
            ev, refs, frequencies=frequencies, poi=poi, knowns=known, unknowns_hp=unknowns_hp,
            unknowns_hd=unknowns_hd, dropout=_parse_dropouts(dropout),
            dropout_unknowns=dropout_unknowns, dropin=dropin, theta=theta,
            min_frequency=min_frequency, replicates=replicate or None, loci=locus or None)
        if poi is None:
            notes.append("no --poi: the case has no person of interest")
    parse_case(case, source="the built case file")  # validates; raises naming the field
    text = json.dumps(case, indent=1)
    for note in notes:
        err_console.print(f"locard: note: {note}")
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        Path(out).write_text(text + "\n", encoding="utf-8")
        console.print(f"wrote {out}")


@commands.command("dropout")
def mixture_dropout_command(
    case: str = typer.Argument(..., help="Case file (JSON) or '-'."),
    simulations: int = typer.Option(1000, "--simulations", min=1,
                                    help="Monte Carlo iterations per hypothesis."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (reproducible runs)."),
    fixed_unknowns: bool = typer.Option(
        False, "--fixed-unknowns", help="Keep the unknowns' drop-outs; vary only the person of "
        "interest's."),
    as_json: JsonOption = False,
) -> None:
    """Estimate drop-out as LRmix Studio does (Monte Carlo on the observed allele count): the
    5th and 95th percentiles, the LR at each, and the conservative one."""
    from locard.stats.mixture.dropout import estimate_dropout

    parsed, table = load_case(case)
    est = estimate_dropout(parsed, table, simulations=simulations, seed=seed,
                           vary_unknowns=not fixed_unknowns)
    if as_json:
        print_json(est.to_dict())
        return
    view = Table(title="Drop-out estimation (LRmix Studio Monte Carlo)")
    for col in ("hypothesis", "accepted", "5th pct", "95th pct"):
        view.add_column(col, justify="left" if col == "hypothesis" else "right")
    for h in ("hp", "hd"):
        view.add_row(h, str(est.accepted[h]), f"{est.percentile_5[h]:.2f}",
                     f"{est.percentile_95[h]:.2f}")
    console.print(view)
    console.print(f"observed alleles {est.observed_alleles} ({est.replicates} replicate(s)); "
                  f"varied: {', '.join(est.varied)}")
    for label, d, lr in (("5th", est.low, est.lr_at_low), ("95th", est.high, est.lr_at_high)):
        console.print(f"{label} percentile {d:.2f}: LR = "
                      + (f"{lr:.4g}" if lr is not None else "undefined (L(Hd) = 0)"))
    console.print(f"conservative drop-out: {est.conservative:.2f}")


def _sensitivity(parsed: MixtureCase, table: Any, vary: str) -> Any:
    from locard.stats.mixture.dropout import sensitivity_analysis

    if vary not in ("poi", "unknowns", "both"):
        raise InputError(f"--vary {vary!r}", remedy="use --vary poi, unknowns or both")
    return sensitivity_analysis(parsed, table, vary_poi=vary in ("poi", "both"),
                                vary_unknowns=vary in ("unknowns", "both"))


@commands.command("sensitivity")
def mixture_sensitivity_command(
    case: str = typer.Argument(..., help="Case file (JSON) or '-'."),
    vary: str = typer.Option("both", "--vary", help="Whose drop-out varies: poi, unknowns "
                             "or both."),
    plot: str | None = typer.Option(None, "--plot", help="Write the plot (FILE.png or .svg)."),
    as_json: JsonOption = False,
) -> None:
    """The LR across drop-out 0.01-0.99 (the person of interest's and/or the unknowns'), as
    LRmix Studio's sensitivity analysis: a table and a plot."""
    parsed, table = load_case(case)
    result = _sensitivity(parsed, table, vary)
    if plot:
        from locard.plots import sensitivity_plot

        sensitivity_plot(result, plot)
    if as_json:
        print_json(result.to_dict())
        return
    view = Table(title=f"LR across drop-out ({', '.join(result.varied)})")
    view.add_column("drop-out", justify="right")
    view.add_column("LR", justify="right")
    view.add_column("log10 LR", justify="right")
    for p in result.points:
        view.add_row(f"{p.dropout:.2f}", f"{p.lr:.4g}" if p.lr is not None else "-",
                     f"{p.log10_lr:.3f}" if p.log10_lr is not None else "-")
    console.print(view)
    if plot:
        console.print(f"wrote {plot}")


@commands.command("tippet")
def mixture_tippet_command(
    case: str = typer.Argument(..., help="Case file (JSON) or '-'."),
    simulations: int = typer.Option(1000, "--simulations", min=1,
                                    help="Random non-contributors in place of the POI."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (reproducible runs)."),
    calibration: int = typer.Option(
        100, "--calibration", min=0, help="Simulated Hp-true/Hd-true cases for Cllr and ECE "
        "(lir); 0: none."),
    plot: str | None = typer.Option(None, "--plot", help="Write the Tippet plot (.png/.svg)."),
    as_json: JsonOption = False,
) -> None:
    """Non-contributor test: the LR distribution when the person of interest is replaced by
    random profiles, the share with LR >= the observed one, Cllr and ECE, a Tippet plot."""
    from locard.stats.mixture.tippet import non_contributor_test

    parsed, table = load_case(case)
    result = non_contributor_test(parsed, table, simulations=simulations, seed=seed,
                                  calibration=calibration)
    if plot:
        from locard.plots import tippet_plot

        tippet_plot(result, plot)
    data = result.to_dict()
    if as_json:
        print_json(data)
        return
    console.print(f"observed LR = {result.observed_lr:.4g} (log10 {result.observed_log10_lr:.3f})")
    console.print(f"{result.at_or_above} of {len(result.non_contributor_log10_lrs)} random "
                  f"non-contributors have LR >= observed (share {result.share_at_or_above:.4g};"
                  f" bound 1/LR = {result.bound:.4g})")
    if data["summary_log10"]:
        s = data["summary_log10"]
        console.print(f"non-contributor log10 LR: min {s['min']:.2f}, median {s['median']:.2f},"
                      f" 99th pct {s['p99']:.2f}, max {s['max']:.2f}")
    if result.calibration is not None:
        c = result.calibration
        console.print(f"Cllr {c.cllr:.4f}, Cllr_min {c.cllr_min:.4f}, ECE at prior odds 1 "
                      f"{c.ece.get(0.0, float('nan')):.4f} ({len(c.hp_true_log10_lrs)} simulated "
                      f"cases, {c.skipped} skipped; lir)")
    if plot:
        console.print(f"wrote {plot}")
