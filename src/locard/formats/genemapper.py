"""GeneMapper ID-X genotype exports: the long layout and the wide layout.

Long layout (one row per sample and marker), as GeneMapper ID-X and the R tools that read it
write it: ``Sample Name`` (or ``Sample.Name``, ``SampleName``), ``Marker``, optional ``Dye``,
``Allele 1..n`` (``Allele.1``), optional ``Height 1..n`` and ``Size 1..n``. ``Height k`` is
the peak height of ``Allele k``. Consecutive rows of one sample (and sample file, where the
file has that column) make one record; a sample name that comes back later in the file (a
second run) is a new record.

Wide layout (one row per sample): ``Sample File``, ``Sample Name``, then one column per marker
holding its alleles separated by commas (``11, 12, , ,``), each optionally followed by a
``Height`` column with the peak heights in the same order.

Both: tab, comma or semicolon separated (detected from the header row); a ``Panel`` column
gives the record's kit (the panel name as written, e.g. ``PowerPlex_ESX_17_IDX_v2``); ``OL``
off-ladder peaks are kept as ``OL``, each one; empty cells and ``NA`` are missing (an
all-missing marker is left out; a sample with no allele at all is reported as an empty
record); marker names go through :func:`~locard.genetics.loci.canonical_locus`, so
non-genetic markers Locard knows (the Investigator quality sensors ``QS1``, ``QS2``) keep
their canonical names; a marker Locard does not know makes its sample a
:class:`~locard.formats.records.RecordProblem` naming the file, sample and marker. Columns
that are neither markers nor GeneMapper's own (dye, size, data point, comments, and any name or
birth-date column) are not read.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Iterator
from typing import IO, Literal

from locard.errors import FileFormatError
from locard.formats._io import (
    DEFAULT_LIMITS,
    Limits,
    Rows,
    Source,
    norm_header,
    open_text,
    read_rows,
    source_label,
)
from locard.formats.records import (
    MISSING_TOKENS,
    ProfileAssembler,
    ProfileRecord,
    RawLocus,
    ReadResult,
    RecordProblem,
    collect,
)
from locard.genetics.profiles import Profile

__all__ = ["detect_layout", "iter_genemapper", "read_genemapper", "write_genemapper"]

Layout = Literal["long", "wide"]

_SAMPLE_COLUMNS = ("samplename", "sample", "sampleid")
_ALLELE_RE = re.compile(r"^allele(\d+)$")
_HEIGHT_RE = re.compile(r"^height(\d+)$")
# GeneMapper's own non-marker columns (normalised), and what they are called in the export
_WIDE_META = {
    "samplefile": "Sample File", "samplename": "Sample Name", "panel": "Panel",
    "sampletype": "Sample Type", "runname": "Run Name", "comment": "Comment",
    "comments": "Comments", "samplecomment": "Sample Comment", "sizestandard": "Size Standard",
    "analysismethod": "Analysis Method", "specimencategory": "Specimen Category",
}
_WIDE_PER_MARKER = {"height", "size", "datapoint", "peakarea", "area"}
#: Columns holding personal data: never read, whatever the layout.
PERSONAL_COLUMNS = frozenset({
    "name", "firstname", "lastname", "surname", "givenname", "givennames", "fullname",
    "familyname", "maidenname", "birthdate", "dateofbirth", "dob", "birthday", "birthplace",
    "placeofbirth", "address", "ssn", "nationalid", "personalid", "personnumber", "passport",
    "phone", "email", "gender", "sex",
})


def detect_layout(header: Iterable[str]) -> Layout | None:
    """``'long'`` (a Marker column), ``'wide'`` (Sample Name without Marker) or None."""
    norms = {norm_header(h) for h in header}
    has_alleles = any(_ALLELE_RE.match(n) for n in norms)
    if ("marker" in norms or "locus" in norms) and has_alleles:
        return "long"
    if "samplename" in norms and "marker" not in norms:
        return "wide"
    return None


def _missing(value: str) -> bool:
    return value.strip().upper() in MISSING_TOKENS


def _long(header: list[str], rows: Rows, asm: ProfileAssembler,
          label: str) -> Iterator[ProfileRecord | RecordProblem]:
    norms = [norm_header(h) for h in header]
    sample_col = next((norms.index(c) for c in _SAMPLE_COLUMNS if c in norms), None)
    marker_col = next((norms.index(c) for c in ("marker", "locus") if c in norms), None)
    if sample_col is None or marker_col is None:
        raise FileFormatError("not a GeneMapper long export: no 'Sample Name' and 'Marker' "
                              "columns in the header", path=label)
    file_col = norms.index("samplefile") if "samplefile" in norms else None
    panel_col = norms.index("panel") if "panel" in norms else None
    alleles: dict[int, int] = {}
    heights: dict[int, int] = {}
    for j, n in enumerate(norms):
        if m := _ALLELE_RE.match(n):
            alleles[int(m.group(1))] = j
        elif m := _HEIGHT_RE.match(n):
            heights[int(m.group(1))] = j
    pairs = [(alleles[k], heights.get(k)) for k in sorted(alleles)]
    with_heights = any(h is not None for _, h in pairs)

    key: tuple[str, str] | None = None
    loci: list[RawLocus] = []
    first_line = 0
    count = 0
    panel: str | None = None

    def flush() -> ProfileRecord | RecordProblem:
        nonlocal count
        count += 1
        assert key is not None
        return asm.record_or_problem(loci, specimen_id=key[1], kit=panel, line=first_line,
                                     index=count)

    for line, cells in rows:
        width = len(cells)
        sample = cells[sample_col].strip() if sample_col < width else ""
        if not sample:
            count += 1
            yield asm.problem("no sample name", line=line, index=count)
            continue
        row_key = (cells[file_col].strip() if file_col is not None and file_col < width else "",
                   sample)
        if row_key != key:
            if key is not None:
                yield flush()
            key, loci, first_line = row_key, [], line
            cell = (cells[panel_col].strip()
                    if panel_col is not None and panel_col < width else "")
            panel = None if _missing(cell) else cell
        marker = cells[marker_col].strip() if marker_col < width else ""
        values: list[str] = []
        peak: list[str | None] = []
        for a, h in pairs:
            value = cells[a].strip() if a < width else ""
            if _missing(value):
                continue
            values.append(value)
            if with_heights:
                hv = cells[h].strip() if h is not None and h < width else ""
                peak.append(None if _missing(hv) else hv)
        if not marker:
            if values:
                loci.append(RawLocus("", values))  # reported as an unknown (empty) marker
            continue
        loci.append(RawLocus(marker, values, peak if with_heights else None))
    if key is not None:
        yield flush()
    elif count == 0:
        yield asm.problem("the file holds no profiles (no data rows)")


def _wide(header: list[str], rows: Rows, asm: ProfileAssembler,
          label: str) -> Iterator[ProfileRecord | RecordProblem]:
    norms = [norm_header(h) for h in header]
    if "samplename" not in norms:
        raise FileFormatError("not a GeneMapper wide export: no 'Sample Name' column",
                              path=label)
    sample_col = norms.index("samplename")
    panel_col = norms.index("panel") if "panel" in norms else None
    markers: list[tuple[int, int | None]] = []  # (allele column, height column)
    for j, (name, n) in enumerate(zip(header, norms, strict=True)):
        if not n or n in _WIDE_META or n in PERSONAL_COLUMNS:
            continue
        if n in _WIDE_PER_MARKER:
            if n == "height" and markers and markers[-1][0] == j - 1:
                markers[-1] = (j - 1, j)
            continue
        if asm.locus_name(name) is None:
            close = difflib.get_close_matches(n, list(_WIDE_META), n=1, cutoff=0.8)
            if close:
                raise FileFormatError(
                    f"broken header: column {j + 1} is {name!r}, which is neither a marker nor "
                    f"a GeneMapper column (did you mean {_WIDE_META[close[0]]!r}?)",
                    path=label, line=1, remedy="fix the header row of the export")
        markers.append((j, None))
    if not markers:
        raise FileFormatError("not a GeneMapper wide export: no marker columns", path=label)

    count = 0
    for line, cells in rows:
        count += 1
        width = len(cells)
        sample = cells[sample_col].strip() if sample_col < width else ""
        if not sample:
            yield asm.problem("no sample name", line=line, index=count)
            continue
        loci: list[RawLocus] = []
        for a, h in markers:
            parts = cells[a].split(",") if a < width else []
            hparts = cells[h].split(",") if h is not None and h < width else []
            values: list[str] = []
            peak: list[str | None] = []
            for i, part in enumerate(parts):
                if _missing(part):
                    continue
                values.append(part.strip())
                hv = hparts[i].strip() if i < len(hparts) else ""
                peak.append(None if _missing(hv) else hv)
            if values:
                loci.append(RawLocus(header[a], values, peak if h is not None else None))
        cell = cells[panel_col].strip() if panel_col is not None and panel_col < width else ""
        yield asm.record_or_problem(loci, specimen_id=sample, kit=None if _missing(cell) else cell,
                                    line=line, index=count)
    if count == 0:
        yield asm.problem("the file holds no profiles (no data rows)")


def _iterate(stream: IO[str], label: str,
             layout: Literal["auto", "long", "wide"]) -> tuple[Layout, Iterator[
                 ProfileRecord | RecordProblem]]:
    header, _, rows = read_rows(stream, label)
    found = detect_layout(header)
    chosen: Layout
    if layout == "auto":
        if found is None:
            raise FileFormatError(
                "not a GeneMapper export: the header has neither 'Sample Name' with 'Marker' "
                "and 'Allele 1' columns (long layout) nor 'Sample Name' with marker columns "
                "(wide layout)", path=label)
        chosen = found
    else:
        chosen = layout
    asm = ProfileAssembler(label)
    items = _long(header, rows, asm, label) if chosen == "long" else _wide(header, rows, asm,
                                                                           label)
    return chosen, items


def iter_genemapper(source: Source, *, layout: Literal["auto", "long", "wide"] = "auto",
                    limits: Limits = DEFAULT_LIMITS) -> Iterator[ProfileRecord | RecordProblem]:
    """Stream the records (and problems) of a GeneMapper export, layout detected by default."""
    with open_text(source, limits) as stream:
        _, items = _iterate(stream, source_label(source), layout)
        yield from items


def read_genemapper(source: Source, *, layout: Literal["auto", "long", "wide"] = "auto",
                    limits: Limits = DEFAULT_LIMITS) -> ReadResult:
    """Read a GeneMapper ID-X export (long or wide layout): one record per sample.

    The result's ``format`` is ``genemapper-long`` or ``genemapper-wide``. Raises
    :class:`FileFormatError` for a file whose header is neither layout (naming the path, and
    the column, for a misspelt header such as ``Smaple File``).
    """
    label = source_label(source)
    with open_text(source, limits) as stream:
        chosen, items = _iterate(stream, label, layout)
        return collect(label, f"genemapper-{chosen}", items)


def _height_text(h: float | None) -> str:
    if h is None:
        return ""
    return str(int(h)) if float(h).is_integer() else repr(h)


def write_genemapper(records: Iterable[ProfileRecord | Profile],
                     destination: str | os.PathLike[str] | IO[str]) -> int:
    """Write profiles as a tab-separated GeneMapper long export (``Sample Name``, ``Marker``,
    ``Allele k``, and ``Height k`` when any profile has peak heights); returns the number of
    profiles written. Inconclusive loci are left out (the layout has no place for them)."""
    rows: list[tuple[str, str, list[str], list[str]]] = []
    width = 1
    any_heights = False
    count = 0
    for item in records:
        rec = item if isinstance(item, ProfileRecord) else ProfileRecord.of(item)
        spec = rec.specimen_id if rec.specimen_id is not None else rec.profile.specimen_id
        if not spec:
            raise FileFormatError("cannot write GeneMapper: a profile has no specimen ID",
                                  path=source_label(destination), record=f"#{count + 1}")
        count += 1
        for locus, call in rec.profile.loci.items():
            if call.inconclusive or not call.alleles:
                continue
            width = max(width, len(call.alleles))
            hs = [_height_text(h) for h in call.heights] if call.heights is not None else []
            any_heights = any_heights or call.heights is not None
            rows.append((spec, locus, [str(a) for a in call.alleles], hs))
    head = ["Sample Name", "Marker"] + [f"Allele {k}" for k in range(1, width + 1)]
    if any_heights:
        head += [f"Height {k}" for k in range(1, width + 1)]
    lines = ["\t".join(head)]
    for spec, locus, alleles, hs in rows:
        cells = [spec, locus, *alleles, *([""] * (width - len(alleles)))]
        if any_heights:
            cells += [*hs, *([""] * (width - len(hs)))]
        lines.append("\t".join(cells))
    text = "\n".join(lines) + "\n"
    if isinstance(destination, (str, os.PathLike)):
        with open(destination, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    else:
        destination.write(text)
    return count

