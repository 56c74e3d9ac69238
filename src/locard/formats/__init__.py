"""Formats: profile exchange files, parsed and written. Depends on genetics and errors only.

One entry point reads any profile file Locard knows::

    result = read_profiles("batch.xml")          # format told from extension and content
    result.records    # [ProfileRecord(profile=..., specimen_id=..., specimen_category=...)]
    result.problems   # [RecordProblem('batch.xml: record 7: specimen 'X': D18S51: ...')]

Readers never stop at the first bad record: every record they cannot read becomes one
:class:`RecordProblem` naming file, record, locus and value, and the importer decides whether to
import nothing or the good ones. A file that cannot be read at all raises
:class:`~locard.errors.FileFormatError`; a hostile or oversized one
:class:`~locard.errors.UnsafeInput` (see :class:`Limits`).

Formats (``format=``): ``cmf`` (CODIS CMF 3.2 XML), ``genemapper`` (GeneMapper ID-X export,
long or wide layout), ``csv`` (CODIS-style database export, or ``specimen_id,locus,alleles``),
``json`` (a profile object, a list of them, or JSON Lines).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import PurePath
from typing import IO, Any

from locard.errors import FileFormatError
from locard.formats._io import (
    DEFAULT_LIMITS,
    Limits,
    Source,
    norm_header,
    sniff_delimiter,
    source_label,
)
from locard.formats.cmf import iter_cmf, read_cmf, write_cmf
from locard.formats.csv_profiles import detect_csv_layout, iter_csv, read_csv, write_csv
from locard.formats.genemapper import (
    detect_layout,
    iter_genemapper,
    read_genemapper,
    write_genemapper,
)
from locard.formats.profile_json import iter_json, read_json, write_json
from locard.formats.records import ProfileRecord, ReadResult, RecordProblem
from locard.genetics.profiles import Profile

__all__ = [
    "DEFAULT_LIMITS",
    "PROFILE_FORMATS",
    "Limits",
    "ProfileRecord",
    "ReadResult",
    "RecordProblem",
    "detect_format",
    "iter_cmf",
    "iter_csv",
    "iter_genemapper",
    "iter_json",
    "iter_profiles",
    "read_cmf",
    "read_csv",
    "read_genemapper",
    "read_json",
    "read_profiles",
    "write_cmf",
    "write_csv",
    "write_genemapper",
    "write_json",
    "write_profiles",
]

#: The profile formats :func:`read_profiles` and :func:`write_profiles` know.
PROFILE_FORMATS = ("cmf", "genemapper", "csv", "json")

_ALIASES = {
    "cmf": "cmf", "xml": "cmf", "codis": "cmf",
    "genemapper": "genemapper", "gmidx": "genemapper", "gm": "genemapper",
    "csv": "csv", "tsv": "csv",
    "json": "json", "jsonl": "json", "ndjson": "json",
}
_BY_EXTENSION = {".xml": "cmf", ".cmf": "cmf", ".json": "json", ".jsonl": "json",
                 ".ndjson": "json"}
_SNIFF_BYTES = 64 * 1024


def _canonical_format(name: str) -> str:
    found = _ALIASES.get(name.strip().lower())
    if found is None:
        raise FileFormatError(f"unknown profile format {name!r}",
                              remedy=f"use one of: {', '.join(PROFILE_FORMATS)}")
    return found


def sniff_format(head: bytes, *, name: str = "") -> str | None:
    """The format of a file from its name and first bytes, or None if it is none of them."""
    ext = PurePath(name).suffix.lower()
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if ext in _BY_EXTENSION:
        return _BY_EXTENSION[ext]
    if text.startswith(b"<") or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "cmf"
    if text.startswith((b"{", b"[")):
        return "json"
    first = text.split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")
    if not first:
        return None
    cells = [c.strip().strip('"') for c in first.split(sniff_delimiter(first))]
    norms = {norm_header(c) for c in cells}
    if "marker" in norms and detect_layout(cells):
        return "genemapper"
    if detect_csv_layout(cells):
        return "csv"
    if detect_layout(cells) or "samplename" in norms or "samplefile" in norms:
        return "genemapper"
    return None


def detect_format(source: Source) -> str:
    """``'cmf'``, ``'genemapper'``, ``'csv'`` or ``'json'`` for a path (or a seekable
    stream), from the extension and the first bytes; raises :class:`FileFormatError`."""
    label = source_label(source)
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as f:
                head = f.read(_SNIFF_BYTES)
        except FileNotFoundError:
            raise FileFormatError("no such file", path=label) from None
        except OSError as exc:
            raise FileFormatError(f"cannot open: {exc.strerror}", path=label) from None
    else:
        pos = source.tell()
        head = source.read(_SNIFF_BYTES)
        source.seek(pos)
    found = sniff_format(head, name=label)
    if found is None:
        raise FileFormatError(
            "cannot tell the profile format from the extension or the header",
            path=label,
            remedy=f"name one with --format (format= in Python): {', '.join(PROFILE_FORMATS)}")
    return found


def _resolve(source: Source, format: str | None) -> str:
    return _canonical_format(format) if format is not None else detect_format(source)


def read_profiles(source: Source, *, format: str | None = None,
                  limits: Limits = DEFAULT_LIMITS) -> ReadResult:
    """Read every profile of a file: records and per-record problems (see the module doc).

    ``format`` is one of :data:`PROFILE_FORMATS` (default: detected from the extension and
    the content). Text is read as UTF-8 (a byte-order mark is accepted).
    """
    fmt = _resolve(source, format)
    if fmt == "cmf":
        return read_cmf(source, limits=limits)
    if fmt == "genemapper":
        return read_genemapper(source, limits=limits)
    if fmt == "csv":
        return read_csv(source, limits=limits)
    return read_json(source, limits=limits)


def iter_profiles(source: Source, *, format: str | None = None,
                  limits: Limits = DEFAULT_LIMITS) -> Iterator[ProfileRecord | RecordProblem]:
    """Stream records and problems one at a time (for files too large to hold at once)."""
    fmt = _resolve(source, format)
    if fmt == "cmf":
        return iter_cmf(source, limits=limits)
    if fmt == "genemapper":
        return iter_genemapper(source, limits=limits)
    if fmt == "csv":
        return iter_csv(source, limits=limits)
    return iter_json(source, limits=limits)


def write_profiles(records: Iterable[ProfileRecord | Profile],
                   destination: str | os.PathLike[str] | IO[str], *, format: str,
                   **options: Any) -> int:
    """Write profiles in ``format``; ``options`` go to the format's writer
    (:func:`write_cmf` needs ``source_lab`` and ``submit_by_user``; :func:`write_csv` takes
    ``layout``; :func:`write_json` takes ``lines``). Returns the number written."""
    fmt = format.strip().lower()
    if fmt in ("jsonl", "ndjson"):
        options.setdefault("lines", True)
    fmt = _canonical_format(fmt)
    if fmt == "cmf":
        return write_cmf(records, destination, **options)
    if fmt == "csv":
        return write_csv(records, destination, **options)
    if fmt == "genemapper":
        return write_genemapper(records, destination, **options)
    return write_json(records, destination, **options)
