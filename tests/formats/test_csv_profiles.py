"""Profile CSV: every CODIS-style database export imports (golden alleles checked by eye against
the files), the error and empty rows give problems naming file, line, specimen, locus and value,
and the wide and long writers round-trip."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locard.errors import FileFormatError, UnsafeInput
from locard.formats import Limits, read_csv, write_csv
from locard.formats.csv_profiles import detect_csv_layout, iter_csv
from locard.formats.records import ProfileRecord
from locard.genetics.alleles import Allele, AlleleKind
from locard.genetics.loci import LOCI, LocusKind
from locard.genetics.profiles import Profile

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
EXPORTS = DATA / "database_exports"


@pytest.fixture
def exports() -> Path:
    if not EXPORTS.is_dir():
        pytest.skip(f"reference data not found at {EXPORTS} (../shared/data is not checked out)")
    return EXPORTS


def alleles(profile: Profile, locus: str) -> list[str]:
    return [str(a) for a in profile.alleles(locus)]


# (file, records, problems)
COUNTS = [
    ("database_codis_2records_lowerascii.csv", 2, 0),
    ("database_codis_2records_utf8withBOM.csv", 2, 0),
    ("database_codis_3records_1error.csv", 2, 1),
    ("database_codis_4records_1error_1empty.csv", 3, 1),
    ("database_codis_generated_10.csv", 10, 0),
    ("database_codis_generated_10_2fields.csv", 10, 0),
    ("database_codis_generated_10_3fields.csv", 10, 0),
    ("database_codis_generated_10_6fields.csv", 10, 0),
    ("database_codis_generated_44.csv", 44, 0),
    ("database_codis_generated_100.csv", 100, 0),
]


@pytest.mark.parametrize("name, n_records, n_problems", COUNTS)
def test_every_export_imports(exports: Path, name: str, n_records: int, n_problems: int) -> None:
    result = read_csv(exports / name)
    assert result.format == "csv-wide"
    assert (len(result.records), len(result.problems)) == (n_records, n_problems)


def test_golden_values_and_bom(exports: Path) -> None:
    plain = read_csv(exports / "database_codis_2records_lowerascii.csv")
    bom = read_csv(exports / "database_codis_2records_utf8withBOM.csv")
    assert plain.records == bom.records  # the byte-order mark is not part of 'specimenId'
    suspect, other = plain.records
    assert suspect.specimen_id == "suspect"  # 'suspect                  ' in the file
    assert alleles(suspect.profile, "D19S433") == ["12", "15.2"]
    assert alleles(suspect.profile, "D2S1338") == ["19"]  # '19,19'
    assert alleles(suspect.profile, "vWA") == ["15", "18"]
    assert "CSF1PO" not in suspect.profile  # all NULL
    assert other.specimen_id == "ABCD1234NL#01" and other.line == 3
    assert alleles(other.profile, "D21S11") == ["29", "30.2"]  # ' 30.2' with a blank
    assert alleles(other.profile, "TH01") == ["5", "6"]


def test_penta_spellings(exports: Path) -> None:
    underscore = read_csv(exports / "database_codis_generated_10.csv").records[0].profile
    assert alleles(underscore, "Penta D") == ["12"]  # PENTA_D_1
    joined = read_csv(exports / "database_codis_generated_44.csv").records[0].profile
    assert alleles(joined, "Penta D") == ["12", "13"]  # PENTAD_1, PENTAD_2
    assert alleles(joined, "Penta E") == ["12", "18"]
    assert alleles(joined, "vWA") == ["14", "15"]  # VWA_1, VWA_2


def test_error_rows(exports: Path) -> None:
    result = read_csv(exports / "database_codis_3records_1error.csv")
    (dup,) = result.problems
    assert dup.message == ("database_codis_3records_1error.csv: line 4: specimen "
                           "'ABCD1234NL#01': specimen ID given twice in the file "
                           "(first on line 3)")
    assert (dup.record, dup.value, dup.line) == ("ABCD1234NL#01", "ABCD1234NL#01", 4)
    # ' >20' at D12S391 is the ladder bin '>20' (as CMF's '&gt;15'), not an error
    first = result.records[1].profile
    assert first.alleles("D12S391") == (Allele.repeat(17), Allele(AlleleKind.ABOVE, 20))

    result = read_csv(exports / "database_codis_4records_1error_1empty.csv")
    (empty,) = result.problems
    assert empty.message == ("database_codis_4records_1error_1empty.csv: line 5: specimen "
                             "'ABCD1234NL#03': no typed loci (empty record)")


def test_5002_records_with_out_of_range_alleles(exports: Path) -> None:
    path = exports / "database_codis_5002records_lowerascii.csv"
    result = read_csv(path)
    assert len(result.records) + len(result.problems) == 5002
    # an independent count: rows holding an allele below 1 (e.g. '0.2') are the bad ones
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))[1:]
    bad = sum(1 for row in rows if any(c.strip() not in ("NULL", "") and float(c) < 1
                                       for c in row[1:]))
    assert len(result.problems) == bad
    first = result.problems[0]
    assert first.message == ("database_codis_5002records_lowerascii.csv: line 2: specimen "
                             "'UDPZ0000UK#00': D3S1358: allele '0.2' is outside the repeat "
                             "range 1-200")
    assert (first.record, first.locus, first.value) == ("UDPZ0000UK#00", "D3S1358", "0.2")
    rec = next(r for r in result.records if r.specimen_id == "RSTP0000ES#07")
    assert alleles(rec.profile, "F13A01") == ["8.3", "28.2"]  # column F13A1
    assert alleles(rec.profile, "FESFPS") == ["30.2", "31.1"]  # column FES_FPS


def test_dbcompare_dot_columns() -> None:
    path = DATA / "dbcompare" / "dbExample.csv"
    if not path.exists():
        pytest.skip(f"reference data not found at {path}")
    result = read_csv(path)
    assert result.ok and len(result) == 1000
    assert alleles(result.records[0].profile, "D18S51") == ["15", "21"]


def test_bad_values_name_file_line_specimen_locus_value(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("specimenId;D8S1179_1;D8S1179_2;D18S51_1;D18S51_2;FOO_1;caseId;Name\n"
                    "A1;13;14;12;NULL;NULL;case 7;Jane Doe\n"
                    "A2;13;14;9,3;12;NULL;;\n"
                    "A3;13;NULL;12;13;7;;\n"
                    ";13;14;12;13;NULL;;\n"
                    "A5;INC;NULL;12;13;NULL;;\n")
    result = read_csv(path)
    assert [r.specimen_id for r in result.records] == ["A1", "A5"]
    a1, a5 = result.records
    assert a1.raw_case == "case 7" and "Jane" not in repr(a1)
    assert a5.profile["D8S1179"].inconclusive
    assert [p.message for p in result.problems] == [
        "bad.csv: line 3: specimen 'A2': D18S51: allele '9,3' is not an allele designation",
        "bad.csv: line 4: specimen 'A3': FOO: unknown locus 'FOO'",
        "bad.csv: line 5: no specimen ID",
    ]


def test_long_layout(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text('specimen_id,locus,alleles,heights\n'
                    'S1,D8S1179,13/14,1200/1100\n'
                    'S2,TH01,"9.3,10",\n'
                    'S1,Amelogenin,X,\n'
                    'S2,FGA,INC,\n'
                    'S1,D8S1179,15,\n')
    result = read_csv(path)
    assert result.format == "csv-long"
    s2 = result.records[0]
    assert s2.specimen_id == "S2" and alleles(s2.profile, "TH01") == ["9.3", "10"]
    assert s2.profile["FGA"].inconclusive
    (p,) = result.problems
    assert p.message == ("long.csv: line 2: specimen 'S1': D8S1179: locus given twice "
                         "(as 'D8S1179' and 'D8S1179')")


def test_detection_and_errors(tmp_path: Path) -> None:
    assert detect_csv_layout(["specimenId", "D8S1179_1"]) == "wide"
    assert detect_csv_layout(["specimen_id", "locus", "alleles"]) == "long"
    assert detect_csv_layout(["Allele", "D8S1179"]) is None
    path = tmp_path / "freq.csv"
    path.write_text("Allele,D3S1358\n12,0.1\n")
    with pytest.raises(FileFormatError, match="not a profile CSV"):
        read_csv(path)
    path.write_text("")
    with pytest.raises(FileFormatError, match="no header row"):
        read_csv(path)
    path.write_bytes(b"specimenId,D8S1179_1\nA,\xff\xfe13\n")
    with pytest.raises(FileFormatError, match="not UTF-8"):
        read_csv(path)


def test_one_gigabyte_line_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with open(path, "wb") as f:
        f.write(b"specimenId,D8S1179_1\nA,")
        f.truncate(1 << 30)
    with pytest.raises(UnsafeInput, match="a line is longer than the limit of 16 MiB"):
        read_csv(path)
    with pytest.raises(UnsafeInput, match="larger than the limit"):
        read_csv(path, limits=Limits(max_bytes=1 << 20))


# --- writing and round trips -----------------------------------------------------------------


def test_wide_writer_layout(tmp_path: Path) -> None:
    profiles = [Profile.parse("D8S1179: 13/14; Penta D: 9.3", specimen_id="A"),
                Profile.parse("D8S1179: 12", specimen_id="B")]
    out = io.StringIO()
    assert write_csv(profiles, out) == 2
    lines = out.getvalue().splitlines()
    assert lines[0] == "specimenId,D8S1179_1,D8S1179_2,Penta D_1,Penta D_2"
    assert lines[2] == "B,12,NULL,NULL,NULL"
    path = tmp_path / "w.csv"
    path.write_text(out.getvalue())
    assert read_csv(path).profiles == profiles


def test_writer_metadata_and_long(tmp_path: Path) -> None:
    rec = ProfileRecord(Profile.parse("TH01: 6/9.3", specimen_id="A", kit="Identifiler"),
                        specimen_id="A", specimen_category="Suspect, Known", source_lab="LAB",
                        kit="Identifiler", raw_case="c-1")
    path = tmp_path / "m.csv"
    write_csv([rec], path)
    (back,) = read_csv(path).records
    assert (back.profile, back.specimen_category, back.source_lab, back.kit, back.raw_case) == (
        rec.profile, "Suspect, Known", "LAB", "Identifiler", "c-1")
    heights = Profile.from_mapping({"TH01": ["6", "9.3"]}, heights={"TH01": [100, 250.5]},
                                   specimen_id="H")
    write_csv([heights], path, layout="long")
    assert path.read_text().splitlines() == ["specimen_id,locus,alleles,heights",
                                             "H,TH01,6/9.3,100/250.5"]
    assert read_csv(path).profiles == [heights]


STR_LOCI = sorted(k for k, v in LOCI.items() if v.kind is LocusKind.AUTOSOMAL_STR)
values = st.one_of(st.integers(1, 99).map(str),
                   st.tuples(st.integers(1, 99), st.integers(1, 9)).map(lambda t: f"{t[0]}.{t[1]}"),
                   st.sampled_from(["OL", "<5", ">27"]))


@st.composite
def csv_profiles(draw: st.DrawFn, spec: str) -> Profile:
    loci = draw(st.lists(st.sampled_from([*STR_LOCI, "AMEL"]), min_size=1, max_size=10,
                         unique=True))
    mapping = {k: draw(st.lists(st.sampled_from(["X", "Y"]) if k == "AMEL" else values,
                                min_size=1, max_size=6)) for k in loci}
    inconclusive = draw(st.lists(st.sampled_from(STR_LOCI), max_size=2, unique=True))
    inconclusive = [k for k in inconclusive if k not in mapping]
    return Profile.from_mapping(mapping, inconclusive=inconclusive, specimen_id=spec)


@settings(max_examples=60, deadline=None)
@given(ids=st.lists(st.text("abcXYZ0189 #-_.,;\"'", min_size=1, max_size=16)
                    .filter(lambda s: s.strip() == s and s.strip() != ""),
                    min_size=1, max_size=6, unique=True),
       layout=st.sampled_from(["wide", "long"]), data=st.data())
def test_round_trip_property(ids: list[str], layout: str, data: st.DataObject) -> None:
    profiles = [data.draw(csv_profiles(i)) for i in ids]
    out = io.StringIO()
    write_csv(profiles, out, layout=layout)  # type: ignore[arg-type]
    items = list(iter_csv(io.BytesIO(out.getvalue().encode())))
    assert [r.profile for r in items if isinstance(r, ProfileRecord)] == profiles
