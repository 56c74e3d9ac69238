"""How a statistic reads to people: the one number formatter of the CLI, the web pages and the PDF.

Every RMP, LR and "1 in X" that a person reads goes through :func:`format_number` (three
significant digits, Python's ``.3g``: ``1.23e-25``, ``8.13e+24``, ``0.5``), so that the CLI
table, the web page and the PDF report show the same figure for the same match. The JSON of the
CLI (``--json``) and of the API carries the full-precision value (:mod:`locard.jsonsafe`).

- no value (``None``, e.g. a mixture's RMP that was not computed) reads ``-``;
- a value that is not finite reads ``infinite`` (an RMP of 0 is "1 in infinite");
- :func:`format_probability` puts a probability and its reciprocal together:
  ``1.23e-25 (1 in 8.13e+24)``.

Like :mod:`locard.jsonsafe` this module imports nothing of Locard, so any layer may use it.
"""

from __future__ import annotations

import math

__all__ = ["NO_VALUE", "format_number", "format_probability"]

#: what a missing value reads
NO_VALUE = "-"


def format_number(x: float | None) -> str:
    """``x`` to three significant digits (``f"{x:.3g}"``), ``'-'`` for None, ``'infinite'``
    where ``x`` is not finite."""
    if x is None:
        return NO_VALUE
    if not math.isfinite(x):
        return "infinite"
    return f"{x:.3g}"


def format_probability(value: float) -> str:
    """A probability with its reciprocal, for people: ``'1.23e-25 (1 in 8.13e+24)'``; ``'0'``
    for a probability of 0 (or below)."""
    if value <= 0:
        return "0"
    return f"{format_number(value)} (1 in {format_number(1 / value)})"
