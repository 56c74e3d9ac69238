"""Per-locus mutation rates from a CSV file, for kinship and missing-person statistics.

A lab keeps its own table of published or validated per-locus rates::

    # source: <the publication or report the rates come from>
    locus,female_rate,male_rate
    D3S1358,0.0001,0.0012
    vWA,0.0003,0.0029

``locus``, ``female_rate`` and ``male_rate`` are required (``female``/``male`` are accepted as
column names too); ``model`` (equal, proportional, stepwise, extended-stepwise), ``range`` and
``rate2`` are optional per locus; other columns (``mutations``, ``meioses``) are ignored. Lines
starting with ``#`` are comments; they are kept as the table's ``notes`` so a citation travels
with the rates, and a comment ``# default_rate: R`` gives the rate of loci the table lacks.
Parse only: the statistics layer turns the rows into mutation models.

:func:`bundled_mutation_rates` reads the table shipped with Locard
(``locard/data/mutation_rates_strbase.csv``, derived by ``scripts/derive_mutation_rates.py``):
NIST STRBase's per-locus counts of apparent mutations in parentage casework, pooled over both
parents (so one rate for both sexes), 18 loci, and for every other locus the pooled rate.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from locard.errors import FileFormatError, UnknownLocus
from locard.genetics.loci import canonical_locus

__all__ = ["BUNDLED_MUTATION_RATES", "LocusMutationRates", "MutationRateTable",
           "bundled_mutation_rates", "parse_mutation_rates", "read_mutation_rates"]

BUNDLED_MUTATION_RATES = "mutation_rates_strbase.csv"
"""File name of the bundled rate table under ``locard/data``."""

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
    """The rows of a rate file, its comment lines, the SHA-256 of its bytes, and the rate for
    loci it lacks (``# default_rate:``; None where it gives none)."""

    path: str
    rates: dict[str, LocusMutationRates]
    notes: tuple[str, ...]
    sha256: str
    default_rate: float | None = None

    @property
    def name(self) -> str:
        """The rate file's name, without its directory."""
        return Path(self.path).name

    def note(self, key: str) -> str | None:
        """The value of a ``# key: value`` comment line (first match), or None."""
        prefix = key.lower() + ":"
        for line in self.notes:
            if line.lower().startswith(prefix):
                return line[len(prefix):].strip()
        return None


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
    return parse_mutation_rates(p.read_bytes(), path=str(p))


def bundled_mutation_rates() -> MutationRateTable:
    """The rate table shipped with Locard (see the module docstring)."""
    raw = (resources.files("locard.data") / BUNDLED_MUTATION_RATES).read_bytes()
    return parse_mutation_rates(raw, path=BUNDLED_MUTATION_RATES)


def parse_mutation_rates(raw: bytes, *, path: str) -> MutationRateTable:
    """:func:`read_mutation_rates` on a file's bytes (``path`` names it in errors)."""
    p = Path(path)
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
    default_rate = None
    for n, ln in lines:
        key, _, value = ln.lstrip("#").partition(":")
        if ln.startswith("#") and key.strip().lower() == "default_rate":
            default_rate = _number(value.strip(), name="default_rate", path=str(p), line=n,
                                   locus="default", low=0.0, high=MAX_RATE)
    return MutationRateTable(str(p), rates, notes, hashlib.sha256(raw).hexdigest(),
                             default_rate)
