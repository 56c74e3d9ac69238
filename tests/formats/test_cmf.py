"""CODIS CMF 3.2: the specification's Appendix A example and the real and broken sample files
import as expected (golden values checked by eye against the XML); exports validate against the
Appendix B and 2017 schemas (lxml, tests only) and round-trip; the fast reader agrees with
defusedxml's iterparse; hostile XML is refused before anything is expanded or read whole."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from locard.errors import FileFormatError, UnsafeInput
from locard.formats import Limits, ProfileRecord, ReadResult, read_cmf, write_cmf
from locard.formats.cmf import CMF_LOCUS_NAMES, cmf_locus_name, iter_cmf
from locard.genetics.alleles import Allele, AlleleKind, parse_allele
from locard.genetics.profiles import Profile

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CMF = DATA / "cmf"
STAMP = datetime(2024, 5, 6, 7, 8, 9)

# the loci of the Appendix B schema's LocusNameType (the 2017 schema adds the rest)
APPENDIX_B_LOCI = ("AMEL", "CSF1PO", "D13S317", "D16S539", "D18S51", "D19S433", "D21S11",
                   "D2S1338", "D3S1358", "D5S818", "D7S820", "D8S1179", "FGA", "Penta D",
                   "Penta E", "TH01", "TPOX", "vWA")


@pytest.fixture
def cmf() -> Path:
    if not CMF.is_dir():
        pytest.skip(f"reference data not found at {CMF} (../shared/data is not checked out)")
    return CMF


def alleles(profile: Profile, locus: str) -> list[str]:
    return [str(a) for a in profile.alleles(locus)]


def both_engines(path: Path | str) -> tuple[ReadResult, ReadResult]:
    fast = read_cmf(path)
    exact = read_cmf(path, engine="etree")
    assert fast.records == exact.records
    assert [p.message for p in fast.problems] == [p.message for p in exact.problems]
    assert fast.metadata == exact.metadata
    return fast, exact


# --- the specification's example and the sample files ----------------------------------------


def test_appendix_a_example_imports(cmf: Path) -> None:
    result, _ = both_engines(cmf / "CODIS-32.AppendixAexample.xml")
    assert result.ok and result.format == "cmf"
    assert [r.specimen_id for r in result.records] == ["IMP_0001A", "IMP_0001B"]
    assert result.metadata["SOURCELAB"] == "IADCI0000"
    assert result.metadata["KIT"] == "PowerPlex 16"
    assert "SUBMITBYUSERID" not in result.metadata  # a user ID is not read
    a, b = result.records
    assert (a.specimen_category, a.source_lab, a.kit, a.raw_case, a.index) == (
        "Forensic, Unknown", "IADCI0000", "PowerPlex 16", "FL2004_10_04_ABC", 1)
    assert alleles(a.profile, "CSF1PO") == ["10", "11"]
    assert alleles(a.profile, "vWA") == ["15", "16"]
    assert len(a.profile) == 13 and "AMEL" not in a.profile
    # IMP_0001B: ladder bins, microvariants, a four-allele locus, Penta D/E, Amelogenin
    assert alleles(b.profile, "CSF1PO") == ["<6", "8.2"]
    assert alleles(b.profile, "D13S317") == ["13", ">15"]
    assert alleles(b.profile, "D16S539") == ["6", "7", "13.1", "14.2"]
    assert alleles(b.profile, "D18S51") == ["11"]
    assert alleles(b.profile, "D21S11") == ["<25", "28", "29"]
    assert alleles(b.profile, "Penta D") == ["7.3", ">17"]
    assert alleles(b.profile, "Penta E") == ["15", "16"]
    assert alleles(b.profile, "AMEL") == ["X", "Y"] and b.profile.sex == "male"
    assert b.profile.alleles("D13S317")[1] == Allele(AlleleKind.ABOVE, 15)


def test_single_profile_sample(cmf: Path) -> None:
    result, _ = both_engines(cmf / "samples" / "Codis-Single-Profile.xml")
    assert result.ok and len(result) == 1
    rec = result.records[0]
    assert rec.specimen_id == "ABCD1234NL#01" and rec.source_lab == "NO-SOURCELAB"
    assert rec.raw_case == "2099.12.31.000" and rec.kit is None
    assert alleles(rec.profile, "vWA") == ["16"]  # written as 16 only: a homozygote
    assert alleles(rec.profile, "D2S441") == ["10"]
    assert alleles(rec.profile, "D22S1045") == ["10", "11"]
    assert rec.profile.sex == "male" and len(rec.profile) == 16


def test_mixture_with_bom_reads_and_reports_its_bad_amelogenin(cmf: Path) -> None:
    path = cmf / "samples" / "Codis-Mix-Profile-With-BOM-Header.xml"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    result, _ = both_engines(path)
    assert result.metadata["SOURCELAB"] == "DUMMYVALUE"  # 'DUMMYVALUE ' in the file
    assert result.records == []
    (problem,) = result.problems
    assert problem.record == "DUMMYSPECIMENID" and problem.locus == "Amelogenin"
    assert problem.value == "Z"
    assert str(problem).startswith("Codis-Mix-Profile-With-BOM-Header.xml: record 1: ")
    assert "'DUMMYSPECIMENID'" in problem.message and "'Z'" in problem.message


def test_bom_before_a_good_file(cmf: Path, tmp_path: Path) -> None:
    raw = (cmf / "samples" / "Codis-Single-Profile.xml").read_bytes()
    bom = tmp_path / "bom.xml"
    bom.write_bytes(b"\xef\xbb\xbf" + raw)
    assert read_cmf(bom).records == read_cmf(cmf / "samples" / "Codis-Single-Profile.xml").records


def test_broken_allele(cmf: Path) -> None:
    result, _ = both_engines(cmf / "samples" / "errorhandling" / "broken-allele.xml")
    assert result.records == []
    (p,) = result.problems
    assert (p.record, p.locus, p.index) == ("ABCD1234NL#01", "D21S11", 1)
    assert p.message == ("broken-allele.xml: record 1: specimen 'ABCD1234NL#01': D21S11: "
                         "ALLELE without ALLELEVALUE")
    assert p.path.endswith("broken-allele.xml")


def test_broken_locus(cmf: Path) -> None:
    result, _ = both_engines(cmf / "samples" / "errorhandling" / "broken-locus.xml")
    (p,) = result.problems
    assert p.record == "ABCD1234NL#01" and p.value == "10, 11"
    assert p.message == ("broken-locus.xml: record 1: specimen 'ABCD1234NL#01': "
                         "LOCUS without LOCUSNAME (alleles 10, 11)")


def test_no_profiles(cmf: Path) -> None:
    result, _ = both_engines(cmf / "samples" / "errorhandling" / "no-profiles.xml")
    assert result.records == [] and result.metadata["SOURCELAB"] == "NO-SOURCE-LAB"
    (p,) = result.problems
    assert p.message == "no-profiles.xml: the file holds no profiles (no SPECIMEN element)"


@pytest.mark.parametrize("engine", ["auto", "etree"])
@pytest.mark.parametrize("name", ["samples/errorhandling/not-a-codis-file.xml", "CmfList.xml",
                                  "CMF-2017.xsd"])
def test_other_xml_is_not_cmf(cmf: Path, name: str, engine: str) -> None:
    with pytest.raises(FileFormatError, match="not a CODIS CMF file: the root element is") as e:
        read_cmf(cmf / name, engine=engine)  # type: ignore[arg-type]
    assert e.value.path == str(cmf / name)


@pytest.mark.parametrize("engine", ["auto", "etree"])
@pytest.mark.parametrize("content, message", [
    (b"specimenId,D8S1179_1\nX,13\n", "not well-formed XML"),
    (b"", "not well-formed XML"),
    (b"<CODISImportFile><HEADERVERSION>3.2</HEADERVERSION><SPECIMEN>", "not well-formed XML"),
    (b"<CODISImportFile><SPECIMEN><SPECIMENID>A</SPECIMENID></SPECIMEN></CODISImportFile>",
     "no header"),
])
def test_unreadable_files_raise(tmp_path: Path, content: bytes, message: str,
                                engine: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    with pytest.raises(FileFormatError, match=message) as e:
        read_cmf(path, engine=engine)  # type: ignore[arg-type]
    assert e.value.path == str(path)


def test_truncated_file_is_an_error_not_a_short_import(cmf: Path, tmp_path: Path) -> None:
    raw = (cmf / "CODIS-32.AppendixAexample.xml").read_bytes()
    cut = raw.index(b"</SPECIMEN>") + 200
    path = tmp_path / "truncated.xml"
    path.write_bytes(raw[:cut])
    with pytest.raises(FileFormatError, match="not well-formed XML"):
        read_cmf(path)


# --- bad records among good ones -------------------------------------------------------------


def cmf_document(*specimens: str, prefix: str = "", header_kit: str = "") -> bytes:
    p = prefix
    ns = f' xmlns:{p[:-1]}="urn:CODISImportFile-schema"' if p else \
        ' xmlns="urn:CODISImportFile-schema"'
    kit = f"<{p}KIT>{header_kit}</{p}KIT>" if header_kit else ""
    head = (f'<?xml version="1.0" encoding="UTF-8"?>\n<{p}CODISImportFile{ns}>\n'
            f"<{p}HEADERVERSION>3.2</{p}HEADERVERSION><{p}MESSAGETYPE>Import</{p}MESSAGETYPE>"
            f"<{p}DESTINATIONORI>LAB</{p}DESTINATIONORI><{p}SOURCELAB>LAB</{p}SOURCELAB>"
            f"<{p}SUBMITBYUSERID>u</{p}SUBMITBYUSERID>"
            f"<{p}SUBMITDATETIME>2020-01-01T00:00:00</{p}SUBMITDATETIME>{kit}\n")
    return (head + "".join(specimens) + f"</{p}CODISImportFile>\n").encode()


def specimen(spec: str, loci: dict[str, list[str]], *, attrs: str = "", p: str = "",
             category: str = "Convicted Offender", locus_attrs: str = "") -> str:
    body = "".join(
        f"<{p}LOCUS{locus_attrs}><{p}LOCUSNAME>{name}</{p}LOCUSNAME><{p}READINGBY>u</{p}READINGBY>"
        f"<{p}READINGDATETIME>2020-01-01T00:00:00</{p}READINGDATETIME>"
        + "".join(f"<{p}ALLELE><{p}ALLELEVALUE>{v}</{p}ALLELEVALUE></{p}ALLELE>" for v in vs)
        + f"</{p}LOCUS>\n" for name, vs in loci.items())
    return (f"<{p}SPECIMEN{attrs}>\n<{p}SPECIMENID>{spec}</{p}SPECIMENID>\n"
            f"<{p}SPECIMENCATEGORY>{category}</{p}SPECIMENCATEGORY>\n{body}</{p}SPECIMEN>\n")


def test_bad_records_do_not_stop_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "batch.xml"
    path.write_bytes(cmf_document(
        specimen("S1", {"D8S1179": ["13", "14"], "TH01": ["9.3"]}),
        specimen("S2", {"D8S1179": ["13"], "D18S51": ["9,3", "12"]}),
        specimen("S3", {"D8S1179": ["12"], "D99S999": ["14"]}),
        specimen("S1", {"D8S1179": ["15"]}),
        specimen("S4", {"THO1": ["6"], "TP0X": ["8", "11"], "Amelogenin": ["X"]}),
        specimen("S5", {"D8S1179": ["13"], "D3S1358": ["1", "2", "3", "4", "5", "6", "7", "8",
                                                       "9"]}),
    ))
    result, _ = both_engines(path)
    assert [r.specimen_id for r in result.records] == ["S1", "S4"]
    s4 = result.records[1].profile
    assert alleles(s4, "TH01") == ["6"] and alleles(s4, "TPOX") == ["8", "11"]
    assert s4.sex == "female"
    messages = [p.message for p in result.problems]
    assert messages == [
        "batch.xml: record 2: specimen 'S2': D18S51: allele '9,3' is not an allele designation",
        "batch.xml: record 3: specimen 'S3': D99S999: unknown locus 'D99S999'",
        "batch.xml: record 4: specimen 'S1': specimen ID given twice in the file "
        "(first as record 1)",
        "batch.xml: record 6: specimen 'S5': D3S1358: 9 alleles (at most 8)",
    ]
    bad = result.problems[0]
    assert (bad.record, bad.locus, bad.value, bad.index) == ("S2", "D18S51", "9,3", 2)


def test_shapes_the_fast_reader_hands_to_the_exact_one(tmp_path: Path) -> None:
    """Comments, CDATA, a namespace prefix, attributes, odd blanks and entities all read the
    same as with defusedxml's iterparse."""
    odd = (
        "<SPECIMEN CASEID='c&amp;1'>\n<!-- <LOCUS><LOCUSNAME>FGA</LOCUSNAME> -->\n"
        "<SPECIMENID> A&lt;1 </SPECIMENID><SPECIMENCATEGORY>Forensic, Unknown"
        "</SPECIMENCATEGORY><SPECIMENCOMMENT>a &lt;LOCUS&gt; comment</SPECIMENCOMMENT>"
        "<LOCUS KIT=\"Identifiler\" BATCHID='x>y'><LOCUSNAME>D8S1179</LOCUSNAME>"
        "<READINGBY>u</READINGBY><READINGDATETIME>2020-01-01T00:00:00</READINGDATETIME>"
        "<ALLELE ALLELEREQUIRED='true'><ALLELEVALUE><![CDATA[13]]></ALLELEVALUE></ALLELE>"
        "<ALLELE><?pi x?><ALLELEVALUE>\n  &gt;15 </ALLELEVALUE></ALLELE></LOCUS >"
        "<LOCUS\n><LOCUSNAME >vWA</LOCUSNAME ><READINGBY>u</READINGBY>"
        "<READINGDATETIME>2020-01-01T00:00:00</READINGDATETIME>"
        "<ALLELE><ALLELEVALUE>&#49;7</ALLELEVALUE></ALLELE></LOCUS></SPECIMEN  >\n")
    path = tmp_path / "odd.xml"
    path.write_bytes(cmf_document(specimen("P1", {"FGA": ["20", "21"]}), odd,
                                  specimen("P2", {"FGA": ["22"]}), header_kit="PowerPlex 16"))
    result, _ = both_engines(path)
    assert result.ok and [r.specimen_id for r in result.records] == ["P1", "A<1", "P2"]
    rec = result.records[1]
    assert rec.raw_case == "c&1" and rec.specimen_category == "Forensic, Unknown"
    assert alleles(rec.profile, "D8S1179") == ["13", ">15"]
    assert alleles(rec.profile, "vWA") == ["17"]
    assert "FGA" not in rec.profile  # the commented-out locus is not read
    assert result.records[0].kit == "PowerPlex 16"

    prefixed = tmp_path / "prefixed.xml"
    prefixed.write_bytes(cmf_document(
        specimen("Q1", {"D8S1179": ["13", "14"]}, p="c:"),
        specimen("Q2", {"TH01": ["6", "9.3"]}, p="c:", locus_attrs=' KIT="SGM Plus"'),
        prefix="c:"))
    result, _ = both_engines(prefixed)
    assert [r.specimen_id for r in result.records] == ["Q1", "Q2"]
    assert result.records[1].kit == "SGM Plus"


def test_a_non_utf8_document_is_read_by_the_etree_engine(tmp_path: Path) -> None:
    doc = cmf_document(specimen("Zoë-1", {"D8S1179": ["13", "14"]})).decode()
    doc = doc.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    path = tmp_path / "latin1.xml"
    path.write_bytes(doc.encode("latin-1"))
    (rec,) = read_cmf(path).records
    assert rec.specimen_id == "Zoë-1"
    utf16 = tmp_path / "utf16.xml"
    utf16.write_bytes(doc.replace('encoding="ISO-8859-1"', 'encoding="UTF-16"').encode("utf-16"))
    assert read_cmf(utf16).records[0].specimen_id == "Zoë-1"


def test_binary_stream_source(cmf: Path) -> None:
    raw = (cmf / "samples" / "Codis-Single-Profile.xml").read_bytes()
    result = read_cmf(io.BytesIO(raw))
    assert result.path == "<stream>" and len(result) == 1


# --- hostile input ---------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE CODISImportFile [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<CODISImportFile><HEADERVERSION>&lol9;</HEADERVERSION></CODISImportFile>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE CODISImportFile [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<CODISImportFile><HEADERVERSION>3.2</HEADERVERSION><SPECIMEN><SPECIMENID>&xxe;</SPECIMENID>
</SPECIMEN></CODISImportFile>
"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE CODISImportFile SYSTEM "http://127.0.0.1:9/evil.dtd">
<CODISImportFile><HEADERVERSION>3.2</HEADERVERSION></CODISImportFile>
"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE CODISImportFile [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>
<CODISImportFile/>
"""


@pytest.mark.parametrize("engine", ["auto", "etree"])
@pytest.mark.parametrize("content", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD,
                                     PARAMETER_ENTITY],
                         ids=["billion-laughs", "external-entity", "external-dtd",
                              "parameter-entity"])
def test_hostile_xml_is_refused(tmp_path: Path, content: bytes, engine: str) -> None:
    path = tmp_path / "hostile.xml"
    path.write_bytes(content)
    with pytest.raises(UnsafeInput, match="DTDs, entity declarations") as e:
        read_cmf(path, engine=engine)  # type: ignore[arg-type]
    assert e.value.path == str(path)


def test_undeclared_entity_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "entity.xml"
    path.write_bytes(b"<CODISImportFile><HEADERVERSION>&nbsp;</HEADERVERSION></CODISImportFile>")
    with pytest.raises(FileFormatError, match="undefined entity"):
        read_cmf(path)


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b" " * 5000)
    with pytest.raises(UnsafeInput, match="larger than the limit of 4096 bytes"):
        read_cmf(path, limits=Limits(max_bytes=4096))


def test_stream_over_the_size_limit_is_refused(cmf: Path) -> None:
    raw = (cmf / "CODIS-32.AppendixAexample.xml").read_bytes()
    with pytest.raises(UnsafeInput, match="larger than the limit"):
        read_cmf(io.BytesIO(raw), limits=Limits(max_bytes=len(raw) - 1))


def long_line_file(path: Path, line_bytes: int, total: int | None = None) -> Path:
    with open(path, "wb") as f:
        f.write(b'<?xml version="1.0"?><CODISImportFile><HEADERVERSION>3.2</HEADERVERSION>'
                b"<SPECIMEN><SPECIMENID>")
        block = b"A" * (1 << 20)
        for _ in range(line_bytes >> 20):
            f.write(block)
        if total is not None:
            f.truncate(total)  # sparse: the rest is never written to disk
    return path


def test_long_single_line_is_refused_quickly(tmp_path: Path) -> None:
    path = long_line_file(tmp_path / "line.xml", 40 << 20)
    with pytest.raises(UnsafeInput, match="a SPECIMEN element is larger than 4 MiB"):
        read_cmf(path)


def test_one_gigabyte_single_line_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = long_line_file(tmp_path / "huge.xml", 17 << 20, total=1 << 30)
    assert path.stat().st_size == 1 << 30
    with pytest.raises(UnsafeInput, match="larger than 4 MiB"):
        read_cmf(path)
    with pytest.raises(UnsafeInput, match=r"longer than the limit of 2 MiB \(refused after "
                                          r"reading 3 MiB\)"):
        read_cmf(path, limits=Limits(max_line_bytes=2 << 20))


def test_line_limit_is_configurable(tmp_path: Path) -> None:
    path = long_line_file(tmp_path / "line.xml", 3 << 20)
    with pytest.raises(UnsafeInput, match="limit of 1 MiB"):
        read_cmf(path, limits=Limits(max_line_bytes=1 << 20))


# --- writing ---------------------------------------------------------------------------------


@pytest.fixture
def schemas(cmf: Path) -> dict[str, Any]:
    etree = pytest.importorskip("lxml.etree")
    return {name: etree.XMLSchema(etree.parse(str(cmf / file))) for name, file in
            (("B", "CODIS-32.AppendixBexample.xsd"), ("2017", "CMF-2017.xsd"))}


def validate(schema, path: Path) -> None:  # type: ignore[no-untyped-def]
    etree = pytest.importorskip("lxml.etree")
    doc = etree.parse(str(path))
    assert schema.validate(doc), schema.error_log


def test_export_of_appendix_a_validates_and_round_trips(cmf: Path, schemas: dict[str, Any],
                                                        tmp_path: Path) -> None:
    original = read_cmf(cmf / "CODIS-32.AppendixAexample.xml")
    out = tmp_path / "export.xml"
    n = write_cmf(original.records, out, source_lab="IADCI0000", submit_by_user="KEllis",
                  kit="PowerPlex 16", submitted_at=STAMP)
    assert n == 2
    validate(schemas["B"], out)
    validate(schemas["2017"], out)
    back = read_cmf(out)
    assert back.records == original.records
    text = out.read_text()
    assert "<LOCUSNAME>Amelogenin</LOCUSNAME>" in text and "<LOCUSNAME>Penta D</LOCUSNAME>" in text
    assert "&lt;6" in text and "2024-05-06T07:08:09" in text


def test_export_of_codis20_profiles_validates_against_2017(schemas: dict[str, Any],
                                                          tmp_path: Path) -> None:
    profile = Profile.parse("D1S1656: 12/17.3; D2S441: 11; D10S1248: 13/15; D12S391: 18/22; "
                            "D22S1045: 15/16; SE33: 28.2/30; AMEL: X", specimen_id="S-1")
    out = tmp_path / "c20.xml"
    write_cmf([ProfileRecord(profile, specimen_category="Arrestee")], out, source_lab="XY0000001",
              submit_by_user="analyst", submitted_at=STAMP, kit="GlobalFiler")
    validate(schemas["2017"], out)
    (rec,) = read_cmf(out).records
    assert rec.profile == Profile.parse(str(profile).split(": ", 1)[1], specimen_id="S-1",
                                        kit="GlobalFiler")
    assert rec.specimen_category == "Arrestee"


def test_writer_refuses_what_cmf_cannot_carry(tmp_path: Path) -> None:
    out = tmp_path / "x.xml"
    good = Profile.parse("D8S1179: 13/14", specimen_id="A")
    kw = {"source_lab": "LAB", "submit_by_user": "u"}
    cases = [
        ([Profile.parse("D8S1179: 13", specimen_id="X" * 25)], kw, "specimen ID"),
        ([good, good], kw, "specimen ID given twice"),
        ([Profile.parse("D8S1179: 13")], kw, "no specimen ID"),
        ([Profile.parse("D6S1043: 11/12", specimen_id="B")], kw, "D6S1043 has no CODIS name"),
        ([], kw, "no profiles"),
        ([good], {**kw, "source_lab": "LAB-TOO-LONG"}, "source lab"),
        ([good], {**kw, "kit": "Not A Kit"}, "is not a CODIS kit"),
        ([good], {**kw, "specimen_category": "Suspect"}, "is not a CODIS specimen category"),
        ([ProfileRecord.of(good, raw_case="c" * 33)], kw, "case ID"),
    ]
    for records, options, message in cases:
        with pytest.raises(FileFormatError, match=message):
            write_cmf(records, out, **options)  # type: ignore[arg-type]
        assert not out.exists() and not (tmp_path / "x.xml.part").exists()


def test_writer_can_leave_out_loci_without_a_codis_name(tmp_path: Path) -> None:
    profile = Profile.parse("D6S1043: 11/12; D8S1179: 13; QS1: 1", specimen_id="B")
    out = tmp_path / "skip.xml"
    write_cmf([profile], out, source_lab="L", submit_by_user="u", skip_unsupported_loci=True)
    assert list(read_cmf(out).records[0].profile) == ["D8S1179"]


def test_writer_leaves_out_heights_and_inconclusive_loci(tmp_path: Path) -> None:
    profile = Profile.from_mapping({"D8S1179": ["13", "14"], "TH01": ["6"]},
                                   heights={"D8S1179": [1200, 900], "TH01": [500]},
                                   inconclusive=["FGA"], specimen_id="H")
    out = io.StringIO()
    write_cmf([profile], out, source_lab="L", submit_by_user="u")
    assert "FGA" not in out.getvalue()
    path = tmp_path / "h.xml"
    path.write_text(out.getvalue())
    back = read_cmf(path).records[0].profile
    assert back["D8S1179"].heights is None and "FGA" not in back


def test_cmf_names() -> None:
    assert cmf_locus_name("AMEL") == "Amelogenin"
    assert cmf_locus_name("PENTA_D") == "Penta D"
    assert cmf_locus_name("VWA") == "vWA"
    assert cmf_locus_name("D6S1043") is None
    assert cmf_locus_name("no such locus") is None
    assert set(APPENDIX_B_LOCI) <= {cmf_locus_name(n) or n for n in APPENDIX_B_LOCI} | {"AMEL"}
    assert "THO1" in CMF_LOCUS_NAMES and "TP0X" in CMF_LOCUS_NAMES


# --- property: random profiles round-trip and validate ---------------------------------------


def allele_texts(locus: str) -> st.SearchStrategy[str]:
    if locus == "AMEL":
        return st.sampled_from(["X", "Y"])
    return st.one_of(
        st.integers(1, 60).map(str),
        st.tuples(st.integers(1, 60), st.integers(1, 3)).map(lambda t: f"{t[0]}.{t[1]}"),
        st.integers(2, 60).map(lambda n: f"<{n}"), st.integers(2, 60).map(lambda n: f">{n}"),
        st.just("OL"))


@st.composite
def cmf_profiles(draw: st.DrawFn, spec: str) -> ProfileRecord:
    loci = draw(st.lists(st.sampled_from(APPENDIX_B_LOCI), min_size=1, max_size=8, unique=True))
    mapping = {locus: draw(st.lists(allele_texts(locus), min_size=1, max_size=4))
               for locus in loci}
    category = draw(st.sampled_from(["Convicted Offender", "Forensic, Unknown", "Suspect, Known",
                                     "Missing Person"]))
    case = draw(st.none() | st.text("AZaz09 .&<>'\"-", min_size=1, max_size=32))
    return ProfileRecord(Profile.from_mapping(mapping, specimen_id=spec),
                         specimen_category=category, raw_case=case)


specimen_ids = st.lists(st.text("ABCXYZ0123456789#-_.&<> '\"", min_size=1, max_size=24)
                        .filter(lambda s: s.strip() == s and s.strip()),
                        min_size=1, max_size=5, unique=True)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), ids=specimen_ids)
def test_round_trip_property(data: st.DataObject, ids: list[str], schemas: dict[str, Any],
                             tmp_path_factory: pytest.TempPathFactory) -> None:
    records = [data.draw(cmf_profiles(spec)) for spec in ids]
    out = tmp_path_factory.mktemp("rt") / "rt.xml"
    write_cmf(records, out, source_lab="LAB1", submit_by_user="user", submitted_at=STAMP)
    validate(schemas["B"], out)
    engines: tuple[Literal["auto", "etree"], ...] = ("auto", "etree")
    for engine in engines:
        back = read_cmf(out, engine=engine)
        assert back.ok
        assert [r.profile for r in back.records] == [r.profile for r in records]
        assert [(r.specimen_category, r.raw_case) for r in back.records] == [
            (r.specimen_category, (r.raw_case or "").strip() or None) for r in records]


# --- speed -----------------------------------------------------------------------------------


def test_bulk_file_streams_back_in_order(tmp_path: Path) -> None:
    """A writer-made file of 2000 twenty-locus profiles streams back in order (the parse rate
    is measured by benchmarks/bench_import.py, not here)."""
    loci = ["CSF1PO", "D3S1358", "D5S818", "D7S820", "D8S1179", "D13S317", "D16S539",
            "D18S51", "D21S11", "FGA", "TH01", "TPOX", "vWA", "D1S1656", "D2S441",
            "D2S1338", "D10S1248", "D12S391", "D19S433", "D22S1045"]
    profiles = [Profile.from_mapping({locus: [str(6 + (i * 7 + j) % 20), str(8 + (i + j) % 17)]
                                      for j, locus in enumerate(loci)},
                                     specimen_id=f"S{i:07d}") for i in range(2000)]
    path = tmp_path / "bulk.xml"
    write_cmf(profiles, path, source_lab="L", submit_by_user="u", submitted_at=STAMP)
    seen = [item.profile for item in iter_cmf(path) if isinstance(item, ProfileRecord)]
    assert seen == profiles


def test_parse_allele_examples_used_above() -> None:
    assert parse_allele(">15") == Allele(AlleleKind.ABOVE, 15)


# --- property: the fast reader agrees with defusedxml's iterparse on odd documents -----------

NAMES = ["D8S1179", "TH01", "vWA", "Amelogenin", "FGA", "D99S9", "THO1"]
VALUES = ["13", "9.3", "X", "&gt;15", "9,3", "", " 14 ", "OL", "<![CDATA[12]]>"]


@st.composite
def odd_specimen(draw: st.DrawFn) -> str:
    ws = draw(st.sampled_from(["", "\n", "  ", "\r\n\t"]))
    comment = draw(st.sampled_from(["", "<!-- c -->", "<!-- <LOCUS><LOCUSNAME>FGA -->",
                                    "<?pi x?>"]))

    def elem(tag: str, text: str, attrs: str = "") -> str:
        return f"<{tag}{attrs}/>" if text == "/" else f"<{tag}{attrs}>{text}</{tag}>"

    parts = [elem("SPECIMENID", v) for v in draw(st.lists(
        st.sampled_from(["A1", "B2", "", "/", " A1 "]), min_size=0, max_size=2))]
    parts += [elem("SPECIMENCATEGORY", v) for v in draw(st.lists(
        st.sampled_from(["Convicted Offender", "", "/"]), max_size=2))]
    for _ in range(draw(st.integers(0, 4))):
        attrs = draw(st.sampled_from(["", ' KIT="Identifiler"', " KIT='SGM Plus' BATCHID='b'"]))
        names = [elem("LOCUSNAME", n, draw(st.sampled_from(["", "", ' x="1"'])))
                 for n in draw(st.lists(st.sampled_from(NAMES), max_size=2))]
        if draw(st.booleans()):
            names = names[:1]
        alleles = []
        for _ in range(draw(st.integers(0, 3))):
            values = [elem("ALLELEVALUE", v) for v in draw(st.lists(st.sampled_from(VALUES),
                                                                     max_size=2))]
            if draw(st.integers(0, 4)):
                values = values[:1] or [elem("ALLELEVALUE", "10")]
            alleles.append(elem("ALLELE", ws.join(values),
                                draw(st.sampled_from(["", ' ALLELEREQUIRED="true"']))))
        reading = "<READINGBY>u</READINGBY><READINGDATETIME>2020-01-01T00:00:00</READINGDATETIME>"
        parts.append(f"<LOCUS{attrs}>{ws}{ws.join(names)}{reading}{comment}"
                     f"{ws.join(alleles)}{ws}</LOCUS>")
        if draw(st.integers(0, 9)) == 0:
            parts.append(elem("ALLELE", elem("ALLELEVALUE", "7")))  # outside any LOCUS
    order = draw(st.permutations(range(len(parts)))) if draw(st.integers(0, 5)) == 0 else \
        range(len(parts))
    spec_attrs = draw(st.sampled_from(["", ' CASEID="c1"', " SOURCEID='N/A' CASEID=''",
                                       ' CASEID="a\r\n\tb &amp; c "']))
    return f"<SPECIMEN{spec_attrs}>{ws}" + ws.join(parts[i] for i in order) + f"{ws}</SPECIMEN>\n"


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(odd_specimen(), min_size=1, max_size=4), st.booleans())
def test_fast_reader_agrees_with_iterparse(tmp_path_factory: pytest.TempPathFactory,
                                           specimens: list[str], prefixed: bool) -> None:
    path = tmp_path_factory.mktemp("odd") / "odd.xml"
    if prefixed:
        specimens = [re.sub(r"<(/?)([A-Z])", r"<\1c:\2", x) for x in specimens]
    path.write_bytes(cmf_document(*specimens, prefix="c:" if prefixed else ""))
    both_engines(path)
