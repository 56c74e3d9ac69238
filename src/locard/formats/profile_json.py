"""Profiles as JSON: one profile object, a list of them, or JSON Lines (one object a line).

Each object is :meth:`Profile.to_dict <locard.genetics.profiles.Profile.to_dict>`'s shape,
``{"specimen_id": ..., "kit": ..., "loci": {"D8S1179": {"alleles": ["13", "14"],
"heights": [...], "inconclusive": true}}}`` (a locus may also be a list ``["13", "14"]`` or a
string ``"13/14"``), plus the record's metadata where it has any: ``specimen_category``,
``source_lab``, ``raw_case``. Other members are not read.

A document that is not JSON raises :class:`~locard.errors.FileFormatError` naming the path and
line; a bad object (or, in JSON Lines, a bad line) is a
:class:`~locard.formats.records.RecordProblem` and the rest are still read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from locard.errors import FileFormatError, UnsafeInput
from locard.formats._io import DEFAULT_LIMITS, Limits, Source, open_text, source_label
from locard.formats.records import (
    ProfileAssembler,
    ProfileRecord,
    RawLocus,
    ReadResult,
    RecordProblem,
    collect,
)
from locard.genetics.profiles import Profile

__all__ = ["JSON_DOCUMENT_MAX_BYTES", "iter_json", "read_json", "record_to_dict", "write_json"]

#: A JSON document (not JSON Lines) is parsed whole, so it has its own, smaller limit.
JSON_DOCUMENT_MAX_BYTES = 512 * 1024 * 1024

_META = ("specimen_category", "source_lab", "raw_case")


def record_to_dict(record: ProfileRecord | Profile) -> dict[str, Any]:
    """The JSON object for a record: ``Profile.to_dict()`` plus its metadata members."""
    rec = record if isinstance(record, ProfileRecord) else ProfileRecord.of(record)
    out = rec.profile.to_dict()
    if rec.specimen_id is not None and rec.profile.specimen_id is None:
        out["specimen_id"] = rec.specimen_id
    for field in _META:
        value = getattr(rec, field)
        if value is not None:
            out[field] = value
    if rec.local_only:
        out["local_only"] = True  # a marker for people; readers ignore it
    return out


def _text_or_none(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _values(raw: object) -> list[str] | None:
    if isinstance(raw, str):
        return [v for v in raw.replace("/", ",").split(",") if v.strip()]
    if isinstance(raw, (list, tuple)):
        return [v if isinstance(v, str) else json.dumps(v) for v in raw]
    return None


def _record(obj: object, asm: ProfileAssembler, *, line: int | None,
            index: int) -> ProfileRecord | RecordProblem:
    if not isinstance(obj, Mapping):
        return asm.problem(f"expected a profile object, found {type(obj).__name__}",
                           value=json.dumps(obj)[:60], line=line, index=index)
    spec = _text_or_none(obj.get("specimen_id"))
    loci_obj = obj.get("loci")
    if not isinstance(loci_obj, Mapping):
        return asm.problem("a profile object needs a 'loci' object of locus -> alleles",
                           record=spec, line=line, index=index)
    loci: list[RawLocus] = []
    for name, entry in loci_obj.items():
        heights: list[str | None] | None = None
        inconclusive = False
        raw_values: object = entry
        if isinstance(entry, Mapping):
            raw_values = entry.get("alleles", [])
            inconclusive = bool(entry.get("inconclusive", False))
            hs = entry.get("heights")
            if isinstance(hs, list):
                heights = [None if h is None else str(h) for h in hs]
        values = _values(raw_values)
        if values is None:
            return asm.problem(f"cannot read alleles from {json.dumps(raw_values)[:60]}",
                               record=spec, locus=str(name), value=json.dumps(raw_values)[:60],
                               line=line, index=index)
        if heights is not None and len(heights) != len(values):
            return asm.problem(f"{len(values)} allele(s) but {len(heights)} peak height(s)",
                               record=spec, locus=str(name), value=json.dumps(entry)[:60],
                               line=line, index=index)
        loci.append(RawLocus(str(name), [v.strip() for v in values], heights, inconclusive))
    return asm.record_or_problem(
        loci, specimen_id=spec, kit=_text_or_none(obj.get("kit")),
        specimen_category=_text_or_none(obj.get("specimen_category")),
        source_lab=_text_or_none(obj.get("source_lab")),
        raw_case=_text_or_none(obj.get("raw_case")), line=line, index=index)


def _iterate(stream: IO[str], label: str, lines: bool | None
             ) -> tuple[str, Iterator[ProfileRecord | RecordProblem]]:
    asm = ProfileAssembler(label)
    first = stream.readline()
    offset = 1
    while first and not first.strip():
        first = stream.readline()
        offset += 1
    if not first:
        raise FileFormatError("empty file: no JSON", path=label)
    if lines is None:
        try:
            lines = isinstance(json.loads(first), dict)
        except json.JSONDecodeError:
            lines = False
    if lines:
        return "jsonl", _iter_lines(first, offset, stream, asm, label)
    return "json", _iter_document(first, offset, stream, asm, label)


def _iter_lines(first: str, offset: int, stream: IO[str], asm: ProfileAssembler,
                label: str) -> Iterator[ProfileRecord | RecordProblem]:
    index = 0
    for number, text in enumerate([first], start=offset):
        index += 1
        yield _line_record(text, number, index, asm)
    for number, text in enumerate(stream, start=offset + 1):
        if not text.strip():
            continue
        index += 1
        yield _line_record(text, number, index, asm)


def _line_record(text: str, number: int, index: int,
                 asm: ProfileAssembler) -> ProfileRecord | RecordProblem:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return asm.problem(f"not JSON ({exc.msg} at column {exc.colno})",
                           value=text.strip()[:60], line=number, index=index)
    return _record(obj, asm, line=number, index=index)


def _iter_document(first: str, offset: int, stream: IO[str], asm: ProfileAssembler,
                   label: str) -> Iterator[ProfileRecord | RecordProblem]:
    size = len(first)
    parts = [first]
    for chunk in iter(lambda: stream.read(1 << 20), ""):
        size += len(chunk)
        if size > JSON_DOCUMENT_MAX_BYTES:
            raise UnsafeInput(f"a JSON document larger than {JSON_DOCUMENT_MAX_BYTES >> 20} MiB "
                              "(write large sets as JSON Lines)", path=label)
        parts.append(chunk)
    try:
        data = json.loads("".join(parts))
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"not JSON: {exc.msg} (column {exc.colno})", path=label,
                              line=exc.lineno + offset - 1) from None
    items = data if isinstance(data, list) else [data]
    for index, obj in enumerate(items, start=1):
        yield _record(obj, asm, line=None, index=index)
    if not items:
        yield asm.problem("the file holds no profiles (an empty list)")


def iter_json(source: Source, *, lines: bool | None = None,
              limits: Limits = DEFAULT_LIMITS) -> Iterator[ProfileRecord | RecordProblem]:
    """Stream the records (and problems) of a JSON or JSON Lines file (``lines=None``: told
    from the content)."""
    with open_text(source, limits) as stream:
        _, items = _iterate(stream, source_label(source), lines)
        yield from items


def read_json(source: Source, *, lines: bool | None = None,
              limits: Limits = DEFAULT_LIMITS) -> ReadResult:
    """Read profiles from JSON (one object or a list) or JSON Lines; ``format`` of the result
    is ``json`` or ``jsonl``."""
    label = source_label(source)
    with open_text(source, limits) as stream:
        fmt, items = _iterate(stream, label, lines)
        return collect(label, fmt, items)


def write_json(records: Iterable[ProfileRecord | Profile],
               destination: str | os.PathLike[str] | IO[str], *, lines: bool = False) -> int:
    """Write profiles as a JSON list (indented, sorted keys) or as JSON Lines (one compact
    object a line, sorted keys); returns the number written."""
    objects = (record_to_dict(r) for r in records)
    count = 0

    def emit(out: IO[str]) -> None:
        nonlocal count
        if lines:
            for obj in objects:
                out.write(json.dumps(obj, sort_keys=True, separators=(",", ":")) + "\n")
                count += 1
            return
        out.write("[")
        for obj in objects:
            out.write(("\n  " if count == 0 else ",\n  ") + json.dumps(obj, sort_keys=True))
            count += 1
        out.write("\n]\n" if count else "]\n")

    if isinstance(destination, (str, os.PathLike)):
        with open(destination, "w", encoding="utf-8", newline="\n") as out:
            emit(out)
    else:
        emit(destination)
    return count
