"""Figures of the mixture analyses (matplotlib, the Agg backend): the drop-out sensitivity of
an LR and the Tippet plot of a non-contributor test. Each function writes PNG or SVG (chosen by
the file suffix, or ``format``) and returns the bytes, for the CLI, the service and reports."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from locard.errors import InvalidParameter
from locard.stats.mixture.dropout import SensitivityResult
from locard.stats.mixture.tippet import TippetResult

__all__ = ["sensitivity_plot", "tippet_plot"]

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
