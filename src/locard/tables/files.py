"""Allele frequency files: the population tables that forensic labs and projects exchange.

Every reader returns a list of :class:`PopulationFrequencies`, one per population in the file,
with canonical locus names (:func:`~locard.genetics.loci.canonical_locus`), canonical allele
designations (``'13'``, ``'9.3'``, ``'>27'``), the number of alleles sampled per locus (2N) where
the file gives it, and the allele counts where the file gives them.

Formats (``read_frequency_file(path)`` tells them apart; ``format=`` names one):

- ``nist1036``: NIST 1036 long CSV ``population,locus,allele,count,n_alleles,frequency``
  (Steffen et al. 2017). The frequency kept is ``count / n_alleles``, exactly; the file's own
  (rounded) frequency column must agree with it.
- ``ukdna17``: UK Home Office DNA-17 counts, the same columns as ``nist1036``.
- ``fbi2015``: FBI 2015 long CSV ``population,locus,allele,frequency,n_alleles,implied_count``
  (Moretti et al. 2016); whole implied counts are counts and give the frequency count / 2N
  exactly (the rounded frequency column must agree), otherwise the frequency column is kept.
- ``wide``: an ``Allele`` column, then one column per marker, comma or semicolon separated
  (a decimal comma is read in a semicolon file); an empty cell means the allele is absent. This
  is the EuroForMix layout and the STRidER CSV export. A last row labelled ``N`` (the FBI
  Caucasian table) gives the alleles sampled per locus (2N; it equals ``n_alleles`` of the FBI
  2015 long file); a locus with N = 0 has no data and is left out. Without it, no sample size.
- ``familias``: Familias text: a marker line, then ``allele<TAB>frequency`` lines, a blank line
  between markers. No sample size.
- ``strider-xml``: STRidER/STRBase XML (``marker/name``, ``origin@name@n``,
  ``frequency@allele``), parsed with defusedxml (no DTDs, entities or external references).
  ``n`` is the number of people sampled, so 2N = 2n.
- ``long``: a plain long CSV with columns ``locus``, ``allele``, ``frequency`` and optionally
  ``population``, ``count``, ``n_alleles`` (alleles sampled, 2N) or ``n`` (people sampled, N).
  With ``count`` and ``n_alleles`` (or ``n``) the frequency column may be left out.

Frequency tables are for autosomal STRs: Amelogenin, Y-STR, Y-indel and quality-sensor rows or
columns (the FBI table's ``X,X`` rows, DYS391, Yindel) are skipped, not errors, and listed in
``skipped`` with the reason. So are the few extended loci that Locard knows without a repeat unit
length (``repeat_length`` None) where a file names alleles by fragment length in base pairs beyond
the repeat range Locard reads (norSTR's D11S554 '202', APOAI1 '252'): such a locus cannot be
looked up by repeat number, so the whole locus is left out rather than half read. An allele with
frequency 0 is treated as unobserved and left out.

Bad input (an unknown locus, a bad allele, a non-numeric or out-of-range frequency, a missing
column, a duplicated allele, frequencies that do not sum to about 1) raises
:class:`~locard.errors.FileFormatError` naming the file, the line, the locus and the value.
Files are read as UTF-8 with an optional byte-order mark; a file over :data:`MAX_FILE_BYTES`
is refused with :class:`~locard.errors.UnsafeInput` before it is read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl, Locator

import defusedxml
import defusedxml.sax

from locard.errors import FileFormatError, InputError, InvalidAllele, UnknownLocus, UnsafeInput
from locard.genetics.alleles import MAX_REPEATS, Allele, parse_allele
from locard.genetics.loci import LOCI, LocusKind, canonical_locus, locus_sort_key

__all__ = [
    "FBI2015_CITATION",
    "FORMATS",
    "MAX_FILE_BYTES",
    "NIST1036_CITATION",
    "UKDNA17_CITATION",
    "PopulationFrequencies",
    "detect_frequency_format",
    "file_sha256",
    "read_familias",
    "read_fbi2015_csv",
    "read_frequency_file",
    "read_genotypes_csv",
    "read_long_csv",
    "read_nist1036_csv",
    "read_strider_xml",
    "read_ukdna17_csv",
    "read_wide_csv",
]

NIST1036_CITATION: Final = (
    "Steffen CR, Coble MD, Gettings KB, Vallone PM (2017) Corrigendum to 'U.S. population data "
    "for 29 autosomal STR loci' [Forensic Sci. Int. Genet. 7 (2013) e82-e83], Forensic Sci. Int. "
    "Genet. 31:e36-e40, doi:10.1016/j.fsigen.2017.08.011. NIST 1036 data set, public domain (US "
    "Government work); raw data via mkruijver/forensicpopdata."
)
FBI2015_CITATION: Final = (
    "Moretti TR, Moreno LI, Smerick JB, Pignone ML, Hizon R, Buckleton JS, Bright J-A, Onorato AJ "
    "(2016) Population data on the expanded CODIS core STR loci for eleven populations of "
    "significance for forensic DNA analyses in the United States, Forensic Sci. Int. Genet. "
    "25:175-181. FBI data, public domain (US Government work); raw data via "
    "mkruijver/forensicpopdata."
)
UKDNA17_CITATION: Final = (
    "UK Home Office, DNA-17 population data (allele counts) to support the implementation of "
    "National DNA Database DNA-17 profiling. Contains public sector information licensed under "
    "the Open Government Licence v3.0; raw data via mkruijver/forensicpopdata."
)

FORMATS: Final[tuple[str, ...]] = (
    "nist1036", "ukdna17", "fbi2015", "wide", "familias", "strider-xml", "long", "genotypes",
)
_FORMAT_ALIASES: Final[dict[str, str]] = {
    "nist": "nist1036",
    "uk": "ukdna17",
    "dna17": "ukdna17",
    "fbi": "fbi2015",
    "fbi-wide": "wide",
    "euroformix": "wide",
    "efm": "wide",
    "strider-csv": "wide",
    "strider": "strider-xml",
    "xml": "strider-xml",
    "csv": "long",
    "genotype": "genotypes",
}

#: Frequency tables are small (the largest reference file is 270 KB); anything bigger is refused.
MAX_FILE_BYTES: Final = 32 * 1024 * 1024

# Agreement between a file's (rounded) frequency column and count / 2N.
_REL_TOL: Final = 1e-6
_ABS_TOL: Final = 1e-9
# Same bounds as FrequencyTable: a locus whose frequencies sum outside this is refused.
_SUM_MIN: Final = 0.9
_SUM_MAX: Final = 1.1


@dataclass(frozen=True, slots=True)
class PopulationFrequencies:
    """The allele frequencies of one population as a file gives them.

    ``frequencies[locus][allele]``: canonical locus and allele names, in display order;
    ``sample_alleles[locus]``: alleles sampled at the locus (2N), None where the file gives no
    sample size; ``counts``: allele counts where the file gives them, else None; ``source``: the
    citation or file it came from; ``skipped``: loci the file had that were left out on purpose
    (Amelogenin, Y markers; fragment-length alleles), with the reason.
    """

    source_name: str
    population: str
    frequencies: dict[str, dict[str, float]]
    sample_alleles: dict[str, int | None]
    counts: dict[str, dict[str, int]] | None
    source: str
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """``'SOURCE:POPULATION'``, e.g. ``'NIST1036:Cauc'``."""
        return f"{self.source_name}:{self.population}"

    @property
    def loci(self) -> tuple[str, ...]:
        """The loci with frequencies, in file order."""
        return tuple(self.frequencies)

    @property
    def skipped_loci(self) -> tuple[str, ...]:
        """The loci the file had that were left out on purpose."""
        return tuple(self.skipped)


# --- shared machinery -----------------------------------------------------------------------


class _Population:
    __slots__ = ("counts", "counts_complete", "first_line", "frequencies", "sample_alleles",
                 "seen")

    def __init__(self) -> None:
        self.frequencies: dict[str, dict[Allele, float]] = {}
        self.counts: dict[str, dict[Allele, int]] = {}
        self.counts_complete = True
        self.sample_alleles: dict[str, int | None] = {}
        self.first_line: dict[str, int | None] = {}
        self.seen: set[tuple[str, Allele]] = set()


class _Builder:
    """Collects (population, locus, allele, frequency) records, checking each as it comes."""

    def __init__(self, path: str, *, with_counts: bool) -> None:
        self.path = path
        self.with_counts = with_counts
        self.populations: dict[str, _Population] = {}
        self.skipped: dict[str, str] = {}

    def error(self, message: str, line: int | None, *, record: str | None = None,
              remedy: str | None = None) -> FileFormatError:
        return FileFormatError(message, path=self.path, line=line, record=record, remedy=remedy)

    def population(self, name: str) -> _Population:
        pop = self.populations.get(name)
        if pop is None:
            pop = self.populations[name] = _Population()
        return pop

    def locus(self, raw: str, line: int | None) -> str | None:
        """Canonical name of an autosomal STR; None (and noted) for any other known marker."""
        try:
            locus = canonical_locus(raw)
        except UnknownLocus:
            raise self.error(f"unknown locus {raw.strip()!r}", line,
                             remedy="see `locard loci` for the names and aliases Locard knows"
                             ) from None
        if LOCI[locus].kind is not LocusKind.AUTOSOMAL_STR:
            self.skipped[locus] = f"not an autosomal STR ({LOCI[locus].kind.value})"
            return None
        if locus in self.skipped:
            return None
        return locus

    def allele(self, raw: str, locus: str, line: int | None) -> Allele | None:
        """The allele; None where the whole locus is skipped (fragment-length names)."""
        if locus in self.skipped:
            return None
        try:
            return parse_allele(raw, locus=locus)
        except InvalidAllele as exc:
            text = raw.strip()
            if (LOCI[locus].repeat_length is None and text.isdigit()
                    and int(text) > MAX_REPEATS):
                self.skipped[locus] = (f"alleles named by fragment length ({text!r} on line "
                                       f"{line}), beyond the repeat range Locard reads")
                return None
            prefix = f"{locus}: "
            why = exc.message[len(prefix):] if exc.message.startswith(prefix) else exc.message
            raise self.error(f"{locus}: allele {why}", line) from None

    def number(self, raw: str, what: str, locus: str | None, line: int | None) -> float:
        where = f"{locus}: " if locus else ""
        text = raw.strip()
        try:
            value = float(text)
        except ValueError:
            raise self.error(f"{where}{what} {text!r} is not a number", line) from None
        if math.isnan(value) or math.isinf(value):
            raise self.error(f"{where}{what} {text!r} is not a number", line)
        return value

    def frequency(self, raw: str, locus: str, line: int | None) -> float:
        value = self.number(raw, "frequency", locus, line)
        if not 0.0 <= value <= 1.0:
            raise self.error(f"{locus}: frequency {raw.strip()!r} is outside [0, 1]", line)
        return value

    def whole(self, raw: str, what: str, locus: str | None, line: int | None, *,
              positive: bool = False) -> int:
        value = self.number(raw, what, locus, line)
        where = f"{locus}: " if locus else ""
        if value != int(value) or value < 0 or (positive and value == 0):
            kind = "a positive whole number" if positive else "a whole number >= 0"
            raise self.error(f"{where}{what} {raw.strip()!r} is not {kind}", line)
        return int(value)

    def sample_size(self, population: str, locus: str, two_n: int | None,
                    line: int | None) -> None:
        pop = self.population(population)
        pop.first_line.setdefault(locus, line)
        if locus in pop.sample_alleles and pop.sample_alleles[locus] != two_n:
            raise self.error(f"{locus}: {two_n} alleles sampled, but {pop.sample_alleles[locus]} "
                             f"on an earlier line", line, record=population or None)
        pop.sample_alleles[locus] = two_n

    def add(self, population: str, locus: str, allele: Allele, frequency: float,
            line: int | None, *, count: int | None = None) -> None:
        pop = self.population(population)
        pop.first_line.setdefault(locus, line)
        per = pop.frequencies.setdefault(locus, {})
        per_counts = pop.counts.setdefault(locus, {})
        if (locus, allele) in pop.seen:
            raise self.error(f"{locus}: allele {str(allele)!r} listed twice", line,
                             record=population or None)
        pop.seen.add((locus, allele))
        if count is None:
            pop.counts_complete = False
        if frequency == 0.0:
            return  # unobserved
        per[allele] = frequency
        if count is not None:
            per_counts[allele] = count

    def drop_locus(self, population: str, locus: str) -> None:
        pop = self.population(population)
        for part in (pop.frequencies, pop.counts, pop.sample_alleles, pop.first_line):
            part.pop(locus, None)

    def finish(self, *, source_name: str, source: str) -> list[PopulationFrequencies]:
        out: list[PopulationFrequencies] = []
        for name, pop in self.populations.items():
            loci = sorted((k for k, v in pop.frequencies.items() if v and k not in self.skipped),
                          key=locus_sort_key)
            for locus in loci:
                total = math.fsum(pop.frequencies[locus].values())
                if not _SUM_MIN <= total <= _SUM_MAX:
                    raise self.error(
                        f"{locus}: frequencies sum to {total:.4f}, not 1",
                        pop.first_line.get(locus), record=name or None,
                        remedy="check the file's layout (counts given as frequencies?)")
            if not loci:
                continue
            freqs = {k: {str(a): f for a, f in sorted(pop.frequencies[k].items())} for k in loci}
            counts: dict[str, dict[str, int]] | None = None
            if self.with_counts and pop.counts_complete:
                counts = {k: {str(a): c for a, c in sorted(pop.counts[k].items())} for k in loci}
            out.append(PopulationFrequencies(
                source_name=source_name,
                population=name,
                frequencies=freqs,
                sample_alleles={k: pop.sample_alleles.get(k) for k in loci},
                counts=counts,
                source=source,
                skipped={k: self.skipped[k] for k in sorted(self.skipped, key=locus_sort_key)},
            ))
        if not out:
            raise self.error("no allele frequencies found", None)
        return out


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"frequency file not found: {path}") from None
    if size > MAX_FILE_BYTES:
        raise UnsafeInput(f"{size} bytes; a frequency file is at most {MAX_FILE_BYTES}",
                          path=str(path))


def _read_text(path: Path) -> str:
    _check_size(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return fh.read()
    except FileNotFoundError:
        raise InputError(f"frequency file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder, not a frequency file") from None
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"not UTF-8 text (byte {exc.start})", path=str(path)) from None


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (for provenance headers)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _norm_header(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def _csv_rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) for each non-blank row; the line is where the row starts."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    previous_end = 0
    for row in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        if any(cell.strip() for cell in row):
            rows.append((start, row))
    return rows


def _stem(path: Path) -> str:
    return path.stem


# --- long CSV files -------------------------------------------------------------------------

_LONG_SYNONYMS: Final[dict[str, str]] = {
    "population": "population", "pop": "population",
    "locus": "locus", "marker": "locus",
    "allele": "allele",
    "frequency": "frequency", "freq": "frequency",
    "count": "count",
    "implied_count": "implied_count",
    "n_alleles": "n_alleles", "2n": "n_alleles", "two_n": "n_alleles",
    "n": "n_individuals", "n_individuals": "n_individuals",
}


def _read_long(path: str | Path, *, style: str, source_name: str | None, source: str | None,
               population: str | None) -> list[PopulationFrequencies]:
    p = Path(path)
    text = _read_text(p)
    b = _Builder(str(path), with_counts=True)
    rows = _csv_rows(text, ",")
    if not rows:
        raise b.error("empty file", None)
    header_line, header = rows[0]
    columns: dict[str, int] = {}
    for i, cell in enumerate(header):
        key = _LONG_SYNONYMS.get(_norm_header(cell))
        if key is not None:
            if key in columns:
                raise b.error(f"column {cell.strip()!r} given twice", header_line)
            columns[key] = i
    required = {
        "nist1036": ("population", "locus", "allele", "count", "n_alleles", "frequency"),
        "ukdna17": ("population", "locus", "allele", "count", "n_alleles", "frequency"),
        "fbi2015": ("population", "locus", "allele", "frequency", "n_alleles", "implied_count"),
        "long": ("locus", "allele"),
    }[style]
    for col in required:
        if col not in columns:
            raise b.error(f"missing column {col!r} (columns: {', '.join(header)})", header_line)
    has_size = "n_alleles" in columns or "n_individuals" in columns
    if "frequency" not in columns and not ("count" in columns and has_size):
        raise b.error(f"missing column 'frequency' (or 'count' with 'n_alleles'; columns: "
                      f"{', '.join(header)})", header_line)
    default_population = population if population is not None else (
        "" if "population" in columns else _stem(p))
    width = len(header)
    for line, row in rows[1:]:
        if len(row) != width:
            raise b.error(f"{len(row)} fields, the header has {width}", line)

        def value(col: str, row: list[str] = row) -> str | None:
            i = columns.get(col)
            return row[i].strip() if i is not None else None

        pop_name = value("population") or default_population
        if not pop_name:
            raise b.error("empty population", line)
        raw_locus = value("locus") or ""
        if not raw_locus:
            raise b.error("empty locus", line)
        locus = b.locus(raw_locus, line)
        if locus is None:
            continue
        allele = b.allele(value("allele") or "", locus, line)
        if allele is None:
            continue
        two_n: int | None = None
        if (raw := value("n_alleles")) is not None:
            two_n = b.whole(raw, "n_alleles", locus, line, positive=True)
        elif (raw := value("n_individuals")) is not None:
            two_n = 2 * b.whole(raw, "n", locus, line, positive=True)
        count: int | None = None
        raw_count = value("count")
        if raw_count:
            count = b.whole(raw_count, "count", locus, line)
            if two_n is not None and count > two_n:
                raise b.error(f"{locus}: count {raw_count!r} exceeds the {two_n} alleles sampled",
                              line)
        elif (raw_implied := value("implied_count")) is not None:
            # a whole implied count is a count: the frequency is then count / 2N exactly,
            # not the file's rounded frequency column (which must agree with it)
            implied = b.number(raw_implied, "implied_count", locus, line)
            if abs(implied - round(implied)) < 1e-6 and round(implied) >= 0 and (
                    two_n is None or round(implied) <= two_n):
                count = round(implied)
        raw_freq = value("frequency")
        if count is not None and two_n is not None:
            freq = count / two_n
            if raw_freq:
                stated = b.frequency(raw_freq, locus, line)
                if not math.isclose(stated, freq, rel_tol=_REL_TOL, abs_tol=_ABS_TOL):
                    raise b.error(f"{locus}: frequency {raw_freq!r} disagrees with count/n_alleles"
                                  f" = {count}/{two_n} = {freq:.10g}", line)
        elif raw_freq is not None and raw_freq != "":
            freq = b.frequency(raw_freq, locus, line)
        else:
            raise b.error(f"{locus}: allele {str(allele)!r} has no frequency", line)
        b.sample_size(pop_name, locus, two_n, line)
        b.add(pop_name, locus, allele, freq, line, count=count)
    name = source_name if source_name is not None else {
        "nist1036": "NIST1036", "ukdna17": "UKDNA17", "fbi2015": "FBI2015"}.get(style, _stem(p))
    cite = source if source is not None else {
        "nist1036": NIST1036_CITATION, "ukdna17": UKDNA17_CITATION,
        "fbi2015": FBI2015_CITATION}.get(style, p.name)
    return b.finish(source_name=name, source=cite)


def read_nist1036_csv(path: str | Path, *, source_name: str | None = None,
                      source: str | None = None) -> list[PopulationFrequencies]:
    """NIST 1036 allele counts (``population,locus,allele,count,n_alleles,frequency``).

    Frequencies are ``count / n_alleles`` exactly; the file's frequency column must agree to
    within rounding. Populations AfAm, Asian, Cauc, Hisp and ALL; source name 'NIST1036'.
    """
    return _read_long(path, style="nist1036", source_name=source_name, source=source,
                      population=None)


def read_ukdna17_csv(path: str | Path, *, source_name: str | None = None,
                     source: str | None = None) -> list[PopulationFrequencies]:
    """UK DNA-17 allele counts (same columns as NIST 1036); source name 'UKDNA17'."""
    return _read_long(path, style="ukdna17", source_name=source_name, source=source,
                      population=None)


def read_fbi2015_csv(path: str | Path, *, source_name: str | None = None,
                     source: str | None = None) -> list[PopulationFrequencies]:
    """FBI 2015 expanded CODIS data (``population,locus,allele,frequency,n_alleles,
    implied_count``): a whole implied count is the allele count, and the frequency is then
    ``implied_count / n_alleles`` exactly (the frequency column, rounded to 10 significant
    digits, must agree with it); a fractional implied count keeps the frequency as given."""
    return _read_long(path, style="fbi2015", source_name=source_name, source=source,
                      population=None)


def read_long_csv(path: str | Path, *, population: str | None = None,
                  source_name: str | None = None,
                  source: str | None = None) -> list[PopulationFrequencies]:
    """A plain long CSV: ``locus,allele,frequency`` and optionally ``population``, ``count``,
    ``n_alleles`` (2N) or ``n`` (people, N). Without a population column every row belongs to
    ``population`` (default: the file's stem)."""
    return _read_long(path, style="long", source_name=source_name, source=source,
                      population=population)


# --- wide CSV files -------------------------------------------------------------------------


def _wide_delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def read_wide_csv(path: str | Path, *, population: str | None = None,
                  source_name: str | None = None,
                  source: str | None = None) -> list[PopulationFrequencies]:
    """A wide table: an ``Allele`` column, then one column per marker (EuroForMix, STRidER
    CSV, the FBI Caucasian table). Comma or semicolon separated; empty cell = absent. An optional
    row labelled ``N`` gives the alleles sampled per locus (2N), 0 meaning no data."""
    p = Path(path)
    text = _read_text(p)
    b = _Builder(str(path), with_counts=False)
    first_line = text.split("\n", 1)[0]
    delimiter = _wide_delimiter(first_line)
    rows = _csv_rows(text, delimiter)
    if not rows:
        raise b.error("empty file", None)
    header_line, header = rows[0]
    if _norm_header(header[0]) != "allele":
        raise b.error(f"first column is {header[0].strip()!r}, expected 'Allele'", header_line)
    pop_name = population if population is not None else _stem(p)
    columns: dict[int, str] = {}
    blank_columns: list[int] = []
    for i, raw in enumerate(header[1:], start=1):
        if not raw.strip():
            blank_columns.append(i)
            continue
        locus = b.locus(raw, header_line)
        if locus is None:
            continue
        if locus in columns.values():
            raise b.error(f"{locus}: column given twice (as {raw.strip()!r})", header_line)
        columns[i] = locus

    def number_text(raw: str) -> str:
        raw = raw.strip()
        return raw.replace(",", ".") if delimiter == ";" else raw

    sizes: dict[str, int] | None = None
    seen_labels: dict[str, int] = {}
    for line, row in rows[1:]:
        if len(row) > len(header) and any(c.strip() for c in row[len(header):]):
            raise b.error(f"{len(row)} fields, the header has {len(header)}", line)
        for i in blank_columns:
            if i < len(row) and row[i].strip():
                raise b.error(f"value {row[i].strip()!r} in a column without a marker name", line)
        label = row[0].strip()
        if label.upper() == "N":
            if sizes is not None:
                raise b.error("a second 'N' row", line)
            sizes = {}
            for i, locus in columns.items():
                raw = row[i] if i < len(row) else ""
                if raw.strip():
                    sizes[locus] = b.whole(number_text(raw), "N", locus, line)
            continue
        if sizes is not None:
            raise b.error(f"allele row {label!r} after the 'N' row", line)
        if label in seen_labels:
            raise b.error(f"allele {label!r} listed twice (first on line {seen_labels[label]})",
                          line)
        seen_labels[label] = line
        for i, locus in columns.items():
            raw = row[i] if i < len(row) else ""
            if not raw.strip():
                continue
            allele = b.allele(label, locus, line)
            if allele is None:
                continue
            freq = b.frequency(number_text(raw), locus, line)
            b.sample_size(pop_name, locus, None, line)
            b.add(pop_name, locus, allele, freq, line)
    if sizes is not None:
        pop = b.population(pop_name)
        for locus in columns.values():
            two_n = sizes.get(locus)
            if two_n == 0:
                b.drop_locus(pop_name, locus)  # no data at this locus
            elif locus in pop.sample_alleles:
                pop.sample_alleles[locus] = two_n
    return b.finish(source_name=source_name if source_name is not None else _stem(p),
                    source=source if source is not None else p.name)


# --- Familias -------------------------------------------------------------------------------

_FAMILIAS_SPLIT: Final = re.compile(r"\t|\s+")
_ALLELE_LIKE: Final = re.compile(r"^(?:[<>]?\d+(?:[.,]\d+)?|OL)$", re.IGNORECASE)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def read_familias(path: str | Path, *, population: str | None = None,
                  source_name: str | None = None,
                  source: str | None = None) -> list[PopulationFrequencies]:
    """Familias frequency file: a marker line, then ``allele<TAB>frequency`` lines, blank lines
    between markers. Familias files give no sample size, so ``sample_alleles`` is None; give the
    table a minimum frequency when it is used for statistics."""
    p = Path(path)
    text = _read_text(p)
    b = _Builder(str(path), with_counts=False)
    pop_name = population if population is not None else _stem(p)
    locus: str | None = None
    in_marker = False
    for line_no, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line:
            continue
        fields = [f for f in _FAMILIAS_SPLIT.split(line) if f]
        if "\t" in line:
            fields = [f.strip() for f in line.split("\t") if f.strip()]
        if len(fields) == 2 and in_marker and (
                _is_number(fields[1]) or _ALLELE_LIKE.match(fields[0])):
            if locus is None:
                continue  # a skipped (non-autosomal) marker
            allele = b.allele(fields[0], locus, line_no)
            if allele is None:
                continue
            freq = b.frequency(fields[1].replace(",", "."), locus, line_no)
            b.sample_size(pop_name, locus, None, line_no)
            b.add(pop_name, locus, allele, freq, line_no)
        elif len(fields) == 2 and _is_number(fields[1]) and _is_number(fields[0]):
            raise b.error(f"allele line {line!r} before any marker name", line_no)
        else:
            locus = b.locus(line, line_no)
            in_marker = True
            if locus is not None and locus in b.population(pop_name).frequencies:
                raise b.error(f"{locus}: marker given twice", line_no)
    return b.finish(source_name=source_name if source_name is not None else _stem(p),
                    source=source if source is not None else p.name)


# --- STRidER XML ----------------------------------------------------------------------------


class _StriderHandler(ContentHandler):
    """SAX handler for STRidER XML: <frequencies><marker><name/><origin name n>
    <frequency allele>f</frequency></origin></marker></frequencies>."""

    def __init__(self, builder: _Builder) -> None:
        super().__init__()
        self.b = builder
        self.locator: Locator | None = None
        self.stack: list[str] = []
        self.text: list[str] = []
        self.marker_name: str | None = None
        self.locus: str | None = None
        self.origin: str | None = None
        self.allele: Allele | None = None
        self.attributes: dict[str, str] = {}
        self.created = ""
        self.validity = ""

    def setDocumentLocator(self, locator: Locator) -> None:
        self.locator = locator

    def line(self) -> int | None:
        return self.locator.getLineNumber() if self.locator is not None else None

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        parent = self.stack[-1] if self.stack else None
        line = self.line()
        if parent is None and name != "frequencies":
            raise self.b.error(f"root element is <{name}>, expected <frequencies> "
                               "(not a STRidER frequency file)", line)
        if parent is None:
            self.created = attrs.get("created_timestamp", "")
            self.validity = attrs.get("validity", "")
        elif name == "marker":
            self.marker_name = None
            self.locus = None
        elif name == "origin" and parent == "marker":
            if self.marker_name is None:
                raise self.b.error("<origin> before the marker's <name>", line)
            self.origin = (attrs.get("name") or "").strip()
            if not self.origin:
                raise self.b.error(f"{self.marker_name}: <origin> without a name", line)
            if self.locus is not None:
                raw_n = attrs.get("n")
                if raw_n is None:
                    raise self.b.error(f"{self.locus}: origin {self.origin!r} has no 'n'", line)
                n = self.b.whole(raw_n, "n", self.locus, line, positive=True)
                self.b.sample_size(self.origin, self.locus, 2 * n, line)
        elif (name == "frequency" and parent == "origin" and self.locus is not None
              and self.origin is not None):
            self.allele = self.b.allele(attrs.get("allele", ""), self.locus, line)
        self.stack.append(name)
        self.text = []

    def characters(self, content: str) -> None:
        self.text.append(content)

    def endElement(self, name: str) -> None:
        self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        line = self.line()
        text = "".join(self.text).strip()
        self.text = []
        if name == "name" and parent == "marker":
            if not text:
                raise self.b.error("empty marker <name>", line)
            self.marker_name = text
            self.locus = self.b.locus(text, line)
        elif name == "frequency" and parent == "origin":
            if self.locus is not None and self.origin is not None and self.allele is not None:
                freq = self.b.frequency(text, self.locus, line)
                self.b.add(self.origin, self.locus, self.allele, freq, line)
            self.allele = None
        elif name == "origin":
            self.origin = None


def read_strider_xml(path: str | Path, *, source_name: str | None = None,
                     source: str | None = None) -> list[PopulationFrequencies]:
    """STRidER/STRBase frequency XML, parsed safely (defusedxml: no DTDs, entities or external
    references). One population per ``origin`` name; ``n`` is people sampled, so 2N = 2n."""
    p = Path(path)
    b = _Builder(str(path), with_counts=False)
    handler = _StriderHandler(b)
    if not p.is_file():
        raise InputError(f"frequency file not found: {path}")
    _check_size(p)
    try:
        with open(p, "rb") as fh:
            defusedxml.sax.parse(fh, handler, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise UnsafeInput(f"refused: {type(exc).__name__} ({exc})", path=str(path),
                          remedy="frequency XML must not use DTDs or entities") from None
    except SAXParseException as exc:
        raise FileFormatError(f"not well-formed XML: {exc.getMessage()}", path=str(path),
                              line=exc.getLineNumber()) from None
    when = ", ".join(x for x in (f"created {handler.created}" if handler.created else "",
                                 f"valid from {handler.validity}" if handler.validity else "")
                     if x)
    default_source = f"STRidER frequency database export {p.name}" + (f" ({when})" if when else "")
    return b.finish(source_name=source_name if source_name is not None else "STRidER",
                    source=source if source is not None else default_source)


# --- genotype tables: allele counting --------------------------------------------------------

_GENOTYPE_NO_CALL: Final = frozenset({"", "na", "n/a", "null", "-", "?"})
_WIDE_GENOTYPE_COLUMN: Final = re.compile(r"^(.+?)[_.]([12])$")


def _genotype_layout(header: list[str]) -> str | None:
    """'long' (sample, locus, allele1, allele2), 'wide' (sample, then LOCUS_1, LOCUS_2 ...)
    or None: what a genotype table's header looks like."""
    names = [_norm_header(c) for c in header]
    if {"locus", "allele1", "allele2"} <= {_LONG_SYNONYMS.get(n, n) for n in names}:
        return "long"
    if names and names[0] in ("sample", "sample_id", "specimen", "specimen_id", "id"):
        pairs = [m for c in header[1:] if (m := _WIDE_GENOTYPE_COLUMN.match(c.strip()))]
        if len(pairs) >= 2:
            return "wide"
    return None


def read_genotypes_csv(path: str | Path, *, population: str | None = None,
                       source_name: str | None = None,
                       source: str | None = None) -> list[PopulationFrequencies]:
    """Allele frequencies counted from a table of genotypes, one sample per row (wide:
    ``Sample,Pop,CSF1PO_1,CSF1PO_2,...``) or per sample and locus (long:
    ``sample,population,locus,allele1,allele2``), as the NIST 1036 genotype files are.

    Per population and locus, N is the number of samples with a call at the locus (both
    alleles given; an empty or ``NA`` pair is no call) and an allele's frequency is its count
    over 2N (a homozygote counts twice): the counting the NIST 1036 allele-frequency tables
    were made by. A population column (``population``, ``pop``) splits the samples; without
    one they are the population ``population`` (default the file's stem). The table is named
    after the file's stem (``nist1036_genotypes_wide:AfAm``)."""
    p = Path(path)
    text = _read_text(p)
    b = _Builder(str(path), with_counts=True)
    rows = _csv_rows(text, _wide_delimiter(text.splitlines()[0] if text else ","))
    if not rows:
        raise b.error("empty file", None)
    header_line, header = rows[0]
    layout = _genotype_layout(header)
    if layout is None:
        raise b.error("not a genotype table: expected sample, locus, allele1, allele2 "
                      "columns, or a sample column and LOCUS_1, LOCUS_2 columns", header_line)
    names = [_norm_header(c) for c in header]
    pop_col = next((i for i, n in enumerate(names) if n in ("population", "pop")), None)
    default_pop = population or _stem(p)
    # calls[population][locus] -> [(allele text, allele text, line)]
    calls: dict[str, dict[str, list[tuple[str, str, int]]]] = {}
    raw_loci: dict[str, str] = {}

    def cell(row: list[str], i: int) -> str:
        return row[i].strip() if i < len(row) else ""

    def add(pop: str, raw_locus: str, a1: str, a2: str, line: int, sample: str) -> None:
        empty = (a1.lower() in _GENOTYPE_NO_CALL, a2.lower() in _GENOTYPE_NO_CALL)
        if all(empty):
            return
        if any(empty):
            raise b.error(f"{raw_locus}: one allele of the pair is missing", line,
                          record=sample or None)
        calls.setdefault(pop, {}).setdefault(raw_locus, []).append((a1, a2, line))

    if layout == "long":
        col = {_LONG_SYNONYMS.get(n, n): i for i, n in enumerate(names)}
        sample_col = next((i for i, n in enumerate(names)
                           if n in ("sample", "sample_id", "specimen", "specimen_id", "id")), 0)
        for line, row in rows[1:]:
            pop = cell(row, pop_col) if pop_col is not None else default_pop
            add(pop, cell(row, col["locus"]), cell(row, col["allele1"]),
                cell(row, col["allele2"]), line, cell(row, sample_col))
    else:
        pairs: dict[str, dict[str, int]] = {}
        for i, c in enumerate(header):
            m = _WIDE_GENOTYPE_COLUMN.match(c.strip())
            if m and i != pop_col and i != 0:
                pairs.setdefault(m.group(1), {})[m.group(2)] = i
        for raw, members in pairs.items():
            if set(members) != {"1", "2"}:
                raise b.error(f"locus {raw!r} needs both {raw}_1 and {raw}_2 columns",
                              header_line)
        for line, row in rows[1:]:
            pop = cell(row, pop_col) if pop_col is not None else default_pop
            for raw, members in pairs.items():
                add(pop, raw, cell(row, members["1"]), cell(row, members["2"]), line,
                    cell(row, 0))
    for pop, per_locus in calls.items():
        for raw, pairs_of in per_locus.items():
            locus = b.locus(raw, pairs_of[0][2])
            if locus is None:
                continue
            raw_loci.setdefault(locus, raw)
            counts: dict[Allele, int] = {}
            first: dict[Allele, int] = {}
            for a1, a2, line in pairs_of:
                for text_allele in (a1, a2):
                    allele = b.allele(text_allele, locus, line)
                    if allele is None:
                        break
                    counts[allele] = counts.get(allele, 0) + 1
                    first.setdefault(allele, line)
            if locus in b.skipped:
                b.drop_locus(pop, locus)
                continue
            two_n = 2 * len(pairs_of)
            b.sample_size(pop, locus, two_n, pairs_of[0][2])
            for allele, n in sorted(counts.items()):
                b.add(pop, locus, allele, n / two_n, first[allele], count=n)
    nist = p.name.lower().startswith("nist1036")
    default_source = (f"allele counts from the genotypes in {p.name} (count / 2N, N = samples "
                      "typed at the locus)" + (f"; {NIST1036_CITATION}" if nist else ""))
    return b.finish(source_name=source_name if source_name is not None else _stem(p),
                    source=source if source is not None else default_source)


# --- dispatch -------------------------------------------------------------------------------


def _normalise_format(format: str) -> str:
    key = format.strip().lower().replace("_", "-")
    key = _FORMAT_ALIASES.get(key, key)
    if key not in FORMATS:
        raise InputError(f"unknown frequency file format {format!r}",
                         remedy=f"one of: {', '.join(FORMATS)}")
    return key


def detect_frequency_format(path: str | Path) -> str:
    """The format of a frequency file, from its name and first lines (one of :data:`FORMATS`)."""
    p = Path(path)
    if p.suffix.lower() == ".xml":
        return "strider-xml"
    text = _read_text(p)
    head = text.lstrip()
    if head.startswith("<"):
        return "strider-xml"
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise FileFormatError("empty file", path=str(path))
    first = lines[0]
    cells = next(csv.reader([first], delimiter=_wide_delimiter(first)))
    names = {_norm_header(c) for c in cells}
    if _genotype_layout(cells) is not None:
        return "genotypes"
    if cells and _norm_header(cells[0]) == "allele" and len(cells) > 1:
        return "wide"
    if {"locus", "allele"} <= {_LONG_SYNONYMS.get(n, n) for n in names}:
        if "implied_count" in names:
            return "fbi2015"
        stem = p.name.lower()
        if stem.startswith("nist1036"):
            return "nist1036"
        if stem.startswith(("ukdna17", "dna-17", "dna17")):
            return "ukdna17"
        return "long"
    if len(lines) > 1:
        second = [f for f in _FAMILIAS_SPLIT.split(lines[1].strip()) if f]
        if len(second) == 2 and all(_is_number(f) for f in second):
            return "familias"
    raise FileFormatError("cannot tell which frequency file format this is", path=str(path),
                          line=1, remedy=f"use a layout Locard reads ({', '.join(FORMATS)}); "
                                         "from Python, name one with format=")


def read_frequency_file(path: str | Path, *, format: str | None = None,
                        population: str | None = None) -> list[PopulationFrequencies]:
    """Read any supported frequency file; ``format`` (see :data:`FORMATS`) skips detection.

    ``population`` names the population of a single-population file (Familias, wide and long
    files without a population column); by default it is the file's stem.
    """
    fmt = _normalise_format(format) if format is not None else detect_frequency_format(path)
    if fmt == "nist1036":
        return read_nist1036_csv(path)
    if fmt == "ukdna17":
        return read_ukdna17_csv(path)
    if fmt == "fbi2015":
        return read_fbi2015_csv(path)
    if fmt == "wide":
        return read_wide_csv(path, population=population)
    if fmt == "familias":
        return read_familias(path, population=population)
    if fmt == "strider-xml":
        return read_strider_xml(path)
    if fmt == "genotypes":
        return read_genotypes_csv(path, population=population)
    return read_long_csv(path, population=population)
