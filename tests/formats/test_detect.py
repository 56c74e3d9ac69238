"""One entry point: read_profiles tells every sample file's format from its extension and
content, dispatches to the right reader, and write_profiles/read_profiles round-trip in every
format."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from locard.errors import FileFormatError
from locard.formats import (
    PROFILE_FORMATS,
    ProfileRecord,
    detect_format,
    iter_profiles,
    read_profiles,
    write_profiles,
)
from locard.formats.records import RecordProblem
from locard.genetics.profiles import Profile

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

# file (relative to the data folder), format, layout read, records, problems
SAMPLES = [
    ("cmf/CODIS-32.AppendixAexample.xml", "cmf", "cmf", 2, 0),
    ("cmf/samples/Codis-Single-Profile.xml", "cmf", "cmf", 1, 0),
    ("cmf/samples/Codis-Mix-Profile-With-BOM-Header.xml", "cmf", "cmf", 0, 1),
    ("cmf/samples/errorhandling/broken-allele.xml", "cmf", "cmf", 0, 1),
    ("cmf/samples/errorhandling/broken-locus.xml", "cmf", "cmf", 0, 1),
    ("cmf/samples/errorhandling/no-profiles.xml", "cmf", "cmf", 0, 1),
    ("cmf/samples/sample.csv", "genemapper", "genemapper-long", 4, 0),
    ("cmf/samples/writerInput.csv", "genemapper", "genemapper-long", 1, 0),
    ("genemapper/set3.txt", "genemapper", "genemapper-long", 30, 10),  # every OL peak counts
    ("genemapper/ref3.txt", "genemapper", "genemapper-long", 3, 0),
    ("genemapper/euroformix/stain.txt", "genemapper", "genemapper-long", 1, 0),
    ("genemapper/euroformix/refs.csv", "genemapper", "genemapper-long", 2, 0),
    ("genemapper/euroformix/refs_noAMEL.csv", "genemapper", "genemapper-long", 2, 0),
    ("genemapper/euroformix/databaseESX17.txt", "genemapper", "genemapper-long", 77, 0),
    ("genemapper/smartrank_wide/GeneMapperExample.txt", "genemapper", "genemapper-wide", 4, 0),
    ("genemapper/smartrank_wide/GeneMapperExampleDifferentCaseNumbers.txt", "genemapper",
     "genemapper-wide", 4, 0),
    ("genemapper/smartrank_wide/GeneMapperExampleWithHeights.txt", "genemapper",
     "genemapper-wide", 4, 0),
    ("genemapper/smartrank_wide/GeneMapperExampleWithHeightsAndOL.txt", "genemapper",
     "genemapper-wide", 1, 0),
    ("database_exports/database_codis_2records_utf8withBOM.csv", "csv", "csv-wide", 2, 0),
    ("database_exports/database_codis_3records_1error.csv", "csv", "csv-wide", 2, 1),
    ("database_exports/database_codis_4records_1error_1empty.csv", "csv", "csv-wide", 3, 1),
    ("database_exports/database_codis_generated_44.csv", "csv", "csv-wide", 44, 0),
    ("dbcompare/dbExample.csv", "csv", "csv-wide", 1000, 0),
]

# files that are not profiles: each raises FileFormatError naming it
NOT_PROFILES = [
    "cmf/samples/errorhandling/not-a-codis-file.xml",
    "cmf/CmfList.xml",
    "cmf/CODIS-32.AppendixBexample.xsd",
    "cmf/CODIS CMF 3.2 Interface Specification.pdf",
    "genemapper/euroformix/ESX17_Norway.csv",
    "genemapper/euroformix/ESX17_NorwayAMEL.csv",
    "genemapper/smartrank_wide/GeneMapperExampleBrokenHeader.txt",
    "frequencies/nist1036/nist1036_allele_freqs.csv",
]


@pytest.fixture
def data() -> Path:
    if not DATA.is_dir():
        pytest.skip(f"reference data not found at {DATA} (../shared/data is not checked out)")
    return DATA


@pytest.mark.parametrize("name, fmt, layout, n_records, n_problems", SAMPLES)
def test_sample_files(data: Path, name: str, fmt: str, layout: str, n_records: int,
                      n_problems: int) -> None:
    path = data / name
    assert detect_format(path) == fmt
    result = read_profiles(path)
    assert (result.format, len(result.records), len(result.problems)) == (
        layout, n_records, n_problems)
    assert read_profiles(path, format=fmt).records == result.records
    streamed = list(iter_profiles(path))
    assert [i for i in streamed if isinstance(i, ProfileRecord)] == result.records
    assert [i for i in streamed if isinstance(i, RecordProblem)] == result.problems
    for problem in result.problems:
        assert problem.message.startswith(path.name + ": ")


@pytest.mark.parametrize("name", NOT_PROFILES)
def test_files_that_are_not_profiles(data: Path, name: str) -> None:
    path = data / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    with pytest.raises(FileFormatError) as e:
        read_profiles(path)
    assert str(path) in str(e.value)


def test_wrong_explicit_format_is_a_file_error(data: Path) -> None:
    with pytest.raises(FileFormatError, match="not a profile CSV"):
        read_profiles(data / "genemapper" / "smartrank_wide" / "GeneMapperExample.txt",
                      format="csv")
    with pytest.raises(FileFormatError, match="not well-formed XML"):
        read_profiles(data / "genemapper" / "ref3.txt", format="cmf")
    with pytest.raises(FileFormatError, match="unknown profile format 'fasta'"):
        read_profiles(data / "genemapper" / "ref3.txt", format="fasta")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="no such file"):
        read_profiles(tmp_path / "nope.xml")


PROFILES = [
    Profile.parse("D8S1179: 13/14; TH01: 9.3; AMEL: X,Y; Penta D: 2.2/>17", specimen_id="W-1"),
    Profile.parse("D21S11: 30/31.2/32; vWA: 16; FGA: <18/OL", specimen_id="W&2"),
]


@pytest.mark.parametrize("fmt, name, options", [
    ("cmf", "out.xml", {"source_lab": "LAB", "submit_by_user": "u"}),
    ("csv", "out.csv", {}),
    ("csv", "out.tsv", {"layout": "long"}),
    ("genemapper", "out.txt", {}),
    ("json", "out.json", {}),
    ("jsonl", "out.jsonl", {}),
])
def test_write_then_read_every_format(tmp_path: Path, fmt: str, name: str,
                                      options: dict[str, str]) -> None:
    path = tmp_path / name
    assert write_profiles(PROFILES, path, format=fmt, **options) == 2
    result = read_profiles(path)
    assert result.ok and result.profiles == PROFILES
    assert detect_format(path) in PROFILE_FORMATS


def test_streams_with_and_without_a_format(tmp_path: Path) -> None:
    out = io.StringIO()
    write_profiles(PROFILES, out, format="csv")
    raw = out.getvalue().encode("utf-8-sig")
    assert read_profiles(io.BytesIO(raw), format="csv").profiles == PROFILES
    stream = io.BytesIO(raw)
    assert detect_format(stream) == "csv" and stream.tell() == 0
    assert read_profiles(stream).profiles == PROFILES
