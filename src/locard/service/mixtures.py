"""The service's mixture analyses: a case file (docs/mixture.md) in, the LR out, for the
semi-continuous (LRmix) and the continuous (peak-height, EuroForMix-class) model.

The numbers are the ones ``locard mixture lr --json`` prints: the same case file goes through
the same :func:`~locard.stats.mixture.casefile.parse_case` and
:func:`~locard.stats.mixture.casefile.run_case` (semi-continuous) or
:func:`~locard.stats.mixture.continuous_report.continuous_report` (continuous): one quantity,
one function. The API route, the web page and the PDF report all call :func:`mixture_lr` or
:func:`mixture_analysis`.

Three differences from the CLI, all refusals with a remedy: the service reads no files, so
``frequencies.table`` must name a bundled table (``locard frequencies list``), never a path on
the server; a continuous case with more than :data:`MAX_SERVICE_UNKNOWNS` unknowns in a
hypothesis is the CLI's (a 4-person fit takes minutes: 132 s measured on 2 cores); and a
continuous database ranking refits at most :data:`MAX_SERVICE_REFIT` candidates (the CLI's
``--refit K``: any number).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from locard.errors import CombinatorialLimit, InputError, LocardError
from locard.reference import bundled_table_names, get_bundled_table, is_bundled_name
from locard.service.explain import ENFSI_CITATION, scale_rows, verbal_equivalent
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture import DEFAULT_MAX_COMBINATIONS
from locard.stats.mixture.casefile import MixtureCase, parse_case, run_case

__all__ = ["DEFAULT_SERVICE_REFIT", "MAX_SERVICE_REFIT", "MAX_SERVICE_UNKNOWNS",
           "MixtureAnalysis", "load_case", "load_rank_case", "mixture_analysis", "mixture_lr",
           "service_table"]

#: random non-contributors of the web page's Tippet test, and its fixed seed (reproducible)
TIPPET_SIMULATIONS = 1000
TIPPET_SEED = 1
#: the most unknowns a hypothesis of a continuous case may have in the service (measured on 2
#: cores, 20 loci: 2 persons 0.68 s, 3 persons 5.6 s, 4 persons 132 s)
MAX_SERVICE_UNKNOWNS = 3
#: the most candidates a continuous ranking in the service refits by full maximum likelihood
#: (measured 1.2 s each on 2 cores for a 2-person 20-locus case, more with more unknowns; the
#: CLI's ``--refit`` has no limit), and the number refitted unless the request says
MAX_SERVICE_REFIT = 5
DEFAULT_SERVICE_REFIT = 3


def service_table(spec: str) -> FrequencyTable:
    """The bundled frequency table ``spec`` names; a file path is refused (the service reads
    no file a request names)."""
    if not is_bundled_name(spec):
        raise InputError(
            f"frequencies.table: {spec!r} is not a bundled table (the service reads no files)",
            remedy="name a bundled table (" + ", ".join(bundled_table_names()[:4])
                   + ", ...; `locard frequencies list`), or run `locard mixture lr CASE.json` "
                     "for a frequency file")
    return get_bundled_table(spec)


def load_case(data: Mapping[str, Any] | str | bytes, *, source: str = "case file",
              command: str = "locard mixture lr CASE.json") -> tuple[MixtureCase, FrequencyTable]:
    """A case file, validated, and its bundled table; a continuous case has at most
    :data:`MAX_SERVICE_UNKNOWNS` unknowns per hypothesis (else :class:`CombinatorialLimit`
    with ``command``, the CLI command that fits it, as the remedy)."""
    case = parse_case(data, source=source)
    if case.spec.model == "continuous":
        for name, h in (("hp", case.hp), ("hd", case.hd)):
            if h.unknowns > MAX_SERVICE_UNKNOWNS:
                raise CombinatorialLimit(
                    f"{source}: hypotheses.{name}.unknowns = {h.unknowns}: the service fits "
                    f"the continuous model with at most {MAX_SERVICE_UNKNOWNS} unknowns per "
                    "hypothesis (a 4-person fit takes minutes)",
                    remedy=f"run `{command}` (the CLI fits up to 4 contributors), or use at "
                           f"most {MAX_SERVICE_UNKNOWNS} unknowns")
    return case, service_table(case.table_spec)


def load_rank_case(data: Mapping[str, Any] | str | bytes, *, refit: int, hd_once: bool,
                   q_shutdown_hp: bool, source: str = "case file"
                   ) -> tuple[MixtureCase, FrequencyTable]:
    """A case file for ``POST /api/v1/mixtures/rank``, validated with the ranking's options as
    ``locard mixture rank`` validates them: a continuous case (at most
    :data:`MAX_SERVICE_UNKNOWNS` unknowns per hypothesis) refits at most
    :data:`MAX_SERVICE_REFIT` candidates (each refit is a full maximum-likelihood fit of Hp and
    Hd, seconds each) and takes neither ``hd_once`` nor ``q_shutdown_hp`` (options of the
    semi-continuous ranking); ``refit`` is ignored for a semi-continuous case, as by the CLI."""
    case, table = load_case(data, source=source,
                            command="locard mixture rank CASE.json --purpose ...")
    if case.spec.model == "continuous":
        if refit < 0 or refit > MAX_SERVICE_REFIT:
            raise CombinatorialLimit(
                f"refit = {refit}: the service refits 0 to {MAX_SERVICE_REFIT} candidates of a "
                "continuous ranking (each refit is a full maximum-likelihood fit, seconds "
                "each)",
                remedy=f"give refit 0 to {MAX_SERVICE_REFIT}, or run `locard mixture rank "
                       "CASE.json --purpose ... --refit K` for more")
        if hd_once or q_shutdown_hp:
            raise InputError(f"{source}: hd_once and q_shutdown_hp are options of the "
                             "semi-continuous ranking",
                             remedy="leave out hd_once and q_shutdown_hp for a continuous "
                                    "case")
    return case, table


def mixture_lr(data: Mapping[str, Any] | str | bytes, *, source: str = "case file",
               max_combinations: int = DEFAULT_MAX_COMBINATIONS) -> dict[str, Any]:
    """The LR of a case file as ``locard mixture lr --json`` prints it (``MixtureLR.to_dict``,
    or for a continuous case ``ContinuousReport.to_dict``)."""
    case, table = load_case(data, source=source)
    if case.spec.model == "continuous":
        from locard.stats.mixture.continuous_report import continuous_report

        return continuous_report(case, table).to_dict()
    return run_case(case, table, max_combinations=max_combinations).to_dict()


def _svg_data_uri(svg: bytes) -> str:
    """An SVG as a ``data:`` URI for an ``<img>`` (the CSP allows ``img-src data:``)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


@dataclass
class MixtureAnalysis:
    """Everything the web page and the PDF report show for one case file: the LR (``result``,
    the CLI's JSON), its verbal equivalent, the parameters in rows, the sensitivity and Tippet
    results with their plots (SVG ``data:`` URIs), and why an analysis was left out."""

    result: dict[str, Any]
    case: MixtureCase
    table: dict[str, Any]
    verbal: str | None
    parameters: list[tuple[str, str]]
    scale: list[tuple[str, str]] = field(default_factory=scale_rows)
    citation: str = ENFSI_CITATION
    sensitivity: dict[str, Any] | None = None
    sensitivity_svg: str | None = None
    tippet: dict[str, Any] | None = None
    tippet_svg: str | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    #: continuous model: the fitted parameters in rows (name, Hp, Hd; value with its SE)
    fitted: list[tuple[str, str, str]] = field(default_factory=list)
    #: continuous model: the objects the plots are drawn from (the PDF redraws them as PNG)
    expected: Any = None
    expected_svg: str | None = None  # inline <svg> (escaped text), not a data: URI
    pp: dict[str, Any] = field(default_factory=dict)
    pp_svgs: dict[str, str] = field(default_factory=dict)
    tippet_result: Any = None

    @property
    def continuous(self) -> bool:
        """Whether the result is of the continuous model."""
        return self.result.get("model") == "continuous"

    @property
    def lr(self) -> float:
        """The likelihood ratio Pr(E | Hp) / Pr(E | Hd)."""
        return float(self.result["lr"])

    @property
    def scale_sentence(self) -> str:
        """The LR on the ENFSI scale, in words (an LR below 1 supports Hd: its reciprocal)."""
        lr = self.lr
        if math.isnan(lr):
            return "The LR is undefined (the evidence has probability 0 under both hypotheses)."
        if self.verbal is not None:
            return (f"On the ENFSI (2015) verbal scale an LR of this size gives {self.verbal} "
                    "for Hp over Hd.")
        if lr == 0:
            return "The LR is 0: the evidence is impossible under Hp; it excludes Hp."
        back = verbal_equivalent(1.0 / lr)
        return (f"The LR is below 1: the evidence supports Hd over Hp (1/LR = {1.0 / lr:.3g}"
                + (f", on the ENFSI (2015) verbal scale {back} for Hd over Hp" if back else "")
                + ").")


def _parameters(case: MixtureCase, table: FrequencyTable) -> list[tuple[str, str]]:
    spec = case.spec
    desc = table.describe()
    rows = [("Model", "semi-continuous (LRmix; Haned & Gill): alleles, no peak heights"),
            ("Person of interest", spec.poi or "-")]
    rows += [(f"Drop-out of {name}", f"{d:g}") for name, d in case.dropout.items()]
    for h, hyp in (("Hp", case.hp), ("Hd", case.hd)):
        rows.append((f"Drop-out of the unknowns under {h}",
                     ", ".join(f"{d:g}" for d in hyp.unknown_dropout) or "no unknowns"))
    rows += [("Drop-in probability", f"{spec.dropin.probability:g}"),
             ("Theta (Balding-Nichols)", f"{spec.theta:g}"),
             ("Replicates", ", ".join(spec.evidence) or "-"),
             ("Frequency table", f"{desc['name']} (SHA-256 {desc.get('sha256')})"),
             ("Minimum frequency", f"{spec.frequencies.min_frequency:g}"
              + (" (the table exactly as given)" if spec.frequencies.min_frequency == 0
                 else ""))]
    return rows


def _num(x: Any, spec: str = ".4g") -> str:
    return "-" if x is None else format(float(x), spec)


def _fitted_rows(result: Mapping[str, Any], case: MixtureCase) -> list[tuple[str, str, str]]:
    """The fitted parameters under Hp and Hd with their standard errors ("-": not in the
    hypothesis or the model; "SE n/a": the Hessian was not positive definite)."""
    rows: list[tuple[str, str, str]] = []
    names = {"hp": [*case.hp.contributors, *(f"U{i + 1}" for i in range(case.hp.unknowns))],
             "hd": [*case.hd.contributors, *(f"U{i + 1}" for i in range(case.hd.unknowns))]}
    width = max(len(names["hp"]), len(names["hd"]))

    def cell(h: str, key: str, i: int | None = None) -> str:
        value = result["parameters"][h][key]
        se = (result["standard_errors"][h] or {}).get(key)
        if i is not None:
            if i >= len(value):
                return "-"
            value = value[i]
            se = se[i] if se is not None else None
        v = format(float(value), ".4g")
        return f"{v} (SE {format(float(se), '.2g')})" if se is not None else f"{v} (SE n/a)"

    for i in range(width):
        label = " / ".join(dict.fromkeys(n[i] for n in names.values() if i < len(n)))
        rows.append((f"Mx {i + 1} ({label})", cell("hp", "mx", i), cell("hd", "mx", i)))
    spec = case.spec
    stutter = spec.stutter
    shown = [("mu", "mu: expected peak height (RFU)"), ("sigma", "sigma: coefficient of variation")]
    if spec.degradation:
        shown.append(("beta", "beta: degradation slope"))
    if stutter is None or stutter.backward:
        shown.append(("xi_b", "xi: backward stutter proportion"))
    if stutter is not None and stutter.forward:
        shown.append(("xi_f", "xi: forward stutter proportion"))
    rows += [(label, cell("hp", key), cell("hd", key)) for key, label in shown]
    rows.append(("ln L at the maximum", _num(result["loglik"]["hp"], ".4f"),
                 _num(result["loglik"]["hd"], ".4f")))
    rows.append(("optimiser starts", str(len(result["restarts"]["hp"])),
                 str(len(result["restarts"]["hd"]))))
    return rows


def _continuous_parameters(case: MixtureCase, table: FrequencyTable) -> list[tuple[str, str]]:
    spec = case.spec
    desc = table.describe()
    stutter = spec.stutter
    lam = spec.dropin.lambda_
    threshold = spec.analytical_threshold
    return [("Model", "continuous (gamma peak heights; Bleka, Storvik & Gill 2016, EuroForMix): "
                      "parameters fitted by maximum likelihood under each hypothesis"),
            ("Person of interest", spec.poi or "-"),
            ("Analytical threshold (RFU)", ", ".join(f"{k} {v:g}" for k, v in threshold.items())
             if isinstance(threshold, dict) else f"{threshold:g}"),
            ("Drop-in probability / lambda",
             f"{spec.dropin.probability:g} / {0.01 if lam is None else lam:g}"),
            ("Degradation", "modelled (kit " + (spec.kit or "-") + ")" if spec.degradation
             else "not modelled"),
            ("Stutter", ", ".join(n for n, on in (("backward", stutter is None or stutter.backward),
                                                  ("forward", stutter is not None
                                                   and stutter.forward)) if on)
             or "not modelled"),
            ("Theta (Balding-Nichols)", f"{spec.theta:g}"),
            ("Replicates", ", ".join(spec.evidence) or "-"),
            ("Optimiser seed", str(spec.seed)),
            ("Frequency table", f"{desc['name']} (SHA-256 {desc.get('sha256')})"),
            ("Minimum frequency", f"{spec.frequencies.min_frequency:g}")]


def _expected_svg(expected: Any) -> str:
    """The observed-against-expected bar plot as inline SVG (``locard.service.svg``: drawn in
    milliseconds, where matplotlib takes seconds for 20 panels; the PDF uses
    ``locard.plots.expected_heights_plot`` on the same values)."""
    from locard.service.svg import expected_heights_svg

    def order(allele: str) -> tuple[float, str]:  # by repeat number: 8, 9, 9.3, 10, ...
        try:
            return (float(allele), allele)
        except ValueError:
            return (math.inf, allele)

    loci = [(locus, sorted(((p.allele, sum(p.observed) / len(p.observed) if p.observed
                             else 0.0, p.expected) for p in expected.peaks
                            if p.locus == locus), key=lambda t: order(t[0])))
            for locus in expected.loci]
    names = [f"{c} (Mx {m:.2f})" for c, m in zip(expected.contributors, expected.mx,
                                                   strict=True)]
    return expected_heights_svg(loci, names, title="Observed and expected peak heights, "
                                                   f"{expected.hypothesis.upper()} fit")


def _continuous_analysis(case: MixtureCase, table: FrequencyTable, *,
                         tippet: bool) -> MixtureAnalysis:
    """A continuous case: the LR (``continuous_report``: the numbers of the CLI and the API),
    the fitted parameters, the observed-against-expected heights at the Hp fit, the PP-plots of
    both fits and, with ``tippet``, the non-contributor test at the Hd parameters."""
    from locard.plots import pp_plot, tippet_plot
    from locard.stats.mixture.continuous_report import (
        TIPPET_SIMULATIONS as CONTINUOUS_SIMULATIONS,
    )
    from locard.stats.mixture.continuous_report import continuous_report, fixed_parameter_tippet

    report = continuous_report(case, table)
    result = report.to_dict()
    out = MixtureAnalysis(result=result, case=case, table=table.describe(),
                          verbal=verbal_equivalent(report.lr),
                          parameters=_continuous_parameters(case, table),
                          fitted=_fitted_rows(result, case))
    try:
        out.expected = report.expected_heights("hp")
        out.expected_svg = _expected_svg(out.expected)
    except LocardError as exc:
        out.skipped["expected"] = str(exc)
    for which in ("hp", "hd"):
        try:
            pp = report.pp_validation(which)
            out.pp[which] = pp
            out.pp_svgs[which] = _svg_data_uri(pp_plot(pp, format="svg"))
        except LocardError as exc:
            out.skipped[f"pp_{which}"] = str(exc)
    if tippet:
        try:
            tip = fixed_parameter_tippet(report, table, simulations=CONTINUOUS_SIMULATIONS,
                                         seed=TIPPET_SEED)
            out.tippet_result = tip
            out.tippet = tip.to_dict()
            out.tippet_svg = _svg_data_uri(tippet_plot(tip, format="svg"))
        except LocardError as exc:
            out.skipped["tippet"] = str(exc)
    return out


def mixture_analysis(data: Mapping[str, Any] | str | bytes, *, source: str = "case file",
                     analyses: bool = True, tippet: bool | None = None) -> MixtureAnalysis:
    """The LR of a case file with what the page and the report show beside it; with
    ``analyses``, the drop-out sensitivity (the person of interest's and the unknowns') and
    the non-contributor (Tippet) test with their plots. An analysis the case does not allow
    (no person of interest, nothing to vary) is left out with the reason in ``skipped``.

    A continuous case always has its fitted parameters, the observed-against-expected bar plot
    and the PP-plots; its Tippet test (at fixed parameters) runs with ``tippet`` (default:
    ``analyses``)."""
    from locard.plots import sensitivity_plot, tippet_plot
    from locard.stats.mixture.dropout import sensitivity_analysis
    from locard.stats.mixture.tippet import non_contributor_test

    case, table = load_case(data, source=source)
    if case.spec.model == "continuous":
        return _continuous_analysis(case, table, tippet=analyses if tippet is None else tippet)
    result = run_case(case, table).to_dict()
    lr = float(result["lr"])
    out = MixtureAnalysis(result=result, case=case, table=table.describe(),
                          verbal=verbal_equivalent(lr), parameters=_parameters(case, table))
    if not analyses:
        return out
    has_unknowns = bool(case.hp.unknown_dropout or case.hd.unknown_dropout)
    try:
        sens = sensitivity_analysis(case, table, vary_poi=case.spec.poi is not None,
                                    vary_unknowns=has_unknowns)
        out.sensitivity = sens.to_dict()
        out.sensitivity_svg = _svg_data_uri(sensitivity_plot(sens, format="svg"))
    except LocardError as exc:
        out.skipped["sensitivity"] = str(exc)
    try:
        tip = non_contributor_test(case, table, simulations=TIPPET_SIMULATIONS,
                                   seed=TIPPET_SEED)
        out.tippet = tip.to_dict()
        out.tippet_svg = _svg_data_uri(tippet_plot(tip, format="svg"))
    except LocardError as exc:
        out.skipped["tippet"] = str(exc)
    return out
