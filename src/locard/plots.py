"""Figures of the mixture analyses (matplotlib, the Agg backend): the drop-out sensitivity of
an LR and the Tippet plot of a non-contributor test. Each function writes PNG or SVG (chosen by
the file suffix, or ``format``) and returns the bytes, for the CLI, the service and reports."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from locard.errors import InvalidParameter
from locard.stats.mixture.dropout import SensitivityResult
from locard.stats.mixture.tippet import TippetResult

if TYPE_CHECKING:  # the continuous model loads Numba: not at import
    from locard.stats.mixture.continuous_validation import PPValidation

__all__ = ["pp_plot", "sensitivity_plot", "tippet_plot"]

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
