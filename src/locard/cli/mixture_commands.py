"""``locard mixture lr``: the semi-continuous (LRmix) likelihood ratio of a mixture case file;
``locard mixture rank``: a database ranked by that LR (:mod:`locard.store.mixture_search`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from locard.cli.common import console, print_json
from locard.cli.context import resolve_user
from locard.cli.mixture_analysis_commands import load_case
from locard.cli.options import PURPOSE_HELP, DbOption, JsonOption, PolicyOption, UserOption
from locard.errors import InputError
from locard.stats.mixture import DEFAULT_MAX_COMBINATIONS

if TYPE_CHECKING:
    from locard.stats.frequencies import FrequencyTable
    from locard.stats.mixture.casefile import MixtureCase


def _source(case: str) -> str:
    return "<stdin>" if case == "-" else case


mixture_app = typer.Typer(
    help="Mixed and low-template traces: semi-continuous (LRmix) likelihood ratios.",
    no_args_is_help=True)


@mixture_app.command("lr")
def mixture_lr_command(
    case: str = typer.Argument(..., help="Case file (JSON; see docs/mixture.md) or '-'."),
    max_combinations: int = typer.Option(
        DEFAULT_MAX_COMBINATIONS, "--max-combinations", min=1,
        help="Most genotype combinations of the unknowns one locus may enumerate (larger "
             "cases are refused with a time estimate)."),
    conservative: bool = typer.Option(
        False, "--conservative", help="Continuous cases: also the conservative LR, the 5% "
                                      "quantile of the Bayesian LR by MCMC (EuroForMix)."),
    mcmc_samples: int = typer.Option(2000, "--mcmc-samples", min=2,
                                     help="MCMC draws per hypothesis for --conservative."),
    plot: Path | None = typer.Option(
        None, "--plot", help="Continuous cases: write the bar plot of observed against "
                             "expected heights per contributor at the Hp fit (.png or .svg)."),
    as_json: JsonOption = False,
) -> None:
    """Likelihood ratio of a mixed or low-template trace under the case file's hypotheses
    (drop-out per contributor, drop-in, theta, replicates), per locus and in total."""

    parsed, table = load_case(case)
    if parsed.spec.model == "continuous":
        _continuous_lr(parsed, table, as_json=as_json, conservative=conservative,
                       mcmc_samples=mcmc_samples, plot=plot)
        return
    if conservative or plot is not None:
        raise InputError(f"{_source(case)}: --conservative and --plot need the continuous model",
                         remedy="set \"model\": \"continuous\" and give peak heights, or "
                                "leave out --conservative and --plot")
    from locard.stats.mixture.casefile import run_case

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


def _continuous_lr(parsed: MixtureCase, table: FrequencyTable, *, as_json: bool,
                   conservative: bool = False, mcmc_samples: int = 2000,
                   plot: Path | None = None) -> None:
    """``locard mixture lr`` on a ``"model": "continuous"`` case file; with ``conservative``
    the MCMC conservative LR, with ``plot`` the observed/expected heights bar plot (both at
    the fits the LR comes from: :func:`~locard.stats.mixture.continuous_report.continuous_report`,
    the function the web service calls)."""
    from locard.stats.mixture.continuous_report import continuous_report

    report = continuous_report(parsed, table, conservative=conservative,
                               mcmc_samples=mcmc_samples)
    result = report.result
    out = report.to_dict()
    cons = report.conservative
    if plot is not None:
        from locard.plots import expected_heights_plot

        expected_heights_plot(report.expected_heights("hp"), plot)
        out["plot"] = str(plot)
    if as_json:
        print_json(out)
        return
    view = Table(title="Continuous likelihood ratio (gamma peak-height model)")
    for col in ("locus", "evidence alleles", "ln L(Hp)", "ln L(Hd)", "log10 LR"):
        view.add_column(col, justify="left" if col in ("locus", "evidence alleles")
                        else "right")
    for locus, lp in result.per_locus.items():
        view.add_row(locus, ",".join(lp.alleles) or "-", f"{lp.loglik_hp:.3f}",
                     f"{lp.loglik_hd:.3f}", f"{lp.log10_lr:.3f}")
    console.print(view)
    for locus, note in result.notes.items():
        console.print(f"  {locus}: {note}")
    for name, fit in (("Hp", result.hp_fit), ("Hd", result.hd_fit)):
        p = fit.parameters
        console.print(f"{name}: ln L = {fit.loglik:.4f}; Mx {[round(m, 4) for m in p.mx]}, "
                      f"mu {p.mu:.1f}, sigma {p.sigma:.4f}, beta {p.beta:.4f}, "
                      f"xi {p.xi_b:.4f}/{p.xi_f:.4f}; {len(fit.restarts)} optimiser starts")
    console.print(f"LR = {result.lr:.4g}   log10 LR = {result.log10_lr:.3f}")
    if cons is not None:
        console.print(f"Conservative LR ({cons.quantile:g} quantile of the Bayesian LR, "
                      f"{len(cons.hp.logliks)} MCMC draws per hypothesis; acceptance Hp "
                      f"{cons.hp.acceptance_rate:.2f}, Hd {cons.hd.acceptance_rate:.2f}): "
                      f"LR = {cons.lr:.4g}   log10 LR = {cons.log10_lr:.3f}")
    if plot is not None:
        console.print(f"Observed and expected heights (Hp fit): {plot}")


@mixture_app.command("rank")
def mixture_rank_command(
    case: str = typer.Argument(..., help="Case file (JSON; see docs/mixture.md) whose Hp names "
                               "the database candidate CANDIDATE, or '-'."),
    purpose: str = typer.Option(..., "--purpose", help=PURPOSE_HELP),  # required
    index: list[str] | None = typer.Option(
        None, "--index", help="Index to rank (repeat; default: every index the policy "
                              "matrix allows for the trace's index)."),
    top: int = typer.Option(50, "--top", min=1, help="Candidates to list."),
    threshold: float | None = typer.Option(
        None, "--threshold", help="List only candidates with LR >= this (an LR, e.g. 1000)."),
    trace: str | None = typer.Option(
        None, "--trace", help="The stored trace (a specimen ID of your lab) the evidence comes "
                              "from: hits at or above the threshold (LR > 1 without one) "
                              "become candidate matches for review."),
    hd_once: bool = typer.Option(
        False, "--hd-once", help="Leave the candidate out of Hd (SmartRank's default: Pr(E|Hd) "
                                 "computed once); default: a typed non-contributor under Hd."),
    q_shutdown_hp: bool = typer.Option(
        False, "--q-shutdown-hp", help="Draw Hp's unknowns from the evidence alleles only "
                                       "(SmartRank's default 'Q designation shutdown'); "
                                       "default: Q under both hypotheses (LRmix)."),
    max_combinations: int = typer.Option(
        DEFAULT_MAX_COMBINATIONS, "--max-combinations", min=1,
        help="Most genotype combinations of the unknowns one locus may enumerate "
             "(continuous cases: 3,000,000 unless given)."),
    refit: int = typer.Option(
        20, "--refit", min=0,
        help="Continuous cases: refit this many of the best candidates with the full "
             "maximum-likelihood LR (all parameters free) and re-order them by it."),
    db: DbOption = None,
    user: UserOption = None,
    policy: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rank a database by the semi-continuous LR of a mixed trace (SmartRank-class), with the
    expected number of adventitious hits above the threshold and a suggested threshold; with
    "model": "continuous", by the continuous LR (ProbRank-class): Hd fitted once, every profile
    scored at its parameters, the best --refit refitted by maximum likelihood."""
    from locard.store import Store
    from locard.store.mixture_search import rank_store_by_mixture_lr

    parsed, table = load_case(case)
    if parsed.spec.model == "continuous":
        if hd_once or q_shutdown_hp:
            raise InputError(f"{_source(case)}: --hd-once and --q-shutdown-hp are options of the "
                             "semi-continuous ranking",
                             remedy="leave out --hd-once and --q-shutdown-hp for a continuous "
                                    "case")
        _continuous_rank(parsed, table, db=db, user=user, policy=policy, purpose=purpose,
                         index=index, top=top, refit=refit, threshold=threshold, trace=trace,
                         max_combinations=(None if max_combinations == DEFAULT_MAX_COMBINATIONS
                                           else max_combinations), as_json=as_json)
        return
    store = Store.open(db, policy=policy)
    try:
        report = rank_store_by_mixture_lr(
            store, parsed, table=table, actor=resolve_user(user), purpose=purpose, top=top,
            threshold=threshold, indices=index or None, trace=trace,
            hd_conditioned=not hd_once, q_shutdown_hp=q_shutdown_hp,
            max_combinations=max_combinations)
    finally:
        store.close()
    if as_json:
        print_json(report.to_dict())
        return
    view = Table(title=f"Mixture LR ranking ({purpose}): {len(report)} candidate(s) in "
                       f"{', '.join(report.targets)}")
    for col in ("rank", "lab", "specimen", "index", "LR", "log10 LR", "match"):
        view.add_column(col, justify="right" if col in ("rank", "LR", "log10 LR") else "left")
    for c in report.candidates:
        view.add_row(str(c.rank), c.lab, c.specimen_id, c.index, f"{c.lr:.4g}",
                     f"{c.log10_lr:.2f}", "" if c.match_id is None else str(c.match_id))
    console.print(view)
    console.print(f"Hp: {report.hypotheses['hp']}")
    console.print(f"Hd: {report.hypotheses['hd']}")
    adv = report.adventitious
    if adv.expected is not None:
        console.print(f"Expected adventitious hits at LR >= {adv.threshold:g} among "
                      f"{adv.database_size:,} profiles: {adv.expected:.3g}")
    console.print(f"Suggested threshold (expected adventitious hits < 1): LR >= "
                  f"{adv.suggested_threshold:.4g}")
    for locus, note in report.notes.items():
        console.print(f"  {locus}: {note}")


def _continuous_rank(parsed: MixtureCase, table: FrequencyTable, *, db: str | None,
                     user: str | None, policy: str | None, purpose: str,
                     index: list[str] | None, top: int, refit: int, threshold: float | None,
                     trace: str | None, max_combinations: int | None, as_json: bool) -> None:
    """``locard mixture rank`` on a ``"model": "continuous"`` case file."""
    from locard.store import Store
    from locard.store.mixture_search import rank_store_by_continuous_lr

    store = Store.open(db, policy=policy)
    try:
        report = rank_store_by_continuous_lr(
            store, parsed, table=table, actor=resolve_user(user), purpose=purpose, top=top,
            refit=refit, threshold=threshold, indices=index or None, trace=trace,
            max_combinations=max_combinations)
    finally:
        store.close()
    if as_json:
        print_json(report.to_dict())
        return
    view = Table(title=f"Continuous mixture LR ranking ({purpose}): {len(report)} "
                       f"candidate(s) in {', '.join(report.targets)}; top {report.refit} "
                       "refitted")
    for col in ("rank", "lab", "specimen", "index", "LR fixed", "LR refit", "match"):
        view.add_column(col, justify="left" if col in ("lab", "specimen", "index", "match")
                        else "right", no_wrap=col == "specimen")
    for c in report.candidates:
        view.add_row(str(c.rank), c.lab, c.specimen_id, c.index, f"{c.lr_fixed:.4g}",
                     "-" if c.lr is None else f"{c.lr:.4g}",
                     "" if c.match_id is None else str(c.match_id))
    console.print(view)
    console.print(f"Hp: {report.hypotheses['hp']}")
    console.print(f"Hd: {report.hypotheses['hd']}")
    p = report.hd_parameters
    console.print(f"Hd fit: ln L = {report.hd_loglik:.4f}; Mx {[round(m, 4) for m in p['mx']]}, "
                  f"mu {p['mu']:.1f}, sigma {p['sigma']:.4f}, beta {p['beta']:.4f}, "
                  f"xi {p['xi_b']:.4f}/{p['xi_f']:.4f}")
    for locus, note in report.notes.items():
        console.print(f"  {locus}: {note}")


@mixture_app.command("deconvolve")
def mixture_deconvolve_command(
    case: str = typer.Argument(..., help="Case file with \"model\": \"continuous\" (JSON; see "
                               "docs/mixture.md) or '-'."),
    hypothesis: str = typer.Option("hd", "--hypothesis",
                                   help="The hypothesis fitted: hd or hp."),
    top: int = typer.Option(3, "--top", min=1,
                            help="Genotypes listed per contributor and locus."),
    alpha: float = typer.Option(0.01, "--alpha", min=1e-9, max=0.5,
                                help="Significance of the PP-plot envelope (Bonferroni-"
                                     "adjusted over the peaks)."),
    pp_plot_file: Path | None = typer.Option(None, "--pp-plot",
                                             help="Write the PP-plot (.png or .svg)."),
    as_json: JsonOption = False,
) -> None:
    """Deconvolve a mixed trace with the continuous model: the most probable genotype of each
    contributor at each locus with its posterior probability, at the maximum-likelihood fit of
    one hypothesis, and the fit's model validation (PP-plot of cumulative peak-height
    probabilities, flagging a poor fit)."""
    from locard.stats.mixture.casefile import fit_continuous_case
    from locard.stats.mixture.continuous_validation import pp_validation
    from locard.stats.mixture.deconvolution import deconvolve

    if hypothesis not in ("hd", "hp"):
        raise InputError(f"--hypothesis: {hypothesis!r} is not hd or hp",
                         remedy="use --hypothesis hd or --hypothesis hp")
    parsed, table = load_case(case)
    if parsed.spec.model != "continuous":
        raise InputError(f"{_source(case)}: deconvolution needs the continuous model",
                         remedy="set \"model\": \"continuous\" and give peak heights")
    fitted = fit_continuous_case(parsed, table, which=hypothesis)
    result = deconvolve(fitted, top=top, hypothesis=hypothesis)
    validation = pp_validation(fitted, alpha=alpha, hypothesis=hypothesis)
    if pp_plot_file is not None:
        from locard.plots import pp_plot

        pp_plot(validation, pp_plot_file)
    if as_json:
        print_json({"deconvolution": result.to_dict(), "validation": validation.to_dict(),
                    "restarts": fitted.fit.to_dict()["restarts"], "notes": dict(fitted.notes)})
        return
    p = fitted.fit.parameters
    console.print(f"{hypothesis.upper()} fit: ln L = {fitted.fit.loglik:.4f}; mu {p.mu:.1f}, "
                  f"sigma {p.sigma:.4f}, beta {p.beta:.4f}, xi {p.xi_b:.4f}/{p.xi_f:.4f}")
    view = Table(title="Deconvolution (continuous model): most probable genotypes")
    view.add_column("locus")
    for c in result.contributors:
        view.add_column(f"{c.name} (Mx {c.mx:.3f})")
    for locus in (next(iter(result.contributors)).per_locus if result.contributors else {}):
        cells = []
        for c in result.contributors:
            calls = c.per_locus.get(locus, ())
            cells.append("; ".join(f"{'/'.join(g.alleles)} {g.probability:.3f}" for g in calls))
        view.add_row(locus, *cells)
    console.print(view)
    for locus, note in fitted.notes.items():
        console.print(f"  {locus}: {note}")
    verdict = "POOR FIT" if validation.poor_fit else "no peak outside the envelope"
    console.print(f"Model validation (PP-plot, {len(validation.points)} peaks, alpha "
                  f"{alpha:g}, Bonferroni {alpha / max(len(validation.points), 1):.2g}): "
                  f"{verdict}")
    for pt in validation.outside:
        console.print(f"  outside: {pt.locus} allele {pt.allele} height {pt.height:g} "
                      f"(cumulative probability {pt.probability:.4g}, p {pt.p_value:.2g})")
