"""Figures of the mixture analyses (matplotlib, the Agg backend): the drop-out sensitivity of
an LR and the Tippet plot of a non-contributor test. Each function writes PNG or SVG (chosen by
the file suffix, or ``format``) and returns the bytes, for the CLI, the service and reports."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from locard.errors import InvalidParameter
from locard.stats.mixture.dropout import SensitivityResult
from locard.stats.mixture.tippet import TippetResult

if TYPE_CHECKING:  # the continuous model loads Numba: not at import
    from locard.stats.kinship.power import PowerResult
    from locard.stats.mixture.continuous_expected import ExpectedHeights
    from locard.stats.mixture.continuous_validation import PPValidation

__all__ = ["EpgBin", "EpgCall", "EpgChannel", "electropherogram_plot", "expected_heights_plot",
           "power_plot", "pp_plot", "sensitivity_plot", "tippet_plot"]

_FORMATS = ("png", "svg")


def _format(path: str | Path | None, format: str | None) -> str:
    fmt = (format or (Path(path).suffix.lstrip(".") if path else "png")).lower()
    if fmt not in _FORMATS:
        raise InvalidParameter("plot", str(path or fmt), expected="a .png or .svg file name")
    return fmt


def _save(fig: object, path: str | Path | None, fmt: str) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=120, bbox_inches="tight")  # type: ignore[attr-defined]
    data = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def sensitivity_plot(result: SensitivityResult, path: str | Path | None = None, *,
                     format: str | None = None, dropout_estimate: tuple[float, float] | None = None
                     ) -> bytes:
    """log10 LR against drop-out; the estimated drop-out interval shaded when given."""
    fmt = _format(path, format)
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    xs = [p.dropout for p in result.points if p.log10_lr is not None]
    ys = [p.log10_lr for p in result.points if p.log10_lr is not None]
    ax.plot(xs, ys, marker=".", linewidth=1)
    if dropout_estimate is not None:
        ax.axvspan(*dropout_estimate, alpha=0.15, label="estimated drop-out (5th-95th pct)")
        ax.legend()
    ax.set_xlabel("drop-out probability of " + " and ".join(result.varied))
    ax.set_ylabel("log10 LR")
    ax.set_title("Sensitivity of the LR to drop-out")
    ax.grid(True, linestyle=":")
    return _save(fig, path, fmt)


def tippet_plot(result: TippetResult, path: str | Path | None = None, *,
                format: str | None = None) -> bytes:
    """Share of LRs >= x against log10 x: non-contributors (Hd true), simulated true donors
    (Hp true) when calibrated, and the observed LR as a vertical line."""
    fmt = _format(path, format)
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()

    def curve(values: tuple[float, ...], label: str) -> None:
        arr = np.sort(np.asarray(values))
        finite = np.where(np.isfinite(arr), arr, np.nan)
        share = 1.0 - np.arange(len(arr)) / len(arr)
        ax.step(finite, share, where="post", label=label)

    zeros = sum(1 for x in result.non_contributor_log10_lrs if x == -np.inf)
    curve(result.non_contributor_log10_lrs,
          "non-contributors (Hd true)" + (f"; {zeros} of {len(result.non_contributor_log10_lrs)}"
                                          " have LR = 0" if zeros else ""))
    if result.calibration is not None:
        curve(result.calibration.hp_true_log10_lrs, "simulated contributors (Hp true)")
    ax.axvline(result.observed_log10_lr, color="black", linestyle="--",
               label=f"observed log10 LR = {result.observed_log10_lr:.2f}")
    ax.set_xlabel("log10 LR")
    ax.set_ylabel("share with LR >= x")
    ax.set_title("Tippet plot")
    ax.legend(fontsize="small")
    ax.grid(True, linestyle=":")
    return _save(fig, path, fmt)


def pp_plot(result: PPValidation, path: str | Path | None = None, *,
            format: str | None = None) -> bytes:
    """The PP-plot of a continuous-model fit: each observed peak's cumulative probability
    against its uniform expectation, with the pointwise envelope at ``alpha`` and the
    Bonferroni envelope at ``alpha / N`` (EuroForMix's ``validMLEmodel``); peaks outside the
    latter are marked."""
    fmt = _format(path, format)
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from scipy import stats  # type: ignore[import-untyped]

    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    n = len(result.points)
    xs = np.linspace(0.0005, 0.9995, 400)
    if n:
        for level, style in ((result.alpha, ":"), (result.alpha / n, "--")):
            lo = stats.beta.ppf(level / 2, n * xs, n - n * xs + 1)
            hi = stats.beta.ppf(1 - level / 2, n * xs, n - n * xs + 1)
            ax.plot(xs, lo, color="grey", linestyle=style, linewidth=1)
            ax.plot(xs, hi, color="grey", linestyle=style, linewidth=1,
                    label=f"envelope, 1 - coverage {level:.2g}")
    ax.plot([0, 1], [0, 1], color="black", linewidth=0.8)
    inside = [p for p in result.points if not p.outside]
    ax.scatter([p.expected for p in inside], [p.probability for p in inside], s=14,
               label=f"{len(inside)} peaks")
    if result.outside:
        ax.scatter([p.expected for p in result.outside],
                   [p.probability for p in result.outside], s=30, color="red", marker="x",
                   label=f"{len(result.outside)} outside (poor fit)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("expected cumulative probability (uniform)")
    ax.set_ylabel("observed cumulative probability")
    ax.set_title(f"PP-plot, {result.hypothesis.upper()} fit")
    ax.legend(fontsize="small", loc="upper left")
    ax.grid(True, linestyle=":")
    return _save(fig, path, fmt)


# --- electropherogram (plain data in: this module knows nothing of locard.ce) ----------------


@dataclass(frozen=True, slots=True)
class EpgChannel:
    """One dye of an electropherogram: its signal (RFU) against size (bp, or scans when the
    run could not be sized)."""

    dye: str
    x: Sequence[float]
    rfu: Sequence[float]


@dataclass(frozen=True, slots=True)
class EpgBin:
    """A bin (``lo``..``hi`` bp) of ``allele`` at ``locus`` in channel ``channel`` (0-based)."""

    channel: int
    locus: str
    allele: str
    lo: float
    hi: float


@dataclass(frozen=True, slots=True)
class EpgCall:
    """A labelled peak: ``label`` (the allele, or the reason it was not called) at ``x``,
    ``height``; ``called`` False draws it grey."""

    channel: int
    x: float
    height: float
    label: str
    called: bool = True


_DYE_COLOURS = ("#1f5fbf", "#2a9d3a", "#222222", "#d62728", "#ff7f0e", "#9467bd")


def electropherogram_plot(channels: Sequence[EpgChannel], path: str | Path | None = None, *,
                          bins: Sequence[EpgBin] = (), calls: Sequence[EpgCall] = (),
                          flags: Sequence[str] = (), title: str = "",
                          x_label: str = "size (bp)", x_range: tuple[float, float] | None = None,
                          format: str | None = None) -> bytes:
    """One panel per dye: the signal, the bins shaded with their locus names, the called peaks
    labelled with their alleles (filtered peaks in grey with their reason) and the sample's
    flags listed below the panels."""
    fmt = _format(path, format)
    if not channels:
        raise InvalidParameter("channels", 0, expected="at least one dye to draw")
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    shown = list(flags[:20])
    fig = Figure(figsize=(12, 2.0 * len(channels) + 0.25 * len(shown) + 0.6))
    axes = fig.subplots(len(channels), 1, sharex=True, squeeze=False)[:, 0]
    for k, (ax, ch) in enumerate(zip(axes, channels, strict=True)):
        x = np.asarray(ch.x, dtype=np.float64)
        y = np.asarray(ch.rfu, dtype=np.float64)
        ax.plot(x, y, linewidth=0.6, color=_DYE_COLOURS[k % len(_DYE_COLOURS)])
        ax.set_ylabel(f"{ch.dye}\nRFU", fontsize="small")
        ax.grid(True, linestyle=":", linewidth=0.4)
        top = float(y.max(initial=1.0)) or 1.0
        loci: dict[str, list[float]] = {}
        for b in bins:
            if b.channel == k:
                ax.axvspan(b.lo, b.hi, color="#999999", alpha=0.15, linewidth=0)
                loci.setdefault(b.locus, []).extend((b.lo, b.hi))
        for locus, edges in loci.items():
            ax.text(0.5 * (min(edges) + max(edges)), top * 1.02, locus, ha="center",
                    va="bottom", fontsize="x-small")
        for c in calls:
            if c.channel == k:
                ax.annotate(c.label if len(c.label) <= 24 else c.label[:23] + "...",
                            (c.x, c.height), fontsize="x-small", ha="center",
                            color="black" if c.called else "#888888",
                            xytext=(0, 3), textcoords="offset points",
                            rotation=0 if c.called else 90)
        ax.set_ylim(min(0.0, float(y.min(initial=0.0))), top * 1.15)
    if x_range is not None:
        axes[-1].set_xlim(*x_range)
    axes[-1].set_xlabel(x_label)
    if title:
        axes[0].set_title(title)
    if shown:
        more = len(flags) - len(shown)
        fig.text(0.01, 0.0, "\n".join(shown) + (f"\n... and {more} more" if more > 0 else ""),
                 fontsize="x-small", va="top", ha="left")
    return _save(fig, path, fmt)


def expected_heights_plot(result: ExpectedHeights, path: str | Path | None = None, *,
             format: str | None = None) -> bytes:
    """Electropherogram-style bars per locus (EuroForMix's ``plotTopEPG``): at each observed
    allele and stutter-only position, the observed height (mean over replicates, grey, left)
    beside the expected height stacked by contributor (right), at the fitted parameters and
    each contributor's genotype call."""
    fmt = _format(path, format)
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    loci = result.loci
    ncols = min(4, max(len(loci), 1))
    nrows = max(1, -(-len(loci) // ncols))
    fig = Figure(figsize=(3.2 * ncols, 2.4 * nrows + 0.6))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    colours = [f"C{k}" for k in range(len(result.contributors))]
    for ax, locus in zip(axes, loci, strict=False):
        peaks = [p for p in result.peaks if p.locus == locus]
        x = np.arange(len(peaks))
        observed = [float(np.mean(p.observed)) if p.observed else 0.0 for p in peaks]
        ax.bar(x - 0.2, observed, width=0.4, color="0.6", label="observed (mean)")
        bottom = np.zeros(len(peaks))
        for k, name in enumerate(result.contributors):
            vals = np.array([p.expected[k] for p in peaks])
            ax.bar(x + 0.2, vals, width=0.4, bottom=bottom, color=colours[k],
                   label=f"{name} (Mx {result.mx[k]:.2f})")
            bottom += vals
        ax.set_xticks(x, [p.allele for p in peaks], fontsize="x-small")
        ax.set_title(locus, fontsize="small")
        ax.tick_params(axis="y", labelsize="x-small")
    for ax in axes[len(loci):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=len(labels), fontsize="small")
    fig.suptitle(f"Observed and expected peak heights, {result.hypothesis.upper()} fit",
                 y=1.02 + 0.02 / nrows)
    return _save(fig, path, fmt)


def power_plot(result: PowerResult, path: str | Path | None = None, *,
               format: str | None = None) -> bytes:
    """The simulated log10 LR of a family (``locard kinship power``): histograms under H1 (the
    person is the missing one) and H2 (unrelated); exclusions (LR = 0) are counted in the
    legend, not drawn."""
    fmt = _format(path, format)
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.2))
    ax = fig.subplots()
    h1, h2 = np.asarray(result.log10_lr_h1), np.asarray(result.log10_lr_h2)
    finite = np.concatenate([h1[np.isfinite(h1)], h2[np.isfinite(h2)]])
    bins: int | list[float] = (
        [float(x) for x in np.linspace(float(finite.min()), float(finite.max()) + 1e-9, 40)]
        if finite.size else 10)
    for values, label in ((h2, "H2: unrelated"), (h1, "H1: the missing person")):
        zeros = int(np.sum(values == -np.inf))
        ax.hist(values[np.isfinite(values)], bins=bins, alpha=0.55,
                label=label + (f" ({zeros} of {len(values)} excluded)" if zeros else ""))
    ax.set_xlabel("log10 LR")
    ax.set_ylabel("simulations")
    ax.set_title(f"Simulated LR of the family of {result.missing}")
    ax.legend(fontsize="small")
    ax.grid(True, linestyle=":")
    return _save(fig, path, fmt)
