"""What every profile reader returns: good records and bad ones, side by side.

A reader never stops at the first bad record. It returns a :class:`ReadResult`: the
:class:`ProfileRecord` values it could build and one :class:`RecordProblem` per record it could
not, each naming the file, the record (line or record number, specimen), the locus and the
value. The importer decides what to do with them: import nothing unless every record is good,
or import the good ones and report the rest. A file that cannot be read at all (not XML, the
wrong root element, no header row) raises :class:`~locard.errors.FileFormatError` instead.

Formats never read personal identifiers. :attr:`ProfileRecord.raw_case` holds a case reference
as the file gives it (the CMF ``CASEID`` attribute, a ``caseId`` column); it is never filled
from a name, birth date or other personal column, and those columns are not read at all.

:class:`ProfileAssembler` is the one place where raw strings from a file become a
:class:`~locard.genetics.profiles.Profile`: it resolves marker names through
:func:`~locard.genetics.loci.canonical_locus`, validates each locus call with
:meth:`Profile.from_mapping <locard.genetics.profiles.Profile.from_mapping>` (cached per distinct
locus and allele list, so a million-profile file validates each genotype once) and turns every
error into a problem message that names the locus and the value.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import NamedTuple

from locard.errors import InvalidAllele, InvalidProfile, UnknownLocus
from locard.genetics.loci import LOCI, LocusKind, canonical_locus
from locard.genetics.profiles import LocusCall, Profile

__all__ = [
    "INCONCLUSIVE_TOKENS",
    "MISSING_TOKENS",
    "ProfileAssembler",
    "ProfileRecord",
    "RawLocus",
    "ReadResult",
    "RecordProblem",
    "collect",
]

#: Cell values that mean "no allele here" in text formats (compared upper-cased, stripped).
MISSING_TOKENS = frozenset({"", "NULL", "NA", "N/A", "NAN", "NONE", "-"})
#: Cell values that mark a locus typed without a usable call.
INCONCLUSIVE_TOKENS = frozenset({"INC", "INCONCLUSIVE"})


@dataclass(frozen=True, slots=True)
class ProfileRecord:
    """One profile read from a file, with the metadata the file gives for it.

    ``specimen_id`` equals ``profile.specimen_id``. ``specimen_category`` is the file's own
    string (CMF ``SPECIMENCATEGORY``, e.g. ``'Forensic, Unknown'``); ``source_lab`` the lab ID
    (CMF ``SOURCELAB``, else ``DESTINATIONORI``); ``kit`` the kit name if the file gives one.
    ``line`` is the first line of the record in a text file; ``index`` its 1-based position
    among the file's records. ``raw_case`` is a case reference as written in the file, never a
    person's name. ``local_only`` marks, in an export, a profile its lab keeps local (never
    searched nationally); readers leave it None. ``consent`` is the reference of the consent
    record the file gives for this specimen (a CSV ``consent`` column), never the consent.
    """

    profile: Profile
    specimen_id: str | None = None
    specimen_category: str | None = None
    source_lab: str | None = None
    kit: str | None = None
    line: int | None = None
    index: int | None = None
    raw_case: str | None = None
    local_only: bool | None = None
    consent: str | None = None

    @classmethod
    def of(cls, profile: Profile, **metadata: str | None) -> ProfileRecord:
        """A record for ``profile`` (specimen ID and kit taken from it) with optional metadata."""
        return cls(profile, specimen_id=profile.specimen_id, kit=profile.kit,
                   specimen_category=metadata.get("specimen_category"),
                   source_lab=metadata.get("source_lab"), raw_case=metadata.get("raw_case"))


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """One record that could not be read, and why.

    ``message`` is the whole sentence, e.g. ``broken-allele.xml: record 1: specimen
    'ABCD1234NL#01': D21S11: ALLELE without ALLELEVALUE``; ``path`` is the file as given,
    ``record`` the specimen or sample ID (None where the file gives none), ``locus`` and ``value``
    the offending marker and value where there is one.
    """

    path: str
    message: str
    record: str | None = None
    locus: str | None = None
    value: str | None = None
    line: int | None = None
    index: int | None = None

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class ReadResult:
    """Everything one file gave: the records that were read and the problems with the rest.

    ``format`` names the layout that was read (``cmf``, ``genemapper-long``,
    ``genemapper-wide``, ``csv-wide``, ``csv-long``, ``json``, ``jsonl``); ``metadata`` holds
    file-level values (the CMF header: ``HEADERVERSION``, ``SOURCELAB``, ``KIT``, ...).
    """

    path: str
    format: str
    records: list[ProfileRecord]
    problems: list[RecordProblem]
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def profiles(self) -> list[Profile]:
        """The profiles of the records read, in file order."""
        return [r.profile for r in self.records]

    @property
    def ok(self) -> bool:
        """True when every record was read (no problems)."""
        return not self.problems

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[ProfileRecord]:
        return iter(self.records)

    def __repr__(self) -> str:
        return (f"ReadResult({self.path!r}, format={self.format!r}, "
                f"records={len(self.records)}, problems={len(self.problems)})")


def collect(path: str, fmt: str, items: Iterable[ProfileRecord | RecordProblem],
            metadata: Mapping[str, str] | None = None) -> ReadResult:
    """Gather a reader's stream of records and problems into a :class:`ReadResult`."""
    records: list[ProfileRecord] = []
    problems: list[RecordProblem] = []
    for item in items:
        if isinstance(item, ProfileRecord):
            records.append(item)
        else:
            problems.append(item)
    return ReadResult(path, fmt, records, problems, dict(metadata or {}))


class RawLocus(NamedTuple):
    """One locus as a file gives it: the marker name and its allele values (stripped, missing
    ones dropped). ``heights[i]`` (the peak height text, or None) belongs to ``values[i]``."""

    name: str
    values: Sequence[str]
    heights: Sequence[str | None] | None = None
    inconclusive: bool = False


class _Bad(Exception):
    """Internal: a record is bad; carries the locus, value and reason for the problem."""

    def __init__(self, reason: str, *, locus: str | None = None, value: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.locus = locus
        self.value = value


def _strip_prefix(message: str, prefix: str) -> str:
    return message[len(prefix):] if prefix and message.startswith(prefix) else message


class ProfileAssembler:
    """Builds profiles from raw file values, caching validated locus calls.

    One assembler serves one file. ``extra_aliases`` maps format-specific marker spellings that
    :func:`canonical_locus` does not know (CMF's ``THO1``) to canonical names.
    """

    _CACHE_LIMIT = 200_000

    def __init__(self, path: str, *, extra_aliases: Mapping[str, str] | None = None) -> None:
        self.path = path
        self.label = PurePath(path).name or path
        self._aliases = {k.upper(): v for k, v in (extra_aliases or {}).items()}
        self._names: dict[str, str | None] = {}
        self._calls: dict[tuple[str, tuple[str, ...]], LocusCall | _Bad] = {}

    # --- problems ------------------------------------------------------------------------

    def problem(self, reason: str, *, record: str | None = None, locus: str | None = None,
                value: str | None = None, line: int | None = None,
                index: int | None = None) -> RecordProblem:
        """A :class:`RecordProblem` whose message names file, line/record, specimen and locus."""
        parts = [self.label]
        if line is not None:
            parts.append(f"line {line}")
        elif index is not None:
            parts.append(f"record {index}")
        if record is not None:
            parts.append(f"specimen {record!r}")
        if locus is not None:
            parts.append(locus)
        parts.append(reason)
        return RecordProblem(self.path, ": ".join(parts), record=record, locus=locus,
                             value=value, line=line, index=index)

    # --- names ---------------------------------------------------------------------------

    def locus_name(self, name: str) -> str | None:
        """Canonical name for a marker spelling, or None when Locard does not know it."""
        try:
            return self._names[name]
        except KeyError:
            pass
        key = name.strip()
        target = self._aliases.get(key.upper(), key)
        try:
            found: str | None = canonical_locus(target)
        except UnknownLocus:
            found = None
        if len(self._names) < self._CACHE_LIMIT:
            self._names[name] = found
        return found

    # --- calls and profiles ------------------------------------------------------------

    def _call(self, locus: str, raw: RawLocus) -> LocusCall:
        values = tuple(raw.values)
        plain = not raw.inconclusive and (raw.heights is None
                                          or all(h is None for h in raw.heights))
        key = (locus, values)
        if plain:
            hit = self._calls.get(key)
            if hit is not None:
                if isinstance(hit, _Bad):
                    raise _Bad(hit.reason, locus=raw.name.strip(), value=hit.value)
                return hit
        try:
            loci = {locus: values} if values else {}
            heights = None if plain or not values else {locus: list(raw.heights or ())}
            inconclusive = (locus,) if raw.inconclusive else ()
            call = Profile.from_mapping(loci, heights=heights,
                                        inconclusive=inconclusive).loci[locus]
        except InvalidAllele as exc:
            if LOCI[locus].kind is LocusKind.QUALITY:
                # a quality sensor's Q and S peaks are not allele designations: the sensor was
                # read, so the locus is kept, marked inconclusive
                return Profile.from_mapping({}, inconclusive=(locus,)).loci[locus]
            text = _strip_prefix(exc.message, f"{exc.locus}: " if exc.locus else "")
            bad = _Bad(f"allele {text}", locus=raw.name.strip(), value=exc.value)
        except InvalidProfile as exc:
            text = _strip_prefix(exc.message, f"{locus}: ")
            bad = _Bad(text, locus=raw.name.strip(), value=",".join(values))
        else:
            if plain and len(self._calls) < self._CACHE_LIMIT:
                self._calls[key] = call
            return call
        if plain and len(self._calls) < self._CACHE_LIMIT:
            self._calls[key] = bad
        raise bad

    def locus_call(self, name: str, values: tuple[str, ...]) -> tuple[str, LocusCall]:
        """Canonical locus and validated call for plain values (cached); raises ValueError
        when the marker is unknown or a value is bad (build the record to get the problem)."""
        locus = self._names.get(name) or self.locus_name(name)
        if locus is None:
            raise ValueError(name)
        try:
            return locus, self._call(locus, RawLocus(name, values))
        except _Bad as bad:
            raise ValueError(bad.reason) from None

    def build(self, loci: Iterable[RawLocus], *, specimen_id: str | None,
              kit: str | None = None) -> Profile:
        """Profile from raw loci; raises ``_Bad`` (use :meth:`record_or_problem`)."""
        calls: dict[str, LocusCall] = {}
        given_as: dict[str, str] = {}
        names = self._names
        cache = self._calls
        for raw in loci:
            name, values, heights, inconclusive = raw
            locus = names.get(name) or self.locus_name(name)
            if locus is None:
                raise _Bad(f"unknown locus {name.strip()!r}", locus=name.strip(),
                           value=name.strip())
            if locus in calls:
                raise _Bad(f"locus given twice (as {given_as[locus]!r} and {name!r})",
                           locus=locus, value=name)
            given_as[locus] = name
            if heights is None and not inconclusive:
                if not values:
                    continue
                hit = cache.get((locus, values if type(values) is tuple else tuple(values)))
                if hit is not None and not isinstance(hit, _Bad):
                    calls[locus] = hit
                    continue
            elif not values and not inconclusive:
                continue
            calls[locus] = self._call(locus, raw)
        if not calls:
            raise _Bad("no typed loci (empty record)")
        return Profile.from_calls(calls, specimen_id=specimen_id, kit=kit)

    def record_or_problem(self, loci: Iterable[RawLocus], *, specimen_id: str | None,
                          kit: str | None = None, specimen_category: str | None = None,
                          source_lab: str | None = None, raw_case: str | None = None,
                          line: int | None = None, index: int | None = None,
                          consent: str | None = None) -> ProfileRecord | RecordProblem:
        """A :class:`ProfileRecord`, or the :class:`RecordProblem` saying why there is none."""
        try:
            profile = self.build(loci, specimen_id=specimen_id, kit=kit)
        except _Bad as bad:
            return self.problem(bad.reason, record=specimen_id, locus=bad.locus,
                                value=bad.value, line=line, index=index)
        return ProfileRecord(profile, specimen_id=specimen_id, specimen_category=specimen_category,
                             source_lab=source_lab, kit=kit, line=line, index=index,
                             raw_case=raw_case, consent=consent)
