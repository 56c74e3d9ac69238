"""One rule of what CODIS CMF 3.2 can carry (:func:`cmf_limits`), used by the writer and by
the store's import: a record the rule passes is always written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from locard.errors import FileFormatError
from locard.formats.cmf import CMF_SPECIMEN_ID_MAX, CmfLimit, cmf_limits, read_cmf, write_cmf
from locard.formats.records import ProfileRecord
from locard.genetics.profiles import Profile


def test_the_specimen_id_limit_is_cmf_3_2s_24_characters() -> None:
    assert CMF_SPECIMEN_ID_MAX == 24
    ok = Profile.parse("D8S1179: 13/14", specimen_id="S" * 24)
    assert cmf_limits(ok) == []
    (limit,) = cmf_limits(Profile.parse("D8S1179: 13/14", specimen_id="S" * 28))
    assert limit.blocking and limit.what == "specimen ID" and limit.value == "S" * 28
    assert "28 characters" in limit.message and "24" in limit.message


def test_a_locus_without_a_codis_name_is_left_out_not_blocking() -> None:
    rec = ProfileRecord.of(Profile.parse("D8S1179: 13/14; F13A01: 5/6", specimen_id="A"))
    (limit,) = cmf_limits(rec)
    assert (limit.what, limit.value, limit.locus, limit.blocking) == (
        "locus", "F13A01", "F13A01", False)
    assert "no CODIS name" in limit.message
    only = Profile.parse("F13A01: 5/6; Penta C: 9", specimen_id="B")
    blocking = [x for x in cmf_limits(only) if x.blocking]
    assert [x.what for x in blocking] == ["profile"]  # nothing left that CMF can carry


def test_kit_category_and_case_limits() -> None:
    rec = ProfileRecord(Profile.parse("D8S1179: 13", specimen_id="A"), specimen_id="A",
                        specimen_category="Suspect", kit="PowerPlex 21", raw_case="c" * 33)
    by_what = {x.what: x for x in cmf_limits(rec)}
    assert set(by_what) == {"specimen category", "kit", "case ID"}
    assert by_what["specimen category"].blocking and by_what["case ID"].blocking
    assert not by_what["kit"].blocking  # written without a KIT attribute, and said so
    assert cmf_limits(Profile.parse("D8S1179: 13", specimen_id="A\x01B"))[0].blocking


def test_every_record_the_rule_passes_is_written(tmp_path: Path) -> None:
    """The writer's refusals are the rule's: where the rule finds nothing blocking and the
    writer may leave out what it cannot carry, writing never fails."""
    records = [
        ProfileRecord.of(Profile.parse("D8S1179: 13/14; F13A01: 5/6; TH01: 6",
                                       specimen_id="S" * 24, kit="PowerPlex 21"),
                         specimen_category="Convicted Offender"),
        ProfileRecord.of(Profile.parse("vWA: 16; D6S1043: 11/12", specimen_id="B")),
    ]
    assert not [x for r in records for x in cmf_limits(r) if x.blocking]
    left_out: list[tuple[str, CmfLimit]] = []
    out = io.StringIO()
    assert write_cmf(records, out, skip_unsupported_loci=True, left_out=left_out,
                     source_lab="LAB", submit_by_user="u") == 2
    assert sorted((sid, x.what, x.value) for sid, x in left_out) == [
        ("B", "locus", "D6S1043"), ("S" * 24, "kit", "PowerPlex 21"),
        ("S" * 24, "locus", "F13A01")]
    path = tmp_path / "o.xml"
    path.write_text(out.getvalue())
    back = {r.specimen_id: r for r in read_cmf(path).records}
    assert list(back["B"].profile) == ["vWA"] and back["S" * 24].kit is None
    # without skip_unsupported_loci the same records are refused, naming the part
    with pytest.raises(FileFormatError, match="'PowerPlex 21' is not a CODIS kit"):
        write_cmf(records, io.StringIO(), source_lab="LAB", submit_by_user="u")
    with pytest.raises(FileFormatError, match="D6S1043 has no CODIS name"):
        write_cmf(records[1:], io.StringIO(), source_lab="LAB", submit_by_user="u")
    with pytest.raises(FileFormatError, match="28 characters"):
        write_cmf([Profile.parse("D8S1179: 13", specimen_id="S" * 28)], io.StringIO(),
                  source_lab="LAB", submit_by_user="u")
