"""GeneMapper ID-X exports: every real long and wide file imports (golden alleles and peak
heights checked by eye against the files), the broken header is a clear error, unknown markers
are per-sample problems, and writing then reading gives the same profiles."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locard.errors import FileFormatError
from locard.formats import read_genemapper, write_genemapper
from locard.formats.genemapper import detect_layout, iter_genemapper
from locard.formats.records import ProfileRecord
from locard.genetics.profiles import Profile

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture
def gm() -> Path:
    if not (DATA / "genemapper").is_dir():
        pytest.skip(f"reference data not found at {DATA} (../shared/data is not checked out)")
    return DATA / "genemapper"


def alleles(profile: Profile, locus: str) -> list[str]:
    return [str(a) for a in profile.alleles(locus)]


def by_id(records: list[ProfileRecord]) -> dict[str, Profile]:
    return {r.specimen_id or "": r.profile for r in records}


# --- long layout -----------------------------------------------------------------------------


def test_ref3_references(gm: Path) -> None:
    result = read_genemapper(gm / "ref3.txt")
    assert result.format == "genemapper-long" and result.ok
    refs = by_id(result.records)
    assert list(refs) == ["A2", "F2", "bc"]
    assert alleles(refs["A2"], "AMEL") == ["X"]  # 'X X': double entry for a homozygote
    assert alleles(refs["A2"], "TH01") == ["8"]
    assert alleles(refs["A2"], "D2S441") == ["11.3", "14"]
    assert alleles(refs["F2"], "D10S1248") == ["14"]  # single entry for a homozygote
    assert alleles(refs["F2"], "AMEL") == ["X", "Y"]
    assert alleles(refs["bc"], "D1S1656") == ["12", "17.3"]
    assert alleles(refs["bc"], "SE33") == ["28.2", "29.2"]
    assert len(refs["A2"]) == 17
    assert [r.line for r in result.records] == [2, 19, 36]


def test_set3_dilution_series(gm: Path) -> None:
    result = read_genemapper(gm / "set3.txt")
    # 40 runs of 17 markers; 30 read, 10 reported: empty negative controls, ladders and dilution
    # samples with more than 8 alleles at a locus (every OL peak counts: 03-A2.1 has five at
    # D3S1358)
    assert (len(result.records), len(result.problems)) == (30, 10)
    p = {(r.specimen_id, r.line): r.profile for r in result.records}
    a211 = p[("13-A2.11", 206)]
    assert alleles(a211, "TH01") == ["8"] and a211["TH01"].heights == (1691.0,)
    assert alleles(a211, "D2S441") == ["11.3", "13", "14"]
    assert a211["D2S441"].heights == (2481.0, 154.0, 3453.0)
    a210 = p[("12-A2.10", 189)]
    assert alleles(a210, "D2S441") == ["11.3", "13", "14", "OL"]  # OL kept, sorted last
    assert a210["D2S441"].heights == (4355.0, 128.0, 2847.0, 118.0)
    messages = {(q.record, q.line): q for q in result.problems}
    positive = p[("01-Pos.ktr.__", 2)]  # an off-ladder peak at Amelogenin is kept as OL
    assert "OL" in alleles(positive, "AMEL")
    assert "no typed loci" in messages[("02-Neg.ktr.__", 19)].message
    assert "12 alleles (at most 8)" in messages[("16-Ladder__", 257)].message
    # a sample name that comes back later in the file (a second run) is a new record
    assert ("01-Pos.ktr.__", 495) in p


def test_euroformix_files(gm: Path) -> None:
    stain = read_genemapper(gm / "euroformix" / "stain.txt").records[0].profile
    assert stain.specimen_id == "evid1" and stain.is_mixture
    assert alleles(stain, "AMEL") == ["X", "Y"] and stain["AMEL"].heights == (2136.0, 1015.0)
    assert stain["D3S1358"].heights == (178.0, 2405.0, 1982.0)
    assert alleles(stain, "D12S391") == ["18", "18.3", "19", "21", "22"]
    refs = read_genemapper(gm / "euroformix" / "refs.csv")  # comma separated, 'SampleName'
    assert [r.specimen_id for r in refs.records] == ["P1", "P2"]
    assert alleles(refs.records[0].profile, "TH01") == ["9.3"]
    no_amel = read_genemapper(gm / "euroformix" / "refs_noAMEL.csv")
    assert "AMEL" not in no_amel.records[0].profile
    assert no_amel.records[0].profile.restrict(["TH01"]) == refs.records[0].profile.restrict(
        ["TH01"])
    db = read_genemapper(gm / "euroformix" / "databaseESX17.txt")  # CRLF, 'Sample Name'
    assert db.ok and len(db) == 77
    first = db.records[0].profile
    assert first.specimen_id == "00-JP0001-14_20142342311_NO-3241"
    assert alleles(first, "TH01") == ["7", "9.3"]


@pytest.mark.parametrize("name", ["ESX17_Norway.csv", "ESX17_NorwayAMEL.csv"])
def test_frequency_tables_are_not_genemapper(gm: Path, name: str) -> None:
    with pytest.raises(FileFormatError, match="not a GeneMapper export"):
        read_genemapper(gm / "euroformix" / name)


def test_lrmix_sample_files(gm: Path) -> None:
    sample = read_genemapper(DATA / "cmf" / "samples" / "sample.csv")
    assert [r.specimen_id for r in sample.records] == [
        f"AAAA0000NL#01Rep{i}" for i in range(1, 5)]
    assert alleles(sample.records[0].profile, "D8S1179") == ["8", "10", "11", "12", "13", "14"]
    (suspect,) = read_genemapper(DATA / "cmf" / "samples" / "writerInput.csv").records
    assert alleles(suspect.profile, "TPOX") == ["8", "11"]  # written '11,8'
    assert alleles(suspect.profile, "vWA") == ["16"]  # 'VWA 16,16'


# --- wide layout -----------------------------------------------------------------------------


def test_wide_examples(gm: Path) -> None:
    wide = gm / "smartrank_wide"
    result = read_genemapper(wide / "GeneMapperExample.txt")
    assert result.format == "genemapper-wide" and result.ok and len(result) == 4
    first = result.records[0].profile
    assert first.specimen_id == "0000001_00000000000_AAAA0000NL#01"
    assert alleles(first, "D10S1248") == ["11", "12"]
    assert alleles(first, "D18S51") == ["11", "12", "13", "14"]
    assert alleles(first, "AMEL") == ["X", "Y"]
    assert first["D10S1248"].heights is None
    other = read_genemapper(wide / "GeneMapperExampleDifferentCaseNumbers.txt")
    assert [r.profile.specimen_id for r in other.records][1] == "0000002_00000000001_AAAA0000NL#01"

    heights = read_genemapper(wide / "GeneMapperExampleWithHeights.txt").records[0].profile
    assert alleles(heights, "D10S1248") == ["10", "11"]
    assert heights["D10S1248"].heights == (73.0, 288.0)
    assert heights["D16S539"].heights == (71.0, 71.0)

    ol = read_genemapper(wide / "GeneMapperExampleWithHeightsAndOL.txt").records[0].profile
    assert alleles(ol, "vWA") == ["17", "OL"]  # 'OL, 17' with heights '319, 164'
    assert ol["vWA"].heights == (164.0, 319.0)
    assert alleles(ol, "D10S1248") == ["12", "13", "14", "15", "16"]
    assert ol["D10S1248"].heights == (58.0, 261.0, 354.0, 520.0, 86.0)


def test_wide_broken_header_is_a_clear_error(gm: Path) -> None:
    path = gm / "smartrank_wide" / "GeneMapperExampleBrokenHeader.txt"
    with pytest.raises(FileFormatError) as e:
        read_genemapper(path)
    message = str(e.value)
    assert str(path) in message and "'Smaple File'" in message and "'Sample File'" in message
    assert e.value.line == 1


# --- bad samples among good ones -------------------------------------------------------------


def test_unknown_marker_names_file_sample_and_marker(tmp_path: Path) -> None:
    path = tmp_path / "run.txt"
    path.write_text("Sample Name\tMarker\tAllele 1\tAllele 2\tHeight 1\tHeight 2\n"
                    "S1\tD3S1358\t15\t16\t1000\t900\n"
                    "S1\tD99S99\t11\t\t500\t\n"
                    "S2\tD3S1358\t14\t\t800\tNA\n"
                    "S2\tTH01\t9.3\t10\tx\t20\n"
                    "S3\tD3S1358\t14\t9,3\t\t\n"
                    "S4\tQS1\tQ\tS\t\t\n"
                    "S4\tD3S1358\t\t\t\t\n"
                    "S4\tvWA\t17\tOL\t300\t40\n")
    result = read_genemapper(path)
    assert [r.specimen_id for r in result.records] == ["S4"]
    s4 = result.records[0].profile
    assert s4["QS1"].inconclusive and "D3S1358" not in s4  # quality sensor kept; empty missing
    assert alleles(s4, "vWA") == ["17", "OL"] and s4["vWA"].heights == (300.0, 40.0)
    assert [p.message for p in result.problems] == [
        "run.txt: line 2: specimen 'S1': D99S99: unknown locus 'D99S99'",
        "run.txt: line 4: specimen 'S2': TH01: peak height 'x' is not a number",
        "run.txt: line 6: specimen 'S3': D3S1358: allele '9,3' is not an allele designation",
    ]
    assert (result.problems[0].record, result.problems[0].locus) == ("S1", "D99S99")


@pytest.mark.parametrize("delimiter", ["\t", ",", ";"])
def test_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    rows = [["Sample.Name", "Marker", "Dye", "Allele.1", "Allele.2", "Height.1", "Height.2"],
            ["S1", "D8S1179", "B", "13", "14", "1200", "1100"],
            ["S1", "Amelogenin", "B", "X", "", "2000", ""]]
    path = tmp_path / "x.txt"
    path.write_text("\n".join(delimiter.join(r) for r in rows) + "\n", encoding="utf-8-sig")
    (rec,) = read_genemapper(path).records
    assert rec.profile["D8S1179"].heights == (1200.0, 1100.0)
    assert alleles(rec.profile, "AMEL") == ["X"]


def test_layout_detection() -> None:
    assert detect_layout(["Sample Name", "Marker", "Allele 1"]) == "long"
    assert detect_layout(["Sample File", "Sample Name", "D8S1179", "Height"]) == "wide"
    assert detect_layout(["Allele", "D3S1358", "TH01"]) is None


def test_no_rows_and_no_sample_name(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("Sample Name\tMarker\tAllele 1\n")
    (p,) = read_genemapper(path).problems
    assert "no profiles" in p.message
    path.write_text("Sample Name\tMarker\tAllele 1\n\tD8S1179\t13\nS\tD8S1179\t12\n")
    result = read_genemapper(path)
    assert len(result) == 1 and "line 2: no sample name" in result.problems[0].message


def test_personal_columns_are_not_read(tmp_path: Path) -> None:
    path = tmp_path / "wide.txt"
    path.write_text("Sample File\tSample Name\tName\tDate of Birth\tD8S1179\tTH01\n"
                    "f.fsa\tS1\tJane Doe\t1970-01-01\t13, 14\t6, 9.3\n")
    (rec,) = read_genemapper(path).records
    assert list(rec.profile) == ["D8S1179", "TH01"]
    assert "Jane" not in repr(rec) and rec.raw_case is None


# --- writing and round trips -----------------------------------------------------------------


def test_write_then_read(tmp_path: Path) -> None:
    profile = Profile.from_mapping({"D8S1179": ["13", "14"], "AMEL": ["X"], "vWA": ["OL", "17"]},
                                   heights={"D8S1179": [1200, 950.5], "AMEL": [3000],
                                            "vWA": [40, 900]}, specimen_id="E 1")
    out = io.StringIO()
    assert write_genemapper([profile], out) == 1
    assert out.getvalue().splitlines()[0] == ("Sample Name\tMarker\tAllele 1\tAllele 2\t"
                                              "Height 1\tHeight 2")
    path = tmp_path / "w.txt"
    path.write_text(out.getvalue())
    assert read_genemapper(path).profiles == [profile]


st_locus_alleles = {
    "D8S1179": st.sampled_from(["8", "10", "12.2", "13", "14", "15", "OL", "<8", ">19"]),
    "TH01": st.sampled_from(["5", "6", "7", "8", "9", "9.3", "10"]),
    "AMEL": st.sampled_from(["X", "Y"]),
    "Penta E": st.sampled_from(["5", "7", "12", "15", "19", "24"]),
}


@st.composite
def typed_profiles(draw: st.DrawFn, spec: str) -> Profile:
    loci = draw(st.lists(st.sampled_from(sorted(st_locus_alleles)), min_size=1, unique=True))
    mapping = {k: draw(st.lists(st_locus_alleles[k], min_size=1, max_size=5, unique=True))
               for k in loci}
    with_heights = draw(st.booleans())
    heights = {k: [draw(st.integers(1, 30000)) for _ in v] for k, v in mapping.items()}
    return Profile.from_mapping(mapping, heights=heights if with_heights else None,
                                specimen_id=spec)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text("abcXYZ019-_.#", min_size=1, max_size=12), min_size=1, max_size=4,
                unique=True).flatmap(lambda ids: st.tuples(*(typed_profiles(i) for i in ids))))
def test_round_trip_property(profiles: tuple[Profile, ...]) -> None:
    out = io.StringIO()
    write_genemapper(profiles, out)
    back = list(iter_genemapper(io.BytesIO(out.getvalue().encode())))
    assert [r.profile for r in back if isinstance(r, ProfileRecord)] == list(profiles)
