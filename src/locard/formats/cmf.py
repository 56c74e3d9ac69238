"""CODIS CMF 3.2 (Common Message Format) import and export.

A CMF file is an XML ``CODISImportFile`` (namespace ``urn:CODISImportFile-schema``): a header
(``HEADERVERSION``, ``MESSAGETYPE``, ``DESTINATIONORI``, ``SOURCELAB``, ``SUBMITBYUSERID``,
``SUBMITDATETIME``, optional ``BATCHID`` and ``KIT``), then one ``SPECIMEN`` per profile:
``SPECIMENID``, ``SPECIMENCATEGORY``, an optional comment, and up to 64 ``LOCUS`` elements, each
with ``LOCUSNAME``, ``READINGBY``, ``READINGDATETIME`` and one to eight ``ALLELE/ALLELEVALUE``.
Source: FBI, *CODIS CMF 3.2 Interface Specification*, Appendix A (example) and Appendix B
(schema); the extended lists of loci, kits and specimen categories are those of the 2017 schema
distributed with NCBI OSIRIS (``CmfList.xml``, ``CMF-2017.xsd``).

Reading is safe and fast. Every byte first goes through expat configured as defusedxml
configures it (a DOCTYPE, an entity declaration or an external reference is refused with
:class:`~locard.errors.UnsafeInput` before anything is expanded), under the size and line
limits of :class:`~locard.formats._io.Limits`; a file that is not well-formed XML raises
:class:`~locard.errors.FileFormatError` with its line. The profiles are then taken from the
validated bytes one ``SPECIMEN`` at a time, without building an element tree: a specimen in the
plain shape that CMF writers produce is cut up with string operations and each distinct locus
is validated once, and any other specimen (comments, CDATA, namespace prefixes, attributes,
missing or misplaced elements) is read tag by tag. A document not in UTF-8 is read with
``defusedxml.ElementTree.iterparse`` (``engine="etree"`` forces that for any file; the tests
check that the engines agree, on the sample files and on generated odd documents).

Not read, on purpose: ``SUBMITBYUSERID`` and ``READINGBY`` (analysts' user IDs) and
``SPECIMENCOMMENT`` (free text). ``CASEID`` is kept as :attr:`ProfileRecord.raw_case`.

Writing produces a document that validates against the Appendix B schema when the profiles use
only its loci, kits and categories, and against the 2017 schema otherwise. CMF carries no peak
heights and no inconclusive loci: both are left out of the export.
"""

from __future__ import annotations

import html
import io
import os
import pyexpat
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Literal
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape, quoteattr

import defusedxml
import defusedxml.ElementTree as DefusedET

from locard.errors import FileFormatError, UnknownLocus, UnsafeInput
from locard.formats._io import (
    DEFAULT_LIMITS,
    GuardedReader,
    Limits,
    Source,
    open_binary,
    source_label,
)
from locard.formats.records import (
    ProfileAssembler,
    ProfileRecord,
    RawLocus,
    ReadResult,
    RecordProblem,
    collect,
)
from locard.genetics.loci import canonical_locus, is_known_locus
from locard.genetics.profiles import LocusCall, Profile

__all__ = [
    "CMF_KITS",
    "CMF_LOCUS_NAMES",
    "CMF_NAMESPACE",
    "CMF_SPECIMEN_CATEGORIES",
    "CMF_SPECIMEN_ID_MAX",
    "CmfLimit",
    "cmf_limits",
    "cmf_locus_name",
    "iter_cmf",
    "read_cmf",
    "write_cmf",
]

CMF_NAMESPACE = "urn:CODISImportFile-schema"

#: CODIS locus names (CmfList.xml ``LocusNameType``, 2017), including CODIS's own alternative
#: spellings ``THO1`` and ``TP0X``.
CMF_LOCUS_NAMES: tuple[str, ...] = (
    "AMEL", "Amelogenin", "CSF1PO", "D10S1248", "D12S391", "D13S317", "D16S539", "D18S51",
    "D19S433", "D1S1656", "D21S11", "D22S1045", "D2S1338", "D2S441", "D3S1358", "D5S818",
    "D7S820", "D8S1179", "FGA", "Penta D", "Penta E", "SE33", "TH01", "THO1", "TP0X", "TPOX",
    "vWA", "DYF387S1", "DYS19", "DYS385", "DYS389 I", "DYS389 II", "DYS390", "DYS391", "DYS392",
    "DYS393", "DYS437", "DYS438", "DYS439", "DYS448", "DYS449", "DYS456", "DYS458", "DYS460",
    "DYS481", "DYS518", "DYS533", "DYS549", "DYS570", "DYS576", "DYS627", "DYS635", "DYS643",
    "YGATAH4", "Yindel",
)

#: CODIS kit names (CmfList.xml ``KitType``, 2017).
CMF_KITS: tuple[str, ...] = (
    "AmpFLSTR NGM", "AmpFLSTR NGM SElect", "AmpFlSTR Yfiler Plus", "COfiler", "GlobalFiler",
    "GlobalFiler Express", "Identifiler", "Identifiler Direct", "Identifiler Plus",
    "Investigator 24plex GO! Kit", "Investigator 24plex QS Kit", "MiniFiler", "Monoplex CSF1PO",
    "Monoplex D13S317", "Monoplex D16S539", "Monoplex D5S818", "Monoplex D7S820",
    "Monoplex TH01", "Monoplex TPOX", "Monoplex vWA", "PowerPlex 1.1", "PowerPlex 1.2",
    "PowerPlex 16", "PowerPlex 16 HS", "PowerPlex 2.1", "PowerPlex ESI 16",
    "PowerPlex ESI 17 Pro", "PowerPlex ESX 16", "PowerPlex ESX 17", "PowerPlex Fusion",
    "PowerPlex Fusion 6C", "Powerplex Y", "Powerplex Y23", "Profiler Plus", "SGM Plus",
    "Y-PLEX 5", "Y-PLEX 6", "Yfiler",
)

#: CODIS specimen categories (CmfList.xml ``SpecimenCategoryType``, 2017).
CMF_SPECIMEN_CATEGORIES: tuple[str, ...] = (
    "Alleged Father", "Alleged Mother", "Arrestee", "Biological Child", "Biological Father",
    "Biological Mother", "Biological Sibling", "CO Duplicate", "Convicted Offender", "Deceased",
    "Deduced Missing Person", "Deduced Suspect", "Detainee", "Elimination, Known",
    "Forensic Mixture", "Forensic Partial", "Forensic Targeted", "Forensic, Unknown", "Juvenile",
    "Legal", "Maternal Relative", "Missing Person", "Multi-allelic Offender", "Other",
    "Paternal Relative", "Population", "Proficiency", "Spouse", "Staff", "Suspect, Known",
    "Unidentified Person", "Unreviewed Offender", "Victim, Known", "Volunteer",
)

# CODIS spellings that canonical_locus does not know (a letter O for a zero, and back).
_CMF_SPELLINGS = {"THO1": "TH01", "TP0X": "TPOX", "DYS385 a/b": "DYS385"}


def _export_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for name in CMF_LOCUS_NAMES:
        if name in _CMF_SPELLINGS or not is_known_locus(name):
            continue
        names.setdefault(canonical_locus(name), name)
    names["AMEL"] = "Amelogenin"
    return names


_EXPORT_NAMES = _export_names()


def cmf_locus_name(locus: str) -> str | None:
    """The CODIS name written for a locus (``AMEL`` -> ``Amelogenin``), None if CMF has none."""
    try:
        return _EXPORT_NAMES.get(canonical_locus(locus))
    except UnknownLocus:
        return None


# --- reading: shared -------------------------------------------------------------------------

_HEADER_FIELDS = ("HEADERVERSION", "MESSAGETYPE", "DESTINATIONORI", "SOURCELAB",
                  "SUBMITDATETIME", "BATCHID", "KIT")


class _RawLocus:
    __slots__ = ("allele_elements", "kit", "names", "values")

    def __init__(self, kit: str | None = None) -> None:
        self.kit = kit
        self.names: list[str] = []
        self.values: list[str] = []
        self.allele_elements = 0


@dataclass(slots=True)
class _RawSpecimen:
    attrs: dict[str, str]
    ids: list[str] = field(default_factory=list)
    category: str | None = None  # the first SPECIMENCATEGORY's
    category_seen: bool = False
    loci: list[_RawLocus] = field(default_factory=list)


_Segment = tuple[str, LocusCall, int] | Literal[False]


class _Reader:
    """State shared by both engines: header, assembler, duplicate IDs, record numbers."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.asm = ProfileAssembler(label, extra_aliases=_CMF_SPELLINGS)
        self.header: dict[str, str] = {}
        self.count = 0
        self.seen: dict[str, int] = {}
        self._segments: dict[tuple[str, str], _Segment] = {}
        self._by_text: dict[str, _Segment] = {}

    def set_header(self, header: Mapping[str, str]) -> None:
        if "HEADERVERSION" not in header:
            raise FileFormatError(
                "not a CODIS CMF file: no header (HEADERVERSION) before the first SPECIMEN",
                path=self.label)
        self.header = {k: v for k, v in header.items() if v}

    def convert(self, raw: _RawSpecimen) -> ProfileRecord | RecordProblem:
        self.count += 1
        index = self.count
        asm = self.asm
        ids = [i for i in raw.ids if i]
        if len(ids) != 1:
            why = "SPECIMEN without SPECIMENID" if not ids else \
                f"SPECIMEN with {len(ids)} SPECIMENIDs ({', '.join(map(repr, ids))})"
            return asm.problem(why, record=ids[0] if ids else None, index=index)
        spec = ids[0]
        first = self.seen.get(spec)
        if first is not None:
            return asm.problem(f"specimen ID given twice in the file (first as record {first})",
                               record=spec, value=spec, index=index)
        self.seen[spec] = index
        loci: list[RawLocus] = []
        kits: set[str | None] = set()
        for locus in raw.loci:
            names = [n for n in locus.names if n]
            alleles = ", ".join(locus.values)
            if len(names) != 1:
                why = ("LOCUS without LOCUSNAME" if not names
                       else f"LOCUS with {len(names)} LOCUSNAMEs")
                return asm.problem(f"{why} (alleles {alleles or 'none'})", record=spec,
                                   value=alleles, index=index)
            name = names[0]
            if locus.allele_elements > len(locus.values):
                return asm.problem("ALLELE without ALLELEVALUE", record=spec, locus=name,
                                   value=alleles, index=index)
            if any(not v for v in locus.values):
                return asm.problem("empty ALLELEVALUE", record=spec, locus=name, value="",
                                   index=index)
            if not locus.values:
                return asm.problem("LOCUS without ALLELE", record=spec, locus=name, value="",
                                   index=index)
            kits.add(locus.kit)
            loci.append(RawLocus(name, locus.values))
        header = self.header
        kit = header.get("KIT")
        if len(kits) == 1:
            kit = next(iter(kits)) or kit
        return asm.record_or_problem(
            loci, specimen_id=spec, kit=kit, specimen_category=raw.category,
            source_lab=header.get("SOURCELAB") or header.get("DESTINATIONORI"),
            raw_case=raw.attrs.get("CASEID") or None, index=index)

    def plain(self, attrs: str, body: str) -> ProfileRecord | RecordProblem | None:
        """The record of a specimen in the plain shape, or None when it is not in that shape.

        The plain shape (what CMF writers produce): no namespace prefix; one ``<SPECIMENID>``
        and at most one ``<SPECIMENCATEGORY>`` before the loci; attribute-free ``<LOCUS>`` and
        ``<LOCUSNAME>`` tags, each locus naming itself first and holding only
        ``<ALLELE><ALLELEVALUE>`` pairs after its reading fields. Every tag is counted first,
        so any other document (a missing name or value, a value outside its locus, a LOCUS with
        a KIT attribute, a bad allele) returns None and is read by the exact tokenizer, which
        reports its problems. Each distinct locus text is validated once and cached.
        """
        count = body.count
        n = count("<LOCUSNAME>")
        # n plain LOCUS and n plain LOCUSNAME tags, and no other tag starting '<LOCUS'
        if (not n or count("<LOCUS>") != n or count("<LOCUS") != 2 * n
                or count("<SPECIMENID") != 1):
            return None
        find = body.find
        first = find("<LOCUSNAME>")
        i = body.find("<SPECIMENID>", 0, first)
        if i < 0:
            return None
        spec = _text(body[i + 12:find("<", i + 12)])
        category: str | None = None
        c = body.find("<SPECIMENCATEGORY", 0, first)
        if c >= 0:
            if body.startswith("<SPECIMENCATEGORY>", c):
                category = _text(body[c + 18:find("<", c + 18)]) or None
            elif not body.startswith("<SPECIMENCATEGORY/>", c):
                return None
        elif find("<SPECIMENCATEGORY", first) >= 0:
            return None
        if not spec:
            return None
        by_text = self._by_text
        calls: dict[str, LocusCall] = {}
        total = 0
        pos = first
        for _ in range(n):
            i = find("<LOCUSNAME>", pos)
            e = find("</LOCUS>", i)
            if e < 0:
                return None
            seg = body[i + 11:e]
            hit = by_text.get(seg)
            if hit is None:
                hit = self._segment(seg)
            if hit is False or hit[0] in calls:
                return None
            calls[hit[0]] = hit[1]
            total += hit[2]
            pos = e + 8
        if total != count("<ALLELEVALUE"):
            return None
        self.count += 1
        index = self.count
        first_index = self.seen.get(spec)
        if first_index is not None:
            return self.asm.problem(
                f"specimen ID given twice in the file (first as record {first_index})",
                record=spec, value=spec, index=index)
        self.seen[spec] = index
        header = self.header
        kit = header.get("KIT")
        profile = Profile.from_calls(calls, specimen_id=spec, kit=kit)
        case = _attrs(attrs).get("CASEID") if attrs else None
        return ProfileRecord(profile, specimen_id=spec, specimen_category=category,
                             source_lab=header.get("SOURCELAB") or header.get("DESTINATIONORI"),
                             kit=kit, index=index, raw_case=case or None)

    def _segment(self, seg: str) -> _Segment:
        """Validate one locus text (from its name to its end tag) once: (canonical locus, call,
        number of values), or False when it is not plain. Cached by the whole text and, for
        files whose reading dates vary, by the name and allele part alone."""
        first_allele = seg.find("<ALLELE")
        key = (seg[:seg.find("<")], seg[first_allele:])
        result = self._segments.get(key)
        if result is None:
            result = False
            name_raw, alleles_raw = key
            name = _text(name_raw)
            if (name and first_allele > 0 and "<LOCUS" not in seg[:first_allele]
                    and _PLAIN_ALLELES.fullmatch(alleles_raw)):
                values = tuple(_text(v) for v in _PLAIN_VALUE.findall(alleles_raw))
                if values and "" not in values:
                    try:
                        locus, call = self.asm.locus_call(name, values)
                    except ValueError:
                        pass
                    else:
                        result = (locus, call, len(values))
            if len(self._segments) < 100_000:
                self._segments[key] = result
        if len(self._by_text) < 100_000:
            self._by_text[seg] = result
        return result

    def finish(self) -> Iterator[RecordProblem]:
        if self.count == 0:
            yield self.asm.problem("the file holds no profiles (no SPECIMEN element)")


def _local(name: str) -> str:
    return name.rpartition("}")[2].rpartition(":")[2]


def _unsafe(label: str, exc: Exception) -> UnsafeInput:
    return UnsafeInput(f"refused: {exc} (DTDs, entity declarations and external references "
                       "are not accepted in CMF files)", path=label)


def _expat_error(label: str, exc: pyexpat.ExpatError) -> FileFormatError:
    what = pyexpat.errors.messages[exc.code] if exc.code is not None else str(exc)
    return FileFormatError(f"not well-formed XML: {what} (column {exc.offset})",
                           path=label, line=exc.lineno)


def _check_root(label: str, name: str) -> None:
    local = _local(name)
    if local != "CODISImportFile":
        raise FileFormatError(
            f"not a CODIS CMF file: the root element is <{local}>, expected <CODISImportFile>",
            path=label)


# --- reading: fast engine --------------------------------------------------------------------

_ATTRS = r"((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*"
_ANY_PREFIX = r"(?:[A-Za-z_][\w.\-]*:)?"
_HEADER_NAMES = "|".join(_HEADER_FIELDS)
_ATTR_PAIR = re.compile(r"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_SPECIAL = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!--|<!\[CDATA\[|<\?", re.S)
_ENCODING_DECL = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']")
_UTF8_NAMES = {"utf-8", "utf8", "us-ascii", "ascii"}
_CHUNK = 1 << 20
_PLAIN_ALLELES = re.compile(
    r"(?:\s*<ALLELE" + _ATTRS + r">\s*<ALLELEVALUE>[^<]*</ALLELEVALUE>\s*</ALLELE>)+\s*")
_PLAIN_VALUE = re.compile(r"<ALLELEVALUE>([^<]*)<")
_MAX_SPECIMEN_BYTES = 4 << 20


class _Patterns:
    """Compiled patterns for one document: literal element names when it uses no namespace
    prefix (the common case, and the fast one), any prefix otherwise."""

    def __init__(self, prefixed: bool) -> None:
        p = _ANY_PREFIX if prefixed else ""
        self.prefixed = prefixed
        self.specimen = re.compile(
            ("<(" + p + "SPECIMEN)(?=[\\s/>])" + _ATTRS + "(/?)>").encode())
        self.header = re.compile(
            "<" + p + "(" + _HEADER_NAMES + ")(?=[\\s/>])" + _ATTRS + "(?:/>|>([^<]*)<)")
        names = "LOCUSNAME|LOCUS|ALLELEVALUE|ALLELE|SPECIMENCATEGORY|SPECIMENID"
        self.token = re.compile(
            "<(?:" + p + "(" + names + ")(?=[\\s/>])" + _ATTRS + "(/?)>([^<]*)|/" + p
            + "(LOCUS|ALLELE)\\s*>)")


def _text(raw: str) -> str:
    """Element text as XML gives it: line ends normalised, references resolved, stripped."""
    value = raw.strip()
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return html.unescape(value) if "&" in value else value


def _attrs(raw: str) -> dict[str, str]:
    """Attribute values as XML gives them (blanks normalised, then references resolved)."""
    out: dict[str, str] = {}
    for name, dq, sq in _ATTR_PAIR.findall(raw):
        value = (dq or sq).replace("\r\n", " ").translate(_ATTR_BLANKS)
        out[_local(name)] = (html.unescape(value) if "&" in value else value).strip()
    return out


_ATTR_BLANKS = str.maketrans("\t\n\r", "   ")


def _clean(buf: bytes) -> tuple[bytes, int]:
    """Drop comments and processing instructions, turn CDATA into escaped text.

    Returns the cleaned bytes of ``buf[:cut]`` and ``cut``: an unterminated comment, CDATA
    section or processing instruction at the end stays behind for the next chunk.
    """
    out: list[bytes] = []
    pos = 0
    for m in _SPECIAL.finditer(buf):
        token = m.group()
        if token in (b"<!--", b"<![CDATA[", b"<?"):
            out.append(buf[pos:m.start()])
            return b"".join(out), m.start()
        out.append(buf[pos:m.start()])
        if token.startswith(b"<![CDATA["):
            out.append(escape(token[9:-3].decode("utf-8")).encode("utf-8"))
        pos = m.end()
    out.append(buf[pos:])
    return b"".join(out), len(buf)


def _token_specimen(pat: _Patterns, attrs: str, body: str) -> _RawSpecimen:
    """A specimen read tag by tag (any prefix, attributes, blanks): the reader for specimens
    that are not in the plain shape. Follows the schema's nesting as the element-tree reader
    does: names and values count only inside their LOCUS and ALLELE."""
    spec = _RawSpecimen(_attrs(attrs) if attrs else {})
    locus: _RawLocus | None = None
    in_allele = False
    for name, tag_attrs, empty, text, close in pat.token.findall(body):
        if close:
            if close == "LOCUS":
                locus, in_allele = None, False
            else:
                in_allele = False
        elif name == "ALLELEVALUE":
            if locus is not None and in_allele:
                locus.values.append("" if empty else _text(text))
        elif name == "ALLELE":
            if locus is not None:
                locus.allele_elements += 1
                in_allele = not empty
        elif name == "LOCUS":
            kit = _attrs(tag_attrs).get("KIT") if tag_attrs else None
            new = _RawLocus(kit or None)
            spec.loci.append(new)
            locus, in_allele = (None if empty else new), False
        elif name == "LOCUSNAME":
            if locus is not None and not in_allele:
                locus.names.append("" if empty else _text(text))
        elif locus is not None:
            continue
        elif name == "SPECIMENID":
            spec.ids.append("" if empty else _text(text))
        elif name == "SPECIMENCATEGORY" and not spec.category_seen:
            spec.category_seen = True
            spec.category = None if empty else (_text(text) or None)
    return spec


def _defused_expat() -> pyexpat.XMLParserType:
    """An expat parser with exactly defusedxml's refusals and no per-element callbacks."""
    parser = pyexpat.ParserCreate()
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)

    def doctype(name: str, sysid: str | None, pubid: str | None, internal: bool) -> None:
        raise defusedxml.DTDForbidden(name, sysid, pubid)

    def entity(name: str, is_param: bool, value: str | None, base: str | None,
               sysid: str | None, pubid: str | None, notation: str | None) -> None:
        raise defusedxml.EntitiesForbidden(name, value, base, sysid, pubid, notation)

    def unparsed(name: str, base: str | None, sysid: str | None, pubid: str | None,
                 notation: str | None) -> None:
        raise defusedxml.EntitiesForbidden(name, None, base, sysid, pubid, notation)

    def external(context: str, base: str | None, sysid: str | None,
                 pubid: str | None) -> int:
        raise defusedxml.ExternalReferenceForbidden(context, base, sysid, pubid)

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = unparsed
    parser.ExternalEntityRefHandler = external
    return parser


def _needs_etree(head: bytes) -> bool:
    """True for a document that is not UTF-8 (a UTF-16 BOM or another declared encoding)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:4] in (b"\x00<\x00?", b"<\x00?\x00"):
        return True
    m = _ENCODING_DECL.match(head.removeprefix(b"\xef\xbb\xbf"))
    return bool(m and m.group(1).decode("ascii").lower() not in _UTF8_NAMES)


def _specimen_end(buf: bytes, qname: bytes, start: int) -> tuple[int, int]:
    """Start and end of the end tag ``</qname>`` at or after ``start``; (-1, -1) if absent."""
    marker = b"</" + qname
    at = buf.find(marker, start)
    while at >= 0:
        after = at + len(marker)
        close = buf.find(b">", after)
        if close < 0:
            return -1, -1
        if not buf[after:close].strip():
            return at, close + 1
        at = buf.find(marker, after)
    return -1, -1


def _iter_fast(guard: GuardedReader, reader: _Reader,
               first: bytes) -> Iterator[ProfileRecord | RecordProblem]:
    label = reader.label
    parser = _defused_expat()
    roots: list[tuple[str, dict[str, str]]] = []

    def on_root(name: str, attrs: dict[str, str]) -> None:
        roots.append((name, attrs))
        parser.StartElementHandler = None

    parser.StartElementHandler = on_root
    pat: _Patterns | None = None
    header_done = False
    pending = b""
    chunk = first
    while True:
        final = not chunk
        try:
            parser.Parse(chunk, final)
        except pyexpat.ExpatError as exc:
            raise _expat_error(label, exc) from None
        except defusedxml.DefusedXmlException as exc:
            raise _unsafe(label, exc) from None
        if pat is None and roots:
            name, attrs = roots[0]
            _check_root(label, name)
            pat = _Patterns(":" in name or any(k.startswith("xmlns:") for k in attrs))
        buf = pending + chunk if pending else chunk
        rest = b""
        if b"<!" in buf or b"<?" in buf:
            cleaned, cut = _clean(buf)
            buf, rest = cleaned, buf[cut:]
        pos = 0
        if pat is not None:
            if not header_done:
                start = pat.specimen.search(buf)
                if start is not None or final:
                    head = buf[:start.start()] if start else buf
                    reader.set_header({m[0]: _text(m[2])
                                       for m in pat.header.findall(head.decode("utf-8"))})
                    header_done = True
                    pos = start.start() if start else len(buf)
            if header_done:
                for m in pat.specimen.finditer(buf, pos):
                    if m.group(3):  # <SPECIMEN/>
                        body_end = end = m.end()
                    else:
                        body_end, end = _specimen_end(buf, m.group(1), m.end())
                        if end < 0:
                            break
                    body = buf[m.end():body_end].decode("utf-8")
                    tag_attrs = m.group(2).decode("utf-8")
                    item = None if pat.prefixed else reader.plain(tag_attrs, body)
                    yield item or reader.convert(_token_specimen(pat, tag_attrs, body))
                    pos = end
        pending = buf[pos:] + rest
        if len(pending) > _MAX_SPECIMEN_BYTES:
            what = "a SPECIMEN element is" if header_done else "the CMF header is"
            raise UnsafeInput(f"{what} larger than {_MAX_SPECIMEN_BYTES >> 20} MiB",
                              path=label)
        if final:
            break
        chunk = guard.read_chunk(_CHUNK)
    yield from reader.finish()


# --- reading: element-tree engine (defusedxml.ElementTree.iterparse) ---------------------------


class _Replay(io.RawIOBase):
    """The bytes already read, then the rest of the guarded stream."""

    def __init__(self, head: bytes, guard: GuardedReader) -> None:
        super().__init__()
        self._head = head
        self._guard = guard

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            out, self._head = self._head, b""
            return out
        return self._guard.read_chunk(size if size > 0 else _CHUNK)


def _element_specimen(elem: Element) -> _RawSpecimen:
    spec = _RawSpecimen({_local(k): v.strip() for k, v in elem.attrib.items()})
    for child in elem:
        tag = _local(child.tag) if isinstance(child.tag, str) else ""
        if tag == "SPECIMENID":
            spec.ids.append((child.text or "").strip())
        elif tag == "SPECIMENCATEGORY" and not spec.category_seen:
            spec.category_seen = True
            spec.category = (child.text or "").strip() or None
        elif tag == "LOCUS":
            kit = next((v for k, v in child.attrib.items() if _local(k) == "KIT"), None)
            locus = _RawLocus(kit.strip() or None if kit else None)
            for part in child:
                ptag = _local(part.tag) if isinstance(part.tag, str) else ""
                if ptag == "LOCUSNAME":
                    locus.names.append((part.text or "").strip())
                elif ptag == "ALLELE":
                    locus.allele_elements += 1
                    for value in part:
                        if isinstance(value.tag, str) and _local(value.tag) == "ALLELEVALUE":
                            locus.values.append((value.text or "").strip())
            spec.loci.append(locus)
    return spec


def _iter_etree(stream: io.RawIOBase, reader: _Reader) -> Iterator[ProfileRecord | RecordProblem]:
    label = reader.label
    depth = 0
    root: Element | None = None
    header: dict[str, str] = {}
    header_done = False
    try:
        events = DefusedET.iterparse(stream, events=("start", "end"), forbid_dtd=True)
        for event, elem in events:
            if event == "start":
                depth += 1
                if root is None:
                    _check_root(label, elem.tag)
                    root = elem
                continue
            depth -= 1
            if depth != 1:
                continue
            tag = _local(elem.tag)
            if tag == "SPECIMEN":
                if not header_done:
                    reader.set_header(header)
                    header_done = True
                yield reader.convert(_element_specimen(elem))
                if root is not None:
                    root.remove(elem)
            elif tag in _HEADER_FIELDS and not header_done:
                header[tag] = (elem.text or "").strip()
    except ParseError as exc:
        line, column = exc.position
        code = getattr(exc, "code", None)
        what = pyexpat.errors.messages[code] if code else str(exc).split(":")[0]
        raise FileFormatError(f"not well-formed XML: {what} (column {column})",
                              path=label, line=line) from None
    except defusedxml.DefusedXmlException as exc:
        raise _unsafe(label, exc) from None
    if not header_done:
        reader.set_header(header)
    yield from reader.finish()


# --- reading: entry points ---------------------------------------------------------------------


def iter_cmf(source: Source, *, limits: Limits = DEFAULT_LIMITS,
             engine: Literal["auto", "etree"] = "auto",
             header: dict[str, str] | None = None) -> Iterator[ProfileRecord | RecordProblem]:
    """Stream the records (and problems) of a CMF file, one specimen at a time.

    Raises :class:`UnsafeInput` (DTD, entities, size or line limits) or
    :class:`FileFormatError` (not XML, not a ``CODISImportFile``, no header) naming the path.
    ``header``, when given, receives the file's header values once they have been read.
    """
    with open_binary(source, limits) as guard:
        reader = _Reader(guard.label)
        first = guard.read_chunk(_CHUNK)
        if engine == "etree" or _needs_etree(first[:256]):
            items = _iter_etree(_Replay(first, guard), reader)
        else:
            items = _iter_fast(guard, reader, first)
        for item in items:
            if header is not None and not header:
                header.update(reader.header)
            yield item


def read_cmf(source: Source, *, limits: Limits = DEFAULT_LIMITS,
             engine: Literal["auto", "etree"] = "auto") -> ReadResult:
    """Read a CODIS CMF 3.2 file: every specimen as a record, or a problem naming it.

    ``metadata`` of the result holds the header (``HEADERVERSION``, ``SOURCELAB``, ``KIT``...).
    """
    header: dict[str, str] = {}
    items = list(iter_cmf(source, limits=limits, engine=engine, header=header))
    return collect(source_label(source), "cmf", items, header)


# --- writing ---------------------------------------------------------------------------------

_XML_TEXT = re.compile(r"^[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*$")
_DATE_MIN = datetime(1900, 1, 1)
_DATE_MAX = datetime(2079, 6, 6)


def _check_text(what: str, value: str, *, low: int, high: int, label: str,
                record: str | None = None) -> str:
    if not low <= len(value) <= high:
        raise FileFormatError(f"cannot write CMF: {what} {value!r} must be {low} to {high} "
                              f"characters long", path=label, record=record)
    if not _XML_TEXT.match(value):
        raise FileFormatError(f"cannot write CMF: {what} {value!r} holds characters XML "
                              "cannot carry", path=label, record=record)
    return value


def _check_listed(what: str, value: str, allowed: tuple[str, ...], *, label: str,
                  record: str | None = None) -> str:
    if value not in allowed:
        raise FileFormatError(f"cannot write CMF: {what} {value!r} is not a CODIS {what}",
                              path=label, record=record,
                              remedy=f"use one of: {', '.join(allowed)}")
    return value


def _as_record(item: ProfileRecord | Profile) -> ProfileRecord:
    return item if isinstance(item, ProfileRecord) else ProfileRecord.of(item)


#: CMF 3.2 ``SPECIMENID``: 1 to 24 characters (Appendix B, ``SpecimenIDType``).
CMF_SPECIMEN_ID_MAX = 24
#: CMF 3.2 ``CASEID``: at most 32 characters.
CMF_CASE_ID_MAX = 32
#: CMF 3.2: at most 64 ``LOCUS`` elements per ``SPECIMEN``.
CMF_LOCI_MAX = 64


@dataclass(frozen=True, slots=True)
class CmfLimit:
    """One part of a record that CODIS CMF 3.2 cannot carry.

    ``what`` names the part (``specimen ID``, ``specimen category``, ``case ID``, ``kit``,
    ``locus``, ``profile``) and ``value`` its value. A ``blocking`` limit means the record
    cannot be written at all; a non-blocking one (a locus without a CODIS name, a kit CODIS does
    not list) is left out of the record when the writer may do so
    (``skip_unsupported_loci``), and the writer then says what it left out."""

    what: str
    value: str | None
    message: str
    locus: str | None = None
    blocking: bool = True
    remedy: str | None = None

    def __str__(self) -> str:
        return self.message + (f" ({self.remedy})" if self.remedy else "")


def _text_limit(what: str, value: str, *, low: int, high: int) -> CmfLimit | None:
    if not low <= len(value) <= high:
        return CmfLimit(what, value, f"{what} {value!r} is {len(value)} characters; CODIS CMF "
                        f"3.2 allows {low} to {high}")
    if not _XML_TEXT.match(value):
        return CmfLimit(what, value, f"{what} {value!r} holds characters XML cannot carry")
    return None


def cmf_limits(record: ProfileRecord | Profile) -> list[CmfLimit]:
    """What of ``record`` CODIS CMF 3.2 cannot carry: the one rule of the CMF writer, which the
    store's import applies too (so whatever it accepts, the export can write).

    Blocking: no specimen ID, or one outside 1 to :data:`CMF_SPECIMEN_ID_MAX` characters or with
    characters XML cannot carry; a specimen category not in CODIS's list; a case ID over
    :data:`CMF_CASE_ID_MAX` characters; no locus CMF can carry, or more than 64. Not blocking
    (left out by ``write_cmf(..., skip_unsupported_loci=True)``, and reported): each typed locus
    without a CODIS name (:func:`cmf_locus_name`), a kit CODIS does not list. Inconclusive loci
    and peak heights are never written and are not limits. Cross-record rules (a specimen ID
    given twice) and the header's values are the writer's alone."""
    rec = _as_record(record)
    profile = rec.profile
    spec = rec.specimen_id if rec.specimen_id is not None else profile.specimen_id
    out: list[CmfLimit] = []
    if spec is None:
        out.append(CmfLimit("specimen ID", None, "a profile has no specimen ID"))
    elif (limit := _text_limit("specimen ID", spec, low=1, high=CMF_SPECIMEN_ID_MAX)):
        out.append(limit)
    category = rec.specimen_category
    if category is not None and category not in CMF_SPECIMEN_CATEGORIES:
        out.append(CmfLimit("specimen category", category, f"specimen category {category!r} "
                            "is not a CODIS specimen category",
                            remedy=f"use one of: {', '.join(CMF_SPECIMEN_CATEGORIES)}"))
    if rec.raw_case and (limit := _text_limit("case ID", rec.raw_case, low=0,
                                               high=CMF_CASE_ID_MAX)):
        out.append(limit)
    kit = rec.kit if rec.kit is not None else profile.kit
    if kit is not None and kit not in CMF_KITS:
        out.append(CmfLimit("kit", kit, f"kit {kit!r} is not a CODIS kit", blocking=False,
                            remedy="export as CSV or JSON (--format csv) to keep the kit; from "
                                   "Python, skip_unsupported_loci=True writes CMF without KIT"))
    written = 0
    for locus, call in profile.loci.items():
        if call.inconclusive or not call.alleles:
            continue
        if locus not in _EXPORT_NAMES:
            out.append(CmfLimit("locus", locus, f"locus {locus} has no CODIS name",
                                locus=locus, blocking=False,
                                remedy="export as CSV or JSON (--format csv) to keep it; from "
                                       "Python, skip_unsupported_loci=True leaves it out"))
            continue
        written += 1
    if not written:
        out.append(CmfLimit("profile", None, "the profile has no locus that CMF can carry"))
    elif written > CMF_LOCI_MAX:
        out.append(CmfLimit("profile", str(written),
                            f"{written} loci (CMF allows {CMF_LOCI_MAX})"))
    return out


def _cmf_lines(records: Iterable[ProfileRecord | Profile], *, label: str, source_lab: str,
               destination_lab: str, submit_by_user: str, reading_by: str,
               kit: str | None, batch_id: str | None, specimen_category: str,
               stamp: str, skip_unsupported_loci: bool,
               left_out: list[tuple[str, CmfLimit]] | None) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield f'<CODISImportFile xmlns="{CMF_NAMESPACE}">\n'
    yield "  <HEADERVERSION>3.2</HEADERVERSION>\n"
    yield "  <MESSAGETYPE>Import</MESSAGETYPE>\n"
    yield f"  <DESTINATIONORI>{escape(destination_lab)}</DESTINATIONORI>\n"
    yield f"  <SOURCELAB>{escape(source_lab)}</SOURCELAB>\n"
    yield f"  <SUBMITBYUSERID>{escape(submit_by_user)}</SUBMITBYUSERID>\n"
    yield f"  <SUBMITDATETIME>{stamp}</SUBMITDATETIME>\n"
    if batch_id is not None:
        yield f"  <BATCHID>{escape(batch_id)}</BATCHID>\n"
    if kit is not None:
        yield f"  <KIT>{escape(kit)}</KIT>\n"
    reading = (f"<READINGBY>{escape(reading_by)}</READINGBY>"
               f"<READINGDATETIME>{stamp}</READINGDATETIME>")
    seen: set[str] = set()
    count = 0
    for item in records:
        rec = _as_record(item)
        profile = rec.profile
        spec = rec.specimen_id if rec.specimen_id is not None else profile.specimen_id
        if spec is None:
            raise FileFormatError("cannot write CMF: a profile has no specimen ID", path=label,
                                  record=f"#{count + 1}")
        limits = cmf_limits(rec)  # the one rule (the store's import applies it too)
        for limit in limits:
            if limit.blocking or not skip_unsupported_loci:
                raise FileFormatError(f"cannot write CMF: {limit.message}", path=label,
                                      record=spec, remedy=limit.remedy)
        if spec in seen:
            raise FileFormatError("cannot write CMF: specimen ID given twice", path=label,
                                  record=spec)
        seen.add(spec)
        category = rec.specimen_category or specimen_category  # both checked: a CODIS category
        locus_kit = rec.kit if rec.kit is not None else profile.kit
        kit_attr = ""
        if locus_kit is not None and locus_kit != kit and locus_kit in CMF_KITS:
            kit_attr = f" KIT={quoteattr(locus_kit)}"
        attrs = ""
        if rec.raw_case:
            attrs = f" CASEID={quoteattr(rec.raw_case)}"
        lines = [f"  <SPECIMEN{attrs}>\n", f"    <SPECIMENID>{escape(spec)}</SPECIMENID>\n",
                 f"    <SPECIMENCATEGORY>{escape(category)}</SPECIMENCATEGORY>\n"]
        written = 0
        for locus, call in profile.loci.items():
            if call.inconclusive or not call.alleles:
                continue
            name = _EXPORT_NAMES.get(locus)
            if name is None:  # a non-blocking limit: left out, and reported below
                continue
            values = "".join(f"<ALLELE><ALLELEVALUE>{escape(str(a))}</ALLELEVALUE></ALLELE>"
                             for a in call.alleles)
            lines.append(f"    <LOCUS{kit_attr}><LOCUSNAME>{name}</LOCUSNAME>{reading}"
                         f"{values}</LOCUS>\n")
            written += 1
        if left_out is not None:
            left_out.extend((spec, limit) for limit in limits)
        lines.append("  </SPECIMEN>\n")
        yield "".join(lines)
        count += 1
    if not count:
        raise FileFormatError("cannot write CMF: no profiles (CMF needs at least one SPECIMEN)",
                              path=label)
    yield "</CODISImportFile>\n"


def write_cmf(records: Iterable[ProfileRecord | Profile],
              destination: str | os.PathLike[str] | IO[str], *, source_lab: str,
              submit_by_user: str, destination_lab: str | None = None, kit: str | None = None,
              batch_id: str | None = None, specimen_category: str = "Forensic, Unknown",
              submitted_at: datetime | None = None, reading_by: str | None = None,
              skip_unsupported_loci: bool = False,
              left_out: list[tuple[str, CmfLimit]] | None = None) -> int:
    """Write profiles as a CODIS CMF 3.2 import file; returns the number of specimens written.

    ``source_lab`` and ``destination_lab`` (default: the source lab) are CODIS ORIs of at most
    10 characters; ``submit_by_user`` (and ``reading_by``, default the same) a CODIS user ID of
    at most 20. Each record's own specimen category and kit are used where it has them, else
    ``specimen_category`` and ``kit``. ``AMEL`` is written ``Amelogenin``. What a record holds
    that CMF cannot carry is decided by :func:`cmf_limits`: a blocking limit raises; a locus
    without a CODIS name or a kit CODIS does not list raises too unless
    ``skip_unsupported_loci``, which leaves it out and appends ``(specimen ID, limit)`` to
    ``left_out`` (when given) so that nothing is left out silently. Peak heights and inconclusive
    loci are not written (CMF has no place for them). A value CMF cannot carry raises
    :class:`FileFormatError` naming the specimen; written to a path, the file then does not
    appear at all (it is written beside it and renamed at the end).
    """
    label = source_label(destination)
    _check_text("source lab", source_lab, low=1, high=10, label=label)
    destination_lab = source_lab if destination_lab is None else destination_lab
    _check_text("destination ORI", destination_lab, low=1, high=10, label=label)
    _check_text("user ID", submit_by_user, low=1, high=20, label=label)
    reading_by = submit_by_user if reading_by is None else reading_by
    _check_text("reading user ID", reading_by, low=1, high=20, label=label)
    if kit is not None:
        _check_listed("kit", kit, CMF_KITS, label=label)
    if batch_id is not None:
        _check_text("batch ID", batch_id, low=0, high=32, label=label)
    _check_listed("specimen category", specimen_category, CMF_SPECIMEN_CATEGORIES, label=label)
    when = submitted_at or datetime.now(UTC)
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    if not _DATE_MIN < when < _DATE_MAX:
        raise FileFormatError(f"cannot write CMF: date {when:%Y-%m-%d} is outside 1900-2079",
                              path=label)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S")
    count = 0

    def lines() -> Iterator[str]:
        nonlocal count
        for line in _cmf_lines(records, label=label, source_lab=source_lab,
                               destination_lab=destination_lab, submit_by_user=submit_by_user,
                               reading_by=reading_by, kit=kit, batch_id=batch_id,
                               specimen_category=specimen_category, stamp=stamp,
                               skip_unsupported_loci=skip_unsupported_loci,
                               left_out=left_out):
            if line.startswith("  <SPECIMEN"):
                count += 1
            yield line

    _write_lines(lines(), destination)
    return count



def _write_lines(lines: Iterable[str], destination: str | os.PathLike[str] | IO[str]) -> None:
    """Write to a stream, or to a path through a temporary file renamed at the end."""
    if not isinstance(destination, (str, os.PathLike)):
        _write_batched(lines, destination.write)
        return
    path = os.fspath(destination)
    tmp = f"{path}.part"
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as out:
            _write_batched(lines, out.write)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _write_batched(lines: Iterable[str], write: Callable[[str], object]) -> None:
    batch: list[str] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line)
        if size > _CHUNK:
            write("".join(batch))
            batch.clear()
            size = 0
    if batch:
        write("".join(batch))
