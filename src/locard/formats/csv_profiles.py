"""Profiles in CSV: the CODIS-style database export (wide) and a simple long layout.

Wide (``csv-wide``), the layout of CODIS-style database exports: a ``specimenId`` column, then
``<LOCUS>_1 .. <LOCUS>_k`` (``D8S1179_1``, ``PENTA_D_2``, ``Penta D_3``; ``LOCUS.1`` is read
too), one allele per cell, ``NULL`` (or an empty cell, ``NA``) where there is none. ``INC`` in a
locus's cells marks the locus inconclusive. Optional columns ``specimenCategory``,
``sourceLab``, ``kit`` and ``caseId`` fill the record's metadata; other columns are not read
(in particular no name or birth-date column ever is).

Long (``csv-long``): ``specimen_id,locus,alleles`` with the alleles in one cell, ``13/14`` or
``"13,14"`` (``INC`` for inconclusive), optionally ``heights`` in the same order. Rows of one
specimen need not be adjacent.

Both: comma, semicolon or tab separated (detected), UTF-8 with or without a byte-order mark;
marker names through :func:`~locard.genetics.loci.canonical_locus`; values stripped of blanks.
A specimen ID that comes twice makes the second record a problem; so does a record with no
allele at all.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Iterator, Sequence
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
    INCONCLUSIVE_TOKENS,
    MISSING_TOKENS,
    ProfileAssembler,
    ProfileRecord,
    RawLocus,
    ReadResult,
    RecordProblem,
    collect,
)
from locard.genetics.loci import locus_sort_key
from locard.genetics.profiles import Profile

__all__ = ["detect_csv_layout", "iter_csv", "read_csv", "write_csv"]

CsvLayout = Literal["wide", "long"]

_SPECIMEN_COLUMNS = ("specimenid", "specimen", "sampleid", "samplename", "id")
_META_COLUMNS = {
    "specimencategory": "specimen_category", "category": "specimen_category",
    "sourcelab": "source_lab", "lab": "source_lab", "sourceori": "source_lab",
    "kit": "kit", "caseid": "raw_case", "case": "raw_case", "casenumber": "raw_case",
    "consent": "consent", "consentid": "consent", "consentref": "consent",
}
_LOCUS_COLUMN = re.compile(r"^(.+?)[_.](\d+)$")
_SPLIT = re.compile(r"[/,;\s]+")


def _specimen_column(norms: Sequence[str]) -> int | None:
    return next((norms.index(c) for c in _SPECIMEN_COLUMNS if c in norms), None)


def detect_csv_layout(header: Sequence[str]) -> CsvLayout | None:
    """``'wide'`` (specimen column and ``LOCUS_n`` columns), ``'long'`` (specimen, locus and
    alleles columns) or None."""
    norms = [norm_header(h) for h in header]
    if _specimen_column(norms) is None:
        return None
    if ("locus" in norms or "marker" in norms) and "alleles" in norms:
        return "long"
    if any(_LOCUS_COLUMN.match(h.strip()) for h in header[1:]):
        return "wide"
    return None


def _meta(cells: Sequence[str], columns: dict[str, int]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for field, j in columns.items():
        value = cells[j].strip() if j < len(cells) else ""
        out[field] = None if value.upper() in MISSING_TOKENS else value
    return out


def _meta_columns(norms: Sequence[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for j, n in enumerate(norms):
        field = _META_COLUMNS.get(n)
        if field is not None and field not in columns:
            columns[field] = j
    return columns


def _wide(header: list[str], rows: Rows, asm: ProfileAssembler,
          label: str) -> Iterator[ProfileRecord | RecordProblem]:
    norms = [norm_header(h) for h in header]
    spec_col = _specimen_column(norms)
    if spec_col is None:
        raise FileFormatError("not a profile CSV: no 'specimenId' column", path=label)
    meta_cols = _meta_columns(norms)
    groups: dict[str, list[int]] = {}  # locus as written -> its columns, in file order
    for j, name in enumerate(header):
        if j == spec_col or j in meta_cols.values():
            continue
        m = _LOCUS_COLUMN.match(name.strip())
        if m:
            groups.setdefault(m.group(1), []).append(j)
    if not groups:
        raise FileFormatError("not a profile CSV: no '<LOCUS>_<n>' columns", path=label)
    seen: dict[str, int] = {}
    count = 0
    for line, cells in rows:
        count += 1
        width = len(cells)
        spec = cells[spec_col].strip() if spec_col < width else ""
        if not spec:
            yield asm.problem("no specimen ID", line=line, index=count)
            continue
        first = seen.get(spec)
        if first is not None:
            yield asm.problem(f"specimen ID given twice in the file (first on line {first})",
                              record=spec, value=spec, line=line, index=count)
            continue
        seen[spec] = line
        loci: list[RawLocus] = []
        for name, cols in groups.items():
            values: list[str] = []
            inconclusive = False
            for j in cols:
                value = cells[j].strip() if j < width else ""
                up = value.upper()
                if up in MISSING_TOKENS:
                    continue
                if up in INCONCLUSIVE_TOKENS:
                    inconclusive = True
                    continue
                values.append(value)
            if values or inconclusive:
                loci.append(RawLocus(name, values, None, inconclusive))
        meta = _meta(cells, meta_cols)
        yield asm.record_or_problem(loci, specimen_id=spec, kit=meta.get("kit"),
                                    specimen_category=meta.get("specimen_category"),
                                    source_lab=meta.get("source_lab"),
                                    raw_case=meta.get("raw_case"), line=line, index=count,
                                    consent=meta.get("consent"))
    if count == 0:
        yield asm.problem("the file holds no profiles (no data rows)")


def _long(header: list[str], rows: Rows, asm: ProfileAssembler,
          label: str) -> Iterator[ProfileRecord | RecordProblem]:
    norms = [norm_header(h) for h in header]
    spec_col = _specimen_column(norms)
    locus_col = next((norms.index(c) for c in ("locus", "marker") if c in norms), None)
    if spec_col is None or locus_col is None or "alleles" not in norms:
        raise FileFormatError("not a long profile CSV: needs 'specimen_id', 'locus' and "
                              "'alleles' columns", path=label)
    allele_col = norms.index("alleles")
    height_col = norms.index("heights") if "heights" in norms else None
    meta_cols = _meta_columns(norms)
    # specimen -> (first line, loci, metadata); rows of one specimen may be apart
    specimens: dict[str, tuple[int, list[RawLocus], dict[str, str | None]]] = {}
    problems: list[RecordProblem] = []
    for line, cells in rows:
        width = len(cells)
        spec = cells[spec_col].strip() if spec_col < width else ""
        if not spec:
            problems.append(asm.problem("no specimen ID", line=line))
            continue
        entry = specimens.get(spec)
        if entry is None:
            entry = specimens[spec] = (line, [], _meta(cells, meta_cols))
        locus = cells[locus_col].strip() if locus_col < width else ""
        cell = cells[allele_col].strip() if allele_col < width else ""
        inconclusive = cell.upper() in INCONCLUSIVE_TOKENS
        values = [] if inconclusive else [v for v in _SPLIT.split(cell)
                                           if v.upper() not in MISSING_TOKENS]
        heights: list[str | None] | None = None
        if height_col is not None and height_col < width and cells[height_col].strip():
            hs = [None if h.upper() in MISSING_TOKENS else h
                  for h in _SPLIT.split(cells[height_col].strip())]
            heights = hs if len(hs) == len(values) else None
            if heights is None:
                problems.append(asm.problem(
                    f"{len(values)} allele(s) but {len(hs)} peak height(s)", record=spec,
                    locus=locus, value=cells[height_col].strip(), line=line))
                continue
        entry[1].append(RawLocus(locus, values, heights, inconclusive))
    yield from problems
    for index, (spec, (line, loci, meta)) in enumerate(specimens.items(), start=1):
        yield asm.record_or_problem(loci, specimen_id=spec, kit=meta.get("kit"),
                                    specimen_category=meta.get("specimen_category"),
                                    source_lab=meta.get("source_lab"),
                                    raw_case=meta.get("raw_case"), line=line, index=index,
                                    consent=meta.get("consent"))
    if not specimens and not problems:
        yield asm.problem("the file holds no profiles (no data rows)")


def _iterate(stream: IO[str], label: str, layout: Literal["auto", "wide", "long"]
             ) -> tuple[CsvLayout, Iterator[ProfileRecord | RecordProblem]]:
    header, _, rows = read_rows(stream, label)
    chosen: CsvLayout
    if layout == "auto":
        found = detect_csv_layout(header)
        if found is None:
            raise FileFormatError(
                "not a profile CSV: expected a 'specimenId' column with '<LOCUS>_1' columns, "
                "or 'specimen_id,locus,alleles'", path=label)
        chosen = found
    else:
        chosen = layout
    asm = ProfileAssembler(label)
    items = _wide(header, rows, asm, label) if chosen == "wide" else _long(header, rows, asm,
                                                                           label)
    return chosen, items


def iter_csv(source: Source, *, layout: Literal["auto", "wide", "long"] = "auto",
             limits: Limits = DEFAULT_LIMITS) -> Iterator[ProfileRecord | RecordProblem]:
    """Stream the records (and problems) of a profile CSV, layout detected by default."""
    with open_text(source, limits) as stream:
        _, items = _iterate(stream, source_label(source), layout)
        yield from items


def read_csv(source: Source, *, layout: Literal["auto", "wide", "long"] = "auto",
             limits: Limits = DEFAULT_LIMITS) -> ReadResult:
    """Read a profile CSV (database-export wide layout or long layout), one record per
    specimen; the result's ``format`` is ``csv-wide`` or ``csv-long``."""
    label = source_label(source)
    with open_text(source, limits) as stream:
        chosen, items = _iterate(stream, label, layout)
        return collect(label, f"csv-{chosen}", items)


def write_csv(records: Iterable[ProfileRecord | Profile],
              destination: str | os.PathLike[str] | IO[str], *,
              layout: CsvLayout = "wide", null: str = "NULL",
              alleles_per_locus: int | None = None, loci: Sequence[str] | None = None) -> int:
    """Write profiles as CSV; returns the number written.

    Wide (default): ``specimenId``, then ``specimenCategory``/``sourceLab``/``kit``/``caseId``
    (and ``localOnly``, ``consent``) where any record has them, then ``<LOCUS>_1 .. _k`` for
    each locus in ``loci`` (default:
    every locus of any profile, in Locard's display order), ``k = alleles_per_locus`` (default:
    the most alleles at any locus, at least 2), ``null`` in empty cells, ``INC`` for an
    inconclusive locus. Peak heights are not written. Long: ``specimen_id,locus,alleles,
    heights`` with ``/`` between alleles (heights only when some profile has them).
    """
    recs = [r if isinstance(r, ProfileRecord) else ProfileRecord.of(r) for r in records]
    label = source_label(destination)
    for i, rec in enumerate(recs, start=1):
        if not (rec.specimen_id or rec.profile.specimen_id):
            raise FileFormatError("cannot write CSV: a profile has no specimen ID", path=label,
                                  record=f"#{i}")
    if layout == "long":
        rows = _long_rows(recs)
    else:
        rows = _wide_rows(recs, null=null, alleles_per_locus=alleles_per_locus, loci=loci)
    if isinstance(destination, (str, os.PathLike)):
        with open(destination, "w", encoding="utf-8", newline="") as out:
            csv.writer(out, lineterminator="\n").writerows(rows)
    else:
        csv.writer(destination, lineterminator="\n").writerows(rows)
    return len(recs)


def _spec(rec: ProfileRecord) -> str:
    return rec.specimen_id or rec.profile.specimen_id or ""


_META_OUT = (("specimen_category", "specimenCategory"), ("source_lab", "sourceLab"),
             ("kit", "kit"), ("raw_case", "caseId"), ("local_only", "localOnly"),
             ("consent", "consent"))


def _meta_cell(value: object) -> str:
    """A metadata cell: text as it is; the ``localOnly`` marker as ``yes`` or empty."""
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value) if value is not None else ""


def _wide_rows(recs: list[ProfileRecord], *, null: str, alleles_per_locus: int | None,
               loci: Sequence[str] | None) -> list[list[str]]:
    if loci is None:
        names = sorted({k for r in recs for k in r.profile.loci}, key=locus_sort_key)
    else:
        names = list(loci)
    width = alleles_per_locus or max(
        [2, *(len(c.alleles) for r in recs for c in r.profile.loci.values())])
    meta = [(field, title) for field, title in _META_OUT
            if any(getattr(r, field) is not None for r in recs)]
    header = ["specimenId", *(title for _, title in meta),
              *(f"{name}_{k}" for name in names for k in range(1, width + 1))]
    rows = [header]
    for rec in recs:
        row = [_spec(rec), *(_meta_cell(getattr(rec, field)) for field, _ in meta)]
        for name in names:
            call = rec.profile.loci.get(name)
            if call is None:
                row += [null] * width
                continue
            if len(call.alleles) > width:
                raise FileFormatError(
                    f"cannot write CSV: {name} has {len(call.alleles)} alleles, more than the "
                    f"{width} columns", record=_spec(rec))
            cells = ["INC"] if call.inconclusive and not call.alleles else [
                str(a) for a in call.alleles]
            row += cells + [null] * (width - len(cells))
        rows.append(row)
    return rows


def _long_rows(recs: list[ProfileRecord]) -> list[list[str]]:
    with_heights = any(c.heights is not None for r in recs for c in r.profile.loci.values())
    rows = [["specimen_id", "locus", "alleles", *(["heights"] if with_heights else [])]]
    for rec in recs:
        for name, call in rec.profile.loci.items():
            alleles = "INC" if call.inconclusive and not call.alleles else "/".join(
                str(a) for a in call.alleles)
            row = [_spec(rec), name, alleles]
            if with_heights:
                row.append("/".join("NA" if h is None else (str(int(h)) if h.is_integer()
                                                            else repr(h))
                                    for h in call.heights) if call.heights is not None else "")
            rows.append(row)
    return rows

