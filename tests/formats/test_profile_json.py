"""Profile JSON and JSON Lines: Profile.to_dict objects read back equal, metadata and peak
heights survive, and a bad object or line is a problem while the rest are read."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locard.errors import FileFormatError
from locard.formats import read_json, write_json
from locard.formats.profile_json import iter_json, record_to_dict
from locard.formats.records import ProfileRecord
from locard.genetics.profiles import Profile

P1 = Profile.from_mapping({"D8S1179": ["13", "14"], "TH01": ["9.3"], "AMEL": ["X", "Y"]},
                          heights={"D8S1179": [1200.5, 900]}, inconclusive=["FGA"],
                          specimen_id="P1", kit="GlobalFiler")
P2 = Profile.parse("D21S11: 30/31.2; Penta E: >24", specimen_id="P2")


def test_list_round_trip_with_metadata(tmp_path: Path) -> None:
    recs = [ProfileRecord.of(P1, specimen_category="Suspect, Known", source_lab="LAB",
                             raw_case="c-9"), ProfileRecord.of(P2)]
    path = tmp_path / "p.json"
    assert write_json(recs, path) == 2
    result = read_json(path)
    assert result.format == "json" and result.ok
    assert result.profiles == [P1, P2]
    back = result.records[0]
    assert (back.specimen_category, back.source_lab, back.raw_case, back.kit) == (
        "Suspect, Known", "LAB", "c-9", "GlobalFiler")
    assert back.profile["D8S1179"].heights == (1200.5, 900.0)
    assert back.profile["FGA"].inconclusive


def test_single_object_and_to_dict(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(P1.to_dict(), indent=2))
    result = read_json(path)
    assert result.format == "json" and result.profiles == [P1]
    path.write_text(P2.to_json())  # canonical one-line JSON is also a one-line JSON Lines file
    assert read_json(path).profiles == [P2]


def test_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    write_json([P1, P2], path, lines=True)
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["specimen_id"] == "P1"
    result = read_json(path)
    assert result.format == "jsonl" and result.profiles == [P1, P2]


def test_bad_objects_and_lines_are_problems(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([
        P1.to_json(),
        '{"specimen_id": "B1", "loci": {"D18S51": ["9,3"]}}',
        '{"specimen_id": "B2", "loci": {"D18S51": "12/13", "XYZ": [1]}}',
        "not json",
        '{"specimen_id": "B3", "loci": {"TH01": {"alleles": ["6"], "heights": [1, 2]}}}',
        '["a list"]',
        '{"specimen_id": "B4"}',
        '',
        '{"specimen_id": "S5", "loci": {"vWA": [16, 17], "D8S1179": "13"}}',
    ]) + "\n")
    result = read_json(path)
    assert [r.specimen_id for r in result.records] == ["P1", "S5"]
    assert [str(a) for a in result.records[1].profile.alleles("vWA")] == ["16", "17"]
    messages = [p.message for p in result.problems]
    assert messages == [
        "mixed.jsonl: line 2: specimen 'B1': D18S51: allele '9,3' is not an allele "
        "designation",
        "mixed.jsonl: line 3: specimen 'B2': XYZ: unknown locus 'XYZ'",
        "mixed.jsonl: line 4: not JSON (Expecting value at column 1)",
        "mixed.jsonl: line 5: specimen 'B3': TH01: 1 allele(s) but 2 peak height(s)",
        "mixed.jsonl: line 6: expected a profile object, found list",
        "mixed.jsonl: line 7: specimen 'B4': a profile object needs a 'loci' object of "
        "locus -> alleles",
    ]


def test_not_json_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[\n {"loci": {}},\n oops\n]\n')
    with pytest.raises(FileFormatError, match="not JSON") as e:
        read_json(path)
    assert e.value.line == 3 and e.value.path == str(path)
    path.write_text("[]")
    (p,) = read_json(path).problems
    assert "no profiles" in p.message
    path.write_text("\n\n")
    with pytest.raises(FileFormatError, match="empty file"):
        read_json(path)


def test_record_to_dict_keeps_record_specimen_id() -> None:
    rec = ProfileRecord(Profile.parse("TH01: 6"), specimen_id="R1")
    assert record_to_dict(rec) == {"loci": {"TH01": {"alleles": ["6"]}}, "specimen_id": "R1"}


loci_values = st.dictionaries(
    st.sampled_from(["D8S1179", "TH01", "FGA", "D21S11", "SE33", "Penta D"]),
    st.lists(st.sampled_from(["6", "9.3", "13", "14", "30.2", "OL", "<5", ">40"]), min_size=1,
             max_size=5), min_size=1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=20), loci_values, st.booleans()),
                min_size=1, max_size=5), st.booleans())
def test_round_trip_property(items: list[tuple[str, dict[str, list[str]], bool]],
                             lines: bool) -> None:
    profiles = [Profile.from_mapping(m, specimen_id=s,
                                     heights={k: [float(len(v) + i) for i in range(len(v))]
                                              for k, v in m.items()} if h else None)
                for s, m, h in items]
    out = io.StringIO()
    write_json(profiles, out, lines=lines)
    back = list(iter_json(io.BytesIO(out.getvalue().encode())))
    assert [r.profile for r in back if isinstance(r, ProfileRecord)] == profiles
