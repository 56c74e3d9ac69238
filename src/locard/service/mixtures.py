"""The service's mixture analyses: a case file (docs/mixture.md) in, the semi-continuous LR out.

The numbers are the ones ``locard mixture lr --json`` prints: the same case file goes through
the same :func:`~locard.stats.mixture.casefile.parse_case` and
:func:`~locard.stats.mixture.casefile.run_case` (one quantity, one function). The API route,
the web page and the PDF report all call :func:`mixture_lr` or :func:`mixture_analysis`.

Two differences from the CLI, both refusals with a remedy: the service reads no files, so
``frequencies.table`` must name a bundled table (``locard frequencies list``), never a path on
the server; and the continuous (peak-height) model is the CLI's (its fits take minutes).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from locard.errors import InputError, LocardError
from locard.service.explain import ENFSI_CITATION, scale_rows, verbal_equivalent
from locard.stats.bundled import bundled_table_names, get_bundled_table, is_bundled_name
from locard.stats.frequencies import FrequencyTable
from locard.stats.mixture import DEFAULT_MAX_COMBINATIONS
from locard.stats.mixture.casefile import MixtureCase, parse_case, run_case

__all__ = ["MixtureAnalysis", "load_case", "mixture_analysis", "mixture_lr", "service_table"]

#: random non-contributors of the web page's Tippet test, and its fixed seed (reproducible)
TIPPET_SIMULATIONS = 1000
TIPPET_SEED = 1


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


def load_case(data: Mapping[str, Any] | str | bytes, *,
              source: str = "case file") -> tuple[MixtureCase, FrequencyTable]:
    """A semi-continuous case file, validated, and its bundled table."""
    case = parse_case(data, source=source)
    if case.spec.model != "semi-continuous":
        raise InputError(f"{source}: model: {case.spec.model!r} is not computed by the service",
                         remedy="use \"model\": \"semi-continuous\", or run "
                                "`locard mixture lr CASE.json` for the continuous model")
    return case, service_table(case.table_spec)


def mixture_lr(data: Mapping[str, Any] | str | bytes, *, source: str = "case file",
               max_combinations: int = DEFAULT_MAX_COMBINATIONS) -> dict[str, Any]:
    """The LR of a case file as ``locard mixture lr --json`` prints it (``MixtureLR.to_dict``)."""
    case, table = load_case(data, source=source)
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

    @property
    def lr(self) -> float:
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


def mixture_analysis(data: Mapping[str, Any] | str | bytes, *, source: str = "case file",
                     analyses: bool = True) -> MixtureAnalysis:
    """The LR of a case file with what the page and the report show beside it; with
    ``analyses``, the drop-out sensitivity (the person of interest's and the unknowns') and
    the non-contributor (Tippet) test with their plots. An analysis the case does not allow
    (no person of interest, nothing to vary) is left out with the reason in ``skipped``."""
    from locard.plots import sensitivity_plot, tippet_plot
    from locard.stats.mixture.dropout import sensitivity_analysis
    from locard.stats.mixture.tippet import non_contributor_test

    case, table = load_case(data, source=source)
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
