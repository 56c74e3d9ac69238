"""Guarded input for the profile readers: size limits, line limits, sources, delimiters.

Every reader reads through :class:`GuardedReader`, which refuses (with
:class:`~locard.errors.UnsafeInput`) a file larger than ``Limits.max_bytes`` before reading a
byte of it, and a line longer than ``Limits.max_line_bytes`` as soon as it has read that far:
a 1 GB file without a newline is refused after reading ``max_line_bytes``, never read whole.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from locard.errors import FileFormatError, UnsafeInput

__all__ = [
    "DEFAULT_LIMITS",
    "GuardedReader",
    "Limits",
    "Source",
    "norm_header",
    "open_binary",
    "open_text",
    "read_rows",
    "sniff_delimiter",
    "source_label",
]

#: A path, or a binary stream (an upload) opened by the caller.
Source = str | os.PathLike[str] | IO[bytes]

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclass(frozen=True, slots=True)
class Limits:
    """Input limits. None switches a limit off.

    ``max_bytes`` (default 8 GiB) bounds a whole file: a million-profile CMF file written by
    :func:`~locard.formats.cmf.write_cmf` is about 4.5 GB, and the readers stream, so the limit
    bounds time rather than memory; a service taking uploads should pass a smaller one.
    ``max_line_bytes`` (default 16 MiB) bounds one line: text readers hold a line in memory,
    and no honest profile file has a line that long (CMF writers put an element or a locus on
    a line; a CMF file written on a single line is refused once it passes the limit).
    """

    max_bytes: int | None = 8 * GiB
    max_line_bytes: int | None = 16 * MiB


DEFAULT_LIMITS = Limits()


def source_label(source: Source | IO[str]) -> str:
    """The name to put in messages: the path, a stream's ``name``, else ``<stream>`` (for
    sources and for destinations alike)."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "<stream>"


def _size_text(n: int) -> str:
    if n >= GiB:
        return f"{n / GiB:.4g} GiB"
    if n >= MiB:
        return f"{n / MiB:.4g} MiB"
    return f"{n} bytes"


class GuardedReader(io.RawIOBase):
    """A binary reader that enforces :class:`Limits` on everything read through it."""

    def __init__(self, raw: IO[bytes], label: str, limits: Limits) -> None:
        super().__init__()
        self._raw = raw
        self.label = label
        self.limits = limits
        self.bytes_read = 0
        self._run = 0  # bytes since the last line break

    def readable(self) -> bool:
        """Always True: the reader can be read."""
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        """Read into ``buffer`` through :meth:`read_chunk`; return the number of bytes read (0 at
        the end).
        """
        data = self.read_chunk(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n

    def read_chunk(self, size: int = 1 * MiB) -> bytes:
        """Read up to ``size`` bytes (b"" at the end), counting them against the limits.

        Raises UnsafeInput once the file passes ``max_bytes`` or a line passes ``max_line_bytes``.
        """
        data = self._raw.read(size)
        if not data:
            return b""
        self.bytes_read += len(data)
        limits = self.limits
        if limits.max_bytes is not None and self.bytes_read > limits.max_bytes:
            raise UnsafeInput(
                f"file is larger than the limit of {_size_text(limits.max_bytes)}",
                path=self.label, remedy="raise the limit (max_bytes) if the file is genuine")
        if limits.max_line_bytes is not None:
            last = max(data.rfind(b"\n"), data.rfind(b"\r"))
            if last < 0:
                self._run += len(data)
            else:
                first = min(i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0)
                if self._run + first > limits.max_line_bytes:
                    self._refuse_line()
                self._run = len(data) - last - 1
            if self._run > limits.max_line_bytes:
                self._refuse_line()
        return data

    def _refuse_line(self) -> None:
        assert self.limits.max_line_bytes is not None
        raise UnsafeInput(
            f"a line is longer than the limit of {_size_text(self.limits.max_line_bytes)} "
            f"(refused after reading {_size_text(self.bytes_read)})",
            path=self.label,
            remedy="raise the limit (max_line_bytes) if the file is genuine")


@contextmanager
def open_binary(source: Source, limits: Limits = DEFAULT_LIMITS) -> Iterator[GuardedReader]:
    """Open a path (or wrap a caller's stream) for guarded binary reading.

    A path larger than ``limits.max_bytes`` is refused from its size alone, before any read.
    """
    label = source_label(source)
    if isinstance(source, (str, os.PathLike)):
        try:
            size = os.stat(source).st_size
        except FileNotFoundError:
            raise FileFormatError("no such file", path=label) from None
        except OSError as exc:
            raise FileFormatError(f"cannot open: {exc.strerror}", path=label) from None
        if limits.max_bytes is not None and size > limits.max_bytes:
            raise UnsafeInput(
                f"file is {_size_text(size)}, larger than the limit of "
                f"{_size_text(limits.max_bytes)}",
                path=label, remedy="raise the limit (max_bytes) if the file is genuine")
        try:
            raw: IO[bytes] = open(source, "rb")  # noqa: SIM115 - closed below
        except IsADirectoryError:
            raise FileFormatError("is a directory, not a file", path=label) from None
        except OSError as exc:
            raise FileFormatError(f"cannot open: {exc.strerror}", path=label) from None
        try:
            yield GuardedReader(raw, label, limits)
        finally:
            raw.close()
    else:
        yield GuardedReader(source, label, limits)


@contextmanager
def open_text(source: Source, limits: Limits = DEFAULT_LIMITS) -> Iterator[IO[str]]:
    """Open for guarded text reading as UTF-8 (a byte-order mark is accepted and dropped)."""
    with open_binary(source, limits) as guard:
        text = io.TextIOWrapper(io.BufferedReader(guard, 256 * KiB), encoding="utf-8-sig",
                                newline="")
        try:
            yield text
        except UnicodeDecodeError as exc:
            raise FileFormatError(f"not UTF-8 text ({exc.reason})", path=guard.label,
                                  remedy="save the file as UTF-8") from None


def sniff_delimiter(header: str) -> str:
    """The delimiter of a header line: tab, comma or semicolon, whichever occurs most
    (tab wins a tie: GeneMapper's own export is tab separated)."""
    counts = {d: header.count(d) for d in ("\t", ",", ";")}
    best = max(counts.values())
    if best == 0:
        return "\t"
    for d in ("\t", ",", ";"):
        if counts[d] == best:
            return d
    return "\t"  # pragma: no cover


Rows = Iterator[tuple[int, list[str]]]


def read_rows(stream: IO[str], label: str) -> tuple[list[str], str, Rows]:
    """Header cells, delimiter, and an iterator of ``(line number, cells)`` for the data rows.

    Blank rows are skipped. Raises :class:`FileFormatError` for a file with no header row.
    """
    header_line = stream.readline()
    offset = 1
    while header_line and not header_line.strip():
        header_line = stream.readline()
        offset += 1
    if not header_line.strip():
        raise FileFormatError("empty file: no header row", path=label)
    delimiter = sniff_delimiter(header_line)
    header = [h.strip() for h in next(csv.reader([header_line], delimiter=delimiter))]

    def rows() -> Rows:
        reader = csv.reader(stream, delimiter=delimiter)
        try:
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                yield offset + reader.line_num, cells
        except csv.Error as exc:
            raise FileFormatError(f"cannot read as delimited text: {exc}", path=label,
                                  line=offset + reader.line_num) from None

    return header, delimiter, rows()


def norm_header(name: str) -> str:
    """Header cell normalised for matching: lower case, letters and digits only."""
    return "".join(ch for ch in name.lower() if ch.isalnum())
