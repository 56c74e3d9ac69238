"""Per-locus mutation rates from a CSV file, for kinship and missing-person statistics.

A lab keeps its own table of published or validated per-locus rates::

    # source: <the publication or report the rates come from>
    locus,female_rate,male_rate
    D3S1358,0.0001,0.0012
    vWA,0.0003,0.0029

``locus``, ``female_rate`` and ``male_rate`` are required (``female``/``male`` are accepted as
column names too); ``model`` (equal, proportional, stepwise, extended-stepwise), ``range`` and
``rate2`` are optional per locus. Lines starting with ``#`` are comments; they are kept as the
table's ``notes`` so a citation travels with the rates. Parse only: the statistics layer turns
the rows into mutation models.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from locard.errors import FileFormatError, UnknownLocus
from locard.genetics.loci import canonical_locus

__all__ = ["LocusMutationRates", "MutationRateTable", "read_mutation_rates"]

MAX_RATE = 0.5
_ALIASES = {"female": "female_rate", "male": "male_rate", "marker": "locus"}


@dataclass(frozen=True, slots=True)
class LocusMutationRates:
    """One locus of a rate table (rates per meiosis)."""

    locus: str
    female_rate: float
    male_rate: float
    model: str | None = None
    range: float | None = None
    rate2: float | None = None


@dataclass(frozen=True, slots=True)
class MutationRateTable:
    """The rows of a rate file, its comment lines and the SHA-256 of its bytes."""

    path: str
    rates: dict[str, LocusMutationRates]
    notes: tuple[str, ...]
    sha256: str


def _number(text: str, *, name: str, path: str, line: int, locus: str, low: float,
            high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FileFormatError(f"{locus}: {name} {text!r} is not a number", path=path,
                              line=line) from None
    if math.isnan(value) or not low <= value <= high:
        raise FileFormatError(f"{locus}: {name} {text!r} is outside [{low:g}, {high:g}]",
                              path=path, line=line)
    return value


def _cell(cells: dict[str, str], col: str, *, path: str, line: int, locus: str,
          high: float = MAX_RATE) -> float | None:
    value = cells.get(col, "")
    if not value:
        return None
    return _number(value, name=col, path=path, line=line, locus=locus, low=0.0, high=high)


def read_mutation_rates(path: str | Path) -> MutationRateTable:
    """Read a per-locus rate CSV; :class:`FileFormatError` names file, line, locus and value."""
    p = Path(path)
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileFormatError("not UTF-8 text", path=str(p)) from None
    lines = [(n, ln) for n, ln in enumerate(text.splitlines(), start=1)]
    notes = tuple(ln.lstrip("#").strip() for _, ln in lines if ln.startswith("#"))
    data = [(n, ln) for n, ln in lines if ln.strip() and not ln.startswith("#")]
    if not data:
        raise FileFormatError("no header line", path=str(p),
                              remedy="first line: locus,female_rate,male_rate")
    header_line, header_text = data[0]
    header = next(csv.reader([header_text]))
    columns = [_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    missing = [c for c in ("locus", "female_rate", "male_rate") if c not in columns]
    if missing:
        raise FileFormatError(f"missing column(s) {', '.join(missing)}", path=str(p),
                              line=header_line,
                              remedy="header: locus,female_rate,male_rate[,model,range,rate2]")
    rates: dict[str, LocusMutationRates] = {}
    for line, row_text in data[1:]:
        row = next(csv.reader([row_text]))
        cells = dict(zip(columns, (c.strip() for c in row), strict=False))
        name = cells.get("locus", "")
        try:
            locus = canonical_locus(name)
        except UnknownLocus:
            raise FileFormatError(f"unknown locus {name!r}", path=str(p), line=line) from None
        if locus in rates:
            raise FileFormatError(f"{locus} is given twice", path=str(p), line=line)
        female = _cell(cells, "female_rate", path=str(p), line=line, locus=locus)
        male = _cell(cells, "male_rate", path=str(p), line=line, locus=locus)
        if female is None or male is None:
            raise FileFormatError(f"{locus}: female_rate and male_rate are required",
                                  path=str(p), line=line)
        rates[locus] = LocusMutationRates(
            locus, female, male, cells.get("model") or None,
            _cell(cells, "range", path=str(p), line=line, locus=locus, high=0.999999),
            _cell(cells, "rate2", path=str(p), line=line, locus=locus))
    if not rates:
        raise FileFormatError("no rates", path=str(p))
    return MutationRateTable(str(p), rates, notes, hashlib.sha256(raw).hexdigest())
