"""Read Applied Biosystems ABIF files: the ``.fsa`` runs of 310/3100/3130/3500 genetic analysers
and the ``.hid`` runs of 3500 HID software.

The format (Applied Biosystems, "ABIF File Format", 2006 and 2009 revisions): a header
(``ABIF``, a 16-bit version, then one 28-byte directory entry that points at the directory),
and a directory of 28-byte big-endian entries ``name(4s) number(i32) element_type(i16)
element_size(i16) count(i32) data_size(i32) data_offset(i32) handle(i32)``; an item of four
bytes or fewer is stored in the ``data_offset`` field itself. Trace channels are ``DATA 1-4``
(dyes 1-4) and ``DATA 105``/``106`` (dyes 5/6), ``DATA 9-12``/``205``/``206`` their analysed
counterparts; ``DyeN n`` names dye ``n``.

``.hid`` files obfuscate the trace and dye-name entries of the root directory (they carry
element types that are not in the specification) and embed a second, plain directory whose
offsets are absolute in the file. As OSIRIS does, Locard finds that directory by scanning the
file for a run of valid 28-byte entries that includes a valid ``DATA 1`` and ``DyeN 1``.

Hostile input: every count, size and offset is checked against the file size before anything
is read or allocated, the scan is linear in the file size and visits a bounded number of
candidates, and any violation raises :class:`locard.errors.CEFileError` naming the file and
the entry.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from locard.errors import CEFileError

__all__ = ["TRACE_NUMBERS", "AbifEntry", "AbifRun", "read_abif"]

ENTRY = struct.Struct(">4sihhiiii")
ENTRY_SIZE = ENTRY.size  # 28
HEADER_SIZE = 6 + ENTRY_SIZE
MAX_BYTES = 64 * 1024 * 1024
"""Largest file read by default; 3500 ``.hid`` runs are about 1 MB."""
MAX_SCAN_CANDIDATES = 256
"""How many candidate ``DATA`` entries the ``.hid`` scan inspects before giving up."""

TRACE_NUMBERS = (1, 2, 3, 4, 105, 106)
"""``DATA`` numbers of the raw trace of dyes 1-6 (OSIRIS's fsaChannelNumber 1-6)."""
ANALYZED_NUMBERS = (9, 10, 11, 12, 205, 206)

# element type -> (element size, numpy dtype or None for special decoding)
_TYPES: dict[int, tuple[int, str | None]] = {
    1: (1, ">u1"),   # byte
    2: (1, None),    # char: text
    3: (2, ">u2"),   # word
    4: (2, ">i2"),   # short
    5: (4, ">i4"),   # long
    7: (4, ">f4"),   # float
    8: (8, ">f8"),   # double
    10: (4, None),   # date: year(i16) month(u8) day(u8)
    11: (4, None),   # time: hour minute second hundredths (u8 each)
    13: (1, ">u1"),  # bool
    18: (1, None),   # pString: length byte then text
    19: (1, None),   # cString: NUL-terminated text
}
_DIRECTORY_TYPE = 1023

METADATA_TAGS: dict[str, str] = {
    "SpNm1": "sample_name",
    "TUBE1": "well",
    "LANE1": "lane",
    "MCHN1": "instrument",
    "MODL1": "model",
    "RunN1": "run_name",
    "RUND1": "run_start_date",
    "RUNT1": "run_start_time",
    "RUND2": "run_stop_date",
    "RUNT2": "run_stop_time",
    "DySN1": "dye_set",
    "StdF1": "size_standard",
    "SVER1": "data_collection_version",
    "CTID1": "plate",
    "MODF1": "run_module",
    "SCAN1": "scans",
    "Rate1": "scan_rate",
}


@dataclass(frozen=True, slots=True)
class AbifEntry:
    """One directory entry. ``data_offset`` is absolute; for items of four bytes or fewer it is
    the offset of the entry's own offset field, where the data sits."""

    name: str
    number: int
    element_type: int
    element_size: int
    count: int
    data_size: int
    data_offset: int

    @property
    def key(self) -> str:
        """``name`` and ``number`` as one key, ``"DATA1"``, as Biopython's ``abif_raw``."""
        return f"{self.name}{self.number}"


@dataclass(frozen=True, slots=True)
class AbifRun:
    """One ABIF run as read: traces in dye order, dye names, metadata and every decodable
    directory value (``values``, keyed like ``"DyeN1"``)."""

    path: str
    sha256: str
    version: int
    sample_name: str
    dyes: tuple[str, ...]
    traces: tuple[npt.NDArray[np.int16], ...]
    metadata: Mapping[str, str]
    entries: tuple[AbifEntry, ...]
    values: Mapping[str, Any] = field(repr=False)
    embedded_directory: bool = False

    @property
    def n_dyes(self) -> int:
        """The number of dyes (traces) in the run."""
        return len(self.dyes)

    @property
    def n_scans(self) -> int:
        """The number of scans per trace (0 without traces)."""
        return int(self.traces[0].shape[0]) if self.traces else 0

    def trace(self, dye: int) -> npt.NDArray[np.int16]:
        """The raw trace of dye ``dye`` (1-based, as OSIRIS's fsaChannelNumber)."""
        if not 1 <= dye <= len(self.traces):
            raise CEFileError(f"no dye {dye} in this run (it has {len(self.traces)} dyes)",
                              path=self.path, remedy="dyes are numbered from 1")
        return self.traces[dye - 1]

    def analyzed(self, dye: int) -> npt.NDArray[np.int16] | None:
        """The instrument software's analysed trace of ``dye`` (DATA 9-12/205/206), if stored."""
        value = self.values.get(f"DATA{ANALYZED_NUMBERS[dye - 1]}") if 1 <= dye <= 6 else None
        return value if isinstance(value, np.ndarray) else None


def _fail(path: str, message: str) -> CEFileError:
    return CEFileError(message, path=path,
                       remedy="check that the file is a complete .fsa/.hid run as written by "
                              "the instrument (re-export or copy it again)")


def _entry_at(data: bytes, offset: int) -> AbifEntry:
    name_b, number, etype, esize, count, size, doff, _handle = ENTRY.unpack_from(data, offset)
    name = name_b.decode("latin-1")
    data_offset = offset + 20 if 0 <= size <= 4 else doff
    return AbifEntry(name, number, etype, esize, count, size, data_offset)


def _entry_in_bounds(entry: AbifEntry, n: int) -> bool:
    return (entry.count >= 0 and entry.data_size >= 0 and entry.element_size >= 0
            and entry.data_offset >= 0 and entry.data_offset + entry.data_size <= n)


def _check_entry(entry: AbifEntry, n: int, path: str) -> None:
    if not _entry_in_bounds(entry, n):
        raise _fail(path, f"directory entry {entry.name!r} {entry.number} points outside the "
                          f"file (offset {entry.data_offset}, {entry.data_size} bytes, "
                          f"file {n} bytes)")
    spec = _TYPES.get(entry.element_type)
    if spec is not None and (entry.element_size != spec[0]
                             or entry.count * entry.element_size != entry.data_size):
        raise _fail(path, f"directory entry {entry.name!r} {entry.number}: element type "
                          f"{entry.element_type} with element size {entry.element_size} and "
                          f"{entry.count} elements does not fill {entry.data_size} bytes")


def _decode(entry: AbifEntry, data: bytes) -> Any:
    spec = _TYPES.get(entry.element_type)
    if spec is None:
        return None
    raw = data[entry.data_offset:entry.data_offset + entry.data_size]
    etype = entry.element_type
    if etype == 2:
        return raw.decode("latin-1")
    if etype == 18:
        length = raw[0] if raw else 0
        return raw[1:1 + length].decode("latin-1")
    if etype == 19:
        return raw.split(b"\0", 1)[0].decode("latin-1")
    if etype == 10:
        if len(raw) < 4:
            return None
        year, month, day = struct.unpack(">hBB", raw[:4])
        return f"{year:04d}-{month:02d}-{day:02d}"
    if etype == 11:
        if len(raw) < 4:
            return None
        hour, minute, second, _hundredths = struct.unpack(">BBBB", raw[:4])
        return f"{hour:02d}:{minute:02d}:{second:02d}"
    dtype = spec[1]
    assert dtype is not None
    array = np.frombuffer(raw, dtype=dtype).astype(dtype[1:])
    if array.shape[0] == 1 and entry.name != "DATA":
        return array[0].item()
    return array


def _read_directory(data: bytes, offset: int, count: int, path: str) -> list[AbifEntry]:
    n = len(data)
    if count < 0 or offset < 0 or offset + count * ENTRY_SIZE > n:
        raise _fail(path, f"the directory ({count} entries at offset {offset}) does not fit in "
                          f"the file ({n} bytes)")
    return [_entry_at(data, offset + i * ENTRY_SIZE) for i in range(count)]


def _plausible(entry: AbifEntry, n: int) -> bool:
    return (all(32 <= ord(c) < 127 for c in entry.name) and entry.element_size > 0
            and _entry_in_bounds(entry, n))


def _is_trace(entry: AbifEntry, n: int) -> bool:
    return (entry.name == "DATA" and entry.element_type == 4 and entry.element_size == 2
            and entry.count > 0 and entry.data_size == 2 * entry.count
            and _entry_in_bounds(entry, n))


def _is_dye_name(entry: AbifEntry, n: int) -> bool:
    return (entry.name == "DyeN" and entry.element_type in (2, 18, 19)
            and entry.element_size == 1 and entry.data_size == entry.count
            and _entry_in_bounds(entry, n))


def _find_embedded_directory(data: bytes) -> list[AbifEntry] | None:
    """The first run of consecutive plausible entries holding a valid DATA 1 and DyeN 1."""
    n = len(data)
    start = 0
    for _ in range(MAX_SCAN_CANDIDATES):
        hit = data.find(b"DATA\x00\x00\x00\x01", start)
        if hit < 0 or hit + ENTRY_SIZE > n:
            return None
        seed = _entry_at(data, hit)
        if not _is_trace(seed, n):
            start = hit + 1
            continue
        first = hit
        while first - ENTRY_SIZE >= 0 and _plausible(_entry_at(data, first - ENTRY_SIZE), n):
            first -= ENTRY_SIZE
        last = hit
        while last + 2 * ENTRY_SIZE <= n and _plausible(_entry_at(data, last + ENTRY_SIZE), n):
            last += ENTRY_SIZE
        block = [_entry_at(data, o) for o in range(first, last + ENTRY_SIZE, ENTRY_SIZE)]
        if any(e.number == 1 and _is_dye_name(e, n) for e in block):
            return block
        start = last + ENTRY_SIZE
    return None


def _needs_embedded(entries: Mapping[tuple[str, int], AbifEntry], n: int) -> bool:
    data1 = entries.get(("DATA", 1))
    dye1 = entries.get(("DyeN", 1))
    return (data1 is None or not _is_trace(data1, n)
            or (dye1 is not None and not _is_dye_name(dye1, n)))


def read_abif(source: str | os.PathLike[str] | bytes, *, name: str | None = None,
              max_bytes: int = MAX_BYTES) -> AbifRun:
    """Read an ABIF run (``.fsa`` or ``.hid``) from a path or from its bytes.

    ``name`` names the run in errors when ``source`` is bytes; ``max_bytes`` refuses larger
    files before reading them. Raises :class:`~locard.errors.CEFileError` for anything that is
    not a complete, self-consistent ABIF run with at least one trace channel.
    """
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
        path = name or "<bytes>"
    else:
        path = name or str(source)
        try:
            size = Path(source).stat().st_size
            if size > max_bytes:
                raise CEFileError(f"{size} bytes is larger than the {max_bytes} bytes an ABIF "
                                  "run may have", path=path,
                                  remedy="from Python, max_bytes= raises the limit")
            with open(source, "rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise CEFileError(f"cannot read the file: {exc.strerror or exc}", path=path) from exc
    if len(data) > max_bytes:
        raise CEFileError(f"{len(data)} bytes is larger than the {max_bytes} bytes an ABIF run "
                          "may have", path=path, remedy="from Python, max_bytes= raises the limit")
    n = len(data)
    if n < HEADER_SIZE or data[:4] != b"ABIF":
        raise CEFileError("not an ABIF file (it does not start with 'ABIF' and a directory "
                          "entry)", path=path,
                          remedy="give the .fsa or .hid file written by the genetic analyser")
    version = struct.unpack_from(">H", data, 4)[0]
    root = _entry_at(data, 6)
    if root.element_type != _DIRECTORY_TYPE or root.element_size != ENTRY_SIZE:
        raise _fail(path, f"the header's directory entry has element type {root.element_type} "
                          f"and size {root.element_size}, not {_DIRECTORY_TYPE} and {ENTRY_SIZE}")
    offset = struct.unpack_from(">i", data, 6 + 20)[0]
    entries = _read_directory(data, offset, root.count, path)
    by_key: dict[tuple[str, int], AbifEntry] = {}
    for entry in entries:
        by_key.setdefault((entry.name, entry.number), entry)
    embedded = False
    if _needs_embedded(by_key, n):
        block = _find_embedded_directory(data)
        if block is None:
            raise _fail(path, "no plain trace channel (DATA 1) and dye name (DyeN 1) found: "
                              "neither the root directory nor an embedded directory has them")
        embedded = True
        for entry in block:
            current = by_key.get((entry.name, entry.number))
            if current is None or current.element_type not in _TYPES:
                by_key[(entry.name, entry.number)] = entry
    values: dict[str, Any] = {}
    for (tag, number), entry in by_key.items():
        if entry.element_type not in _TYPES:
            continue  # user-defined or obfuscated: kept in the directory, not decoded
        _check_entry(entry, n, path)
        values[f"{tag}{number}"] = _decode(entry, data)
    n_dyes = _dye_count(values)
    if n_dyes == 0:
        raise _fail(path, "no trace channel: no DATA 1 entry of 16-bit samples")
    traces: list[npt.NDArray[np.int16]] = []
    for dye in range(1, n_dyes + 1):
        trace = values.get(f"DATA{TRACE_NUMBERS[dye - 1]}")
        if not isinstance(trace, np.ndarray) or trace.dtype != np.int16:
            raise _fail(path, f"dye {dye} has no trace (DATA {TRACE_NUMBERS[dye - 1]})")
        if traces and trace.shape != traces[0].shape:
            raise _fail(path, f"dye {dye} has {trace.shape[0]} scans, dye 1 has "
                              f"{traces[0].shape[0]}")
        traces.append(trace)
    dyes = tuple(str(values.get(f"DyeN{d}", f"dye {d}")).strip() for d in range(1, n_dyes + 1))
    metadata = {label: str(values[tag]).strip() for tag, label in METADATA_TAGS.items()
                if tag in values and not isinstance(values[tag], np.ndarray)}
    sample = metadata.get("sample_name") or str(values.get("SMPL1", "")).strip()
    return AbifRun(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        version=version,
        sample_name=sample,
        dyes=dyes,
        traces=tuple(traces),
        metadata=metadata,
        entries=tuple(sorted(by_key.values(), key=lambda e: (e.name, e.number))),
        values=values,
        embedded_directory=embedded,
    )


def _dye_count(values: Mapping[str, Any]) -> int:
    """Dyes: the ``Dye#`` entry where present and consistent, else the run of DATA channels."""
    declared = values.get("Dye#1")
    available = 0
    for number in TRACE_NUMBERS:
        if isinstance(values.get(f"DATA{number}"), np.ndarray):
            available += 1
        else:
            break
    if isinstance(declared, int) and 1 <= declared <= len(TRACE_NUMBERS):
        return declared
    return available
