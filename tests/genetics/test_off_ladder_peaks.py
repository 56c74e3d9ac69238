"""Several off-ladder (OL) peaks at one locus stay several alleles (issue 11, item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import shared_data_path

from locard.formats import read_profiles
from locard.genetics.alleles import AlleleKind
from locard.genetics.profiles import Profile


def test_two_ol_peaks_stay_two_alleles_with_their_heights() -> None:
    p = Profile.from_mapping({"vWA": ["OL", "17", "OL"]}, heights={"vWA": [40, 300, 55]})
    call = p["vWA"]
    assert [str(a) for a in call.alleles] == ["17", "OL", "OL"]
    assert call.off_ladder == 2
    assert call.heights == (300.0, 40.0, 55.0)


def test_ol_peaks_survive_the_canonical_json_round_trip() -> None:
    p = Profile.from_mapping({"TH01": ["OL", "OL"], "FGA": ["22", "24"]})
    back = Profile.from_canonical_json(p.to_json())
    assert back == p and back["TH01"].off_ladder == 2


def test_a_repeated_designation_is_still_one_homozygous_allele() -> None:
    assert len(Profile.parse("TH01: 7,7")["TH01"].alleles) == 1


def test_genemapper_export_keeps_every_ol_peak() -> None:
    path = shared_data_path("genemapper", "set3.txt")
    if not Path(path).exists():
        pytest.skip("../shared/data/genemapper/set3.txt is not there")
    result = read_profiles(path)
    sample = next(r.profile for r in result.records if r.specimen_id == "07-A2.5")
    # the export lists three OL peaks at D2S441 for this sample, beside 11.3, 13, 14 and 15
    call = sample["D2S441"]
    assert [a.kind for a in call.alleles].count(AlleleKind.OFF_LADDER) == 3
    assert [str(a) for a in call.alleles] == ["11.3", "13", "14", "15", "OL", "OL", "OL"]
